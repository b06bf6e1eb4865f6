"""Prompt embeddings without a model download.

:class:`HashingEmbedder` hashes word unigrams and bigrams of the template view into ``dims`` signed
buckets (the hashing trick, itself a sparse random projection) and L2-normalises. Gateway-provided
embeddings of any width are mapped to the same ``dims`` by a seeded Gaussian projection, so both kinds
feed one clusterer.

>>> emb = HashingEmbedder(dims=16, seed=1)
>>> v = emb.embed_text("solve the equation step by step")
>>> v.shape, round(float((v * v).sum()), 6)
((16,), 1.0)
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import chain, pairwise

import numpy as np

from distillguard.models.hashing import stable_hash32

_SIGN_BIT = 1 << 31
_GRAM_CACHE = 1 << 16


class HashingEmbedder:
    """Deterministic text and gateway-embedding projection into a shared ``dims``-wide space."""

    def __init__(self, dims: int = 64, seed: int = 0) -> None:
        self.dims = dims
        self.seed = seed
        self._projections: dict[int, np.ndarray] = {}
        # Template views reuse a small vocabulary: memoising gram → (bucket, sign) saves the hashing.
        self._bucket = lru_cache(maxsize=_GRAM_CACHE)(self._hash_gram)

    def _hash_gram(self, gram: str) -> tuple[int, float]:
        h = stable_hash32(gram, self.seed)
        return h % self.dims, (-1.0 if h & _SIGN_BIT else 1.0)

    def embed_text(self, text: str) -> np.ndarray:
        """Signed hashed bag of word unigrams and bigrams, L2-normalised (zeros for empty text)."""
        # Bucket sums of +-1 are small integers, exact in any order; so is the sum of their squares,
        # whose square root is the norm. Accumulating in a list spares NumPy's per-call overheads.
        counts = [0.0] * self.dims
        bucket = self._bucket
        words = text.split()
        for gram in chain(words, map(" ".join, pairwise(words))):
            index, sign = bucket(gram)
            counts[index] += sign
        vector = np.array(counts)
        norm = math.sqrt(sum([count * count for count in counts]))
        return vector / norm if norm > 0 else vector

    def project(self, embedding: list[float]) -> np.ndarray:
        """Map a gateway embedding of any width into ``dims`` (seeded Gaussian random projection)."""
        source = np.asarray(embedding, dtype=np.float64)
        matrix = self._projections.get(source.size)
        if matrix is None:
            rng = np.random.default_rng([self.seed, source.size])
            matrix = rng.standard_normal((source.size, self.dims)) / np.sqrt(self.dims)
            self._projections[source.size] = matrix
        return _normalised(source @ matrix)


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.sqrt(vector @ vector))
    return vector / norm if norm > 0 else vector
