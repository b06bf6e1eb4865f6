"""The worker's snapshots of the partition-scoped soft models (streams.stage_agents.StageAgent), with
Faust's agent test context: each partition's models go to their own changelog partition, once per batch,
and are what the stage over a dict computes for that partition."""

from __future__ import annotations

import asyncio
from typing import Any

from distillguard.models.soft_state import PartitionScoped
from distillguard.models.stages import AccountStage
from distillguard.streams.settings import Settings
from tests.test_agents import Changelog, build, encoded, stage_items, until
from tests.test_core import coordinated_campaign, ordinary_users


def test_the_account_agent_snapshots_each_partitions_models_to_its_own_changelog_partition(
    tmp_path: Any,
) -> None:
    events = sorted(coordinated_campaign(6, 8) + ordinary_users(3, 8), key=lambda e: e.ts)
    accounts = sorted({e.account_id for e in events})
    partition_of = {account: i % 3 for i, account in enumerate(accounts)}
    topology, _ = build(tmp_path, batch_max_events=len(events), model_snapshot_interval_s=0)
    changelog = Changelog(topology)
    agent = topology.app.agents["score_accounts"]

    async def run() -> list[Any]:
        async with agent.test_context() as context:
            put = [
                await context.put(
                    encoded(e), key=e.account_id, partition=partition_of[e.account_id], wait=False
                )
                for e in events
            ]
            await until(lambda: stage_items(topology, "account") == len(events))
            return put

    put = asyncio.run(run())

    writes = changelog.of("account_models")
    used = sorted(set(partition_of.values()))
    assert sorted((p, k) for p, k, _ in writes) == [(p, f"account:{p}") for p in used]
    registry = topology.metrics.registry
    assert registry.get_sample_value("distillguard_model_snapshots_total", {"stage": "account"}) == len(used)
    assert registry.get_sample_value("distillguard_model_snapshot_bytes_total", {"stage": "account"}) > 0
    # Each snapshot holds what the stage over a dict learned from that partition's requests.
    reference = AccountStage(Settings().detection)
    for e, evt in zip(events, put, strict=True):
        reference.process(e, (evt.message.partition, evt.message.offset))
    for partition, key, value in writes:
        restored = PartitionScoped("account", reference._new_models, {key: value}).of(partition)
        expected = reference.soft_state.of(partition)
        assert restored.population.learned == expected.population.learned > 0
        assert restored.rarity.lessons == expected.rarity.lessons


def test_a_rebalance_drops_the_models_of_lost_partitions_and_never_snapshots_them(tmp_path: Any) -> None:
    topology, _ = build(tmp_path, model_snapshot_interval_s=0)
    # the StageAgent behind the account agent (its loop's step is wrapped by the live-config step)
    stage_agent = topology.app.agents["score_accounts"].fun.__self__.step.agent
    soft = stage_agent.soft_state
    assert soft is topology.account_stage.soft_state
    for partition in (0, 1, 2):
        soft.of(partition)
    stage_agent.reassigned({1})
    assert soft.partitions() == [1] and soft.dirty == {1}
    soft.of(2)  # a record of a lost partition still in the batch being processed
    stage_agent.scope.events.update({1: object(), 2: object()})
    snapshotted: list[int] = []
    soft.snapshot = lambda partition, _max=None: snapshotted.append(partition) or 1  # type: ignore[method-assign]
    assert stage_agent.snapshot_models() == 0 and snapshotted == [1]
