"""The Faust application: topics → agents → tables → sinks, readable top to bottom in :func:`create_app`.

    requests ──▶ score_accounts ──▶ observations-by-cluster ──▶ score_clusters ──▶ alert-candidates
    (key: account)  [account_state,   (partition of cluster id)   [cluster_state]   (partition of account)
                     model_first_seen]                                                      │
    dead-letter ◀── (invalid records)                    alerts ◀── emit_alerts [alert_state]

Each agent runs one stage of :data:`models.pipeline.PIPELINE` (its keys, its state tables and what it
hands on are defined there, once, for the worker, ``replay`` and the sharded replay) with Faust tables as
its state. Tables hold bytes/ints only (no prompt text); their changelogs restore them after a crash.

Every agent is the same :class:`~streams.agent_loop.AgentLoop` (batching and at-least-once order: output
delivered, then state written, then acks), given the stage and its step (:mod:`streams.stage_agents`),
its write-back table views (:mod:`streams.batched_table`) and a sink: an internal topic takes each batch's
outputs grouped per partition (:mod:`streams.internal_records`), the alert topic one record per alert.
App configuration, gauges and HTTP pages are in :mod:`streams.app_config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import faust

from distillguard.models.pipeline import PIPELINE
from distillguard.models.stages import AccountStage, AlertStage, ClusterStage
from distillguard.streams.agent_loop import Batching
from distillguard.streams.app_config import add_gauges, add_pages, faust_app, raw_topic, state_table
from distillguard.streams.internal_records import PartitionForKey, grouped_sink
from distillguard.streams.metrics import WorkerMetrics
from distillguard.streams.settings import Settings
from distillguard.streams.stage_agents import StageAgent, alert_sink, dead_letter_sender, live_request_decoder

__all__ = ["Topology", "create_app"]


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


def create_app(settings: Settings, *, metrics: WorkerMetrics | None = None) -> Topology:
    """Build the app and its topology from settings (no global state: call it per worker or test)."""
    topics, worker, detection = settings.topics, settings.worker, settings.detection
    metrics = metrics or WorkerMetrics()
    app = faust_app(settings)

    # Topics: each stage's input (keyed, or partitioned, by the stage's key), the alerts, the dead letters.
    requests = raw_topic(app, topics.requests)
    observations = raw_topic(app, topics.cluster_repartition, internal=True)
    candidates = raw_topic(app, f"{worker.app_id}-alert-candidates", internal=True)
    alerts = raw_topic(app, topics.alerts)
    dead_letter = raw_topic(app, topics.dead_letter)

    # Tables: the state each stage owns, changelogged. Each stage reads and writes them through
    # write-back views that its agent loop flushes once per batch.
    tables = {t.name: state_table(app, t) for spec in PIPELINE.stages for t in spec.tables}
    batching = Batching(worker.batch_max_events, worker.batch_max_wait_ms / 1000.0)
    account, cluster, alert = (
        StageAgent(spec, tables, detection, metrics, batching, stopping=lambda: app.should_stop)
        for spec in PIPELINE.stages  # account, cluster, alert
    )

    # Agents: input topic → stage, in batches → sink (the next stage's topic, grouped per partition of
    # its key, or the alert topic).
    partition_of = PartitionForKey(app.conf.producer_partitioner, topics.partitions)
    score_accounts = account.request_loop(
        live_request_decoder(worker),
        dead_letter_sender(dead_letter, metrics.dead_letters),
        grouped_sink(observations, partition_of),
    )
    score_clusters = cluster.internal_loop(grouped_sink(candidates, partition_of))
    emit_alerts = alert.internal_loop(alert_sink(alerts, metrics.alerts))
    app.agent(requests, name="score_accounts")(score_accounts.run)
    app.agent(observations, name="score_clusters")(score_clusters.run)
    app.agent(candidates, name="emit_alerts")(emit_alerts.run)

    add_gauges(
        app,
        metrics,
        tracked_accounts=lambda: account.stage.tracked_accounts,
        tracked_campaign_accounts=lambda: len(cluster.stage.linker),
        tracked_clusters=lambda: len(tables["cluster_state"]),
    )
    add_pages(app, metrics)
    return Topology(
        app,
        requests,
        dead_letter,
        observations,
        candidates,
        alerts,
        account.stage,
        cluster.stage,
        alert.stage,
        metrics,
        tables=tables,
    )
