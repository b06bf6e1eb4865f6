"""The stage chain definition (models.pipeline): order, keys, the band rule, the shared-trait side
chain, and that the in-process runner built on it gives what the stages give when wired by hand."""

from __future__ import annotations

import subprocess
import sys

import pytest

from distillguard.models.config import DetectionConfig, FusionConfig, FusionWeights
from distillguard.models.coordination import AccountCoordination
from distillguard.models.detector import Detector
from distillguard.models.pipeline import (
    ACCOUNT,
    ALERT,
    CLUSTER,
    COORDINATION,
    LABELS_TABLE,
    PIPELINE,
    TRAIT,
    reaches_alert_stage,
)
from distillguard.models.stages import AccountStage, AlertStage, Assessment, ClusterStage
from distillguard.models.traits import TraitEvidence, TraitObservation, TraitStage
from distillguard.schemas import SuspicionEvent
from tests.test_core import coordinated_campaign, ordinary_users


def traffic() -> list:
    return sorted(coordinated_campaign(10, 10) + ordinary_users(6, 10), key=lambda e: e.ts)


def assessment(score: float, account_id: str = "a", **signals: float) -> Assessment:
    return Assessment(
        event_id="e", account_id=account_id, ts=0, score=score, events_seen=9, cluster_id="c", signals=signals
    )


def test_the_chain_is_account_then_cluster_then_alert_keyed_by_account_cluster_account() -> None:
    assert PIPELINE.stages == (ACCOUNT, CLUSTER, ALERT)
    assert [s.partitioned_by for s in PIPELINE.stages] == ["account_id", "cluster_id", "account_id"]
    assert [PIPELINE.after(s) for s in PIPELINE.stages] == [CLUSTER, ALERT, None]
    assert [t.name for s in PIPELINE.stages for t in s.tables] == [
        "account_state",
        "model_first_seen",
        "account_models",
        "cluster_state",
        "cluster_models",
        "alert_state",
        "account_verdicts",
    ]


def test_the_side_chain_fans_the_account_stage_out_by_trait_value_and_answers_by_account() -> None:
    (branch,) = PIPELINE.branches
    assert branch.after is ACCOUNT and branch.stages == (TRAIT, COORDINATION)
    assert PIPELINE.branch_from(ACCOUNT) is branch
    assert PIPELINE.branch_from(CLUSTER) is None and PIPELINE.branch_from(TRAIT) is None
    assert PIPELINE.all_stages == (ACCOUNT, CLUSTER, ALERT, TRAIT, COORDINATION)
    assert (TRAIT.input_type, TRAIT.output_type) == (TraitObservation, TraitEvidence)
    assert (TRAIT.partitioned_by, COORDINATION.partitioned_by) == ("key", "account_id")
    assert [PIPELINE.after(s) for s in branch.stages] == [COORDINATION, None]
    # The coordination sink owns its table; the account stage reads it and owns (writes) it not.
    assert [t.name for t in TRAIT.tables] == ["trait_state"]
    assert [t.name for t in COORDINATION.tables] == ["account_coordination"]
    assert ACCOUNT.reads == ("account_coordination",)
    assert "account_coordination" not in {t.name for t in ACCOUNT.tables}
    # The cluster stage reads the analysts' labels, which the feedback agent (streams.control) writes.
    assert CLUSTER.reads == (LABELS_TABLE,)
    assert all(not s.reads for s in PIPELINE.all_stages if s not in (ACCOUNT, CLUSTER))
    owners = [t.name for s in PIPELINE.all_stages for t in s.tables]
    assert len(owners) == len(set(owners)), "every table has exactly one owning (writing) stage"
    assert set(ACCOUNT.reads) <= set(owners)

    config = DetectionConfig()
    stages = PIPELINE.build(config)
    built = dict(zip(PIPELINE.all_stages, stages, strict=True))
    fanned_out: list[TraitObservation] = []
    for event in traffic():
        outputs = PIPELINE.run(stages, event, config)
        if "account" not in outputs:
            continue
        observation = outputs["account"]
        traits = branch.fan_out(observation)
        assert len(traits) <= config.traits.max_emit_per_request
        for trait in traits:
            # keyed by the trait value, not by the account: every sharer's observation meets on one key
            assert TRAIT.key(trait) == trait.key != event.account_id
            assert trait.account_id == event.account_id and trait.key in observation.trait_keys
        fanned_out.extend(traits)
    # The same observations through a trait stage of their own: evidence goes back keyed by account.
    trait_stage, sink = TRAIT.build(config), COORDINATION.build(config)
    evidence_seen = 0
    for trait in fanned_out:
        answer = TRAIT.run(trait_stage, trait, None)
        assert PIPELINE.key_after(TRAIT)(answer) == COORDINATION.key(answer) == trait.account_id
        assert COORDINATION.run(sink, answer, None) is None  # the end of the side chain
        evidence_seen += answer.evidence > 0
    assert fanned_out and evidence_seen > 0
    assert sink.table == built[COORDINATION].table  # what PIPELINE.run's side chain wrote
    # One dict for the coordination table: what the sink writes is what the account stage reads.
    account, coordination = built[ACCOUNT], built[COORDINATION]
    assert account.coordination.table is coordination.table
    assert any(account.coordination.signal(a, event.ts)[0] > 0 for a in coordination.table)


def test_every_output_travels_under_the_next_stages_key() -> None:
    config = DetectionConfig()
    stages = PIPELINE.build(config)
    seen = {name: 0 for name in ("account", "cluster", "alert")}
    for event in traffic():
        assert ACCOUNT.key(event) == event.account_id
        outputs = PIPELINE.run(stages, event, config)
        if "account" in outputs:
            observation = outputs["account"]
            assert PIPELINE.key_after(ACCOUNT)(observation) == CLUSTER.key(observation)
            assert CLUSTER.key(observation) == observation.cluster_id != event.account_id
        if "cluster" in outputs:
            scored = outputs["cluster"]
            assert PIPELINE.key_after(CLUSTER)(scored) == ALERT.key(scored) == event.account_id
        if "alert" in outputs:
            assert PIPELINE.key_after(ALERT)(outputs["alert"]) == event.account_id
        for name in outputs:
            seen[name] += 1
    assert seen["alert"] > 0 and seen["account"] == seen["cluster"] > seen["alert"]


def test_the_band_rule_passes_exactly_the_scores_in_a_severity_band() -> None:
    fusion = FusionConfig(low=0.4, medium=0.6, high=0.8, critical=0.9)
    config = DetectionConfig(fusion=fusion)
    assert not reaches_alert_stage(assessment(0.399999), config)
    assert reaches_alert_stage(assessment(0.4), config)
    assert reaches_alert_stage(assessment(0.95), config)
    assert CLUSTER.passes is reaches_alert_stage
    assert ACCOUNT.passes(object(), config) and ALERT.passes(object(), config)


def test_an_account_linked_to_no_other_needs_more_evidence_for_medium() -> None:
    fusion = FusionConfig(low=0.3, medium=0.6, medium_unlinked=0.7, linked_floor=0.1, high=0.8, critical=0.9)
    alerter = AlertStage(DetectionConfig(fusion=fusion))

    def severity(score: float, account_id: str, **signals: float) -> str:
        alert = alerter.process(assessment(score, account_id, thinking=1.0, **signals))
        assert alert is not None
        held = [reason for reason in alert.reasons if reason.signal == "unlinked"]
        assert bool(held) == (alert.severity.value == "low" and score >= fusion.medium)
        return alert.severity.value

    assert severity(0.65, "alone") == "low"
    assert severity(0.5, "quiet") == "low"
    assert severity(0.65, "faint-link", shared_traits=0.05) == "low"  # below the floor: no link
    for link in ("shared_traits", "cluster_crowd", "cluster_lockstep", "campaign", "shared_payment"):
        assert severity(0.65, f"linked-{link}", **{link: 0.1}) == "medium"
    assert severity(0.72, "alone-but-strong") == "medium"
    assert severity(0.85, "alone-and-loud") == "high"
    off = AlertStage(DetectionConfig(fusion=FusionConfig(medium=0.6, medium_unlinked=0.6)))
    alert = off.process(assessment(0.65, "alone"))
    assert alert is not None and alert.severity.value == "medium"


def test_an_unlinked_medium_threshold_below_medium_is_refused() -> None:
    with pytest.raises(ValueError, match="medium_unlinked"):
        FusionConfig(medium=0.6, medium_unlinked=0.55)


@pytest.mark.parametrize(
    "shared_traits_weight", [None, 2.0], ids=["default-weights", "shared-traits-weighted"]
)
def test_the_band_rule_loses_no_alert_and_the_detector_equals_the_stages_wired_by_hand(
    shared_traits_weight: float | None,
) -> None:
    """Every assessment handed to the alert stage (no band rule) gives the same alerts as the detector,
    which runs the pipeline: what the rule holds back could never alert. The side chain is wired by hand
    too: each request's trait observations go through the trait stage, its evidence into the
    coordination sink, whose table the account stage reads on the next request (with the
    ``shared_traits`` weight raised, that evidence moves the scores)."""
    config = DetectionConfig()
    if shared_traits_weight is not None:
        weights = FusionWeights(
            **{**config.fusion.weights.model_dump(), "shared_traits": shared_traits_weight}
        )
        config = DetectionConfig(fusion=FusionConfig(**{**config.fusion.model_dump(), "weights": weights}))
    detector = Detector(config)
    coordination_table: dict[str, bytes] = {}
    accounts = AccountStage(config, coordination=coordination_table)
    clusters, alerter = ClusterStage(config), AlertStage(config)
    traits = TraitStage(config.traits)
    sink = AccountCoordination(config.traits, coordination_table, max_accounts=config.account.max_accounts)
    ours: list[SuspicionEvent] = []
    theirs: list[SuspicionEvent] = []
    held_back = 0
    shared_signal = 0
    for event in traffic():
        ours.extend(detector.process(event))
        observation = accounts.process(event)
        if observation is None:
            assert detector.last_assessment is None
            continue
        shared_signal += observation.signals["shared_traits"] > 0
        for trait in observation.trait_observations():
            sink.absorb(traits.process(trait))
        scored = clusters.process(observation)
        assert detector.last_assessment == scored  # set also when the score is below every band
        held_back += not reaches_alert_stage(scored, config)
        alert = alerter.process(scored)
        if alert is not None:
            theirs.append(alert)
    assert held_back > 0 and len(theirs) > 0
    assert shared_signal > 0, "the side chain's evidence never reached the account stage"
    assert [a.model_dump() for a in ours] == [a.model_dump() for a in theirs]
    assert detector.coordination.table == coordination_table and coordination_table
    assert detector.traits.traits == traits.traits


def test_a_duplicate_ends_the_chain_at_the_account_stage() -> None:
    config = DetectionConfig()
    stages = PIPELINE.build(config)
    event = traffic()[0]
    assert set(PIPELINE.run(stages, event, config)) >= {"account", "cluster"}
    assert PIPELINE.run(stages, event, config) == {}


def test_stages_are_built_over_the_state_mappings_they_are_given() -> None:
    config = DetectionConfig()
    state: dict[str, dict] = {t.name: {} for s in PIPELINE.all_stages for t in s.tables}
    assert set(state) >= {"trait_state", "account_coordination"}
    stages = PIPELINE.build(config, state)
    for event in traffic():
        PIPELINE.run(stages, event, config)
    for stage in stages[:2]:  # the soft models' snapshots are written when a runner says so
        for partition in stage.soft_state.partitions():
            stage.soft_state.snapshot(partition)
    assert all(state.values()), {name: len(mapping) for name, mapping in state.items()}
    assert stages[0].accounts is state["account_state"]
    assert stages[0].coordination.table is state["account_coordination"] is stages[4].table
    assert stages[3].traits is state["trait_state"]
    # only some stages, over one shared set of dicts (what each sharded replay's account shard builds)
    account, trait, coordination = PIPELINE.build(config, only=(ACCOUNT, TRAIT, COORDINATION))
    assert isinstance(trait, TraitStage) and account.coordination.table is coordination.table


def test_the_detection_core_imports_no_kafka_or_faust() -> None:
    script = (
        "import sys; import distillguard.models.pipeline, distillguard.models.detector; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'aiokafka', 'kafka', 'mode'}))"
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "[]"
