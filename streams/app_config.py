"""The Faust app's configuration, its topic and table declarations, and its operational endpoints
(gauges, ``/metrics``, ``/healthz``, ``/readyz``): everything :func:`streams.app.create_app` wires up
that is not the topology itself."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable
from typing import Any

import faust

from distillguard.models.pipeline import StateTable
from distillguard.streams import faust_compat
from distillguard.streams.faust_compat import committed_offset, partition_state
from distillguard.streams.log_limits import BrokerWatch, RepeatLimit, install_filters
from distillguard.streams.metrics import WorkerMetrics
from distillguard.streams.settings import Settings

# Producer request cap (at least; raised to the dead-letter topic's max.message.bytes when that is larger).
# Records rejected for size (> worker.max_record_bytes) still go to the dead-letter topic with their
# original bytes, so the producer must accept more than the 1 MiB aiokafka default (the dead-letter
# topic's max.message.bytes, Settings.topic_size_limits, allows them too).
PRODUCER_MAX_REQUEST_BYTES = 16 * 1024 * 1024
# Producer batch (per partition) size. aiokafka keeps one open batch per partition and, once it is full,
# makes the next send() wait until the sender has taken it, which is only after the request in flight to
# that broker has returned: with the 16 KiB default, a batch of ~10 observations blocked the agent for a
# broker round trip. Below the broker's default message.max.bytes (~1 MiB), which a batch must fit.
PRODUCER_MAX_BATCH_BYTES = 512 * 1024

# How often the consumer refreshes the cluster metadata (Faust's default: 5 min), see faust_app().
METADATA_MAX_AGE_MS = 30_000

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


def faust_app(settings: Settings) -> faust.App:
    """The Faust app: at-least-once, in-memory stores restored from changelogs, web server in a thread."""
    topics, worker = settings.topics, settings.worker
    pin_library_log_levels(worker.log_level)
    faust_compat.install()  # fixes of Faust's rebalance handling (see streams.faust_compat)
    return faust.App(
        worker.app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=str(worker.data_dir),
        topic_partitions=topics.partitions,
        topic_replication_factor=topics.replication_factor,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        # web_bind is where the server listens (Faust's default: every interface), web_host the name it
        # advertises; both are the one setting worker.web_host.
        web_bind=worker.web_host,
        web_host=worker.web_host,
        web_port=worker.web_port,
        web_in_thread=True,
        producer_linger_ms=worker.producer_linger_ms,
        producer_max_request_size=max(PRODUCER_MAX_REQUEST_BYTES, settings.topic_size_limits.dead_letter),
        producer_max_batch_size=PRODUCER_MAX_BATCH_BYTES,
        stream_wait_empty=False,
        # Recovery after a crash (README "Guarantees"). Faust reads BROKER_* / CONSUMER_* environment
        # variables too, and they win over these.
        consumer_group_instance_id=worker.group_instance_id,
        broker_session_timeout=worker.session_timeout_s,
        broker_heartbeat_interval=worker.heartbeat_interval_s,
        broker_commit_interval=worker.commit_interval_s,
        # A topic the group's leader did not see when it assigned (created elsewhere, or a metadata
        # hiccup) is assigned at its next metadata refresh: within 30 s instead of Faust's 5 min.
        consumer_metadata_max_age_ms=METADATA_MAX_AGE_MS,
    )


def raw_topic(
    app: faust.App, name: str, *, internal: bool = False, partitions: int | None = None, **options: Any
) -> Any:
    """A topic of str keys and raw byte values (the agents decode values themselves); the requests'
    partition count unless ``partitions`` says otherwise."""
    return app.topic(
        name,
        key_type=str,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=app.conf.topic_partitions if partitions is None else partitions,
        internal=internal,
        **options,
    )


def state_table(app: faust.App, table: StateTable) -> Any:
    """The changelogged Faust table for a stage's state mapping."""
    if table.value_type is bytes:
        # key_type/value_type go on the Table itself: Faust derives the changelog serializers from them
        # (bytes -> raw, anything else -> json) and they override a schema's. With only a raw/raw schema
        # the state was written raw but read back as JSON, so recovery after a restart never finished.
        return app.Table(
            table.name, key_type=str, value_type=bytes, partitions=app.conf.topic_partitions, help=table.help
        )
    return app.Table(
        table.name,
        schema=faust.Schema(
            key_type=str, value_type=table.value_type, key_serializer="raw", value_serializer="json"
        ),
        partitions=app.conf.topic_partitions,
        help=table.help,
    )


def add_gauges(
    app: faust.App,
    metrics: WorkerMetrics,
    *,
    tracked_accounts: Callable[[], int],
    tracked_campaign_accounts: Callable[[], int],
    tracked_clusters: Callable[[], int],
) -> None:
    """Every 5 s: the sizes of the stages' in-memory state, and the consumer lag (summed); every second,
    per assigned input partition, the lag of the committed offset behind the log end and behind what the
    agents have processed (the changelogs the tables restore from are not listed)."""

    @app.timer(interval=5.0)
    async def report_gauges() -> None:
        metrics.tracked_accounts.set(tracked_accounts())
        metrics.tracked_campaign_accounts.set(tracked_campaign_accounts())
        metrics.tracked_clusters.set(tracked_clusters())
        lag = 0
        consumer = app.consumer
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            committed = committed_offset(consumer, tp)
            if highwater is not None and committed is not None:
                lag += max(0, highwater - committed - 1)
        metrics.consumer_lag.set(lag)

    @app.timer(interval=1.0)
    async def report_commit_lag() -> None:
        report_partition_lags(app, metrics)

    watch = StallWatch(app)

    @app.timer(interval=STALL_CHECK_INTERVAL_S)
    async def watch_stalled_partitions() -> None:
        watch.check()


# A partition with records past its committed offset whose committed offset has not moved for this long
# is logged (once, then every STALL_REPEAT_S) with what Faust and aiokafka hold for it.
STALL_AFTER_S = 20.0
STALL_REPEAT_S = 60.0
STALL_CHECK_INTERVAL_S = 5.0

stall_log = logging.getLogger("distillguard.worker.stall")


class StallWatch:
    """Logs an assigned input partition whose committed offset stopped moving although records wait
    behind it (a fetcher or commit stall), with the consumer's state for that partition."""

    def __init__(self, app: faust.App, stall_after_s: float = STALL_AFTER_S) -> None:
        self.app, self.stall_after_s = app, stall_after_s
        self._since: dict[Any, tuple[Any, float, float]] = {}  # tp -> (committed, since, last logged)
        self._tracebacks_at = float("-inf")

    def stalled(self, now: float | None = None) -> list[Any]:
        """The assigned input partitions stalled now (and remember progress)."""
        now = time.monotonic() if now is None else now
        app, consumer = self.app, self.app.consumer
        if app.rebalancing:
            self._since.clear()
            return []
        changelogs = set(app.tables.changelog_topics)
        found = []
        seen = set()
        for tp in consumer.assignment():
            if tp.topic in changelogs or tp.topic.endswith("__assignor-__leader"):
                continue
            seen.add(tp)
            committed = committed_offset(consumer, tp) or 0
            highwater = consumer.highwater(tp)
            previous = self._since.get(tp)
            if highwater is None or highwater <= committed or previous is None or previous[0] != committed:
                self._since[tp] = (committed, now, 0.0)
                continue
            if now - previous[1] >= self.stall_after_s:
                found.append(tp)
        for tp in set(self._since) - seen:
            del self._since[tp]
        return found

    def check(self) -> None:
        now = time.monotonic()
        stalled = self.stalled(now)
        for tp in stalled:
            committed, since, logged = self._since[tp]
            if logged and now - logged < STALL_REPEAT_S:
                continue
            self._since[tp] = (committed, since, now)
            stall_log.warning(
                "partition %s[%d] stalled: committed offset %s unchanged for %.0f s, highwater %s; %s",
                tp.topic,
                tp.partition,
                committed,
                now - since,
                self.app.consumer.highwater(tp),
                partition_state(self.app, tp),
            )
        if stalled and self._tracebacks_due(now):
            try:
                stall_log.warning("agent tracebacks while stalled:\n%s", self.app.agents.human_tracebacks())
            except Exception as exc:  # diagnostics only
                stall_log.warning("agent tracebacks unavailable: %r", exc)

    def _tracebacks_due(self, now: float) -> bool:
        if now - self._tracebacks_at < STALL_REPEAT_S:
            return False
        self._tracebacks_at = now
        return True


def report_partition_lags(app: faust.App, metrics: WorkerMetrics) -> None:
    """Set the per-partition lag gauges for the partitions assigned now (others are dropped)."""
    consumer, processed = app.consumer, metrics.processed_offsets
    changelogs = set(app.tables.changelog_topics)  # restored, not processed
    metrics.partition_lag.clear()
    metrics.commit_lag.clear()
    for tp in consumer.assignment():
        if tp.topic in changelogs or tp.topic.endswith("__assignor-__leader"):
            continue
        committed = committed_offset(consumer, tp)
        base = committed if committed is not None else 0
        labels = (tp.topic, str(tp.partition))
        highwater = consumer.highwater(tp)
        if highwater is not None:
            metrics.partition_lag.labels(*labels).set(max(0, highwater - base))
        done = processed.get((tp.topic, tp.partition))
        metrics.commit_lag.labels(*labels).set(max(0, done - base) if done is not None else 0)


def limit_library_logs(app: faust.App, metrics: WorkerMetrics, interval_s: float) -> BrokerWatch:
    """Rate-limit repeated Kafka/Faust warnings and errors (a broker outage otherwise logs over a
    thousand lines a second) and watch for "broker unreachable" lines; returns the watch.

    The filters go on every library logger now and, every 5 s, on those created since (lazy imports of
    the Kafka driver happen when the worker starts)."""
    watch = BrokerWatch()
    suppressed = metrics.suppressed_log_lines
    limit = RepeatLimit(interval_s, on_suppressed=lambda record: suppressed.labels(record.name).inc())
    filters = (watch, limit)  # the watch first: it must see the records the limit drops
    install_filters(filters)
    metrics.broker_unreachable.set_function(lambda: float(watch.unreachable()))

    @app.timer(interval=5.0)
    async def filter_new_loggers() -> None:
        install_filters(filters)

    return watch


def add_pages(app: faust.App, metrics: WorkerMetrics, broker: BrokerWatch | None = None) -> None:
    """``/metrics`` (Prometheus), ``/healthz`` (the web server answers) and ``/readyz`` (assigned, not
    rebalancing, and the broker not reported unreachable)."""

    @app.page("/metrics")
    async def prometheus_metrics(web: Any, request: Any) -> Any:
        return web.bytes(metrics.render(), content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def ready(web: Any, request: Any) -> Any:
        unreachable = broker is not None and broker.unreachable()
        is_ready = app.rebalancing is False and bool(app.consumer.assignment()) and not unreachable
        body = {"ready": is_ready, "broker_unreachable": unreachable}
        return web.json(body, status=200 if is_ready else 503)
