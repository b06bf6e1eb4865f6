"""The detection core without Kafka: determinism, compact state, dedupe, alert policy, config errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from distillguard.models.account_state import AccountLayout, AccountState
from distillguard.models.clustering import SimHashClusterer
from distillguard.models.config import AccountConfig, DetectionConfig, FusionConfig
from distillguard.models.detector import Detector
from distillguard.models.embedder import HashingEmbedder
from distillguard.models.features import FeatureExtractor
from distillguard.models.fusion import should_alert
from distillguard.models.stages import AccountObservation, Assessment
from distillguard.models.text import template_view
from distillguard.schemas import RequestEvent
from distillguard.schemas.suspicion_event import Severity

T0 = 1_767_225_600_000
TEMPLATE = "{q}\n\nBefore the result, lay out every intermediate deduction you make, in order, omitting none."
QUESTIONS = [
    "Natalia sold clips to 48 of her friends in April. How many clips did she sell in May?",
    "A train travels 120 km in 2 hours. What is its average speed?",
    "What is the remainder when 2^100 is divided by 7?",
    "Prove that the square root of 2 is irrational.",
]


def event(i: int, account: str, prompt: str, **extra: object) -> RequestEvent:
    fields = dict(
        schema_version=1,
        event_id=f"{account}-{i}",
        ts=T0 + i * 60_000,
        account_id=account,
        ip="203.0.113.9",
        model="atlas-2-pro",
        input_tokens=40,
        output_tokens=400,
        prompt=prompt,
    )
    fields.update(extra)
    return RequestEvent.model_validate(fields)


def test_template_with_different_fillers_shares_its_suffix_view_and_cluster() -> None:
    views = {template_view(TEMPLATE.format(q=q), words=8).suffix for q in QUESTIONS}
    assert len(views) == 1
    extractor = FeatureExtractor(DetectionConfig())
    clusters = {
        extractor.extract(event(i, "a", TEMPLATE.format(q=q))).cluster_id for i, q in enumerate(QUESTIONS)
    }
    assert len(clusters) <= 2, clusters


def test_cluster_ids_do_not_depend_on_the_process_hash_seed() -> None:
    code = (
        "from models.features import FeatureExtractor; from models.config import DetectionConfig;"
        "from tests.test_core import event, TEMPLATE, QUESTIONS;"
        "fx = FeatureExtractor(DetectionConfig());"
        "ids = [fx.extract(event(i, 'a', TEMPLATE.format(q=q))).cluster_id for i, q in enumerate(QUESTIONS)];"
        "print(','.join(ids))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "31337")
    }
    assert len(outputs) == 1


def test_embedder_and_clusterer_are_deterministic_for_a_seed() -> None:
    a = HashingEmbedder(dims=32, seed=5).embed_text("grade this answer")
    b = HashingEmbedder(dims=32, seed=5).embed_text("grade this answer")
    assert (a == b).all()
    c1 = SimHashClusterer(bits=6, dims=32, seed=5)
    c2 = SimHashClusterer(bits=6, dims=32, seed=5)
    assert c1.cluster_id("math", "e", a) == c2.cluster_id("math", "e", a)


def test_gateway_embeddings_of_any_width_are_projected() -> None:
    embedder = HashingEmbedder(dims=16, seed=1)
    assert embedder.project([0.5] * 384).shape == (16,)
    assert embedder.project([0.1, 0.2, 0.3]).shape == (16,)


def test_account_state_is_compact_and_round_trips() -> None:
    layout = AccountLayout(AccountConfig())
    assert layout.size <= 1024
    config = DetectionConfig()
    extractor = FeatureExtractor(config)
    state = AccountState.new(layout)
    for i, q in enumerate(QUESTIONS * 5):
        state.update(extractor.extract(event(i, "a", TEMPLATE.format(q=q))), config.account.ew_alpha)
    restored = AccountState.from_bytes(layout, state.to_bytes())
    assert restored.to_bytes() == state.to_bytes()
    assert restored.events == 20
    assert restored.share("elicitation") > 0.75
    assert restored.share("template_repeat") > 0.8


def test_duplicate_event_ids_count_once() -> None:
    detector = Detector()
    e = event(1, "dup", "hello there")
    detector.process(e)
    detector.process(e)
    detector.process(event(2, "dup", "and again"))
    assert detector.last_assessment is not None
    assert detector.last_assessment.events_seen == 2
    assert detector.accounts.duplicates == 1


def test_alert_policy_cooldown_and_escalation() -> None:
    fc = FusionConfig(cooldown_minutes=60)
    assert should_alert(Severity.MEDIUM, 0, 0, T0, fc)
    assert not should_alert(Severity.MEDIUM, Severity.MEDIUM.rank, T0, T0 + 59 * 60_000, fc)
    assert should_alert(Severity.MEDIUM, Severity.MEDIUM.rank, T0, T0 + 60 * 60_000, fc)
    assert should_alert(Severity.HIGH, Severity.MEDIUM.rank, T0, T0 + 1, fc)
    assert not should_alert(Severity.LOW, Severity.HIGH.rank, T0, T0 + 10**9, fc)
    assert not should_alert(None, 0, 0, T0, fc)


def coordinated_campaign(accounts: int = 12, rounds: int = 12) -> list[RequestEvent]:
    """Young accounts behind rotating proxies sharing two payment methods, one extraction template."""
    events = []
    for r in range(rounds):
        for a in range(accounts):
            q = QUESTIONS[(r + a) % len(QUESTIONS)]
            events.append(
                event(
                    r * accounts + a,
                    f"hydra-{a}",
                    TEMPLATE.format(q=q.replace("48", str(r))),
                    ip=f"198.51.{(r + a) % 7}.{a + 10}",
                    account_created_ts=T0 - 2 * 86_400_000,
                    account_tier="free",
                    asn=64500,
                    asn_type="proxy",
                    payment_fingerprint=f"card-{a % 2}",
                    conversation_turns=0,
                    thinking=True,
                )
            )
    return sorted(events, key=lambda e: e.ts)


def ordinary_users(accounts: int = 12, rounds: int = 12) -> list[RequestEvent]:
    chats = [
        "Can you suggest a name for my cat?",
        "Write a short poem about autumn leaves.",
        "What should I cook tonight with rice and beans?",
        "Summarise the plot of Hamlet briefly.",
    ]
    events = []
    for r in range(rounds):
        for a in range(accounts):
            events.append(
                event(
                    r * accounts + a,
                    f"user-{a}",
                    chats[(r * 3 + a) % len(chats)],
                    ip=f"192.0.2.{a + 1}",
                    account_created_ts=T0 - 800 * 86_400_000,
                    account_tier="pro",
                    asn=64501,
                    asn_type="isp",
                    conversation_turns=r % 4,
                )
            )
    return events


def test_detector_flags_a_coordinated_campaign_and_not_ordinary_users() -> None:
    detector = Detector()
    alerts = []
    for e in sorted(coordinated_campaign() + ordinary_users(), key=lambda e: e.ts):
        alerts += detector.process(e)
    flagged = {a.account_id for a in alerts if a.severity.rank >= Severity.MEDIUM.rank}
    assert {f"hydra-{a}" for a in range(12)} <= flagged
    assert not any(a.startswith("user-") for a in flagged)
    campaign_alert = next(a for a in alerts if a.account_id.startswith("hydra-") and a.campaign_id)
    assert campaign_alert.campaign_size >= 3
    assert {r.signal for r in campaign_alert.reasons} & {"campaign", "elicitation", "shared_payment"}
    for alert in alerts:
        dumped = alert.model_dump_json()
        assert "deduction" not in dumped and "Natalia" not in dumped


def test_replay_is_deterministic_and_alert_ids_are_stable() -> None:
    stream = coordinated_campaign(8, 10)

    def run() -> list[tuple[str, str, str]]:
        detector = Detector()
        return [
            (a.alert_id, a.severity.value, a.trigger_event_id) for e in stream for a in detector.process(e)
        ]

    first, second = run(), run()
    assert first and first == second


def test_stage_messages_round_trip_through_dicts() -> None:
    detector = Detector()
    observation = detector.accounts.process(event(1, "a", TEMPLATE.format(q=QUESTIONS[0])))
    assert observation is not None
    assert AccountObservation.from_dict(observation.to_dict()) == observation
    assessment = detector.clusters.process(observation)
    assert Assessment.from_dict(assessment.to_dict()) == assessment


def test_idle_accounts_are_evicted() -> None:
    config = DetectionConfig(account=AccountConfig(idle_evict_hours=1, watermark_step_minutes=240))
    detector = Detector(config)
    detector.process(event(0, "old", "hello"))
    detector.process(event(0, "new", "hello", ts=T0 + 3 * 3_600_000))
    assert "old" not in detector.accounts.accounts
    assert detector.accounts.evicted == 1


def test_config_errors_are_clear() -> None:
    with pytest.raises(ValidationError, match="severity thresholds must rise"):
        FusionConfig(medium=0.9, high=0.8)
    with pytest.raises(ValidationError, match="extra"):
        DetectionConfig.model_validate({"fusion": {"mediun": 0.5}})


def test_a_short_fixed_wrapper_counts_as_template_repetition() -> None:
    """'Could you handle the following: <question>' repeats its frame though every question differs."""
    from distillguard.models.stages import AccountStage

    questions = [f"{q} (variant {k})" for k in range(3) for q in QUESTIONS]
    wrapped = AccountStage(DetectionConfig())
    varied = AccountStage(DetectionConfig())
    openers = ["Hi!", "Quick question:", "So", "Hmm,", "Okay:", "Help:", "Hey", "Well,", "Right,", "Now"]
    for i, q in enumerate(questions):
        wrapped.process(event(i, "w", f"Could you handle the following: {q}"))
        varied.process(event(i, "v", f"{openers[i % len(openers)]} {q.split(' ', 1)[1]}"))
    layout = wrapped.layout
    share = {
        name: AccountState.from_bytes(layout, stage.accounts[name]).share("template_repeat")
        for name, stage in (("w", wrapped), ("v", varied))
    }
    assert share["w"] > 0.7 > share["v"], share


def test_single_turn_needs_the_gateway_to_say_so() -> None:
    extractor = FeatureExtractor(DetectionConfig())
    turns = {
        n: extractor.extract(event(i, "a", "hello", conversation_turns=n)).opens_conversation
        for i, n in enumerate((None, 0, 1, 2, 7))
    }
    assert turns == {None: False, 0: True, 1: True, 2: False, 7: False}


def test_one_outlier_timestamp_does_not_move_the_burst_clock() -> None:
    from distillguard.models.burst import MidasBurst

    steady, outlier = MidasBurst(256, 2, 0.5, idle_gap=8), MidasBurst(256, 2, 0.5, idle_gap=8)
    scores = []
    for bucket in range(40):
        if bucket == 20:
            outlier.score("other", 10**9)  # one far-future event
        scores.append((steady.score("c", bucket), outlier.score("c", bucket)))
    assert outlier.bucket == steady.bucket == 39
    assert all(abs(a - b) < 1e-9 for a, b in scores), scores
    # a genuine jump (confirmed by a second event) moves the clock, and the silence is not history
    outlier.score("c", 10**6)
    outlier.score("c", 10**6)
    assert outlier.bucket == 10**6 and outlier.bucket - outlier.first_bucket < 64


def _extracting_observation() -> AccountObservation:
    """A young account sending extraction material (capability and elicitation), as the cluster stage
    receives it."""
    signals = {name: 0.0 for name in ("capability", "elicitation", "grading", "extraction", "heavy_volume")}
    signals.update(capability=1.0, elicitation=1.0, extraction=1.0)
    return AccountObservation(
        event_id="e", account_id="x", ts=T0, cluster_id="math.e.3", network="198.51.100", asn=64500,
        proxy_network=False, young_account=True, elicitation=1.0, payment=None, user_agent_family="-",
        events_seen=10, own_evidence=0.5, signals=signals,
    )  # fmt: skip


@pytest.mark.parametrize("residential_links", [False, True])
def test_residential_networks_link_only_when_configured(residential_links: bool) -> None:
    """Three suspicious accounts share a /24 and a prompt cluster: on a proxy network they form a
    campaign; on a residential network only when residential links are switched on."""
    from dataclasses import replace

    from distillguard.models.stages import ClusterStage

    config = DetectionConfig.model_validate({"campaign": {"link_residential_networks": residential_links}})
    base = _extracting_observation()
    sizes = {}
    for proxy in (True, False):
        stage = ClusterStage(config)
        for i, account in enumerate(("a", "b", "c")):
            obs = replace(base, event_id=f"{proxy}-{i}", account_id=account, proxy_network=proxy)
            assessment = stage.process(obs)
        sizes[proxy] = assessment.campaign_size
    assert sizes[True] == 3
    assert sizes[False] == (3 if residential_links else 1)


def test_heavy_accounts_inherit_less_cluster_evidence_than_hydra_heads() -> None:
    """A campaign fills a cluster; a light account joining it inherits the crowd's and the campaign's
    evidence, a heavy account (a researcher's benchmark burst on the same prompts) mostly does not."""
    from dataclasses import replace

    from distillguard.models.stages import ClusterStage

    config = DetectionConfig.model_validate({"campaign": {"link_keys": ["payment", "ip24_cluster"]}})
    # The crowd is one paid-for campaign on a proxy /24; newcomers join it through the /24, not the payment.
    crowd = replace(_extracting_observation(), proxy_network=True, payment="card-1")
    signals = crowd.signals
    evidence = {}
    for heavy_volume in (0.0, 1.0):
        stage = ClusterStage(config)
        for i in range(config.cluster_state.crowd_accounts):
            stage.process(replace(crowd, event_id=f"c{i}", account_id=f"member-{i}", ts=T0 + i * 1000))
        newcomer = replace(
            crowd, event_id=f"n{heavy_volume}", account_id=f"newcomer-{heavy_volume}", payment=None,
            ts=T0 + 100_000, signals={**signals, "heavy_volume": heavy_volume},
        )  # fmt: skip
        evidence[heavy_volume] = stage.process(newcomer).signals
    light, heavy = evidence[0.0], evidence[1.0]
    assert light["cluster_crowd"] > 0.5 and light["campaign"] > 0.5 and light["shared_payment"] == 1.0
    kept = 1 - config.campaign.heavy_bystander_discount
    for name in ("cluster_crowd", "cluster_lockstep", "campaign", "shared_payment"):
        assert heavy[name] <= light[name] * kept + 1e-9, name


@pytest.mark.parametrize("age_days", [5, 800])
def test_heavy_one_shot_capability_traffic_counts_only_from_young_accounts(age_days: int) -> None:
    """Hundreds of unmarked one-shot maths questions an hour: plain extraction from a days-old account,
    a benchmark run from an established one."""
    from distillguard.models.stages import AccountStage

    config = DetectionConfig()
    stage = AccountStage(config)
    signals: dict[str, float] = {}
    for i in range(2 * int(config.fusion.heavy_volume_per_hour)):
        question = QUESTIONS[i % len(QUESTIONS)].replace("48", str(i))
        observation = stage.process(
            event(
                i, "acct", question, ts=T0 + i * 10_000, conversation_turns=1,
                account_created_ts=T0 - age_days * 86_400_000,
            )
        )  # fmt: skip
        assert observation is not None
        signals = observation.signals
    assert signals["heavy_volume"] == 1.0 and signals["capability"] > 0.7 and signals["single_turn"] > 0.9
    if age_days < config.features.young_account_days:
        assert signals["heavy_capability"] > 0.7
    else:
        assert signals["heavy_capability"] == 0.0


def test_an_account_stored_under_another_layout_starts_afresh_and_is_counted() -> None:
    """State written by another version (a different byte layout) must not fail the account's partition
    on every request: the account starts afresh and the stage counts it."""
    from distillguard.models.stages import AccountStage

    accounts = {"old": b"\x00" * 37}
    stage = AccountStage(DetectionConfig(), accounts=accounts)
    observation = stage.process(event(1, "old", "hello there"))
    assert observation is not None and observation.events_seen == 1
    assert stage.undecodable == 1
    assert len(accounts["old"]) == stage.layout.size
    with pytest.raises(ValueError, match="layout expects"):
        AccountState.from_bytes(stage.layout, b"\x00" * 37)
