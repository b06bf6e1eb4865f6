"""The one agent loop every stage agent runs: batching and at-least-once, whatever the stage.

An agent takes what the consumer has already fetched for it, up to ``max_items`` items (it does not wait
for a batch to fill unless ``wait_s`` > 0). Per batch, :meth:`AgentLoop.process`

1. runs the stage's step over each record in offset order, after entering the record's source
   partition in the stage's :class:`~streams.batched_table.PartitionScope` (the stage reads and writes its
   state through :class:`~streams.batched_table.BatchedTable` views);
2. hands the step's outputs to the sink (an internal topic's sink sends one record per destination
   partition, see :mod:`streams.internal_records`) and its side-chain inputs, if the stage feeds one,
   to the branch sink, then waits once for all of the batch's records, including any the step sent
   itself (dead letters), to be delivered;
3. lets the stage write what it writes once per batch (``before_flush``: the snapshots of its
   partition-scoped soft models, models.soft_state), then flushes the views: each changed state key is
   written once to its table, and so to the changelog partition of the source partition it belongs to;
4. only then acks the batch's records, so their offsets become committable (Faust's commit also flushes
   the producer first).

A batch that does not complete (an exception or a cancellation anywhere before 4) discards its state
writes and acks nothing: it is redelivered, and the account stage drops what its (partition, offset)
dedupe says was already applied; every later stage skips an item whose key's state is stamped with
this record's source offset or a later one (:meth:`~streams.batched_table.BatchedTable.applied`: the
stamp travels in the same changelog record as the state). State is written only after the batch's
output is on the broker, so a redelivery that the dedupe drops cannot have lost its output.

Nothing here knows Kafka, Faust or a stage: the stream, views, step and sink are passed in (the unit
tests drive it with fakes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from distillguard.streams.internal_records import Sink

log = logging.getLogger("distillguard.worker")

# Longest stretch an agent processes a batch without yielding to the event loop.
YIELD_EVERY_S = 0.05


@dataclass(slots=True)
class BatchWork:
    """What a stage's step made of one batch, in processing order."""

    outputs: list[tuple[str, Any]] = field(default_factory=list)  # (key, output) for the sink
    # per output, the (partition, offset) of the request it derives from (None: unknown), for a sink
    # that carries origins (streams.internal_records.grouped_sink)
    origins: list[tuple[int, int] | None] = field(default_factory=list)
    # (key, input of the side chain) for the branch sink: what a stage's outputs fan out into
    branch_outputs: list[tuple[str, Any]] = field(default_factory=list)
    branch_origins: list[tuple[int, int] | None] = field(default_factory=list)  # per branch output
    deliveries: list[Awaitable[Any]] = field(default_factory=list)  # sends of the step's own (dead letters)
    items: int = 0  # units processed: requests, or the stage outputs internal records carry
    dropped: int = 0  # inputs the stage consumed without an output (the account stage: duplicates)
    redelivered: int = 0  # items a later stage skipped: already applied to their key's state


async def _send(
    sink: Sink, outputs: list[tuple[str, Any]], origins: list[tuple[int, int] | None]
) -> list[Awaitable[Any]]:
    """``outputs`` to ``sink``, with their origins when the sink carries them and each output has one
    entry (a step that does not track origins leaves the list empty)."""
    if getattr(sink, "carries_origins", False) and len(origins) == len(outputs):
        return await sink(outputs, origins)  # type: ignore[call-arg]
    return await sink(outputs)


# A stage's step: one (event, payload) of the batch → appended to the batch's work.
Step = Callable[[Any, Any, BatchWork], None]
# Called once per completed batch: (records, work, busy seconds, seconds waited for delivery).
Report = Callable[[int, BatchWork, float, float], None]


class StateView(Protocol):
    """A write-back state view (:class:`~streams.batched_table.BatchedTable`)."""

    def flush(self) -> int: ...

    def discard(self) -> int: ...


class Scope(Protocol):
    """Where the loop tells the views which record is being processed (``PartitionScope``)."""

    def enter(self, event: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class Batching:
    """How much an agent takes at once: up to ``max_items`` items, lingering ``wait_s`` for more."""

    max_items: int
    wait_s: float = 0.0


async def batches(
    stream: Any, batching: Batching, decode: Callable[[bytes], Any] | None = None
) -> AsyncIterator[list[tuple[Any, Any]]]:
    """The agent's records in batches of (event, payload): all records already fetched for it, up to
    ``batching.max_items`` items (requests, or the stage outputs internal records carry).

    ``payload`` is ``decode(event.value)`` (or the exception it raised) when ``decode`` is given. A
    batch is cut as soon as the stream's buffer (what the consumer has fetched and not yet handed to the
    agent) is empty, so a lone record is processed right away and a backlog ``max_items`` items at a
    time; ``wait_s`` > 0 lingers once per batch for more records first. Records are never acked here
    (``noack()``): :meth:`AgentLoop.process` acks them after the batch's effects. Faust's ``take()`` is
    not used: it acks a batch in a ``finally``, also when the agent raises, and it always waits its
    ``within`` timeout for a batch that is not full.
    """
    batch_max, batch_wait_s = batching.max_items, batching.wait_s
    noack = stream.noack()
    queue = noack.channel.queue
    batch: list[tuple[Any, Any]] = []
    items = 0
    lingered = False
    async for event in noack.events():
        payload: Any = None
        if decode is not None:
            try:
                payload = decode(event.value)
            except Exception as exc:  # reported by the step, with the record's position
                payload = exc
        batch.append((event, payload))
        items += len(payload) if isinstance(payload, list) else 1
        if items >= batch_max:
            yield batch
            batch, items, lingered = [], 0, False
        elif queue.empty():
            if batch_wait_s and not lingered:
                lingered = True
                await asyncio.sleep(batch_wait_s)
                if not queue.empty():
                    continue
            yield batch
            batch, items, lingered = [], 0, False


def _no_report(_records: int, _work: BatchWork, _busy: float, _waited: float) -> None:
    return None


class Pacing(Protocol):
    """What holds records back between the stream and the step (:class:`streams.pacing.RequestPacing`)."""

    def admit(self, batch: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]: ...

    def release(self, limit: int | None = None) -> list[tuple[Any, Any]]: ...

    def unrelease(self) -> None: ...


class AgentLoop:
    """One stage agent's loop: ``await loop.run(stream)`` is the Faust agent's body.

    With ``pacing``, each batch first goes through it: what it holds back is processed later, by
    :meth:`release`, which the worker calls on a timer (the agent itself waits on the stream, which
    may have nothing more to give). Both run under one lock, so the stage sees one batch at a time.
    """

    def __init__(
        self,
        name: str,
        *,
        step: Step,
        sink: Sink,
        branch_sink: Sink | None = None,
        scope: Scope,
        views: Sequence[StateView],
        batching: Batching,
        decode: Callable[[bytes], Any] | None = None,
        report: Report = _no_report,
        stopping: Callable[[], bool] = lambda: False,
        processed: MutableMapping[tuple[str, int], int] | None = None,
        before_flush: Callable[[], None] | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.name = name
        self.pacing = pacing
        self._lock = asyncio.Lock()
        self._stream: Any = None
        self.before_flush = before_flush  # once per completed batch, before the views are flushed
        self.step, self.sink, self.scope, self.views = step, sink, scope, tuple(views)
        self.branch_sink = branch_sink
        self.batching, self.decode, self.report, self.stopping = batching, decode, report, stopping
        self.processed = processed  # (topic, partition) -> offset after the last acked record

    async def run(self, stream: Any) -> None:
        """Process the stream's records batch by batch, until the stream ends."""
        self._stream = stream
        pacing = self.pacing
        async for batch in batches(stream, self.batching, self.decode):
            if pacing is not None:
                async with self._lock:
                    admitted = pacing.admit(batch)
                    if admitted:
                        await self.process(stream, admitted)
            else:
                await self.process(stream, batch)

    async def release(self) -> int:
        """Process the held records pacing now lets through, in batches of at most ``max_items`` (as
        the stream's are: a batch's size is what its commit may lag behind); returns how many. A batch
        that fails here is handed back to pacing, held as before (its state writes dropped, nothing
        acked), and tried again on the next call; the failure is logged by :meth:`process`."""
        if self.pacing is None or self._stream is None:
            return 0
        done = 0
        while True:
            async with self._lock:
                ready = self.pacing.release(self.batching.max_items)
                if not ready:
                    return done
                try:
                    await self.process(self._stream, ready)
                except Exception:
                    self.pacing.unrelease()
                    return done
            done += len(ready)
            await asyncio.sleep(0)  # let the commit task and the other agents in between batches

    async def process(self, stream: Any, batch: Sequence[tuple[Any, Any]]) -> None:
        """One batch, with its effects in at-least-once order (see the module docstring)."""
        with self._uncommitted_on_failure(batch):
            started = time.perf_counter()
            work = BatchWork()
            step, enter, slice_end = self.step, self.scope.enter, started + YIELD_EVERY_S
            for event, payload in batch:
                enter(event)
                step(event, payload, work)
                if time.perf_counter() >= slice_end:
                    # Let the rest of the worker run (offset commits, heartbeats, the other agents'
                    # deliveries): a batch of hundreds of items otherwise holds the event loop for up
                    # to a second, and a commit, which waits several times, falls seconds behind.
                    await asyncio.sleep(0)
                    slice_end = time.perf_counter() + YIELD_EVERY_S
            # The outputs go to the producer first; the step's dead-letter sends are coroutines that start
            # when gathered, after them.
            sent = await _send(self.sink, work.outputs, work.origins)
            deliveries = [*work.deliveries, *sent]
            if self.branch_sink is not None:
                deliveries.extend(await _send(self.branch_sink, work.branch_outputs, work.branch_origins))
            waited = 0.0
            if deliveries:
                wait_started = time.perf_counter()
                await asyncio.gather(*deliveries)  # raises (and nothing below runs) if one was not delivered
                waited = time.perf_counter() - wait_started
            if self.before_flush is not None:
                self.before_flush()
            for view in self.views:
                view.flush()
            processed = self.processed
            for event, _ in batch:
                await stream.ack(event)
                if processed is not None:
                    message = event.message
                    processed[(message.topic, message.partition)] = message.offset + 1
            self.report(len(batch), work, time.perf_counter() - started - waited, waited)

    @contextmanager
    def _uncommitted_on_failure(self, batch: Sequence[Any]) -> Iterator[None]:
        """A batch that does not complete (an exception or a cancellation escaping the agent, which Faust
        answers by restarting the agent, logging the latter only at INFO) leaves no durable trace: its
        state writes are dropped, its records stay unacked (their offsets are not committed). Logged."""
        try:
            yield
        except BaseException as exc:
            for view in self.views:
                view.discard()
            if not self.stopping():
                log.error(
                    "%s stage: batch of %d records not completed (%s: %s); its offsets stay uncommitted",
                    self.name,
                    len(batch),
                    type(exc).__name__,
                    exc,
                )
            raise
