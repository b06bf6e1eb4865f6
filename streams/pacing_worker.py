"""The worker's side of event-time pacing (streams.pacing): the gate's view of the consumer, its timer, and
the reports the workers of a group exchange.

Every ``tick_s`` the worker tells the gate the high watermarks of its request partitions, processes what
the gate now releases (through the account agent's loop, under its lock), pauses fetching from the
partitions the gate holds records of and resumes the others it paused (never during a table recovery,
which pauses and resumes partitions itself), and sends the reports that changed, or that are due
(``report_every_s``), to the progress topic: one partition, compacted, keyed by request partition. A
thread reads that topic from its end (no consumer group: every worker reads every report) and hands each
report to the gate on the event loop, with the request partitions' end offsets, read every 50 ms. No
prompt text is involved: a report is a partition, an event time and a flag.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import faust
from faust.types import TP
from kafka import KafkaConsumer, TopicPartition

from distillguard.streams.agent_loop import AgentLoop
from distillguard.streams.faust_compat import committed_offset, pause_fetching, resume_fetching
from distillguard.streams.kafka_io import client_kwargs
from distillguard.streams.metrics import WorkerMetrics
from distillguard.streams.pacing import EventTimeGate, Report
from distillguard.streams.settings import Settings

log = logging.getLogger("distillguard.worker.pacing")

READ_POLL_MS = 50  # also how often the request partitions' end offsets are read


def make_gate(settings: Settings) -> EventTimeGate:
    pacing = settings.worker.pacing
    skew_s = pacing.max_skew_s if pacing.max_skew_s is not None else settings.detection.campaign.name_settle_s
    return EventTimeGate(
        max_skew_ms=round(skew_s * 1000),
        partitions=settings.topics.partitions,
        max_held=pacing.max_held,
        stale_after_s=pacing.stale_after_s,
    )


class ReportReader(threading.Thread):
    """Reads the progress topic from its end and hands every report to ``deliver``, and the request
    partitions' end offsets, read after each poll, to ``deliver_ends`` (both called from this thread:
    they must be thread-safe)."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        requests: str,
        deliver: Callable[[Report], None],
        deliver_ends: Callable[[dict[int, int], float], None],
    ) -> None:
        super().__init__(name="distillguard-pacing-reports", daemon=True)
        self.settings, self.topic, self.requests = settings, topic, requests
        self.deliver, self.deliver_ends = deliver, deliver_ends
        self.stopping = threading.Event()
        self.malformed = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._read()
            except Exception as exc:  # broker gone, topic deleted: the gate's stale rule covers the gap
                log.warning("progress reports unreadable (%s: %s); retrying", type(exc).__name__, exc)
                self.stopping.wait(1.0)

    def _read(self) -> None:
        consumer = KafkaConsumer(**client_kwargs(self.settings), group_id=None, enable_auto_commit=False)
        try:
            while consumer.partitions_for_topic(self.topic) is None:  # created by the worker at start
                if self.stopping.wait(0.5):
                    return
            tp = TopicPartition(self.topic, 0)
            consumer.assign([tp])
            consumer.seek_to_end(tp)
            requests = [TopicPartition(self.requests, p) for p in range(self.settings.topics.partitions)]
            while not self.stopping.is_set():
                for records in consumer.poll(timeout_ms=READ_POLL_MS).values():
                    for record in records:
                        try:
                            self.deliver(Report.decode(record.value))
                        except (ValueError, KeyError, TypeError):
                            self.malformed += 1
                read_at = time.monotonic()  # before the request: the offsets are at least this fresh
                ends = consumer.end_offsets(requests)
                self.deliver_ends({tp.partition: end for tp, end in ends.items()}, read_at)
        finally:
            consumer.close()


def install_pacing(
    app: faust.App,
    settings: Settings,
    gate: EventTimeGate,
    loop: AgentLoop,
    requests: str,
    board: Any,
    metrics: WorkerMetrics,
) -> None:
    """Drive ``gate`` (the account agent ``loop``'s pacing) from the worker: its partitions, its timer,
    its reports on the ``board`` topic (module docstring)."""
    pacing = settings.worker.pacing
    paused: set[int] = set()  # request partitions this worker paused

    def owned(assigned: Any) -> set[int]:
        return {tp.partition for tp in assigned if tp.topic == requests}

    async def assigned(_sender: Any, assigned: Any, **_kwargs: Any) -> None:
        gate.assigned(owned(assigned))
        paused.intersection_update(gate.own)

    async def revoked(_sender: Any, revoked: Any, **_kwargs: Any) -> None:
        gate.assigned(set(gate.own) - owned(revoked))
        paused.intersection_update(gate.own)

    app.on_partitions_assigned.connect(assigned)
    app.on_partitions_revoked.connect(revoked)

    @app.task
    async def pace() -> None:
        await board.maybe_declare()  # no agent reads it, so Faust would not create it
        event_loop = asyncio.get_running_loop()
        reader = ReportReader(
            settings,
            board.get_topic_name(),
            requests,
            lambda report: event_loop.call_soon_threadsafe(gate.learn, report),
            lambda ends, at: event_loop.call_soon_threadsafe(gate.learn_ends, ends, at),
        )
        reader.start()
        sent: dict[int, tuple[Report, float]] = {}
        forced = held = 0
        try:
            while True:
                await asyncio.sleep(pacing.tick_s)
                try:
                    consumer = app.consumer
                    tps = {p: TP(requests, p) for p in gate.own}
                    gate.watermarks(
                        {p: consumer.highwater(tp) for p, tp in tps.items()},
                        {p: committed_offset(consumer, tp) for p, tp in tps.items()},
                    )
                    await loop.release()
                    holding = gate.holding()
                    if holding:
                        pause_fetching(consumer, [TP(requests, p) for p in holding])
                    resume = paused - holding
                    if resume and not getattr(app, "in_recovery", False):
                        resume_fetching(consumer, [TP(requests, p) for p in resume])
                        paused.difference_update(resume)
                    paused.update(holding)
                    now = time.monotonic()
                    for report in gate.reports():
                        last = sent.get(report.partition)
                        if last is None or last[0] != report or now - last[1] >= pacing.report_every_s:
                            sent[report.partition] = (report, now)
                            await board.send(key=str(report.partition).encode(), value=report.encode())
                    metrics.pacing_held.set(gate.held_count())
                    metrics.pacing_held_total.inc(gate.held_total - held)
                    held = gate.held_total
                    metrics.pacing_paused.set(len(paused))
                    total = gate.forced + gate.stale_ignored
                    if total > forced:
                        metrics.pacing_forced.inc(total - forced)
                        log.warning(
                            "pacing: %d records processed past the bound, %d silent partitions left out",
                            gate.forced,
                            gate.stale_ignored,
                        )
                        forced = total
                except Exception:  # a tick that fails is retried at the next one; held records wait
                    log.exception("pacing tick failed")
        finally:
            reader.stopping.set()
