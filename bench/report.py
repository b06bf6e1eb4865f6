"""Machine info, targets and the two outputs: ``bench/results.json`` and ``BENCHMARKS.md``."""

# Markdown prose (long lines) and typographic symbols (multiplication/minus signs) are intended here.
# ruff: noqa: E501, RUF001

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from distillguard.streams.broker.local import KAFKA_VERSION

REPO_ROOT = Path(__file__).resolve().parents[1]
KB = 1024


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False, cwd=REPO_ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


def machine_info() -> dict[str, Any]:
    cpu_model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    status = _first_line(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "cpu_model": cpu_model,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": mem_total_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "java": _first_line(["java", "-version"]),
        "kafka_broker": KAFKA_VERSION,
        "packages": {
            d: version(d)
            for d in (
                "faust-streaming",
                "mode-streaming",
                "aiokafka",
                "kafka-python",
                "river",
                "pydantic",
                "orjson",
                "numpy",
            )
        },
        "git_commit": _first_line(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty": status not in ("", "?"),
        "executable": sys.executable,
    }


def _get(results: dict[str, Any], *path: str) -> Any:
    node: Any = results
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: metric, target text, measured value (text + number) and PASS/MISS."""
    rows: list[dict[str, Any]] = []

    def add(metric: str, target: str, value: float | None, fmt: str, ok: bool | None, note: str = "") -> None:
        measured = "not measured" if value is None else fmt.format(value)
        rows.append(
            {
                "metric": metric,
                "target": target,
                "measured": measured,
                "value": value,
                "status": _status(ok if value is not None else None),
                "note": note,
            }
        )

    pt = _get(results, "phases", "passthrough", "events_per_s")
    pt_cpu = _get(results, "phases", "passthrough", "events_per_cpu_s")
    add("Faust passthrough (ceiling)", "—", pt, "{:,.0f} ev/s", None,
        f"bare agent, raw bytes in → out; {_fmt(pt_cpu)} ev per CPU-second")  # fmt: skip
    after = _get(results, "phases", "passthrough_after", "events_per_s")
    after_cpu = _get(results, "phases", "passthrough_after", "events_per_cpu_s")
    if after is not None:
        add("Faust passthrough, after the worker", "—", after, "{:,.0f} ev/s", None,
            f"the same, measured again right after the worker; {_fmt(after_cpu)} ev per CPU-second")  # fmt: skip
        if pt is not None:  # the worker is compared with the mean ceiling around it
            pt, pt_cpu = (pt + after) / 2, ((pt_cpu + after_cpu) / 2 if pt_cpu and after_cpu else pt_cpu)
    w = _get(results, "phases", "worker", "events_per_s")
    w_cpu = _get(results, "phases", "worker", "events_per_cpu_s")
    add("Detection worker throughput", "≥ 20,000 ev/s", w, "{:,.0f} ev/s", None if w is None else w >= 20_000,
        f"end to end through the cluster stage; {_fmt(w_cpu)} ev per CPU-second")  # fmt: skip
    ratio = (w / pt) if (w is not None and pt) else None
    cpu_ratio = (w_cpu / pt_cpu) if (w_cpu and pt_cpu) else None
    add("Worker / passthrough", "≥ 50%", None if ratio is None else 100 * ratio, "{:.1f}%",
        None if ratio is None else ratio >= 0.5,
        ("" if cpu_ratio is None else f"per CPU-second: {100 * cpu_ratio:.1f}%")
        + ("; vs the mean of the passthroughs before and after" if after is not None else ""))  # fmt: skip
    pb = _get(results, "phases", "passthrough_batched", "events_per_s")
    pb_cpu = _get(results, "phases", "passthrough_batched", "events_per_cpu_s")
    if pb is not None:
        add("Faust passthrough, batched", "—", pb, "{:,.0f} ev/s", None,
            f"batches of fetched records, acked after delivery; {_fmt(pb_cpu)} ev per CPU-second")  # fmt: skip
        b_ratio = (w / pb) if (w is not None and pb) else None
        b_cpu = (w_cpu / pb_cpu) if (w_cpu and pb_cpu) else None
        add("Worker / batched passthrough", "—", None if b_ratio is None else 100 * b_ratio, "{:.1f}%", None,
            "" if b_cpu is None else f"per CPU-second: {100 * b_cpu:.1f}%")  # fmt: skip
    rss = _get(results, "phases", "worker", "peak_rss_mb")
    add("Worker peak RSS (throughput run)", "—", rss, "{:,.0f} MB", None)
    rp = _get(results, "phases", "replay", "events_per_s")
    add(
        "Offline replay_file throughput",
        "≥ 20,000 ev/s",
        rp,
        "{:,.0f} ev/s",
        None if rp is None else rp >= 20_000,
    )
    dense = _get(results, "phases", "replay", "dense", "events_per_s")
    add("Offline replay at live density", "≥ 20,000 ev/s", dense, "{:,.0f} ev/s",
        None if dense is None else dense >= 20_000, "same events, 5 per ms of event time")  # fmt: skip
    for shards in ("1", "2"):
        sharded = _get(results, "phases", "replay", "sharded", shards, "events_per_s")
        if sharded is not None:
            add(f"Offline replay, `--shards {shards}`", "≥ 20,000 ev/s", sharded, "{:,.0f} ev/s",
                sharded >= 20_000, f"{2 * int(shards) + 1} processes; process start-up included")  # fmt: skip
    core = _get(results, "phases", "replay", "core_scaling") or {}
    if core.get("speedup") is not None:
        add("Core scaling, 2 independent processes", "—", core["speedup"], "{:.2f}×", None,
            "work 2 detector processes get done together vs 1 alone (best of "
            f"{len(core.get('alone_events_per_s', []))} alternating rounds): the ceiling for any "
            "scale-out on this machine")  # fmt: skip

    lat = _get(results, "phases", "latency") or {}
    p99 = _get(lat, "steady", "p99_ms")
    offered = lat.get("offered_rate")
    note = ""
    ok = None
    if p99 is not None and offered is not None:
        ok = p99 <= 250 and offered >= 5000
        if offered < 5000:
            note = f"offered load only {offered:,.0f} ev/s, not 5,000 ({lat.get('rate_reason', '')})"
        if not lat.get("sustained"):
            note += "; the worker did NOT keep up with this load (backlog grew), so latency includes queueing"
    add(
        "Event→alert latency p50",
        "—",
        _get(lat, "steady", "p50_ms"),
        "{:,.0f} ms" + (f" @ {offered:,.0f} ev/s" if offered else ""),
        None,
    )
    add(
        "Event→alert latency p99",
        "≤ 250 ms @ 5,000 ev/s",
        p99,
        "{:,.0f} ms" + (f" @ {offered:,.0f} ev/s" if offered else ""),
        ok,
        (f"{_get(lat, 'steady', 'alerts') or 0:,} alerts measured" + (f"; {note}" if note else "")),
    )

    layout = _get(results, "phases", "memory", "tracemalloc", "layout_bytes")
    add(
        "Account state (packed bytes)",
        "≤ 1 KB/account",
        layout,
        "{:,.0f} B",
        None if layout is None else layout <= KB,
    )
    py = _get(results, "phases", "memory", "tracemalloc", "python_bytes_per_account")
    add(
        "Account memory, Python (tracemalloc)",
        "≤ 1 KB/account",
        py,
        "{:,.0f} B",
        None if py is None else py <= KB,
        "state bytes + table key + recency index, per tracked account",
    )
    rss_acc = _get(results, "phases", "memory", "rss", "rss_delta_bytes_per_account")
    add(
        "Account memory, RSS delta",
        "≤ 1 KB/account",
        rss_acc,
        "{:,.0f} B",
        None if rss_acc is None else rss_acc <= KB,
    )
    mem = _get(results, "phases", "memory", "rss") or {}
    rss_1m = mem.get("rss_mb")
    accounts = mem.get("accounts") or 0
    note = ""
    if rss_1m is not None and accounts < 1_000_000:
        rss_1m = mem["rss_baseline_mb"] + mem["rss_delta_bytes_per_account"] * 1_000_000 / 2**20
        note = f"extrapolated from {accounts:,} accounts"
    add(
        "RSS at 1M tracked accounts (AccountStage)",
        "≤ 1.5 GB",
        rss_1m,
        "{:,.0f} MB",
        None if rss_1m is None else rss_1m <= 1536,
        note,
    )
    ev = _get(results, "phases", "memory", "evict") or {}
    bounded = (ev.get("cap_bounded") and ev.get("idle_bounded")) if ev else None
    add(
        "Eviction bounds tracked accounts",
        "max_accounts & idle_evict_hours hold",
        None if bounded is None else 1.0,
        "yes" if bounded else "NO",
        bounded,
    )
    sc = _get(results, "phases", "scaling", "factor")
    note = _get(results, "phases", "scaling", "note") or ""
    add("2 workers vs 1 (aggregate ev/s)", "≥ 1.7×", sc, "{:.2f}×", None if sc is None else sc >= 1.7, note)
    return rows


def write_json(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")


def _fmt(value: Any, spec: str = "{:,.0f}") -> str:
    if value is None:
        return "—"
    try:
        return spec.format(value)
    except (ValueError, TypeError):
        return str(value)


def _cpu_text(phase: dict[str, Any]) -> str:
    parts = []
    if phase.get("worker_cores_used") is not None:
        parts.append(f"worker process(es) used {phase['worker_cores_used']:.2f} cores")
    if phase.get("events_per_cpu_s"):
        parts.append(f"{phase['events_per_cpu_s']:,.0f} events per worker CPU-second")
    if phase.get("broker_cores_used") is not None:
        parts.append(f"broker {phase['broker_cores_used']:.2f} cores")
    return ", ".join(parts) if parts else "CPU not sampled"


def render_markdown(results: dict[str, Any]) -> str:
    m, cfg, phases = results["machine"], results["config"], results["phases"]
    rows = results["targets"]
    out: list[str] = []
    w = out.append
    w("# distillguard benchmarks\n")
    w(
        f"Generated by `make bench` (`python -m bench.run{' --quick' if cfg['quick'] else ''}`) on "
        f"{results['started_at']} — **{'QUICK smoke run: small samples, not representative' if cfg['quick'] else 'full run'}**; "
        f"total {results.get('total_seconds', 0):,.0f} s. Regenerated on every run; raw figures in `bench/results.json`.\n"
    )
    w("## Machine\n")
    pk = m["packages"]
    w(
        "| CPU | cores | RAM | Python | Kafka broker | faust-streaming | aiokafka | kafka-python | river | commit |"
    )
    w("|---|---|---|---|---|---|---|---|---|---|")
    w(
        f"| {m['cpu_model']} | {m['usable_cores']} | {m['ram_gb']} GB | {m['python']} | {m['kafka_broker']} "
        f"({m['java']}) | {pk['faust-streaming']} | {pk['aiokafka']} | {pk['kafka-python']} | {pk['river']} | "
        f"{m['git_commit']}{' (dirty)' if m['git_dirty'] else ''} |\n"
    )
    loads = results.get("load_average", {})
    if loads:
        w(
            "Load average (1 min) at the start of each phase — the broker, the worker(s) and the load generator "
            "share these cores, and other jobs on the machine also count: "
            + ", ".join(f"{k} {v:.2f}" for k, v in loads.items())
            + ".\n"
        )
    w("## Results vs targets\n")
    w("| Metric | Target | Measured | Status | Note |")
    w("|---|---|---|---|---|")
    for r in rows:
        w(f"| {r['metric']} | {r['target']} | {r['measured']} | **{r['status']}** | {r['note']} |")
    w("")
    errors = {k: v["error"] for k, v in phases.items() if isinstance(v, dict) and v.get("error")}
    if errors:
        w("**Phase errors:** " + "; ".join(f"`{k}`: {v}" for k, v in errors.items()) + "\n")

    w("## Details\n")
    wl = phases.get("workload", {})
    if wl:
        w(
            f"* **Workload**: {wl.get('events', 0):,} RequestEvents = {wl.get('replicas')} replicas of the simulator's "
            f"`{wl.get('scenario')}` scenario ({wl.get('base_events', 0):,} events, {wl.get('base_accounts')} accounts, "
            f"{wl.get('base_campaign_accounts')} in campaigns) with fresh event/account/org/key/payment ids, shifted "
            f"IPs and end-to-end event times → {wl.get('distinct_accounts', 0):,} distinct accounts, mean value "
            f"{wl.get('mean_value_bytes', 0):,.0f} B. Pre-produced to {cfg['partitions']} partitions with the "
            f"{wl.get('produce_client')}: {_fmt(wl.get('produce_records_per_s'))} rec/s, "
            f"{_fmt(wl.get('produce_mb_per_s'), '{:.1f}')} MB/s (no lz4/zstd library installed). For reference, a "
            f"throughput-tuned kafka-python producer (linger 20 ms, 1 MiB batches; what `streams/kafka_io.py` uses) "
            f"managed only {_fmt(wl.get('kafka_python_records_per_s'))} rec/s on {wl.get('kafka_python_probe_records', 0):,} records."
        )
    pt = phases.get("passthrough", {})
    if pt and not pt.get("error"):
        extent = (
            "the whole topic" if pt.get("completed") else f"time-capped at {cfg['passthrough_cap_s']:.0f} s"
        )
        w(
            f"* **Passthrough**: {pt.get('events', 0):,} of {cfg['events']:,} records consumed in {pt.get('seconds')} s "
            f"({extent}; output topic holds {pt.get('output_records', 0):,}); agent-side first→last "
            f"{_fmt(pt.get('agent_events_per_s'))} ev/s; {_cpu_text(pt)}; peak RSS {_fmt(pt.get('peak_rss_mb'))} MB."
        )
    pb = phases.get("passthrough_batched", {})
    if pb and not pb.get("error"):
        extent = (
            "the whole topic" if pb.get("completed") else f"time-capped at {cfg['passthrough_cap_s']:.0f} s"
        )
        w(
            f"* **Passthrough, batched** (`bench.passthrough --batched`: the records already fetched, up to 500, "
            f"copied one output record each, delivery awaited once per batch, then acked): "
            f"{pb.get('events', 0):,} records in {pb.get('seconds')} s ({extent}; output topic holds "
            f"{pb.get('output_records', 0):,}); {_cpu_text(pb)}; peak RSS {_fmt(pb.get('peak_rss_mb'))} MB."
        )
    wk = phases.get("worker", {})
    if wk and not wk.get("error"):
        st = wk.get("stage_mean_us", {})
        extent = (
            "all fully processed"
            if wk.get("completed")
            else f"NOT finished: safety cap {cfg['worker_cap_s']:.0f} s"
        )
        w(
            f"* **Detection worker** (`python -m streams.cli worker`, 1 process) over the first "
            f"{cfg.get('worker_events', 0):,} events of the same workload (a copy topic with the same "
            f"{cfg['partitions']} partitions): {wk.get('events', 0):,} events through the cluster stage in "
            f"{wk.get('seconds')} s ({extent}); {_cpu_text(wk)}; steady (after {cfg['warmup_s']:.0f} s warm-up) "
            f"{_fmt(_get(wk, 'steady', 'events_per_s'))} ev/s; peak RSS {_fmt(wk.get('peak_rss_mb'))} MB, tracked "
            f"accounts {_fmt(wk.get('tracked_accounts'))}, alerts {_fmt(wk.get('alerts'))}; mean in-agent time per "
            "record (batch busy time / records, without the wait for delivery): "
            + ", ".join(f"{k} {v:,.0f} µs" for k, v in st.items())
            + "; mean batch: "
            + ", ".join(f"{k} {v:,.0f}" for k, v in wk.get("mean_batch_items", {}).items())
            + " records. Counted as done when the cluster "
            "stage has scored the event (the `score_clusters` stage count + duplicates + dead letters); the "
            "`distillguard_events_total` counter only counts stage-1 consumption, which runs ahead."
        )
    sc = phases.get("scaling", {})
    if sc and not sc.get("error"):
        w(
            f"* **Scaling**: 2 workers (same app id, 2 of {cfg['partitions']} partitions each) over the same "
            f"{cfg.get('worker_events', 0):,} events: {_fmt(sc.get('two_workers_events_per_s'))} ev/s "
            f"(from both active to done; {_cpu_text(sc)}) vs 1 worker {_fmt(sc.get('one_worker_events_per_s'))} ev/s "
            f"→ {_fmt(sc.get('factor'), '{:.2f}')}×; per-worker share of the cluster-stage work {sc.get('per_worker_share')}, "
            f"of the account-stage work {sc.get('per_worker_stage1_share')} (records per partition {sc.get('partition_records')}). "
            f"{sc.get('note', '')}."
        )
    lat = phases.get("latency", {})
    if lat and not lat.get("error"):
        s = lat.get("steady", {})
        w(
            f"* **Latency**: paced producer (aiokafka, one asyncio loop with the alert tail) at "
            f"{_fmt(lat.get('offered_rate'))} ev/s for {lat.get('seconds')} s ({lat.get('rate_reason', '')}); worker "
            f"consumed {_fmt(lat.get('consumed_rate'))} ev/s while sending "
            f"({'kept up' if lat.get('sustained') else 'did NOT keep up'}), backlog at end of sending "
            f"{_fmt(lat.get('backlog_at_end'))}; {s.get('alerts', 0):,} alerts after the {lat.get('warmup_s')} s "
            f"warm-up: p50 {_fmt(s.get('p50_ms'))} ms, p90 {_fmt(s.get('p90_ms'))} ms, p99 {_fmt(s.get('p99_ms'))} ms, "
            f"max {_fmt(s.get('max_ms'))} ms (all {lat.get('all', {}).get('alerts', 0):,} alerts: p99 "
            f"{_fmt(lat.get('all', {}).get('p99_ms'))} ms). Attempts: "
            + "; ".join(
                f"{r['offered_rate']:,.0f} ev/s → consumed {_fmt(r.get('consumed_rate'))} ev/s, "
                f"{'sustained' if r.get('sustained') else 'not sustained'}, p99 {_fmt(r.get('steady', {}).get('p99_ms'))} ms"
                for r in lat.get("attempts", [])
            )
            + ". Latency = alert arrival at the tail − wall time when the trigger event was handed to the producer "
            "(the event's `ts`)."
        )
    rp = phases.get("replay", {})
    if rp and not rp.get("error"):
        w(
            f"* **Offline replay**: `replay_file` over {rp.get('records', 0):,} events (same workload, JSONL) in "
            f"{rp.get('seconds')} s, {rp.get('alerts', 0):,} alerts. The same traffic at live density (5 events per "
            f"ms of event time, as 5,000 ev/s of real traffic would be): {_fmt(_get(rp, 'dense', 'events_per_s'))} "
            f"ev/s over {_get(rp, 'dense', 'records') or 0:,} events ({_get(rp, 'dense', 'alerts') or 0:,} alerts)."
        )
        for shards, run in sorted(rp.get("sharded", {}).items()):
            w(
                f"* **Sharded replay** (`distillguard replay --shards {shards}`: {shards} account-stage and "
                f"{shards} cluster-stage processes keyed like partitions, the parent reading, routing and running "
                f"the alert stage; {'the serial output byte for byte' if shards == '1' else 'one population model per account shard'}): "
                f"{_fmt(run.get('events_per_s'))} ev/s over {run.get('records', 0):,} events in {run.get('seconds')} s "
                f"(process start-up included), {run.get('alerts', 0):,} alerts."
            )
        core = rp.get("core_scaling")
        if core:
            w(
                f"* **Core scaling**: {core['processes']} independent detector processes (decode + `Detector`, "
                f"{core['events_per_process']:,} events each) got {core['together_events_per_s']} ev/s done together "
                f"vs {core['alone_events_per_s']} ev/s for one alone (alternating rounds) → {core['speedup']}×: "
                "what this machine's cores allow any scale-out of the detector."
            )
    mem = phases.get("memory", {})
    if mem:
        tm, rs, ev = mem.get("tracemalloc", {}), mem.get("rss", {}), mem.get("evict", {})
        if tm and not tm.get("error"):
            tops = ", ".join(
                f"{t['where']} {t['bytes_per_account']:.0f} B" for t in tm.get("top_allocations", [])
            )
            w(
                f"* **State per account**: packed `AccountLayout` {tm.get('layout_bytes')} B ({tm.get('state_object_bytes')} B "
                f"as a Python bytes object); tracemalloc over {tm.get('accounts', 0):,} new accounts: "
                f"{_fmt(tm.get('python_bytes_per_account'))} B/account ({tops})."
            )
        if rs and not rs.get("error"):
            w(
                f"* **RSS**: {rs.get('accounts', 0):,} distinct accounts through `AccountStage` in one process: RSS "
                f"{_fmt(rs.get('rss_baseline_mb'))} → {_fmt(rs.get('rss_mb'))} MB ({_fmt(rs.get('rss_delta_bytes_per_account'))} "
                f"B/account), {rs.get('tracked_accounts', 0):,} tracked, {_fmt(rs.get('events_per_s'))} ev/s; checkpoints "
                + ", ".join(f"{c['accounts']:,}: {c['rss_mb']:,.0f} MB" for c in rs.get("checkpoints", []))
                + "."
            )
        if ev and not ev.get("error"):
            idle = ev.get("idle", {})
            w(
                f"* **Eviction**: with `account.max_accounts={ev.get('cap'):,}` over {ev.get('accounts', 0):,} accounts, "
                "tracked/table entries: "
                + ", ".join(
                    f"{c['accounts']:,}→{c['tracked']:,} ({c['rss_mb']:,.0f} MB)"
                    for c in ev.get("cap_checkpoints", [])
                )
                + f"; idle eviction ({idle.get('idle_evict_hours')} h, accounts {idle.get('step_s'):.0f} s apart): "
                f"{idle.get('tracked', 0):,} tracked of {idle.get('accounts', 0):,} (expected ≤ {idle.get('expected_tracked', 0):,})."
            )
    w("")
    prof = phases.get("profile", {})
    if prof and not prof.get("error"):
        w(f"## Offline core profile (cProfile, `replay_file` over {prof.get('records', 0):,} events)\n")
        w(
            f"Under the profiler: {_fmt(prof.get('profiled_events_per_s'))} ev/s. Top 10 by cumulative time "
            "(wrappers `replay_file`/`replay_records`/`Detector.process` omitted; % of total run time):\n"
        )
        w("| # | function | calls | cumulative % | own % |")
        w("|---|---|---|---|---|")
        for i, r in enumerate(prof.get("top_cumulative", []), 1):
            w(f"| {i} | `{r['function']}` | {r['calls']:,} | {r['cumulative_pct']} | {r['own_pct']} |")
        w("\nTop 10 by own (self) time:\n")
        w("| # | function | calls | own % | cumulative % |")
        w("|---|---|---|---|---|")
        for i, r in enumerate(prof.get("top_own", []), 1):
            w(f"| {i} | `{r['function']}` | {r['calls']:,} | {r['own_pct']} | {r['cumulative_pct']} |")
        w("")
    w("## Method\n")
    w(
        "* One run, one real local Kafka 3.9.1 broker (`streams.broker.local`, own home/port so tests are not "
        "disturbed). Every phase uses fresh topics and app ids (consumer groups); topics are deleted afterwards. "
        "The bench pre-creates each worker's internal repartition topics (observations, alert candidates): left to "
        "the worker on a fresh cluster, its consumer can subscribe before the topic exists and skip it for minutes."
    )
    w(
        "* Throughput = events done between the first poll (every 0.25 s) that showed progress and the poll where "
        "the count reached the topic size (passthrough: its `/stats` count, capped in time on the full topic; "
        "detection worker: events through the cluster stage from `/metrics`, over a head copy of the workload that "
        "it must finish). Steady rate excludes a warm-up. CPU = utime+stime of the worker process(es) and the "
        "broker from `/proc/<pid>/stat` over the same window; events per CPU-second is the figure least "
        "distorted by other load on the machine. Peak RSS = `VmHWM` from `/proc/<pid>/status`."
    )
    w(
        "* Latency phase: a fresh worker and topics; the offered rate is 5,000 ev/s if the worker's measured "
        "throughput allows it (≥ 10,000 ev/s), else half that throughput (stated above), and the run says whether the "
        "worker kept up (consumed ≥ 90% of the offered rate, backlog ≤ 2 s of load). Events are the simulator's "
        "(campaigns included) with fresh ids and `ts` = send wall time, so alerts fire during the phase."
    )
    w(
        "* Memory: subprocesses running `models.stages.AccountStage` alone (one event per account), warmed up with one "
        "pass over the base scenario so bounded caches are full before measuring."
    )
    w(
        "* Reproduce: `make bench` (full) or `DISTILLGUARD_BENCH_ARGS=--quick make bench`; "
        "`python -m bench.run --help` lists every knob.\n"
    )
    return "\n".join(out)
