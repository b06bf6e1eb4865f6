"""Crash recovery on a real Kafka 3.9 broker (issue #15): a worker killed with SIGKILL in the middle of
its batches comes back fast, applies nothing twice, and commits what it has processed promptly.

* idempotence: every stage after the account stage stamps its state with the source offsets that wrote
  it (streams.batched_table), so the cluster state after a crash with everything redelivered equals the
  offline Detector's, count for count;
* recovery time: a worker restarted with the same ``worker.group_instance_id`` (static membership)
  resumes processing within RECOVERY_BUDGET_S;
* commit lag: ``/metrics`` reports per input partition how far the committed offset trails what has
  been processed (``distillguard_commit_lag``) and the log end (``distillguard_partition_lag``).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from distillguard.models.cluster_state import ClusterState
from distillguard.models.detector import Detector
from distillguard.models.traits import TraitLayout, TraitState
from distillguard.schemas.codec import decode_request
from distillguard.streams.batched_table import unstamp
from distillguard.streams.settings import load_settings
from tests.integration.helpers import (
    WorkerConfig,
    WorkerProcess,
    committed_offsets,
    end_offsets,
    free_port,
    medium_plus,
    produce_events,
    read_topic,
    small_workload,
    wait_drained,
    worker_topics,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

# The promise in the README: a killed worker restarted with the same identity processes again within
# this many seconds (from the restart command to its first new output record).
RECOVERY_BUDGET_S = 15.0


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of ``/metrics`` (0 when absent)."""
    wanted = {f'{k}="{v}"' for k, v in labels.items()}
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        rest = head[len(name) :]
        if rest and not rest.startswith("{"):
            continue
        if wanted <= set(re.findall(r'\w+="[^"]*"', rest)):
            return float(value)
    return 0.0


def table_state(config: WorkerConfig, table: str) -> dict[str, bytes]:
    """A table's contents as its changelog restores them: the last value per key, tombstones dropped."""
    state: dict[str, bytes | None] = {}
    for record in read_topic(config.bootstrap, config.changelog(table)):
        state[orjson.loads(record.key)] = record.value
    return {k: v for k, v in state.items() if v is not None}


def _counts(
    state: dict[str, bytes], stamped: bool, summary: Callable[[bytes], tuple[int, bytes]]
) -> dict[str, tuple[int, bytes]]:
    out = {}
    for key, raw in state.items():
        if stamped:
            position, raw = unstamp(raw)
            assert position is not None, f"{key} stored without its source offset"
        out[key] = summary(raw)
    return out


def cluster_counts(state: dict[str, bytes], *, stamped: bool) -> dict[str, tuple[int, bytes]]:
    """cluster id -> (observations applied, HyperLogLog registers): both independent of the order."""
    config = load_settings().detection.cluster_state

    def summary(raw: bytes) -> tuple[int, bytes]:
        cluster = ClusterState.from_bytes(config, raw)
        return cluster.events, bytes(cluster.accounts.registers)

    return _counts(state, stamped, summary)


def trait_counts(state: dict[str, bytes], *, stamped: bool) -> dict[str, tuple[int, bytes]]:
    """trait value -> (observations applied, owner sketch registers): both independent of the order."""
    layout = TraitLayout(load_settings().detection.traits)

    def summary(raw: bytes) -> tuple[int, bytes]:
        trait = TraitState.from_bytes(layout, raw)
        return trait.observations, bytes(trait.owners.registers)

    return _counts(state, stamped, summary)


def offline(events: list[dict[str, Any]], partitions: int) -> tuple[Detector, list[dict[str, Any]]]:
    detector = Detector(load_settings().detection, partitions=partitions)  # as the worker's topics
    alerts: list[dict[str, Any]] = []
    for event in events:
        alerts.extend(
            a.model_dump(mode="json") for a in detector.process(decode_request(orjson.dumps(event)))
        )
    return detector, alerts


def test_a_crash_mid_batch_applies_every_observation_once(kafka_bootstrap: str, tmp_path: Path) -> None:
    """Worker 1 never commits (commit interval 10 min) and processes in batches of 50; it is killed
    (SIGKILL) while its cluster stage is part-way through the observations. Worker 2 gets every record
    of every stage redelivered. The cluster and trait state it leaves (changelogs) must equal the
    offline Detector's: the same clusters and trait values, each with exactly as many observations and
    the same accounts."""
    workload = small_workload(("cot_rubric",), normals=60)
    events = workload.events
    log = tmp_path / "worker.log"
    with worker_topics(kafka_bootstrap, tmp_path, partitions=2) as config:
        first = WorkerProcess(
            config, log, env={"BROKER_COMMIT_INTERVAL": "600", "DISTILLGUARD_WORKER__BATCH_MAX_EVENTS": "50"}
        )
        try:
            first.wait_ready()
            produce_events(kafka_bootstrap, config.requests, events)
            deadline = time.monotonic() + 120
            while (
                metric(first.metrics(), "distillguard_stage_items_total", stage="cluster") < len(events) / 3
            ):
                assert first.alive() and time.monotonic() < deadline, first.log_tail()
                time.sleep(0.05)
            killed_at = metric(first.metrics(), "distillguard_stage_items_total", stage="cluster")
        finally:
            first.kill()
        assert not committed_offsets(kafka_bootstrap, config.app_id), "worker 1 was not to commit"
        pre_crash = read_topic(kafka_bootstrap, config.alerts)

        second = WorkerProcess(config, log)
        try:
            second.wait_ready()
            wait_drained(config, second)
            metrics = second.metrics()
        finally:
            second.stop()
        clusters = table_state(config, "cluster_state")
        traits = table_state(config, "trait_state")
        alerts = [orjson.loads(r.value) for r in read_topic(kafka_bootstrap, config.alerts)]
        alert_state = table_state(config, "alert_state")

    detector, reference_alerts = offline(events, config.partitions)
    expected = cluster_counts(dict(detector.clusters.clusters), stamped=False)
    got = cluster_counts(clusters, stamped=True)
    over = {k: (got[k][0], expected[k][0]) for k in got if k in expected and got[k][0] > expected[k][0]}
    under = {k: (got[k][0], expected.get(k, (0,))[0]) for k in got if got[k][0] < expected.get(k, (0,))[0]}
    print(
        f"cluster stage had applied {killed_at:.0f} of {len(events)} observations when killed; after the "
        f"restart: {sum(v[0] for v in got.values())} observations in {len(got)} clusters, offline "
        f"{sum(v[0] for v in expected.values())} in {len(expected)}; redelivered items skipped: "
        + ", ".join(
            f"{s}={metric(metrics, 'distillguard_stage_redelivered_items_total', stage=s):.0f}"
            for s in ("cluster", "alert", "trait", "coordination")
        )
    )
    assert not over, f"clusters that applied observations twice (worker, offline): {list(over.items())[:5]}"
    assert not under, f"clusters missing observations (worker, offline): {list(under.items())[:5]}"
    assert got == expected
    # the side chain too: the trait observations the account stage sent again are applied once
    trait_got = trait_counts(traits, stamped=True)
    trait_expected = trait_counts(dict(detector.traits.traits), stamped=False)
    twice = {
        k: (n, trait_expected[k][0]) for k, (n, _) in trait_got.items() if n > trait_expected.get(k, (0,))[0]
    }
    assert not twice, (
        f"trait values that applied observations twice (worker, offline): {list(twice.items())[:5]}"
    )
    assert trait_got == trait_expected
    # the restarted worker really was handed records its stages had already applied, and skipped them
    assert metric(metrics, "distillguard_stage_redelivered_items_total", stage="cluster") > 0
    assert metric(metrics, "distillguard_duplicate_events_total") > 0
    # alerts: each emitted once, except that an alert whose batch was interrupted by the kill (sent, its
    # alert state not yet written) may be sent again: at-least-once output, same deterministic alert_id
    ids = Counter(a["alert_id"] for a in alerts)
    before_kill = {orjson.loads(r.value)["alert_id"] for r in pre_crash}
    again = [i for i, n in ids.items() if n > 1]
    assert set(again) <= before_kill, f"alerts emitted twice that were not in flight at the kill: {again}"
    assert all(unstamp(v)[0] is not None for v in alert_state.values())
    flagged = medium_plus(alerts)
    lost = (medium_plus(reference_alerts) & workload.campaign_accounts) - flagged
    assert not lost, f"campaign accounts flagged offline but not after the crash: {sorted(lost)}"
    assert not flagged & workload.normal_accounts, "a normal account was flagged"


def test_a_killed_worker_resumes_within_the_recovery_budget(kafka_bootstrap: str, tmp_path: Path) -> None:
    """Static group membership: the restarted worker (same worker.group_instance_id, same web address)
    takes its partitions back without waiting for the killed member's session to expire; what remains
    is start-up and the changelog restore. Measured from the restart command to the first observation
    the new worker produces for a request sent while it was down."""
    workload = small_workload(("cot_rubric",), normals=60)
    events = workload.events
    half = len(events) // 2
    log = tmp_path / "worker.log"
    port = free_port()
    identity = {
        "DISTILLGUARD_WORKER__GROUP_INSTANCE_ID": "worker-a",
        "DISTILLGUARD_WORKER__WEB_PORT": str(port),  # Faust's assignor checks the member's URL
    }
    with worker_topics(kafka_bootstrap, tmp_path, partitions=2) as config:
        first = WorkerProcess(config, log, env=identity)
        first.web_port = port
        try:
            first.wait_ready()
            produce_events(kafka_bootstrap, config.requests, events[:half])
            wait_drained(config, first)
        finally:
            first.kill()
        before = sum(end_offsets(kafka_bootstrap, [config.observations]).values())
        produce_events(kafka_bootstrap, config.requests, events[half:])
        started = time.monotonic()
        second = WorkerProcess(config, log, env=identity)
        second.web_port = port
        try:
            while sum(end_offsets(kafka_bootstrap, [config.observations]).values()) <= before:
                assert second.alive(), second.log_tail()
                assert time.monotonic() - started < 90, "no new observation 90 s after the restart"
                time.sleep(0.1)
            recovery_s = time.monotonic() - started
            wait_drained(config, second)
            log_text = log.read_text(errors="replace")
        finally:
            second.stop()
    print(f"kill -9 -> restart -> first new observation: {recovery_s:.1f} s")
    assert "AssertionError" not in log_text
    assert recovery_s < RECOVERY_BUDGET_S, f"processing resumed only {recovery_s:.1f} s after the restart"


def test_commit_lag_per_partition_is_exposed_and_bounded(kafka_bootstrap: str, tmp_path: Path) -> None:
    """While a backlog is processed, /metrics gives every input partition's commit lag; the committed
    offsets trail what was processed by at most a few commit intervals' worth, and by nothing once the
    worker is idle."""
    workload = small_workload(("hydra_agentic", "model_pivot"), normals=100)
    events = workload.events * 3  # duplicates are processed (and dropped) like any request
    with worker_topics(kafka_bootstrap, tmp_path, partitions=2) as config:
        # the default commit interval (worker.commit_interval_s), not the helpers' 0.5 s
        worker = WorkerProcess(
            config,
            tmp_path / "worker.log",
            env={"BROKER_COMMIT_INTERVAL": str(load_settings().worker.commit_interval_s)},
        )
        try:
            worker.wait_ready()
            producer = threading.Thread(
                target=produce_events, args=(kafka_bootstrap, config.requests, events)
            )
            producer.start()
            worst = 0.0
            samples = 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                text = worker.metrics()
                lag = metric(text, "distillguard_commit_lag", topic=config.requests)
                if "distillguard_commit_lag{" in text:
                    samples += 1
                worst = max(worst, lag)
                if metric(text, "distillguard_events_total") >= len(events):
                    break
                time.sleep(0.25)
            producer.join()
            wait_drained(config, worker)
            time.sleep(2.5)  # the gauges are refreshed every second
            idle = worker.metrics()
        finally:
            worker.stop()
    print(f"worst commit lag of the request topic (summed over partitions): {worst:.0f} records")
    assert samples > 0
    for topic in config.stage_sources:
        for partition in range(config.partitions):
            assert f'distillguard_commit_lag{{partition="{partition}",topic="{topic}"}}' in idle, topic
            assert metric(idle, "distillguard_commit_lag", topic=topic, partition=str(partition)) == 0
            assert metric(idle, "distillguard_partition_lag", topic=topic, partition=str(partition)) == 0
    # one commit interval (1 s) of processing is a few hundred requests on this machine; allow for a
    # slow commit under load, but not the thousands of records the issue saw
    assert worst < 2_000
