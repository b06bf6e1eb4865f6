"""Replay an events file through one or more detectors and keep what the evaluation needs.

The evaluation never looks at the detector's internals: it feeds :class:`~schemas.RequestEvent` records in
file order to anything that follows the detector protocol (``process(event) -> list[SuspicionEvent]`` and
``last_assessment`` with ``account_id``, ``score`` and ``events_seen``) and keeps

* every alert it emits, and
* per account a compact score trace: the maximum score and, for each threshold of a fixed ascending grid,
  the account's own request index (``events_seen``) and event ts at which its score first reached the
  threshold.

Because a score that reaches threshold ``t_k`` also reaches every lower threshold, the grid is filled in
prefix order, so a trace is two append-only lists: memory is O(accounts x grid) and each event costs
amortised O(1), independent of how many events an account sends. That is what lets
:mod:`evaluation.sweep` answer "what if ``fusion.medium`` were t" for every t without a second replay.

All detectors share one pass over the file: each line is decoded once (invalid lines are skipped and
counted, as the worker's dead-letter path would) and handed to every detector. ``models`` is imported
lazily so this module imports before the detection core exists.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from distillguard.models.partitioning import DEFAULT_PARTITIONS
from distillguard.schemas.codec import DecodeError, decode_request
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent

MAIN_DETECTOR = "distillguard"


def make_grid(step: float = 0.01) -> tuple[float, ...]:
    """Ascending thresholds ``step, 2*step, ...`` strictly inside (0, 1), the valid range of a severity
    threshold such as ``fusion.medium``."""
    if not 0 < step < 1:
        raise ValueError(f"grid step must be in (0, 1), got {step}")
    count = round(1 / step)
    return tuple(t for t in (round(k * step, 10) for k in range(1, count + 1)) if t < 1.0)


DEFAULT_GRID = make_grid(0.01)


class DetectorLike(Protocol):
    """What the runner needs from a detector (``models.detector.Detector`` and every baseline)."""

    last_assessment: Any

    def process(self, event: RequestEvent) -> list[SuspicionEvent]: ...


@dataclass(slots=True)
class AccountTrace:
    """One account's score history, compressed to what a threshold sweep needs.

    ``cross_n[i]`` / ``cross_ts[i]`` are the account's own request index and the event ts at which its
    score first reached ``grid[i]``; the lists are as long as the number of grid thresholds reached so far.
    """

    requests: int = 0
    max_score: float = 0.0
    cross_n: list[int] = field(default_factory=list)
    cross_ts: list[int] = field(default_factory=list)

    def observe(self, score: float, events_seen: int, ts: int, grid: tuple[float, ...]) -> None:
        """Record one assessed (non-duplicate) request of the account."""
        self.requests = max(self.requests, events_seen)
        self.max_score = max(self.max_score, score)
        reached = len(self.cross_n)
        while reached < len(grid) and score >= grid[reached]:
            self.cross_n.append(events_seen)
            self.cross_ts.append(ts)
            reached += 1

    def crossed(self, index: int) -> bool:
        """Whether the score ever reached ``grid[index]``."""
        return index < len(self.cross_n)


@dataclass(slots=True)
class EventStats:
    """Facts about the events file itself, independent of any detector.

    ``requests`` counts valid event lines per account; ``first_ts`` is the account's earliest event ts
    (the origin of time-to-detect in minutes).
    """

    events_total: int = 0
    invalid_lines: int = 0
    first_ts: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    invalid_reasons: Counter[str] = field(default_factory=Counter)

    def add(self, event: RequestEvent) -> None:
        self.events_total += 1
        account = event.account_id
        self.requests[account] = self.requests.get(account, 0) + 1
        previous = self.first_ts.get(account)
        if previous is None or event.ts < previous:
            self.first_ts[account] = event.ts

    def add_invalid(self, reason: str) -> None:
        self.invalid_lines += 1
        self.invalid_reasons[reason.split(":", 1)[0][:80]] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "events_total": self.events_total,
            "invalid_lines": self.invalid_lines,
            "accounts": len(self.requests),
            "invalid_reasons": dict(self.invalid_reasons.most_common(10)),
        }


@dataclass(slots=True)
class RunResult:
    """Everything one detector produced over one events file."""

    name: str
    grid: tuple[float, ...]
    events: EventStats
    alerts: list[SuspicionEvent] = field(default_factory=list)
    traces: dict[str, AccountTrace] = field(default_factory=dict)
    duplicates: int = 0
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Run summary (no alerts or traces) for the report's run section."""
        processed = self.events.events_total
        return {
            "name": self.name,
            "alerts": len(self.alerts),
            "accounts_assessed": len(self.traces),
            "duplicates": self.duplicates,
            "elapsed_s": round(self.elapsed_s, 3),
            "events_per_s": round(processed / self.elapsed_s, 1) if self.elapsed_s > 0 else None,
        }


def read_events(events_path: str | Path, stats: EventStats | None = None) -> Iterator[RequestEvent]:
    """Decode events in file order; invalid lines are counted into ``stats`` and skipped."""
    stats = stats if stats is not None else EventStats()
    with Path(events_path).open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                event = decode_request(line)
            except DecodeError as exc:
                stats.add_invalid(exc.reason)
                continue
            stats.add(event)
            yield event


def _feed(result: RunResult, detector: DetectorLike, event: RequestEvent, min_events: int) -> None:
    started = time.perf_counter()
    alerts = detector.process(event)
    result.elapsed_s += time.perf_counter() - started
    result.alerts.extend(alerts)
    assessment = getattr(detector, "last_assessment", None)
    seen = getattr(assessment, "events_seen", None)
    if assessment is None or seen is None:
        result.duplicates += 1
        return
    trace = result.traces.get(assessment.account_id)
    if trace is None:
        trace = result.traces[assessment.account_id] = AccountTrace()
    # Scores before an account's min_events-th request cannot alert (every detector enforces the same
    # gate), so the sweep must not count them either.
    trace.observe(float(assessment.score) if seen >= min_events else 0.0, int(seen), event.ts, result.grid)


def run_detectors(
    detectors: Mapping[str, DetectorLike],
    events_path: str | Path,
    grid: tuple[float, ...] = DEFAULT_GRID,
    min_events: int = 1,
) -> tuple[EventStats, dict[str, RunResult]]:
    """Stream the file once through every detector; returns the file's stats and one result per detector.

    ``min_events`` is the alerting gate (``account.min_events``): earlier scores are not traced.

    Detectors after the first get a shallow copy of each event, so one that reassigns a field cannot
    change what the others see.
    """
    stats = EventStats()
    results = {name: RunResult(name=name, grid=grid, events=stats) for name in detectors}
    pairs = [(results[name], det) for name, det in detectors.items()]
    for event in read_events(events_path, stats):
        for position, (result, detector) in enumerate(pairs):
            _feed(result, detector, event if position == 0 else event.model_copy(), min_events)
    return stats, results


def run_detector(
    detector: DetectorLike,
    events_path: str | Path,
    grid: tuple[float, ...] = DEFAULT_GRID,
    name: str = MAIN_DETECTOR,
) -> RunResult:
    """Stream ``events_path`` through one detector, collecting its alerts and per-account score traces."""
    _, results = run_detectors({name: detector}, events_path, grid)
    return results[name]


def scan_events(events_path: str | Path) -> EventStats:
    """Per-account request counts and first-event ts, without running any detector."""
    stats, _ = run_detectors({}, events_path)
    return stats


def detector_factories(
    config: Any = None,
    include_baselines: bool = True,
    baseline_config: Any = None,
    partitions: int = DEFAULT_PARTITIONS,
) -> dict[str, Callable[[], Any]]:
    """Factories for ``distillguard`` (``models.detector.Detector``, its soft models scoped to
    ``partitions`` input partitions like the worker's) and, optionally, every baseline
    (:func:`evaluation.baselines.baseline_factories`, tuned by ``baseline_config``)."""
    from distillguard.models.config import DetectionConfig

    cfg = config if config is not None else DetectionConfig()
    from distillguard.models.detector import (
        Detector,  # separate block: ruff's import grouping of models/ varies
    )

    factories: dict[str, Callable[[], Any]] = {MAIN_DETECTOR: lambda: Detector(cfg, partitions=partitions)}
    if include_baselines:
        from distillguard.evaluation.baselines import baseline_factories

        for name, build in baseline_factories(baseline_config).items():
            factories[name] = lambda build=build: build(cfg, baseline_config)
    return factories


def run_all(
    events_path: str | Path,
    config: Any = None,
    include_baselines: bool = True,
    grid: tuple[float, ...] = DEFAULT_GRID,
    factories: Mapping[str, Callable[[], DetectorLike]] | None = None,
    baseline_config: Any = None,
) -> dict[str, RunResult]:
    """Run ``distillguard`` plus every baseline over the same file in one pass.

    ``factories`` replaces the detectors built from ``models`` (tests pass fakes here).
    """
    chosen = (
        factories if factories is not None else detector_factories(config, include_baselines, baseline_config)
    )
    _, results = run_detectors({name: build() for name, build in chosen.items()}, events_path, grid)
    return results
