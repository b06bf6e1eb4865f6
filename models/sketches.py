"""Small probabilistic sketches with stable hashing, serialisable to bytes.

>>> hll = HyperLogLog(precision=8)
>>> for i in range(1000): _ = hll.add(f"acct-{i}")
>>> 900 < hll.count() < 1100
True
>>> cms = CountMin(width=256, depth=4)
>>> cms.add("x", 3.0)
3.0
"""

from __future__ import annotations

import math
from functools import lru_cache

from distillguard.models.hashing import stable_hash64

_CELL_CACHE = 1 << 16
# Distinct-count items (account ids) recur with each request of an account, in every cluster it uses.
_ITEM_HASH_CACHE = 1 << 14
_item_hash = lru_cache(maxsize=_ITEM_HASH_CACHE)(stable_hash64)


class HyperLogLog:
    """Distinct-count estimate in ``2**precision`` one-byte registers (≈ 1.04/sqrt(m) relative error)."""

    def __init__(self, precision: int = 8, registers: bytes | None = None) -> None:
        self.precision = precision
        self.m = 1 << precision
        self.registers = bytearray(registers) if registers is not None else bytearray(self.m)
        self._alpha = 0.7213 / (1 + 1.079 / self.m)
        # Kept incrementally so count() is O(1): the harmonic sum and the number of empty registers.
        self._inverse_sum = sum(2.0**-r for r in self.registers)
        self._zeros = self.registers.count(0)

    def add(self, item: str) -> bool:
        """Add an item; returns True when a register grew (the item was probably new)."""
        h = _item_hash(item)
        index = h >> (64 - self.precision)
        rest = (h << self.precision) & 0xFFFFFFFFFFFFFFFF
        rank = (64 - self.precision + 1) if rest == 0 else (64 - rest.bit_length() + 1)
        old = self.registers[index]
        if rank > old:
            self.registers[index] = rank
            self._inverse_sum += 2.0**-rank - 2.0**-old
            self._zeros -= old == 0
            return True
        return False

    def count(self) -> float:
        estimate = self._alpha * self.m * self.m / self._inverse_sum
        if estimate <= 2.5 * self.m and self._zeros:
            return self.m * math.log(self.m / self._zeros)
        return estimate


class CountMin:
    """Count-min sketch of float counts with O(1) decay (used by the MIDAS-style burst score).

    Cells hold counts divided by a running ``scale``, so decaying every cell is one multiplication
    of ``scale``; one 64-bit hash per key gives all rows (double hashing). The ``depth`` rows of
    ``width`` cells are stored one after the other in one flat list (row ``i`` starts at ``i * width``),
    so a key's cells are plain indices into it.
    """

    _RENORMALISE_BELOW = 1e-150

    def __init__(self, width: int = 4096, depth: int = 4) -> None:
        self.width = width
        self.depth = depth
        self.cells = [0.0] * (width * depth)
        self.scale_factor = 1.0
        # Burst keys (cluster ids, cluster|ASN) are few and recur on every request: memoise their cells.
        self.cells_of = lru_cache(maxsize=_CELL_CACHE)(self._hash_cells)

    def _hash_cells(self, key: str) -> tuple[int, ...]:
        """The key's cell in every row, as indices into ``cells`` (the same in every sketch of this shape)."""
        h = stable_hash64(key)
        h1, h2 = h & 0xFFFFFFFF, (h >> 32) | 1
        return tuple(row * self.width + (h1 + row * h2) % self.width for row in range(self.depth))

    def add(self, key: str, amount: float = 1.0) -> float:
        """Add ``amount`` to the key; returns the new estimate."""
        return self.add_at(self.cells_of(key), amount)

    def add_at(self, key_cells: tuple[int, ...], amount: float = 1.0) -> float:
        """:meth:`add` for a key whose cells were looked up already (see ``cells_of``)."""
        cells = self.cells
        stored = amount / self.scale_factor
        smallest = math.inf
        for index in key_cells:
            value = cells[index] + stored
            cells[index] = value
            if value < smallest:
                smallest = value
        return smallest * self.scale_factor

    def estimate(self, key: str) -> float:
        return self.estimate_at(self.cells_of(key))

    def estimate_at(self, key_cells: tuple[int, ...]) -> float:
        """:meth:`estimate` for a key whose cells were looked up already (see ``cells_of``)."""
        cells = self.cells
        smallest = math.inf
        for index in key_cells:
            if cells[index] < smallest:
                smallest = cells[index]
        return smallest * self.scale_factor

    def scale(self, factor: float) -> None:
        """Multiply every count by ``factor`` (0 clears the sketch)."""
        if factor == 0.0:
            self.cells = [0.0] * (self.width * self.depth)
            self.scale_factor = 1.0
            return
        self.scale_factor *= factor
        if self.scale_factor < self._RENORMALISE_BELOW:
            self.cells = [value * self.scale_factor for value in self.cells]
            self.scale_factor = 1.0
