"""Shared traits: coordination seen through ANY attribute that otherwise-unrelated accounts have in common.

A hydra's heads are built to look unrelated, but the operator's tooling leaks: one system prompt, one
tool list, one custom user agent, one card, a few exit IPs, accounts created in the same hour, all
pivoting to a new model in the same hour, one prompt frame. Each request's traits are plain strings
computed by the caller (``sys:<hash>``, ``ip24:<net>``, ``pay:<fp>``, ...; the kind is the prefix). This
stage is keyed by trait value, so each value's state lives on one partition.

Sharing alone is not evidence: a carrier-grade NAT exit IP, a campus /24, a popular SDK user agent or a
default assistant prompt are shared by thousands of ordinary customers. A trait value is evidence when
it is shared by several *owners* (an org's keys are one customer, not a ring) and those owners are
extraction-like, and it reaches an account only in proportion to what that account itself sends::

    evidence = weight[kind] · size(owners) · ramp(min(mean, share)) · own_extraction
    size(n)  = 0 below min_owners[kind], else clip(log n / log full_owners[kind])
    ramp(m)  = clip((m - mean_floor) / (mean_full - mean_floor))

``mean`` is an exponentially weighted mean of the sharers' extraction levels, one term per owner
observation (the :class:`TraitEmitter` sends a trait when it is new to the account and then once per
``refresh_every`` requests, and an owner seen again among the value's last few owners weighs less, so one
heavy account cannot set it alone); ``share`` is the fraction of the value's distinct owners that have
ever been seen extracting (two HyperLogLogs), which a few heavy extractors on a popular trait cannot
inflate.

>>> stage = TraitStage(TraitConfig())
>>> for i in range(40):
...     ev = stage.process(TraitObservation("ip32:203.0.113.7", "ip32", f"acct-{i}", f"acct-{i}", i, 0.9, 20))
>>> ev.evidence > 0.7, 30 < ev.owners < 50
(True, True)
"""

from __future__ import annotations

import math
import struct
from collections import OrderedDict
from collections.abc import MutableMapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from distillguard.models.config import TraitConfig, TraitKind
from distillguard.models.hashing import stable_hash32
from distillguard.models.sketches import HyperLogLog

_MS_PER_HOUR = 3_600_000
_MASK16 = 0xFFFF


def trait_kind(key: str) -> str:
    """The kind of a trait key: its prefix before the first ':'.

    >>> trait_kind("ip24:203.0.113"), trait_kind("bare")
    ('ip24', 'bare')
    """
    return key.partition(":")[0]


# What each trait kind is, in an analyst's words (reason texts).
_KIND_LABELS = {
    "ip32": "exit IP",
    "ip24": "network /24",
    "ua": "user agent",
    "sys": "system prompt",
    "tools": "declared tool set",
    "pay": "payment method",
    "cohort": "account-creation hour",
    "pivot": "new-model switch hour",
    "frame": "prompt frame",
    "created": "account-creation weeks",
}


def trait_label(kind: str) -> str:
    """The analyst's name for a trait kind (the kind itself when it has none).

    >>> trait_label("frame"), trait_label("custom"), trait_label("sys+ua")
    ('prompt frame', 'custom', 'system prompt + user agent')
    """
    if "+" in kind:
        return " + ".join(trait_label(part) for part in kind.split("+"))
    return _KIND_LABELS.get(kind, kind)


def _clip(value: float) -> float:
    return 0.0 if value <= 0.0 else 1.0 if value >= 1.0 else value


@dataclass(slots=True)
class TraitObservation:
    """One account showing one trait value (sent by the account stage, keyed by ``key``).

    ``owner_id`` is the org id when the account belongs to an org, else the account id; ``extraction`` is
    the account's current extraction-content level in [0, 1]; ``events`` its request count so far.
    """

    key: str
    kind: str
    account_id: str
    owner_id: str
    ts: int
    extraction: float
    events: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraitObservation:
        return cls(**data)


@dataclass(slots=True)
class TraitEvidence:
    """What a trait value says about the observing account (routed back by ``account_id``)."""

    account_id: str
    kind: str
    key: str
    evidence: float
    owners: float
    extracting_owners: float
    sharers_extraction: float
    ts: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraitEvidence:
        if "sharers" in data:  # written by the version with the sink's co-sharing option (withdrawn)
            data = {name: value for name, value in data.items() if name != "sharers"}
        return cls(**data)


# first_ts, last_ts, observations, sharers' mean, its total weight, the two sketches' harmonic sums
# (doubles: a restart resumes exactly), then the recent owners' hashes.
_HEADER = struct.Struct("<qqIdddd")


class _SketchOfOwners(HyperLogLog):
    """A :class:`HyperLogLog` built in O(1): empty, or from registers plus their stored harmonic sum.

    ``HyperLogLog.__init__`` sums 2**-r over every register in Python (≈ 4 µs at 128 registers, twice per
    trait value on every decode); most trait values are cold singletons, so the state keeps the running
    sum and restores it. Tied to HyperLogLog's internals (checked against it in tests/test_traits.py).
    """

    def __init__(self, precision: int, registers: bytes | None = None, inverse_sum: float = 0.0) -> None:
        m = self.m = 1 << precision
        self.precision = precision
        self._alpha = _HLL_ALPHA.get(m) or 0.7213 / (1 + 1.079 / m)
        if registers is None:
            self.registers = bytearray(m)
            self._zeros = m
            self._inverse_sum = float(m)
        else:
            self.registers = bytearray(registers)
            self._zeros = self.registers.count(0)
            if not inverse_sum > 0.0:  # not stored (hand-built bytes): recompute, as HyperLogLog does
                inverse_sum = sum(2.0**-r for r in self.registers)
            self._inverse_sum = inverse_sum


_HLL_ALPHA = {1 << p: 0.7213 / (1 + 1.079 / (1 << p)) for p in range(4, 17)}


class TraitLayout:
    """The byte layout of :class:`TraitState` for a :class:`TraitConfig` (340 B by default), and the
    config's update constants read once (pydantic attribute reads are slow on the hot path).

    >>> TraitLayout(TraitConfig()).size
    340
    """

    def __init__(self, config: TraitConfig) -> None:
        self.precision = config.hll_precision
        self.registers = 1 << config.hll_precision
        self.recent = config.recent_owners
        self.head = struct.Struct(f"{_HEADER.format}{self.recent}I")
        self.size = self.head.size + 2 * self.registers
        self.alpha = config.ew_alpha
        self.repeat_weight = config.repeat_weight
        self.settle_events = float(config.settle_events)
        self.extracting_level = config.extracting_level


@dataclass(slots=True)
class TraitState:
    """One trait value: distinct owners, distinct extracting owners, the sharers' EW extraction mean.

    ``recent`` holds 32-bit hashes of the latest distinct owners, newest first (0 marks an empty slot).

    >>> layout = TraitLayout(TraitConfig())
    >>> state = TraitState.new(layout)
    >>> state.observe("org-1", 0.9, 10, ts=5)
    >>> raw = state.to_bytes()
    >>> len(raw), TraitState.from_bytes(layout, raw).to_bytes() == raw
    (340, True)
    """

    first_ts: int
    last_ts: int
    observations: int
    mean: float
    weight: float
    recent: list[int]
    owners: HyperLogLog
    extracting: HyperLogLog
    layout: TraitLayout

    @classmethod
    def new(cls, layout: TraitLayout) -> TraitState:
        p = layout.precision
        return cls(0, 0, 0, 0.0, 0.0, [], _SketchOfOwners(p), _SketchOfOwners(p), layout)

    @classmethod
    def from_bytes(cls, layout: TraitLayout, raw: bytes) -> TraitState:
        if len(raw) != layout.size:
            raise ValueError(f"trait state of {len(raw)} bytes, layout expects {layout.size}")
        first_ts, last_ts, observations, mean, weight, owners_sum, extracting_sum, *recent = (
            layout.head.unpack_from(raw)
        )
        offset, m, p = layout.head.size, layout.registers, layout.precision
        owners = _SketchOfOwners(p, raw[offset : offset + m], owners_sum)
        extracting = _SketchOfOwners(p, raw[offset + m : offset + 2 * m], extracting_sum)
        recent = [h for h in recent if h]
        return cls(first_ts, last_ts, observations, mean, weight, recent, owners, extracting, layout)

    def to_bytes(self) -> bytes:
        layout, recent = self.layout, self.recent
        if len(recent) < layout.recent:
            recent = recent + [0] * (layout.recent - len(recent))
        head = layout.head.pack(
            self.first_ts,
            self.last_ts,
            self.observations,
            self.mean,
            self.weight,
            self.owners._inverse_sum,
            self.extracting._inverse_sum,
            *recent,
        )
        return head + self.owners.registers + self.extracting.registers

    def observe(self, owner_id: str, extraction: float, events: int, ts: int) -> None:
        """Fold in one owner observation (``extraction``: the owner's account's level, ``events``: its
        request count)."""
        layout = self.layout
        if self.observations == 0:
            self.first_ts = ts
        if self.observations < 0xFFFFFFFF:
            self.observations += 1
        if ts > self.last_ts:
            self.last_ts = ts
        owner = stable_hash32(owner_id) or 1
        recent = self.recent
        if owner in recent:
            novelty = layout.repeat_weight
            recent.remove(owner)
        else:
            novelty = 1.0
            if len(recent) >= layout.recent:
                recent.pop()
        recent.insert(0, owner)
        x = 0.0 if extraction <= 0.0 else 1.0 if extraction >= 1.0 else extraction
        # Weighted EW mean: W = W·(1 - alpha·w) + w, mean += (w / W)·(x - mean). The first observation sets
        # the mean outright (no bias towards 0), and a term of weight w decays like w plain steps.
        if events < layout.settle_events:
            novelty *= max(events, 1) / layout.settle_events
        if novelty > 0.0:
            self.weight = self.weight * (1.0 - layout.alpha * novelty) + novelty
            self.mean += (novelty / self.weight) * (x - self.mean)
        self.owners.add(owner_id)
        if x >= layout.extracting_level:
            self.extracting.add(owner_id)

    def owner_count(self) -> float:
        return self.owners.count()

    def extracting_share(self, owners: float | None = None) -> float:
        """Share of distinct owners ever seen extracting (≤ 1)."""
        total = self.owners.count() if owners is None else owners
        return 0.0 if total <= 0.0 else min(1.0, self.extracting.count() / total)


def trait_evidence(
    config: TraitConfig, rule: TraitKind, owners: float, mean: float, share: float, own: float
) -> float:
    """The evidence formula (see the module docstring), in [0, 1].

    >>> cfg = TraitConfig()
    >>> rule = TraitKind(kind="sys")
    >>> round(trait_evidence(cfg, rule, owners=40, mean=0.9, share=1.0, own=0.9), 3)
    0.9
    >>> trait_evidence(cfg, rule, owners=300, mean=0.06, share=0.01, own=0.9)
    0.0
    >>> trait_evidence(cfg, rule, owners=1, mean=0.9, share=1.0, own=0.9)
    0.0
    """
    if own <= 0.0 or owners < rule.min_owners:
        return 0.0
    size = _clip(math.log(owners) / math.log(rule.full_owners))
    composition = _clip((min(mean, share) - config.mean_floor) / (config.mean_full - config.mean_floor))
    return rule.weight * size * composition * _clip(own)


class TraitStage:
    """Keyed by trait value: updates the value's state and scores the observing account against it.

    State is written through to ``traits`` (a dict, or a Faust table with a changelog) on every
    observation, so a restart or rebalance loses nothing; at most ``max_traits`` decoded states are kept
    to spare re-decoding hot values. Call :meth:`clear_cache` when the table is reloaded under the stage.
    """

    def __init__(self, config: TraitConfig, traits: MutableMapping[str, bytes] | None = None) -> None:
        self.config = config
        self.traits: MutableMapping[str, bytes] = traits if traits is not None else {}
        self.layout = TraitLayout(config)
        self._rules = {rule.kind: rule for rule in config.kinds}
        # Per kind: (weight, min_owners, 1 / log(full_owners)); the evidence formula inlined in process().
        self._limits = {rule.kind: self._limits_of(rule) for rule in config.kinds}
        self._default_limits = self._limits_of(config.default_kind)
        self._floor = config.mean_floor
        self._span = config.mean_full - config.mean_floor
        self._horizon = int(config.idle_expire_hours * _MS_PER_HOUR)
        self._max_cached = config.max_traits
        self._decoded: dict[str, TraitState] = {}
        # Values by last use, oldest first: idle values are deleted from the table (every exit IP ever
        # seen would otherwise stay forever). Like the account stage's eviction, the clock advances by a
        # bounded step per observation, so one far-future timestamp cannot delete every value.
        self._recency: OrderedDict[str, int] = OrderedDict()
        self._watermark: int | None = None
        self._step = int(config.watermark_step_minutes * 60_000)
        self._max_values = config.max_trait_values
        self.expired = 0
        self.evicted = 0
        self.undecodable = 0

    @staticmethod
    def _limits_of(rule: TraitKind) -> tuple[float, int, float]:
        return rule.weight, rule.min_owners, 1.0 / math.log(rule.full_owners)

    def rule(self, kind: str) -> TraitKind:
        return self._rules.get(kind, self.config.default_kind)

    def state(self, key: str) -> TraitState | None:
        """The current state of a trait value (decoded), or None when it is not stored."""
        cached = self._decoded.get(key)
        if cached is not None:
            return cached
        raw = self.traits.get(key)
        return TraitState.from_bytes(self.layout, raw) if raw is not None else None

    def clear_cache(self) -> None:
        self._decoded.clear()

    def _decode(self, raw: bytes | None) -> TraitState:
        if raw is not None:
            try:
                return TraitState.from_bytes(self.layout, raw)
            except (ValueError, struct.error):
                # Written under another layout (hll_precision or recent_owners changed): start afresh
                # rather than fail the partition on every request for this value.
                self.undecodable += 1
        return TraitState.new(self.layout)

    def process(self, obs: TraitObservation) -> TraitEvidence:
        key = obs.key
        decoded = self._decoded
        state = decoded.get(key)
        if state is None:
            state = self._decode(self.traits.get(key))
            if len(decoded) >= self._max_cached:
                decoded.pop(next(iter(decoded)))
            decoded[key] = state
        ts = obs.ts
        if state.observations and ts - state.last_ts > self._horizon:
            # Idle past the horizon: whoever shared it then says nothing about who shares it now.
            state = decoded[key] = TraitState.new(self.layout)
            self.expired += 1
        own = obs.extraction
        state.observe(obs.owner_id, own, obs.events, ts)
        self.traits[key] = state.to_bytes()
        self._touch(key, ts)

        # trait_evidence(), inlined: most observations stop at the first test.
        owners = state.owners.count()
        weight, min_owners, inverse_log_full = self._limits.get(obs.kind, self._default_limits)
        extracting = state.extracting.count()
        mean = state.mean
        evidence = 0.0
        if own > 0.0 and owners >= min_owners:
            share = extracting / owners
            composition = ((mean if mean < share else share) - self._floor) / self._span
            if composition > 0.0:
                size = math.log(owners) * inverse_log_full
                evidence = (
                    weight
                    * (1.0 if size >= 1.0 else size)
                    * (1.0 if composition >= 1.0 else composition)
                    * (1.0 if own >= 1.0 else own)
                )
        return TraitEvidence(
            obs.account_id, obs.kind, key, evidence, owners, min(extracting, owners), mean, ts
        )

    def _touch(self, key: str, ts: int) -> None:
        recency = self._recency
        recency[key] = ts
        recency.move_to_end(key)
        mark = self._watermark
        mark = ts if mark is None else max(mark, min(ts, mark + self._step))
        self._watermark = mark
        horizon = mark - self._horizon
        while recency:
            oldest, oldest_ts = next(iter(recency.items()))
            if oldest_ts >= horizon and len(recency) <= self._max_values:
                break
            recency.popitem(last=False)
            self.traits.pop(oldest, None)
            self._decoded.pop(oldest, None)
            self.evicted += 1


@lru_cache(maxsize=1 << 16)
def _slot_of(key: str) -> int:
    """A trait key's 16-bit memory slot (never 0, which marks an empty slot). Memoised: an account shows
    the same few keys on every request."""
    return (stable_hash32(key) & _MASK16) or 1


class TraitEmitter:
    """Which of a request's traits the account stage sends on, bounding the trait stage's fan-out.

    A trait value is sent when the account has not sent it recently, and each value again once per
    ``refresh_every`` requests (staggered by the value's hash, so refreshes spread over requests) and at
    the ``early_refresh`` request counts (or the next), so the sharers' mean follows the account's current
    level. The account's memory (kept by the caller as ``memory`` bytes, 2 B per slot) lists 16-bit hashes
    of the values it sent, most recently seen first: values the account shows on every request stay at the
    front, so an account rotating its exit IP on every request ages out only its old IPs. At most
    ``max_emit_per_request`` per request, in the caller's order (put the most telling kinds first); a new
    value held back by the cap is sent next time. A 16-bit collision only delays a value to its next
    refresh.

    >>> emitter = TraitEmitter(TraitConfig())
    >>> sent, memory = emitter.select(["sys:a1", "ip32:10.0.0.1"], None, events=1)
    >>> sent, emitter.select(["sys:a1", "ip32:10.0.0.1"], memory, events=2)[0]
    (['sys:a1', 'ip32:10.0.0.1'], [])
    >>> len(memory)
    32
    """

    def __init__(self, config: TraitConfig) -> None:
        self.config = config
        self.slots = config.emit_recent_traits
        self._memory = struct.Struct(f"<{self.slots}H")
        self._early = frozenset(config.early_refresh)
        self._every = config.refresh_every
        self._limit = config.max_emit_per_request

    def select(self, keys: Sequence[str], memory: bytes | None, events: int) -> tuple[list[str], bytes]:
        """The keys to send for this request (the account's ``events``-th) and the updated memory."""
        slots = self.slots
        if memory is not None and len(memory) == self._memory.size:
            ring = [h for h in self._memory.unpack(memory) if h]
        else:
            ring = []
        early = self._early
        every, limit = self._every, self._limit
        sent: list[str] = []
        for key in keys:
            h = _slot_of(key)
            if h in ring:
                ring.remove(h)
                ring.insert(0, h)
                # Early refreshes go out over two requests (by the hash's low bit) to stay under the cap.
                due = (events - (h & 1)) in early or (events + h) % every == 0
                if due and len(sent) < limit and key not in sent:
                    sent.append(key)
            elif len(sent) < limit:
                ring.insert(0, h)
                sent.append(key)
        del ring[slots:]
        return sent, self._memory.pack(*ring, *([0] * (slots - len(ring))))
