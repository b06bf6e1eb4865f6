"""Crash recovery, redelivery and privacy of the worker's state, on a real Kafka 3.9.1 broker.

The worker keeps its per-account, per-cluster and alert state in Faust tables whose changelogs are
Kafka topics; after ``kill -9`` a restarted worker with the same app id must rebuild that state from the
changelogs and carry on counting where it stopped, and nothing it persists may contain prompt text.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka.admin import KafkaAdminClient

from distillguard.models.detector import Detector
from distillguard.schemas.codec import decode_request
from distillguard.streams.broker.local import ENV_BOOTSTRAP, LocalBroker
from distillguard.streams.internal_records import PartitionForKey, decode_stage_records
from distillguard.streams.settings import load_settings
from tests.integration.helpers import (
    WorkerConfig,
    WorkerProcess,
    Workload,
    assert_agrees_with_offline,
    committed_offsets,
    end_offsets,
    find_prompt_leaks,
    listening_addresses,
    medium_plus,
    produce_events,
    read_topic,
    running_worker,
    small_workload,
    stage_items,
    wait_drained,
    worker_topics,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

# cot_rubric accounts send ~100 requests a day each, so the crash leaves more than the 16-event dedupe
# window of them uncommitted (see test_redelivery_after_crash_is_not_double_counted).
FAMILIES = ("cot_rubric",)
MIN_RECALL = 0.9
# A killed worker's group membership only expires after the session timeout (worker.session_timeout_s,
# 10 s by default; Faust's own default was 60 s). 6 s keeps these restarts short; Faust reads these env
# vars, and they win over the settings. test_idempotence.py covers static membership and the 15 s budget.
FAST_REJOIN = {"BROKER_SESSION_TIMEOUT": "6", "BROKER_HEARTBEAT_INTERVAL": "1.5"}
ALERTS_BEFORE_KILL = 5


def detector_alerts(events: list[dict[str, Any]], partitions: int) -> list[dict[str, Any]]:
    """The offline Detector's alerts, with the worker's partition count (soft models are per partition)."""
    detector = Detector(load_settings().detection, partitions=partitions)
    out: list[dict[str, Any]] = []
    for event in events:
        out.extend(a.model_dump(mode="json") for a in detector.process(decode_request(orjson.dumps(event))))
    return out


def _counter(metrics_text: str, name: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def wait_for_alerts(config: WorkerConfig, worker: WorkerProcess, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(end_offsets(config.bootstrap, [config.alerts]).values()) < count:
        assert worker.alive(), f"worker died:\n{worker.log_tail()}"
        assert time.monotonic() < deadline, f"fewer than {count} alerts after {timeout:.0f}s"
        time.sleep(0.1)


def wait_for_observations(
    config: WorkerConfig, worker: WorkerProcess, count: int, timeout: float = 120.0
) -> None:
    """Until the account stage has applied ``count`` requests in total (one observation each)."""
    deadline = time.monotonic() + timeout
    while stage_items(config.bootstrap, config.observations) < count:
        assert worker.alive(), f"worker died:\n{worker.log_tail()}"
        assert time.monotonic() < deadline, f"fewer than {count} observations after {timeout:.0f}s"
        time.sleep(0.2)


@dataclass
class CrashRun:
    config: WorkerConfig
    workload: Workload
    phases: tuple[int, int]  # events[:a] committed before the crash, events[a:b] applied but uncommitted
    alerts: list[dict[str, Any]]
    pre_crash: list[dict[str, Any]]  # alerts on the topic when the worker was killed
    post_crash: list[dict[str, Any]]
    duplicates_after_restart: float
    recovery_s: float


@pytest.fixture(scope="module")
def workload() -> Workload:
    return small_workload(FAMILIES, normals=60)


@pytest.fixture(scope="module")
def crash_run(
    kafka_bootstrap: str, workload: Workload, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrashRun]:
    """Three phases over the same app id and topics:

    1. the first third of the events is processed and committed; the worker stops gracefully;
    2. a worker that does not commit (commit interval 10 min) applies the second third to its state
       and changelogs, then is killed with SIGKILL: all of phase 2 will be redelivered;
    3. a new worker recovers the tables from the changelogs; the last third is produced; drain.
    """
    tmp = tmp_path_factory.mktemp("crash")
    log = tmp / "worker.log"
    events = workload.events
    a, b = len(events) // 3, 2 * len(events) // 3
    with worker_topics(kafka_bootstrap, tmp, partitions=2, **FAST_REJOIN) as config:
        with running_worker(config, log) as first:
            produce_events(kafka_bootstrap, config.requests, events[:a])
            wait_drained(config, first)
        committed_phase1 = committed_offsets(kafka_bootstrap, config.app_id)

        second = WorkerProcess(config, log, env={"BROKER_COMMIT_INTERVAL": "600"})
        try:
            second.wait_ready()
            produce_events(kafka_bootstrap, config.requests, events[a:b])
            wait_for_observations(config, second, b)
            time.sleep(1.0)  # the changelog writes of the last requests reach the broker
        finally:
            second.kill()
        pre_records = read_topic(kafka_bootstrap, config.alerts)
        assert committed_offsets(kafka_bootstrap, config.app_id) == committed_phase1, (
            "the non-committing worker committed offsets; the crash scenario is not what this test assumes"
        )

        with running_worker(config, log, wait_ready=False) as third:
            recovery_s = third.wait_ready()
            produce_events(kafka_bootstrap, config.requests, events[b:])
            wait_drained(config, third)
            records = read_topic(kafka_bootstrap, config.alerts)
            assert third.healthz() == {"status": "ok"}
            duplicates = _counter(third.metrics(), "distillguard_duplicate_events_total")
        seen = {(r.partition, r.offset) for r in pre_records}
        yield CrashRun(
            config=config,
            workload=workload,
            phases=(a, b),
            alerts=[orjson.loads(r.value) for r in records],
            pre_crash=[orjson.loads(r.value) for r in pre_records],
            post_crash=[orjson.loads(r.value) for r in records if (r.partition, r.offset) not in seen],
            duplicates_after_restart=duplicates,
            recovery_s=recovery_s,
        )


def test_campaigns_still_detected_after_crash(crash_run: CrashRun) -> None:
    workload = crash_run.workload
    assert crash_run.pre_crash and crash_run.post_crash
    flagged = medium_plus(crash_run.alerts)
    for family in FAMILIES:
        accounts = [a for a in workload.campaign_accounts if workload.truth[a]["family"] == family]
        hits = sum(a in flagged for a in accounts)
        assert hits >= MIN_RECALL * len(accounts), (
            f"{family}: only {hits}/{len(accounts)} flagged after crash"
        )
    assert not flagged & workload.normal_accounts
    # Every campaign account the uninterrupted offline detector flags is still flagged.
    reference = (
        medium_plus(detector_alerts(workload.events, crash_run.config.partitions))
        & workload.campaign_accounts
    )
    assert reference <= flagged, f"lost after the crash: {sorted(reference - flagged)}"


def test_account_state_restored_from_changelog(crash_run: CrashRun) -> None:
    """Phase-1 requests are committed, so they are never redelivered: had the restarted worker lost the
    account state, its counts would restart and fall short of the trigger's position in the stream."""
    positions = crash_run.workload.positions()
    short = [
        (a["account_id"], a["events_seen"], positions[a["trigger_event_id"]])
        for a in crash_run.post_crash
        if a["events_seen"] < positions[a["trigger_event_id"]]
    ]
    assert not short, f"counts restarted after the crash (account, events_seen, position): {short[:5]}"

    a, _ = crash_run.phases
    phase1 = {e["account_id"] for e in crash_run.workload.events[:a]}
    before: dict[str, int] = defaultdict(int)
    for alert in crash_run.pre_crash:
        before[alert["account_id"]] = max(before[alert["account_id"]], alert["events_seen"])
    continued = {
        alert["account_id"]
        for alert in crash_run.post_crash
        if alert["account_id"] in phase1 and alert["events_seen"] > before[alert["account_id"]] > 0
    }
    assert len(continued) >= 5, f"only {len(continued)} accounts alerted both before and after the crash"


def test_redelivery_after_crash_is_not_double_counted(crash_run: CrashRun) -> None:
    a, b = crash_run.phases
    # Everything processed but uncommitted at the crash is redelivered: at least phase 2, plus any tail of
    # phase 1 whose offsets were not yet committed when the worker was killed (commit timing is Faust's).
    duplicates = crash_run.duplicates_after_restart
    assert b - a <= duplicates <= b, "redelivered requests not recognised as duplicates"
    positions = crash_run.workload.positions()
    double = [
        (a["account_id"], a["events_seen"], positions[a["trigger_event_id"]])
        for a in crash_run.alerts
        if a["events_seen"] != positions[a["trigger_event_id"]]
    ]
    assert not double, f"{len(double)} alerts count redelivered requests twice, e.g. {double[:5]}"


def test_alert_ids_are_stable_across_the_crash(crash_run: CrashRun) -> None:
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for alert in crash_run.alerts:
        ids[(alert["trigger_event_id"], alert["severity"])].add(alert["alert_id"])
    unstable = {key: values for key, values in ids.items() if len(values) > 1}
    assert not unstable, f"same trigger and severity, different alert ids: {unstable}"
    # ... and they are the ids the offline detector gives the same trigger.
    reference = {
        (a["trigger_event_id"], a["severity"]): a["alert_id"]
        for a in detector_alerts(crash_run.workload.events, crash_run.config.partitions)
    }
    for key, values in ids.items():
        if key in reference:
            assert values == {reference[key]}


def test_changelogs_hold_each_key_on_its_source_partition(crash_run: CrashRun) -> None:
    """The agents write state once per key and batch, for batches mixing partitions: every changelog
    record must still sit on the partition its key is consumed from (what recovery restores per
    partition), and there is at most one write per applied event."""
    config = crash_run.config
    requests = read_topic(config.bootstrap, config.requests)
    account_partition: dict[str, set[int]] = defaultdict(set)
    for record in requests:
        account_partition[record.key.decode()].add(record.partition)
    assert all(len(p) == 1 for p in account_partition.values())
    accounts = read_topic(config.bootstrap, config.changelog("account_state"))
    assert accounts
    # table keys are str, which Faust's changelog serialises as JSON
    misplaced = [
        (orjson.loads(r.key), r.partition)
        for r in accounts
        if {r.partition} != account_partition[orjson.loads(r.key)]
    ]
    assert not misplaced, f"account state on another partition than its requests: {misplaced[:5]}"
    # the phases apply every event at least once, phase 2 twice (crash), so: fewer writes than that
    assert len(accounts) <= len(requests) + crash_run.phases[1] - crash_run.phases[0]
    # cluster state: on the observations partition its cluster id is sent to
    partition_of = PartitionForKey(None, config.partitions)
    clusters = read_topic(config.bootstrap, config.changelog("cluster_state"))
    assert clusters and all(r.partition == partition_of(orjson.loads(r.key)) for r in clusters)
    for record in read_topic(config.bootstrap, config.observations):
        assert all(
            partition_of(o["cluster_id"]) == record.partition for o in decode_stage_records(record.value)
        )
    # the side chain: trait state on its trait value's partition; coordination, like the account state
    # it is read with, on its account's (the requests') partition
    traits = read_topic(config.bootstrap, config.changelog("trait_state"))
    assert traits and all(r.partition == partition_of(orjson.loads(r.key)) for r in traits)
    coordination = read_topic(config.bootstrap, config.changelog("account_coordination"))
    assert coordination and all(
        {r.partition} == account_partition[orjson.loads(r.key)] for r in coordination
    ), "coordination evidence on another partition than its account's requests"


def test_no_prompt_text_in_changelogs_or_internal_topics(crash_run: CrashRun) -> None:
    config = crash_run.config
    admin = KafkaAdminClient(bootstrap_servers=config.bootstrap, client_id="dg-it-privacy")
    try:
        topics = set(admin.list_topics())
    finally:
        admin.close()
    changelogs = sorted(t for t in topics if config.app_id in t and "-changelog" in t)
    assert set(config.changelogs) <= set(changelogs), f"changelogs found: {changelogs}"
    blobs: list[bytes] = []
    counts = {}
    for topic in [*changelogs, *config.internal_topics]:
        records = read_topic(config.bootstrap, topic)
        counts[topic] = len(records)
        blobs.extend((r.key or b"") + b"\x00" + (r.value or b"") for r in records)
    assert all(
        counts[t] > 0
        for t in (
            config.changelog("account_state"),
            config.observations,
            config.trait_observations,
            config.alerts,
        )
    )
    leaks = find_prompt_leaks(blobs, crash_run.workload.prompts(min_chars=30))
    assert not leaks, f"{len(leaks)} prompt fragments in persisted topics, e.g. {leaks[:3]!r}"


# ------------------------------------------------------------------------------------------------
# Redelivery
# ------------------------------------------------------------------------------------------------


def test_redelivered_event_is_counted_once(kafka_bootstrap: str, tmp_path: Path) -> None:
    """Every request of the campaign accounts is delivered twice (right away, as a producer retry would,
    and a few again later, as a consumer redelivery would). One partition, so the order is fixed: every
    alert counts the account's unique requests only, and the worker agrees with the offline detector
    over the unique events (as far as the shared-trait loop's timing allows, see
    :func:`helpers.assert_agrees_with_offline`)."""
    workload = small_workload(("cot_rubric",), normals=30)
    campaign = workload.campaign_accounts
    stream: list[dict[str, Any]] = []
    recent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in workload.events:
        stream.append(event)
        if event["account_id"] in campaign:
            stream.append(event)
            recent[event["account_id"]].append(event)
    for events in recent.values():  # redeliver each campaign account's last 5 requests at the end
        stream.extend(events[-5:])
    duplicates = len(stream) - len(workload.events)

    with (
        worker_topics(kafka_bootstrap, tmp_path, partitions=1) as config,
        running_worker(config, tmp_path / "worker.log") as worker,
    ):
        produce_events(kafka_bootstrap, config.requests, stream)
        wait_drained(config, worker)
        metrics = worker.metrics()
        alerts = [orjson.loads(r.value) for r in read_topic(kafka_bootstrap, config.alerts)]
        observations = stage_items(kafka_bootstrap, config.observations)

    assert _counter(metrics, "distillguard_duplicate_events_total") == duplicates
    assert observations == len(workload.events)
    positions = workload.positions()
    assert alerts
    assert all(a["events_seen"] == positions[a["trigger_event_id"]] for a in alerts)
    assert_agrees_with_offline(alerts, detector_alerts(workload.events, config.partitions))


# ------------------------------------------------------------------------------------------------
# Broker restart (runs last: it takes the shared broker down for a few seconds)
# ------------------------------------------------------------------------------------------------


def _start_ticks(pid: int) -> int:
    """Process start time in clock ticks since boot (/proc/<pid>/stat field 22)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[19])


def _broker_started_by_this_session(bootstrap: str) -> tuple[LocalBroker | None, str]:
    """The local broker if this pytest process (i.e. the kafka_bootstrap fixture) started it."""
    if os.environ.get(ENV_BOOTSTRAP):
        return (
            None,
            f"{ENV_BOOTSTRAP} points at an external broker; not restarting what this session does not own",
        )
    broker = LocalBroker()
    pid = broker.pid()
    if bootstrap != broker.bootstrap or pid is None:
        return None, "the broker in use is not the local broker"
    if _start_ticks(pid) < _start_ticks(os.getpid()):
        return None, (
            "the local broker was already running before this pytest session (e.g. `distillguard broker "
            "start`); only a broker the kafka_bootstrap fixture started is restarted"
        )
    return broker, ""


OUTAGE_S = 10.0
# Without the log rate limit a 10 s outage logged ~1,300 ERROR lines a second (connection and metadata
# errors, one per retry); with it, one line per message template and 10 s.
MAX_OUTAGE_ERROR_LINES = 50


def _error_lines(log: Path, start: int) -> list[str]:
    text = log.read_bytes()[start:].decode(errors="replace")
    return [line for line in text.splitlines() if "[ERROR]" in line]


def test_worker_reconnects_after_broker_restart(kafka_bootstrap: str, tmp_path: Path) -> None:
    """The broker goes away for ~10 s under a running worker: the worker stays up, says so on /readyz
    and /metrics without flooding its log, and carries on when the broker is back."""
    broker, reason = _broker_started_by_this_session(kafka_bootstrap)
    if broker is None:
        pytest.skip(reason)
    workload = small_workload(("cot_rubric",), normals=20)
    events = workload.events
    half = len(events) // 2
    log = tmp_path / "worker.log"
    with (
        worker_topics(kafka_bootstrap, tmp_path, partitions=2) as config,
        running_worker(config, log) as worker,
    ):
        produce_events(kafka_bootstrap, config.requests, events[:half])
        wait_drained(config, worker)
        assert listening_addresses(worker.web_port) == {"127.0.0.1"}, (
            "the HTTP server is not on loopback only"
        )
        assert _counter(worker.metrics(), "distillguard_broker_unreachable") == 0
        log_start = log.stat().st_size
        assert broker.stop(), "the broker was not running"
        stopped = time.monotonic()
        readiness: list[int] = []
        unreachable: list[float] = []
        while time.monotonic() - stopped < OUTAGE_S:
            assert worker.alive(), f"worker exited when the broker went away:\n{worker.log_tail()}"
            readiness.append(worker.readyz()[0])
            unreachable.append(_counter(worker.metrics(), "distillguard_broker_unreachable"))
            time.sleep(0.5)
        outage_metrics = worker.metrics()
        broker.start()
        outage_errors = _error_lines(log, log_start)
        produce_events(kafka_bootstrap, config.requests, events[half:])
        wait_drained(config, worker, timeout=180)
        assert worker.alive()
        assert worker.healthz() == {"status": "ok"}
        worker.wait_ready(timeout=60)  # ready again once the broker answers
        assert _counter(worker.metrics(), "distillguard_broker_unreachable") == 0
        alerts = [orjson.loads(r.value) for r in read_topic(kafka_bootstrap, config.alerts)]
        observations = stage_items(kafka_bootstrap, config.observations)
        committed = committed_offsets(kafka_bootstrap, config.app_id)

    print(f"ERROR lines in the worker log during the {OUTAGE_S:.0f} s outage: {len(outage_errors)}")
    assert len(outage_errors) < MAX_OUTAGE_ERROR_LINES, (
        f"{len(outage_errors)} ERROR lines during a {OUTAGE_S:.0f} s outage, e.g.\n"
        + "\n".join(outage_errors[:20])
    )
    suppressed = sum(
        float(line.split()[-1])
        for line in outage_metrics.splitlines()
        if line.startswith("distillguard_suppressed_log_lines_total{")
    )
    assert suppressed > 0, "no repeated log line was suppressed during the outage"
    assert 503 in readiness[2:], f"/readyz during the outage: {readiness}"
    assert 1 in unreachable, f"distillguard_broker_unreachable during the outage: {unreachable}"
    assert observations >= len(events), "requests produced after the broker restart were not processed"
    assert sum(v for tp, v in committed.items() if tp.topic == config.requests) == len(events)
    flagged = medium_plus(alerts)
    assert len(flagged & workload.campaign_accounts) >= MIN_RECALL * len(workload.campaign_accounts)
    assert not flagged & workload.normal_accounts
