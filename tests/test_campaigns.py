"""The campaign linker (models.campaigns): the name a request's campaign is given does not depend on the
order in which the linker meets different accounts' requests (each account's own stay in order), as
long as that order strays less than ``name_settle_s`` from event time; linking itself is what it was:
shared keys link, a key offered by too many accounts stops linking, a weak key does not bridge two
established groups, memory stays bounded, and snapshots (pickles, the old format too) restore."""

from __future__ import annotations

import pickle
import random

from distillguard.models.campaigns import CampaignLinker, _Account
from distillguard.models.config import CampaignConfig
from distillguard.models.hashing import short_id

MINUTE = 60_000
T0 = 1_767_225_600_000
KEY = "ip24_cluster:198.51.100|c-7"

Request = tuple[str, list[str], int]  # account, keys, ts


def name(account: str) -> str:
    return "cmp-" + short_id("campaign", account, length=12)


def hydra(accounts: list[str], key: str = KEY, start: int = T0, every_min: int = 10) -> list[Request]:
    """``accounts`` join one after another, 7 minutes apart, each then sending a request every
    ``every_min`` minutes until two hours after the first, every request offering ``key``."""
    end = start + 120 * MINUTE
    requests = []
    for i, account in enumerate(accounts):
        requests += [(account, [key], ts) for ts in range(start + 7 * i * MINUTE, end, every_min * MINUTE)]
    return sorted(requests, key=lambda r: r[2])


def interleave(requests: list[Request], seed: int, max_lag_s: float = 170) -> list[Request]:
    """Event-time order, each account's requests delayed by its own random lag: every account's requests
    stay in order, those of different accounts interleave otherwise."""
    rng = random.Random(seed)
    lag = {account: rng.uniform(0, max_lag_s * 1000) for account in sorted({r[0] for r in requests})}
    return sorted(requests, key=lambda r: r[2] + lag[r[0]])


def run(requests: list[Request], config: CampaignConfig) -> tuple[CampaignLinker, dict, dict]:
    """The name each request is given, and the name its group had when the linker met it (the smallest
    member met so far: what the linker named campaigns before), by (account, ts)."""
    linker = CampaignLinker(config)
    given, met = {}, {}
    for account, keys, ts in requests:
        given[account, ts] = linker.link(account, keys, ts).campaign_id
        met[account, ts] = linker.campaign_of(account).campaign_id
    return linker, given, met


# Joining order (7 minutes apart): k, c and then a are each the smallest member yet when they join.
CREW = ["m", "k", "t", "c", "x", "a", "q", "f"]


def test_a_requests_campaign_name_does_not_depend_on_the_interleaving() -> None:
    config = CampaignConfig()
    requests = hydra(CREW)
    reference, given, met = run(requests, config)
    met_differ = 0
    for seed in range(8):
        linker, other_given, other_met = run(interleave(requests, seed), config)
        assert other_given == given, seed
        met_differ += other_met != met
        assert {a: linker.campaign_of(a) for a in CREW} == {a: reference.campaign_of(a) for a in CREW}
    # The interleavings do change what the linker has met at some requests (else this proves nothing).
    assert met_differ > 0
    # Named after k (joined at 7 min), c (21 min), then a (35 min), 5 minutes of event time after each.
    assert given["m", T0 + 10 * MINUTE] is None  # two members: not a campaign yet
    assert given["m", T0 + 20 * MINUTE] == name("k")
    assert given["m", T0 + 30 * MINUTE] == name("c")
    assert given["m", T0 + 50 * MINUTE] == name("a")
    names = [given["f", ts] for ts in range(T0 + 49 * MINUTE, T0 + 120 * MINUTE, 10 * MINUTE)]
    assert names == [name("a")] * len(names)
    assert reference.campaign_of("m") == reference.campaign_of("f")
    assert reference.campaign_of("m").campaign_id == name("a") and reference.campaign_of("m").size == 8


def test_merged_campaigns_get_one_name_whatever_the_interleaving() -> None:
    """Two crews on two keys (a request every 20 minutes each); a third key offered by a member of each,
    72 minutes in, merges them."""
    bridge = "ip24_cluster:203.0.113|c-9"
    crew_a, crew_b = ["n", "h", "w", "e"], ["s", "b", "y", "p"]
    other_key = "ip24_cluster:192.0.2|c-3"
    requests = hydra(crew_a, every_min=20) + hydra(crew_b, other_key, start=T0 + 2 * MINUTE, every_min=20)
    requests += [("w", [bridge], T0 + 72 * MINUTE), ("y", [bridge], T0 + 72 * MINUTE + 30_000)]
    requests.sort(key=lambda r: r[2])
    config = CampaignConfig()
    reference, given, _ = run(requests, config)
    for seed in range(8):
        linker, other_given, _ = run(interleave(requests, seed), config)
        assert other_given == given, seed
        assert linker.campaign_of("n") == reference.campaign_of("n")
    # Before the merge each crew has its own name; 5 minutes of event time after it, both have b's.
    assert given["n", T0 + 60 * MINUTE] == name("e") and given["s", T0 + 62 * MINUTE] == name("b")
    assert given["n", T0 + 80 * MINUTE] == given["s", T0 + 82 * MINUTE] == name("b")
    assert reference.campaign_of("n").size == 8


def test_without_settling_the_name_is_the_smallest_member_met() -> None:
    linker = CampaignLinker(CampaignConfig(name_settle_s=0))
    for account, keys, ts in hydra(CREW):
        campaign = linker.link(account, keys, ts)
        assert campaign.campaign_id is None or campaign.campaign_id == linker.campaign_of(account).campaign_id


# --- linking as it was -------------------------------------------------------------------------------


def test_a_key_shared_by_too_many_accounts_stops_linking() -> None:
    linker = CampaignLinker(CampaignConfig(max_key_accounts=3))
    sizes = [linker.link(f"u{i}", ["ip24:198.51.100"], T0 + i).size for i in range(5)]
    assert sizes == [1, 2, 3, 1, 1]
    assert linker.link("u0", ["ip24:198.51.100"], T0 + 9).size == 3


def test_repeated_offers_count_an_account_once() -> None:
    """An account offering more keys than it remembers (16) still counts once per key: re-offering one
    of them on every request does not make it look like a public resource."""
    linker = CampaignLinker(CampaignConfig(max_key_accounts=3, min_size=2))
    keys = [f"ip24_cluster:10.0.{i}|c" for i in range(20)]
    for minute in range(10):
        linker.link("heavy", keys, T0 + minute * MINUTE)
    assert linker.link("peer", [keys[-1]], T0 + 11 * MINUTE).size == 2
    assert linker.link("third", [keys[-1]], T0 + 12 * MINUTE).size == 3


def test_a_weak_key_does_not_bridge_two_established_groups_payment_does() -> None:
    config = CampaignConfig(max_bridge_size=2)
    linker = CampaignLinker(config)
    for i in range(3):
        linker.link(f"a{i}", ["ip24:198.51.100"], T0 + i)
        linker.link(f"b{i}", ["ip24:203.0.113"], T0 + i)
    linker.link("a0", ["ip24_cluster:192.0.2|x"], T0 + 10)
    assert linker.link("b0", ["ip24_cluster:192.0.2|x"], T0 + 11).size == 3
    linker.link("a1", ["payment:pm-1"], T0 + 12)
    merged = linker.link("b1", ["payment:pm-1"], T0 + 13)
    assert merged.size == 6 and merged.shared_payment
    assert linker.campaign_of("a2").campaign_id == linker.campaign_of("b2").campaign_id == name("a0")


def test_compaction_keeps_memory_bounded_and_the_recent_links() -> None:
    config = CampaignConfig(max_tracked_accounts=100)
    linker = CampaignLinker(config)
    for i in range(1_000):
        linker.link(f"one-off-{i}", [f"ip24_cluster:10.{i}.0|c"], T0 + i)
    assert len(linker) <= 100
    for i in range(3):
        linker.link(f"crew-{i}", [KEY], T0 + 2_000 + i)
    for i in range(120):  # compacts again: the crew, the most recently active, is kept and relinked
        linker.link(f"late-{i}", [], T0 + 1_500 + i)
    assert len(linker) <= 100
    assert linker.campaign_of("crew-2").size == 3
    assert linker.campaign_of("crew-2").campaign_id == name("crew-0")


# --- snapshots -----------------------------------------------------------------------------------------


def test_a_pickled_linker_continues_as_the_original() -> None:
    requests = hydra(CREW)
    half = len(requests) // 2
    original = CampaignLinker(CampaignConfig())
    for account, keys, ts in requests[:half]:
        original.link(account, keys, ts)
    restored = pickle.loads(pickle.dumps(original))
    for account, keys, ts in requests[half:]:
        assert restored.link(account, keys, ts) == original.link(account, keys, ts)


def old_linker(config: CampaignConfig) -> CampaignLinker:
    """A linker as the code before the smallest-member history pickled it: a, b, c linked by a card,
    d alone with one key, ``config`` without the fields added since."""
    accounts = {
        "c": _Account("c", T0 + 3, ["payment:pm-1", "ip24:198.51.100"]),
        "a": _Account("c", T0 + 1, ["payment:pm-1"]),
        "b": _Account("c", T0 + 2, ["payment:pm-1"]),
        "d": _Account("d", T0 + 4, ["ip24:203.0.113"]),
    }
    state = {
        "config": config,
        "_accounts": accounts,
        "_size": {"c": 3, "d": 1},
        "_members": {"c": ["c", "a", "b"], "d": ["d"]},
        "_smallest": {"c": "a", "d": "d"},
        "_key_owner": {"payment:pm-1": "c", "ip24:198.51.100": "c", "ip24:203.0.113": "d"},
        "_key_accounts": {"payment:pm-1": 3, "ip24:198.51.100": 1, "ip24:203.0.113": 1},
        "_paid_roots": {"c"},
    }
    linker = CampaignLinker.__new__(CampaignLinker)
    linker.__dict__.update(state)  # as pickle would have read it, without this module's __setstate__
    return linker


def test_a_snapshot_of_the_old_format_restores_with_its_names() -> None:
    config = CampaignConfig(min_size=2)
    del vars(config)["name_settle_s"]  # as the configuration was pickled before the field was added
    restored = pickle.loads(pickle.dumps(old_linker(config)))
    assert restored.config.name_settle_s == CampaignConfig().name_settle_s
    campaign = restored.campaign_of("b")
    assert (campaign.campaign_id, campaign.size, campaign.shared_payment) == (name("a"), 3, True)
    # it goes on linking: a new account on the old card joins, and keeps the old name on its request
    joined = restored.link("e", ["payment:pm-1"], T0 + 10)
    assert (joined.campaign_id, joined.size) == (name("a"), 4)
    assert restored.link("a", ["payment:pm-1"], T0 + 11).size == 4  # offered before: not counted again
    assert restored.link("f", ["ip24:203.0.113"], T0 + 12).campaign_id == name("d")
    assert pickle.loads(pickle.dumps(restored)).campaign_of("e") == restored.campaign_of("e")
