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

from models.sketches import CountMin


class MidasBurst:
    """Chi-square burst score over keyed edges in discrete time buckets."""

    def __init__(self, width: int = 4096, depth: int = 4, decay: float = 0.5) -> None:
        self.current = CountMin(width, depth)
        self.total = CountMin(width, depth)
        self.decay = decay
        self.bucket = 0
        self.first_bucket: int | None = None

    def score(self, key: str, bucket: int) -> float:
        """Count one ``key`` edge at time ``bucket`` and return its chi-square burst score (≥ 0)."""
        if self.first_bucket is None:
            self.first_bucket = bucket
        if bucket > self.bucket:
            self.current.scale(self.decay ** min(bucket - self.bucket, 64))
            self.bucket = bucket
        a = self.current.add(key)
        s = self.total.add(key)
        t = max(1, self.bucket - self.first_bucket + 1)
        if t == 1 or s == 0:
            return 0.0
        return (a - s / t) ** 2 * t * t / (s * (t - 1))
