"""Write-back views of Faust tables, so a batch of events writes each changed key once.

A stage reads and writes its state through a :class:`BatchedTable`; the agent loop enters each record's
source partition in the stage's :class:`PartitionScope` before the stage sees it, and flushes (or, for a
batch that failed, discards) the views at the end of the batch.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from distillguard.streams.faust_compat import current_event

_DELETED: Any = object()


class PartitionScope:
    """The source partition an agent is processing right now, and the latest event of every partition.

    The agent calls :meth:`enter` before it hands a record to its stage; the stage's
    :class:`BatchedTable` views read :attr:`partition` when a key is written and :attr:`events` when the
    writes are flushed.
    """

    __slots__ = ("events", "partition")

    def __init__(self) -> None:
        self.partition: int | None = None
        self.events: dict[int, Any] = {}

    def enter(self, event: Any) -> None:
        partition = event.message.partition
        self.partition = partition
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
    """

    def __init__(self, table: Any, scope: PartitionScope, *, remember_partitions: bool = False) -> None:
        self.table = table
        self.scope = scope
        self._pending: dict[Any, tuple[int, Any]] = {}
        self._home: dict[Any, int] | None = {} if remember_partitions else None

    def _partition(self) -> int:
        partition = self.scope.partition
        if partition is None:
            raise RuntimeError(f"table {self.table.name!r} written outside of an agent's batch")
        return partition

    def __getitem__(self, key: Any) -> Any:
        entry = self._pending.get(key)
        if entry is None:
            return self.table[key]
        if entry[1] is _DELETED:
            raise KeyError(key)
        return entry[1]

    def __setitem__(self, key: Any, value: Any) -> None:
        partition = self._partition()
        self._pending[key] = (partition, value)
        if self._home is not None:
            self._home[key] = partition

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
        self._pending[key] = (partition, _DELETED)

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
        for key, (_, value) in list(pending.items()):
            if value is not _DELETED and key not in self.table:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def pending(self) -> int:
        """Keys changed since the last flush."""
        return len(self._pending)

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
        by_partition: dict[int, list[tuple[Any, Any]]] = {}
        for key, (partition, value) in pending.items():
            by_partition.setdefault(partition, []).append((key, value))
        table, events = self.table, self.scope.events
        for partition, writes in by_partition.items():
            with current_event(events[partition]):
                for key, value in writes:
                    if value is _DELETED:
                        if key in table:
                            del table[key]
                    else:
                        table[key] = value
        return len(pending)
