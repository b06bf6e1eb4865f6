"""Memory per tracked account, measured on :class:`models.stages.AccountStage` in a clean process.

Each account sends one simulated request (real prompts, so feature extraction does its usual work), so
N events = N distinct tracked accounts. Modes (one per subprocess, so RSS figures are not polluted)::

    python -m bench.memory tracemalloc --accounts 20000   Python bytes allocated per tracked account
    python -m bench.memory rss --accounts 1000000         RSS at N accounts, RSS delta per account
    python -m bench.memory evict --accounts 300000 --cap 100000
                                                          max_accounts=cap, then idle eviction

Prints one JSON object on the last stdout line.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from bench.procs import proc_status_kb
from bench.workload import BaseTraffic
from distillguard.models.account_state import AccountLayout
from distillguard.models.config import DetectionConfig
from distillguard.models.stages import AccountStage
from distillguard.schemas.request_event import RequestEvent

WARMUP_ACCOUNTS = 2_000


def _rss_kb() -> int:
    return proc_status_kb(os.getpid()).get("VmRSS", 0)


def iter_account_events(base: BaseTraffic, start: int, count: int, step_ms: int) -> Iterator[RequestEvent]:
    """One request per account ``mem-<i>``, i in [start, start+count), ``step_ms`` apart in event time."""
    events = base.events
    t0 = events[0]["ts"]
    for i in range(start, start + count):
        src = events[i % len(events)]
        e = dict(src)
        e["account_id"] = f"mem-{i:08d}"
        e["event_id"] = f"mem-e{i}"
        e["ts"] = t0 + i * step_ms
        if src.get("account_created_ts") is not None:
            e["account_created_ts"] = e["ts"] - (src["ts"] - src["account_created_ts"])
        yield RequestEvent.model_validate(e)


def _feed(stage: AccountStage, events: Iterator[RequestEvent]) -> None:
    process = stage.process
    for event in events:
        process(event)


def _warmup(base: BaseTraffic) -> int:
    """Warm-up accounts: one pass over every base event, so bounded caches (e.g. the embedder's gram
    LRU) are filled before measuring and only per-account growth remains."""
    return max(WARMUP_ACCOUNTS, len(base.events))


def _label(filename: str, lineno: int) -> str:
    name = Path(filename).name
    if name == "memory.py":  # objects this harness creates that the stage keeps: the account id and ts
        return f"account id/ts objects kept by the stage (created at {name}:{lineno})"
    return f"{name}:{lineno}"


def run_tracemalloc(base: BaseTraffic, accounts: int) -> dict[str, Any]:
    config = DetectionConfig()
    stage = AccountStage(config)
    warm = _warmup(base)
    _feed(stage, iter_account_events(base, 0, warm, 1))
    gc.collect()
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    before, _ = tracemalloc.get_traced_memory()
    _feed(stage, iter_account_events(base, warm, accounts, 1))
    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    top = [
        {
            "where": _label(s.traceback[0].filename, s.traceback[0].lineno),
            "bytes_per_account": round(s.size_diff / accounts, 1),
        }
        for s in snap1.compare_to(snap0, "lineno")[:6]
        if s.size_diff > accounts
    ]
    sample_key = f"mem-{warm:08d}"
    state = stage.accounts[sample_key]
    return {
        "accounts": accounts,
        "warmup_accounts": warm,
        "traced_bytes": after - before,
        "python_bytes_per_account": round((after - before) / accounts, 1),
        "layout_bytes": AccountLayout(config.account).size,
        "state_object_bytes": sys.getsizeof(state),
        "key_object_bytes": sys.getsizeof(sample_key),
        "top_allocations": top,
        "tracked_accounts": stage.tracked_accounts,
    }


def run_rss(base: BaseTraffic, accounts: int) -> dict[str, Any]:
    stage = AccountStage(DetectionConfig())
    warm = _warmup(base)
    _feed(stage, iter_account_events(base, 0, warm, 1))
    gc.collect()
    rss0 = _rss_kb()
    checkpoints = []
    marks = sorted({m for m in (accounts // 10, accounts // 4, accounts // 2, accounts) if m > 0})
    done = 0
    started = time.perf_counter()
    for mark in marks:
        _feed(stage, iter_account_events(base, warm + done, mark - done, 1))
        done = mark
        checkpoints.append(
            {
                "accounts": done,
                "rss_mb": round(_rss_kb() / 1024, 1),
                "tracked": stage.tracked_accounts,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    elapsed = time.perf_counter() - started
    rss1 = _rss_kb()
    return {
        "accounts": accounts,
        "rss_baseline_mb": round(rss0 / 1024, 1),
        "rss_mb": round(rss1 / 1024, 1),
        "rss_delta_bytes_per_account": round((rss1 - rss0) * 1024 / accounts, 1),
        "tracked_accounts": stage.tracked_accounts,
        "table_entries": len(stage.accounts),
        "evicted": stage.evicted,
        "seconds": round(elapsed, 1),
        "events_per_s": round(accounts / elapsed, 1),
        "checkpoints": checkpoints,
    }


def run_evict(base: BaseTraffic, accounts: int, cap: int) -> dict[str, Any]:
    """(1) max_accounts=cap over ``accounts`` accounts; (2) idle eviction with the default 72 h horizon."""
    config = DetectionConfig.model_validate({"account": {"max_accounts": cap}})
    stage = AccountStage(config)
    checkpoints = []
    marks = sorted({m for m in (cap // 2, cap, (cap + accounts) // 2, accounts) if 0 < m <= accounts})
    done = 0
    for mark in marks:
        _feed(stage, iter_account_events(base, done, mark - done, 1))
        done = mark
        gc.collect()
        checkpoints.append(
            {
                "accounts": done,
                "rss_mb": round(_rss_kb() / 1024, 1),
                "tracked": stage.tracked_accounts,
                "table_entries": len(stage.accounts),
                "evicted": stage.evicted,
            }
        )
    # Idle eviction: accounts 60 s apart in event time, default cap; horizon 72 h = 4,320 accounts.
    idle_config = DetectionConfig()
    idle_stage = AccountStage(idle_config)
    step_ms = 60_000
    idle_n = min(accounts, 20_000)
    _feed(idle_stage, iter_account_events(base, 0, idle_n, step_ms))
    horizon_accounts = int(idle_config.account.idle_evict_hours * 3_600_000 / step_ms) + 1
    return {
        "cap": cap,
        "accounts": accounts,
        "cap_checkpoints": checkpoints,
        "cap_bounded": all(c["tracked"] <= cap and c["table_entries"] <= cap for c in checkpoints),
        "idle": {
            "accounts": idle_n,
            "step_s": step_ms / 1000,
            "idle_evict_hours": idle_config.account.idle_evict_hours,
            "expected_tracked": min(idle_n, horizon_accounts),
            "tracked": idle_stage.tracked_accounts,
            "table_entries": len(idle_stage.accounts),
            "evicted": idle_stage.evicted,
        },
        "idle_bounded": idle_stage.tracked_accounts <= horizon_accounts + 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["tracemalloc", "rss", "evict"])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--cap", type=int, default=100_000)
    parser.add_argument("--scenario", default="small")
    args = parser.parse_args()
    base = BaseTraffic.generate(args.scenario)
    if args.mode == "tracemalloc":
        result = run_tracemalloc(base, args.accounts)
    elif args.mode == "rss":
        result = run_rss(base, args.accounts)
    else:
        result = run_evict(base, args.accounts, args.cap)
    result["peak_rss_mb"] = round(proc_status_kb(os.getpid()).get("VmHWM", 0) / 1024, 1)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
