"""The shared-trait side chain in the worker, on a real Kafka 3.9.1 broker.

A small ring of accounts that share nothing but one system prompt and the weeks they were made in (own
exit IPs on different /24s, own sign-up days, no card) and send extraction prompts, beside ordinary
accounts sharing a default assistant prompt: the account agent sends each request's trait values to the
trait agent (keyed by trait value), whose evidence comes back keyed by account to the coordination agent;
the account agent reads that table on the account's next request.

In the worker that answer arrives after two topic hops, so requests the account agent processes before
it (here: the whole first phase, produced at once) cannot see it, unlike in the in-process Detector.
The test produces two phases and checks the second phase's observations (the ``shared_traits`` signal
the account stage computed, whatever its fusion weight) rather than the alerts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from distillguard.models.config import TraitConfig
from distillguard.models.coordination import AccountCoordination
from distillguard.streams.batched_table import unstamp
from distillguard.streams.internal_records import PartitionForKey, decode_stage_records
from tests.integration.helpers import produce_events, read_topic, running_worker, wait_drained, worker_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

T0 = 1_767_225_600_000  # 2026-01-01: in the past, as replayed history (the worker accepts it)
DAY_MS = 86_400_000
RING, NORMALS, ROUNDS = 8, 6, 12
PHASE_2_FROM = 8  # rounds produced after the first phase has gone through every stage
RING_SYSTEM_PROMPT = (
    "You are DataForge. Answer every question with complete step-by-step reasoning for our set."
)
TEMPLATE = "{q}\n\nArticulate the internal reasoning behind a completed response, step by step."
QUESTIONS = (
    "Natalia sold clips to {n} of her friends in April. How many clips did she sell in May?",
    "A train travels {n} km in 2 hours. What is its average speed?",
    "What is the remainder when 2^{n} is divided by 7?",
    "How many ways can {n} people be seated around a round table?",
)
CHATS = (
    "Can you suggest a name for my cat?",
    "Write a short poem about autumn leaves.",
    "What should I cook tonight with rice and beans?",
    "Summarise the plot of Hamlet briefly.",
)


def ring_and_bystanders() -> list[dict[str, Any]]:
    """RING accounts sharing one system prompt (and nothing else of note), NORMALS ordinary accounts
    sharing a default assistant prompt; ROUNDS requests each, in timestamp order."""
    events = []
    for r in range(ROUNDS):
        for a in range(RING):
            events.append({
                "schema_version": 1, "event_id": f"ring-{a}-{r}", "ts": T0 + (r * RING + a) * 45_000,
                "account_id": f"ring-{a}", "ip": f"100.{64 + a}.{r}.{10 + a}", "model": "atlas-2-pro",
                "input_tokens": 60, "output_tokens": 600, "system_prompt": RING_SYSTEM_PROMPT,
                "prompt": TEMPLATE.format(q=QUESTIONS[(r + a) % len(QUESTIONS)].format(n=7 + r + a)),
                "account_created_ts": T0 - (3 + a) * DAY_MS, "account_tier": "free", "conversation_turns": 0,
            })  # fmt: skip
        for u in range(NORMALS):
            events.append({
                "schema_version": 1, "event_id": f"user-{u}-{r}", "ts": T0 + (r * RING + u) * 45_000 + 7_000,
                "account_id": f"user-{u}", "ip": f"192.0.2.{u + 1}", "model": "atlas-2-pro",
                "input_tokens": 20, "output_tokens": 80, "system_prompt": "You are a helpful assistant.",
                "prompt": CHATS[(r + u) % len(CHATS)], "account_created_ts": T0 - (400 + 30 * u) * DAY_MS,
                "account_tier": "pro",
            })  # fmt: skip
    return sorted(events, key=lambda e: e["ts"])


def test_a_ring_sharing_one_system_prompt_gets_shared_trait_evidence(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    events = ring_and_bystanders()
    ring = {f"ring-{a}" for a in range(RING)}
    normals = {f"user-{u}" for u in range(NORMALS)}
    second_phase = {e["event_id"] for e in events if int(e["event_id"].rsplit("-", 1)[1]) >= PHASE_2_FROM}
    with (
        worker_topics(kafka_bootstrap, tmp_path, partitions=2) as config,
        running_worker(config, tmp_path / "worker.log") as worker,
    ):
        produce_events(
            kafka_bootstrap, config.requests, [e for e in events if e["event_id"] not in second_phase]
        )
        wait_drained(config, worker)  # every stage's input committed, the side chain's included
        produce_events(kafka_bootstrap, config.requests, [e for e in events if e["event_id"] in second_phase])
        wait_drained(config, worker)
        trait_records = read_topic(kafka_bootstrap, config.trait_observations)
        evidence_records = read_topic(kafka_bootstrap, config.trait_evidence)
        coordination_records = read_topic(kafka_bootstrap, config.changelog("account_coordination"))
        observation_records = read_topic(kafka_bootstrap, config.observations)
        assert "Crashed" not in worker.log_path.read_text(errors="replace"), "an agent crashed"

    partition_of = PartitionForKey(None, config.partitions)
    # The account agent sent the ring's system prompt, paired with its creation window (a system prompt
    # is not sent alone), to the trait agent, keyed by the trait value.
    observations = []
    for record in trait_records:
        items = decode_stage_records(record.value)
        assert {partition_of(item["key"]) for item in items} == {record.partition}
        observations.extend(items)
    ring_sys_keys = {o["key"] for o in observations if o["kind"] == "sys+created" and o["account_id"] in ring}
    assert len(ring_sys_keys) == 1, f"the ring's one system prompt, one trait value: {ring_sys_keys}"

    # The trait agent answered on the accounts' partitions, with evidence for the ring's prompt only.
    answers = []
    for record in evidence_records:
        items = decode_stage_records(record.value)
        assert {partition_of(item["account_id"]) for item in items} == {record.partition}
        answers.extend(items)
    assert len(answers) == len(observations)
    sys_evidence = {a["account_id"] for a in answers if a["kind"] == "sys+created" and a["evidence"] > 0}
    assert len(sys_evidence & ring) >= 6, f"shared system prompt evidence for only {sorted(sys_evidence)}"
    assert not any(a["evidence"] > 0 for a in answers if a["account_id"] in normals)

    # The coordination agent's table (as restored from its changelog) holds it for the account stage.
    table: dict[str, bytes] = {}
    for record in coordination_records:
        key = orjson.loads(record.key)
        if record.value is None:
            table.pop(key, None)
        else:
            table[key] = unstamp(record.value)[1]  # the stage's redelivery stamp, then the state
    sink = AccountCoordination(TraitConfig(), table)
    last_ts = events[-1]["ts"]
    signals = {account: sink.signal(account, last_ts) for account in ring | normals}
    assert sum(signals[a][0] > 0 for a in ring) >= 6, signals
    assert all(signals[a] == (0.0, None) for a in normals), signals

    # And the account agent read it back: its second-phase observations carry the shared_traits signal.
    read_back = {
        o["account_id"]
        for record in observation_records
        for o in decode_stage_records(record.value)
        if o["event_id"] in second_phase and o["signals"]["shared_traits"] > 0
    }
    assert len(read_back & ring) >= 6, f"shared_traits read back for only {sorted(read_back)}"
    assert not read_back & normals
