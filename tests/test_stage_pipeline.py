"""The stage chain definition (models.pipeline): order, keys, the band rule, and that the in-process
runner built on it gives what the stages give when wired by hand."""

from __future__ import annotations

import subprocess
import sys

from distillguard.models.config import DetectionConfig, FusionConfig
from distillguard.models.detector import Detector
from distillguard.models.pipeline import ACCOUNT, ALERT, CLUSTER, PIPELINE, reaches_alert_stage
from distillguard.models.stages import AccountStage, AlertStage, Assessment, ClusterStage
from distillguard.schemas import SuspicionEvent
from tests.test_core import coordinated_campaign, ordinary_users


def traffic() -> list:
    return sorted(coordinated_campaign(10, 10) + ordinary_users(6, 10), key=lambda e: e.ts)


def assessment(score: float) -> Assessment:
    return Assessment(
        event_id="e", account_id="a", ts=0, score=score, events_seen=9, cluster_id="c", signals={}
    )


def test_the_chain_is_account_then_cluster_then_alert_keyed_by_account_cluster_account() -> None:
    assert PIPELINE.stages == (ACCOUNT, CLUSTER, ALERT)
    assert [s.partitioned_by for s in PIPELINE.stages] == ["account_id", "cluster_id", "account_id"]
    assert [PIPELINE.after(s) for s in PIPELINE.stages] == [CLUSTER, ALERT, None]
    assert [t.name for s in PIPELINE.stages for t in s.tables] == [
        "account_state",
        "model_first_seen",
        "cluster_state",
        "alert_state",
    ]


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


def test_the_band_rule_loses_no_alert_and_the_detector_equals_the_stages_wired_by_hand() -> None:
    """Every assessment handed to the alert stage (no band rule) gives the same alerts as the detector,
    which runs the pipeline: what the rule holds back could never alert."""
    config = DetectionConfig()
    detector = Detector(config)
    accounts, clusters, alerter = AccountStage(config), ClusterStage(config), AlertStage(config)
    ours: list[SuspicionEvent] = []
    theirs: list[SuspicionEvent] = []
    held_back = 0
    for event in traffic():
        ours.extend(detector.process(event))
        observation = accounts.process(event)
        if observation is None:
            assert detector.last_assessment is None
            continue
        scored = clusters.process(observation)
        assert detector.last_assessment == scored  # set also when the score is below every band
        held_back += not reaches_alert_stage(scored, config)
        alert = alerter.process(scored)
        if alert is not None:
            theirs.append(alert)
    assert held_back > 0 and len(theirs) > 0
    assert [a.model_dump() for a in ours] == [a.model_dump() for a in theirs]


def test_a_duplicate_ends_the_chain_at_the_account_stage() -> None:
    config = DetectionConfig()
    stages = PIPELINE.build(config)
    event = traffic()[0]
    assert set(PIPELINE.run(stages, event, config)) >= {"account", "cluster"}
    assert PIPELINE.run(stages, event, config) == {}


def test_stages_are_built_over_the_state_mappings_they_are_given() -> None:
    config = DetectionConfig()
    state: dict[str, dict] = {t.name: {} for s in PIPELINE.stages for t in s.tables}
    stages = PIPELINE.build(config, state)
    for event in traffic():
        PIPELINE.run(stages, event, config)
    assert all(state.values()), {name: len(mapping) for name, mapping in state.items()}
    assert stages[0].accounts is state["account_state"]


def test_the_detection_core_imports_no_kafka_or_faust() -> None:
    script = (
        "import sys; import distillguard.models.pipeline, distillguard.models.detector; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'aiokafka', 'kafka', 'mode'}))"
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "[]"
