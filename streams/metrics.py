"""Prometheus metrics of one worker, on a registry of its own (no process-global collectors)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


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
        self.alerts = Counter("distillguard_alerts", "alerts emitted", ["severity"], registry=r)
        self.stage_latency = Histogram(
            "distillguard_stage_seconds",
            "processing time per event and stage",
            ["stage"],
            buckets=LATENCY_BUCKETS,
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

    def render(self) -> bytes:
        return generate_latest(self.registry)
