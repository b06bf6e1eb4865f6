"""kafka-python helpers for everything outside the Faust worker: producing simulated or historical
traffic, reading a topic range for replay, tailing the alert topic."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from distillguard.streams.settings import Settings


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """kafka-python connection and security arguments from the settings."""
    sec = settings.security
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "security_protocol": sec.protocol,
    }
    if sec.protocol.startswith("SASL"):
        assert sec.sasl_password is not None
        kwargs.update(
            sasl_mechanism=sec.sasl_mechanism,
            sasl_plain_username=sec.sasl_username,
            sasl_plain_password=sec.sasl_password.get_secret_value(),
        )
    if "SSL" in sec.protocol:
        kwargs.update(
            ssl_cafile=str(sec.ssl_cafile) if sec.ssl_cafile else None,
            ssl_certfile=str(sec.ssl_certfile) if sec.ssl_certfile else None,
            ssl_keyfile=str(sec.ssl_keyfile) if sec.ssl_keyfile else None,
        )
    return kwargs


def make_producer(settings: Settings, **extra: Any) -> KafkaProducer:
    return KafkaProducer(**client_kwargs(settings), acks="all", linger_ms=5, **extra)


def produce(
    settings: Settings,
    topic: str,
    records: Iterable[tuple[str | None, bytes]],
    *,
    rate: float | None = None,
    producer: KafkaProducer | None = None,
) -> int:
    """Send (key, value) records to ``topic``, paced to ``rate`` records/s when given; returns the count."""
    own = producer is None
    producer = producer or make_producer(settings)
    sent = 0
    started = time.monotonic()
    try:
        for key, value in records:
            producer.send(topic, key=key.encode() if key is not None else None, value=value)
            sent += 1
            if rate:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        producer.flush()
    finally:
        if own:
            producer.close()
    return sent


def iter_topic(
    settings: Settings,
    topic: str,
    *,
    group_id: str,
    start_ms: int | None = None,
    end_ms: int | None = None,
    start_offset: int | None = None,
    idle_timeout_s: float = 5.0,
) -> Iterator[tuple[bytes, str]]:
    """Records of a topic range as (value bytes, "topic[partition]@offset"), partition by partition.

    Reads from ``start_offset`` or the first offset at ``start_ms`` (default: the beginning) up to the
    log end as it was when the replay started, or to ``end_ms``. Offsets are never committed, so the
    group id only names the reader; the live worker's position is untouched.
    """
    consumer = KafkaConsumer(
        **client_kwargs(settings),
        group_id=None,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        if not partitions:
            raise ValueError(f"topic {topic!r} does not exist or has no partitions")
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        end_offsets = consumer.end_offsets(tps)
        if end_ms is not None:
            by_time = consumer.offsets_for_times({tp: end_ms for tp in tps})
            end_offsets = {tp: (by_time[tp].offset if by_time[tp] else end_offsets[tp]) for tp in tps}
        starts = {tp: start_offset or 0 for tp in tps}
        if start_ms is not None:
            by_time = consumer.offsets_for_times({tp: start_ms for tp in tps})
            starts = {tp: (by_time[tp].offset if by_time[tp] else end_offsets[tp]) for tp in tps}
        for tp in tps:
            consumer.seek(tp, starts[tp])
        remaining = {tp for tp in tps if starts[tp] < end_offsets[tp]}
        last_progress = time.monotonic()
        while remaining:
            batch = consumer.poll(timeout_ms=500, max_records=5000)
            if not batch:
                if time.monotonic() - last_progress > idle_timeout_s:
                    raise TimeoutError(f"no records from {topic} for {idle_timeout_s}s before the range end")
                continue
            last_progress = time.monotonic()
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset >= end_offsets[tp]:
                        remaining.discard(tp)
                        break
                    yield message.value, f"{tp.topic}[{tp.partition}]@{message.offset}"
                    if message.offset + 1 >= end_offsets[tp]:
                        remaining.discard(tp)
                if tp not in remaining:
                    consumer.pause(tp)
    finally:
        consumer.close()


def tail(settings: Settings, topic: str, *, from_beginning: bool = True) -> KafkaConsumer:
    """A consumer subscribed to ``topic`` (no group), for printing alerts live."""
    consumer = KafkaConsumer(
        **client_kwargs(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        consumer_timeout_ms=200,
    )
    partitions = consumer.partitions_for_topic(topic) or set()
    consumer.assign([TopicPartition(topic, p) for p in partitions])
    if from_beginning:
        consumer.seek_to_beginning()
    return consumer
