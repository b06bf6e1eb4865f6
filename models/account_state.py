"""Compact per-account online state: a few hundred bytes per account, packed with ``struct``.

A River model per account does not scale to millions of accounts, so an account keeps exponentially
weighted shares and moments (the River ``EWMean``/``EWVar`` recurrences, inlined on floats), three small
rings of 32-bit hashes (recent templates, networks, event ids) and an hour-of-day histogram. State is
stored as bytes in the account table, so what the changelog holds is exactly what the worker uses.

>>> from distillguard.models.config import AccountConfig
>>> layout = AccountLayout(AccountConfig())
>>> state = AccountState.new(layout)
>>> AccountState.from_bytes(layout, state.to_bytes()).events
0
>>> layout.size <= 1024
True
"""

from __future__ import annotations

import itertools
import math
import struct
from dataclasses import dataclass

from distillguard.models.config import AccountConfig
from distillguard.models.features import RequestFeatures
from distillguard.models.geo import implausible_move, pack_country, unpack_country
from distillguard.models.hashing import stable_hash32

_HOURS = 24
# A request counts towards the systematic-extraction volume when it elicits reasoning or grades this
# strongly (a phrase marker of full strength, or the learned model this sure).
EXTRACTION_REQUEST = 0.8
_LOG_HOURS = math.log(_HOURS)
_MS_PER_HOUR = 3_600_000
_MAX_COUNT16 = 0xFFFF

# EW shares kept per account, in packing order.
SHARES = (
    "elicitation",
    "grading",
    "capability",
    "synthetic",
    "extraction",
    "thinking",
    "tool_use",
    "proxy_network",
    "new_model",
    "template_repeat",
    "network_rotation",
    "young_account",
    "easy_entry_tier",
    "single_turn",
    "long_output",
    "asn_rotation",
    "country_hop",
)
_SCALARS = (
    "gap_log_mean",
    "gap_log_var",
    "population_anomaly",
    "own_evidence",
    "max_own_evidence",
    "age_days",
    "extraction_count",
)
_SHARE_INDEX = {name: i for i, name in enumerate(SHARES)}
_SCALAR_INDEX = {name: i for i, name in enumerate(_SCALARS)}
_GAP_MEAN, _GAP_VAR = _SCALAR_INDEX["gap_log_mean"], _SCALAR_INDEX["gap_log_var"]
_AGE_DAYS, _EXTRACTION_COUNT = _SCALAR_INDEX["age_days"], _SCALAR_INDEX["extraction_count"]
_HEAD_FIELDS = 14  # events .. located_ts: the fixed-width fields before the arrays
# Autonomous systems remembered (most recent first): a person moves between home, office and mobile
# carriers; a proxy pool hops across many providers.
_ASN_RING = 4


class AccountLayout:
    """The byte layout of :class:`AccountState` for a given :class:`AccountConfig`."""

    def __init__(self, config: AccountConfig, trait_memory_bytes: int = 32) -> None:
        self.config = config
        self.trait_memory_bytes = trait_memory_bytes
        self.templates = 4 * config.recent_templates  # view prefix/suffix and frame head/tail
        self.networks = config.recent_networks
        self.dedupe = config.dedupe_window
        # events, first_ts, last_ts, hour_bucket, hour_count, peak_hour,
        # ring cursors (templates, networks, dedupe), source partition and offset, the trait emitter's
        # memory (which shared-trait values were sent recently), the country and time of the last located
        # request (models.geo), shares, scalars, rings, hour histogram
        self.struct = struct.Struct(
            f"<IqqIHHBBBiq{trait_memory_bytes}sHq"
            + f"{len(SHARES)}f{len(_SCALARS)}f"
            + f"{self.templates}I{self.networks}I{self.dedupe}I{_HOURS}H{_ASN_RING}I"
        )
        self.size = self.struct.size
        # Where each array starts and ends in the unpacked values.
        bounds = [_HEAD_FIELDS]
        for length in (
            len(SHARES),
            len(_SCALARS),
            self.templates,
            self.networks,
            self.dedupe,
            _HOURS,
            _ASN_RING,
        ):
            bounds.append(bounds[-1] + length)
        self.array_slices = tuple(slice(a, b) for a, b in itertools.pairwise(bounds))


@dataclass(slots=True)
class AccountState:
    """Online summary of one account's traffic. ``update`` is O(1) in the number of past requests."""

    layout: AccountLayout
    events: int
    first_ts: int
    last_ts: int
    hour_bucket: int
    hour_count: int
    peak_hour: int
    template_cursor: int
    network_cursor: int
    dedupe_cursor: int
    source_partition: int
    source_offset: int
    trait_memory: bytes
    located_country: int  # models.geo.pack_country of the last request from a located network (0: none)
    located_ts: int
    shares: list[float]
    scalars: list[float]
    templates: list[int]
    networks: list[int]
    dedupe: list[int]
    hours: list[int]
    asns: list[int]

    @classmethod
    def new(cls, layout: AccountLayout) -> AccountState:
        counters = [0] * 9  # events .. dedupe_cursor
        no_source = [-1, -1]  # source partition and offset
        return cls(
            layout,
            *counters,
            *no_source,
            bytes(layout.trait_memory_bytes),
            0,
            0,
            [0.0] * len(SHARES),
            [0.0] * len(_SCALARS),
            [0] * layout.templates,
            [0] * layout.networks,
            [0] * layout.dedupe,
            [0] * _HOURS,
            [0] * _ASN_RING,
        )

    @classmethod
    def from_bytes(cls, layout: AccountLayout, raw: bytes) -> AccountState:
        if len(raw) != layout.size:
            raise ValueError(f"account state of {len(raw)} bytes, layout expects {layout.size}")
        values = list(layout.struct.unpack(raw))
        shares, scalars, templates, networks, dedupe, hours, asns = layout.array_slices
        return cls(
            layout,
            *values[:_HEAD_FIELDS],
            values[shares],
            values[scalars],
            values[templates],
            values[networks],
            values[dedupe],
            values[hours],
            values[asns],
        )

    def to_bytes(self) -> bytes:
        return self.layout.struct.pack(
            self.events,
            self.first_ts,
            self.last_ts,
            self.hour_bucket,
            self.hour_count,
            self.peak_hour,
            self.template_cursor,
            self.network_cursor,
            self.dedupe_cursor,
            self.source_partition,
            self.source_offset,
            self.trait_memory,
            self.located_country,
            self.located_ts,
            *self.shares,
            *self.scalars,
            *self.templates,
            *self.networks,
            *self.dedupe,
            *self.hours,
            *self.asns,
        )

    # --- dedupe -------------------------------------------------------------------------------
    def seen_event(self, event_id: str, position: tuple[int, int] | None = None) -> bool:
        """True for a redelivery; otherwise remember the event.

        ``position`` is the (partition, offset) the event was read from, when there is one: an account's
        events come from one partition in offset order, so anything at or below the last applied offset
        is a redelivery after a crash, however many events it spans. The ring of recent event-id hashes
        catches duplicates that the producer sent twice (new offsets, same ``event_id``).
        """
        if position is not None:
            partition, offset = position
            if partition == self.source_partition and offset <= self.source_offset:
                return True
            self.source_partition, self.source_offset = partition, offset
        key = stable_hash32(event_id) or 1
        if key in self.dedupe:
            return True
        self.dedupe[self.dedupe_cursor] = key
        self.dedupe_cursor = (self.dedupe_cursor + 1) % len(self.dedupe)
        return False

    # --- learning -------------------------------------------------------------------------------
    def update(self, f: RequestFeatures, alpha: float) -> None:
        """Fold one request's features into the summary."""
        if self.events == 0:
            self.first_ts = f.ts
        else:
            gap_s = max(0.0, (f.ts - self.last_ts) / 1000.0)
            self._update_gap(math.log1p(gap_s), alpha)
        self.events += 1
        self.last_ts = max(self.last_ts, f.ts)
        self._update_rate(f.ts)
        hour = (f.ts // _MS_PER_HOUR) % _HOURS
        self.hours[hour] = min(_MAX_COUNT16, self.hours[hour] + 1)

        repeated = self._remember_template((f.prefix_hash, f.suffix_hash, f.head_hash, f.tail_hash))
        rotated = self._remember_network(stable_hash32(f.network))
        hopped = f.asn is not None and self._remember_asn(f.asn)
        moved = f.located_country is not None and self._remember_location(f.located_country, f.ts)
        observed = (
            f.elicitation,
            float(f.grading),
            f.capability,
            f.synthetic,
            f.extraction,
            float(f.thinking),
            float(f.tool_use),
            float(f.proxy_network),
            float(f.new_model),
            float(repeated),
            float(rotated),
            float(f.young_account),
            float(f.easy_entry_tier),
            float(f.opens_conversation),
            float(f.long_output),
            float(hopped),
            float(moved),
        )
        # The first requests weigh more (running mean) until the EW horizon takes over.
        weight = max(alpha, 1.0 / self.events)
        self.shares = [share + weight * (x - share) for share, x in zip(self.shares, observed, strict=True)]
        if max(f.elicitation, f.grading) >= EXTRACTION_REQUEST:
            self.scalars[_EXTRACTION_COUNT] += 1.0
        if f.account_age_days is not None:
            self.scalars[_AGE_DAYS] = f.account_age_days
        else:
            self.scalars[_AGE_DAYS] = -1.0

    def _update_gap(self, x: float, alpha: float) -> None:
        mean, var = self.scalars[_GAP_MEAN], self.scalars[_GAP_VAR]
        weight = max(alpha, 1.0 / self.events)
        diff = x - mean
        mean += weight * diff
        var = (1 - weight) * (var + weight * diff * diff)
        self.scalars[_GAP_MEAN], self.scalars[_GAP_VAR] = mean, var

    def _update_rate(self, ts: int) -> None:
        bucket = ts // _MS_PER_HOUR
        if bucket != self.hour_bucket:
            self.hour_bucket, self.hour_count = bucket, 0
        self.hour_count = min(_MAX_COUNT16, self.hour_count + 1)
        self.peak_hour = max(self.peak_hour, self.hour_count)

    def _remember_template(self, keys: tuple[int, ...]) -> bool:
        templates = self.templates
        # 0 is "no hash" (and what an empty ring holds): it never repeats and is never stored.
        stored = set(templates)
        stored.discard(0)
        repeated = not stored.isdisjoint(keys)
        for key in keys:
            # The ring only gains keys stored here, so a key outside ``stored`` is not in it: the scan
            # of the ring (which may have lost a key to an overwrite just now) is needed only otherwise.
            if key and (key not in stored or key not in templates):
                templates[self.template_cursor] = key
                self.template_cursor = (self.template_cursor + 1) % len(templates)
                stored.add(key)
        return repeated

    def _remember_network(self, key: int) -> bool:
        key = key or 1
        if key in self.networks:
            return False
        first_ever = not any(self.networks)
        self.networks[self.network_cursor] = key
        self.network_cursor = (self.network_cursor + 1) % len(self.networks)
        return not first_ever

    def _remember_asn(self, asn: int) -> bool:
        """Move-to-front ring of recent ASNs; True when ``asn`` is new and not the account's first."""
        key = (asn & 0xFFFFFFFF) or 1
        ring = self.asns
        if key in ring:
            ring.remove(key)
            ring.insert(0, key)
            return False
        first_ever = not any(ring)
        ring.insert(0, key)
        ring.pop()
        return not first_ever

    def _remember_location(self, country: str, ts: int) -> bool:
        """Remember where a located request came from; True when getting there from the last located
        request was a move no traveller could make (models.geo)."""
        previous = unpack_country(self.located_country)
        config = self.layout.config
        moved = previous is not None and implausible_move(
            previous,
            self.located_ts,
            country,
            ts,
            speed_kmh=config.travel_speed_kmh,
            border_km=config.travel_border_km,
        )
        self.located_country, self.located_ts = pack_country(country), ts
        return moved

    # --- reading ---------------------------------------------------------------------------------
    def share(self, name: str) -> float:
        return self.shares[_SHARE_INDEX[name]]

    def scalar(self, name: str) -> float:
        return self.scalars[_SCALAR_INDEX[name]]

    def set_scalar(self, name: str, value: float) -> None:
        self.scalars[_SCALAR_INDEX[name]] = value

    def hour_flatness(self) -> float:
        """Normalised entropy of the hour-of-day histogram: 1 = active around the clock, 0 = one hour."""
        total = sum(self.hours)
        if total < _HOURS:
            return 0.0
        # Subtracting term by term gives exactly -sum(terms): IEEE rounding is symmetric in sign.
        entropy = 0.0
        for count in self.hours:
            if count:
                p = count / total
                entropy -= p * math.log(p)
        return entropy / _LOG_HOURS

    def timing_regularity(self) -> float:
        """1 when inter-arrival gaps are machine-regular, 0 when bursty like people (log-gap std)."""
        if self.events < 3:
            return 0.0
        std = math.sqrt(max(0.0, self.scalars[_GAP_VAR]))
        return max(0.0, 1.0 - std)
