"""The stage agents: a stage of :data:`models.pipeline.PIPELINE` over write-back views of the worker's
tables (:class:`StageAgent`), run by the generic :class:`~streams.agent_loop.AgentLoop` with the step
that fits its input:

* :class:`RequestStep` (the first stage): a request record from outside; invalid input, and records the
  stage fails on, go to the dead-letter topic with their original bytes.
* :class:`InternalStep` (every later stage): an internal record holding a list of the previous stage's
  outputs; an item the stage fails on is logged, counted and skipped.

Both hand the stage's output on as the pipeline says: only outputs that pass go on, keyed by the next
stage's partition key; a stage that feeds a side chain (the account stage feeds the shared-trait chain)
also fans every output out into the side chain's inputs, each keyed by the side chain's first stage's key,
for the loop's branch sink. A stage reads the tables of ``spec.reads`` (owned and written by another
stage's agent) directly, never through a write-back view: it must not write them. Also here: the alert
topic's sink and what a batch reports to the metrics.
"""

from __future__ import annotations

import base64
import logging
import os
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from faust.exceptions import ProducerSendError

from distillguard.models.config import DetectionConfig
from distillguard.models.partitioning import DEFAULT_PARTITIONS
from distillguard.models.pipeline import PIPELINE, StageSpec
from distillguard.models.soft_state import PartitionScoped
from distillguard.schemas.codec import DecodeError, decode_request, encode_alert
from distillguard.schemas.request_event import RequestEvent
from distillguard.streams.agent_loop import AgentLoop, Batching, BatchWork, Pacing, Report, Step
from distillguard.streams.batched_table import ORIGIN, BatchedTable, PartitionScope, StampedReader
from distillguard.streams.internal_records import Sink, decode_stage_records
from distillguard.streams.metrics import StageMetrics, WorkerMetrics
from distillguard.streams.settings import WorkerSettings

log = logging.getLogger("distillguard.worker")

# A record the producer (at send time) or the broker (at delivery) refuses for its size.
TOO_LARGE = (ProducerSendError, MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError)

# Sends a record to the dead-letter topic with a reason; the awaitable completes on delivery.
DeadLetter = Callable[[Any, str], Awaitable[None]]


def processing_failed(stage: str, event: Any, exc: BaseException) -> str:
    """Log a stage's unexpected failure on one record; returns the reason (no record content: an
    exception's message may quote the prompt, so only its type and where it was raised)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    reason = f"processing failed: {type(exc).__name__}{where}"
    message = event.message
    log.error("%s stage: %s on %s[%s]@%s", stage, reason, message.topic, message.partition, message.offset)
    return reason


SPILL_FILE_NAME = "dead-letter-spill.jsonl"


class DeadLetterSpill:
    """A bounded local file (JSON lines) for dead letters the dead-letter topic refuses: each line holds
    the source topic/partition/offset, the reason, the delivery error and the original key and value as
    base64. Once the file would exceed ``max_bytes`` (or cannot be written), a record is counted in
    ``dropped`` and logged instead, never silently lost."""

    def __init__(self, path: Path, max_bytes: int, spilled: Any = None, dropped: Any = None) -> None:
        self.path, self.max_bytes = Path(path), max_bytes
        self.spilled, self.dropped = spilled, dropped
        self.size = self.path.stat().st_size if self.path.exists() else 0

    def write(self, message: Any, key: Any, value: bytes, reason: str, error: str) -> bool:
        """Append one record; returns False (counted, logged) when it was dropped."""
        entry = {
            "spilled_at_ms": int(time.time() * 1000),
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "reason": reason,
            "error": error,
            "key_b64": None if key is None else base64.b64encode(_as_bytes(key)).decode(),
            "value_bytes": len(value),
            "value_b64": base64.b64encode(value).decode(),
        }
        line = orjson.dumps(entry) + b"\n"
        where = f"{message.topic}[{message.partition}]@{message.offset}"
        if self.size + len(line) > self.max_bytes:
            return self._drop(
                where, len(value), f"spill file {self.path} full ({self.size}/{self.max_bytes} bytes)"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            return self._drop(where, len(value), f"could not write {self.path}: {exc!r}")
        self.size += len(line)
        if self.spilled is not None:
            self.spilled.inc()
        log.error("dead letter %s (%d bytes) spilled to %s: %s", where, len(value), self.path, error)
        return True

    def _drop(self, where: str, size: int, why: str) -> bool:
        if self.dropped is not None:
            self.dropped.inc()
        log.error("DROPPED dead letter %s (%d bytes): not forwarded and %s", where, size, why)
        return False


def _as_bytes(key: Any) -> bytes:
    return key if isinstance(key, bytes) else str(key).encode()


async def _deliver(topic: Any, key: Any, value: bytes, headers: dict[str, bytes]) -> None:
    """Send and wait for delivery, observing every future (no "Future exception was never retrieved").

    A Faust topic's ``send`` hands the producer's future back but drops its own promise, which then holds
    the delivery error unobserved; so the promise is made here and awaited. A ``send`` set on the instance
    (a test double) is used as is."""
    if "send" in vars(topic) or not hasattr(topic, "publish_message"):
        await (await topic.send(key=key, value=value, headers=headers))
        return
    promise = topic.as_future_message(key=key, value=value, headers=headers)
    try:
        await topic.publish_message(promise)
    except BaseException:
        promise.cancel()  # never published: nothing will resolve it
        raise
    await promise


def dead_letter_sender(topic: Any, counter: Any, spill: DeadLetterSpill | None = None) -> DeadLetter:
    """Dead-lettering to ``topic``: the record's original key and bytes with the reason in headers; a
    record the topic refuses (too large) goes to ``spill`` with its bytes, never replaced by an empty one."""

    async def dead_letter(event: Any, reason: str) -> None:
        """Send the record's original key and bytes with the reason, and wait until it is delivered."""
        message = event.message
        counter.inc()
        log.warning("dead-lettered %s[%s]@%s: %s", message.topic, message.partition, message.offset, reason)
        value = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
        headers = {
            "dlq.reason": reason.encode(),
            "dlq.source.topic": message.topic.encode(),
            "dlq.source.partition": str(message.partition).encode(),
            "dlq.source.offset": str(message.offset).encode(),
        }
        try:
            await _deliver(topic, event.key, value, headers)
        except TOO_LARGE as exc:
            # Too large even for the dead-letter topic (refused by the producer or by the broker): never
            # crash the agent over it (that stalls the partition) and never lose it silently: the original
            # bytes go to the bounded local spill file (or, if that is full, are counted as dropped).
            log.error(
                "could not dead-letter %d bytes from %s[%s]@%s: %r",
                len(value),
                message.topic,
                message.partition,
                message.offset,
                exc,
            )
            if spill is None:
                raise
            spill.write(message, event.key, value, reason, repr(exc))

    return dead_letter


def live_request_decoder(worker: WorkerSettings) -> Callable[[bytes], RequestEvent]:
    """Decode and validate a live request; raises :class:`DecodeError` for one that is invalid, too
    large, or stamped too far in the future (or the past, with ``max_past_age_ms``)."""

    def decode(value: bytes) -> RequestEvent:
        event = decode_request(value, max_bytes=worker.max_record_bytes)
        now_ms = int(time.time() * 1000)
        if event.ts > now_ms + worker.max_future_skew_ms:
            raise DecodeError(f"ts {event.ts} is more than {worker.max_future_skew_ms} ms in the future")
        if worker.max_past_age_ms is not None and event.ts < now_ms - worker.max_past_age_ms:
            raise DecodeError(f"ts {event.ts} is older than {worker.max_past_age_ms} ms")
        return event

    return decode


class _HandOn:
    """Runs one stage of the pipeline on an input and hands its output on as the pipeline says."""

    def __init__(
        self, spec: StageSpec[Any, Any, Any], stage: Any, config: DetectionConfig, errors: Callable[[], None]
    ) -> None:
        self.spec, self.stage, self.config, self.errors = spec, stage, config, errors
        self.key_after = PIPELINE.key_after(spec)
        branch = PIPELINE.branch_from(spec)
        self.fan_out = branch.fan_out if branch is not None else None
        self.branch_key = attrgetter(branch.stages[0].partitioned_by) if branch is not None else None

    def hand_on(self, output: Any, work: BatchWork, origin: tuple[int, int] | None = None) -> None:
        if output is None:
            work.dropped += 1
            return
        if self.fan_out is not None:  # the side chain is fed whether or not the output goes on
            key = self.branch_key
            fanned = self.fan_out(output)
            work.branch_outputs.extend((key(item), item) for item in fanned)
            work.branch_origins.extend([origin] * len(fanned))
        if self.spec.passes(output, self.config):
            work.outputs.append((self.key_after(output), output))
            work.origins.append(origin)


class RequestStep(_HandOn):
    """The first stage over a request record, given what decoding it gave (the request, or the
    exception decoding raised: the agent loop decodes a batch's records before pacing, which needs their
    event times); bad input and failures are dead-lettered."""

    def __init__(
        self,
        spec: StageSpec[Any, Any, Any],
        stage: Any,
        config: DetectionConfig,
        *,
        dead_letter: DeadLetter,
        errors: Callable[[], None],
    ) -> None:
        super().__init__(spec, stage, config, errors)
        self.dead_letter = dead_letter

    def __call__(self, event: Any, payload: RequestEvent | Exception, work: BatchWork) -> None:
        work.items += 1
        message = event.message
        try:
            if isinstance(payload, Exception):
                raise payload
            output = self.spec.run(self.stage, payload, (message.partition, message.offset))
        except DecodeError as exc:
            work.deliveries.append(self.dead_letter(event, exc.reason))
            return
        except Exception as exc:  # a bug, not bad input: keep the record, keep the worker going
            self.errors()
            work.deliveries.append(self.dead_letter(event, processing_failed(self.spec.name, event, exc)))
            return
        self.hand_on(output, work, (message.partition, message.offset))


def dedupes_on_origin(spec: StageSpec[Any, Any, Any]) -> bool:
    """Whether ``spec``'s stage dedupes on the request its items come from (see :class:`InternalStep`):
    the stages the first one feeds, its next stage and its side chain's first, whose inputs the first
    stage re-sends after a crash."""
    return spec in PIPELINE.fed_by(PIPELINE.stages[0])


class InternalStep(_HandOn):
    """A later stage over an internal record's items (``payload``: the decoded list, or the exception
    decoding raised); failures are logged, counted and skipped. With ``applied`` (whether the record being
    processed was already applied to a key's state, :meth:`BatchedTable.applied`), an item whose key says
    so is a redelivery and is skipped: its state change and its output are already durable.

    Items keep their origin (the request they derive from) on the way to the next stage. With
    ``by_origin`` (a stage the first feeds, directly or through its side chain: each of its keys gets a
    request's item at most once and in the requests' order), the stamp and the dedupe use the item's
    origin instead of the record's offset (``scope.position``), which also catches an item the account
    stage sent again after a crash (state not yet written when the worker died, so the request was
    processed again)."""

    def __init__(
        self,
        spec: StageSpec[Any, Any, Any],
        stage: Any,
        config: DetectionConfig,
        errors: Callable[[], None],
        applied: Callable[[str], bool] | None = None,
        scope: PartitionScope | None = None,
        by_origin: bool = False,
    ) -> None:
        super().__init__(spec, stage, config, errors)
        self.applied, self.scope = applied, scope
        self.by_origin = by_origin and scope is not None

    def __call__(self, event: Any, payload: list[dict[str, Any]] | Exception, work: BatchWork) -> None:
        if isinstance(payload, Exception):
            self.errors()
            processing_failed(self.spec.name, event, payload)
            return
        work.items += len(payload)
        spec, stage, applied, scope = self.spec, self.stage, self.applied, self.scope
        origins: list[tuple[int, int]] | None = getattr(payload, "origins", None)
        if origins is not None and len(origins) != len(payload):
            origins = None
        by_origin = self.by_origin and origins is not None
        for i, record in enumerate(payload):
            origin = origins[i] if origins is not None else None
            try:
                item = spec.decode(record)
                if by_origin:
                    assert scope is not None and origin is not None
                    scope.position = (ORIGIN, origin[0], origin[1])
                if applied is not None and applied(spec.key(item)):
                    work.redelivered += 1
                    continue
                # the record's (partition, offset): a stage with partition-scoped models uses the partition
                output = spec.run(stage, item, (event.message.partition, event.message.offset))
            except Exception as exc:
                self.errors()
                processing_failed(spec.name, event, exc)
                continue
            self.hand_on(output, work, origin)


def alert_sink(topic: Any, counter: Any) -> Sink:
    """A sink to the public alert topic: one record per alert, keyed (the contract consumers read),
    counted by severity."""

    async def send(outputs: list[tuple[str, Any]]) -> list[Awaitable[Any]]:
        sent: list[Awaitable[Any]] = []
        for key, alert in outputs:
            counter.labels(alert.severity.value).inc()
            sent.append(await topic.send(key=key, value=encode_alert(alert)))
        return sent

    return send


def stage_report(stage: StageMetrics) -> Report:
    """Per batch: the stage's items, busy time and delivery wait."""

    def report(_records: int, work: BatchWork, busy: float, waited: float) -> None:
        stage.batch(work.items, busy, waited)
        if work.redelivered:
            stage.redelivered(work.redelivered)

    return report


def request_report(metrics: WorkerMetrics, stage: StageMetrics) -> Report:
    """Per batch of requests: also the request records consumed and the duplicates dropped."""

    def report(records: int, work: BatchWork, busy: float, waited: float) -> None:
        metrics.events.inc(records)
        if work.dropped:
            metrics.duplicates.inc(work.dropped)
        stage.batch(work.items, busy, waited)

    return report


class StageAgent:
    """A pipeline stage over write-back views of the tables it owns and the raw tables it only reads,
    and the agent loops that run it.

    A stage with partition-scoped soft models (``stage.soft_state``, models.soft_state) has them
    snapshotted at the end of a batch that used them, at most every ``snapshot_interval_s`` per
    partition, into its models table (a view like its other tables, so the snapshot goes to the
    changelog partition of the partition it belongs to, in the same flush as the batch's state);
    :meth:`reassigned` (after a rebalance) makes it check them against the table again."""

    def __init__(
        self,
        spec: StageSpec[Any, Any, Any],
        tables: Mapping[str, Any],
        config: DetectionConfig,
        metrics: WorkerMetrics,
        batching: Batching,
        stopping: Callable[[], bool],
        *,
        partitions: int = DEFAULT_PARTITIONS,
        snapshot_interval_s: float = 0.0,
        snapshot_max_bytes: int | None = None,
    ) -> None:
        self.spec, self.config, self.metrics = spec, config, metrics
        self.stage_metrics = metrics.stage(spec.name)
        self.batching, self.stopping = batching, stopping
        self.scope = PartitionScope()
        # Every stage after the first stamps its first table (keyed by the stage's partition key) with the
        # offsets applied to each key, so that it skips redelivered items (the first stage dedupes
        # requests itself: AccountStage.process's position). Other tables stay as they are (others read
        # them raw, e.g. the verdict page).
        stamped = spec is not PIPELINE.stages[0]
        views = {
            t.name: BatchedTable(
                tables[t.name],
                self.scope,
                remember_partitions=t.deleted_elsewhere,
                stamped=stamped and t is spec.tables[0] and t.value_type is bytes,
            )
            for t in spec.tables
        }
        self.views = tuple(views.values())
        first = views[spec.tables[0].name] if spec.tables else None
        self.applied = first.applied if first is not None and first.stamped else None
        # Read-only: the owner's agent writes these (through its own views); a view here would flush them.
        read_only = {name: StampedReader(tables[name]) for name in spec.reads}
        self.stage = spec.build(config, {**read_only, **views}, partitions=partitions)
        self.soft_state: PartitionScoped[Any] | None = getattr(self.stage, "soft_state", None)
        self.snapshot_interval_s, self.snapshot_max_bytes = snapshot_interval_s, snapshot_max_bytes
        self._snapshot_at: dict[int, float] = {}  # partition -> monotonic time of its last snapshot
        self._restored_seen = 0  # soft.restored already counted in the metrics
        # The stage's input partitions this worker owns since the last rebalance (None: not told yet);
        # a partition lost in the middle of a batch is never snapshotted (its new owner's would be
        # overwritten).
        self._owned: set[int] | None = None

    def snapshot_models(self) -> int:
        """Snapshot the soft models of every partition used since its last snapshot (and not within
        ``snapshot_interval_s``), each written in its partition's scope; returns how many were written."""
        soft = self.soft_state
        if soft is None:
            return 0
        if soft.restored > self._restored_seen:
            self.metrics.model_snapshots_restored.labels(self.spec.name).inc(
                soft.restored - self._restored_seen
            )
            self._restored_seen = soft.restored
        if not soft.dirty:
            return 0
        scope, events = self.scope, self.scope.events
        now = time.monotonic()
        interval, last = self.snapshot_interval_s, self._snapshot_at
        due = [
            p
            for p in sorted(soft.dirty)
            if p in events
            and (self._owned is None or p in self._owned)
            and (not interval or now - last.get(p, -1e18) >= interval)
        ]
        if not due:
            return 0
        written, skipped, size = soft.snapshots, soft.skipped, 0
        started = time.perf_counter()
        current = scope.partition
        try:
            for partition in due:
                scope.partition = partition  # the snapshot belongs to this partition's changelog
                size += soft.snapshot(partition, self.snapshot_max_bytes)
                last[partition] = now
        finally:
            scope.partition = current
        name = self.spec.name
        self.metrics.model_snapshot_seconds.labels(name).inc(time.perf_counter() - started)
        self.metrics.model_snapshot_bytes.labels(name).inc(size)
        self.metrics.model_snapshots.labels(name).inc(soft.snapshots - written)
        if soft.skipped > skipped:
            self.metrics.model_snapshots_skipped.labels(name).inc(soft.skipped - skipped)
            log.error(
                "%s stage: %d soft-model snapshot(s) larger than worker.model_snapshot_max_bytes (%s) "
                "not written",
                name,
                soft.skipped - skipped,
                self.snapshot_max_bytes,
            )
        return soft.snapshots - written

    def reassigned(self, partitions: set[int]) -> None:
        """After a rebalance (``partitions``: the stage's input partitions this worker now owns): the
        soft models are checked against their snapshots again on next use, and those of partitions
        now owned elsewhere are dropped unsaved (their new owner continues from the last snapshot)."""
        self._owned = set(partitions)
        if self.soft_state is not None:
            self.soft_state.reassigned(partitions)
            for partition in [p for p in self._snapshot_at if p not in partitions]:
                del self._snapshot_at[partition]

    def request_loop(
        self,
        decode: Callable[[bytes], RequestEvent],
        dead_letter: DeadLetter,
        sink: Sink,
        branch_sink: Sink | None = None,
        pacing: Pacing | None = None,
    ) -> AgentLoop:
        """The loop over request records (the first stage); ``branch_sink`` takes the side chain's inputs
        when the stage feeds one; ``pacing`` holds records back in event time (streams.pacing)."""
        step = RequestStep(
            self.spec, self.stage, self.config, dead_letter=dead_letter, errors=self.stage_metrics.error
        )
        return self._loop(
            step,
            sink,
            lambda value: decode(value or b""),
            request_report(self.metrics, self.stage_metrics),
            branch_sink,
            pacing=pacing,
        )

    def internal_loop(self, sink: Sink, branch_sink: Sink | None = None) -> AgentLoop:
        """The loop over internal records (a later stage, or a side chain's)."""
        by_origin = dedupes_on_origin(self.spec)
        step = InternalStep(
            self.spec,
            self.stage,
            self.config,
            self.stage_metrics.error,
            self.applied,
            scope=self.scope,
            by_origin=by_origin,
        )
        return self._loop(step, sink, decode_stage_records, stage_report(self.stage_metrics), branch_sink)

    def _loop(
        self,
        step: Step,
        sink: Sink,
        decode: Callable[[bytes], Any] | None,
        report: Report,
        branch_sink: Sink | None = None,
        pacing: Pacing | None = None,
    ) -> AgentLoop:
        if (branch_sink is None) != (PIPELINE.branch_from(self.spec) is None):
            raise ValueError(
                f"{self.spec.name} stage: a branch sink exactly when the stage feeds a side chain"
            )
        return AgentLoop(
            self.spec.name,
            step=step,
            sink=sink,
            branch_sink=branch_sink,
            scope=self.scope,
            views=self.views,
            batching=self.batching,
            decode=decode,
            report=report,
            stopping=self.stopping,
            processed=self.metrics.processed_offsets,
            before_flush=self.snapshot_models if self.soft_state is not None else None,
            pacing=pacing,
        )
