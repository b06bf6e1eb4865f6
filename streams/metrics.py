"""Prometheus metrics of one worker, on a registry of its own (no process-global collectors).

The agents process records in batches and update these once per batch, not once per record. A stage's
*items* are the units it processes: requests (account stage), observations (cluster stage), alert
candidates (alert stage), trait observations (trait stage) and trait evidence (coordination stage);
internal records carry several items. Per-stage item counts and busy time are
counters (mean time per item = busy seconds / items); the histograms describe batches.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

STAGES = ("account", "cluster", "alert", "trait", "coordination")
BATCH_SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


class StageMetrics:
    """The label children of one stage, bound once (``labels()`` is a locked dict lookup)."""

    def __init__(self, metrics: WorkerMetrics, stage: str) -> None:
        self._items = metrics.stage_items.labels(stage)
        self._busy = metrics.stage_busy.labels(stage)
        self._delivery_wait = metrics.delivery_wait.labels(stage)
        self._errors = metrics.processing_errors.labels(stage)
        self._batch_seconds = metrics.batch_seconds.labels(stage)
        self._batch_size = metrics.batch_size.labels(stage)
        self._redelivered = metrics.stage_redelivered.labels(stage)

    def batch(self, items: int, busy: float, waited: float) -> None:
        """One batch of ``items`` items: ``busy`` seconds in the agent (processing, handing records to the
        producer, table writes, acks), ``waited`` seconds waiting for its output records' delivery."""
        self._items.inc(items)
        self._busy.inc(busy)
        self._delivery_wait.inc(waited)
        self._batch_seconds.observe(busy + waited)
        self._batch_size.observe(items)

    def error(self) -> None:
        self._errors.inc()

    def redelivered(self, items: int) -> None:
        self._redelivered.inc(items)


class WorkerMetrics:
    """Counters, gauges and histograms the worker updates; ``render()`` gives the exposition text."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter("distillguard_events", "request records consumed", registry=r)
        self.duplicates = Counter("distillguard_duplicate_events", "redelivered events skipped", registry=r)
        self.dead_letters = Counter(
            "distillguard_dead_letters", "records sent to the dead-letter topic", registry=r
        )
        self.dead_letters_spilled = Counter(
            "distillguard_dead_letters_spilled",
            "dead letters the dead-letter topic refused (e.g. too large), written to the local spill file",
            registry=r,
        )
        self.dead_letters_spill_dropped = Counter(
            "distillguard_dead_letters_spill_dropped",
            "dead letters neither forwarded nor spilled: the spill file was full "
            "(worker.dead_letter_spill_max_bytes) or could not be written",
            registry=r,
        )
        self.alerts = Counter("distillguard_alerts", "alerts emitted", ["severity"], registry=r)
        self.stage_items = Counter(
            "distillguard_stage_items",
            "items a stage has processed (account: request records incl. duplicates and dead letters; "
            "cluster: observations; alert: alert candidates; trait: trait observations; coordination: "
            "trait evidence)",
            ["stage"],
            registry=r,
        )
        self.stage_busy = Counter(
            "distillguard_stage_busy_seconds",
            "time a stage spent on its batches (processing, handing records to the producer, table "
            "writes, acks), without the delivery wait; per item: divide by distillguard_stage_items",
            ["stage"],
            registry=r,
        )
        self.delivery_wait = Counter(
            "distillguard_stage_delivery_wait_seconds",
            "time a stage waited for its batches' output records to be delivered (other agents run then)",
            ["stage"],
            registry=r,
        )
        self.stage_redelivered = Counter(
            "distillguard_stage_redelivered_items",
            "items a later stage skipped because its key's state already holds them (redelivered after "
            "a crash; the account stage's duplicates are distillguard_duplicate_events)",
            ["stage"],
            registry=r,
        )
        # Snapshots of the partition-scoped soft models (models.soft_state).
        self.model_snapshots = Counter(
            "distillguard_model_snapshots",
            "snapshots of a partition's soft models written to the stage's models table",
            ["stage"],
            registry=r,
        )
        self.model_snapshot_bytes = Counter(
            "distillguard_model_snapshot_bytes",
            "bytes of the soft-model snapshots written (compressed)",
            ["stage"],
            registry=r,
        )
        self.model_snapshots_skipped = Counter(
            "distillguard_model_snapshots_skipped",
            "soft-model snapshots not written: larger than worker.model_snapshot_max_bytes",
            ["stage"],
            registry=r,
        )
        self.model_snapshots_restored = Counter(
            "distillguard_model_snapshots_restored",
            "partition soft models loaded from a snapshot (first use of a partition, or a newer snapshot "
            "after a rebalance)",
            ["stage"],
            registry=r,
        )
        self.model_snapshot_seconds = Counter(
            "distillguard_model_snapshot_seconds",
            "time spent serialising soft-model snapshots",
            ["stage"],
            registry=r,
        )
        self.processing_errors = Counter(
            "distillguard_processing_errors",
            "records or items a stage failed on unexpectedly (requests are dead-lettered, others skipped)",
            ["stage"],
            registry=r,
        )
        self.batch_seconds = Histogram(
            "distillguard_batch_seconds",
            "time per batch and stage, from taking the batch to acking it (incl. the delivery wait)",
            ["stage"],
            buckets=BATCH_SECONDS_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "distillguard_batch_items",
            "items per batch and stage",
            ["stage"],
            buckets=BATCH_SIZE_BUCKETS,
            registry=r,
        )
        self.tracked_accounts = Gauge("distillguard_tracked_accounts", "accounts held in memory", registry=r)
        self.tracked_campaign_accounts = Gauge(
            "distillguard_campaign_linker_accounts", "accounts in the campaign linker", registry=r
        )
        self.tracked_clusters = Gauge("distillguard_tracked_clusters", "prompt clusters held", registry=r)
        self.consumer_lag = Gauge(
            "distillguard_consumer_lag", "records behind the log end, summed", registry=r
        )
        self.partition_lag = Gauge(
            "distillguard_partition_lag",
            "per assigned input partition: records between the group's committed offset and the log end "
            "(not yet committed: unprocessed, or processed and awaiting the next commit)",
            ["topic", "partition"],
            registry=r,
        )
        self.commit_lag = Gauge(
            "distillguard_commit_lag",
            "per assigned input partition: records processed (acked) but not yet committed; a crash now "
            "would redeliver them (the stages skip what they already applied)",
            ["topic", "partition"],
            registry=r,
        )
        # (topic, partition) -> the offset after the last record an agent acked (set by the agent loops)
        self.processed_offsets: dict[tuple[str, int], int] = {}
        # event-time pacing of the request partitions (streams.pacing)
        self.pacing_held = Gauge(
            "distillguard_pacing_held", "request records held back by event-time pacing", registry=r
        )
        self.pacing_held_total = Counter(
            "distillguard_pacing_held_records", "request records event-time pacing has held back", registry=r
        )
        self.pacing_paused = Gauge(
            "distillguard_pacing_paused_partitions",
            "request partitions whose fetching pacing has paused",
            registry=r,
        )
        self.pacing_forced = Counter(
            "distillguard_pacing_forced",
            "times pacing gave its bound up: a record processed past it (max_held), or another worker's "
            "silent partition left out (stale_after_s)",
            registry=r,
        )
        self.broker_unreachable = Gauge(
            "distillguard_broker_unreachable",
            "1 while the Kafka client reports that it cannot reach the broker (a connection or metadata "
            "error logged within the last few seconds), else 0",
            registry=r,
        )
        self.suppressed_log_lines = Counter(
            "distillguard_suppressed_log_lines",
            "repeated library warnings/errors (e.g. connection errors during a broker outage) dropped "
            "by the log rate limit (worker.log_repeat_interval_s)",
            ["logger"],
            registry=r,
        )

    def stage(self, name: str) -> StageMetrics:
        return StageMetrics(self, name)

    def render(self) -> bytes:
        return generate_latest(self.registry)
