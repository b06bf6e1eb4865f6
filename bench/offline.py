"""Offline core: ``replay_file`` throughput over a JSONL file (in one process or sharded over processes),
how the core scales over independent processes on this machine, and a cProfile of the same code path."""

from __future__ import annotations

import cProfile
import itertools
import multiprocessing
import pstats
import time
from pathlib import Path
from typing import Any

from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.schemas.codec import decode_request
from distillguard.streams.replay import replay_file
from distillguard.streams.sharded_replay import replay_file_sharded

REPO_ROOT = Path(__file__).resolve().parents[1]


def replay_throughput(events_path: Path, alerts_path: Path, shards: int = 0) -> dict[str, Any]:
    """``distillguard replay`` over a file: in this process (``shards=0``) or sharded (process start-up
    included)."""
    started = time.perf_counter()
    if shards:
        stats = replay_file_sharded(events_path, alerts_path, DetectionConfig(), shards)
    else:
        stats = replay_file(events_path, alerts_path, DetectionConfig())
    elapsed = time.perf_counter() - started
    return {
        "shards": shards,
        "records": stats.records,
        "processed": stats.processed,
        "alerts": stats.alerts,
        "dead_letters": stats.dead_letters,
        "seconds": round(elapsed, 2),
        "events_per_s": round(stats.records / elapsed, 1),
    }


def _core_us_per_event(events_path: str, events: int) -> float:
    """Decode + detect the file's first ``events`` lines in a fresh Detector; µs per event."""
    with open(events_path, "rb") as handle:
        lines = list(itertools.islice(handle, events))
    detector = Detector(DetectionConfig())
    started = time.perf_counter()
    for line in lines:
        detector.process(decode_request(line))
    return (time.perf_counter() - started) / len(lines) * 1e6


def core_scaling(events_path: Path, events: int, processes: int = 2, rounds: int = 2) -> dict[str, Any]:
    """How much work ``processes`` independent detector processes get done together on this machine,
    relative to one alone: the ceiling for any scale-out (workers, shards) here. Alternating rounds."""
    context = multiprocessing.get_context("spawn")
    alone: list[float] = []
    together: list[float] = []
    for _ in range(rounds):
        for count, sink in ((1, alone), (processes, together)):
            with context.Pool(count) as pool:
                costs = pool.starmap(_core_us_per_event, [(str(events_path), events)] * count)
            sink.append(sum(1e6 / cost for cost in costs))
    best_alone, best_together = max(alone), max(together)
    return {
        "processes": processes,
        "events_per_process": events,
        "alone_events_per_s": [round(x) for x in alone],
        "together_events_per_s": [round(x) for x in together],
        "speedup": round(best_together / best_alone, 2),
    }


def _where(key: tuple[str, int, str]) -> str:
    filename, line, func = key
    if filename == "~":
        return func  # a builtin, e.g. "<method 'validate_python' ...>"
    path = Path(filename)
    try:
        shown = str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        parts = path.parts
        shown = "/".join(parts[parts.index("site-packages") + 1 :]) if "site-packages" in parts else path.name
    return f"{shown}:{line}({func})"


def profile_replay(events_path: Path, alerts_path: Path, top: int = 10) -> dict[str, Any]:
    """cProfile ``replay_file``; top functions by cumulative and by own time, as % of the total."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    stats = replay_file(events_path, alerts_path, DetectionConfig())
    profiler.disable()
    elapsed = time.perf_counter() - started
    ps = pstats.Stats(profiler)
    entries = ps.stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in entries.values())
    own_total = sum(tt for (_, _, tt, _, _) in entries.values())

    def row(key: Any, value: Any) -> dict[str, Any]:
        _, nc, tt, ct, _ = value
        return {
            "function": _where(key),
            "calls": nc,
            "cumulative_pct": round(100 * ct / total, 1),
            "own_pct": round(100 * tt / own_total, 1),
            "cumulative_s": round(ct, 3),
            "own_s": round(tt, 3),
        }

    def is_wrapper(key: tuple[str, int, str]) -> bool:
        """Frames that only wrap the detector (~100% cumulative, which says nothing)."""
        filename, _, func = key
        if func in ("replay_file", "replay_records", "<module>") or "builtins.exec" in func:
            return True
        return func == "process" and filename.endswith("models/detector.py")

    by_cum = sorted(entries.items(), key=lambda kv: kv[1][3], reverse=True)
    by_own = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)
    return {
        "records": stats.records,
        "profiled_seconds": round(elapsed, 2),
        "profiled_events_per_s": round(stats.records / elapsed, 1),
        "top_cumulative": [row(k, v) for k, v in by_cum if not is_wrapper(k)][:top],
        "top_own": [row(k, v) for k, v in by_own][:top],
    }
