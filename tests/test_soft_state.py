"""Partition-scoped soft models (models.soft_state) and the partitioner they are keyed by
(models.partitioning): the same partition as Kafka's clients, one model per partition, snapshots that a
fresh process restores exactly, and runners that agree whatever owns which partition."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner
from kafka.partitioner.default import murmur2 as kafka_murmur2

from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.models.partitioning import DEFAULT_PARTITIONS, KeyPartitioner, murmur2, partition_for_key
from distillguard.models.pipeline import ACCOUNT, CLUSTER, PIPELINE
from distillguard.models.soft_state import PartitionScoped
from distillguard.models.stages import AccountStage, ClusterStage
from distillguard.streams.internal_records import PartitionForKey
from distillguard.streams.settings import Settings, TopicSettings
from tests.test_core import coordinated_campaign, ordinary_users


def traffic() -> list:
    return sorted(coordinated_campaign(12, 12) + ordinary_users(10, 12), key=lambda e: e.ts)


# --- the partitioner ------------------------------------------------------------------------------


def test_murmur2_is_kafka_pythons_on_random_bytes() -> None:
    rng = random.Random(7)
    for _ in range(3_000):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
        assert murmur2(data) == kafka_murmur2(data), data


def test_partition_for_key_is_the_producers_and_the_workers_partition() -> None:
    """The same partition as kafka-python's producer (tests, the simulator's --topic) and aiokafka's
    DefaultPartitioner (Faust's producer, streams.internal_records.PartitionForKey), for ASCII and
    non-ASCII keys."""
    keys = [f"acct-{i}" for i in range(1_000)] + ["", "ü-账户-🙂", "c:" + "x" * 300]
    aiokafka = DefaultPartitioner()
    for partitions in (1, 2, 4, 12, 64):
        worker = PartitionForKey(None, partitions)
        everyone = list(range(partitions))
        for key in keys:
            ours = partition_for_key(key, partitions)
            assert ours == (kafka_murmur2(key.encode()) & 0x7FFFFFFF) % partitions
            assert ours == aiokafka(key.encode(), everyone, everyone) == worker(key)
        cached = KeyPartitioner(partitions, max_cached=10)
        assert [cached(k) for k in keys * 2] == [partition_for_key(k, partitions) for k in keys * 2]


def test_the_default_partition_count_is_the_settings_default() -> None:
    assert TopicSettings().partitions == DEFAULT_PARTITIONS == Settings().topics.partitions


# --- one model per partition, snapshots ----------------------------------------------------------


def test_each_partition_gets_its_own_model_created_lazily() -> None:
    scoped = PartitionScoped("m", lambda partition: [partition])
    assert len(scoped) == 0
    scoped.of(2).append("x")
    assert scoped.of(2) == [2, "x"] and scoped.of(0) == [0]
    assert scoped.partitions() == [0, 2] and scoped.dirty == {0, 2}


def test_a_snapshot_restores_in_a_fresh_process_and_only_newer_ones_replace_memory() -> None:
    store: dict[str, bytes] = {}
    first = PartitionScoped("m", lambda partition: [partition], store)
    first.of(1).append("a")
    assert first.snapshot(1) > 0 and set(store) == {"m:1"} and not first.dirty
    second = PartitionScoped("m", lambda partition: [partition], store)  # a new owner
    assert second.of(1) == [1, "a"] and second.restored == 1
    second.of(1).append("b")
    second.snapshot(1)
    # the first owner gets the partition back: its own memory is stale, the store has a newer snapshot
    first.of(1).append("stale")
    first.reassigned({1})
    assert first.of(1) == [1, "a", "b"]
    # a rebalance that keeps the partition where its last snapshot was written changes nothing
    first.of(1).append("c")
    first.snapshot(1)
    first.of(1).append("d")  # after the snapshot: in memory only
    first.reassigned({1})
    assert first.of(1) == [1, "a", "b", "c", "d"]
    # a partition now owned elsewhere is dropped, unsaved
    first.reassigned({0})
    assert first.partitions() == [] and not first.dirty


def test_a_snapshot_larger_than_the_limit_is_not_written() -> None:
    store: dict[str, bytes] = {}
    scoped = PartitionScoped("m", lambda partition: list(range(10_000)), store)
    scoped.of(0)
    assert scoped.snapshot(0, max_bytes=100) > 100
    assert store == {} and scoped.skipped == 1 and scoped.snapshots == 0


def _first_half_twice(config: DetectionConfig) -> tuple[list, int, dict[str, dict], list, list]:
    """The first half of the traffic through two stage pairs: ``whole`` (never stopped) and ``first``
    (over the tables in ``state``, which a restart then builds from)."""
    events = traffic()
    half = len(events) // 2
    state: dict[str, dict] = {t.name: {} for spec in PIPELINE.all_stages for t in spec.tables}
    whole = PIPELINE.build(config)
    first = PIPELINE.build(config, state)
    for event in events[:half]:
        PIPELINE.run(whole, event, config)
        PIPELINE.run(first, event, config)
    return events, half, state, whole, first


def test_a_stage_restored_from_snapshots_continues_exactly_as_an_uninterrupted_one() -> None:
    """Kill and restart between two halves of the traffic: the soft models (and the keyed state) of
    a restored stage pair give the same assessments as a pair that never stopped."""
    config = DetectionConfig()
    events, half, state, whole, first = _first_half_twice(config)
    for stage in first[:2]:
        for partition in stage.soft_state.partitions():
            stage.soft_state.snapshot(partition)
    restarted = PIPELINE.build(config, {name: dict(mapping) for name, mapping in state.items()})
    # A restarted cluster stage decodes its clusters from their (float32) bytes, the reference would
    # go on with its float64 cache: make the reference decode them too, from here on.
    whole[1]._decoded.clear()
    compared = 0
    for event in events[half:]:
        expected = PIPELINE.run(whole, event, config).get(CLUSTER.name)
        got = PIPELINE.run(restarted, event, config).get(CLUSTER.name)
        assert (got and got.to_dict()) == (expected and expected.to_dict())
        compared += 1
    assert compared > 100
    assert restarted[0].soft_state.restored == len(first[0].soft_state) > 1
    assert restarted[1].soft_state.restored == len(first[1].soft_state) > 1


def test_without_snapshots_a_restart_relearns_and_can_differ() -> None:
    """The reference for the test above: the same restart without the snapshots loses the soft models'
    history, so some assessment differs (the snapshots are what makes the restart exact)."""
    config = DetectionConfig()
    events, half, state, whole, _first = _first_half_twice(config)
    kept = {name: dict(m) for name, m in state.items() if name not in ("account_models", "cluster_models")}
    restarted = PIPELINE.build(config, kept)
    whole[1]._decoded.clear()  # as above
    differ = 0
    for event in events[half:]:
        expected = PIPELINE.run(whole, event, config).get(CLUSTER.name)
        got = PIPELINE.run(restarted, event, config).get(CLUSTER.name)
        differ += (got and got.to_dict()) != (expected and expected.to_dict())
    assert differ > 0


def test_which_stage_instance_owns_a_partition_does_not_change_what_it_computes() -> None:
    """Two account/cluster stage pairs, each fed only the partitions a worker would own (with the
    partition each record's key has), assess every request as one pair fed everything: the soft models
    are per partition, so splitting the partitions between processes changes nothing. (The side chain
    is left out: its answers travel through topics, on the worker's own timing.)"""
    config = DetectionConfig()
    partitions = 4
    one_account, one_cluster = AccountStage(config), ClusterStage(config)
    owners = [(AccountStage(config), ClusterStage(config)) for _ in range(2)]
    compared = 0
    for event in traffic():
        reference = one_account.process(event, None)
        if reference is None:
            continue
        expected = one_cluster.process(reference).to_dict()
        account_partition = partition_for_key(event.account_id, partitions)
        account_stage = owners[account_partition % 2][0]
        observation = account_stage.process(event, (account_partition, compared))
        assert observation is not None and observation.to_dict() == reference.to_dict()
        cluster_partition = partition_for_key(observation.cluster_id, partitions)
        got = owners[cluster_partition % 2][1].process(observation, cluster_partition)
        assert got.to_dict() == expected
        compared += 1
    assert compared > 200
    assert {len(owner[0].soft_state) for owner in owners} == {2}


def test_with_one_partition_the_models_are_shared_by_every_account() -> None:
    detector = Detector(DetectionConfig(), partitions=1)
    for event in traffic():
        detector.process(event)
    assert detector.accounts.soft_state.partitions() == [0] == detector.clusters.soft_state.partitions()
    assert detector.accounts.population.learned > 0


def test_cluster_campaign_sizes_sum_over_the_partitions_linkers() -> None:
    detector = Detector(DetectionConfig())
    for event in traffic():
        detector.process(event)
    clusters = detector.clusters
    linkers = [models.linker for models in clusters.soft_state]
    assert len(linkers) > 1
    assert sorted(clusters.campaign_sizes()) == sorted(
        s for linker in linkers for s in linker.campaign_sizes()
    )
    assert clusters.tracked_campaign_accounts == sum(len(linker) for linker in linkers)


def test_spec_build_passes_the_partition_count() -> None:
    account = ACCOUNT.build(DetectionConfig(), partitions=12)
    cluster = CLUSTER.build(DetectionConfig(), partitions=12)
    assert account.partition_of.partitions == cluster.partition_of.partitions == 12


def test_snapshots_hold_no_prompt_text() -> None:
    """The snapshots (compressed, so a scan of the changelog could not see text) hold numbers, account ids
    and link keys only: decompressed, no prompt of the traffic appears in them."""
    import zlib

    events = traffic()
    stages = PIPELINE.build(DetectionConfig())
    for event in events:
        PIPELINE.run(stages, event, DetectionConfig())
    blobs = []
    for stage in stages[:2]:
        for partition in stage.soft_state.partitions():
            stage.soft_state.snapshot(partition)
            raw = stage.soft_state.store[stage.soft_state.key(partition)]
            blobs.append(zlib.decompress(raw[13:]))
    assert len(blobs) > 2
    prompts = {e.prompt for e in events if e.prompt and len(e.prompt) >= 20}
    assert prompts
    for blob in blobs:
        for prompt in prompts:
            assert prompt[:20].encode() not in blob


def test_a_benign_reference_kept_without_a_prior_is_relearned_not_used_without_it() -> None:
    """A snapshot of the account stage's models written when the reference kept no prior (or another
    list) restores its population model, and a fresh benign reference that keeps the priors now in
    force: an old reference has no histogram to check a prior against."""
    without = DetectionConfig.model_validate({"fusion": {"beside_trees": []}})
    soft: dict = {}
    stage = AccountStage(without, soft_models=soft, partitions=1)
    for event in traffic():
        stage.process(event)
    assert stage.rarity.lessons >= 20 and "country_hopping" not in stage.rarity.names
    stage.soft_state.snapshot(0)

    restored = AccountStage(DetectionConfig(), soft_models=dict(soft), partitions=1)
    restored.soft_state.of(0)
    assert restored.soft_state.restored == 1
    assert "country_hopping" in restored.rarity.names and restored.rarity.lessons == 0
    again = AccountStage(without, soft_models=dict(soft), partitions=1)
    assert again.rarity.lessons == stage.rarity.lessons  # the same list: restored as it was
