"""Stable hashes. Python's ``hash()`` is salted per process, so every id that must agree across workers
and restarts (cluster ids, sketch cells, dedupe keys) goes through these instead.

>>> stable_hash32("abc") == stable_hash32("abc")
True
"""

from __future__ import annotations

import hashlib
import zlib

MASK32 = 0xFFFFFFFF


def stable_hash32(text: str, seed: int = 0) -> int:
    """32-bit CRC of the UTF-8 text, salted by ``seed`` (fast; for sketches and feature hashing)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"), seed & MASK32)


def stable_hash64(text: str) -> int:
    """64-bit BLAKE2b digest (collision-resistant; for ids)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big"
    )


def short_id(*parts: str, length: int = 16) -> str:
    """A deterministic hex id of the joined parts (alert ids, campaign ids)."""
    joined = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=16).hexdigest()[:length]
