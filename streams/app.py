"""The Faust application: topics → agents → tables → sinks, readable top to bottom in :func:`create_app`.

    requests ──▶ score_accounts ──▶ observations-by-cluster ──▶ score_clusters ──▶ alert-candidates
    (key: account)  [account_state,   (partition of cluster id)   [cluster_state]   (partition of account)
                     model_first_seen;        │                                             │
                     reads account_coordination]                alerts ◀── emit_alerts [alert_state]
          │    └──▶ trait-observations ──▶ score_traits ──▶ trait-evidence ──▶ absorb_coordination
          │         (partition of trait value)  [trait_state]  (partition of account)  [account_coordination]
    dead-letter ◀── (invalid records)

Each agent runs one stage of :data:`models.pipeline.PIPELINE` (its keys, its state tables, what it hands
on and the side chain it feeds are defined there, once, for the worker, ``replay`` and the sharded
replay) with Faust tables as its state. Tables hold bytes/ints only (no prompt text); their changelogs
restore them after a crash. The shared-trait side chain closes a loop: the account stage reads (never
writes) the coordination sink's table on the account's next request; every internal topic has the
requests' partition count, so that table's partitions are co-located with the account stage's.

Every agent is the same :class:`~streams.agent_loop.AgentLoop` (batching and at-least-once order: outputs
delivered, then state written, then acks), given the stage and its step (:mod:`streams.stage_agents`),
its write-back table views (:mod:`streams.batched_table`) and sinks: an internal topic takes each batch's
outputs grouped per partition (:mod:`streams.internal_records`), the alert topic one record per alert;
the account agent has a second (branch) sink for its trait observations, delivered in the same batch.
App configuration, gauges and HTTP pages are in :mod:`streams.app_config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import faust

from distillguard.models.coordination import AccountCoordination
from distillguard.models.pipeline import LABELS_TABLE, PIPELINE
from distillguard.models.stages import AccountStage, AlertStage, ClusterStage
from distillguard.models.traits import TraitStage
from distillguard.streams import control as operator_loop
from distillguard.streams.agent_loop import Batching
from distillguard.streams.app_config import (
    add_gauges,
    add_pages,
    faust_app,
    limit_library_logs,
    raw_topic,
    state_table,
)
from distillguard.streams.internal_records import PartitionForKey, grouped_sink, no_output
from distillguard.streams.metrics import WorkerMetrics
from distillguard.streams.pacing import RequestPacing
from distillguard.streams.pacing_worker import install_pacing, make_gate
from distillguard.streams.settings import Settings
from distillguard.streams.stage_agents import (
    SPILL_FILE_NAME,
    DeadLetterSpill,
    StageAgent,
    alert_sink,
    dead_letter_sender,
    live_request_decoder,
)

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
    trait_observations: Any
    trait_evidence: Any
    account_stage: AccountStage
    cluster_stage: ClusterStage
    alert_stage: AlertStage
    trait_stage: TraitStage
    coordination: AccountCoordination
    metrics: WorkerMetrics
    tables: dict[str, Any] = field(default_factory=dict)
    # The operator's loop (streams.control): verdict topic, feedback/control topics, live configuration.
    operator: dict[str, Any] = field(default_factory=dict)


def create_app(settings: Settings, *, metrics: WorkerMetrics | None = None) -> Topology:
    """Build the app and its topology from settings (no global state: call it per worker or test)."""
    topics, internal, worker = settings.topics, settings.internal_topics, settings.worker
    metrics = metrics or WorkerMetrics()
    app = faust_app(settings)

    # Topics: each stage's input (keyed, or partitioned, by the stage's key), the alerts, the dead letters.
    requests = raw_topic(app, topics.requests)
    observations = raw_topic(app, internal.observations, internal=True)
    candidates = raw_topic(app, internal.candidates, internal=True)
    trait_observations = raw_topic(app, internal.trait_observations, internal=True)
    trait_evidence = raw_topic(app, internal.trait_evidence, internal=True)
    alerts = raw_topic(app, topics.alerts)
    dead_letter = raw_topic(app, topics.dead_letter)

    # Tables: the state each stage owns, changelogged. Each stage writes them through write-back views
    # that its agent loop flushes once per batch; a stage that only reads another's table reads it as is.
    tables = {t.name: state_table(app, t) for spec in PIPELINE.all_stages for t in spec.tables}
    # The operator's loop: analysts' labels and the live configuration, global tables every worker holds.
    operator = operator_loop.install(app, settings, metrics, tables["account_verdicts"])
    tables.update(operator["tables"])
    batching = Batching(worker.batch_max_events, worker.batch_max_wait_ms / 1000.0)
    account, cluster, alert, trait, coordination = (
        StageAgent(
            spec,
            tables,
            settings.detection,
            metrics,
            batching,
            stopping=lambda: app.should_stop,
            partitions=topics.partitions,
            snapshot_interval_s=worker.model_snapshot_interval_s,
            snapshot_max_bytes=worker.model_snapshot_max_bytes,
        )
        for spec in PIPELINE.all_stages  # account, cluster, alert; then the side chain: trait, coordination
    )
    # The account and cluster stages keep soft models per input partition (models.soft_state); after a
    # rebalance each checks them against their snapshots again and drops those of partitions it lost.
    soft_sources = ((account, requests.get_topic_name()), (cluster, observations.get_topic_name()))

    async def soft_models_reassigned(_sender: Any, assigned: Any, **_kwargs: Any) -> None:
        for stage_agent, topic in soft_sources:
            stage_agent.reassigned({tp.partition for tp in assigned if tp.topic == topic})

    app.on_partitions_assigned.connect(soft_models_reassigned)

    # Agents: input topic → stage, in batches → sink(s) (the next stage's topic, grouped per partition of
    # its key, or the alert topic; the account stage also feeds the trait stage).
    to = PartitionForKey(app.conf.producer_partitioner, topics.partitions)
    # A challenger configuration beside the live one, when the settings name one (streams.control).
    challenger_step = (
        operator_loop.ChallengerStep(None, operator["challenger"], lambda: alert.config)
        if operator["challenger"] is not None
        else None
    )
    # Event-time pacing of the request partitions (streams.pacing): the account agent holds a partition's
    # records back while it is ahead of another one still working off a backlog.
    gate = make_gate(settings) if worker.pacing.enabled else None
    request_loop = account.request_loop(
        live_request_decoder(worker),
        dead_letter_sender(
            dead_letter,
            metrics.dead_letters,
            DeadLetterSpill(
                worker.data_dir / SPILL_FILE_NAME,
                worker.dead_letter_spill_max_bytes,
                metrics.dead_letters_spilled,
                metrics.dead_letters_spill_dropped,
            ),
        ),
        grouped_sink(observations, to),
        branch_sink=grouped_sink(trait_observations, to),
        pacing=RequestPacing(gate) if gate is not None else None,
    )
    agents = {
        "score_accounts": (requests, request_loop),
        "score_clusters": (observations, cluster.internal_loop(grouped_sink(candidates, to))),
        "emit_alerts": (
            candidates,
            alert.internal_loop(
                operator_loop.verdict_sink(
                    alert_sink(alerts, metrics.alerts),
                    operator["verdicts"],
                    alert.stage,
                    operator["metrics"].verdicts,
                    operator["metrics"].actions,
                    challenger=(
                        (operator["challenger_topic"], challenger_step, operator["metrics"].challenger_alerts)
                        if challenger_step is not None
                        else None
                    ),
                )
            ),
        ),
        "score_traits": (trait_observations, trait.internal_loop(grouped_sink(trait_evidence, to))),
        "absorb_coordination": (trait_evidence, coordination.internal_loop(no_output)),
    }
    stage_agents = dict(zip(agents, (account, cluster, alert, trait, coordination), strict=True))
    for name, (source, loop) in agents.items():
        # every stage takes the live configuration at the start of each batch
        loop.step = operator_loop.LiveConfigStep(loop.step, stage_agents[name], operator["live"])
        if name == "emit_alerts" and challenger_step is not None:
            challenger_step.step, loop.step = loop.step, challenger_step
        app.agent(source, name=name)(loop.run)
    if gate is not None:
        progress = raw_topic(
            app, settings.progress_topic, internal=True, partitions=1, compacting=True, deleting=False
        )
        install_pacing(app, settings, gate, request_loop, requests.get_topic_name(), progress, metrics)
    operator_loop.add_verdict_page(app, tables["account_verdicts"])
    operator_loop.add_operator_gauges(
        app,
        operator["metrics"],
        alert.stage,
        tables[LABELS_TABLE],
        operator["live"],
        operator["challenger"],
        campaign_sizes=cluster.stage.campaign_sizes,
    )

    add_gauges(
        app,
        metrics,
        tracked_accounts=lambda: account.stage.tracked_accounts,
        tracked_campaign_accounts=lambda: cluster.stage.tracked_campaign_accounts,
        tracked_clusters=lambda: len(tables["cluster_state"]),
    )
    broker = limit_library_logs(app, metrics, worker.log_repeat_interval_s)
    add_pages(app, metrics, broker)
    return Topology(
        app=app,
        requests=requests,
        dead_letter=dead_letter,
        observations=observations,
        candidates=candidates,
        alerts=alerts,
        trait_observations=trait_observations,
        trait_evidence=trait_evidence,
        account_stage=account.stage,
        cluster_stage=cluster.stage,
        alert_stage=alert.stage,
        trait_stage=trait.stage,
        coordination=coordination.stage,
        metrics=metrics,
        tables=tables,
        operator=operator,
    )
