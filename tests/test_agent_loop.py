"""The generic agent loop on its own, with fake streams, tables and topics (no broker, no Faust app).

What every stage agent relies on: a batch's outputs are grouped per partition of their keys, delivered
before any state is written, each changed key is written once, and only then are the records acked; a
batch that fails anywhere writes no state and acks nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from faust.streams import current_event

from distillguard.streams.agent_loop import AgentLoop, Batching, BatchWork, batches
from distillguard.streams.batched_table import BatchedTable, PartitionScope
from distillguard.streams.internal_records import MAX_ITEMS_PER_RECORD, grouped_sink

# --- fakes ---------------------------------------------------------------------------------------


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    acked: bool = False


@dataclass
class Event:
    message: Message
    key: Any
    value: Any


def events(*values: tuple[int, Any]) -> list[Event]:
    """Events of (partition, value), offsets counted per partition."""
    offsets: dict[int, int] = {}
    out = []
    for partition, value in values:
        offset = offsets[partition] = offsets.get(partition, -1) + 1
        out.append(Event(Message("in", partition, offset), key=None, value=value))
    return out


class Queue:
    """The stream's buffer: what has been fetched and not yet handed to the agent."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def empty(self) -> bool:
        return self.stream.position >= self.stream.fetched


class Stream:
    """A Faust stream's surface the loop uses: ``noack().channel.queue``, ``events()``, ``ack()``.

    ``fetched`` is how many events the consumer has fetched so far (all, unless a test says otherwise).
    """

    def __init__(self, items: list[Event], fetched: int | None = None) -> None:
        self.items = items
        self.fetched = len(items) if fetched is None else fetched
        self.position = 0
        self.acked: list[Event] = []
        self.channel = type("Channel", (), {"queue": Queue(self)})()

    def noack(self) -> Stream:
        return self

    async def events(self) -> AsyncIterator[Event]:
        while self.position < len(self.items):
            self.position += 1
            self.fetched = max(self.fetched, self.position)
            yield self.items[self.position - 1]

    async def ack(self, event: Event) -> None:
        event.message.acked = True
        self.acked.append(event)


class Table(dict):
    """A dict recording (partition of Faust's current event, key) per write, as a Faust table's
    changelog would."""

    name = "table"

    def __init__(self) -> None:
        super().__init__()
        self.changelog: list[tuple[int, Any, Any]] = []

    def __setitem__(self, key: Any, value: Any) -> None:
        event = current_event()
        assert event is not None, "written outside of an event context"
        self.changelog.append((event.message.partition, key, value))
        super().__setitem__(key, value)


class Topic:
    """Stands in for a Faust topic's ``send``: records what is sent, returns the delivery future
    (resolved at once unless ``hold``; ``deliver``/``fail`` resolve held ones)."""

    def __init__(self, hold: bool = False) -> None:
        self.hold = hold
        self.sent: list[tuple[int | None, bytes]] = []
        self.futures: list[asyncio.Future[None]] = []

    async def send(self, *, key: Any = None, value: bytes = b"", partition: int | None = None) -> Any:
        self.sent.append((partition, value))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.hold:
            self.futures.append(future)
        else:
            future.set_result(None)
        return future

    def deliver(self) -> None:
        for future in self.futures:
            future.set_result(None)

    def fail(self) -> None:
        for future in self.futures:
            future.set_exception(RuntimeError("broker said no"))


class Counter:
    """A stage step over ``{"key": k, "to": next_key}`` payload dicts: counts per key in the table,
    hands on (next_key, key) for every input."""

    def __init__(self, view: BatchedTable) -> None:
        self.view = view

    def __call__(self, event: Event, payload: Any, work: BatchWork) -> None:
        record = orjson.loads(event.value)
        self.view[record["key"]] = self.view.get(record["key"], 0) + 1
        work.items += 1
        work.outputs.append((record["to"], record["key"]))


def record(key: str, to: str) -> bytes:
    return orjson.dumps({"key": key, "to": to})


def partition_of(key: str) -> int:
    """The partitions of the next topic: the key's trailing digit."""
    return int(key[-1])


@dataclass
class Setup:
    loop: AgentLoop
    table: Table
    view: BatchedTable
    topic: Topic
    reports: list[tuple[int, int, int]]  # (records, items, dropped)


def setup(hold: bool = False, step: Any = None) -> Setup:
    table, topic, scope = Table(), Topic(hold=hold), PartitionScope()
    view = BatchedTable(table, scope)
    reports: list[tuple[int, int, int]] = []
    loop = AgentLoop(
        "test",
        step=step or Counter(view),
        sink=grouped_sink(topic, partition_of),
        scope=scope,
        views=[view],
        batching=Batching(max_items=100),
        report=lambda records, work, _busy, _waited: reports.append((records, work.items, work.dropped)),
    )
    return Setup(loop, table, view, topic, reports)


def sent_items(topic: Topic) -> list[tuple[int | None, list[Any]]]:
    return [(partition, orjson.loads(value)) for partition, value in topic.sent]


# --- the loop ------------------------------------------------------------------------------------


def test_outputs_are_grouped_per_partition_of_their_key_in_processing_order() -> None:
    s = setup()
    batch = events(
        (0, record("a", "x1")),
        (1, record("b", "y2")),
        (0, record("c", "z1")),
        (2, record("d", "w3")),
        (1, record("e", "v2")),
    )
    stream = Stream(batch)
    asyncio.run(s.loop.process(stream, [(event, None) for event in batch]))
    # one record per destination partition, in order of first appearance, items in processing order
    assert sent_items(s.topic) == [(1, ["a", "c"]), (2, ["b", "e"]), (3, ["d"])]
    assert s.reports == [(5, 5, 0)]


def test_a_group_is_split_into_records_of_at_most_max_items() -> None:
    s = setup()
    batch = events(*[(0, record(f"k{i}", "same1")) for i in range(MAX_ITEMS_PER_RECORD * 2 + 3)])
    asyncio.run(s.loop.process(Stream(batch), [(event, None) for event in batch]))
    sizes = [(partition, len(items)) for partition, items in sent_items(s.topic)]
    assert sizes == [(1, MAX_ITEMS_PER_RECORD), (1, MAX_ITEMS_PER_RECORD), (1, 3)]
    assert [item for _, items in sent_items(s.topic) for item in items] == [
        f"k{i}" for i in range(MAX_ITEMS_PER_RECORD * 2 + 3)
    ]


def test_each_changed_key_is_written_once_on_its_source_partition_after_delivery_then_acked() -> None:
    s = setup(hold=True)
    batch = events(
        (0, record("a", "x1")),
        (1, record("b", "x1")),
        (0, record("a", "x1")),
        (1, record("b", "x1")),
        (0, record("a", "x1")),
    )
    stream = Stream(batch)

    async def run() -> None:
        task = asyncio.create_task(s.loop.process(stream, [(event, None) for event in batch]))
        for _ in range(5):
            await asyncio.sleep(0)
        # handed to the producer, not delivered: no state written, nothing acked
        assert len(s.topic.sent) == 1 and not task.done()
        assert s.table.changelog == [] and stream.acked == []
        s.topic.deliver()
        await task

    asyncio.run(run())
    assert sorted(s.table.changelog) == [(0, "a", 3), (1, "b", 2)]  # once per key, final value
    assert stream.acked == batch
    assert s.view.pending == 0


def test_a_batch_whose_send_fails_writes_no_state_and_acks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    s = setup(hold=True)
    batch = events((0, record("a", "x1")), (1, record("b", "y2")))
    stream = Stream(batch)

    async def run() -> None:
        task = asyncio.create_task(s.loop.process(stream, [(event, None) for event in batch]))
        for _ in range(5):
            await asyncio.sleep(0)
        s.topic.fail()
        with pytest.raises(RuntimeError, match="broker said no"):
            await task

    with caplog.at_level(logging.ERROR, logger="distillguard.worker"):
        asyncio.run(run())
    assert s.table == {} and s.table.changelog == []
    assert stream.acked == [] and not any(event.message.acked for event in batch)
    assert s.view.pending == 0  # the batch's writes were discarded, not left for the next batch
    assert s.reports == []
    assert "batch of 2 records not completed" in caplog.text

    # the redelivered batch starts from the state before it
    s.topic.hold = False
    asyncio.run(s.loop.process(stream, [(event, None) for event in batch]))
    assert dict(s.table) == {"a": 1, "b": 1} and stream.acked == batch


def test_a_failing_dead_letter_delivery_also_keeps_the_batch_uncommitted() -> None:
    """Deliveries the step starts itself (dead letters) are waited for with the outputs."""
    s = setup()
    inner = Counter(s.view)

    async def undeliverable() -> None:
        raise RuntimeError("dead-letter topic unavailable")

    def step(event: Event, payload: Any, work: BatchWork) -> None:
        inner(event, payload, work)
        work.deliveries.append(undeliverable())

    s.loop.step = step
    batch = events((0, record("a", "x1")))
    stream = Stream(batch)
    with pytest.raises(RuntimeError, match="dead-letter topic unavailable"):
        asyncio.run(s.loop.process(stream, [(event, None) for event in batch]))
    assert s.table.changelog == [] and stream.acked == []


def test_a_step_that_raises_sends_nothing_writes_nothing_and_acks_nothing() -> None:
    s = setup()
    inner = Counter(s.view)

    def step(event: Event, payload: Any, work: BatchWork) -> None:
        if event.message.offset == 1:
            raise ValueError("bug")
        inner(event, payload, work)

    s.loop.step = step
    batch = events((0, record("a", "x1")), (0, record("b", "x1")))
    stream = Stream(batch)
    with pytest.raises(ValueError):
        asyncio.run(s.loop.process(stream, [(event, None) for event in batch]))
    assert s.topic.sent == [] and s.table.changelog == [] and stream.acked == []


def test_run_processes_the_stream_in_batches_and_reports_each() -> None:
    s = setup()
    s.loop.batching = Batching(max_items=2)
    batch = events(*[(i % 2, record(f"k{i}", f"n{i % 3}")) for i in range(5)])
    stream = Stream(batch)
    asyncio.run(s.loop.run(stream))
    assert s.reports == [(2, 2, 0), (2, 2, 0), (1, 1, 0)]
    assert stream.acked == batch
    assert sorted(k for _, k, _ in s.table.changelog) == [f"k{i}" for i in range(5)]


# --- batching ------------------------------------------------------------------------------------


async def collect(stream: Stream, batching: Batching, decode: Any = None) -> list[list[tuple[Event, Any]]]:
    return [batch async for batch in batches(stream, batching, decode)]


def test_a_batch_is_what_has_been_fetched_up_to_the_cap() -> None:
    items = events(*[(0, b"[1]") for _ in range(7)])
    got = asyncio.run(collect(Stream(items), Batching(max_items=3)))
    assert [len(batch) for batch in got] == [3, 3, 1]
    # only 2 fetched when the agent gets there: a batch is cut rather than waiting for a full one
    got = asyncio.run(collect(Stream(items, fetched=2), Batching(max_items=100)))
    assert len(got[0]) == 2


def test_internal_records_count_their_items_and_bad_ones_carry_the_exception() -> None:
    items = events((0, b"[1, 2, 3]"), (0, b"not json"), (0, b"[4, 5]"), (0, b"[6]"))
    got = asyncio.run(collect(Stream(items), Batching(max_items=4), orjson.loads))
    assert [len(batch) for batch in got] == [2, 2]  # 3 items + 1 for the bad record reach the cap of 4
    payloads = [payload for batch in got for _, payload in batch]
    assert payloads[0] == [1, 2, 3] and isinstance(payloads[1], orjson.JSONDecodeError)
    assert payloads[2:] == [[4, 5], [6]]


# --- a stage that feeds a side chain (the account stage) -------------------------------------------


class Fanning(Counter):
    """:class:`Counter` that also fans each input out into side-chain inputs ``{"key": k, "side": [..]}``,
    as the account stage sends its trait observations, keyed by each one's own key."""

    def __call__(self, event: Event, payload: Any, work: BatchWork) -> None:
        super().__call__(event, payload, work)
        for side_key in orjson.loads(event.value).get("side", []):
            work.branch_outputs.append((side_key, f"{side_key}<-{work.outputs[-1][1]}"))


def fanning_setup(*, hold_main: bool = False, hold_branch: bool = False) -> tuple[Setup, Topic]:
    table, scope = Table(), PartitionScope()
    main, branch = Topic(hold=hold_main), Topic(hold=hold_branch)
    view = BatchedTable(table, scope)
    reports: list[tuple[int, int, int]] = []
    loop = AgentLoop(
        "account",
        step=Fanning(view),
        sink=grouped_sink(main, partition_of),
        branch_sink=grouped_sink(branch, partition_of),
        scope=scope,
        views=[view],
        batching=Batching(max_items=100),
        report=lambda records, work, _busy, _waited: reports.append((records, work.items, work.dropped)),
    )
    return Setup(loop, table, view, main, reports), branch


def side_record(key: str, to: str, *side: str) -> bytes:
    return orjson.dumps({"key": key, "to": to, "side": list(side)})


def test_a_fanned_out_batch_sends_both_outputs_grouped_per_partition_in_the_same_batch() -> None:
    s, branch = fanning_setup()
    batch = events(
        (0, side_record("a", "x1", "sys2", "ip3")),
        (1, side_record("b", "y2", "sys2")),
        (0, side_record("c", "z1")),
    )
    stream = Stream(batch)
    asyncio.run(s.loop.process(stream, [(event, None) for event in batch]))
    assert sent_items(s.topic) == [(1, ["a", "c"]), (2, ["b"])]
    # the side inputs travel under their own keys' partitions, in processing order
    assert sent_items(branch) == [(2, ["sys2<-a", "sys2<-b"]), (3, ["ip3<-a"])]
    assert stream.acked == batch and sorted(s.table.changelog) == [(0, "a", 1), (0, "c", 1), (1, "b", 1)]


@pytest.mark.parametrize("held", ["main", "branch"])
def test_state_is_written_and_acked_only_after_both_outputs_are_delivered(held: str) -> None:
    """The account stage's at-least-once order holds for its trait observations as for its observations:
    a batch whose side-chain records are not yet delivered writes no state and acks nothing."""
    s, branch = fanning_setup(hold_main=held == "main", hold_branch=held == "branch")
    pending = s.topic if held == "main" else branch
    batch = events((0, side_record("a", "x1", "sys2")), (1, side_record("b", "y2", "sys3")))
    stream = Stream(batch)

    async def run() -> None:
        task = asyncio.create_task(s.loop.process(stream, [(event, None) for event in batch]))
        for _ in range(5):
            await asyncio.sleep(0)
        # both outputs handed to the producer, one not delivered yet: no state, no acks
        assert len(s.topic.sent) == 2 and len(branch.sent) == 2 and not task.done()
        assert s.table.changelog == [] and stream.acked == []
        pending.deliver()
        await task

    asyncio.run(run())
    assert sorted(s.table.changelog) == [(0, "a", 1), (1, "b", 1)] and stream.acked == batch


def test_a_batch_whose_side_chain_send_fails_writes_no_state_and_acks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s, branch = fanning_setup(hold_branch=True)
    batch = events((0, side_record("a", "x1", "sys2")))
    stream = Stream(batch)

    async def run() -> None:
        task = asyncio.create_task(s.loop.process(stream, [(event, None) for event in batch]))
        for _ in range(5):
            await asyncio.sleep(0)
        branch.fail()
        with pytest.raises(RuntimeError, match="broker said no"):
            await task

    with caplog.at_level(logging.ERROR, logger="distillguard.worker"):
        asyncio.run(run())
    assert s.topic.sent, "the main output was sent (and delivered) all the same"
    assert s.table.changelog == [] and stream.acked == [] and s.view.pending == 0
    assert "batch of 1 records not completed" in caplog.text


class HoldPartition:
    """A pacing that holds every record of one partition until ``let_go`` (streams.agent_loop.Pacing)."""

    def __init__(self, partition: int) -> None:
        self.partition, self.let_go = partition, False
        self.held: list[tuple[Any, Any]] = []
        self.last: list[tuple[Any, Any]] = []

    def admit(self, batch: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        self.held += [item for item in batch if item[0].message.partition == self.partition]
        return [item for item in batch if item[0].message.partition != self.partition]

    def release(self, limit: int | None = None) -> list[tuple[Any, Any]]:
        if not self.let_go:
            return []
        n = len(self.held) if limit is None else limit
        self.last, self.held = self.held[:n], self.held[n:]
        return self.last

    def unrelease(self) -> None:
        self.held, self.last = self.last + self.held, []


def test_paced_records_are_processed_by_release_in_batches_and_a_failed_one_is_held_again() -> None:
    s = setup(hold=True)
    pacing = HoldPartition(1)
    s.loop.pacing = pacing
    batch = events(*[(i % 2, record(f"k{i}", "x1")) for i in range(250)])
    stream = Stream(batch)

    async def run() -> None:
        s.topic.hold = False
        await s.loop.run(stream)  # partition 0 processed, partition 1 held
        assert len(stream.acked) == 125 and len(pacing.held) == 125
        pacing.let_go = True
        s.topic.hold = True  # the first released batch's delivery fails
        task = asyncio.create_task(s.loop.release())
        for _ in range(5):
            await asyncio.sleep(0)
        s.topic.fail()
        assert await task == 0
        assert len(stream.acked) == 125 and len(pacing.held) == 125  # held again, nothing acked
        s.topic.hold, s.topic.futures = False, []
        assert await s.loop.release() == 125

    asyncio.run(run())
    assert len(stream.acked) == 250 and not pacing.held
    # the stream's batches of 100, 100 and 50 less what was held, then the released ones, at most
    # max_items (100) at a time
    assert [items for _, items, _ in s.reports] == [50, 50, 25, 100, 25]
    assert s.table["k249"] == 1
