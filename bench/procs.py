"""Worker subprocesses for the benchmark: start, wait for /readyz, poll counters, sample RSS, stop.

Only processes started here are ever signalled, by their own pid (each runs in its own session).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status_kb(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) of ``pid`` in KiB, from /proc (empty dict if unavailable)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by ``pid`` (all threads), from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def parse_prometheus(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name] = float(value)
        except ValueError:
            continue
    return values


@dataclass
class WorkerProc:
    """One worker subprocess (detection worker or passthrough) and what we sampled from it."""

    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log_path: Path
    log_handle: IO[bytes]
    peak_rss_kb: int = 0
    last_rss_kb: int = 0
    rss_samples: list[tuple[float, int]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def sample_rss(self) -> None:
        status = proc_status_kb(self.pid)
        if status:
            self.last_rss_kb = status.get("VmRSS", 0)
            self.peak_rss_kb = max(self.peak_rss_kb, status.get("VmHWM", 0), self.last_rss_kb)
            self.rss_samples.append((time.monotonic(), self.last_rss_kb))

    def get(self, path: str, timeout: float = 2.0) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
            return response.read()

    def metrics(self) -> dict[str, float]:
        return parse_prometheus(self.get("/metrics").decode())

    def stats(self) -> dict[str, Any]:
        return orjson.loads(self.get("/stats"))

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Block until /readyz says ready; returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with code {self.popen.returncode}; see {self.log_path}"
                )
            try:
                if orjson.loads(self.get("/readyz")).get("ready"):
                    return time.monotonic() - started
            except OSError:
                pass
            except ValueError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}")

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.alive():
            self.sample_rss()
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.log_handle.close()
        return self.popen.returncode


def _spawn(name: str, args: Sequence[str], env: dict[str, str], port: int, log_dir: Path) -> WorkerProc:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    handle = log_path.open("wb")
    popen = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return WorkerProc(name, popen, port, log_path, handle)


def detection_env(
    bootstrap: str, *, app_id: str, requests: str, prefix: str, partitions: int, port: int, data_dir: Path
) -> dict[str, str]:
    """Environment for ``python -m streams.cli worker`` with fresh app id and topics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGUARD_TOPICS__")}
    env.update(
        {
            "KAFKA_BOOTSTRAP": bootstrap,
            "DISTILLGUARD_TOPICS__REQUESTS": requests,
            "DISTILLGUARD_TOPICS__ALERTS": f"{prefix}.alerts",
            "DISTILLGUARD_TOPICS__DEAD_LETTER": f"{prefix}.dlq",
            "DISTILLGUARD_TOPICS__CLUSTER_REPARTITION": f"{prefix}.observations-by-cluster",
            "DISTILLGUARD_TOPICS__PARTITIONS": str(partitions),
            "DISTILLGUARD_WORKER__APP_ID": app_id,
            "DISTILLGUARD_WORKER__DATA_DIR": str(data_dir),
            "DISTILLGUARD_WORKER__WEB_PORT": str(port),
            "DISTILLGUARD_WORKER__LOG_LEVEL": "WARNING",
        }
    )
    return env


def start_detection_worker(name: str, env: dict[str, str], log_dir: Path) -> WorkerProc:
    return _spawn(
        name,
        ["-m", "distillguard.streams.cli", "worker"],
        env,
        int(env["DISTILLGUARD_WORKER__WEB_PORT"]),
        log_dir,
    )


def start_passthrough(
    name: str,
    *,
    bootstrap: str,
    app_id: str,
    source: str,
    sink: str,
    partitions: int,
    data_dir: Path,
    log_dir: Path,
    batched: bool = False,
) -> WorkerProc:
    port = free_port()
    args = [
        "-m",
        "bench.passthrough",
        *(["--batched"] if batched else []),
        "--app-id",
        app_id,
        "--bootstrap",
        bootstrap,
        "--source",
        source,
        "--sink",
        sink,
        "--partitions",
        str(partitions),
        "--web-port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    env = {**os.environ, "KAFKA_BOOTSTRAP": bootstrap}
    return _spawn(name, args, env, port, log_dir)


def events_total(proc: WorkerProc) -> float:
    """Records the worker's first agent has consumed (stage 1 only)."""
    return proc.metrics().get("distillguard_events_total", 0.0)


def events_completed(proc: WorkerProc) -> float:
    """Records fully through the pipeline: scored by the cluster stage, or dropped as duplicate/invalid.

    ``distillguard_events_total`` alone overstates throughput: with a backlog, the account agent runs far
    ahead of the cluster agent that consumes the repartition topic (the alerts come out minutes later).
    """
    m = proc.metrics()
    return (
        m.get('distillguard_stage_items_total{stage="cluster"}', 0.0)
        + m.get("distillguard_duplicate_events_total", 0.0)
        + m.get("distillguard_dead_letters_total", 0.0)
    )


def passthrough_count(proc: WorkerProc) -> float:
    return float(proc.stats()["count"])


@dataclass
class Progress:
    """Samples of (monotonic time, total count) while workers consume a topic."""

    samples: list[tuple[float, float]] = field(default_factory=list)
    per_worker: list[list[float]] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds used by the workers, summed, per sample
    broker_cpu: list[float] = field(default_factory=list)
    completed: bool = False
    stalled: bool = False
    target: int = 0

    def first_active(self, all_workers: bool = False) -> int | None:
        """Index of the first sample with progress (of every worker, with ``all_workers``)."""
        if all_workers:
            return next((i for i, counts in enumerate(self.per_worker) if all(c > 0 for c in counts)), None)
        return next((i for i, (_, c) in enumerate(self.samples) if c > 0), None)

    def rate_first_to_last(self, all_workers: bool = False) -> dict[str, Any]:
        """Events/s between the first sample with progress and the sample where the count stopped."""
        i = self.first_active(all_workers)
        if i is None:
            return {"events": 0, "seconds": 0.0, "events_per_s": 0.0}
        final = max(c for _, c in self.samples)
        j = next(k for k, (_, c) in enumerate(self.samples) if c >= final)
        t0, c0 = self.samples[i]
        t1, c1 = self.samples[j]
        seconds = t1 - t0
        return {
            "events": int(c1),
            "events_in_window": int(c1 - c0),
            "seconds": round(seconds, 2),
            "events_per_s": round((c1 - c0) / seconds, 1) if seconds > 0 else 0.0,
            **self._cpu(i, j),
        }

    def _cpu(self, i: int, j: int) -> dict[str, Any]:
        """CPU use of the workers (and broker) between samples i and j: cores used, events per CPU-second."""
        out: dict[str, Any] = {}
        seconds = self.samples[j][0] - self.samples[i][0]
        events = self.samples[j][1] - self.samples[i][1]
        if seconds <= 0:
            return out
        cpu = self.cpu[j] - self.cpu[i]
        out["worker_cores_used"] = round(cpu / seconds, 2)
        out["events_per_cpu_s"] = round(events / cpu, 1) if cpu > 0 else None
        if self.broker_cpu and self.broker_cpu[i] >= 0 and self.broker_cpu[j] >= 0:
            out["broker_cores_used"] = round((self.broker_cpu[j] - self.broker_cpu[i]) / seconds, 2)
        return out

    def rate_steady(self, warmup_s: float, all_workers: bool = False) -> dict[str, Any]:
        """Events/s from ``warmup_s`` after the first progress to the last sample with progress."""
        i = self.first_active(all_workers)
        if i is None:
            return {"events_per_s": 0.0, "seconds": 0.0}
        t_start = self.samples[i][0] + warmup_s
        k = next((k for k in range(i, len(self.samples)) if self.samples[k][0] >= t_start), None)
        final = max(c for _, c in self.samples)
        j = next(m for m, (_, c) in enumerate(self.samples) if c >= final)
        if k is None or j <= k:
            return {"events_per_s": 0.0, "seconds": 0.0, "note": "run shorter than warm-up"}
        (t0, c0), (t1, c1) = self.samples[k], self.samples[j]
        return {
            "events_per_s": round((c1 - c0) / (t1 - t0), 1),
            "seconds": round(t1 - t0, 2),
            "events_in_window": int(c1 - c0),
            "warmup_s": warmup_s,
            **self._cpu(k, j),
        }


def watch(
    procs: Sequence[WorkerProc],
    count: Callable[[WorkerProc], float],
    *,
    target: int,
    cap_s: float,
    interval: float = 0.25,
    stall_s: float = 60.0,
    start_after_all_active: bool = False,
    on_sample: Callable[[float, float], None] | None = None,
    broker_pid: int | None = None,
) -> Progress:
    """Poll the workers' counters until their sum reaches ``target`` or ``cap_s`` seconds pass.

    ``cap_s`` counts from the first progress (or, with ``start_after_all_active``, from the moment all
    workers have progressed). Sampling RSS too; raises if a worker dies.
    """
    progress = Progress(target=target)
    first_t: float | None = None
    last_change = time.monotonic()
    last_total = -1.0
    while True:
        for proc in procs:
            if not proc.alive():
                raise RuntimeError(
                    f"{proc.name} exited with code {proc.popen.returncode}; see {proc.log_path}"
                )
        counts: list[float] = []
        for proc in procs:
            try:
                counts.append(count(proc))
            except (OSError, ValueError, KeyError):
                counts.append(progress.per_worker[-1][len(counts)] if progress.per_worker else 0.0)
            proc.sample_rss()
        now = time.monotonic()
        total = sum(counts)
        progress.samples.append((now, total))
        progress.per_worker.append(counts)
        progress.cpu.append(sum(proc_cpu_seconds(p.pid) or 0.0 for p in procs))
        if broker_pid is not None:
            broker_cpu = proc_cpu_seconds(broker_pid)
            progress.broker_cpu.append(-1.0 if broker_cpu is None else broker_cpu)
        if on_sample is not None:
            on_sample(now, total)
        if total != last_total:
            last_total, last_change = total, now
        active = all(c > 0 for c in counts) if start_after_all_active else total > 0
        if active and first_t is None:
            first_t = now
        if total >= target:
            progress.completed = True
            break
        if first_t is not None and now - first_t >= cap_s:
            break
        if now - last_change > stall_s:
            progress.stalled = True
            break
        time.sleep(interval)
    return progress
