"""Agent logic without a broker, through Faust's ``agent.test_context()``.

Sends to downstream topics are captured by replacing each topic's ``send`` on the instance, so the
three agents can be chained by hand: what stage 1 sends is put into stage 2, and so on. Table writes
are captured at ``Table.send_changelog`` (the changelog record Faust produces for each write), which
shows which changelog partition each key's state goes to.

The agents process batches (``streams.agent_loop``): ``put()`` returns once a record is buffered, so the
tests wait until the stage has counted the records as processed before leaving the context.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
import pytest
from faust.streams import current_event
from kafka.partitioner.default import murmur2

from distillguard.models.stages import AccountStage, ClusterStage
from distillguard.models.traits import TraitEvidence, TraitObservation
from distillguard.schemas import RequestEvent, SuspicionEvent
from distillguard.streams import faust_compat
from distillguard.streams.app import Topology, create_app
from distillguard.streams.app_config import PRODUCER_MAX_BATCH_BYTES
from distillguard.streams.batched_table import BatchedTable, PartitionScope, StampedReader
from distillguard.streams.internal_records import (
    MAX_ITEMS_PER_RECORD,
    PartitionForKey,
    decode_stage_records,
    encode_stage_records,
    group_by_partition,
)
from distillguard.streams.settings import Settings, WorkerSettings
from tests.test_core import T0, coordinated_campaign, event, ordinary_users


class Captured:
    """Stands in for ``Topic.send``: records (key, value, headers) and the partition asked for, returns
    the delivery future (resolved unless ``hold`` is set, then :meth:`release` resolves them)."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, Any, dict | None]] = []
        self.partitions: list[int | None] = []
        self.hold = False
        self.futures: list[asyncio.Future[None]] = []

    async def send(
        self,
        *,
        key: Any = None,
        value: Any = None,
        headers: dict | None = None,
        partition: int | None = None,
        **_: Any,
    ) -> asyncio.Future[None]:
        self.records.append((key, value, headers))
        self.partitions.append(partition)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.hold:
            self.futures.append(future)
        else:
            future.set_result(None)
        return future

    def release(self) -> None:
        for future in self.futures:
            future.set_result(None)
        self.futures.clear()


class Changelog:
    """Captures ``send_changelog`` of each table: (table, partition, key, value), in order."""

    def __init__(self, topology: Topology) -> None:
        self.writes: list[tuple[str, int, Any, Any]] = []
        for name, table in topology.tables.items():
            original = table.send_changelog

            def capture(
                partition: Any, key: Any, value: Any, *a: Any, _n=name, _o=original, **kw: Any
            ) -> Any:
                self.writes.append((_n, partition, key, value))
                return _o(partition, key, value, *a, **kw)

            table.send_changelog = capture

    def of(self, table: str) -> list[tuple[int, Any, Any]]:
        return [(p, k, v) for name, p, k, v in self.writes if name == table]


# Every topic the agents send to (their sends are captured, never produced).
SENDS = ("observations", "candidates", "alerts", "dead_letter", "trait_observations", "trait_evidence")
OPERATOR_SENDS = ("verdicts",)  # topology.operator[name]


def build(
    tmp_path: Any, detection: dict[str, Any] | None = None, **worker: Any
) -> tuple[Topology, dict[str, Captured]]:
    settings = Settings(
        worker={"data_dir": tmp_path, "app_id": "dg-agent-test", **worker}, detection=detection or {}
    )
    topology = create_app(settings)
    captured = {name: Captured() for name in SENDS + OPERATOR_SENDS}
    for name, sink in captured.items():
        topic = topology.operator[name] if name in OPERATOR_SENDS else getattr(topology, name)
        topic.send = sink.send
    return topology, captured


def stage_items(topology: Topology, stage: str) -> float:
    value = topology.metrics.registry.get_sample_value("distillguard_stage_items_total", {"stage": stage})
    return value or 0.0


def items(sink: Captured) -> list[dict[str, Any]]:
    """The stage outputs in captured internal records (each record holds a list of them)."""
    return [item for _, value, _ in sink.records for item in decode_stage_records(value)]


async def until(condition: Any, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "agent did not finish its batches in time"
        await asyncio.sleep(0.005)


def encoded(e: RequestEvent) -> bytes:
    return orjson.dumps(e.model_dump(exclude_none=True))


def test_agents_turn_a_campaign_into_alerts_and_junk_into_dead_letters(tmp_path: Any) -> None:
    """All five agents chained by hand, one round of requests at a time: each round goes through the
    account agent, its trait observations through the side chain (trait agent, coordination agent: the
    evidence the account agent reads from the next round on), its observations through the cluster and
    alert agents."""
    topology, captured = build(tmp_path)
    agents = topology.app.agents
    # 14 rounds: the benign reference (models.signal_rarity) needs ~20 lessons before it says anything
    events = sorted(coordinated_campaign(10, 14) + ordinary_users(12, 14), key=lambda e: e.ts)
    rounds = [events[i : i + 16] for i in range(0, len(events), 16)]
    # (agent, the sink whose records it consumes, its stage's metric name)
    downstream = (
        ("score_traits", "trait_observations", "trait"),
        ("absorb_coordination", "trait_evidence", "coordination"),
        ("score_clusters", "observations", "cluster"),
        ("emit_alerts", "candidates", "alert"),
    )

    async def run() -> None:
        fed = dict.fromkeys(captured, 0)  # records of each sink already handed on
        async with contextlib.AsyncExitStack() as stack:  # one context per agent: offsets keep counting
            accounts = await stack.enter_async_context(agents["score_accounts"].test_context())
            contexts = {
                a: await stack.enter_async_context(agents[a].test_context()) for a, _, _ in downstream
            }
            for number, batch in enumerate(rounds):
                # in the second round: a junk record and a redelivery of the first request
                extra = (
                    [(b"{not json", "junk"), (encoded(events[0]), events[0].account_id)]
                    if number == 1
                    else []
                )
                for value, key in [*((encoded(e), e.account_id) for e in batch), *extra]:
                    await accounts.put(value, key=key)
                done = sum(map(len, rounds[: number + 1])) + (2 if number >= 1 else 0)
                await until(lambda done=done: stage_items(topology, "account") == done)
                for agent, sink, stage in downstream:
                    records = captured[sink].records
                    for key, value, _ in records[fed[sink] :]:
                        await contexts[agent].put(value, key=key)
                    fed[sink] = len(records)
                    total = len(items(captured[sink]))
                    await until(lambda stage=stage, total=total: stage_items(topology, stage) == total)

    asyncio.run(run())

    assert len(captured["dead_letter"].records) == 1
    _, original, headers = captured["dead_letter"].records[0]
    assert original == b"{not json" and headers and headers["dlq.reason"].startswith(b"malformed JSON")
    # the duplicate of events[0] was dropped by the account stage
    assert len(items(captured["observations"])) == len(events)
    alerts = [SuspicionEvent.model_validate_json(value) for _, value, _ in captured["alerts"].records]
    flagged = {a.account_id for a in alerts if a.severity.rank >= 2}
    assert {f"hydra-{i}" for i in range(10)} <= flagged
    assert not any(a.startswith("user-") for a in flagged)
    # the state tables hold compact bytes, never prompt text
    for value in topology.account_stage.accounts.values():
        assert isinstance(value, bytes) and b"Articulate" not in value


def test_a_batch_across_partitions_writes_each_key_once_to_its_own_changelog_partition(tmp_path: Any) -> None:
    """One batch holding several accounts from three partitions: each account's state is written once,
    on its source partition, with the value per-event processing (a plain dict) ends up with."""
    events = sorted(coordinated_campaign(6, 5) + ordinary_users(3, 5), key=lambda e: e.ts)
    accounts = sorted({e.account_id for e in events})
    partition_of = {account: i % 3 for i, account in enumerate(accounts)}
    topology, captured = build(tmp_path, batch_max_events=len(events))
    changelog = Changelog(topology)
    agent = topology.app.agents["score_accounts"]

    async def run() -> list[Any]:
        async with agent.test_context() as accounts_ctx:
            # wait=False: all records are queued before the agent runs, as after a fetch
            put = [
                await accounts_ctx.put(
                    encoded(e), key=e.account_id, partition=partition_of[e.account_id], wait=False
                )
                for e in events
            ]
            await until(lambda: stage_items(topology, "account") == len(events))
            assert (
                topology.metrics.registry.get_sample_value(
                    "distillguard_batch_items_count", {"stage": "account"}
                )
                == 1
            ), "the events were expected to form a single batch"
            return put

    put = asyncio.run(run())

    writes = changelog.of("account_state")
    assert sorted(k for _, k, _ in writes) == accounts, "each account written exactly once per batch"
    assert all(p == partition_of[k] for p, k, _ in writes), "a key's state went to another partition"
    # Same bytes as the stage over a dict, event by event, with the same (partition, offset) positions.
    reference = AccountStage(Settings().detection)
    reference_cluster = {}
    for e, evt in zip(events, put, strict=True):
        observation = reference.process(e, (evt.message.partition, evt.message.offset))
        assert observation is not None
        reference_cluster[e.event_id] = observation.cluster_id
        assert encode_stage_records([observation]) == orjson.dumps([observation.to_dict()])
    assert {k: v for _, k, v in writes} == reference.accounts
    assert dict(topology.tables["account_state"].items()) == reference.accounts
    # model_first_seen: written once, on the partition of the event that saw the model first
    first_model = [(p, k) for p, k, _ in changelog.of("model_first_seen")]
    assert first_model == [(partition_of[events[0].account_id], events[0].model)]
    # one internal record per cluster id, holding that cluster's observations in processing order
    # one internal record per partition of the observations topic, holding the observations whose
    # cluster id hashes there (as the producer would have sent them keyed), in processing order
    partition_of = PartitionForKey(None, Settings().topics.partitions)
    sink = captured["observations"]
    assert len(set(sink.partitions)) == len(sink.partitions)
    for (_, value, _), partition in zip(sink.records, sink.partitions, strict=True):
        got = [i["event_id"] for i in decode_stage_records(value)]
        assert got == [e.event_id for e in events if partition_of(reference_cluster[e.event_id]) == partition]
    assert len(items(sink)) == len(events)
    assert all(evt.message.acked for evt in put)


def test_state_is_written_and_offsets_acked_only_after_the_output_is_delivered(tmp_path: Any) -> None:
    events = coordinated_campaign(3, 2)
    topology, captured = build(tmp_path)
    changelog = Changelog(topology)
    captured["observations"].hold = True
    agent = topology.app.agents["score_accounts"]

    async def run() -> None:
        async with agent.test_context() as ctx:
            put = [await ctx.put(encoded(e), key=e.account_id, wait=False) for e in events]
            await until(lambda: len(items(captured["observations"])) == len(events))
            await asyncio.sleep(0.05)
            # sent, not yet delivered: no state written, nothing acked (a crash now redelivers all)
            assert changelog.of("account_state") == []
            assert not any(evt.message.acked for evt in put)
            captured["observations"].release()
            await until(lambda: stage_items(topology, "account") == len(events))
            assert len(changelog.of("account_state")) == 3
            assert all(evt.message.acked for evt in put)

    asyncio.run(run())


def test_evicting_an_idle_account_writes_the_tombstone_to_its_own_partition(tmp_path: Any) -> None:
    """An event on partition 1 evicts an account of partition 0: the delete belongs to partition 0."""
    idle = event(0, "idle-account", "hello there")
    later = [event(1 + i, "busy-account", "hello again", ts=T0 + (3 + i) * 3_600_000) for i in range(4)]
    topology, _ = build(tmp_path, {"account": {"idle_evict_hours": 1.0}}, batch_max_events=1)
    changelog = Changelog(topology)
    agent = topology.app.agents["score_accounts"]

    async def run() -> None:
        async with agent.test_context() as ctx:
            await ctx.put(encoded(idle), key=idle.account_id, partition=0)
            for e in later:
                await ctx.put(encoded(e), key=e.account_id, partition=1)
            await until(lambda: stage_items(topology, "account") == 1 + len(later))

    asyncio.run(run())

    tombstones = [(p, k) for p, k, v in changelog.of("account_state") if v is None]
    assert tombstones == [(0, "idle-account")]
    assert "idle-account" not in topology.tables["account_state"]
    assert all(p == 1 for p, k, v in changelog.of("account_state") if k == "busy-account")


# ------------------------------------------------------------------------------------------------
# The shared-trait side chain: score_accounts → trait-observations → score_traits → trait-evidence →
# absorb_coordination, read back by score_accounts
# ------------------------------------------------------------------------------------------------


async def replay_into(agent: Any, sink: Captured) -> None:
    """Put what a stage sent (captured) into the next agent, each record on the partition it was sent to."""
    for (key, value, _), partition in zip(sink.records, sink.partitions, strict=True):
        await agent.put(value, key=key, partition=partition, wait=False)


def test_the_account_agent_feeds_the_trait_chain_and_reads_its_answers(tmp_path: Any) -> None:
    topology, captured = build(tmp_path)
    changelog = Changelog(topology)
    agents = topology.app.agents
    events = sorted(coordinated_campaign(10, 10) + ordinary_users(6, 10), key=lambda e: e.ts)
    partition_of = PartitionForKey(None, Settings().topics.partitions)
    # the account stage reads the raw table the coordination agent writes (no write-back view of its own)
    coordination_table = topology.tables["account_coordination"]
    reader = topology.account_stage.coordination.table
    assert isinstance(reader, StampedReader) and reader.table is coordination_table
    assert isinstance(topology.coordination.table, BatchedTable)
    assert topology.coordination.table.table is coordination_table
    assert isinstance(topology.trait_stage.traits, BatchedTable)

    async def run() -> None:
        async with agents["score_accounts"].test_context() as accounts:
            for e in events:
                await accounts.put(encoded(e), key=e.account_id, wait=False)
            await until(lambda: stage_items(topology, "account") == len(events))
        assert changelog.of("account_coordination") == [], "the account agent only reads that table"
        async with agents["score_traits"].test_context() as traits:
            await replay_into(traits, captured["trait_observations"])
            await until(lambda: stage_items(topology, "trait") == len(items(captured["trait_observations"])))
        async with agents["absorb_coordination"].test_context() as sink:
            await replay_into(sink, captured["trait_evidence"])
            await until(
                lambda: stage_items(topology, "coordination") == len(items(captured["trait_evidence"]))
            )

    asyncio.run(run())

    # trait observations go to the partition of their trait value, evidence to its account's
    sent = captured["trait_observations"]
    assert sent.records and all(key is None for key, _, _ in sent.records)
    for (_, value, _), partition in zip(sent.records, sent.partitions, strict=True):
        assert {partition_of(item["key"]) for item in decode_stage_records(value)} == {partition}
    assert len(items(sent)) >= len(events)  # several trait values per request early on
    answers = captured["trait_evidence"]
    for (_, value, _), partition in zip(answers.records, answers.partitions, strict=True):
        assert {partition_of(item["account_id"]) for item in decode_stage_records(value)} == {partition}
    assert len(items(answers)) == len(items(sent))  # one answer per observation
    # the coordination sink wrote its table, each account on its own (the requests') partition
    writes = changelog.of("account_coordination")
    assert writes and all(p == partition_of(k) for p, k, _ in writes)
    assert all(p == partition_of(k) for p, k, _ in changelog.of("trait_state"))
    last = events[-1].ts
    hydra = {a for a in coordination_table if topology.coordination.signal(a, last)[0] > 0}
    assert hydra == {f"hydra-{i}" for i in range(10)}, "shared card: every campaign account has evidence"
    assert changelog.of("account_state")
    # the account stage reads the evidence on the account's next request
    follow_up = event(10_000, "hydra-3", "What is 6 times 7? Answer step by step.", ts=last + 1_000)
    observation = topology.account_stage.process(follow_up)
    assert observation is not None and observation.signals["shared_traits"] > 0


def test_state_is_written_only_after_the_trait_observations_are_delivered_too(tmp_path: Any) -> None:
    events = coordinated_campaign(3, 2)
    topology, captured = build(tmp_path)
    changelog = Changelog(topology)
    captured["trait_observations"].hold = True
    agent = topology.app.agents["score_accounts"]

    async def run() -> None:
        async with agent.test_context() as ctx:
            put = [await ctx.put(encoded(e), key=e.account_id, wait=False) for e in events]
            await until(lambda: len(items(captured["observations"])) == len(events))
            await until(lambda: len(items(captured["trait_observations"])) > 0)
            await asyncio.sleep(0.05)
            # observations delivered, trait observations sent but not delivered: nothing written or acked
            assert changelog.of("account_state") == []
            assert not any(evt.message.acked for evt in put)
            captured["trait_observations"].release()
            await until(lambda: stage_items(topology, "account") == len(events))
            assert len(changelog.of("account_state")) == 3
            assert all(evt.message.acked for evt in put)

    asyncio.run(run())


def test_trait_records_round_trip_through_the_internal_record_encoding() -> None:
    observation = TraitObservation("sys:9f2c", "sys", "acct-1", "org-1", 1_000, 0.75, 12)
    evidence = TraitEvidence("acct-1", "sys", "sys:9f2c", 0.5, 12.0, 9.0, 0.7, 1_000)
    for record in (observation, evidence):
        (data,) = decode_stage_records(encode_stage_records([record]))
        assert data == record.to_dict() and type(record).from_dict(data) == record


# ------------------------------------------------------------------------------------------------
# BatchedTable on its own
# ------------------------------------------------------------------------------------------------


class FakeTable(dict):
    """A dict that records the partition of Faust's current event at each write, like a Table."""

    name = "fake"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.log: list[tuple[str, int, Any]] = []

    def __setitem__(self, key: Any, value: Any) -> None:
        self.log.append(("set", _partition(), key))
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self.log.append(("del", _partition(), key))
        super().__delitem__(key)


def _partition() -> int:
    event = current_event()
    assert event is not None, "table written outside an event context"
    return event.message.partition


class FakeEvent:
    def __init__(self, partition: int) -> None:
        self.message = type("M", (), {"partition": partition})()


def test_batched_table_reads_its_own_writes_and_flushes_once_per_key() -> None:
    table = FakeTable({"old": b"0", "gone": b"x"})
    scope = PartitionScope()
    view = BatchedTable(table, scope, remember_partitions=True)
    events = [FakeEvent(p) for p in (0, 1, 2)]

    scope.enter(events[1])
    view["a"] = b"1"
    view["a"] = b"2"
    assert view["a"] == b"2" and table.get("a") is None  # nothing written before flush
    scope.enter(events[2])
    view["b"] = b"1"
    del view["b"]  # created and deleted in one batch: no write at all
    assert "b" not in view and view.get("b") is None
    scope.enter(events[0])
    view.pop("gone")
    assert "gone" not in view and "gone" in table
    assert sorted(view) == ["a", "old"] and len(view) == 2
    with pytest.raises(KeyError):
        del view["never"]

    assert view.flush() == 2
    assert table == {"old": b"0", "a": b"2"}
    assert sorted(table.log) == [("del", 0, "gone"), ("set", 1, "a")]
    assert current_event() is None  # the event context is restored after the flush
    assert view.flush() == 0

    # a later batch on partition 2 deletes "a": the tombstone goes to "a"'s own partition (1)
    scope.enter(events[2])
    del view["a"]
    view.flush()
    assert table.log[-1] == ("del", 1, "a")


def test_batched_table_refuses_writes_outside_a_batch() -> None:
    view = BatchedTable(FakeTable(), PartitionScope())
    with pytest.raises(RuntimeError):
        view["k"] = b"v"
    outer = FakeEvent(0)
    with faust_compat.current_event(outer):  # any outer context is left untouched
        scope = view.scope
        scope.enter(FakeEvent(3))
        view["k"] = b"v"
        view.flush()
        assert view.table.log == [("set", 3, "k")]
        assert _partition() == 0
    assert current_event() is None


def test_batch_settings_are_validated() -> None:
    assert WorkerSettings().batch_max_events == 500 and WorkerSettings().batch_max_wait_ms == 25
    for bad in ({"batch_max_events": 0}, {"batch_max_wait_ms": -1}, {"batch_max_wait_ms": 5000}):
        with pytest.raises(ValueError):
            WorkerSettings(**bad)


def test_batches_are_what_has_been_fetched_up_to_the_cap_and_can_linger(tmp_path: Any) -> None:
    events = coordinated_campaign(5, 5)  # 25 records
    topology, _ = build(tmp_path, batch_max_events=10)
    lingering, _ = build(tmp_path, batch_max_wait_ms=300)

    def batches(t: Topology) -> float:
        count = t.metrics.registry.get_sample_value("distillguard_batch_items_count", {"stage": "account"})
        return count or 0.0

    async def run() -> None:
        async with topology.app.agents["score_accounts"].test_context() as ctx:
            for e in events:
                await ctx.put(encoded(e), key=e.account_id, wait=False)
            await until(lambda: stage_items(topology, "account") == len(events))
        async with lingering.app.agents["score_accounts"].test_context() as ctx:
            await ctx.put(encoded(events[0]), key=events[0].account_id)
            await asyncio.sleep(0.05)  # arrives while the agent lingers: same batch
            await ctx.put(encoded(events[1]), key=events[1].account_id, wait=False)
            await until(lambda: stage_items(lingering, "account") == 2)

    asyncio.run(run())
    assert batches(topology) == 3  # 10 + 10 + 5
    assert batches(lingering) == 1


def test_internal_records_group_a_batchs_outputs_by_partition_in_order() -> None:
    partition_of = {"b": 1, "a": 0, "c": 1}.__getitem__
    groups = group_by_partition([("b", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5)], partition_of)
    assert groups == {1: [1, 3, 5], 0: [2, 4]} and list(groups) == [1, 0]
    assert decode_stage_records(b'{"event_id": "e"}') == [{"event_id": "e"}]  # written before batching
    assert decode_stage_records(b'[{"event_id": "e"}, {"event_id": "f"}]') == [
        {"event_id": "e"},
        {"event_id": "f"},
    ]


def test_a_full_internal_record_of_the_largest_stage_outputs_fits_a_producer_batch() -> None:
    """A record bigger than the producer's batch size is sent alone, and one above the broker's
    message.max.bytes is refused: MAX_ITEMS_PER_RECORD of the largest outputs seen must stay below."""
    detection = Settings().detection
    accounts, clusters = AccountStage(detection), ClusterStage(detection)
    largest, most_linked = b"", 0
    for e in sorted(coordinated_campaign(20, 12) + ordinary_users(6, 12), key=lambda e: e.ts):
        observation = accounts.process(e)
        assert observation is not None
        assessment = clusters.process(observation)
        most_linked = max(most_linked, len(assessment.linked_accounts))
        for output in (observation, assessment):
            largest = max(largest, encode_stage_records([output]), key=len)
    assert most_linked >= 19  # a campaign big enough to fill the listed accounts (the largest outputs)
    full = encode_stage_records([orjson.loads(largest)[0]] * MAX_ITEMS_PER_RECORD)
    assert len(full) < PRODUCER_MAX_BATCH_BYTES


# Partitions the Java client's murmur2 partitioner picks for these keys over 1,000 partitions (the values
# kafka-python's compatibility test took from the Java client's partitioner).
JAVA_CLIENT_PARTITIONS_OF_1000 = {
    b"": 681,
    b"a": 524,
    b"ab": 434,
    b"abc": 107,
    b"123456789": 566,
    b"\x00 ": 742,
}


def test_grouped_records_go_to_the_partition_the_java_client_would_pick_for_the_key() -> None:
    """A grouped record is sent to an explicit partition: it must be the one a keyed send would have
    chosen, or a key's state and its changelog move to another partition (and another worker)."""
    of_1000 = PartitionForKey(None, 1_000)
    assert {
        key: of_1000(key.decode()) for key in JAVA_CLIENT_PARTITIONS_OF_1000
    } == JAVA_CLIENT_PARTITIONS_OF_1000
    # the worker's partition counts, against kafka-python's independent murmur2 (positive part, modulo)
    keys = ["cluster-a", "acct_1", "x", "hydra-7", "c:3f9a0b1c2d", "ünïcødé"]
    for partitions in (1, 3, 8, 12):
        partition_of = PartitionForKey(None, partitions)
        expected = [(murmur2(key.encode()) & 0x7FFFFFFF) % partitions for key in keys]
        assert [partition_of(key) for key in keys] == expected
        assert [partition_of(key) for key in keys] == expected  # and the same from its cache
    # not a constant: 12 partitions spread these keys over more than one
    assert len({PartitionForKey(None, 12)(f"acct-{i}") for i in range(100)}) == 12


def test_a_big_group_is_split_into_records_of_bounded_size(tmp_path: Any) -> None:
    events = [event(i, "one-account", "Tell me a joke about cats.") for i in range(MAX_ITEMS_PER_RECORD + 6)]
    topology, captured = build(tmp_path)

    async def run() -> None:
        async with topology.app.agents["score_accounts"].test_context() as ctx:
            for e in events:
                await ctx.put(encoded(e), key=e.account_id, wait=False)
            await until(lambda: stage_items(topology, "account") == len(events))

    asyncio.run(run())
    sizes = [len(decode_stage_records(v)) for _, v, _ in captured["observations"].records]
    assert sizes == [MAX_ITEMS_PER_RECORD, 6]
    assert [i["event_id"] for i in items(captured["observations"])] == [e.event_id for e in events]


def test_a_failing_record_is_dead_lettered_or_skipped_and_the_batch_still_completes(tmp_path: Any) -> None:
    """A bug on one record must not stall its batch: a request goes to the dead-letter topic with its
    original bytes (the reason names the exception type, never its message), an internal record that
    cannot be decoded is counted and skipped; everything is acked."""
    events = coordinated_campaign(2, 3)
    topology, captured = build(tmp_path)
    original = topology.account_stage.process

    def flaky(request: RequestEvent, position: Any = None) -> Any:
        if request.event_id == events[2].event_id:
            raise ValueError(f"secret prompt text {request.prompt}")
        return original(request, position)

    topology.account_stage.process = flaky  # type: ignore[method-assign]

    async def run() -> tuple[list[Any], list[Any]]:
        async with topology.app.agents["score_accounts"].test_context() as ctx:
            put = [await ctx.put(encoded(e), key=e.account_id, wait=False) for e in events]
            await until(lambda: stage_items(topology, "account") == len(events))
        async with topology.app.agents["score_clusters"].test_context() as ctx:
            bad = await ctx.put(b"[not json", key=None, wait=False)
            good = [await ctx.put(v, key=k, wait=False) for k, v, _ in captured["observations"].records]
            await until(lambda: stage_items(topology, "cluster") == len(events) - 1)
            await asyncio.sleep(0.05)
        return put, [bad, *good]

    put, internal = asyncio.run(run())
    (key, value, headers), *_ = captured["dead_letter"].records
    assert (key, value) == (events[2].account_id, encoded(events[2]))
    assert headers is not None and headers["dlq.reason"].startswith(b"processing failed: ValueError at ")
    assert b"secret" not in headers["dlq.reason"]
    assert len(items(captured["observations"])) == len(events) - 1
    errors = topology.metrics.registry.get_sample_value
    assert errors("distillguard_processing_errors_total", {"stage": "account"}) == 1
    assert errors("distillguard_processing_errors_total", {"stage": "cluster"}) == 1
    assert all(evt.message.acked for evt in put + internal)


def test_an_internal_batch_is_capped_by_items_not_records(tmp_path: Any) -> None:
    events = coordinated_campaign(4, 4)  # 16 observations
    topology, captured = build(tmp_path)
    capped, _ = build(tmp_path, batch_max_events=5)

    async def run() -> None:
        async with topology.app.agents["score_accounts"].test_context() as ctx:
            for e in events:
                await ctx.put(encoded(e), key=e.account_id, wait=False)
            await until(lambda: stage_items(topology, "account") == len(events))
        async with capped.app.agents["score_clusters"].test_context() as ctx:
            for e in events:  # one observation per record, as a lightly loaded stage 1 sends them
                for _, value, _ in captured["observations"].records:
                    for item in decode_stage_records(value):
                        if item["event_id"] == e.event_id:
                            await ctx.put(orjson.dumps([item]), wait=False)
            await until(lambda: stage_items(capped, "cluster") == len(events))

    asyncio.run(run())
    batches = capped.metrics.registry.get_sample_value("distillguard_batch_items_count", {"stage": "cluster"})
    assert batches == 4  # 5 + 5 + 5 + 1


def test_a_batch_whose_output_is_not_delivered_leaves_no_state_and_no_acks(tmp_path: Any) -> None:
    events = coordinated_campaign(3, 2)
    topology, captured = build(tmp_path)
    changelog = Changelog(topology)
    captured["observations"].hold = True
    agent = topology.app.agents["score_accounts"]

    async def run() -> list[Any]:
        async with agent.test_context() as ctx:
            put = [await ctx.put(encoded(e), key=e.account_id, wait=False) for e in events]
            await until(lambda: len(items(captured["observations"])) == len(events))
            for future in captured["observations"].futures:
                future.set_exception(RuntimeError("broker said no"))
            await asyncio.sleep(0.1)
            return put

    put = asyncio.run(run())
    assert changelog.of("account_state") == [] and changelog.of("model_first_seen") == []
    assert not any(evt.message.acked for evt in put)
    assert stage_items(topology, "account") == 0
    assert topology.account_stage.accounts.pending == 0  # type: ignore[attr-defined]
