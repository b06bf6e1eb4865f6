"""Shared helpers for the worker integration tests: unique worker configs, a worker subprocess that is
always stopped, producing events, reading whole topics, and waiting until the worker has drained.

Every test gets its own topic names and app id (consumer group, tables, changelogs, internal topics),
so tests never see each other's records and can run against a long-lived broker.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import iter_events, labels
from distillguard.schemas.suspicion_event import Severity
from distillguard.streams.broker.local import create_topics
from distillguard.streams.internal_records import decode_stage_records
from distillguard.streams.settings import WorkerSettings, topic_size_limits

REPO_ROOT = Path(__file__).resolve().parents[2]
MEDIUM_RANK = Severity.MEDIUM.rank
WORKER_READY_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 180.0


def free_port() -> int:
    """A TCP port that is free on loopback right now (for the worker's web server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_addresses(port: int) -> set[str]:
    """The local addresses on which some socket of this host listens on TCP ``port`` (from
    /proc/net/tcp and tcp6; ``0.0.0.0`` / ``::`` mean every interface)."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                address, hex_port = fields[1].split(":")
                if fields[3] != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                    continue
                raw = bytes.fromhex(address)
                # the kernel prints each 32-bit word in host (little-endian) byte order
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(family, raw))
    return found


# --------------------------------------------------------------------------------------------------
# Worker configuration
# --------------------------------------------------------------------------------------------------


@dataclass
class WorkerConfig:
    """Topic names, app id and ports of one test's worker (all unique per test)."""

    bootstrap: str
    run_id: str
    data_dir: Path
    partitions: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def app_id(self) -> str:
        return f"dg-it-{self.run_id}"

    @property
    def requests(self) -> str:
        return f"dg-it-{self.run_id}.requests"

    @property
    def alerts(self) -> str:
        return f"dg-it-{self.run_id}.alerts"

    @property
    def dead_letter(self) -> str:
        return f"dg-it-{self.run_id}.dlq"

    @property
    def observations(self) -> str:
        return f"dg-it-{self.run_id}.observations-by-cluster"

    @property
    def candidates(self) -> str:
        """The internal alert-candidates topic (named from the app id, see Settings.internal_topics)."""
        return f"{self.app_id}-alert-candidates"

    @property
    def trait_observations(self) -> str:
        """The internal topic of the shared-trait side chain's inputs (partitioned by trait value)."""
        return f"{self.app_id}-trait-observations"

    @property
    def trait_evidence(self) -> str:
        """The internal topic of the trait stage's answers (partitioned by account id)."""
        return f"{self.app_id}-trait-evidence"

    @property
    def stage_sources(self) -> list[str]:
        """Every topic a stage agent consumes."""
        return [
            self.requests,
            self.observations,
            self.candidates,
            self.trait_observations,
            self.trait_evidence,
        ]

    def changelog(self, table: str) -> str:
        """Faust's changelog topic name for a table of this app."""
        return f"{self.app_id}-{table}-changelog"

    @property
    def changelogs(self) -> list[str]:
        tables = ("account_state", "cluster_state", "alert_state", "model_first_seen", "trait_state",
                  "account_coordination")  # fmt: skip
        return [self.changelog(t) for t in tables]

    @property
    def internal_topics(self) -> list[str]:
        """Every topic the worker writes derived data to (must never hold prompt text)."""
        return [
            self.observations,
            self.candidates,
            self.trait_observations,
            self.trait_evidence,
            self.alerts,
            *self.changelogs,
        ]

    def env(self) -> dict[str, str]:
        """Environment for the worker subprocess and for in-process load_settings()."""
        return {
            "KAFKA_BOOTSTRAP": self.bootstrap,
            "DISTILLGUARD_TOPICS__REQUESTS": self.requests,
            "DISTILLGUARD_TOPICS__ALERTS": self.alerts,
            "DISTILLGUARD_TOPICS__DEAD_LETTER": self.dead_letter,
            "DISTILLGUARD_TOPICS__CLUSTER_REPARTITION": self.observations,
            "DISTILLGUARD_TOPICS__PARTITIONS": str(self.partitions),
            "DISTILLGUARD_WORKER__APP_ID": self.app_id,
            "DISTILLGUARD_WORKER__DATA_DIR": str(self.data_dir),
            "DISTILLGUARD_WORKER__LOG_LEVEL": "INFO",
            # Faust reads this from the environment: commit every 0.5 s instead of 2.8 s, so that
            # wait_drained() sees the end of processing sooner. Semantics are unchanged.
            "BROKER_COMMIT_INTERVAL": "0.5",
            **self.extra_env,
        }

    def create_topics(self, configs: dict[str, str] | None = None) -> None:
        """Create the external topics up front (the worker creates its internal ones itself)."""
        names = (self.requests, self.alerts, self.dead_letter)
        create_topics(
            self.bootstrap,
            dict.fromkeys(names, self.partitions),
            # the caller's configs win (a test may ask for a bigger, or a too-small, topic)
            topic_configs={n: {**self.topic_configs.get(n, {}), **(configs or {})} for n in names},
        )

    @property
    def topic_configs(self) -> dict[str, dict[str, str]]:
        """The request and dead-letter topics' max.message.bytes, as the project's settings derive them."""
        max_record = self.extra_env.get("DISTILLGUARD_WORKER__MAX_RECORD_BYTES")
        limits = topic_size_limits(int(max_record) if max_record else WorkerSettings().max_record_bytes)
        return {
            self.requests: {"max.message.bytes": str(limits.requests)},
            self.dead_letter: {"max.message.bytes": str(limits.dead_letter)},
        }


def make_worker_config(
    bootstrap: str,
    tmp_path: Path,
    *,
    partitions: int = 2,
    topic_configs: dict[str, str] | None = None,
    **extra_env: str,
) -> WorkerConfig:
    """A fresh config with unique names; creates the request, alert and dead-letter topics."""
    config = WorkerConfig(
        bootstrap=bootstrap,
        run_id=uuid.uuid4().hex[:10],
        data_dir=tmp_path / "worker-data",
        partitions=partitions,
        extra_env=dict(extra_env),
    )
    config.create_topics(topic_configs)
    return config


def delete_run(config: WorkerConfig) -> None:
    """Best effort: delete every topic of this run (external, internal, changelogs) and its group."""
    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(bootstrap_servers=config.bootstrap, client_id="dg-it-cleanup")
        try:
            names = [t for t in admin.list_topics() if t.startswith(f"dg-it-{config.run_id}")]
            if names:
                admin.delete_topics(names, raise_errors=False)
            with contextlib.suppress(Exception):
                admin.delete_groups([config.app_id])
        finally:
            admin.close()


@contextlib.contextmanager
def worker_topics(bootstrap: str, tmp_path: Path, **kwargs: Any) -> Iterator[WorkerConfig]:
    """:func:`make_worker_config`, and delete the run's topics and group afterwards."""
    config = make_worker_config(bootstrap, tmp_path, **kwargs)
    try:
        yield config
    finally:
        delete_run(config)


# --------------------------------------------------------------------------------------------------
# The worker subprocess
# --------------------------------------------------------------------------------------------------


def _get_json(url: str, timeout: float = 2.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read() or b"null")


class WorkerProcess:
    """A running ``python -m streams.cli worker`` subprocess (own process group, log file, a fresh web
    port per start). ``env`` adds or overrides environment variables for this start only."""

    def __init__(self, config: WorkerConfig, log_path: Path, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.log_path = log_path
        self.web_port = free_port()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        self._log.write(f"\n===== worker start {time.strftime('%H:%M:%S')} =====\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "distillguard.streams.cli", "worker"],
            cwd=REPO_ROOT,
            env={
                **os.environ,
                **config.env(),
                "DISTILLGUARD_WORKER__WEB_PORT": str(self.web_port),
                **(env or {}),
            },
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def log_tail(self, lines: int = 60) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no worker log)"

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = WORKER_READY_TIMEOUT_S) -> float:
        """Block until /readyz says ready; returns the seconds it took. Fails with the log tail."""
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(
                    f"worker exited with code {self.process.returncode} before ready:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError, ValueError):
                status, body = _get_json(f"{self.url}/readyz")
                if status == 200 and body.get("ready"):
                    return time.monotonic() - started
            time.sleep(0.5)
        raise AssertionError(f"worker not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def readyz(self) -> tuple[int, Any]:
        """(HTTP status, body) of /readyz."""
        return _get_json(f"{self.url}/readyz")

    def healthz(self) -> Any:
        status, body = _get_json(f"{self.url}/healthz")
        assert status == 200, f"/healthz returned {status}"
        return body

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            return response.read().decode()

    def kill(self) -> None:
        """kill -9 the worker's process group (no shutdown, no final commit or flush)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (graceful Faust shutdown), SIGKILL after ``timeout``; returns the exit code."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._log.close()
        return self.process.returncode


@contextlib.contextmanager
def running_worker(
    config: WorkerConfig, log_path: Path, *, wait_ready: bool = True, env: Mapping[str, str] | None = None
) -> Iterator[WorkerProcess]:
    """Start a worker for ``config``, wait until it is ready, and always stop it afterwards."""
    worker = WorkerProcess(config, log_path, env)
    try:
        if wait_ready:
            worker.wait_ready()
        yield worker
    finally:
        worker.stop()


# --------------------------------------------------------------------------------------------------
# Producing and reading
# --------------------------------------------------------------------------------------------------


def produce_raw(
    bootstrap: str, topic: str, records: Iterable[tuple[str | None, bytes]], **extra: Any
) -> list[Any]:
    """Send (key, value) records in order and wait for every ack; returns their RecordMetadata in order.

    ``max_in_flight_requests_per_connection=1`` keeps the log order equal to the send order even if a
    batch is retried, and the request cap is raised so the tests can send records above 1 MiB."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_request_size=8 << 20,
                             max_in_flight_requests_per_connection=1, **extra)  # fmt: skip
    try:
        futures = [
            producer.send(topic, key=key.encode() if key is not None else None, value=value)
            for key, value in records
        ]
        producer.flush(timeout=60)
        return [future.get(timeout=60) for future in futures]
    finally:
        producer.close(timeout=10)


def produce_events(bootstrap: str, topic: str, events: Iterable[dict[str, Any]]) -> int:
    """Produce RequestEvent dicts keyed by account id (the worker's partitioning key); returns the count."""
    return len(produce_raw(bootstrap, topic, ((e["account_id"], orjson.dumps(e)) for e in events)))


def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        tps = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        return dict(consumer.end_offsets(tps)) if tps else {}
    finally:
        consumer.close()


def read_topic(bootstrap: str, topic: str, *, timeout: float = 60.0) -> list[Any]:
    """Every record currently in ``topic`` (all partitions, from the beginning to the end offsets as of
    the call), ordered by (partition, offset). No consumer group, nothing committed."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", fetch_max_bytes=64 << 20,
                             max_partition_fetch_bytes=16 << 20)  # fmt: skip
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        if not partitions:
            return []
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end within {timeout:.0f}s")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                records.extend(r for r in batch if r.offset < ends[tp])
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def stage_items(bootstrap: str, topic: str) -> int:
    """Stage outputs (observations, alert candidates) in an internal topic. The worker sends the outputs
    of a batch that share a key as one record holding a list of them, so records != items."""
    return sum(len(decode_stage_records(r.value)) for r in read_topic(bootstrap, topic))


def read_topic_until_idle(
    bootstrap: str, topic: str, *, idle_s: float = 5.0, timeout: float = 120.0
) -> list[Any]:
    """Read ``topic`` from the beginning until no new record has arrived for ``idle_s`` seconds."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest")  # fmt: skip
    try:
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        assigned: set[int] = set()
        last_new = time.monotonic()
        while time.monotonic() - last_new < idle_s:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic} still busy after {timeout:.0f}s")
            partitions = consumer.partitions_for_topic(topic) or set()
            if partitions - assigned:
                assigned = set(partitions)
                consumer.assign([TopicPartition(topic, p) for p in sorted(assigned)])
                consumer.seek_to_beginning()
                records.clear()
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
                last_new = time.monotonic()
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group_id: str) -> dict[TopicPartition, int]:
    """The consumer group's committed offsets (empty when the group has committed nothing)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="dg-it-offsets")
    try:
        offsets = admin.list_group_offsets(group_id).get(group_id) or {}
        return {tp: meta.offset for tp, meta in offsets.items() if meta is not None and meta.offset >= 0}
    finally:
        admin.close()


def wait_drained(
    config: WorkerConfig,
    worker: WorkerProcess | None = None,
    *,
    timeout: float = DRAIN_TIMEOUT_S,
    settle_s: float = 2.0,
) -> float:
    """Block until the worker's group has committed every record of every topic a stage consumes
    (requests, observations, candidates, trait observations, trait evidence), and nothing new appeared
    for ``settle_s`` seconds. Returns the seconds waited.

    Committed == end offsets on all source topics means every request went through every stage,
    the shared-trait side chain included (at-least-once: Faust commits an offset only after the agent
    has processed the record).
    """
    started = time.monotonic()
    deadline = started + timeout
    sources = config.stage_sources
    previous: dict[TopicPartition, int] | None = None
    stable_since = None
    while True:
        if worker is not None and not worker.alive():
            raise AssertionError(f"worker died (code {worker.process.returncode}):\n{worker.log_tail()}")
        ends = end_offsets(config.bootstrap, sources)
        committed = committed_offsets(config.bootstrap, config.app_id)
        done = bool(ends) and all(committed.get(tp, 0) >= end for tp, end in ends.items() if end > 0)
        alert_ends = end_offsets(config.bootstrap, [config.alerts])
        snapshot = {**ends, **alert_ends}
        if done and snapshot == previous:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= settle_s:
                return time.monotonic() - started
        else:
            stable_since = None
        previous = snapshot if done else None
        if time.monotonic() > deadline:
            lag = {f"{tp.topic}[{tp.partition}]": (committed.get(tp), end) for tp, end in ends.items()}
            tail = worker.log_tail() if worker is not None else ""
            raise AssertionError(
                f"worker did not drain within {timeout:.0f}s; (committed, end): {lag}\n{tail}"
            )
        time.sleep(0.5)


# --------------------------------------------------------------------------------------------------
# Scenario data
# --------------------------------------------------------------------------------------------------


@dataclass
class Workload:
    """A deterministic slice of the "small" scenario: whole campaign families plus some normal accounts."""

    events: list[dict[str, Any]]
    truth: dict[str, dict[str, Any]]  # account_id -> label row

    @property
    def campaign_accounts(self) -> set[str]:
        return {a for a, row in self.truth.items() if row["kind"] == "campaign"}

    @property
    def normal_accounts(self) -> set[str]:
        return {a for a, row in self.truth.items() if row["kind"] == "normal"}

    def prompts(self, min_chars: int = 30) -> set[str]:
        return {e["prompt"] for e in self.events if e.get("prompt") and len(e["prompt"]) >= min_chars}

    def positions(self) -> dict[str, int]:
        """event_id -> 1-based position of the event in its account's stream (what events_seen counts)."""
        seen: dict[str, int] = {}
        position: dict[str, int] = {}
        for event in self.events:
            seen[event["account_id"]] = seen.get(event["account_id"], 0) + 1
            position[event["event_id"]] = seen[event["account_id"]]
        return position


def small_workload(families: tuple[str, ...] = ("hydra_agentic", "model_pivot"), normals: int = 100,
                   exclude_normal: tuple[str, ...] = ("enterprise",)) -> Workload:  # fmt: skip
    """All accounts of the campaign ``families`` plus ``normals`` normal accounts chosen by a stable hash
    (enterprise accounts, ~2,000 requests each, are left out to keep the run short), in timestamp order."""
    scenario = get_scenario("small")
    rows = {row["account_id"]: row for row in labels(scenario)}
    campaign = {a for a, row in rows.items() if row["kind"] == "campaign" and row["family"] in families}
    candidates = sorted(
        (a for a, row in rows.items() if row["kind"] == "normal" and row["family"] not in exclude_normal),
        key=lambda a: hashlib.sha1(a.encode()).hexdigest(),
    )
    keep = campaign | set(candidates[:normals])
    events = [e for e in iter_events(scenario) if e["account_id"] in keep]
    return Workload(events=events, truth={a: rows[a] for a in keep})


def write_jsonl(path: Path, events: Iterable[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


def highest_rank(alerts: Iterable[dict[str, Any]]) -> dict[str, int]:
    """account_id -> highest severity rank alerted."""
    best: dict[str, int] = {}
    for alert in alerts:
        rank = Severity(alert["severity"]).rank
        best[alert["account_id"]] = max(rank, best.get(alert["account_id"], 0))
    return best


def medium_plus(alerts: Iterable[dict[str, Any]]) -> set[str]:
    return {a for a, rank in highest_rank(alerts).items() if rank >= MEDIUM_RANK}


def alert_keys(alerts: Iterable[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
    return {(a["account_id"], a["severity"], a["trigger_event_id"], a["alert_id"]) for a in alerts}


def assert_agrees_with_offline(live: list[dict[str, Any]], offline: list[dict[str, Any]]) -> None:
    """What a worker's alerts share with the offline Detector's (or ``replay --input``) over the same
    events in the same order, even with one partition.

    Not the alerts one for one: the shared-trait loop closes across two topic hops in the worker (the trait
    stage's answer reaches the account stage's table a batch or more later, as timing has it), while the
    Detector applies it before the account's next request. The ``shared_traits`` signal, and so the
    scores, can differ for a few requests, and with them which request first crosses a band (the trigger)
    and how many re-alerts there are. The enforcement decision must not differ: the same accounts are
    flagged medium+; and an alert for the same trigger and severity has the same (deterministic) id.
    """
    assert medium_plus(live) == medium_plus(offline), (
        f"flagged medium+ only by the worker: {sorted(medium_plus(live) - medium_plus(offline))}, "
        f"only offline: {sorted(medium_plus(offline) - medium_plus(live))}"
    )
    ids = {(a["trigger_event_id"], a["severity"]): a["alert_id"] for a in offline}
    differing = [
        a for a in live if ids.get((a["trigger_event_id"], a["severity"]), a["alert_id"]) != a["alert_id"]
    ]
    assert not differing, f"same trigger and severity, another alert id: {differing[:3]}"


_LEAK_KEY = 16


def find_prompt_leaks(blobs: Iterable[bytes], prompts: Iterable[str], probe_chars: int = 30) -> list[str]:
    """Prompt fragments found in any of ``blobs``: for each prompt, probes of ``probe_chars`` characters
    from its start and its middle, each raw (UTF-8) and JSON-escaped as orjson writes it. Returns the
    leaked fragments (empty when nothing leaked); a whole prompt leaking shows up as its start probe.

    Thousands of prompts against megabytes of records: instead of one substring scan per probe, every
    probe is indexed by its first 16 bytes and the records are scanned once.
    """
    index: dict[bytes, list[tuple[bytes, str]]] = {}
    for prompt in prompts:
        middle = max(0, len(prompt) // 2 - probe_chars // 2)
        for fragment in {prompt[:probe_chars], prompt[middle : middle + probe_chars]}:
            for needle in {fragment.encode(), orjson.dumps(fragment)[1:-1]}:
                if len(needle) >= _LEAK_KEY:
                    index.setdefault(needle[:_LEAK_KEY], []).append((needle, fragment))
    leaks: set[str] = set()
    get = index.get
    for blob in blobs:
        for i in range(len(blob) - _LEAK_KEY + 1):
            candidates = get(blob[i : i + _LEAK_KEY])
            if candidates:
                leaks.update(fragment for needle, fragment in candidates if blob.startswith(needle, i))
    return sorted(leaks)
