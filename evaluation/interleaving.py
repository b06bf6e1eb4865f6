"""Replay traffic as a worker may meet it, to measure what its timing changes (README, Guarantees).

``replay`` meets every request in event time and applies the shared-trait side chain's answers before
the account's next request. A worker does neither: it consumes each request partition in batches, at its
own pace (two workers, two paces), the side chain answers some batches later, and each cluster-stage
partition meets the account stage's outputs as those batches interleave. :func:`worker_like` runs the
stage chain of :data:`models.pipeline.PIPELINE` that way, seeded: a random partition at a time (among
those at most ``max_drift_s`` of event time ahead of the slowest one), a random batch of 1 to
``max_batch`` of its requests, the side chain's answers 0 to ``side_lag_batches`` batches late, and each
cluster partition drained at random moments. :func:`compare` says what differs from a reference run.

    python -m distillguard.evaluation.interleaving --scenario small --seeds 1 2 3 --max-drift-s 300
"""

from __future__ import annotations

import argparse
import math
import random
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.models.pipeline import PIPELINE, reaches_alert_stage
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import Severity


def in_order(
    events: Iterable[RequestEvent], config: DetectionConfig, partitions: int = 4
) -> list[dict[str, Any]]:
    """The alerts ``replay`` gives (event time, side chain at once)."""
    detector = Detector(config, partitions=partitions)
    return [a.model_dump(mode="json") for e in events for a in detector.process(e)]


def worker_like(
    events: Sequence[RequestEvent],
    config: DetectionConfig,
    seed: int,
    partitions: int = 4,
    max_batch: int = 200,
    side_lag_batches: int = 2,
    max_drift_s: float = math.inf,
) -> list[dict[str, Any]]:
    """The alerts of one seeded worker-like interleaving of ``events`` (module docstring)."""
    rng = random.Random(seed)
    account, cluster, alert, trait, coordination = PIPELINE.build(config, partitions=partitions)
    pending: list[deque[RequestEvent]] = [deque() for _ in range(partitions)]
    for event in events:
        pending[account.partition_of(event.account_id)].append(event)
    offsets = [0] * partitions
    observations: list[deque[Any]] = [deque() for _ in range(partitions)]
    answers: list[tuple[int, list[Any]]] = []  # (batch after which they arrive, trait observations)
    alerts: list[dict[str, Any]] = []
    drift_ms = max_drift_s * 1000

    def drain(partition: int) -> None:
        queue = observations[partition]
        while queue:
            assessment = cluster.process(queue.popleft(), partition)
            if reaches_alert_stage(assessment, config):
                raised = alert.process(assessment)
                if raised is not None:
                    alerts.append(raised.model_dump(mode="json"))

    batch = 0
    while any(pending):
        slowest = min(queue[0].ts for queue in pending if queue)
        ready = [p for p, queue in enumerate(pending) if queue and queue[0].ts - slowest <= drift_ms]
        partition = rng.choice(ready)
        queue, sent = pending[partition], []
        for _ in range(rng.randint(1, max_batch)):
            if not queue or (sent and queue[0].ts - slowest > drift_ms):
                break
            obs = account.process(queue.popleft(), (partition, offsets[partition]))
            offsets[partition] += 1
            if obs is not None:
                sent.append(obs)
                observations[cluster.partition_of(obs.cluster_id)].append(obs)
        batch += 1
        answers.append(
            (batch + rng.randint(0, side_lag_batches), [t for o in sent for t in o.trait_observations()])
        )
        due = [items for when, items in answers if when <= batch]
        answers = [(when, items) for when, items in answers if when > batch]
        for items in due:
            for item in items:
                coordination.absorb(trait.process(item))
        for p in range(partitions):
            if observations[p] and rng.random() < 0.5:
                drain(p)
    for _, items in answers:
        for item in items:
            coordination.absorb(trait.process(item))
    for p in range(partitions):
        drain(p)
    return alerts


def last_campaigns(alerts: Iterable[dict[str, Any]]) -> dict[str, str | None]:
    """account → the campaign id on its last medium+ alert (event time; on a tie the higher severity)."""
    last: dict[str, tuple[int, int, str | None]] = {}
    for a in alerts:
        rank = Severity(a["severity"]).rank
        if rank < Severity.MEDIUM.rank:
            continue
        key = (a["ts"], rank, a.get("campaign_id"))
        if a["account_id"] not in last or key[:2] > last[a["account_id"]][:2]:
            last[a["account_id"]] = key
    return {account: campaign for account, (_, _, campaign) in last.items()}


def compare(
    reference: list[dict[str, Any]], other: list[dict[str, Any]], campaign_accounts: set[str]
) -> dict[str, Any]:
    """What ``other`` decides differently: campaign accounts the reference flags medium+ and it does not
    (and the other way), normal accounts flagged by one only, accounts both end in a campaign under
    different ids."""
    ref, mine = last_campaigns(reference), last_campaigns(other)
    both = ref.keys() & mine.keys()
    return {
        "missing": len((ref.keys() - mine.keys()) & campaign_accounts),
        "extra": len((mine.keys() - ref.keys()) & campaign_accounts),
        "normal_differ": len((ref.keys() ^ mine.keys()) - campaign_accounts),
        "relabelled": sorted(a for a in both if ref[a] and mine[a] and ref[a] != mine[a]),
    }


def main(argv: Sequence[str] | None = None) -> None:
    from distillguard.evaluation.scenarios import get_scenario
    from distillguard.evaluation.simulator import iter_events, labels
    from distillguard.schemas.codec import decode_request
    from distillguard.streams.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="small")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--max-drift-s", type=float, default=math.inf)
    args = parser.parse_args(argv)
    settings = load_settings()
    scenario = get_scenario(args.scenario)
    events = [decode_request(orjson.dumps(e)) for e in iter_events(scenario)]
    campaigns = {row["account_id"] for row in labels(scenario) if row["kind"] == "campaign"}
    reference = in_order(events, settings.detection, settings.topics.partitions)
    for seed in args.seeds:
        run = worker_like(
            events, settings.detection, seed, settings.topics.partitions, max_drift_s=args.max_drift_s
        )
        print(orjson.dumps({"seed": seed, **compare(reference, run, campaigns)}).decode())


if __name__ == "__main__":
    main()
