"""The worker-like interleaving of evaluation.interleaving: it does interleave, and with the request
partitions held within the campaigns' settle lag it decides as replay does (README, Guarantees)."""

from __future__ import annotations

from distillguard.evaluation.interleaving import compare, in_order, last_campaigns, worker_like
from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import labels
from distillguard.models.config import DetectionConfig
from tests.test_side_chain_timing import scenario


def test_partitions_within_the_settle_lag_decide_as_replay_does() -> None:
    base = DetectionConfig()
    config = base.model_copy(
        update={"account": base.account.model_copy(update={"own_evidence": "individual"})}
    )
    events = scenario()
    campaigns = {row["account_id"] for row in labels(get_scenario("small")) if row["kind"] == "campaign"}
    reference = in_order(events, config)
    bounded = worker_like(events, config, seed=1, max_drift_s=config.campaign.name_settle_s)
    # it is another order: the alerts are not emitted in event time
    assert [a["ts"] for a in bounded] != sorted(a["ts"] for a in bounded)
    assert len([c for c in last_campaigns(reference).values() if c]) >= 20
    assert compare(reference, bounded, campaigns) == {
        "missing": 0,
        "extra": 0,
        "normal_differ": 0,
        "relabelled": [],
    }
