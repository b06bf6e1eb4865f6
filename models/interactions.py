"""Signal interactions: a small ensemble of monotone decision trees over the fusion signals.

The additive fusion (:mod:`models.fusion`) gives each signal its own curve, so it cannot say "capability
tasks *and* a young account *and* long answers" is worse than the three apart — which is what a
low-volume spread or an agent harness on rented networks looks like, and what a developer with a popular
tool set does not. This model can: boosted trees of a fixed depth over the same signals, fitted on
development traffic by ``distillguard fit-fusion`` (``evaluation/fit_fusion.py``) and stored as plain
arrays (no training library at run time). Every evidence signal is monotone increasing and the trust
signal (``established_account``) decreasing, so more evidence never lowers the score.

Trees are kept complete (every leaf at the full depth; a shallower leaf is repeated below an always-left
split), so one request is scored over all trees at once: every split compared in one step, then each
tree's leaf looked up by the byte its comparisons pack into (depth <= 3) or walked to in ``depth`` steps.
``logit`` is the calibrated log-odds (the fit moved its offset so the medium band sits where the
false-positive budget allows). ``attribution`` says how much each signal moved the score along the paths
taken (each split's change in expected value goes to its signal), so the reasons of a tree-scored alert
stay readable.

>>> import numpy as np
>>> trees = InteractionTrees(
...     names=("capability", "young_account"), depth=1, offset=-2.0,
...     features=np.array([[0], [1]]), thresholds=np.array([[0.5], [0.5]]),
...     leaves=np.array([[0.0, 1.5], [0.0, 1.0]]), node_values=np.array([[0.5], [0.3]]))
>>> trees.logit({"capability": 0.9, "young_account": 1.0})
0.5
>>> trees.logit({"capability": 0.9})
-0.5
>>> {name: round(added, 2) for name, (added, _) in trees.attribution({"capability": 0.9}).items()}
{'capability': 1.0, 'young_account': -0.3}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

INTERACTIONS_FILE = Path(__file__).resolve().parent / "data" / "fusion_interactions.json"


@dataclass(frozen=True, eq=False)
class InteractionTrees:
    """Complete binary trees of depth ``depth``, node ``i``'s children at ``2i+1`` (left: value <=
    threshold) and ``2i+2``; ``features``/``thresholds``/``node_values`` are (trees, 2**depth - 1),
    ``leaves`` (trees, 2**depth). The log-odds are ``offset + scale * (the trees' sum)``: ``scale`` puts
    them on the additive model's scale (boosted trees fitted to separable classes spread their sums
    about twice as wide), so severity bands and margins set in log-odds mean the same under both."""

    names: tuple[str, ...]
    depth: int
    offset: float
    features: np.ndarray
    thresholds: np.ndarray
    leaves: np.ndarray
    node_values: np.ndarray
    scale: float = 1.0

    def __post_init__(self) -> None:
        internal, leaves = 2**self.depth - 1, 2**self.depth
        count = len(self.leaves)
        for name, array, width in (
            ("features", self.features, internal),
            ("thresholds", self.thresholds, internal),
            ("node_values", self.node_values, internal),
            ("leaves", self.leaves, leaves),
        ):
            if array.shape != (count, width):
                expected = (count, width)
                raise ValueError(f"interaction trees: {name} has shape {array.shape}, expected {expected}")
        if count and (self.features.min() < 0 or self.features.max() >= len(self.names)):
            raise ValueError("interaction trees: a split names a signal outside the signal list")
        object.__setattr__(self, "_rows", np.arange(count))
        getter = itemgetter(*self.names) if len(self.names) > 1 else _one(self.names)
        object.__setattr__(self, "_getter", getter)
        # Flat copies for :meth:`logit`, which runs on every request: every split is compared at once,
        # then each tree's path is read off the comparisons (flat ``take`` is ~2x faster than 2-D
        # fancy indexing here).
        object.__setattr__(self, "_flat_features", self.features.ravel())
        object.__setattr__(self, "_flat_thresholds", self.thresholds.ravel())
        object.__setattr__(self, "_flat_leaves", self.leaves.ravel())
        object.__setattr__(self, "_tree_start", np.arange(count) * internal)
        object.__setattr__(self, "_leaf_start", np.arange(count) * leaves - internal)
        if internal <= 8:
            # A tree's comparisons, packed into one byte (bit k: node k went right), decide its leaf: a
            # table of every tree's leaf value for each of the 2**internal patterns turns the walk into
            # one lookup per tree. Each tree's splits are padded to 8 with never-true comparisons, so the
            # comparisons of all trees pack into bytes in one flat ``packbits``.
            patterns = np.arange(2**internal)
            went_right = (patterns[:, None] >> np.arange(internal)) & 1
            node = np.zeros(len(patterns), dtype=np.intp)
            for _ in range(self.depth):
                node = 2 * node + 1 + went_right[patterns, node]
            by_pattern = self.leaves[:, node - internal]
            pad = 8 - internal
            features = np.pad(self.features, ((0, 0), (0, pad)))
            thresholds = np.pad(
                self.thresholds.astype(np.float64), ((0, 0), (0, pad)), constant_values=np.inf
            )
            object.__setattr__(self, "_byte_features", features.ravel())
            object.__setattr__(self, "_byte_thresholds", thresholds.ravel())
            object.__setattr__(self, "_pattern_leaves", np.ascontiguousarray(by_pattern).ravel())
            object.__setattr__(self, "_pattern_start", np.arange(count) * len(patterns))

    def vector(self, signals: Mapping[str, float]) -> np.ndarray:
        """The signals in the trees' column order (a signal not given counts as 0)."""
        try:  # the stages give every signal: one C-level lookup of all of them
            return np.array(self._getter(signals), dtype=np.float64)  # type: ignore[attr-defined]
        except KeyError:
            values = (signals.get(name, 0.0) for name in self.names)
            return np.fromiter(values, dtype=np.float64, count=len(self.names))

    def _paths(self, x: np.ndarray) -> np.ndarray:
        """Each tree's node index at every level: (depth + 1, trees)."""
        rows: np.ndarray = self._rows  # type: ignore[attr-defined]
        node = np.zeros(len(rows), dtype=np.int64)
        path = [node]
        for _ in range(self.depth):
            right = x[self.features[rows, node]] > self.thresholds[rows, node]
            node = 2 * node + 1 + right
            path.append(node)
        return np.stack(path)

    def logit(self, signals: Mapping[str, float]) -> float:
        """The calibrated log-odds of the signals."""
        x = self.vector(signals)
        table = getattr(self, "_pattern_leaves", None)
        if table is not None:
            right = x.take(self._byte_features) > self._byte_thresholds  # type: ignore[attr-defined]
            packed = np.packbits(right, bitorder="little")
            total = float(table.take(self._pattern_start + packed).sum())  # type: ignore[attr-defined]
            return self.offset + self.scale * total
        right = (x.take(self._flat_features) > self._flat_thresholds).view(np.int8)  # type: ignore[attr-defined]
        start: np.ndarray = self._tree_start  # type: ignore[attr-defined]
        node = np.zeros(len(start), dtype=np.intp)
        for _ in range(self.depth):
            node = 2 * node + 1 + right.take(start + node)
        total = float(self._flat_leaves.take(self._leaf_start + node).sum())  # type: ignore[attr-defined]
        return self.offset + self.scale * total

    def logit_rows(self, x: np.ndarray, chunk: int = 20_000) -> np.ndarray:
        """:meth:`logit` of every row of ``x`` (columns in :attr:`names` order), in chunks."""
        rows: np.ndarray = self._rows  # type: ignore[attr-defined]
        out = []
        for start in range(0, len(x), chunk):
            block = np.asarray(x[start : start + chunk], dtype=np.float64)
            at = np.arange(len(block))[:, None]
            node = np.zeros((len(block), len(rows)), dtype=np.int64)
            for _ in range(self.depth):
                node = 2 * node + 1 + (block[at, self.features[rows, node]] > self.thresholds[rows, node])
            out.append(self.offset + self.scale * self.leaves[rows, node - (2**self.depth - 1)].sum(axis=1))
        return np.concatenate(out) if out else np.empty(0)

    def attribution(self, signals: Mapping[str, float]) -> dict[str, tuple[float, float]]:
        """Per signal: what its splits added to the trees' sum along the paths taken, in the trees' own
        units before ``scale`` (negative: it lowered the score), and the lowest threshold it was found
        above where it added (its value where the evidence began to count; its own value when it only
        lowered the score)."""
        rows: np.ndarray = self._rows  # type: ignore[attr-defined]
        x = self.vector(signals)
        path = self._paths(x)
        values = np.concatenate([self.node_values, self.leaves], axis=1)
        added = np.zeros(len(self.names))
        lowest = x.copy()
        for level in range(self.depth):
            node, child = path[level], path[level + 1]
            feature = self.features[rows, node]
            change = values[rows, child] - values[rows, node]
            padded = np.isinf(self.thresholds[rows, node])  # an always-left split adds nothing
            change = np.where(padded, 0.0, change)
            np.add.at(added, feature, change)
            went_right = (child == 2 * node + 2) & (change > 0)
            np.minimum.at(lowest, feature[went_right], self.thresholds[rows, node][went_right])
        return {
            name: (float(added[i]), float(lowest[i])) for i, name in enumerate(self.names) if added[i] != 0.0
        }

    def to_dict(self, exact_splits: bool = False) -> dict[str, Any]:
        """The file's content. Splits are rounded to six digits unless ``exact_splits``: a split falls
        between two values the training traffic showed, signals sit on exact values (0.9 = 9 of the last
        10 requests), and a rounded split can land on one and send it down the other branch. The
        committed file predates ``exact_splits`` (README, "Split values")."""
        digits = None if exact_splits else 6
        return {
            "names": list(self.names),
            "depth": self.depth,
            "offset": round(self.offset, 6),
            "scale": round(self.scale, 6),
            "features": self.features.tolist(),
            "thresholds": [[_finite_or_none(t, digits) for t in row] for row in self.thresholds.tolist()],
            "leaves": np.round(self.leaves, 6).tolist(),
            "node_values": np.round(self.node_values, 6).tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InteractionTrees:
        thresholds = [[np.inf if t is None else t for t in row] for row in data["thresholds"]]
        depth = int(data["depth"])
        internal = 2**depth - 1
        return cls(
            names=tuple(data["names"]),
            depth=depth,
            offset=float(data["offset"]),
            features=_matrix(data["features"], internal, np.int64),
            thresholds=_matrix(thresholds, internal, np.float64),
            leaves=_matrix(data["leaves"], 2**depth, np.float64),
            node_values=_matrix(data["node_values"], internal, np.float64),
            scale=float(data.get("scale", 1.0)),
        )


def _matrix(rows: list[list[float]], width: int, dtype: type) -> np.ndarray:
    """Rows as a 2-D array (no trees: an empty one of the right width); ragged rows are refused."""
    if not rows:
        return np.zeros((0, width), dtype=dtype)
    if len({len(row) for row in rows}) != 1:
        raise ValueError("interaction trees: rows of unequal length in the file")
    return np.asarray(rows, dtype=dtype)


def _one(names: tuple[str, ...]) -> Any:
    """``itemgetter`` of a single name returns a scalar; the vector wants a sequence."""
    return lambda signals: [signals[name] for name in names]


def _finite_or_none(value: float, digits: int | None) -> float | None:
    if value == float("inf"):
        return None
    return value if digits is None else round(value, digits)


@lru_cache(maxsize=8)
def load_interactions(path: Path = INTERACTIONS_FILE) -> InteractionTrees:
    """The trees stored at ``path`` (JSON written by ``distillguard fit-fusion``), read once per path."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return InteractionTrees.from_dict(data["trees"])
