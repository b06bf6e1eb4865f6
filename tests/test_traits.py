"""The shared-trait stage: coordination on any shared trait, without evidence from innocent sharing."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from distillguard.models.hashing import stable_hash32
from distillguard.models.sketches import HyperLogLog
from distillguard.models.traits import (
    TraitConfig,
    TraitEmitter,
    TraitEvidence,
    TraitKind,
    TraitLayout,
    TraitObservation,
    TraitStage,
    TraitState,
    _SketchOfOwners,
    trait_kind,
)

T0 = 1_767_225_600_000
MINUTE = 60_000
HOUR = 60 * MINUTE


def observe(
    key: str,
    account: str,
    extraction: float,
    *,
    owner: str | None = None,
    ts: int = T0,
    events: int = 20,
) -> TraitObservation:
    return TraitObservation(key, trait_kind(key), account, owner or account, ts, extraction, events)


def random_stream(seed: int, n: int = 3000) -> list[TraitObservation]:
    """Mixed traffic over many trait values: a campaign, NAT users, one org's keys, bystanders."""
    rng = random.Random(seed)
    stream = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.3:
            head = rng.randrange(40)
            key = rng.choice(["sys:campaign", "tools:campaign", f"ip32:198.51.100.{head % 4}"])
            stream.append(observe(key, f"hydra-{head}", 0.85 + 0.1 * rng.random(), ts=T0 + i * MINUTE))
        elif roll < 0.7:
            user = rng.randrange(300)
            key = rng.choice([f"ip32:100.64.0.{user % 3}", "ua:sdk-default", "sys:default-assistant"])
            stream.append(observe(key, f"user-{user}", 0.1 * rng.random(), ts=T0 + i * MINUTE))
        elif roll < 0.8:
            stream.append(
                observe("pay:card-1", f"key-{rng.randrange(30)}", 0.9, owner="org-1", ts=T0 + i * MINUTE)
            )
        else:
            key = f"ip32:203.0.113.{rng.randrange(200)}"
            stream.append(
                observe(key, f"solo-{rng.randrange(500)}", rng.random(), ts=T0 + i * MINUTE, events=1 + i % 9)
            )
    return stream


# ---------------------------------------------------------------- evidence


def test_campaign_sharing_a_system_prompt_gives_a_member_high_evidence() -> None:
    # One prompt on a batch of accounts made in the same weeks (by itself a system prompt weighs 0).
    stage = TraitStage(TraitConfig())
    for i in range(40):
        stage.process(observe("sys+created:ops-batch", f"head-{i}", 0.9, ts=T0 + i * MINUTE))
    ev = stage.process(observe("sys+created:ops-batch", "head-7", 0.9, ts=T0 + HOUR))
    assert ev.evidence > 0.75
    assert 30 < ev.owners < 50
    assert ev.sharers_extraction == pytest.approx(0.9)
    assert ev.extracting_owners == pytest.approx(ev.owners)


def test_cgnat_exit_ips_give_nothing_even_to_a_member_that_extracts() -> None:
    stage = TraitStage(TraitConfig())
    rng = random.Random(3)
    for round_ in range(4):  # each user's refreshes, interleaved
        for user in rng.sample(range(300), 300):
            ip = f"ip32:100.64.0.{user % 3}"
            stage.process(observe(ip, f"user-{user}", 0.05, ts=T0 + round_ * HOUR + user, events=5 + round_))
    evidences = [
        stage.process(observe(f"ip32:100.64.0.{i}", "extractor", 0.9, ts=T0 + 5 * HOUR)) for i in range(3)
    ]
    for ev in evidences:
        assert ev.owners > 60
        assert ev.evidence < 0.01


def test_popular_trait_with_a_few_heavy_extractors_stays_benign() -> None:
    """A popular SDK user agent: 2000 ordinary owners and 100 heavy extractors (researchers' harnesses)
    refreshing ten times as often push the per-observation mean past the floor; the owner share does not."""
    stage = TraitStage(TraitConfig())
    rng = random.Random(5)
    senders = [f"user-{i}" for i in range(2000)] + [f"harness-{i}" for i in range(100)] * 10
    rng.shuffle(senders)
    for i, sender in enumerate(senders):
        stage.process(observe("ua:python-sdk/1.2", sender, 0.9 if sender[0] == "h" else 0.05, ts=T0 + i))
    ev = stage.process(observe("ua:python-sdk/1.2", "harness-1", 0.9, ts=T0 + 10_000))
    assert ev.sharers_extraction > 0.3
    assert ev.evidence == 0.0


def test_one_orgs_keys_on_one_card_are_one_owner() -> None:
    stage = TraitStage(TraitConfig())
    evidences = [
        stage.process(observe("pay:card-77", f"key-{i}", 0.9, owner="org-acme", ts=T0 + i)) for i in range(30)
    ]
    assert max(ev.evidence for ev in evidences) == 0.0
    assert evidences[-1].owners < 1.5


def test_a_bystander_inherits_nothing_and_evidence_scales_with_own_extraction() -> None:
    stage = TraitStage(TraitConfig())
    for i in range(40):
        stage.process(observe("ip32:198.51.100.7", f"head-{i}", 0.9, ts=T0 + i))
    bystander = stage.process(observe("ip32:198.51.100.7", "cloud-customer", 0.0, ts=T0 + 50))
    half = stage.process(observe("ip32:198.51.100.7", "half", 0.45, ts=T0 + 51))
    full = stage.process(observe("ip32:198.51.100.7", "full", 0.9, ts=T0 + 52))
    assert bystander.evidence == 0.0
    assert 0 < half.evidence < full.evidence
    assert half.evidence == pytest.approx(full.evidence / 2, rel=0.1)


def test_evidence_grows_with_owners_and_with_their_extraction() -> None:
    def evidence_for(owners: int, level: float) -> float:
        stage = TraitStage(TraitConfig())
        for i in range(owners):
            stage.process(observe("frame:please-answer", f"a-{i}", level, ts=T0 + i))
        return stage.process(observe("frame:please-answer", "probe", 0.9, ts=T0 + owners)).evidence

    by_size = [evidence_for(n, 0.9) for n in (1, 5, 10, 20, 40)]  # plus the probe
    assert by_size[0] == 0.0
    assert by_size == sorted(by_size) and by_size[-1] > 0.7
    by_level = [evidence_for(30, level) for level in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert by_level[0] == 0.0 == by_level[1]
    assert by_level == sorted(by_level) and by_level[-1] > 0.6


def test_cheaply_shared_kinds_need_more_owners() -> None:
    stage = TraitStage(TraitConfig())
    for i in range(3):  # four owners with the probe
        stage.process(observe("ip24:198.51.100", f"a-{i}", 0.9, ts=T0 + i))
        stage.process(observe("sys+created:x", f"a-{i}", 0.9, ts=T0 + i))
    assert stage.process(observe("ip24:198.51.100", "a-9", 0.9, ts=T0 + 9)).evidence == 0.0
    assert stage.process(observe("sys+created:x", "a-9", 0.9, ts=T0 + 9)).evidence > 0.3
    # A kind nobody configured falls back to the default rule.
    assert stage.rule("newkind") == TraitConfig().default_kind


def test_one_heavy_clean_owner_cannot_wash_out_a_campaign() -> None:
    """Forty low-and-slow heads send the trait three times each; one heavy clean account sharing it sends
    it 120 times. The repeat weight keeps the mean per owner rather than per observation."""

    def member_evidence(repeat_weight: float) -> float:
        stage = TraitStage(TraitConfig(repeat_weight=repeat_weight))
        rng = random.Random(11)
        senders = [f"head-{i}" for i in range(40)] * 3 + ["heavy-clean"] * 120
        rng.shuffle(senders)
        for i, sender in enumerate(senders):
            level = 0.0 if sender == "heavy-clean" else 0.9
            stage.process(observe("tools:scraper-kit", sender, level, ts=T0 + i))
        return stage.process(observe("tools:scraper-kit", "head-1", 0.9, ts=T0 + 1000)).evidence

    assert member_evidence(0.2) > 0.5
    assert member_evidence(0.2) > member_evidence(1.0) + 0.2


def test_idle_values_expire_when_touched() -> None:
    config = TraitConfig(idle_expire_hours=24)
    stage = TraitStage(config)
    for i in range(40):
        stage.process(observe("sys+created:old", f"a-{i}", 0.9, ts=T0 + i))
    assert stage.process(observe("sys+created:old", "a-1", 0.9, ts=T0 + 23 * HOUR)).evidence > 0.7
    late = stage.process(observe("sys+created:old", "a-2", 0.9, ts=T0 + 48 * HOUR))
    assert stage.expired == 1
    assert late.evidence == 0.0 and late.owners < 1.5


# ---------------------------------------------------------------- state


def test_state_bytes_round_trip_and_stay_compact() -> None:
    config = TraitConfig()
    layout = TraitLayout(config)
    stage = TraitStage(config)
    for o in random_stream(1):
        stage.process(o)
    for key, raw in stage.traits.items():
        assert len(raw) == layout.size <= 600
        state = TraitState.from_bytes(layout, raw)
        assert state.to_bytes() == raw
        live = stage.state(key)
        assert live is not None
        assert (
            state.first_ts,
            state.last_ts,
            state.observations,
            state.mean,
            state.weight,
            state.recent,
        ) == (
            live.first_ts,
            live.last_ts,
            live.observations,
            live.mean,
            live.weight,
            live.recent,
        )
        assert state.owners.count() == live.owners.count()
        assert state.extracting.count() == live.extracting.count()
    with pytest.raises(ValueError, match="bytes"):
        TraitState.from_bytes(layout, b"\x00" * 10)


def test_state_from_another_layout_starts_afresh() -> None:
    table = {"sys:x": b"\x01" * 17}
    stage = TraitStage(TraitConfig(), table)
    ev = stage.process(observe("sys:x", "a", 0.9))
    assert stage.undecodable == 1 and ev.owners < 1.5
    assert len(table["sys:x"]) == TraitLayout(TraitConfig()).size


def test_owner_sketch_matches_hyperloglog() -> None:
    """_SketchOfOwners restores HyperLogLog's internals; fail loudly if HyperLogLog changes under it."""
    for precision in (6, 7, 9):
        ours, reference = _SketchOfOwners(precision), HyperLogLog(precision)
        assert ours.count() == reference.count() == 0.0
        for i in range(0, 3000, 7):
            assert ours.add(f"owner-{i}") == reference.add(f"owner-{i}")
            if i % 301 == 0:
                restored = _SketchOfOwners(precision, bytes(ours.registers), ours._inverse_sum)
                assert restored.count() == ours.count() == pytest.approx(reference.count(), rel=1e-12)
                assert HyperLogLog(precision, bytes(ours.registers)).count() == pytest.approx(ours.count())
                rebuilt = _SketchOfOwners(precision, bytes(ours.registers))
                assert rebuilt.count() == pytest.approx(ours.count())


def test_state_is_the_same_when_split_by_key_partition() -> None:
    """Keyed stage: each trait value lives on one partition, so two stages equal one."""
    stream = random_stream(2)
    whole = TraitStage(TraitConfig())
    parts = [TraitStage(TraitConfig()), TraitStage(TraitConfig())]
    for o in stream:
        a = whole.process(o)
        b = parts[stable_hash32(o.key) % 2].process(o)
        assert a == b
    merged = {**parts[0].traits, **parts[1].traits}
    assert merged == whole.traits
    assert not set(parts[0].traits) & set(parts[1].traits)


def test_restart_and_small_cache_change_nothing() -> None:
    stream = random_stream(3)
    reference = TraitStage(TraitConfig())
    expected = [reference.process(o) for o in stream]

    table: dict[str, bytes] = {}
    first = TraitStage(TraitConfig(), table)
    got = [first.process(o) for o in stream[:1500]]
    restarted = TraitStage(TraitConfig(max_traits=8), table)  # a fresh process over the same table
    got += [restarted.process(o) for o in stream[1500:]]
    assert got == expected
    assert table == reference.traits
    assert len(restarted._decoded) <= 8


def test_messages_round_trip_through_dicts() -> None:
    o = observe("sys:x", "a", 0.5)
    assert TraitObservation.from_dict(o.to_dict()) == o
    ev = TraitStage(TraitConfig()).process(o)
    assert TraitEvidence.from_dict(ev.to_dict()) == ev


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError, match="full_owners"):
        TraitKind(kind="ip24", min_owners=10, full_owners=10)
    with pytest.raises(ValidationError, match="listed twice"):
        TraitConfig(kinds=(TraitKind(kind="sys"), TraitKind(kind="sys")))
    with pytest.raises(ValidationError, match="mean_full"):
        TraitConfig(mean_floor=0.5, mean_full=0.4)
    hash(TraitConfig())  # frozen and hashable, like the other config sections


# ---------------------------------------------------------------- emission


def synthetic_requests(seed: int, accounts: int = 300) -> list[tuple[str, int, list[str]]]:
    """(account, its request count, the request's traits), interleaved across accounts. One in five
    accounts rotates its exit IP on every request (a new ip32 and ip24 each time)."""
    rng = random.Random(seed)
    plans = []
    for a in range(accounts):
        rotating = a % 5 == 0
        stable = [
            f"sys:{a % 7}",
            f"tools:{a % 11}",
            f"ua:{a % 4}",
            f"pay:{a}",
            f"cohort:{a % 50}",
            f"pivot:{a % 20}",
            f"frame:{a % 9}",
        ]
        plans.append((f"acct-{a}", rotating, stable, rng.randint(20, 400), rng.random(), 0.2 + rng.random()))
    # Each account sends its requests in order, at its own rate from its own start.
    queue = [
        (start * 100 + n / rate, plan, n)
        for plan in plans
        for start, rate in [plan[4:6]]
        for n in range(1, plan[3] + 1)
    ]
    queue.sort(key=lambda item: item[0])
    requests = []
    for _, (account, rotating, stable, *_), n in queue:
        if rotating:
            ip = f"{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
            network = [f"ip32:{ip}.{rng.randrange(256)}", f"ip24:{ip}"]
        else:
            network = [f"ip32:10.{account}", f"ip24:10.{account}"]
        requests.append((account, n, [*stable[:4], *network, *stable[4:]]))
    return requests


def fan_out(config: TraitConfig, requests: list[tuple[str, int, list[str]]]) -> dict[str, float]:
    emitter = TraitEmitter(config)
    memory: dict[str, bytes] = {}
    last_sent: dict[tuple[str, str], int] = {}
    sent_total = {True: 0, False: 0}
    requests_by = {True: 0, False: 0}
    worst, longest_gap = 0, 0
    for account, n, traits in requests:
        sent, memory[account] = emitter.select(traits, memory.get(account), n)
        assert len(sent) == len(set(sent)) and set(sent) <= set(traits)
        worst = max(worst, len(sent))
        rotating = int(account.split("-")[1]) % 5 == 0
        sent_total[rotating] += len(sent)
        requests_by[rotating] += 1
        for key in sent:
            last_sent[(account, key)] = n
        if not rotating:
            for key in traits:
                longest_gap = max(longest_gap, n - last_sent.get((account, key), 0))
    return {
        "stable": sent_total[False] / requests_by[False],
        "rotating": sent_total[True] / requests_by[True],
        "overall": sum(sent_total.values()) / sum(requests_by.values()),
        "worst": worst,
        "longest_gap": longest_gap,
        "memory_bytes": max(len(m) for m in memory.values()),
    }


def test_emitter_fan_out_is_bounded_and_every_trait_is_refreshed() -> None:
    config = TraitConfig()
    stats = fan_out(config, synthetic_requests(7))
    # 9 traits per request: sending all would be 9 observations per request.
    assert stats["worst"] <= config.max_emit_per_request
    assert stats["stable"] < 0.6
    assert stats["rotating"] < 2.8  # two new network values per request, plus refreshes
    assert stats["overall"] < 1.0
    assert stats["longest_gap"] < config.refresh_every  # the sharers' mean tracks the current level
    assert stats["memory_bytes"] == 2 * config.emit_recent_traits


def test_emitter_memory_is_tolerant_and_compact() -> None:
    emitter = TraitEmitter(TraitConfig())
    sent, memory = emitter.select(["sys:a", "sys:a", "ip32:1"], b"garbage", events=1)
    assert sent == ["sys:a", "ip32:1"]
    assert emitter.select(["sys:a", "ip32:1"], memory, events=2) == ([], memory)
    capped = TraitEmitter(TraitConfig(max_emit_per_request=2))
    first, memory = capped.select(["a:1", "a:2", "a:3"], None, events=1)
    second, _ = capped.select(["a:1", "a:2", "a:3"], memory, events=2)
    assert first == ["a:1", "a:2"] and "a:3" in second  # held back, sent next time


def test_warming_up_campaign_is_found_through_emitter_refreshes() -> None:
    """Heads chat innocently for 12 requests, then extract; only refreshes carry the new level."""
    config = TraitConfig()
    emitter, stage = TraitEmitter(config), TraitStage(config)
    memory: dict[str, bytes] = {}
    evidence: dict[tuple[str, str], float] = {}
    for n in range(1, 81):
        for head in range(40):
            account = f"head-{head}"
            level = 0.0 if n <= 12 else min(0.9, 0.9 * (n - 12) / 10)
            sent, memory[account] = emitter.select(
                ["sys+created:ops-batch", f"ip32:192.0.2.{head}"], memory.get(account), n
            )
            for key in sent:
                ev = stage.process(observe(key, account, level, ts=T0 + (n * 40 + head) * MINUTE, events=n))
                evidence[(account, key)] = ev.evidence
    shared = [value for (_, key), value in evidence.items() if key == "sys+created:ops-batch"]
    private = [value for (_, key), value in evidence.items() if key != "sys+created:ops-batch"]
    assert min(shared) > 0.6
    assert max(private) == 0.0


def test_idle_values_leave_the_table_and_the_table_is_capped() -> None:
    """Every exit IP ever seen must not stay forever: values idle past the horizon are deleted from the
    table, the table holds at most ``max_trait_values``, and one far-future timestamp deletes nothing."""
    config = TraitConfig(idle_expire_hours=2.0, max_trait_values=50)
    table: dict[str, bytes] = {}
    stage = TraitStage(config, table)
    for i in range(40):
        stage.process(observe(f"ip32:203.0.113.{i}", f"a{i}", 0.5, ts=T0 + i * MINUTE))
    stage.process(observe("ip32:192.0.2.1", "outlier", 0.5, ts=T0 + 10_000 * HOUR))
    assert len(table) == 41  # the outlier advanced the clock by one bounded step only
    for hour in range(1, 5):  # steady traffic on one value moves the clock honestly
        stage.process(observe("sys:x", "b", 0.5, ts=T0 + hour * HOUR))
    assert "ip32:203.0.113.0" not in table and "sys:x" in table
    for i in range(100):
        stage.process(observe(f"ua:{i}", f"c{i}", 0.5, ts=T0 + 4 * HOUR + i))
    assert len(table) <= 50 and stage.evicted >= 90
