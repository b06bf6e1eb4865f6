"""Event→alert latency: a paced producer and an alert tail in one asyncio loop (aiokafka).

The load generator must not steal CPU from the worker it measures: kafka-python's producer thread
fights the GIL and burns a core at a few thousand records/s here, aiokafka in one event loop does not.
Each event's ``ts`` is the wall time (ms) at which it is handed to the producer; an alert's latency is
its arrival time at the tail minus the send time of its ``trigger_event_id``.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.kafka_tools import KeyPartitioner
from bench.workload import LiveTraffic


@dataclass
class PacedRun:
    """Raw observations of one paced run."""

    sent: int = 0
    send_seconds: float = 0.0
    send_ms: dict[str, int] = field(default_factory=dict)
    arrivals: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    counts: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, completed count)
    backlog_at_end: int = 0
    drain_seconds: float = 0.0
    started_wall_ms: int = 0
    generator_cpu_s: float = 0.0


async def _paced(
    bootstrap: str,
    requests: str,
    alerts: str,
    partitions: int,
    traffic: LiveTraffic,
    rate: float,
    seconds: float,
    completed: Callable[[], float],
    on_sample: Callable[[], None],
) -> PacedRun:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.structs import TopicPartition

    run = PacedRun()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=1, enable_idempotence=False)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
    )  # fmt: skip
    await producer.start()
    await consumer.start()
    stop = asyncio.Event()

    async def tail() -> None:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=50, max_records=10_000)
            now = time.time()
            for messages in batch.values():
                for message in messages:
                    run.arrivals.append((now, orjson.loads(message.value)))

    try:
        consumer.assign([TopicPartition(alerts, p) for p in range(partitions)])
        await consumer.seek_to_end()  # only alerts of this run (the topic may hold an earlier attempt's)
        tail_task = asyncio.create_task(tail())
        # One invalid record first: connects, fetches metadata, and shows up as a dead letter (counted done).
        await producer.send_and_wait(requests, key=b"warmup", value=b"{}", partition=0)
        partition_of = KeyPartitioner(partitions)
        cpu0 = sum(os.times()[:2])
        loop = asyncio.get_running_loop()
        started = loop.time()
        run.started_wall_ms = int(time.time() * 1000)
        next_sample = started
        while True:
            now = loop.time()
            elapsed = now - started
            if elapsed >= seconds:
                break
            due = int(elapsed * rate)
            while run.sent < due:
                now_ms = int(time.time() * 1000)
                event_id, key, value = traffic.next_record(now_ms)
                await producer.send(requests, key=key, value=value, partition=partition_of(key))
                run.send_ms[event_id] = now_ms
                run.sent += 1
            if now >= next_sample:
                next_sample = now + 1.0
                try:
                    count = await asyncio.to_thread(completed)
                    run.counts.append((loop.time() - started, count))
                except OSError:
                    pass
                on_sample()
            await asyncio.sleep(0.001)
        await producer.flush()
        run.send_seconds = loop.time() - started
        run.generator_cpu_s = sum(os.times()[:2]) - cpu0
        end_count = await asyncio.to_thread(completed)
        run.counts.append((loop.time() - started, end_count))
        run.backlog_at_end = max(0, run.sent + 1 - int(end_count))  # +1: the warm-up record
        drain_started = loop.time()
        while await asyncio.to_thread(completed) < run.sent + 1 and loop.time() - drain_started < 180:
            await asyncio.sleep(0.25)
        run.drain_seconds = loop.time() - drain_started
        quiet_since, seen = loop.time(), len(run.arrivals)
        while loop.time() - quiet_since < 3.0 and loop.time() - drain_started < 240:
            await asyncio.sleep(0.25)
            if len(run.arrivals) != seen:
                quiet_since, seen = loop.time(), len(run.arrivals)
        stop.set()
        await tail_task
    finally:
        stop.set()
        await consumer.stop()
        await producer.stop()
    return run


def paced_run(
    bootstrap: str,
    requests: str,
    alerts: str,
    partitions: int,
    traffic: LiveTraffic,
    rate: float,
    seconds: float,
    completed: Callable[[], float],
    on_sample: Callable[[], None],
) -> PacedRun:
    return asyncio.run(
        _paced(bootstrap, requests, alerts, partitions, traffic, rate, seconds, completed, on_sample)
    )


def percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"alerts": 0}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))], 1)

    return {
        "alerts": len(ordered),
        "p50_ms": q(0.50),
        "p90_ms": q(0.90),
        "p99_ms": q(0.99),
        "max_ms": round(ordered[-1], 1),
        "mean_ms": round(sum(ordered) / len(ordered), 1),
    }


def summarise(run: PacedRun, rate: float, warmup_s: float) -> dict[str, Any]:
    """Latency percentiles (all alerts, and alerts of events sent after the warm-up) and load figures."""
    warm_wall_ms = run.started_wall_ms + int(warmup_s * 1000)
    all_lat: list[float] = []
    steady_lat: list[float] = []
    missing = 0
    severities: dict[str, int] = {}
    for arrived, alert in run.arrivals:
        sent_at = run.send_ms.get(alert.get("trigger_event_id", ""))
        if sent_at is None:
            missing += 1
            sent_at = alert["ts"]
        latency = arrived * 1000 - sent_at
        all_lat.append(latency)
        if sent_at >= warm_wall_ms:
            steady_lat.append(latency)
        severities[alert["severity"]] = severities.get(alert["severity"], 0) + 1
    warm = [c for c in run.counts if c[0] >= warmup_s]
    consumed_rate = None
    if len(warm) >= 2 and warm[-1][0] > warm[0][0]:
        consumed_rate = round((warm[-1][1] - warm[0][1]) / (warm[-1][0] - warm[0][0]), 1)
    sustained = bool(consumed_rate and consumed_rate >= 0.9 * rate and run.backlog_at_end <= 2 * rate)
    return {
        "offered_rate": rate,
        "sustained": sustained,
        "seconds": round(run.send_seconds, 1),
        "sent": run.sent,
        "achieved_send_rate": round(run.sent / run.send_seconds, 1) if run.send_seconds else None,
        "consumed_rate": consumed_rate,
        "backlog_at_end": run.backlog_at_end,
        "drain_seconds": round(run.drain_seconds, 1),
        "warmup_s": warmup_s,
        "load_generator_cores_used": round(run.generator_cpu_s / run.send_seconds, 2)
        if run.send_seconds
        else None,
        "alerts_by_severity": severities,
        "alerts_without_send_time": missing,
        "all": percentiles(all_lat),
        "steady": percentiles(steady_lat),
    }
