"""What the trait stage averages over a value's sharers: how unusual each sharer is on its own.

A trait shared by many owners is evidence only when those owners look like extraction on their own. The
level used to be the share of distillation-shaped content; developers' and researchers' capability
traffic scores high on that, so a popular tool set or default system prompt became evidence for all of
them. The level is now the account's rarity against the benign reference, without shared traits.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from distillguard.models.config import DetectionConfig, TraitConfig
from distillguard.models.detector import Detector
from distillguard.models.features import FeatureExtractor
from distillguard.models.stages import INDIVIDUAL_SIGNALS, RARITY_SIGNALS, AccountStage, extraction_level
from distillguard.schemas import RequestEvent
from tests.test_core import T0, coordinated_campaign, event, ordinary_users


def _config(**traits: object) -> DetectionConfig:
    base = DetectionConfig()
    return base.model_copy(update={"traits": base.traits.model_copy(update=traits)})


def test_the_individual_level_leaves_out_what_other_accounts_say() -> None:
    assert "shared_traits" in RARITY_SIGNALS
    assert "shared_traits" not in INDIVIDUAL_SIGNALS
    assert set(INDIVIDUAL_SIGNALS) == set(RARITY_SIGNALS) - {"shared_traits"}


def test_observations_carry_the_configured_sharer_level() -> None:
    by_rarity = AccountStage(_config(sharer_level="rarity"), partitions=1)
    by_content = AccountStage(_config(sharer_level="extraction"), partitions=1)
    last_rarity = last_content = None
    for e in ordinary_users(accounts=30, rounds=12) + coordinated_campaign(accounts=6, rounds=12):
        last_rarity = by_rarity.process(e) or last_rarity
        last_content = by_content.process(e) or last_content
    assert last_rarity is not None and last_content is not None
    assert last_rarity.sharer_level == last_rarity.signals["individual_rarity"]
    traits = DetectionConfig().traits
    assert last_content.sharer_level == extraction_level(
        last_content.signals, traits.traced_capability, traits.automated_sharers
    )
    for trait in last_rarity.trait_observations():
        assert trait.extraction == last_rarity.sharer_level


def test_ordinary_accounts_are_low_sharers_and_a_ring_is_high() -> None:
    # one partition: one benign reference learns from all 40 ordinary accounts and warms up
    stage = AccountStage(_config(sharer_level="rarity"), partitions=1)
    levels: dict[str, float] = {}
    for e in ordinary_users(accounts=40, rounds=14) + coordinated_campaign(accounts=8, rounds=14):
        obs = stage.process(e)
        if obs is not None:
            levels[obs.account_id] = obs.sharer_level
    ordinary = [v for a, v in levels.items() if not a.startswith("hydra")]
    ring = [v for a, v in levels.items() if a.startswith("hydra")]
    assert stage.rarity.ready
    assert max(ordinary) < min(ring)


@pytest.mark.parametrize("level", ["extraction", "rarity"])
def test_a_popular_trait_of_ordinary_accounts_gives_no_evidence(level: str) -> None:
    """Forty ordinary chat users behind one default system prompt: sharing alone is not evidence."""
    detector = Detector(_config(sharer_level=level))
    for e in ordinary_users(accounts=40, rounds=14):
        e = e.model_copy(update={"system_prompt": "You are a helpful assistant."})
        detector.process(e)
    signal = max(detector.coordination.signal(f"user-{i}", e.ts)[0] for i in range(40))
    assert signal < 0.05


def harvesting_ring(accounts: int = 30, hours: int = 48) -> list[RequestEvent]:
    """A label-harvesting hydra: one custom client, a fresh single turn every 30 minutes round the clock
    from each head, each head on its own network, asking for nothing that reads as extraction."""
    words = ["lantern", "orbit", "velvet", "harbour", "quartz", "meadow", "signal", "copper", "thistle"]
    events = []
    for step in range(hours * 2):
        for a in range(accounts):
            filler = " ".join(words[(step * 7 + a * 3 + k) % len(words)] for k in range(6))
            events.append(
                event(
                    step * accounts + a,
                    f"ring-{a}",
                    f"Is this text cheerful or gloomy? One word. {filler}",
                    ts=T0 + step * 1_800_000 + a * 1_000,
                    ip=f"198.{18 + a}.{step % 5}.{a + 7}",
                    user_agent="harvest-client/0.3",
                    account_created_ts=T0 - 3 * 86_400_000,
                    asn=64600 + a,
                    asn_type="hosting",
                    conversation_turns=0,
                    output_tokens=2,
                )
            )
    return events


@pytest.mark.parametrize("automated", [True, False])
def test_a_machine_driven_ring_sharing_a_client_is_evidence_only_when_automation_counts(
    automated: bool,
) -> None:
    detector = Detector(_config(automated_sharers=automated))
    last = harvesting_ring()[-1]
    for e in harvesting_ring():
        detector.process(e)
    ring = [detector.coordination.signal(f"ring-{a}", last.ts)[0] for a in range(30)]
    if automated:
        assert min(ring) > 0.2, ring
    else:  # the content alone says nothing: the old level never saw this ring
        assert max(ring) < 0.05, ring


def test_daytime_users_sharing_a_client_are_not_an_automated_ring() -> None:
    """The same custom client shared by forty ordinary users chatting in their own hours."""
    detector = Detector(_config(automated_sharers=True))
    for e in ordinary_users(accounts=40, rounds=14):
        detector.process(e.model_copy(update={"user_agent": "harvest-client/0.3"}))
    signal = max(detector.coordination.signal(f"user-{i}", e.ts)[0] for i in range(40))
    assert signal < 0.05


def test_the_frame_trait_is_sent_when_configured() -> None:
    e = event(1, "a1", "Label the sentiment of this review: the soup was cold and late.")
    with_frames = FeatureExtractor(_config(frame_trait=True)).extract(e)
    without = FeatureExtractor(_config(frame_trait=False)).extract(e)
    frames = [k for k in with_frames.traits if k.startswith("frame:")]
    assert len(frames) == 1
    assert not any(k.startswith("frame:") for k in without.traits)
    # the same lead-in with another filler is the same frame
    other = event(2, "a2", "Label the sentiment of this review: great service, will come back.")
    assert frames[0] in FeatureExtractor(_config(frame_trait=True)).extract(other).traits


def test_individual_rarity_is_computed_only_when_used() -> None:
    """Used by the sharer level "rarity", and by the individual own evidence (the default)."""
    base = DetectionConfig()
    combined = base.model_copy(
        update={"account": base.account.model_copy(update={"own_evidence": "combined"})}
    )
    unused = AccountStage(combined, partitions=1)
    by_level = AccountStage(
        combined.model_copy(update={"traits": combined.traits.model_copy(update={"sharer_level": "rarity"})}),
        partitions=1,
    )
    by_default = AccountStage(base, partitions=1)
    for e in ordinary_users(accounts=30, rounds=12) + coordinated_campaign(accounts=6, rounds=12):
        a, b, c = unused.process(e), by_level.process(e), by_default.process(e)
    assert a is not None and b is not None and c is not None
    assert a.signals["individual_rarity"] == 0.0 < b.signals["individual_rarity"]
    assert c.signals["individual_rarity"] == b.signals["individual_rarity"]


def test_trait_config_rejects_an_unknown_level() -> None:
    with pytest.raises(ValidationError):
        TraitConfig(sharer_level="vibes")  # type: ignore[arg-type]
