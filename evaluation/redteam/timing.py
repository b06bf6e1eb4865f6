"""When requests happen: human diurnal sessions, office hours, batch jobs and steady automation."""

from __future__ import annotations

import random

from .common import DAY_MS, HOUR_MS, MINUTE_MS, START_MS, lognormal_int

#: relative activity of a person by local hour (0-23): asleep at night, peaks late morning and evening
HUMAN = (
    0.10,
    0.05,
    0.03,
    0.02,
    0.02,
    0.04,
    0.12,
    0.30,
    0.55,
    0.80,
    0.95,
    1.00,
    0.85,
    0.90,
    0.95,
    0.95,
    0.85,
    0.75,
    0.70,
    0.80,
    0.90,
    0.85,
    0.55,
    0.25,
)
#: an office / school day
OFFICE = (
    0.01,
    0.01,
    0.01,
    0.01,
    0.01,
    0.02,
    0.05,
    0.25,
    0.70,
    1.00,
    1.00,
    0.95,
    0.60,
    0.90,
    1.00,
    0.95,
    0.85,
    0.55,
    0.25,
    0.12,
    0.08,
    0.05,
    0.03,
    0.02,
)
#: what a scheduler with a night-time backfill looks like
FLAT = tuple([1.0] * 24)


def local_hour(ts: int, tz: float) -> int:
    """Local clock hour of ``ts`` for a UTC offset ``tz`` (hours)."""
    return int((ts / HOUR_MS + tz) % 24)


def is_weekend(ts: int, tz: float) -> bool:
    """True on Saturday/Sunday local time (the window starts on a Monday)."""
    return int((ts + tz * HOUR_MS - START_MS) // DAY_MS) % 7 >= 5


def sample_ts(rng: random.Random, t0: int, t1: int, tz: float, profile: tuple[float, ...] = HUMAN) -> int:
    """One timestamp in [t0, t1) drawn with the hourly ``profile`` (rejection sampling)."""
    peak = max(profile)
    for _ in range(200):
        ts = rng.randrange(t0, max(t0 + 1, t1))
        if rng.random() * peak <= profile[local_hour(ts, tz)]:
            return ts
    return rng.randrange(t0, max(t0 + 1, t1))


def sessions(
    rng: random.Random,
    n_events: int,
    t0: int,
    t1: int,
    tz: float,
    *,
    profile: tuple[float, ...] = HUMAN,
    per_session: tuple[int, int] = (1, 6),
    gap_median_s: float = 70.0,
) -> list[list[int]]:
    """Split ``n_events`` into sessions that start per ``profile``; gaps inside a session are log-normal."""
    out: list[list[int]] = []
    left = n_events
    while left > 0:
        k = min(left, rng.randint(*per_session))
        start = sample_ts(rng, t0, t1, tz, profile)
        times = [start]
        for _ in range(k - 1):
            times.append(times[-1] + 1000 * lognormal_int(rng, gap_median_s, 0.8, 4, 3600))
        out.append([t for t in times if t < t1] or [start])
        left -= k
    out.sort(key=lambda s: s[0])
    return out


def steady(rng: random.Random, n_events: int, t0: int, t1: int, *, jitter: float = 0.35) -> list[int]:
    """Evenly paced automation with multiplicative jitter on the gaps."""
    if n_events <= 0:
        return []
    gap = (t1 - t0) / n_events
    ts = t0 + rng.random() * gap
    out = []
    for _ in range(n_events):
        out.append(int(ts))
        ts += gap * max(0.05, 1 + rng.uniform(-jitter, jitter))
    return [t for t in out if t < t1]


def bursts(
    rng: random.Random,
    n_events: int,
    t0: int,
    t1: int,
    tz: float,
    *,
    n_bursts: int,
    rate_per_min: float,
    profile: tuple[float, ...] = OFFICE,
) -> list[int]:
    """Batch jobs: ``n_bursts`` bursts, each sending its share at about ``rate_per_min``."""
    out: list[int] = []
    per = max(1, n_events // max(1, n_bursts))
    for _ in range(n_bursts):
        ts = sample_ts(rng, t0, t1, tz, profile)
        for _ in range(per):
            ts += int(MINUTE_MS / rate_per_min * rng.uniform(0.3, 1.7))
            if ts >= t1:
                break
            out.append(ts)
    return sorted(out)
