"""kafka-python helpers for the benchmark: a fast bulk producer, offsets, topic cleanup, an alert tail."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.partitioner.default import murmur2

from distillguard.streams.broker.local import create_topics

# Topics the benchmark creates keep everything until it deletes them (the dev broker's default is
# 256 MiB per partition, less than 1M simulated events with prompts).
KEEP_ALL = {"retention.ms": "-1", "retention.bytes": "-1"}


def make_topics(bootstrap: str, names: Iterable[str], partitions: int) -> None:
    create_topics(bootstrap, {name: partitions for name in names}, configs=KEEP_ALL, timeout=60)


class KeyPartitioner:
    """Java-compatible murmur2 key → partition, cached per key (accounts repeat, murmur2 is pure Python)."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self._cache: dict[bytes, int] = {}

    def __call__(self, key: bytes) -> int:
        p = self._cache.get(key)
        if p is None:
            p = (murmur2(key) & 0x7FFFFFFF) % self.partitions
            self._cache[key] = p
        return p


def kafka_python_produce_rate(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes]], partitions: int
) -> float:
    """Records/s of a throughput-tuned kafka-python producer (what ``streams.kafka_io.produce`` uses)."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap.split(","), acks=1, enable_idempotence=False, linger_ms=20,
        batch_size=1 << 20, max_request_size=8 << 20,
    )  # fmt: skip
    partition_of = KeyPartitioner(partitions)
    try:
        producer.send(topic, key=b"warmup", value=b"{}", partition=0).get(timeout=30)
        started = time.perf_counter()
        for key, value in records:
            producer.send(topic, key=key, value=value, partition=partition_of(key))
        producer.flush(timeout=300)
        return len(records) / (time.perf_counter() - started)
    finally:
        producer.close(timeout=30)


async def _aio_bulk(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]], partitions: int
) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=1 << 20, max_request_size=8 << 20,
        enable_idempotence=False,
    )  # fmt: skip
    await producer.start()
    partition_of = KeyPartitioner(partitions)
    sent = size = 0
    started = time.perf_counter()
    try:
        batches = {p: producer.create_batch() for p in range(partitions)}
        pending = []
        for key, value in records:
            p = partition_of(key)
            if batches[p].append(key=key, value=value, timestamp=None) is None:
                pending.append(await producer.send_batch(batches[p], topic, partition=p))
                batches[p] = producer.create_batch()
                batches[p].append(key=key, value=value, timestamp=None)
            sent += 1
            size += len(value)
        for p, batch in batches.items():
            if batch.record_count():
                pending.append(await producer.send_batch(batch, topic, partition=p))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    elapsed = time.perf_counter() - started
    return {
        "records": sent,
        "value_bytes": size,
        "mean_value_bytes": round(size / max(1, sent), 1),
        "seconds": round(elapsed, 2),
        "records_per_s": round(sent / elapsed, 1),
        "mb_per_s": round(size / elapsed / 1e6, 2),
        "client": "aiokafka batch API (acks=1, 1 MiB batches, no compression)",
        "distinct_keys": len(partition_of._cache),
    }


def bulk_produce(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]], partitions: int
) -> dict[str, Any]:
    """Send every (key, value) as fast as possible (Java-compatible key partitioning); returns the figures.

    aiokafka's batch API, not kafka-python: kafka-python 3.0 manages only ~3k records/s here (its sender
    thread and ``RecordAccumulator.append`` fight over the GIL), aiokafka batches 50-150k/s.
    No compression: the lz4/zstd libraries are not installed and gzip would cost more CPU than it saves.
    """
    return asyncio.run(_aio_bulk(bootstrap, topic, records, partitions))


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False)
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        tps = [TopicPartition(topic, p) for p in partitions]
        return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def delete_topics_with(bootstrap: str, fragment: str) -> list[str]:
    """Delete every topic whose name contains ``fragment`` (the run id); returns the names."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="distillguard-bench-cleanup")
    try:
        names = [t for t in admin.list_topics() if fragment in t]
        if names:
            with contextlib.suppress(Exception):
                admin.delete_topics(names, timeout_ms=60_000, raise_errors=False)
        return names
    finally:
        admin.close()
