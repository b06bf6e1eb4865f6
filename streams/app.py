"""The Faust application: topics, tables and the three agents, readable top to bottom.

    requests ──▶ score_accounts ──▶ observations-by-cluster ──▶ score_clusters ──▶ alert-candidates
    (key: account)  [account_state,   (partition of cluster id)   [cluster_state]   (partition of account)
                     model_first_seen]                                                      │
    dead-letter ◀── (invalid records)                    alerts ◀── emit_alerts [alert_state]

Each agent runs one stage of :mod:`models.stages` with Faust tables as its state, so the worker and
``replay`` share every line of detection logic. Tables hold bytes/ints only (no prompt text); their
changelogs restore them after a crash.

Processing is batched: an agent takes what the consumer has already fetched for it, up to
``worker.batch_max_events`` items (it does not wait for a batch to fill unless
``worker.batch_max_wait_ms`` > 0). Per batch, it

1. runs the stage over each item in offset order, the stage reading and writing its state through a
   :class:`BatchedTable` (a write-back view of the Faust table);
2. hands its outputs to the producer, one internal record per destination partition holding a JSON list
   of the outputs in processing order (the partition each output's key hashes to, as if it had been
   sent keyed on its own), then waits once for all of the batch's records to be delivered;
3. writes each changed state key to its table once (one changelog record per key and batch, not per
   event), on the changelog partition of the source partition the key belongs to (see
   :class:`BatchedTable`);
4. only then acks the batch's records, so their offsets become committable (at-least-once; Faust's
   commit also flushes the producer first).

A crash anywhere before 4 leaves the batch uncommitted: it is redelivered, and the account stage drops
what its (partition, offset) dedupe says was already applied. State is written only after the batch's
output is on the broker, so a redelivery that the dedupe drops cannot have lost its output.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import traceback
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
import orjson
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from distillguard.models.fusion import severity_for
from distillguard.models.stages import AccountObservation, AccountStage, AlertStage, Assessment, ClusterStage
from distillguard.schemas.codec import DecodeError, decode_request, encode_alert
from distillguard.schemas.request_event import RequestEvent
from distillguard.streams.metrics import WorkerMetrics
from distillguard.streams.settings import Settings
from faust.exceptions import ProducerSendError

# The task-local "event being processed" that Faust's tables read to pick a write's changelog partition
# (faust.streams.current_event() is its public getter; Faust's own stream iterator sets it per event).
from faust.streams import _current_event

log = logging.getLogger("distillguard.worker")

# Producer request cap. Records rejected for size (> worker.max_record_bytes) still go to the dead-letter
# topic with their original bytes, so the producer must accept more than the 1 MiB aiokafka default
# (the dead-letter topic's max.message.bytes must allow them too).
PRODUCER_MAX_REQUEST_BYTES = 16 * 1024 * 1024
# Producer batch (per partition) size. aiokafka keeps one open batch per partition and, once it is full,
# makes the next send() wait until the sender has taken it, which is only after the request in flight to
# that broker has returned: with the 16 KiB default, a batch of ~10 observations blocked the agent for a
# broker round trip. Below the broker's default message.max.bytes (~1 MiB), which a batch must fit.
PRODUCER_MAX_BATCH_BYTES = 512 * 1024

# Most stage outputs one internal record carries (~64-128 KB). An agent sends the outputs of a batch that
# go to the same partition of the next topic as one record holding a JSON list, in processing order, so
# the next stage consumes one Kafka record (and Faust's per-message work) per partition and batch instead
# of one per event, and sees every key's items, and every partition's, in the order of per-event sends.
MAX_ITEMS_PER_RECORD = 64

# A record the producer (at send time) or the broker (at delivery) refuses for its size.
TOO_LARGE = (ProducerSendError, MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError)

_DELETED: Any = object()

# Library loggers pinned to the worker's level (see pin_library_log_levels).
LIBRARY_LOGGERS = ("aiokafka", "faust", "mode", "kafka", "distillguard")


def pin_library_log_levels(level: str) -> None:
    """Keep debug logging of Faust, aiokafka and mode off unless the worker runs at DEBUG.

    ``faust.Worker`` at WARNING or ERROR keeps its progress spinner, and for that sets the *root* logger to
    DEBUG (``Worker._setup_spinner_handler``), so every ``log.debug`` of aiokafka and Faust (several per
    produced record) builds a LogRecord that the handlers then drop. Levels set on these loggers win over
    the root's.
    """
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)


def encode_stage_records(records: Sequence[AccountObservation | Assessment]) -> bytes:
    """Stage outputs as one internal record: a JSON list of ``to_dict()`` forms, in processing order.

    orjson serialises the dataclasses directly (fields in order): byte-identical to dumping
    ``to_dict()``, without ``dataclasses.asdict``, which deep-copies every value and was the costliest
    step of a send.
    """
    return orjson.dumps(records)


def decode_stage_records(value: bytes) -> list[dict[str, Any]]:
    """The stage outputs an internal record carries (a list; a single object from before batching)."""
    data = orjson.loads(value)
    return data if isinstance(data, list) else [data]


class KeyPartitioner:
    """The partition the producer would choose for a key (Faust's producer partitioner, by default
    aiokafka's murmur2 ``DefaultPartitioner``), over the ``partitions`` the internal topics are created
    with. Grouped records are sent to that partition explicitly, so every key keeps its partition (and
    its table's changelog partition) exactly as when each output was sent keyed on its own."""

    def __init__(self, partitioner: Any, partitions: int) -> None:
        self.partitioner = partitioner or DefaultPartitioner()
        self.partitions = list(range(partitions))
        self._cache: dict[str, int] = {}

    def __call__(self, key: str) -> int:
        partition = self._cache.get(key)
        if partition is None:
            if len(self._cache) >= 100_000:
                self._cache.clear()
            partition = self._cache[key] = self.partitioner(key.encode(), self.partitions, self.partitions)
        return partition


def group_by_partition(
    outputs: Iterable[tuple[str, Any]], partition_of: Callable[[str], int]
) -> dict[int, list[Any]]:
    """Outputs grouped by the partition of their key, each group in input order."""
    groups: dict[int, list[Any]] = {}
    for key, output in outputs:
        partition = partition_of(key)
        group = groups.get(partition)
        if group is None:
            groups[partition] = [output]
        else:
            group.append(output)
    return groups


class PartitionScope:
    """The source partition an agent is processing right now, and the latest event of every partition.

    The agent calls :meth:`enter` before it hands a record to its stage; the stage's
    :class:`BatchedTable` views read :attr:`partition` when a key is written and :attr:`events` when the
    writes are flushed.
    """

    __slots__ = ("events", "partition")

    def __init__(self) -> None:
        self.partition: int | None = None
        self.events: dict[int, Any] = {}

    def enter(self, event: Any) -> None:
        partition = event.message.partition
        self.partition = partition
        self.events[partition] = event


class BatchedTable(MutableMapping[Any, Any]):
    """A write-back view of a Faust table: what a stage gets as its state mapping in the worker.

    A Faust table sends every write (``table[k] = v``) to its changelog, on the partition of the event
    being processed (``Table.partition_for_key`` reads ``faust.streams.current_event()``): the source
    partition the key came from, which is what restores the key on the worker that owns that partition.
    A batch holds events of several partitions, so the stages do not write to the table directly:

    * writes and deletes are kept here, tagged with the partition of the event being processed
      (``scope.partition``); reads see them (a key can change several times in one batch);
    * :meth:`flush` applies them at the end of the batch, one table write per changed key (one changelog
      record per key and batch instead of one per event), grouped by partition, each group under an event
      of that partition as Faust's current event. The table, its store and its changelog then see exactly
      what per-event processing would have written last, on the same partitions.

    With ``remember_partitions`` the view also remembers every written key's partition (until the key is
    deleted), so that deleting a key while processing an event of another partition (the account stage
    evicting idle accounts) writes the tombstone to the key's own changelog partition.
    """

    def __init__(self, table: Any, scope: PartitionScope, *, remember_partitions: bool = False) -> None:
        self.table = table
        self.scope = scope
        self._pending: dict[Any, tuple[int, Any]] = {}
        self._home: dict[Any, int] | None = {} if remember_partitions else None

    def _partition(self) -> int:
        partition = self.scope.partition
        if partition is None:
            raise RuntimeError(f"table {self.table.name!r} written outside of an agent's batch")
        return partition

    def __getitem__(self, key: Any) -> Any:
        entry = self._pending.get(key)
        if entry is None:
            return self.table[key]
        if entry[1] is _DELETED:
            raise KeyError(key)
        return entry[1]

    def __setitem__(self, key: Any, value: Any) -> None:
        partition = self._partition()
        self._pending[key] = (partition, value)
        if self._home is not None:
            self._home[key] = partition

    def __delitem__(self, key: Any) -> None:
        entry = self._pending.get(key)
        in_table = key in self.table
        if (entry is None and not in_table) or (entry is not None and entry[1] is _DELETED):
            raise KeyError(key)
        home = self._home.pop(key, None) if self._home is not None else None
        if not in_table:  # created and deleted within this batch: nothing to write
            del self._pending[key]
            return
        partition = entry[0] if entry is not None else home if home is not None else self._partition()
        self._pending[key] = (partition, _DELETED)

    def __contains__(self, key: object) -> bool:
        entry = self._pending.get(key)
        if entry is None:
            return key in self.table
        return entry[1] is not _DELETED

    def __iter__(self) -> Iterator[Any]:
        pending = self._pending
        for key in self.table:
            entry = pending.get(key)
            if entry is None or entry[1] is not _DELETED:
                yield key
        for key, (_, value) in list(pending.items()):
            if value is not _DELETED and key not in self.table:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def pending(self) -> int:
        """Keys changed since the last flush."""
        return len(self._pending)

    def discard(self) -> int:
        """Drop the pending changes (a batch that failed); returns how many keys were pending."""
        count = len(self._pending)
        self._pending = {}
        return count

    def flush(self) -> int:
        """Write the pending changes to the table (and so to its changelog); returns the keys written."""
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        by_partition: dict[int, list[tuple[Any, Any]]] = {}
        for key, (partition, value) in pending.items():
            by_partition.setdefault(partition, []).append((key, value))
        table, events = self.table, self.scope.events
        for partition, writes in by_partition.items():
            token = _current_event.set(weakref.ref(events[partition]))
            try:
                for key, value in writes:
                    if value is _DELETED:
                        if key in table:
                            del table[key]
                    else:
                        table[key] = value
            finally:
                _current_event.reset(token)
        return len(pending)


@dataclass
class Topology:
    """Handles to everything the app declares (for tests and the CLI)."""

    app: faust.App
    requests: Any
    dead_letter: Any
    observations: Any
    candidates: Any
    alerts: Any
    account_stage: AccountStage
    cluster_stage: ClusterStage
    alert_stage: AlertStage
    metrics: WorkerMetrics
    tables: dict[str, Any] = field(default_factory=dict)


def faust_credentials(settings: Settings) -> Any:
    """Faust broker credentials from the security settings (None for PLAINTEXT)."""
    sec = settings.security
    context = None
    if "SSL" in sec.protocol:
        context = ssl.create_default_context(cafile=str(sec.ssl_cafile) if sec.ssl_cafile else None)
        if sec.ssl_certfile:
            context.load_cert_chain(str(sec.ssl_certfile), str(sec.ssl_keyfile) if sec.ssl_keyfile else None)
    if sec.protocol.startswith("SASL"):
        assert sec.sasl_password is not None  # validated by KafkaSecurity
        return faust.SASLCredentials(
            username=sec.sasl_username,
            password=sec.sasl_password.get_secret_value(),
            mechanism=sec.sasl_mechanism,
            ssl_context=context,
        )
    return context


def create_app(settings: Settings, *, metrics: WorkerMetrics | None = None) -> Topology:
    """Build the app and its topology from settings (no global state: call it per worker or test)."""
    topics, worker, detection = settings.topics, settings.worker, settings.detection
    partitions = topics.partitions
    pin_library_log_levels(worker.log_level)
    app = faust.App(
        worker.app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=str(worker.data_dir),
        topic_partitions=partitions,
        topic_replication_factor=topics.replication_factor,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        web_host=worker.web_host,
        web_port=worker.web_port,
        web_in_thread=True,
        producer_linger_ms=worker.producer_linger_ms,
        producer_max_request_size=PRODUCER_MAX_REQUEST_BYTES,
        producer_max_batch_size=PRODUCER_MAX_BATCH_BYTES,
        stream_wait_empty=False,
    )
    metrics = metrics or WorkerMetrics()

    def raw_topic(name: str, *, internal: bool = False) -> Any:
        return app.topic(
            name,
            key_type=str,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
            internal=internal,
        )

    requests = raw_topic(topics.requests)
    dead_letter = raw_topic(topics.dead_letter)
    observations = raw_topic(topics.cluster_repartition, internal=True)
    candidates = raw_topic(f"{worker.app_id}-alert-candidates", internal=True)
    alerts = raw_topic(topics.alerts)

    def bytes_table(name: str, help_text: str) -> Any:
        # key_type/value_type go on the Table itself: Faust derives the changelog serializers from them
        # (bytes -> raw, anything else -> json) and they override a schema's. With only a raw/raw schema
        # the state was written raw but read back as JSON, so recovery after a restart never finished.
        return app.Table(name, key_type=str, value_type=bytes, partitions=partitions, help=help_text)

    account_state = bytes_table("account_state", "compact per-account summary (models.account_state)")
    cluster_state = bytes_table("cluster_state", "per-prompt-cluster summary (models.cluster_state)")
    alert_state = bytes_table("alert_state", "last alert severity/time per account, for cooldown")
    model_first_seen = app.Table(
        "model_first_seen",
        schema=faust.Schema(key_type=str, value_type=int, key_serializer="raw", value_serializer="json"),
        partitions=partitions,
        help="first request time of each model, to spot new-model pivots",
    )

    account_scope, cluster_scope, alert_scope = PartitionScope(), PartitionScope(), PartitionScope()
    accounts_view = BatchedTable(account_state, account_scope, remember_partitions=True)
    first_seen_view = BatchedTable(model_first_seen, account_scope)
    clusters_view = BatchedTable(cluster_state, cluster_scope)
    alerts_view = BatchedTable(alert_state, alert_scope)
    account_stage = AccountStage(detection, accounts=accounts_view, model_first_seen=first_seen_view)
    cluster_stage = ClusterStage(detection, clusters=clusters_view)
    alert_stage = AlertStage(detection, alert_state=alerts_view)
    account_metrics, cluster_metrics, alert_metrics = (
        metrics.stage(s) for s in ("account", "cluster", "alert")
    )
    batch_max, batch_wait_s = worker.batch_max_events, worker.batch_max_wait_ms / 1000.0

    async def dead_letter_record(event: Any, reason: str) -> None:
        """Send the record's original key and bytes with the reason, and wait until it is delivered."""
        message = event.message
        metrics.dead_letters.inc()
        log.warning("dead-lettered %s[%s]@%s: %s", message.topic, message.partition, message.offset, reason)
        value = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
        headers = {
            "dlq.reason": reason.encode(),
            "dlq.source.topic": message.topic.encode(),
            "dlq.source.partition": str(message.partition).encode(),
            "dlq.source.offset": str(message.offset).encode(),
        }
        try:
            await (await dead_letter.send(key=event.key, value=value, headers=headers))
        except TOO_LARGE as exc:
            # Too large even for the dead-letter topic (refused by the producer or by the broker): never
            # crash the agent over it (that loses the record silently or stalls the partition); send the
            # reason and the original's size instead of its bytes.
            log.error(
                "could not dead-letter %d bytes from %s[%s]@%s: %r",
                len(value),
                message.topic,
                message.partition,
                message.offset,
                exc,
            )
            headers["dlq.reason"] = f"{reason}; original value ({len(value)} bytes) not forwarded".encode()
            headers["dlq.original.bytes"] = str(len(value)).encode()
            await (await dead_letter.send(key=event.key, value=b"", headers=headers))

    def validate_live(event: RequestEvent) -> None:
        now_ms = int(time.time() * 1000)
        if event.ts > now_ms + worker.max_future_skew_ms:
            raise DecodeError(f"ts {event.ts} is more than {worker.max_future_skew_ms} ms in the future")
        if worker.max_past_age_ms is not None and event.ts < now_ms - worker.max_past_age_ms:
            raise DecodeError(f"ts {event.ts} is older than {worker.max_past_age_ms} ms")

    async def batches(
        stream: Any, decode: Callable[[bytes], list[Any]] | None = None
    ) -> AsyncIterator[list[tuple[Any, Any]]]:
        """The agent's records in batches of (event, payload): all records already fetched for it, up to
        ``batch_max`` items (requests, or the stage outputs internal records carry).

        ``payload`` is ``decode(event.value)`` (or the exception it raised) when ``decode`` is given. A
        batch is cut as soon as the stream's buffer (what the consumer has fetched and not yet handed to
        the agent) is empty, so a lone record is processed right away and a backlog ``batch_max`` items at
        a time; ``batch_wait_s`` > 0 lingers once per batch for more records first. Records are never
        acked here (``noack()``): finish_batch() acks them after the batch's effects. Faust's ``take()``
        is not used: it acks a batch in a ``finally``, also when the agent raises, and it always waits its
        ``within`` timeout for a batch that is not full.
        """
        noack = stream.noack()
        queue = noack.channel.queue
        batch: list[tuple[Any, Any]] = []
        items = 0
        lingered = False
        async for event in noack.events():
            payload: Any = None
            if decode is not None:
                try:
                    payload = decode(event.value)
                except Exception as exc:  # reported by the agent, with the record's position
                    payload = exc
            batch.append((event, payload))
            items += len(payload) if isinstance(payload, list) else 1
            if items >= batch_max:
                yield batch
                batch, items, lingered = [], 0, False
            elif queue.empty():
                if batch_wait_s and not lingered:
                    lingered = True
                    await asyncio.sleep(batch_wait_s)
                    if not queue.empty():
                        continue
                yield batch
                batch, items, lingered = [], 0, False

    async def finish_batch(
        stream: Any,
        batch: Sequence[tuple[Any, Any]],
        sent: list[Awaitable[Any]],
        views: Sequence[BatchedTable],
    ) -> float:
        """Effects of a batch in at-least-once order: output delivered, then state written, then acks.

        Returns the seconds spent waiting for the delivery (the event loop runs the other agents then).
        """
        waited = 0.0
        if sent:
            started = time.perf_counter()
            await asyncio.gather(*sent)  # raises (and nothing below runs) if a record was not delivered
            waited = time.perf_counter() - started
        for view in views:
            view.flush()
        for event, _ in batch:
            await stream.ack(event)
        return waited

    def processing_failed(stage: str, event: Any, exc: Exception) -> str:
        """Log a stage's unexpected failure on one record; returns the reason (no record content: an
        exception's message may quote the prompt, so only its type and where it was raised)."""
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        reason = f"processing failed: {type(exc).__name__}{where}"
        message = event.message
        log.error(
            "%s stage: %s on %s[%s]@%s", stage, reason, message.topic, message.partition, message.offset
        )
        return reason

    partition_of = KeyPartitioner(app.conf.producer_partitioner, partitions)

    async def send_grouped(topic: Any, outputs: list[tuple[str, Any]], sent: list[Awaitable[Any]]) -> None:
        """Hand a batch's (key, output) pairs to the producer, one record per partition of their keys
        (split every MAX_ITEMS_PER_RECORD items), each sent to that partition explicitly."""
        for partition, items in group_by_partition(outputs, partition_of).items():
            for i in range(0, len(items), MAX_ITEMS_PER_RECORD):
                value = encode_stage_records(items[i : i + MAX_ITEMS_PER_RECORD])
                sent.append(await topic.send(key=None, value=value, partition=partition))

    @contextmanager
    def batch_guard(stage: str, batch: Sequence[Any], views: Sequence[BatchedTable]) -> Iterator[None]:
        """A batch that does not complete (an exception or a cancellation escaping the agent, which Faust
        answers by restarting the agent, logging the latter only at INFO) leaves no durable trace: its
        state writes are dropped, its records stay unacked (their offsets are not committed). Logged."""
        try:
            yield
        except BaseException as exc:
            for view in views:
                view.discard()
            if not app.should_stop:
                log.error(
                    "%s stage: batch of %d records not completed (%s: %s); its offsets stay uncommitted",
                    stage,
                    len(batch),
                    type(exc).__name__,
                    exc,
                )
            raise

    @app.agent(requests, name="score_accounts")
    async def score_accounts(stream: Any) -> None:
        """Stage 1 (keyed by account): validate, dedupe, update account state, repartition by cluster."""
        async for batch in batches(stream):
            with batch_guard("account", batch, (accounts_view, first_seen_view)):
                started = time.perf_counter()
                sent: list[Awaitable[Any]] = []
                outputs: list[tuple[str, AccountObservation]] = []
                duplicates = 0
                for event, _ in batch:
                    account_scope.enter(event)
                    message = event.message
                    try:
                        request = decode_request(event.value or b"", max_bytes=worker.max_record_bytes)
                        validate_live(request)
                        observation = account_stage.process(request, (message.partition, message.offset))
                    except DecodeError as exc:
                        sent.append(dead_letter_record(event, exc.reason))
                        continue
                    except Exception as exc:  # a bug, not bad input: keep the record, keep the worker going
                        account_metrics.error()
                        sent.append(dead_letter_record(event, processing_failed("account", event, exc)))
                        continue
                    if observation is None:
                        duplicates += 1
                    else:
                        outputs.append((observation.cluster_id, observation))
                await send_grouped(observations, outputs, sent)
                waited = await finish_batch(stream, batch, sent, (accounts_view, first_seen_view))
                metrics.events.inc(len(batch))
                if duplicates:
                    metrics.duplicates.inc(duplicates)
                account_metrics.batch(len(batch), time.perf_counter() - started - waited, waited)

    @app.agent(observations, name="score_clusters")
    async def score_clusters(stream: Any) -> None:
        """Stage 2 (keyed by cluster): cluster state, bursts, campaign links, fused score."""
        async for batch in batches(stream, decode_stage_records):
            with batch_guard("cluster", batch, (clusters_view,)):
                started = time.perf_counter()
                sent: list[Awaitable[Any]] = []
                outputs: list[tuple[str, Assessment]] = []
                items = 0
                for event, records in batch:
                    cluster_scope.enter(event)
                    if isinstance(records, Exception):  # internal record: log, count and skip it
                        cluster_metrics.error()
                        processing_failed("cluster", event, records)
                        continue
                    items += len(records)
                    for record in records:
                        try:
                            assessment = cluster_stage.process(AccountObservation.from_dict(record))
                        except Exception as exc:
                            cluster_metrics.error()
                            processing_failed("cluster", event, exc)
                            continue
                        if severity_for(assessment.score, detection.fusion) is not None:
                            outputs.append((assessment.account_id, assessment))
                await send_grouped(candidates, outputs, sent)
                waited = await finish_batch(stream, batch, sent, (clusters_view,))
                cluster_metrics.batch(items, time.perf_counter() - started - waited, waited)

    @app.agent(candidates, name="emit_alerts")
    async def emit_alerts(stream: Any) -> None:
        """Stage 3 (keyed by account): cooldown and severity escalation, then the alert topic."""
        async for batch in batches(stream, decode_stage_records):
            with batch_guard("alert", batch, (alerts_view,)):
                started = time.perf_counter()
                sent: list[Awaitable[Any]] = []
                items = 0
                for event, records in batch:
                    alert_scope.enter(event)
                    if isinstance(records, Exception):
                        alert_metrics.error()
                        processing_failed("alert", event, records)
                        continue
                    items += len(records)
                    for record in records:
                        try:
                            alert = alert_stage.process(Assessment.from_dict(record))
                        except Exception as exc:
                            alert_metrics.error()
                            processing_failed("alert", event, exc)
                            continue
                        if alert is not None:  # alerts stay one record each: the public contract
                            metrics.alerts.labels(alert.severity.value).inc()
                            sent.append(await alerts.send(key=alert.account_id, value=encode_alert(alert)))
                waited = await finish_batch(stream, batch, sent, (alerts_view,))
                alert_metrics.batch(items, time.perf_counter() - started - waited, waited)

    @app.timer(interval=5.0)
    async def report_gauges() -> None:
        metrics.tracked_accounts.set(account_stage.tracked_accounts)
        metrics.tracked_campaign_accounts.set(len(cluster_stage.linker))
        metrics.tracked_clusters.set(len(cluster_state))
        lag = 0
        consumer = app.consumer
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            committed = consumer._committed_offset.get(tp)
            if highwater is not None and committed is not None:
                lag += max(0, highwater - committed - 1)
        metrics.consumer_lag.set(lag)

    @app.page("/metrics")
    async def prometheus_metrics(web: Any, request: Any) -> Any:
        return web.bytes(metrics.render(), content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def ready(web: Any, request: Any) -> Any:
        is_ready = app.rebalancing is False and bool(app.consumer.assignment())
        return web.json({"ready": is_ready}, status=200 if is_ready else 503)

    return Topology(
        app,
        requests,
        dead_letter,
        observations,
        candidates,
        alerts,
        account_stage,
        cluster_stage,
        alert_stage,
        metrics,
        tables={
            "account_state": account_state,
            "cluster_state": cluster_state,
            "alert_state": alert_state,
            "model_first_seen": model_first_seen,
        },
    )
