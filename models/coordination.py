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
        self._index = {kind: i for i, kind in enumerate(self.kinds)}
        self._struct = struct.Struct("<" + "fq" * len(self.kinds))
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
            return [0.0, 0] * len(self.kinds)
        return list(self._struct.unpack(raw))

    def absorb(self, evidence: TraitEvidence) -> None:
        """Store one answer of the trait stage (the latest per kind wins: it reflects the value now)."""
        index = self._index.get(evidence.kind)
        if index is None:
            return
        values = self._read(evidence.account_id)
        old_value, old_ts = values[2 * index], values[2 * index + 1]
        # Two values of one kind (two IPs the account used) may answer in any order: keep the stronger
        # one unless it is older than the decay horizon.
        if evidence.ts - int(old_ts) < self._decay_ms and float(old_value) > evidence.evidence:
            return
        values[2 * index], values[2 * index + 1] = evidence.evidence, evidence.ts
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
        """The strongest decayed evidence of any kind, and that kind (None when there is none)."""
        raw = self.table.get(account_id)
        if raw is None:
            return 0.0, None
        values = self._read(account_id)
        best, best_kind = 0.0, None
        for i, kind in enumerate(self.kinds):
            value, ts = float(values[2 * i]), int(values[2 * i + 1])
            if value <= 0.0:
                continue
            decayed = value * math.exp(-max(0, now_ts - ts) / self._decay_ms)
            if decayed > best:
                best, best_kind = decayed, kind
        return best, best_kind
