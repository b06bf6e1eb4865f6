"""Size limits on the real broker: the topics the project creates hold what the worker accepts, large
dead letters keep their bytes, and a worker refuses to start on topics too small for its settings."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from tests.integration.helpers import (
    WorkerConfig,
    committed_offsets,
    delete_run,
    make_worker_config,
    produce_raw,
    read_topic,
    running_worker,
    wait_drained,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
OLD_DEFAULT = 1_048_588  # the broker's default message.max.bytes (1 MiB + 12)


def _cli(config: WorkerConfig, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillguard.streams.cli", *args],
        cwd=REPO_ROOT, env={**os.environ, **config.env()}, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _max_message_bytes(bootstrap: str, topic: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="dg-it-limits")
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": None})],
            config_filter="all",
        )
    finally:
        admin.close()
    return int(described["topic"][topic]["max.message.bytes"]["value"])


def test_a_large_record_is_accepted_and_dead_lettered_with_its_bytes(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    max_record = 3 << 20
    config = WorkerConfig(
        bootstrap=kafka_bootstrap,
        run_id=uuid.uuid4().hex[:10],
        data_dir=tmp_path / "worker-data",
        partitions=1,
        extra_env={"DISTILLGUARD_WORKER__MAX_RECORD_BYTES": str(max_record)},
    )
    try:
        created = _cli(config, "topics")
        assert created.returncode == 0, created.stderr[-3000:]
        request_limit = _max_message_bytes(kafka_bootstrap, config.requests)
        dead_limit = _max_message_bytes(kafka_bootstrap, config.dead_letter)
        assert dead_limit >= request_limit > max_record

        # Larger than the old 1 MiB topic default, within worker.max_record_bytes; invalid, so dead-lettered.
        big = b'{"not_a_request": "' + b"x" * (2 << 20) + b'"}'
        assert OLD_DEFAULT < len(big) < max_record
        (accepted,) = produce_raw(kafka_bootstrap, config.requests, [("acct-big", big)])

        with running_worker(config, tmp_path / "worker.log") as worker:
            wait_drained(config, worker)
            assert worker.alive()
            dead = read_topic(kafka_bootstrap, config.dead_letter)
        assert len(dead) == 1
        record = dead[0]
        headers = dict(record.headers)
        assert int(headers["dlq.source.offset"]) == accepted.offset
        assert record.key == b"acct-big"
        assert len(record.value) == len(big) and record.value == big, "dead letter lost its bytes"
        assert not (config.data_dir / "dead-letter-spill.jsonl").exists()
        assert "never retrieved" not in worker.log_path.read_text(errors="replace")
    finally:
        delete_run(config)


def test_the_worker_refuses_topics_too_small_for_its_settings(kafka_bootstrap: str, tmp_path: Path) -> None:
    config = make_worker_config(
        kafka_bootstrap,
        tmp_path,
        partitions=1,
        topic_configs={"max.message.bytes": str(OLD_DEFAULT)},
        DISTILLGUARD_WORKER__MAX_RECORD_BYTES=str(2 << 20),
    )
    try:
        result = _cli(config, "worker", "--web-port", "0", timeout=90)
        assert result.returncode != 0
        lines = [line for line in result.stderr.splitlines() if "max.message.bytes" in line]
        assert len(lines) == 1, result.stderr[-3000:]
        assert config.requests in lines[0] and str(OLD_DEFAULT) in lines[0]
        assert config.dead_letter in lines[0]
        assert not committed_offsets(kafka_bootstrap, config.app_id), "the worker consumed"
    finally:
        delete_run(config)
