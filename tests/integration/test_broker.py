"""The local Kafka broker works end to end with the Python Kafka client the project uses.

These are the canaries for every other integration test: if producing and consuming 100 records
through a real 2-partition topic fails here, nothing built on Faust can work either.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from kafka import KafkaConsumer, KafkaProducer

from distillguard.streams.broker.cli import broker as broker_cli
from distillguard.streams.broker.local import ENV_BOOTSTRAP, KAFKA_VERSION, LocalBroker

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., str]

N_RECORDS = 100


def test_produce_and_consume_100_records(kafka_bootstrap: str, topic_factory: TopicFactory) -> None:
    """100 keyed records go into a fresh 2-partition topic and all come back exactly once."""
    topic = topic_factory(partitions=2)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=5)
    try:
        futures = [
            producer.send(topic, key=f"key-{i}".encode(), value=json.dumps({"i": i}).encode())
            for i in range(N_RECORDS)
        ]
        producer.flush(timeout=30)
        metadata = [future.get(timeout=30) for future in futures]
    finally:
        producer.close(timeout=10)
    assert {m.partition for m in metadata} == {0, 1}, "keys should spread over both partitions"

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"dg-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    seen: Counter[int] = Counter()
    partitions: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while sum(seen.values()) < N_RECORDS and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                partitions.add(tp.partition)
                for record in records:
                    seen[json.loads(record.value)["i"]] += 1
        consumer.commit()
    finally:
        consumer.close()

    assert set(seen) == set(range(N_RECORDS)), f"missing: {sorted(set(range(N_RECORDS)) - set(seen))}"
    assert max(seen.values()) == 1, "a record was delivered twice"
    assert partitions == {0, 1}


def test_local_broker_status_reports_running(kafka_bootstrap: str) -> None:
    """status() (and `broker status`) report the running broker at the bootstrap the tests use."""
    local = LocalBroker()
    if os.environ.get(ENV_BOOTSTRAP) and kafka_bootstrap != local.bootstrap:
        pytest.skip(f"{ENV_BOOTSTRAP}={kafka_bootstrap} points at an external broker, not the local one")

    status = local.status()
    assert status["running"] is True
    assert status["bootstrap"] == kafka_bootstrap == f"127.0.0.1:{local.port}"
    assert status["pid"] == int(local.pid_file.read_text())
    assert status["listening"] is True
    assert status["kafka_version"] == KAFKA_VERSION
    assert local.is_running()
    assert local.is_ready()

    result = CliRunner().invoke(broker_cli, ["status"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pid"] == status["pid"]


def test_stale_pid_file_is_not_running(tmp_path: Path) -> None:
    """A pid file naming a live process that is not this home's broker must not count as running."""
    local = LocalBroker(home=tmp_path, port=29999)
    local.home.mkdir(parents=True, exist_ok=True)
    local.pid_file.write_text(f"{os.getpid()}\n")  # this pytest process: alive, but not Kafka
    assert not local.is_running()
    assert local.status()["stale_pid"] == os.getpid()
    assert local.stop() is False  # must not signal the unrelated process
    assert not local.pid_file.exists()

    result = CliRunner().invoke(broker_cli, ["--home", str(tmp_path), "--port", "29999", "status"])
    assert result.exit_code == 1
    assert json.loads(result.output)["running"] is False
