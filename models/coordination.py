"""Per-account coordination evidence: what the shared-trait stage said about an account, by trait kind.

The trait stage (keyed by trait value, :mod:`models.traits`) answers each trait observation with a
:class:`~models.traits.TraitEvidence` routed back by account. :class:`AccountCoordination` is the sink
that keeps, per account and trait kind, the latest evidence and its time, in a mapping of bytes (a dict
in replay, a changelogged table in the worker). The account stage reads it on the account's next request:
the evidence decays with age (``decay_hours``), so a campaign that stopped sharing stops counting.

Why a sink of its own rather than a write into the account record: the account stage and the trait
stage's answers arrive on different streams; giving each writer its own table keeps every table single-
writer, which is what a changelogged Faust table needs.

>>> from distillguard.models.traits import TraitConfig, TraitEvidence
>>> sink = AccountCoordination(TraitConfig())
>>> ev = TraitEvidence("a1", "sys", "sys:ab12", 0.8, 40.0, 38.0, 0.9, 1_000)
>>> sink.absorb(ev)
>>> round(sink.signal("a1", now_ts=1_000)[0], 3), sink.signal("a1", now_ts=1_000)[1]
(0.8, 'sys')
>>> sink.signal("nobody", now_ts=1_000)
(0.0, None)
"""

from __future__ import annotations

import math
import struct
from collections import OrderedDict
from collections.abc import MutableMapping

from distillguard.models.traits import TraitConfig, TraitEvidence

_MS_PER_HOUR = 3_600_000


class AccountCoordination:
    """Latest shared-trait evidence per (account, trait kind), decayed by age when read."""

    def __init__(
        self,
        config: TraitConfig,
        table: MutableMapping[str, bytes] | None = None,
        decay_hours: float = 48.0,
        max_accounts: int = 1_000_000,
        watermark_step_minutes: float = 60.0,
    ) -> None:
        self.kinds = tuple(rule.kind for rule in config.kinds)
        self._alone = tuple(rule.alone for rule in config.kinds)
        self._index = {kind: i for i, kind in enumerate(self.kinds)}
        # With co-sharing on (some kind's ``alone`` below 1), each kind also keeps the latest sharers of
        # its strongest value; off, the record is the (value, ts) pairs alone, as it always was.
        self._sharers = config.recent_owners if any(a < 1.0 for a in self._alone) else 0
        self._stride = 2 + self._sharers
        self._struct = struct.Struct("<" + ("fq" + "I" * self._sharers) * len(self.kinds))
        self.table: MutableMapping[str, bytes] = table if table is not None else {}
        self._decay_ms = decay_hours * _MS_PER_HOUR
        self._max_accounts = max_accounts
        # The eviction clock advances by a bounded step per answer, so one answer stamped far in the
        # future cannot evict every account (as in the account stage).
        self._step_ms = int(watermark_step_minutes * 60_000)
        self._watermark: int | None = None
        # Accounts this sink wrote, oldest first: it evicts its own keys (each table has one writer).
        self._recency: OrderedDict[str, int] = OrderedDict()

    def _read(self, account_id: str) -> list[float | int]:
        raw = self.table.get(account_id)
        if raw is None or len(raw) != self._struct.size:
            return ([0.0, 0] + [0] * self._sharers) * len(self.kinds)
        return list(self._struct.unpack(raw))

    def absorb(self, evidence: TraitEvidence) -> None:
        """Store one answer of the trait stage (the latest per kind wins: it reflects the value now)."""
        index = self._index.get(evidence.kind)
        if index is None:
            return
        values = self._read(evidence.account_id)
        at = self._stride * index
        old_value, old_ts = values[at], values[at + 1]
        # Two values of one kind (two IPs the account used) may answer in any order: keep the stronger
        # one unless it is older than the decay horizon.
        if evidence.ts - int(old_ts) < self._decay_ms and float(old_value) > evidence.evidence:
            return
        values[at], values[at + 1] = evidence.evidence, evidence.ts
        if self._sharers:
            sharers = list(evidence.sharers[: self._sharers])
            values[at + 2 : at + self._stride] = sharers + [0] * (self._sharers - len(sharers))
        self.table[evidence.account_id] = self._struct.pack(*values)
        self._touch(evidence.account_id, evidence.ts)

    def _touch(self, account_id: str, ts: int) -> None:
        """Evict accounts whose evidence has decayed away (4 horizons) or beyond the cap."""
        recency = self._recency
        recency[account_id] = ts
        recency.move_to_end(account_id)
        mark = self._watermark
        mark = ts if mark is None else max(mark, min(ts, mark + self._step_ms))
        self._watermark = mark
        horizon = mark - 4 * self._decay_ms
        while recency:
            oldest, oldest_ts = next(iter(recency.items()))
            if oldest_ts >= horizon and len(recency) <= self._max_accounts:
                break
            recency.popitem(last=False)
            self.table.pop(oldest, None)

    def signal(self, account_id: str, now_ts: int) -> tuple[float, str | None]:
        """The strongest decayed evidence of any kind, and that kind (None when there is none).

        A kind with ``alone`` below 1 counts that share of its evidence by itself and the rest as far as
        its sharers *co-share* another kind with the account: ``value * (alone + (1 - alone) * co)``, with
        ``co`` the largest share, over the account's other kinds with evidence, of the shorter of the two
        sharer lists found in both. Unrelated people who paste one public prompt rarely also share a
        client build or a sign-up window; a campaign's accounts share several at once."""
        raw = self.table.get(account_id)
        if raw is None:
            return 0.0, None
        values = self._read(account_id)
        stride, decay = self._stride, self._decay_ms
        decayed = [0.0] * len(self.kinds)
        for i in range(len(self.kinds)):
            value = float(values[stride * i])
            if value > 0.0:
                decayed[i] = value * math.exp(-max(0, now_ts - int(values[stride * i + 1])) / decay)
        best, best_kind = 0.0, None
        for i, kind in enumerate(self.kinds):
            value = decayed[i]
            if value <= 0.0:
                continue
            alone = self._alone[i]
            if alone < 1.0:
                value *= alone + (1.0 - alone) * self._co_sharing(values, decayed, i)
            if value > best:
                best, best_kind = value, kind
        return best, best_kind

    def _co_sharing(self, values: list[float | int], decayed: list[float], i: int) -> float:
        """The largest overlap of kind ``i``'s sharers with another evidenced kind's, as a share of the
        shorter list (0 when either list is empty)."""
        stride = self._stride
        mine = {h for h in values[stride * i + 2 : stride * (i + 1)] if h}
        if not mine:
            return 0.0
        best = 0.0
        for j in range(len(self.kinds)):
            if j == i or decayed[j] <= 0.0:
                continue
            theirs = {h for h in values[stride * j + 2 : stride * (j + 1)] if h}
            if theirs:
                best = max(best, len(mine & theirs) / min(len(mine), len(theirs)))
        return best
