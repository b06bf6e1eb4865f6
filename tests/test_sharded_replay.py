"""Sharded file replay: the stages in their own processes give the serial replay's results."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import write_scenario
from distillguard.models.config import DetectionConfig, FusionConfig, FusionWeights
from distillguard.models.traits import trait_label
from distillguard.schemas import SuspicionEvent
from distillguard.streams.cli import main
from distillguard.streams.replay import ReplayStats, iter_file_records, replay_file
from distillguard.streams.sharded_replay import ShardedReplay, ShardFailed, replay_file_sharded, shard_of

EVENTS = 6_000  # of the small scenario's ~12,400: enough alerts, half the time
JUNK_EVERY, REDELIVER_EVERY = 997, 1_501
JUNK = [b"{not json", b'{"schema_version": 1}', b"[1, 2, 3]", b'{"account_id": 7}']


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario with junk lines and redelivered duplicates interleaved."""
    out = tmp_path_factory.mktemp("sharded")
    write_scenario(get_scenario("small"), out)
    lines = (out / "events.jsonl").read_bytes().splitlines()[:EVENTS]
    mixed: list[bytes] = []
    for number, line in enumerate(lines):
        mixed.append(line)
        if number % JUNK_EVERY == 0:
            mixed.append(JUNK[(number // JUNK_EVERY) % len(JUNK)])
        if number % REDELIVER_EVERY == 0:
            mixed.append(line)  # a redelivery: counted once
    path = out / "mixed.jsonl"
    path.write_bytes(b"\n".join(mixed) + b"\n")
    return path


def replay(events: Path, out: Path, shards: int) -> tuple[ReplayStats, bytes, bytes]:
    alerts, dead = out / f"alerts-{shards}.jsonl", out / f"dead-{shards}.jsonl"
    if shards == 0:
        stats = replay_file(events, alerts, DetectionConfig(), dlq_path=dead)
    else:
        stats = replay_file_sharded(  # small chunks so that many are in flight at once
            events, alerts, DetectionConfig(), shards, dlq_path=dead, chunk_events=700
        )
    return stats, alerts.read_bytes(), dead.read_bytes()


@pytest.fixture(scope="module")
def serial(events_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ReplayStats, bytes, bytes]:
    return replay(events_file, tmp_path_factory.mktemp("serial"), 0)


def flagged_accounts(alerts: bytes) -> set[str]:
    return {SuspicionEvent.model_validate(orjson.loads(line)).account_id for line in alerts.splitlines()}


def test_one_shard_gives_the_serial_output_byte_for_byte(
    events_file: Path, serial: tuple[ReplayStats, bytes, bytes], tmp_path: Path
) -> None:
    stats, alerts, dead = replay(events_file, tmp_path, 1)
    serial_stats, serial_alerts, serial_dead = serial
    # the junk and the redeliveries
    assert serial_stats.dead_letters == -(-EVENTS // JUNK_EVERY)
    assert serial_stats.duplicates == -(-EVENTS // REDELIVER_EVERY)
    assert stats.as_dict() == serial_stats.as_dict()
    assert alerts == serial_alerts and len(alerts.splitlines()) > 50
    assert dead == serial_dead


def with_shared_traits_weighted(at_least: float) -> DetectionConfig:
    """The default config with the ``shared_traits`` signal weighted at least ``at_least`` (were its
    weight 0, the shared-trait side chain could not change an output): the committed shape raised to
    the line ``at_least · value`` wherever it lies below it (a fitted shape may give moderate values
    nothing, and moderate values are what a short file's traits reach)."""
    base = DetectionConfig()
    committed = base.fusion.weights.shared_traits
    if isinstance(committed, tuple):
        segments = len(committed) - 1
        weight: float | tuple[float, ...] = tuple(
            max(knot, at_least * i / segments) for i, knot in enumerate(committed)
        )
    else:
        weight = max(committed, at_least)
    weights = FusionWeights(**{**base.fusion.weights.model_dump(), "shared_traits": weight})
    return DetectionConfig(fusion=FusionConfig(**{**base.fusion.model_dump(), "weights": weights}))


def test_one_shard_runs_the_shared_trait_side_chain_as_the_serial_replay_does(
    events_file: Path, tmp_path: Path
) -> None:
    """The side chain runs inside the account shard, right after the account stage, as in the Detector:
    with the signal weighted, its evidence shows in the alerts and one shard still matches byte for byte."""
    head = tmp_path / "head.jsonl"
    head.write_bytes(b"".join(line + b"\n" for line in events_file.read_bytes().splitlines()[:3_000]))
    config = with_shared_traits_weighted(1.5)
    replay_file(head, tmp_path / "serial.jsonl", config)
    replay_file_sharded(head, tmp_path / "sharded.jsonl", config, 1, chunk_events=500)
    serial_alerts = (tmp_path / "serial.jsonl").read_bytes()
    assert (tmp_path / "sharded.jsonl").read_bytes() == serial_alerts
    with_evidence = [
        line for line in serial_alerts.splitlines()
        if any(r["signal"] == "shared_traits" for r in orjson.loads(line)["reasons"])
    ]  # fmt: skip
    assert len(with_evidence) >= 3, "the shared-trait chain gave no alert a shared_traits reason"
    # each such reason names the kind of trait that carried the evidence (what an analyst checks first)
    labels = {trait_label(rule.kind) for rule in config.traits.kinds}
    for line in with_evidence:
        detail = next(r["detail"] for r in orjson.loads(line)["reasons"] if r["signal"] == "shared_traits")
        assert any(f"the strongest through its {label}" in detail for label in labels), detail
        # and how many owners share that value (how big the group the analyst is about to open is)
        assert re.search(r", which ~\d+ owners share", detail), detail


def test_two_shards_keep_exact_per_account_facts_and_are_deterministic(
    events_file: Path, serial: tuple[ReplayStats, bytes, bytes], tmp_path: Path
) -> None:
    first = replay(events_file, tmp_path / "a", 2)
    second = replay(events_file, tmp_path / "b", 2)
    assert first[1:] == second[1:] and first[0].as_dict() == second[0].as_dict()
    stats, alerts, dead = first
    serial_stats, serial_alerts, serial_dead = serial
    # dedupe, dead letters and counts do not depend on the sharding: each account lives in one shard
    for name in ("records", "processed", "duplicates", "dead_letters"):
        assert getattr(stats, name) == getattr(serial_stats, name), name
    assert dead == serial_dead
    # Each account shard learns its own population model (as each worker does) and keeps the trait state
    # of its own accounts only (the documented difference: a trait shared across shards counts fewer
    # owners), so evidence is weaker and scores lower: K shards flag fewer accounts, hardly any other.
    ours, theirs = flagged_accounts(alerts), flagged_accounts(serial_alerts)
    assert len(ours - theirs) <= max(1, len(ours) // 10), sorted(ours - theirs)
    assert len(ours & theirs) >= len(theirs) // 3, (len(ours & theirs), len(theirs))
    ids = [orjson.loads(line)["alert_id"] for line in alerts.splitlines()]
    assert len(ids) == len(set(ids))


def test_a_key_goes_to_the_shard_of_its_kafka_partition() -> None:
    """A shard holds whole partitions: a key goes to the shard of the partition Kafka's default
    partitioner (kafka-python's, the Java client's murmur2) gives it, modulo the shard count; so each
    partition's soft models (models.soft_state) see that partition's records, as in the worker."""
    from kafka.partitioner.default import murmur2

    keys = [f"acct-{i}" for i in range(500)]
    for partitions, shards in ((4, 2), (4, 4), (12, 5), (64, 7)):
        expected = {key: ((murmur2(key.encode()) & 0x7FFFFFFF) % partitions) % shards for key in keys}
        assert {key: shard_of(key, shards, partitions) for key in keys} == expected
    assert {shard_of(key, 1) for key in keys} == {0}


def test_shards_are_the_same_in_another_process_with_another_hash_seed() -> None:
    keys = [f"acct-{i}" for i in range(2_000)]
    script = (
        "import json, sys; from distillguard.streams.sharded_replay import shard_of; "
        "print(json.dumps([shard_of(k, 4) for k in json.load(sys.stdin)]))"
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(keys),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assigned = json.loads(child.stdout)
    assert assigned == [shard_of(key, 4) for key in keys]
    assert all(400 <= assigned.count(shard) <= 600 for shard in range(4))  # an even split


def test_a_dead_shard_stops_the_replay_with_an_error(events_file: Path) -> None:
    records = list(iter_file_records(events_file))[:3_000]
    with (
        pytest.raises(ShardFailed, match="account-shard-1 exited"),
        ShardedReplay(DetectionConfig(), 2, chunk_events=500) as sharded,
    ):
        processes = list(sharded._processes)
        victim = sharded._account_shards[1].process
        victim.kill()
        victim.join()
        sharded.run(records, lambda _encoded, _key: None)
    # the other shards are killed, not asked to finish (they would wait for the dead one forever)
    assert len(processes) == 4
    assert [process.exitcode for process in processes] == [-signal.SIGKILL] * 4


def test_cli_replays_with_shards_and_refuses_them_for_topics(events_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    alerts = tmp_path / "alerts.jsonl"
    args = ["replay", "--input", str(events_file), "--output", str(alerts), "--shards", "2", "--no-progress"]
    result = runner.invoke(main, [*args, "--dlq", str(tmp_path / "dead.jsonl")])
    assert result.exit_code == 0, result.output
    assert len(alerts.read_bytes().splitlines()) >= 10
    refused = runner.invoke(main, ["replay", "--topic", "t", "--output", str(alerts), "--shards", "2"])
    assert refused.exit_code != 0 and "--shards applies to file replay" in refused.output
