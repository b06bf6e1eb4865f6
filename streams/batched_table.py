"""Write-back views of Faust tables, so a batch of events writes each changed key once.

A stage reads and writes its state through a :class:`BatchedTable`; the agent loop enters each record's
source partition in the stage's :class:`PartitionScope` before the stage sees it, and flushes (or, for a
batch that failed, discards) the views at the end of the batch.

Redelivery: a *stamped* view stores every value with the source (partition, offset) of the record that
last wrote it, in the same changelog record as the value (so the stamp and the state it vouches for are
restored together, or not at all). :meth:`BatchedTable.applied` tells a stage that a redelivered record
was already applied to a key, so it can skip it instead of applying it twice.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from distillguard.streams.faust_compat import current_event

_DELETED: Any = object()

# Stamps: a stamped value is magic, a count, then (kind, partition, offset) entries, then the state's
# own bytes. An entry is the highest offset of that partition applied to the key: of the stage's input
# topic (SOURCE), or of the request topic the item derives from (ORIGIN, see streams.internal_records).
# The magic keeps values written before stamps existed readable (they are read as unstamped).
SOURCE, ORIGIN = 0, 1
STAMP_MAGIC = b"\xffdg\x02"
_ENTRY = struct.Struct(">BIq")
_COUNT = struct.Struct(">H")
# (kind, partition) -> highest offset applied
Positions = dict[tuple[int, int], int]


def stamp(positions: Positions, value: bytes) -> bytes:
    """``value`` stamped with the positions of the records applied to it."""
    entries = b"".join(
        _ENTRY.pack(kind, partition, offset) for (kind, partition), offset in positions.items()
    )
    return STAMP_MAGIC + _COUNT.pack(len(positions)) + entries + value


def unstamp(raw: bytes) -> tuple[Positions | None, bytes]:
    """(the positions, or None when unstamped, the state's bytes)."""
    if raw[:4] != STAMP_MAGIC or len(raw) < 6:
        return None, raw
    (count,) = _COUNT.unpack_from(raw, 4)
    end = 6 + count * _ENTRY.size
    positions = {
        (k, p): o for k, p, o in (_ENTRY.unpack_from(raw, 6 + i * _ENTRY.size) for i in range(count))
    }
    return positions, raw[end:]


class StampedReader(Mapping[Any, Any]):
    """A read-only view of a table a stamped view writes (another stage's), without the stamps."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def __getitem__(self, key: Any) -> Any:
        raw = self.table[key]
        return unstamp(raw)[1] if isinstance(raw, bytes) else raw

    def __contains__(self, key: object) -> bool:
        return key in self.table

    def __iter__(self) -> Iterator[Any]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


class PartitionScope:
    """The source partition an agent is processing right now, and the latest event of every partition.

    The agent calls :meth:`enter` before it hands a record to its stage; the stage's
    :class:`BatchedTable` views read :attr:`partition` when a key is written and :attr:`events` when the
    writes are flushed.
    """

    __slots__ = ("events", "partition", "position", "source")

    def __init__(self) -> None:
        self.partition: int | None = None
        # the record's (SOURCE, partition, offset); ``position`` is what a write is stamped with: the
        # source, or the item's origin when the step says so (InternalStep, for an origin-deduped stage)
        self.source: tuple[int, int, int] = (SOURCE, -1, -1)
        self.position: tuple[int, int, int] = self.source
        self.events: dict[int, Any] = {}

    def enter(self, event: Any) -> None:
        message = event.message
        partition = message.partition
        self.partition = partition
        self.source = self.position = (SOURCE, partition, getattr(message, "offset", -1))
        self.events[partition] = event


class BatchedTable(MutableMapping[Any, Any]):
    """A write-back view of a Faust table: what a stage gets as its state mapping in the worker.

    A Faust table sends every write (``table[k] = v``) to its changelog, on the partition of the event
    being processed (``Table.partition_for_key`` reads ``faust.streams.current_event()``): the source
    partition the key came from, which is what restores the key on the worker that owns that partition.
    A batch holds events of several partitions, so the stages do not write to the table directly:

    * writes and deletes are kept here, tagged with the partition of the event being processed
      (``scope.partition``); reads see them (a key can change several times in one batch);
    * :meth:`flush` applies them at the end of the batch, one table write per changed key (one changelog
      record per key and batch instead of one per event), grouped by partition, each group under an event
      of that partition as Faust's current event. The table, its store and its changelog then see exactly
      what per-event processing would have written last, on the same partitions.

    With ``remember_partitions`` the view also remembers every written key's partition (until the key is
    deleted), so that deleting a key while processing an event of another partition (the account stage
    evicting idle accounts) writes the tombstone to the key's own changelog partition.

    With ``stamped`` (bytes values only) each value is stored stamped with the (partition, offset) of the
    record being processed when it was last written (see :func:`stamp`); reads return the bare value and
    :meth:`applied` compares a key's stored stamp with the record being processed.
    """

    def __init__(
        self, table: Any, scope: PartitionScope, *, remember_partitions: bool = False, stamped: bool = False
    ) -> None:
        self.table = table
        self.scope = scope
        self.stamped = stamped
        # key -> (partition, value, positions applied to it in this batch)
        self._pending: dict[Any, tuple[int, Any, Positions | None]] = {}
        self._home: dict[Any, int] | None = {} if remember_partitions else None

    def _partition(self) -> int:
        partition = self.scope.partition
        if partition is None:
            raise RuntimeError(f"table {self.table.name!r} written outside of an agent's batch")
        return partition

    def __getitem__(self, key: Any) -> Any:
        entry = self._pending.get(key)
        if entry is None:
            raw = self.table[key]
            return unstamp(raw)[1] if self.stamped else raw
        if entry[1] is _DELETED:
            raise KeyError(key)
        return entry[1]

    def __setitem__(self, key: Any, value: Any) -> None:
        partition = self._partition()
        positions = None
        if self.stamped:
            entry = self._pending.get(key)
            positions = dict(entry[2]) if entry is not None and entry[2] is not None else {}
            kind, source, offset = self.scope.position
            if positions.get((kind, source), -1) < offset:
                positions[(kind, source)] = offset
        self._pending[key] = (partition, value, positions)
        if self._home is not None:
            self._home[key] = partition

    def applied(self, key: Any) -> bool:
        """Whether the item being processed (at ``scope.position``) was already applied to ``key``: the
        key's stored (flushed) stamp holds that partition at this offset or later. Only a redelivered
        item (after a crash, before its offset was committed; or re-sent by a stage that crashed after
        sending it) can be. A record's own position may write a key several times (several items of one
        record), so for SOURCE positions the writes pending in this batch do not count. An ORIGIN
        position (the request an item derives from) reaches a key at most once, so a pending write at
        that origin or later is a copy in the same batch: the item the first stage sent again after a
        crash, read in one batch with the original that the crash left unapplied."""
        if not self.stamped:
            return False
        kind, partition, offset = self.scope.position
        if kind == ORIGIN:
            entry = self._pending.get(key)
            pending = entry[2] if entry is not None else None
            if pending is not None and pending.get((kind, partition), -1) >= offset:
                return True
        raw = self.table.get(key)
        if raw is None:
            return False
        positions, _ = unstamp(raw)
        return positions is not None and positions.get((kind, partition), -1) >= offset

    def __delitem__(self, key: Any) -> None:
        entry = self._pending.get(key)
        in_table = key in self.table
        if (entry is None and not in_table) or (entry is not None and entry[1] is _DELETED):
            raise KeyError(key)
        home = self._home.pop(key, None) if self._home is not None else None
        if not in_table:  # created and deleted within this batch: nothing to write
            del self._pending[key]
            return
        partition = entry[0] if entry is not None else home if home is not None else self._partition()
        self._pending[key] = (partition, _DELETED, None)

    def __contains__(self, key: object) -> bool:
        entry = self._pending.get(key)
        if entry is None:
            return key in self.table
        return entry[1] is not _DELETED

    def __iter__(self) -> Iterator[Any]:
        pending = self._pending
        for key in self.table:
            entry = pending.get(key)
            if entry is None or entry[1] is not _DELETED:
                yield key
        for key, (_, value, _) in list(pending.items()):
            if value is not _DELETED and key not in self.table:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def pending(self) -> int:
        """Keys changed since the last flush."""
        return len(self._pending)

    def _merged(self, key: Any, positions: Positions) -> Positions:
        """The key's stored positions with this batch's (the highest offset per partition)."""
        raw = self.table.get(key)
        stored = unstamp(raw)[0] if raw is not None else None
        if not stored:
            return positions
        for where, offset in positions.items():
            if stored.get(where, -1) < offset:
                stored[where] = offset
        return stored

    def discard(self) -> int:
        """Drop the pending changes (a batch that failed); returns how many keys were pending."""
        count = len(self._pending)
        self._pending = {}
        return count

    def flush(self) -> int:
        """Write the pending changes to the table (and so to its changelog); returns the keys written."""
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        by_partition: dict[int, list[tuple[Any, Any, Positions | None]]] = {}
        for key, (partition, value, positions) in pending.items():
            by_partition.setdefault(partition, []).append((key, value, positions))
        table, events = self.table, self.scope.events
        for partition, writes in by_partition.items():
            with current_event(events[partition]):
                for key, value, positions in writes:
                    if value is _DELETED:
                        if key in table:
                            del table[key]
                    elif positions is not None:
                        table[key] = stamp(self._merged(key, positions), value)
                    else:
                        table[key] = value
        return len(pending)
