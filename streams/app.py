"""The Faust application: topics, tables and the three agents, readable top to bottom.

    requests ──▶ score_accounts ──▶ observations-by-cluster ──▶ score_clusters ──▶ alert-candidates
    (key: account)  [account_state,       (key: cluster)          [cluster_state]       (key: account)
                     model_first_seen]                                                      │
    dead-letter ◀── (invalid records)                    alerts ◀── emit_alerts [alert_state]

Each agent runs one stage of :mod:`models.stages` with Faust tables as its state, so the worker and
``replay`` share every line of detection logic. Tables hold bytes/ints only (no prompt text); their
changelogs restore them after a crash. Processing is per event (not batched) so that each table write
goes to the changelog partition of the event that caused it.
"""

from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

import faust
import orjson
from faust.exceptions import ProducerSendError

from models.fusion import severity_for
from models.stages import AccountObservation, AccountStage, AlertStage, Assessment, ClusterStage
from schemas.codec import DecodeError, decode_request, encode_alert
from schemas.request_event import RequestEvent
from streams.metrics import WorkerMetrics
from streams.settings import Settings

log = logging.getLogger("distillguard.worker")

# Producer request cap. Records rejected for size (> worker.max_record_bytes) still go to the dead-letter
# topic with their original bytes, so the producer must accept more than the 1 MiB aiokafka default
# (the dead-letter topic's max.message.bytes must allow them too).
PRODUCER_MAX_REQUEST_BYTES = 16 * 1024 * 1024


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
        producer_linger_ms=5,
        producer_max_request_size=PRODUCER_MAX_REQUEST_BYTES,
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

    account_stage = AccountStage(detection, accounts=account_state, model_first_seen=model_first_seen)
    cluster_stage = ClusterStage(detection, clusters=cluster_state)
    alert_stage = AlertStage(detection, alert_state=alert_state)

    async def dead_letter_record(event: Any, reason: str) -> None:
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
            await dead_letter.send(key=event.key, value=value, headers=headers)
        except ProducerSendError as exc:
            # Too large even for the dead-letter topic: never crash the agent over it (that loses the
            # record silently); send the reason and the original's size instead of its bytes.
            log.error(
                "could not dead-letter %d bytes from %s[%s]@%s: %s",
                len(value),
                message.topic,
                message.partition,
                message.offset,
                exc,
            )
            headers["dlq.reason"] = f"{reason}; original value ({len(value)} bytes) not forwarded".encode()
            headers["dlq.original.bytes"] = str(len(value)).encode()
            await dead_letter.send(key=event.key, value=b"", headers=headers)

    def validate_live(event: RequestEvent) -> None:
        now_ms = int(time.time() * 1000)
        if event.ts > now_ms + worker.max_future_skew_ms:
            raise DecodeError(f"ts {event.ts} is more than {worker.max_future_skew_ms} ms in the future")
        if worker.max_past_age_ms is not None and event.ts < now_ms - worker.max_past_age_ms:
            raise DecodeError(f"ts {event.ts} is older than {worker.max_past_age_ms} ms")

    @app.agent(requests, name="score_accounts")
    async def score_accounts(stream: Any) -> None:
        """Stage 1 (keyed by account): validate, dedupe, update account state, repartition by cluster."""
        async for event in stream.events():
            started = time.perf_counter()
            metrics.events.inc()
            try:
                request = decode_request(event.value or b"", max_bytes=worker.max_record_bytes)
                validate_live(request)
            except DecodeError as exc:
                await dead_letter_record(event, exc.reason)
                continue
            observation = account_stage.process(request, (event.message.partition, event.message.offset))
            if observation is None:
                metrics.duplicates.inc()
                continue
            await observations.send(key=observation.cluster_id, value=orjson.dumps(observation.to_dict()))
            metrics.stage_latency.labels("account").observe(time.perf_counter() - started)

    @app.agent(observations, name="score_clusters")
    async def score_clusters(stream: Any) -> None:
        """Stage 2 (keyed by cluster): cluster state, bursts, campaign links, fused score."""
        async for event in stream.events():
            started = time.perf_counter()
            assessment = cluster_stage.process(AccountObservation.from_dict(orjson.loads(event.value)))
            if severity_for(assessment.score, detection.fusion) is not None:
                await candidates.send(key=assessment.account_id, value=orjson.dumps(assessment.to_dict()))
            metrics.stage_latency.labels("cluster").observe(time.perf_counter() - started)

    @app.agent(candidates, name="emit_alerts")
    async def emit_alerts(stream: Any) -> None:
        """Stage 3 (keyed by account): cooldown and severity escalation, then the alert topic."""
        async for event in stream.events():
            alert = alert_stage.process(Assessment.from_dict(orjson.loads(event.value)))
            if alert is not None:
                metrics.alerts.labels(alert.severity.value).inc()
                await alerts.send(key=alert.account_id, value=encode_alert(alert))

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
    )
