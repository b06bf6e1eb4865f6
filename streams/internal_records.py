"""The records of the internal topics between the agents: stage outputs grouped per partition.

An agent sends the outputs of a batch that go to the same partition of the next topic as one record
holding a JSON list, in processing order, so the next stage consumes one Kafka record (and Faust's
per-message work) per partition and batch instead of one per event, and sees every key's items, and
every partition's, in the order of per-event sends.

The same shape on every internal topic: account observations (by cluster id) and assessments (by
account) on the main chain, trait observations (by trait value) and trait evidence (by account) on the
shared-trait side chain. Each item is its dataclass's ``to_dict()`` form; the consuming stage rebuilds it
with ``from_dict()`` (:meth:`models.pipeline.StageSpec.decode`).

A record may also carry each item's *origin*: the (partition, offset) of the request it derives from,
as ``{"items": [...], "origins": [[p, o], ...]}``. The stage right after the account stage dedupes on it
(a request the account stage re-processed after a crash re-sends the same observation at a new offset;
see streams.batched_table).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import orjson
from aiokafka.partitioner import DefaultPartitioner

from distillguard.models.stages import AccountObservation, Assessment
from distillguard.models.traits import TraitEvidence, TraitObservation

# Most stage outputs one internal record carries (~64-128 KB): a full record stays below the producer
# batch size (app_config.PRODUCER_MAX_BATCH_BYTES) and the broker's default message.max.bytes.
MAX_ITEMS_PER_RECORD = 64

# What an agent hands its outputs to: (key, output) pairs in processing order → the delivery futures.
Sink = Callable[[list[tuple[str, Any]]], Awaitable[list[Awaitable[Any]]]]

# What internal records carry: the outputs of every stage but the last of its chain.
StageRecord = AccountObservation | Assessment | TraitObservation | TraitEvidence


class StageItems(list[dict[str, Any]]):
    """The items of an internal record, and their origins (None when the record carries none)."""

    origins: list[tuple[int, int]] | None = None


def encode_stage_records(
    records: Sequence[StageRecord], origins: Sequence[tuple[int, int]] | None = None
) -> bytes:
    """Stage outputs as one internal record: a JSON list of ``to_dict()`` forms, in processing order.

    orjson serialises the dataclasses directly (fields in order): byte-identical to dumping
    ``to_dict()``, without ``dataclasses.asdict``, which deep-copies every value and was the costliest
    step of a send. With ``origins`` (one per record), an object holding both.
    """
    if origins is None:
        return orjson.dumps(records)
    return orjson.dumps({"items": records, "origins": origins})


def decode_stage_records(value: bytes) -> StageItems:
    """The stage outputs an internal record carries (a list, with ``origins`` when it has them; a single
    object from before batching)."""
    data = orjson.loads(value)
    if isinstance(data, list):
        return StageItems(data)
    if isinstance(data, dict) and "items" in data and "origins" in data:
        items = StageItems(data["items"])
        items.origins = [(p, o) for p, o in data["origins"]]
        return items
    return StageItems([data])


class PartitionForKey:
    """The partition the producer would choose for a key (Faust's producer partitioner, by default
    aiokafka's murmur2 ``DefaultPartitioner``, as the Java client), over the ``partitions`` the internal
    topics are created with. Grouped records are sent to that partition explicitly, so every key keeps
    its partition (and its table's changelog partition) exactly as when each output was sent keyed on
    its own. Cached: keys repeat and murmur2 is pure Python."""

    def __init__(self, partitioner: Any, partitions: int) -> None:
        self.partitioner = partitioner or DefaultPartitioner()
        self.partitions = list(range(partitions))
        self._cache: dict[str, int] = {}

    def __call__(self, key: str) -> int:
        partition = self._cache.get(key)
        if partition is None:
            if len(self._cache) >= 100_000:
                self._cache.clear()
            partition = self._cache[key] = self.partitioner(key.encode(), self.partitions, self.partitions)
        return partition


def group_by_partition(
    outputs: Iterable[tuple[str, Any]], partition_of: Callable[[str], int]
) -> dict[int, list[Any]]:
    """Outputs grouped by the partition of their key, each group in input order."""
    groups: dict[int, list[Any]] = {}
    for key, output in outputs:
        partition = partition_of(key)
        group = groups.get(partition)
        if group is None:
            groups[partition] = [output]
        else:
            group.append(output)
    return groups


def grouped_sink(topic: Any, partition_of: Callable[[str], int]) -> Sink:
    """A sink to an internal topic: one record per partition of the outputs' keys (split every
    MAX_ITEMS_PER_RECORD items), each sent to that partition explicitly; with the outputs' origins
    when every output of the record has one."""

    async def send(
        outputs: list[tuple[str, Any]], origins: Sequence[tuple[int, int] | None] | None = None
    ) -> list[Awaitable[Any]]:
        sent: list[Awaitable[Any]] = []
        paired: Iterable[tuple[str, Any]] = outputs
        if origins is not None and len(origins) == len(outputs):
            paired = ((key, (output, origin)) for (key, output), origin in zip(outputs, origins, strict=True))
        for partition, group in group_by_partition(paired, partition_of).items():
            for i in range(0, len(group), MAX_ITEMS_PER_RECORD):
                chunk = group[i : i + MAX_ITEMS_PER_RECORD]
                if paired is outputs:
                    value = encode_stage_records(chunk)
                else:
                    known = [origin for _, origin in chunk]
                    value = encode_stage_records(
                        [output for output, _ in chunk],
                        known if all(o is not None for o in known) else None,  # type: ignore[arg-type]
                    )
                sent.append(await topic.send(key=None, value=value, partition=partition))
        return sent

    send.carries_origins = True  # type: ignore[attr-defined]
    return send


async def no_output(outputs: list[tuple[str, Any]]) -> list[Awaitable[Any]]:
    """The sink of a stage that ends its chain without output (the coordination sink): nothing to send."""
    assert not outputs, f"{len(outputs)} outputs for a stage without output"
    return []
