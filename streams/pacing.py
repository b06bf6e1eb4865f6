"""Event-time pacing of the request partitions: none runs more than ``max_skew_ms`` of event time ahead
of another that still has records to process, on this worker or another.

Why: the cluster stage meets the requests of every request partition, in the order the account stage's
batches deliver them, and its campaign linker names a request after its group's smallest member
``name_settle_s`` before it in event time (models.campaigns). Live, every partition is at the head of
its log, their event times move together, and this module holds nothing. Working off a backlog (a
worker restarted, a partition changed hands, a day replayed through the topic) each partition otherwise
runs as fast as its worker: hours of event time apart, and which accounts end in which campaign then
depends on which worker was faster. Emulated offline (evaluation.interleaving), partitions kept within
``name_settle_s`` of each other decided as ``replay`` does in 8 of 8 interleavings; unbounded, 1-3
accounts ended under another campaign id in 7 of 8.

How: the *frontier* of a partition is a lower bound of the event time of its next record (that of its
oldest held record, else of its last processed one; unknown before it has either). A partition *counts*
while it may have records to process: records held, fetched records below its high watermark, or, for
another worker's partition, a report that says so; and, in any case, until an end offset of its log read
after the record in question arrived is at the position this worker (or the owner's report) gives. A
record of partition ``p`` is admitted once its ``ts`` is at most ``max_skew_ms`` past the lowest frontier
among the other partitions that count (an unknown one holds everything); otherwise it is held, with every
later record of ``p``, until it is. The worker pauses fetching from a partition while it holds records of
it, so what is held stays what had already been fetched. Every worker reports its partitions' frontiers
(:meth:`EventTimeGate.reports`) and takes in the others' (:meth:`EventTimeGate.learn`), over a small topic
(streams.app_config).

Why the end offsets: "caught up" is about the past, for this worker's high watermarks (as old as the last
fetch) as for an owner's report. Records may have arrived since that nobody has seen, or that nobody will
process for a while (their owner was killed; the group has not handed the partition over yet), and running
ahead of them is what pacing is for. So a caught-up partition counts until an end-offset reading
(:meth:`EventTimeGate.learn_ends`) taken after the record arrived here shows nothing past its position;
without readings for ``stale_after_s``, this worker's own consumer is trusted. Live, this costs nothing:
the partitions' frontiers are seconds apart, far within the bound; a record more than the bound ahead of a
quiet partition's frontier waits for the next reading.

Liveness: the counting partition with the lowest frontier can always go (a record at most
``max_skew_ms`` past the lowest other frontier); another worker's partition whose last report is older
than ``stale_after_s`` (its owner stopped, until the group hands it over) or that has not reported
within ``stale_after_s`` of this gate's start no longer counts; more than ``max_held`` records held for
one partition releases its oldest anyway. Both are counted (:attr:`EventTimeGate.forced`): they are
where the bound is given up rather than the stream stopped.

>>> gate = EventTimeGate(max_skew_ms=300_000, partitions=2, owned={0, 1})
>>> gate.watermarks({0: 10, 1: 10})  # both partitions have fetched records not yet processed
>>> gate.admit([(0, 0, 1_000, "a"), (1, 0, 2_000, "c")])  # "a" waits until partition 1's time is known
['c']
>>> gate.release()
['a']
>>> gate.admit([(0, 1, 900_000, "b"), (1, 1, 700_000, "d")])  # "b" is 898 s ahead of partition 1
['d']
>>> gate.release()  # ... and within 300 s of it once "d" is processed
['b']
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

UNKNOWN = -(2**62)  # frontier of a counting partition whose next event time nobody knows yet


class Report(NamedTuple):
    """What a worker reports of one of its request partitions."""

    partition: int
    frontier_ms: int | None
    backlogged: bool
    position: int | None = None  # the offset of its next record to process, when known

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "partition": self.partition,
                "frontier": self.frontier_ms,
                "backlog": self.backlogged,
                "position": self.position,
            }
        )

    @classmethod
    def decode(cls, value: bytes) -> Report:
        """A report from its record; raises ValueError (or KeyError/TypeError) on a malformed one."""
        raw = orjson.loads(value)
        frontier = raw["frontier"]
        position = raw.get("position")
        return cls(
            int(raw["partition"]),
            None if frontier is None else int(frontier),
            bool(raw["backlog"]),
            None if position is None else int(position),
        )


@dataclass(slots=True)
class _Own:
    """An owned partition: what is held of it and how far it got."""

    held: deque[tuple[int | None, int, Any, float]]  # (ts, offset, item, when it arrived)
    last_ts: int | None = None  # highest event time admitted
    next_offset: int | None = None  # offset after the last record admitted
    highwater: int | None = None  # the consumer's high watermark (None: not fetched yet)
    committed: int | None = None  # the group's committed offset (where fetching started)
    unknown_since: float | None = None  # when it started to count without a known frontier

    def position(self) -> int | None:
        return self.next_offset if self.next_offset is not None else self.committed

    def backlogged(self) -> bool:
        if self.held or self.highwater is None:
            return True
        position = self.position()
        return self.highwater > 0 if position is None else position < self.highwater

    def frontier(self) -> int:
        head = self.held[0][0] if self.held else None
        known = [t for t in (self.last_ts, head) if t is not None]
        return max(known) if known else UNKNOWN


class EventTimeGate:
    """Holds back a request partition's records while it is ``max_skew_ms`` of event time ahead of
    another partition with a backlog (module docstring). Items are ``(partition, offset, ts, item)``;
    ``ts`` None (a record that does not decode) is never held for its own sake."""

    def __init__(
        self,
        *,
        max_skew_ms: int,
        partitions: int,
        owned: Iterable[int] = (),
        max_held: int = 20_000,
        stale_after_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_skew_ms, self.partitions, self.max_held = max_skew_ms, partitions, max_held
        self.stale_after_s, self.clock = stale_after_s, clock
        self.started = clock()
        self.own: dict[int, _Own] = {}
        self.remote: dict[int, tuple[Report, float]] = {}  # partition -> (its last report, received at)
        self.ends: dict[int, int] = {}  # partition -> its log's end offset, as last read
        self.ends_at = float("-inf")  # when they were read
        self.forced = 0  # records admitted past the bound (a held partition over max_held)
        self.held_total = 0  # records ever held
        self.stale_ignored = 0  # times a silent partition stopped counting
        self._silent: set[int] = set()
        self.reached: dict[int, int] = {}  # partition -> highest event time admitted here, ever
        self._released: list[tuple[int, tuple[int | None, int, Any]]] = []  # what release() last returned
        self._before: dict[int, tuple[int | None, int | None]] = {}  # (last_ts, next_offset) before it
        self.assigned(owned)

    # -- ownership and what the worker learns ------------------------------------------------------------

    def assigned(self, partitions: Iterable[int]) -> list[Any]:
        """This worker now owns ``partitions``; returns the held items of partitions it lost (not to be
        processed or acked: their new owner fetches them again from the committed offset)."""
        owned = set(partitions)
        dropped = [
            item for p in [p for p in self.own if p not in owned] for _, _, item, _ in self.own.pop(p).held
        ]
        for p in owned:
            if p not in self.own:
                # A partition (re)assigned starts from the furthest this worker, or its previous owner's
                # last report, says it had got; its held records, if any, are fetched again.
                report = self.remote.pop(p, (None, 0.0))[0]
                known = [t for t in (self.reached.get(p), report and report.frontier_ms) if t is not None]
                self.own[p] = _Own(deque(), last_ts=max(known) if known else None)
        return dropped

    def watermarks(
        self, highwaters: Mapping[int, int | None], committed: Mapping[int, int | None] | None = None
    ) -> None:
        """The consumer's high watermarks of owned partitions (None: nothing fetched yet), and the
        group's committed offsets (where a partition's fetching starts after an assignment)."""
        for p, highwater in highwaters.items():
            if p in self.own:
                self.own[p].highwater = highwater
                if committed is not None:
                    self.own[p].committed = committed.get(p)

    def learn(self, report: Report) -> None:
        """Another worker's report of one of its partitions (a report of an owned one is ignored: this
        worker knows better, and the report may be the previous owner's last)."""
        if report.partition not in self.own and 0 <= report.partition < self.partitions:
            self.remote[report.partition] = (report, self.clock())

    def learn_ends(self, ends: Mapping[int, int], at: float) -> None:
        """The request partitions' end offsets, read at ``at`` (this gate's clock) or later."""
        self.ends, self.ends_at = dict(ends), at

    def reports(self) -> list[Report]:
        """This worker's reports of the partitions it owns."""
        return [
            Report(p, None if (f := own.frontier()) == UNKNOWN else f, own.backlogged(), own.position())
            for p, own in sorted(self.own.items())
        ]

    # -- admitting and releasing ---------------------------------------------------------------------------

    def admit(self, items: Iterable[tuple[int, int, int | None, Any]]) -> list[Any]:
        """The items (in stream order) that may be processed now, in that order; the others are held."""
        ready: list[Any] = []
        now = self.clock()
        floors = self._floors(now)
        for partition, offset, ts, item in items:
            own = self.own.get(partition)
            if own is None:  # not (or no longer) assigned here: pass it on, Faust decides
                ready.append(item)
                continue
            if own.held:
                own.held.append((ts, offset, item, now))
                self.held_total += 1
                if len(own.held) > self.max_held:
                    self.forced += 1
                    ready.append(self._pop(partition, own))
                continue
            if ts is not None and ts > self._limit(partition, floors):
                own.held.append((ts, offset, item, now))
                self.held_total += 1
                floors = self._floors(now)
                continue
            self._admitted(partition, own, offset, ts)
            ready.append(item)
            if partition in (floors[0][1], floors[1][1]):
                floors = self._floors(now)
        return ready

    def release(self, limit: int | None = None) -> list[Any]:
        """Held items that may be processed now (in their partitions' order), at most ``limit``."""
        ready: list[Any] = []
        self._released, self._before = [], {}
        progress = True
        while progress:
            progress = False
            for partition, own in self.own.items():
                while own.held and (limit is None or len(ready) < limit):
                    ts, *_, arrived = own.held[0]
                    if ts is not None and ts > self._limit(partition, self._floors(arrived)):
                        break
                    self._before.setdefault(partition, (own.last_ts, own.next_offset))
                    self._released.append((partition, own.held[0]))
                    ready.append(self._pop(partition, own))
                    progress = True
        return ready

    def unrelease(self) -> None:
        """Hold again what the last :meth:`release` returned (its batch failed), as it was held."""
        for partition, entry in reversed(self._released):
            own = self.own.get(partition)
            if own is not None:  # a partition lost since is fetched again by its new owner
                own.held.appendleft(entry)
        for partition, (last_ts, next_offset) in self._before.items():
            if partition in self.own:
                self.own[partition].last_ts, self.own[partition].next_offset = last_ts, next_offset
        self._released, self._before = [], {}

    def held_count(self) -> int:
        return sum(len(own.held) for own in self.own.values())

    def holding(self) -> set[int]:
        """Owned partitions with records held (the ones whose fetching should be paused)."""
        return {p for p, own in self.own.items() if own.held}

    # -- internals -----------------------------------------------------------------------------------------

    def _pop(self, partition: int, own: _Own) -> Any:
        ts, offset, item, _ = own.held.popleft()
        self._admitted(partition, own, offset, ts)
        return item

    def _admitted(self, partition: int, own: _Own, offset: int, ts: int | None) -> None:
        if ts is not None and (own.last_ts is None or ts > own.last_ts):
            own.last_ts = ts
            self.reached[partition] = ts
        own.next_offset = offset + 1

    def _settled(self, partition: int, position: int | None, arrived: float, now: float) -> bool:
        """Whether an owned partition the consumer has caught up with has nothing more: an end offset
        read after ``arrived`` is at its position (the consumer's high watermark is as old as its last
        fetch). Without end-offset readings for ``stale_after_s``, the consumer is trusted."""
        if now - self.ends_at > self.stale_after_s:
            return True
        end = self.ends.get(partition)
        return self.ends_at >= arrived and end is not None and end <= (position or 0)

    def _caught_up(self, partition: int, report: Report, arrived: float) -> bool:
        """Whether an end offset read after ``arrived`` shows nothing past the reported position."""
        end = self.ends.get(partition)
        if self.ends_at < arrived or end is None or report.position is None:
            return False
        return end <= report.position

    def _left_out(self, partition: int) -> None:
        """A partition that would hold the others back is left out (counted once per silence)."""
        if partition not in self._silent:
            self._silent.add(partition)
            self.stale_ignored += 1

    def _limit(self, partition: int, floors: list[tuple[int, int]]) -> float:
        lowest = floors[0] if floors[0][1] != partition else floors[1]
        return float("inf") if lowest[1] < 0 else lowest[0] + self.max_skew_ms

    def _floors(self, arrived: float) -> list[tuple[int, int]]:
        """The two lowest (frontier, partition) among the partitions that count for a record that
        arrived at ``arrived``, padded with (inf, -1)."""
        now = self.clock()
        counting = []
        for p, own in self.own.items():
            if not own.backlogged() and self._settled(p, own.position(), arrived, now):
                own.unknown_since = None
                continue
            frontier = own.frontier()
            if frontier == UNKNOWN:
                # fetched records that never arrive (e.g. a log whose head was deleted): not forever
                own.unknown_since = now if own.unknown_since is None else own.unknown_since
                if now - own.unknown_since > self.stale_after_s:
                    self._left_out(p)
                    continue
            counting.append((frontier, p))
        for p in range(self.partitions):
            if p in self.own:
                continue
            entry = self.remote.get(p)
            if entry is None:
                if now - self.started < self.stale_after_s:
                    counting.append((UNKNOWN, p))
                continue
            report, at = entry
            if now - at > self.stale_after_s:
                self._left_out(p)
                continue
            if report.backlogged or not self._caught_up(p, report, arrived):
                counting.append((UNKNOWN if report.frontier_ms is None else report.frontier_ms, p))
        counting.sort()
        self._silent.difference_update(p for _, p in counting)  # heard from again
        pad = (2**62, -1)
        return [*counting, pad, pad][:2]


class RequestPacing:
    """An :class:`EventTimeGate` over an agent's batch items: (Faust event, decoded request or the
    exception decoding raised). What the agent loop (streams.agent_loop) calls."""

    def __init__(self, gate: EventTimeGate) -> None:
        self.gate = gate

    def admit(self, batch: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        return self.gate.admit(
            (event.message.partition, event.message.offset, getattr(payload, "ts", None), (event, payload))
            for event, payload in batch
        )

    def release(self, limit: int | None = None) -> list[tuple[Any, Any]]:
        return self.gate.release(limit)

    def unrelease(self) -> None:
        self.gate.unrelease()
