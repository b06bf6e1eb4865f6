"""Prompt clusters whose ids are the same on every worker and after every restart.

A cluster id is a pure function of the request and the configured seed, never of arrival order: the
coarse task kind, the extraction markers present, and SimHash bits of the template-view embedding
(signs of projections on seeded hyperplanes). One template with different slot fillers keeps its task,
its markers and its masked frame, so it lands in one cluster or a few; the per-cluster stage can be
partitioned by this id without any coordination.

>>> from distillguard.models.embedder import HashingEmbedder
>>> c = SimHashClusterer(bits=4, dims=16, seed=7)
>>> e = HashingEmbedder(dims=16, seed=7).embed_text("grade the answer with the rubric")
>>> c.cluster_id("math", "eg", e) == c.cluster_id("math", "eg", e)
True
"""

from __future__ import annotations

import numpy as np


class SimHashClusterer:
    """Assigns ``<task>.<markers>.<simhash hex>`` cluster ids."""

    def __init__(self, bits: int = 4, dims: int = 64, seed: int = 0) -> None:
        self.bits = bits
        rng = np.random.default_rng([seed, 0x5117])
        self._hyperplanes = rng.standard_normal((bits, dims)) if bits else None
        self._hex_format = f"0{max(1, (bits + 3) // 4)}x"  # the simhash in an id: zero-padded hex digits

    def simhash(self, embedding: np.ndarray) -> int:
        """The sign pattern of the embedding against the seeded hyperplanes, as an int (bit i: plane i)."""
        if self._hyperplanes is None:
            return 0
        # A few projections: setting bits in Python beats a second NumPy product for the weights.
        bits = 0
        for i, projection in enumerate((self._hyperplanes @ embedding).tolist()):
            if projection > 0:
                bits |= 1 << i
        return bits

    def cluster_id(self, task: str, markers: str, embedding: np.ndarray) -> str:
        return self.format_id(task, markers, self.simhash(embedding))

    def format_id(self, task: str, markers: str, simhash: int) -> str:
        """The cluster id for a simhash already computed (see :meth:`simhash`)."""
        return f"{task}.{markers or 'none'}.{format(simhash, self._hex_format)}"
