"""The shared-trait loop end to end in one process: account stage → trait stage → coordination sink →
the account's next request. Operators' shared tooling becomes evidence; a popular client shared by
ordinary users does not."""

from __future__ import annotations

import orjson

from distillguard.models.config import DetectionConfig
from distillguard.models.coordination import AccountCoordination
from distillguard.models.detector import Detector
from distillguard.models.features import trait_keys
from distillguard.models.traits import TraitEvidence
from distillguard.schemas.request_event import RequestEvent

T0 = 1_767_225_600_000
HOUR = 3_600_000


def _event(i: int, account: str, prompt: str, **extra: object) -> RequestEvent:
    fields = dict(
        schema_version=1, event_id=f"{account}-{i}", ts=T0 + i * 60_000, account_id=account,
        ip=f"198.51.{i % 200}.{(7 * i) % 250 + 1}", model="m-1", input_tokens=50, output_tokens=900,
        prompt=prompt, conversation_turns=1,
    )  # fmt: skip
    fields.update(extra)
    return RequestEvent(**fields)


def test_trait_keys_carry_hashes_and_network_ids_only() -> None:
    event = _event(1, "a", "secret prompt", system_prompt="You are the grader of lab X", tools=["b", "a"],
                   user_agent="client/1.0", payment_fingerprint="card-9", org_id="org-1",
                   account_created_ts=T0 - 5 * HOUR)  # fmt: skip
    keys = trait_keys(event)
    kinds = [k.split(":", 1)[0] for k in keys]
    assert kinds == ["ip32", "ip24", "ua", "sys", "tools", "pay", "cohort"]
    assert not any("grader" in k or "secret" in k or "client" in k for k in keys)
    assert trait_keys(_event(1, "b", "x", tools=["a", "b"]))[-1] == keys[4]  # tool order is irrelevant


def test_sink_keeps_the_stronger_recent_value_and_decays_it() -> None:
    sink = AccountCoordination(DetectionConfig().traits, decay_hours=10.0)
    sink.absorb(TraitEvidence("a", "sys", "sys:1", 0.8, 30, 28, 0.9, T0))
    sink.absorb(TraitEvidence("a", "sys", "sys:2", 0.2, 3, 1, 0.2, T0 + HOUR))  # weaker, recent: ignored
    value, kind = sink.signal("a", T0)
    assert kind == "sys" and abs(value - 0.8) < 1e-6
    later, kind = sink.signal("a", T0 + 10 * HOUR)
    assert kind == "sys" and abs(later - 0.8 / 2.718281828) < 1e-3
    sink.absorb(TraitEvidence("a", "ua", "ua:1", 0.5, 10, 9, 0.9, T0 + 2 * HOUR))
    assert sink.signal("a", T0 + 2 * HOUR)[1] == "sys"


def _run(accounts: int, prompt: str, **shared: object) -> list[float]:
    detector = Detector(DetectionConfig())
    last: dict[str, float] = {}
    for i in range(12):
        for a in range(accounts):
            detector.process(_event(i * accounts + a, f"acct-{a}", prompt.format(i=i, a=a), **shared))
            assert detector.last_assessment is not None
            last[f"acct-{a}"] = detector.last_assessment.signals["shared_traits"]
    return sorted(last.values())


def test_an_operators_shared_system_prompt_becomes_evidence_for_its_extracting_accounts() -> None:
    campaign = _run(
        20,
        "Problem {i}-{a}: a train leaves at {i} and travels {a} km. Show every step of your reasoning "
        "in full before the final answer.",
        system_prompt="You answer exactly as instructed. Never skip intermediate work.",
        account_created_ts=T0 - 90 * 24 * HOUR,  # a batch registered together
    )
    assert min(campaign) > 0.3


def test_a_popular_client_shared_by_ordinary_chat_users_is_not_evidence() -> None:
    chat = _run(
        20,
        "hey, any ideas for a birthday present for my sister? she likes hiking ({i}{a})",
        user_agent="popular-chat-app/5.2",
        conversation_turns=3,
    )
    assert max(chat) < 0.05


def test_trait_answers_round_trip_and_older_records_with_sharers_still_decode() -> None:
    evidence = TraitEvidence("a1", "sys", "sys:ab12", 0.8, 40.0, 38.0, 0.9, 1_000)
    assert TraitEvidence.from_dict(orjson.loads(orjson.dumps(evidence))) == evidence
    assert TraitEvidence.from_dict(orjson.loads(orjson.dumps(evidence.to_dict()))) == evidence
    # An answer written while the sink's co-sharing option existed (2026-12-07) carries its sharers.
    older = {**evidence.to_dict(), "sharers": [1, 2]}
    assert TraitEvidence.from_dict(older) == evidence


def _combined_config(sys_weight: float, partner: str = "ua") -> DetectionConfig:
    """System prompt weighed at ``sys_weight`` by itself, and in full when paired with ``partner``."""
    from distillguard.models.config import TraitKind

    base = DetectionConfig()
    by_itself = (
        rule.model_copy(update={"weight": sys_weight}) if rule.kind == "sys" else rule
        for rule in base.traits.kinds
    )
    kinds = (*by_itself, TraitKind(kind=f"sys+{partner}", weight=1.0, min_owners=3, full_owners=30))
    traits = base.traits.model_copy(update={"kinds": kinds, "combined": (("sys", partner),)})
    return base.model_copy(update={"traits": traits})


def _shared_prompt_run(
    config: DetectionConfig, client_of: str, created_hours_apart: int | None = None
) -> tuple[list[float], set[str | None]]:
    """20 accounts reasoning under one public system prompt, each on its own network; ``client_of`` is a
    format string for each account's user agent ('{a}' gives every account its own); the accounts were
    created ``created_hours_apart`` hours after one another (None: unknown)."""
    detector = Detector(config)
    last: dict[str, float] = {}
    kinds: set[str | None] = set()
    for i in range(12):
        for a in range(20):
            prompt = f"Problem {i}-{a}: a tank fills at {i} litres a minute. Reason step by step, in full."
            detector.process(
                _event(
                    i * 20 + a,
                    f"acct-{a}",
                    prompt,
                    ip=f"203.0.{a}.{a + 1}",
                    system_prompt="You are a careful grader. Think before answering.",
                    user_agent=client_of.format(a=a),
                    account_created_ts=None
                    if created_hours_apart is None
                    else T0 - 400 * 24 * HOUR + a * created_hours_apart * HOUR,
                )
            )
            assessment = detector.last_assessment
            assert assessment is not None
            last[f"acct-{a}"] = assessment.signals["shared_traits"]
    for a in range(20):
        kinds.add(detector.coordination.signal(f"acct-{a}", T0 + 240 * 60_000)[1])
    return sorted(last.values()), kinds


def test_a_combined_trait_links_accounts_that_share_both_parts_and_no_others() -> None:
    from distillguard.models.features import combined_keys

    one = trait_keys(_event(1, "a", "x", system_prompt="p", user_agent="u/1"))
    other_client = trait_keys(_event(1, "b", "x", system_prompt="p", user_agent="u/2"))
    pair = combined_keys(one, (("sys", "ua"),))
    assert pair[:-1] == one and pair[-1].startswith("sys+ua:")
    assert combined_keys(other_client, (("sys", "ua"),))[-1] != pair[-1]
    assert combined_keys(trait_keys(_event(1, "c", "x", user_agent="u/1")), (("sys", "ua"),)) == trait_keys(
        _event(1, "c", "x", user_agent="u/1")
    )  # no system prompt: no pair

    # One operator's tooling: the same prompt AND the same custom client.
    campaign, kinds = _shared_prompt_run(_combined_config(sys_weight=0.0), "harvest-kit/0.9")
    assert min(campaign) > 0.3 and kinds == {"sys+ua"}
    # Unrelated reasoning-heavy users pasting one public prompt, each from their own client build.
    public, _ = _shared_prompt_run(_combined_config(sys_weight=0.0), "notebook/{a}.0")
    assert max(public) < 0.05
    # Weighed by itself (v6.2's default), the same public prompt is evidence: what the combined kinds are for.
    alone, _ = _shared_prompt_run(_combined_config(sys_weight=1.0), "notebook/{a}.0")
    assert max(alone) > 0.3
    # The default weighs the prompt only in pairs: with each its own client, made months apart, nothing.
    default, _ = _shared_prompt_run(DetectionConfig(), "notebook/{a}.0", created_hours_apart=60 * 24)
    assert max(default) < 0.05


def test_a_public_prompt_links_only_accounts_created_in_the_same_weeks() -> None:
    from distillguard.models.features import FeatureExtractor

    config = _combined_config(sys_weight=0.0, partner="created")
    window_days = config.traits.created_window_days
    request = _event(1, "a", "x", system_prompt="p", account_created_ts=T0)
    kinds = [key.partition(":")[0] for key in FeatureExtractor(config).extract(request).traits]
    # 'created' is never sent alone, nor is the system prompt once it is weighed 0 by itself.
    assert kinds == ["ip32", "ip24", "cohort", "sys+created"]
    # A batch of accounts registered twelve hours apart (each its own client and network).
    batch, kinds = _shared_prompt_run(config, "notebook/{a}.0", created_hours_apart=12)
    assert min(batch) > 0.3 and kinds == {"sys+created"}
    # The same public prompt pasted by people who signed up months apart.
    public, _ = _shared_prompt_run(config, "notebook/{a}.0", created_hours_apart=3 * window_days * 24)
    assert max(public) < 0.05


def test_combined_trait_groups_are_validated() -> None:
    import pytest
    from pydantic import ValidationError

    from distillguard.models.config import TraitConfig

    assert TraitConfig(combined=[["sys", "ua"]]).combined == (("sys", "ua"),)
    assert TraitConfig(combined=[["sys", "created"]]).combined == (("sys", "created"),)
    for bad in ([["sys"]], [["sys", "sys"]], [["sys", "nope"]]):
        with pytest.raises(ValidationError, match="combined trait"):
            TraitConfig(combined=bad)


def test_records_written_before_the_owner_counts_still_decode() -> None:
    """v6.4 added each kind's owner count to the coordination sink and to the account stage's observations:
    an older observation decodes with no count, and an older sink record reads as no evidence (it is
    refilled by the account's next trait answers) rather than as garbage."""
    import struct

    from distillguard.models.stages import AccountObservation

    fields = {
        "event_id": "e", "account_id": "a", "ts": T0, "cluster_id": "c", "network": "n", "asn": None,
        "proxy_network": False, "young_account": False, "elicitation": 0.5, "payment": None,
        "user_agent_family": "-", "events_seen": 3, "own_evidence": 0.1, "signals": {"thinking": 1.0},
        "shared_trait": "sys+created",
    }  # fmt: skip
    older = AccountObservation.from_dict(fields)
    assert older.shared_trait_owners == 0.0 and older.shared_trait == "sys+created"

    config = DetectionConfig().traits
    old_layout = struct.Struct("<" + "fq" * len(config.kinds))  # before v6.4: evidence and time per kind
    sink = AccountCoordination(config, {"a": old_layout.pack(*([0.9, T0] * len(config.kinds)))})
    assert sink.strongest("a", T0) == (0.0, None, 0.0)
    sink.absorb(TraitEvidence("a", "sys+created", "sys+created:1", 0.7, 12.0, 11.0, 0.9, T0))
    value, kind, owners = sink.strongest("a", T0)
    assert kind == "sys+created" and abs(value - 0.7) < 1e-6 and owners == 12.0
