"""MIDAS-style burst score: is this (cluster, time bucket) edge arriving much faster than its history?

MIDAS (Bhatia et al., AAAI 2020) keeps two count-min sketches, the current time bucket's counts and
all-time totals, and scores an edge with a chi-square statistic of current vs. expected counts. The
MIDAS-R variant decays the current counts instead of zeroing them, so a burst that straddles a bucket
boundary still scores.

>>> b = MidasBurst(width=256, depth=2, decay=0.5)
>>> _ = [b.score("c1", bucket) for bucket in range(10)]       # one event per bucket: steady
>>> steady = b.score("c1", 10)
>>> burst = max(b.score("c1", 11) for _ in range(30))          # thirty in one bucket
>>> burst > 10 * max(steady, 1.0)
True
"""

from __future__ import annotations

from array import array
from typing import Any

from distillguard.models.sketches import CountMin


class MidasBurst:
    """Chi-square burst score over keyed edges in discrete time buckets."""

    def __init__(self, width: int = 4096, depth: int = 4, decay: float = 0.5, idle_gap: int = 64) -> None:
        self.current = CountMin(width, depth)
        self.total = CountMin(width, depth)
        self.members: set[tuple[str, str]] = set()  # (key, member) pairs counted in the current bucket
        self.decay = decay
        self.idle_gap = idle_gap
        self.bucket = 0
        self.first_bucket: int | None = None
        self._jump: int | None = None  # an unconfirmed far-ahead bucket
        self._events = 0  # events counted so far (the first one alone cannot vouch for its clock)

    def score(self, key: str, bucket: int, member: str | None = None) -> float:
        """Count one ``key`` edge at time ``bucket`` and return its chi-square burst score (≥ 0).

        With ``member`` (an account id), each member counts once per bucket: the score then measures
        how many *distinct* accounts hit the key together (lockstep), not one account's own burst.
        """
        return self._count(key, self._advance(bucket), member)

    def score_keys(self, keys: list[str], bucket: int, member: str | None = None) -> float:
        """One event counted under several keys (its cluster, its cluster on its ASN): the highest score.

        The clock moves once per event, so an outlier timestamp cannot confirm its own jump through its
        second key.
        """
        bucket = self._advance(bucket)
        return max(self._count(key, bucket, member) for key in keys)

    def _advance(self, bucket: int) -> int:
        """Move the clock to ``bucket`` (decaying the current counts); the bucket the event counts in."""
        self._events += 1
        if self.first_bucket is None:
            self.first_bucket = self.bucket = bucket
        if bucket > self.bucket + self.idle_gap:
            # A jump past a long silence moves the clock only when a second event confirms it: one
            # outlier timestamp must not decay every key or stretch the history. A clock set by the very
            # first event alone is no history to defend (that event may be the outlier).
            confirmed = self._events == 2 or (
                self._jump is not None and abs(bucket - self._jump) <= self.idle_gap
            )
            self._jump = None if confirmed else bucket
            if not confirmed:
                bucket = self.bucket
        else:
            self._jump = None
        if bucket > self.bucket:
            gap = bucket - self.bucket
            self.current.scale(self.decay ** min(gap, self.idle_gap))
            self.members.clear()
            if gap > self.idle_gap:
                # The silence (or an outlier first timestamp before it) is not history, else every
                # later expectation s/t would be diluted by empty buckets.
                self.first_bucket += gap
            self.bucket = bucket
        return bucket

    def _count(self, key: str, bucket: int, member: str | None) -> float:
        # Both sketches have one shape, so the key's cells are looked up once for both.
        cells = self.current.cells_of(key)
        if member is not None:
            pair = (key, member)  # in-memory only and cleared every bucket, so no stable hash needed
            if pair in self.members:
                return self._chi2(self.current.estimate_at(cells), self.total.estimate_at(cells))
            self.members.add(pair)
        return self._chi2(self.current.add_at(cells), self.total.add_at(cells))

    def __getstate__(self) -> dict[str, Any]:
        """Picklable state (for the partition snapshots of models.soft_state): a sketch's cells as one
        packed array of doubles; its key→cells cache is rebuilt on load."""
        state = dict(self.__dict__)
        state["current"], state["total"] = _sketch_state(self.current), _sketch_state(self.total)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["current"], state["total"] = _sketch_from(state["current"]), _sketch_from(state["total"])
        self.__dict__.update(state)

    def _chi2(self, a: float, s: float) -> float:
        t = max(1, self.bucket - self.first_bucket + 1)
        if t == 1 or s == 0:
            return 0.0
        return (a - s / t) ** 2 * t * t / (s * (t - 1))


def _sketch_state(sketch: CountMin) -> tuple[int, int, bytes, float]:
    return sketch.width, sketch.depth, array("d", sketch.cells).tobytes(), sketch.scale_factor


def _sketch_from(state: tuple[int, int, bytes, float]) -> CountMin:
    width, depth, cells, scale_factor = state
    sketch = CountMin(width, depth)
    sketch.cells = array("d", cells).tolist()
    sketch.scale_factor = scale_factor
    return sketch
