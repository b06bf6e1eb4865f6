"""Shared helpers: seeded RNGs, neutral ids, the dev/blind half rule, time constants, token estimates.

Nothing here knows about families or labels; every other module builds on these primitives.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

START_MS = 1_772_409_600_000  # 2026-03-02T00:00:00Z (a Monday)
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

#: split name -> (default seed, corpus/phrasing half it draws from)
SPLITS: dict[str, tuple[int, int]] = {"dev": (4242, 0), "blind": (9001, 1)}


def resolve_split(
    splits: dict[str, tuple[int, int]], split: str, seed: int | None, scale: float
) -> tuple[int, int]:
    """The seed (the split's default unless given) and the corpus/phrasing half of a split, after
    checking the split name and the scale."""
    if split not in splits:
        raise ValueError(f"split must be one of {sorted(splits)}, not {split!r}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    default_seed, half = splits[split]
    return (default_seed if seed is None else int(seed)), half


_WS = re.compile(r"\s+")


def derive_rng(seed: int, *names: object) -> random.Random:
    """A private ``random.Random`` for (seed, names); string seeding is stable across processes."""
    return random.Random("|".join([str(seed), *(str(n) for n in names)]))


def neutral_id(prefix: str, *parts: object, size: int = 10) -> str:
    """An opaque identifier: ``prefix`` + hex digest of the parts (never a readable label)."""
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=size).hexdigest()
    return f"{prefix}{digest}"


def normalise(text: str) -> str:
    """NFKC, lower case, collapsed whitespace: the form the split hash is taken over."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def text_half(text: str) -> int:
    """Which half (0 = dev, 1 = blind) a corpus row belongs to, from a hash of its normalised text."""
    return hashlib.blake2b(normalise(text).encode(), digest_size=8).digest()[0] & 1


def split_variants(variants: Sequence[str], half: int) -> list[str]:
    """Deterministically assign hand-written variants to two balanced halves and return one.

    Variants are ranked by a hash of their normalised text and dealt alternately, so each half
    receives ``ceil/floor(n/2)`` items whatever the hash values are.
    """
    ranked = sorted(variants, key=lambda v: hashlib.blake2b(normalise(v).encode(), digest_size=8).digest())
    chosen = ranked[half::2]
    return chosen or list(ranked[:1])


class HalfPhrases:
    """The half of every phrase pool one split may use; a pool maps a language to its variants.

    The phrase books of every red team share this: a split sees only its own half of every pool (see
    :func:`split_variants`), so dev and blind traffic never share a hand-written phrase.
    """

    def __init__(self, pools: Mapping[str, Mapping[str, Sequence[str]]], half: int) -> None:
        self._pools = pools
        self.half = half
        self._cache: dict[tuple[str, str], list[str]] = {}

    def pool(self, name: str, lang: str = "en") -> list[str]:
        """This half's variants of ``name`` in ``lang`` (English when the language has none)."""
        key = (name, lang)
        if key not in self._cache:
            by_lang = self._pools[name]
            variants = by_lang.get(lang) or by_lang.get("en") or next(iter(by_lang.values()))
            self._cache[key] = split_variants(variants, self.half)
        return self._cache[key]

    def has(self, name: str, lang: str) -> bool:
        """True when ``name`` has variants written in ``lang`` itself."""
        return lang in self._pools[name]

    def pick(self, rng: random.Random, name: str, lang: str = "en") -> str:
        """One variant of this half."""
        return rng.choice(self.pool(name, lang))


def weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    """Pick one option from (value, weight) pairs."""
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, w in options:
        x -= w
        if x <= 0:
            return value
    return options[-1][0]


def estimate_tokens(text: str | None) -> int:
    """Cheap tokenizer stand-in: ~4 ASCII chars per token, multi-byte scripts cost more per char."""
    if not text:
        return 0
    n = len(text)
    extra = len(text.encode("utf-8")) - n
    return int(n / 4 + extra * 0.3) + 1


def lognormal_int(rng: random.Random, median: float, sigma: float, lo: int, hi: int) -> int:
    """An integer from a log-normal with the given median, clipped to [lo, hi]."""
    return max(lo, min(hi, int(math.exp(rng.gauss(math.log(median), sigma)))))
