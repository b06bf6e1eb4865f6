"""Soft models kept one per input partition, with snapshots that a restart or a new owner restores.

Some of the detector's state is not keyed: the population anomaly model and the benign reference of the
account stage, the burst sketch and the campaign linker of the cluster stage learn from every record
their stage sees. Kept one per *process*, what they compute depends on which partitions the process
owns, so two workers would flag other accounts than one. :class:`PartitionScoped` keeps one instance
per input partition of the stage instead (created lazily), so a partition's records always meet the
same model, whichever worker owns the partition, in the same (offset) order: N workers compute what
one does, and ``replay`` (which derives each record's partition from its key with the producers'
partitioner, :mod:`models.partitioning`) computes what the worker does.

A partition's models are persisted as one snapshot in the stage's ``store`` (a changelogged table in
the worker, written in the changelog partition of the partition it belongs to, so it is restored on
the worker that owns the partition): :meth:`PartitionScoped.snapshot` writes it, the runner decides how
often (the worker: at the end of a batch, at most every ``worker.model_snapshot_interval_s``).
:meth:`PartitionScoped.of` restores a partition's models from the store on first use, and again after
:meth:`PartitionScoped.reassigned` (a rebalance) when another process has written a newer snapshot.

A snapshot is a pickle (zlib-compressed) behind a magic and a random lineage token. The token says
whether the snapshot in the store is the one this process last wrote or read: after a rebalance, a
partition this process kept needs no reload (its in-memory models are the same lineage, maybe
newer), one another worker advanced in the meantime is reloaded. Only the worker's own tables hold
snapshots: unpickling is as trusted as the changelog topics are.

>>> store: dict[str, bytes] = {}
>>> scoped = PartitionScoped("counts", lambda partition: [partition], store)
>>> scoped.of(3).append(7)
>>> scoped.snapshot(3) > 0
True
>>> fresh = PartitionScoped("counts", lambda partition: [partition], store)
>>> fresh.of(3)
[3, 7]
"""

from __future__ import annotations

import os
import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Generic, TypeVar

ModelT = TypeVar("ModelT")

_MAGIC = b"dgsm\x01"
_TOKEN_BYTES = 8


class PartitionScoped(Generic[ModelT]):
    """One instance of a soft model (or a bundle of them) per input partition of a stage.

    ``factory(partition)`` makes a fresh one; ``store`` (key ``"<name>:<partition>"``) holds snapshots;
    ``on_restore(models)`` adapts models loaded from a snapshot.
    """

    def __init__(
        self,
        name: str,
        factory: Callable[[int], ModelT],
        store: MutableMapping[str, bytes] | None = None,
        on_restore: Callable[[ModelT], None] | None = None,
    ) -> None:
        self.name = name
        self.factory = factory
        # Called on models loaded from a snapshot (e.g. to give them the configuration now in force).
        self.on_restore = on_restore
        self.store: MutableMapping[str, bytes] = store if store is not None else {}
        self._models: dict[int, ModelT] = {}
        # The token of the snapshot each partition's in-memory models descend from (None: none yet).
        self._tokens: dict[int, bytes | None] = {}
        # Partitions whose in-memory models were checked against the store since the last (re)assignment.
        self._checked: set[int] = set()
        # Partitions used since their last snapshot.
        self.dirty: set[int] = set()
        self.restored = 0  # snapshots loaded (first use, or a newer one after a rebalance)
        self.snapshots = 0  # snapshots written
        self.skipped = 0  # snapshots not written: larger than the size limit

    def key(self, partition: int) -> str:
        """The store key of a partition's snapshot."""
        return f"{self.name}:{partition}"

    def of(self, partition: int) -> ModelT:
        """The partition's models: in memory, else restored from its snapshot, else fresh. Marks the
        partition dirty (the caller is about to use, and so usually change, them)."""
        self.dirty.add(partition)
        if partition in self._checked:
            return self._models[partition]
        return self._check(partition)

    def _check(self, partition: int) -> ModelT:
        raw = self.store.get(self.key(partition))
        token = _token(raw) if raw is not None else None
        if token is None:
            raw = None  # nothing, or not a snapshot of this format: start from what there is
        model = self._models.get(partition)
        if raw is not None and (model is None or token != self._tokens.get(partition)):
            model = pickle.loads(zlib.decompress(raw[len(_MAGIC) + _TOKEN_BYTES :]))
            self._tokens[partition] = token
            self.restored += 1
            if self.on_restore is not None:
                self.on_restore(model)
        elif model is None:
            model = self.factory(partition)
            self._tokens[partition] = None
        self._models[partition] = model
        self._checked.add(partition)
        return model

    def snapshot(self, partition: int, max_bytes: int | None = None) -> int:
        """Write the partition's models to the store; returns the snapshot's size (0 when there is
        nothing in memory for it). One larger than ``max_bytes`` is not written (counted in
        ``skipped``; the store keeps the previous one)."""
        model = self._models.get(partition)
        self.dirty.discard(partition)
        if model is None:
            return 0
        token = os.urandom(_TOKEN_BYTES)
        value = _MAGIC + token + zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), 1)
        if max_bytes is not None and len(value) > max_bytes:
            self.skipped += 1
            return len(value)
        self.store[self.key(partition)] = value
        self._tokens[partition] = token
        self.snapshots += 1
        return len(value)

    def reassigned(self, partitions: Iterable[int] | None = None) -> None:
        """After a rebalance: check every partition against the store again on its next use (another
        worker may have advanced it); with ``partitions`` (the ones this process now owns), also drop
        the models and the pending snapshots of every other partition (writing those would overwrite
        the new owner's)."""
        self._checked.clear()
        if partitions is not None:
            owned = set(partitions)
            for partition in [p for p in self._models if p not in owned]:
                del self._models[partition]
                self._tokens.pop(partition, None)
            self.dirty &= owned

    def partitions(self) -> list[int]:
        """The partitions with models in memory."""
        return sorted(self._models)

    def __iter__(self) -> Iterator[ModelT]:
        """The models in memory, by partition."""
        return iter([self._models[p] for p in sorted(self._models)])

    def __len__(self) -> int:
        return len(self._models)


def _token(raw: bytes) -> bytes | None:
    if raw[: len(_MAGIC)] != _MAGIC:
        return None
    return raw[len(_MAGIC) : len(_MAGIC) + _TOKEN_BYTES]
