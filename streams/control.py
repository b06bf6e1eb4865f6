"""The operator's loop in the worker: analysts' feedback in, verdicts out, live configuration.

    feedback (1 partition) ──▶ apply_feedback ──▶ [subject_labels]  (global table: every worker holds
                                  │                                   every label; the cluster stage reads it)
                                  └──▶ account labels, while calibrating ──▶ the score calibration
                                       (streams.calibration_agents), also kept in [subject_labels]
    control (1 partition, compacted) ──▶ apply_control ──▶ [live_config] (global table) ──▶ every stage,
                                              └──▶ control-results        at the start of its next batch
    emit_alerts ──▶ alerts, and the changed standings ──▶ verdicts (compacted, key: account)
                                                         [account_verdicts] ──▶ GET /verdicts/<account_id>

The feedback and control topics have one partition, so every worker applies labels and configuration
updates in one order; their state lives in global tables (changelogged, restored on restart) because
every worker needs all of it: a label may name an org or a campaign, whose accounts are on any
partition. Labels take effect by event time (models.feedback), whenever they arrive.

The detection itself stays in :mod:`models`: this module only wires it (decode, validate, store, send).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import faust
import orjson
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from distillguard.models.challenger import Challenger
from distillguard.models.config import DetectionConfig
from distillguard.models.feedback import LabelBook, subject_label_count
from distillguard.models.live_config import ConfigUpdateError, apply_update, config_version, with_overrides
from distillguard.models.pipeline import LABELS_TABLE
from distillguard.models.stages import AlertStage, Assessment
from distillguard.models.verdicts import encode_verdict
from distillguard.schemas.codec import encode_alert
from distillguard.schemas.control import ConfigUpdate, ConfigUpdateResult
from distillguard.schemas.feedback_event import FeedbackEvent, decode_feedback
from distillguard.streams import calibration_agents
from distillguard.streams.app_config import raw_topic
from distillguard.streams.batched_table import unstamp
from distillguard.streams.internal_records import Sink
from distillguard.streams.metrics import WorkerMetrics
from distillguard.streams.settings import Settings

log = logging.getLogger("distillguard.worker")

LIVE_CONFIG_TABLE = "live_config"
LIVE_CONFIG_KEY = "detection"


class OperatorMetrics:
    """The operator loop's counters, on the worker's registry."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        r = metrics.registry
        self.feedback = Counter(
            "distillguard_feedback", "feedback records by outcome (applied, stale, invalid)", ["outcome"],
            registry=r,
        )  # fmt: skip
        self.suppressed = Gauge(
            "distillguard_suppressed_alerts",
            "medium+ alert candidates held back by an analyst's clearing label, by severity (this worker)",
            ["severity"],
            registry=r,
        )
        self.labels = Gauge("distillguard_subject_labels", "analyst labels held (all subjects)", registry=r)
        self.control = Counter(
            "distillguard_config_updates", "live configuration updates by outcome", ["outcome"], registry=r
        )
        self.config_info = Gauge(
            "distillguard_config_info", "the detection configuration in force (value 1)", ["config_version"],
            registry=r,
        )  # fmt: skip
        self.verdicts = Counter("distillguard_verdicts", "verdict changes sent", registry=r)
        self.actions = Counter(
            "distillguard_alert_actions", "alerts emitted by suggested action", ["action"], registry=r
        )
        self.campaigns = Gauge(
            "distillguard_active_campaigns",
            "campaigns this worker's linker holds, by size (accounts)",
            ["size"],
            registry=r,
        )
        self.challenger_alerts = Counter(
            "distillguard_challenger_alerts", "alerts of the challenger configuration", registry=r
        )
        self.disagreements = Gauge(
            "distillguard_challenger_disagreements",
            "assessments the live and the challenger configuration class differently (medium+ or not), "
            "by which one flags (live_only, challenger_only)",
            ["kind"],
            registry=r,
        )


def global_table(app: faust.App, name: str, help: str) -> Any:
    """A changelogged global table of str keys and bytes values, one partition (faust-streaming's advice
    for global tables: ``partitions=1, recovery_buffer_size=1``)."""
    return app.GlobalTable(
        name, key_type=str, value_type=bytes, partitions=1, recovery_buffer_size=1, help=help
    )


def operator_tables(app: faust.App) -> dict[str, Any]:
    """The global tables of the operator loop, by name."""
    return {
        LABELS_TABLE: global_table(app, LABELS_TABLE, "latest analyst label per subject (models.feedback)"),
        LIVE_CONFIG_TABLE: global_table(
            app, LIVE_CONFIG_TABLE, "live detection-configuration overrides and their version"
        ),
    }


def single_partition_topic(app: faust.App, name: str, *, compacting: bool = False) -> Any:
    return raw_topic(
        app,
        name,
        internal=True,
        partitions=1,
        compacting=compacting or None,
        deleting=False if compacting else None,
    )


class LiveConfig:
    """The detection configuration in force: the start-up settings plus the overrides in the
    ``live_config`` table; parsed once per change."""

    def __init__(self, base: DetectionConfig, table: Any) -> None:
        self.base, self.table = base, table
        self._raw: bytes | None = None
        self.config = base

    def current(self) -> DetectionConfig:
        raw = self.table.get(LIVE_CONFIG_KEY)
        if raw != self._raw:
            self._raw = raw
            overrides = orjson.loads(raw)["overrides"] if raw else {}
            try:
                self.config = with_overrides(self.base, overrides)
            except ValidationError as exc:  # validated when applied; only a changed base can break it
                log.error("live configuration no longer valid on this worker's settings: %s", exc)
        return self.config


class LiveConfigStep:
    """Wraps a stage agent's step: at the first record of each batch, the stage (and the step's
    hand-over rule) take the configuration in force, and undrained verdicts of an incomplete batch are
    dropped. So an update applies from the next batch on, on every worker, without a restart."""

    def __init__(self, step: Any, stage_agent: Any, live: LiveConfig) -> None:
        self.step, self.agent, self.live = step, stage_agent, live
        self._work: Any = None

    def __call__(self, event: Any, payload: Any, work: Any) -> None:
        if work is not self._work:
            self._work = work
            config = self.live.current()
            if config is not self.agent.config:
                self.agent.config = config
                self.step.config = config
                if isinstance(getattr(self.agent.stage, "config", None), DetectionConfig):
                    self.agent.stage.config = config
            if isinstance(self.agent.stage, AlertStage):
                self.agent.stage.verdicts.discard()
        self.step(event, payload, work)


class ChallengerStep:
    """Wraps the alert agent's step: every candidate the live alert stage is given also goes through the
    challenger (models.challenger); its alerts wait in ``pending`` for the batch's sink."""

    def __init__(self, step: Any, challenger: Challenger, live: Callable[[], DetectionConfig]) -> None:
        self.step, self.challenger, self.live = step, challenger, live
        self.pending: list[Any] = []
        self._work: Any = None

    def __call__(self, event: Any, payload: Any, work: Any) -> None:
        if work is not self._work:
            self._work = work
            self.pending.clear()  # an incomplete batch's alerts are made again on redelivery
        self.step(event, payload, work)
        self.challenger.live = self.live()
        if isinstance(payload, list):
            for record in payload:
                try:
                    alert = self.challenger.process(Assessment.from_dict(record))
                except Exception as exc:  # never stops the live path
                    log.error("challenger failed on an assessment: %s", type(exc).__name__)
                    continue
                if alert is not None:
                    self.pending.append(alert)


def verdict_sink(
    alerts: Sink,
    verdicts_topic: Any,
    stage: AlertStage,
    counter: Any,
    actions: Any = None,
    challenger: tuple[Any, ChallengerStep, Any] | None = None,
) -> Sink:
    """The alert sink, then every standing the batch changed to the compacted verdict topic (and the
    challenger's alerts to its topic)."""

    async def send(outputs: list[tuple[str, Any]]) -> list[Awaitable[Any]]:
        sent = list(await alerts(outputs))
        if actions is not None:
            for _, alert in outputs:
                actions.labels(alert.action.value).inc()
        if challenger is not None:
            topic, step, sent_counter = challenger
            for alert in step.pending:
                sent_counter.inc()
                sent.append(await topic.send(key=alert.account_id, value=encode_alert(alert)))
            step.pending.clear()
        for verdict in stage.verdicts.drain():
            counter.inc()
            sent.append(await verdicts_topic.send(key=verdict.account_id, value=encode_verdict(verdict)))
        return sent

    return send


def feedback_agent(
    book: LabelBook,
    metrics: OperatorMetrics,
    applied_hook: Callable[[FeedbackEvent], Awaitable[None]] | None = None,
) -> Callable[[Any], Awaitable[None]]:
    """Validate each feedback record and apply it to the label table (a later label of the same subject
    wins; an invalid record is logged and counted, never stops the agent); hand every applied label to
    ``applied_hook`` (the score calibration's router)."""

    async def apply_feedback(stream: Any) -> None:
        async for event in stream.events():
            try:
                feedback = decode_feedback(event.value or b"")
            except ValueError as exc:
                metrics.feedback.labels("invalid").inc()
                log.warning("invalid feedback record at offset %s: %s", event.message.offset, exc)
                continue
            applied = book.apply(feedback)
            metrics.feedback.labels("applied" if applied else "stale").inc()
            if applied and applied_hook is not None:
                await applied_hook(feedback)
            log.info("feedback %s: %s %s", feedback.feedback_id, feedback.label.value, feedback.subject_key)

    return apply_feedback


def control_agent(
    base: DetectionConfig, table: Any, results: Any, metrics: OperatorMetrics
) -> Callable[[Any], Awaitable[None]]:
    """Validate each configuration update against the configuration in force; store an accepted one
    (every worker picks it up at its next batch) and answer on the control-results topic."""

    async def apply_control(stream: Any) -> None:
        async for event in stream.events():
            raw = table.get(LIVE_CONFIG_KEY)
            overrides = orjson.loads(raw)["overrides"] if raw else {}
            request_id = "unknown"
            try:
                update = ConfigUpdate.model_validate_json(event.value or b"")
                request_id = update.request_id
                live = apply_update(base, overrides, update.detection)
            except (ValidationError, ConfigUpdateError) as exc:
                message = str(exc) if isinstance(exc, ConfigUpdateError) else _brief(exc)
                metrics.control.labels("refused").inc()
                log.warning("configuration update %s refused: %s", request_id, message)
                result = ConfigUpdateResult(
                    request_id=request_id, ts=_now_ms(), accepted=False, error=message,
                    config_version=orjson.loads(raw)["version"] if raw else config_version(base),
                )  # fmt: skip
            else:
                table[LIVE_CONFIG_KEY] = orjson.dumps(
                    {"overrides": live.overrides, "version": live.version, "request_id": request_id}
                )
                metrics.control.labels("accepted").inc()
                log.info("configuration update %s accepted: %s", request_id, live.version)
                result = ConfigUpdateResult(
                    request_id=request_id, ts=_now_ms(), accepted=True, config_version=live.version
                )
            await (await results.send(key=request_id, value=result.model_dump_json().encode()))

    return apply_control


def _brief(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<record>'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)[:5]
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


CAMPAIGN_SIZE_BUCKETS = ("2-4", "5-19", "20-99", "100+")


def campaign_size_bucket(size: int) -> str:
    """The dashboard's size bucket of a campaign.

    >>> [campaign_size_bucket(n) for n in (2, 5, 20, 100)]
    ['2-4', '5-19', '20-99', '100+']
    """
    return "2-4" if size < 5 else "5-19" if size < 20 else "20-99" if size < 100 else "100+"


def add_operator_gauges(
    app: faust.App,
    metrics: OperatorMetrics,
    alert_stage: AlertStage,
    labels: Any,
    live: LiveConfig,
    challenger: Challenger | None = None,
    campaign_sizes: Callable[[], list[int]] | None = None,
) -> None:
    """Every 5 s: suppressed alerts by severity, labels held, the configuration version in force, the
    challenger's disagreements."""

    @app.timer(interval=5.0)
    async def report_operator_gauges() -> None:
        if campaign_sizes is not None:
            counts = dict.fromkeys(CAMPAIGN_SIZE_BUCKETS, 0)
            for size in campaign_sizes():
                counts[campaign_size_bucket(size)] += 1
            for bucket, count in counts.items():
                metrics.campaigns.labels(bucket).set(count)
        if challenger is not None:
            for kind, count in challenger.disagreements.items():
                metrics.disagreements.labels(kind).set(count)
        for severity, count in alert_stage.suppressed.items():
            metrics.suppressed.labels(severity).set(count)
        metrics.labels.set(subject_label_count(labels))
        metrics.config_info.clear()
        metrics.config_info.labels(config_version(live.current())).set(1)


def add_verdict_page(app: faust.App, verdicts: Any) -> None:
    """``GET /verdicts/<account_id>``: the account's current standing as JSON, 404 when unknown. Routed
    to the worker that holds the account's partition (Faust's table route)."""

    @app.page("/verdicts/{account_id}")
    @app.table_route(table=verdicts, match_info="account_id")
    async def verdict(web: Any, request: Any, account_id: str) -> Any:
        raw = verdicts.get(account_id)
        if isinstance(raw, bytes):
            raw = unstamp(raw)[1]  # the alert stage's views may stamp values with their source offsets
        if raw is None:
            return web.json({"error": "unknown account", "account_id": account_id}, status=404)
        return web.bytes(raw, content_type="application/json")


def install(app: faust.App, settings: Settings, metrics: WorkerMetrics, verdict_table: Any) -> dict[str, Any]:
    """Declare the operator loop's topics, global tables and agents (the score calibration's too, which
    reads the alert stage's ``verdict_table``); returns the handles the app needs (``tables``,
    ``verdicts`` topic, ``metrics``, ``live``)."""
    topics = settings.topics
    om = OperatorMetrics(metrics)
    tables = operator_tables(app)
    feedback = single_partition_topic(app, topics.feedback)
    control = single_partition_topic(app, topics.control, compacting=True)
    results = single_partition_topic(app, topics.control_results)
    verdicts = app.topic(
        topics.verdicts,
        key_type=str,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=topics.partitions,
        internal=True,
        compacting=True,
        deleting=False,
    )

    @app.task
    async def declare_output_topics() -> None:
        # Faust creates the topics its agents consume; these are only written to. A send to a missing
        # topic would wait for its metadata and hold the alert agent's batch (``distillguard worker``
        # also creates them before it starts).
        for topic in (verdicts, results, challenger_topic):
            if topic is not None:
                await topic.maybe_declare()

    live = LiveConfig(settings.detection, tables[LIVE_CONFIG_TABLE])
    route_to_calibration = calibration_agents.install(
        app, settings, tables[LABELS_TABLE], verdict_table, live.current, metrics
    )
    app.agent(feedback, name="apply_feedback")(
        feedback_agent(LabelBook(tables[LABELS_TABLE]), om, route_to_calibration)
    )
    app.agent(control, name="apply_control")(
        control_agent(settings.detection, tables[LIVE_CONFIG_TABLE], results, om)
    )
    challenger = challenger_topic = None
    challenger_config = settings.challenger_config
    if challenger_config is not None:
        state = app.Table(
            "challenger_alert_state",
            key_type=str,
            value_type=bytes,
            partitions=topics.partitions,
            help="the challenger configuration's alert cooldown state",
        )
        tables["challenger_alert_state"] = state
        challenger = Challenger(challenger_config, settings.detection, alert_state=state)
        challenger_topic = app.topic(
            topics.challenger_alerts, key_type=str, value_type=bytes, key_serializer="raw",
            value_serializer="raw", partitions=topics.partitions, internal=True,
        )  # fmt: skip
    return {"tables": tables, "verdicts": verdicts, "metrics": om, "live": live, "results": results,
            "feedback": feedback, "control": control, "challenger": challenger,
            "challenger_topic": challenger_topic}  # fmt: skip
