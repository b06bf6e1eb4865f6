"""Which partition a key lands on, computed as Kafka's clients do, without importing Kafka.

The soft models (population anomaly, benign reference, burst sketch, campaign linker) are kept one per
input partition of their stage (:mod:`models.soft_state`), so that what a partition computes does not
depend on which worker owns it. The worker knows each record's partition; ``replay``, the
:class:`~models.detector.Detector` and the sharded replay compute it from the record's key with the
partitioner the producers use: the Java client's default (murmur2 of the key's UTF-8 bytes, sign bit
cleared, modulo the partition count), which kafka-python's and aiokafka's ``DefaultPartitioner`` (the
worker's internal topics, :class:`streams.internal_records.PartitionForKey`) implement too.

>>> murmur2(b"21")
3321034988
>>> [partition_for_key(k, 4) for k in ("acct-1", "acct-2", "acct-3")]
[2, 3, 3]
"""

from __future__ import annotations

# The partition count of the request topic (and so of every internal topic) when the settings do not
# say otherwise. ``streams.settings.TopicSettings.partitions`` owns the value; this is its default, for
# runners built without settings (a test asserts that the two agree).
DEFAULT_PARTITIONS = 4

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (``org.apache.kafka.common.utils.Utils.murmur2``) as an unsigned 32-bit int (as
    kafka-python returns it; the Java client's is the same bits, signed)."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length - length % 4
    for i in range(0, whole, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    rest = length % 4
    if rest == 3:
        h ^= data[whole + 2] << 16
    if rest >= 2:
        h ^= data[whole + 1] << 8
    if rest >= 1:
        h ^= data[whole]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def partition_for_key(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` (as UTF-8) among ``partitions``."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class KeyPartitioner:
    """:func:`partition_for_key` over a fixed partition count, cached (keys recur; murmur2 is pure
    Python). The cache is bounded: it is cleared when it reaches ``max_cached`` keys."""

    __slots__ = ("_cache", "max_cached", "partitions")

    def __init__(self, partitions: int, max_cached: int = 100_000) -> None:
        if partitions < 1:
            raise ValueError(f"partitions must be at least 1, got {partitions}")
        self.partitions = partitions
        self.max_cached = max_cached
        self._cache: dict[str, int] = {}

    def __call__(self, key: str) -> int:
        partition = self._cache.get(key)
        if partition is None:
            if len(self._cache) >= self.max_cached:
                self._cache.clear()
            partition = self._cache[key] = partition_for_key(key, self.partitions)
        return partition
