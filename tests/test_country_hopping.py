"""Country hopping (models.geo): moves between countries no traveller could make, on networks whose exit
is where the user is, as an account signal added beside the interaction trees."""

from __future__ import annotations

import math

import pytest

from distillguard.models.account_state import AccountState
from distillguard.models.config import DetectionConfig, FusionConfig
from distillguard.models.fusion import explain, severity_score
from distillguard.models.geo import COUNTRY_POINTS, distance_km, implausible_move
from distillguard.models.stages import AccountStage
from tests.test_core import event

_MINUTE, _HOUR = 60_000, 3_600_000
CHAT = "What should I cook tonight with rice and beans?"


def test_every_reference_point_is_a_valid_code_and_place() -> None:
    for code, (lat, lon) in COUNTRY_POINTS.items():
        assert len(code) == 2 and code.isupper()
        assert -90 <= lat <= 90 and -180 <= lon <= 180
    assert distance_km("US", "JP") == pytest.approx(distance_km("JP", "US"))
    assert 9_000 < distance_km("US", "JP") < 11_500  # Kansas to central Honshu
    assert distance_km("GB", "XX") is None


@pytest.mark.parametrize(
    ("a", "b", "gap_ms", "implausible"),
    [
        ("US", "JP", 20 * _MINUTE, True),
        ("GB", "AU", 5 * _HOUR, True),
        ("US", "JP", 14 * _HOUR, False),  # a flight
        ("GB", "FR", 5 * _MINUTE, False),  # within the border allowance
        ("SG", "MY", _MINUTE, False),  # cross-border commuters
        ("us", "us", _MINUTE, False),
        ("US", "ZZ", _MINUTE, False),  # unknown: no claim
    ],
)
def test_a_move_is_implausible_only_when_faster_than_a_plane_beyond_the_border(
    a: str, b: str, gap_ms: int, implausible: bool
) -> None:
    assert implausible_move(a.upper(), 0, b.upper(), gap_ms) is implausible


def _run(
    stage: AccountStage, account: str, places: list[tuple[str, str]], gap_ms: int, *, sent: bool = False
) -> dict[str, float]:
    """The account's signals after its requests (``sent``: each prior times the share of its weight it
    counts for, as checked against the benign reference)."""
    signals: dict[str, float] = {}
    for i, (country, asn_type) in enumerate(places):
        e = event(i, account, CHAT, country=country, asn_type=asn_type, asn=64500 + i % 3)
        e = e.model_copy(update={"ts": e.ts - i * _MINUTE + i * gap_ms})
        observation = stage.process(e)
        assert observation is not None
        signals = observation.signals
        weights = observation.prior_weights
    return {k: v * weights.get(k, 1.0) for k, v in signals.items()} if sent else signals


def test_an_account_alternating_between_far_countries_on_home_lines_hops_and_others_do_not() -> None:
    stage = AccountStage(DetectionConfig())
    pool = _run(stage, "pool", [("US", "isp"), ("JP", "mobile")] * 10, 10 * _MINUTE)
    home = _run(stage, "home", [("DE", "isp"), ("DE", "mobile")] * 10, 10 * _MINUTE)
    traveller = _run(stage, "traveller", [("US", "isp")] * 10 + [("JP", "isp")] * 10, 16 * _HOUR)
    hosted = _run(stage, "hosted", [("US", "hosting"), ("JP", "proxy")] * 10, 10 * _MINUTE)
    commuter = _run(stage, "commuter", [("SG", "isp"), ("MY", "mobile")] * 10, 10 * _MINUTE)
    assert pool["country_hopping"] > 0.8
    assert home["country_hopping"] == traveller["country_hopping"] == 0.0
    assert hosted["country_hopping"] == commuter["country_hopping"] == 0.0


def test_the_last_located_request_survives_the_state_bytes() -> None:
    stage = AccountStage(DetectionConfig())
    _run(stage, "pool", [("US", "isp"), ("JP", "isp")], 10 * _MINUTE)
    state = AccountState.from_bytes(stage.layout, stage.accounts["pool"])
    assert (state.located_country, state.located_ts > 0) == ((ord("J") << 8) | ord("P"), True)


def test_the_prior_raises_the_severity_score_but_not_the_accounts_own_evidence() -> None:
    config = DetectionConfig()
    quiet = {"thinking": 0.5, "single_turn": 1.0}
    hopping = {**quiet, "country_hopping": 0.5}
    assert severity_score(hopping, config.fusion) > severity_score(quiet, config.fusion)
    assert "country_hopping" in {reason.signal for reason in explain(hopping, config.fusion)}
    off = FusionConfig(beside_trees=())
    assert severity_score(hopping, off) == severity_score(quiet, off)

    # The account's own evidence, which gates links and cluster crowds, leaves the prior out.
    stage = AccountStage(config)
    hops = _run(stage, "pool", [("US", "isp"), ("JP", "isp")] * 10, 10 * _MINUTE)
    calm = _run(stage, "calm", [("US", "isp")] * 20, 10 * _MINUTE)
    assert hops["country_hopping"] > 0.8 and calm["country_hopping"] == 0.0
    pool_state = AccountState.from_bytes(stage.layout, stage.accounts["pool"])
    calm_state = AccountState.from_bytes(stage.layout, stage.accounts["calm"])
    assert pool_state.scalar("own_evidence") == pytest.approx(calm_state.scalar("own_evidence"), abs=1e-9)


def test_the_prior_counts_only_where_benign_accounts_do_not_hop() -> None:
    """A prior nobody fitted is checked against the benign reference: in full where no benign account
    hops, not at all where most do (a geolocation feed, or a generator, that places every request of
    a home line somewhere else), and not before the reference has warmed up."""
    pool_route = [("US", "isp"), ("JP", "mobile")] * 5

    def sent_after(benign_places: list[tuple[str, str]]) -> tuple[float, float]:
        """(what the stage sends on for a hopping account, its level in its state)"""
        stage = AccountStage(DetectionConfig(), partitions=1)  # one reference for every account
        cold = _run(stage, "pool-cold", pool_route, 10 * _MINUTE, sent=True)["country_hopping"]
        assert cold == 0.0, "no prior before the reference is warm"
        for n in range(60):  # benign accounts, each teaching at its 5th and 10th request
            _run(stage, f"user-{n}", benign_places * 5, 30 * _MINUTE)
        assert stage.rarity.ready
        sent = _run(stage, "pool", pool_route, 10 * _MINUTE, sent=True)["country_hopping"]
        return sent, stage.account_signals(AccountState.from_bytes(stage.layout, stage.accounts["pool"]))[
            "country_hopping"
        ]

    # nobody else hops: nearly in full (the account's own lessons are part of the reference)
    sent, level = sent_after([("DE", "isp"), ("DE", "mobile")])
    assert level > 0.8 and sent > 0.8 * level
    sent, level = sent_after([("BR", "isp"), ("GB", "mobile")])  # everybody hops: no evidence
    assert level > 0.8 and sent == 0.0


@pytest.mark.parametrize("interactions", [True, False])
def test_a_prior_counts_for_the_share_of_its_weight_it_is_given(interactions: bool) -> None:
    """With the trees or with the additive weights alone, a prior at 0 % of its weight adds nothing to
    the score and gives no reason; at half, about half its log-odds."""
    fusion = FusionConfig(interactions=interactions)
    quiet = {"thinking": 0.5, "single_turn": 1.0}
    hopping = {**quiet, "country_hopping": 0.5}

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    none = {"country_hopping": 0.0}
    assert severity_score(hopping, fusion, none) == pytest.approx(severity_score(quiet, fusion))
    assert "country_hopping" not in {r.signal for r in explain(hopping, fusion, prior_weights=none)}
    full = logit(severity_score(hopping, fusion)) - logit(severity_score(quiet, fusion))
    half = logit(severity_score(hopping, fusion, {"country_hopping": 0.5})) - logit(
        severity_score(quiet, fusion)
    )
    assert full > 3.0 and half == pytest.approx(full / 2, rel=1e-6)
