"""Per-account coordination evidence: what the shared-trait stage said about an account, by trait kind.

The trait stage (keyed by trait value, :mod:`models.traits`) answers each trait observation with a
:class:`~models.traits.TraitEvidence` routed back by account. :class:`AccountCoordination` is the sink
that keeps, per account and trait kind, the latest evidence, its time and how many owners shared the
value, in a mapping of bytes (a dict
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
>>> sink.strongest("a1", now_ts=1_000)[2]  # the value's owners, for the reason text
40.0
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
        # Per kind: evidence, its time, the value's distinct owners.
        self._struct = struct.Struct("<" + "fqf" * len(self.kinds))
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
            return [0.0, 0, 0.0] * len(self.kinds)
        return list(self._struct.unpack(raw))

    def absorb(self, evidence: TraitEvidence) -> None:
        """Store one answer of the trait stage (the latest per kind wins: it reflects the value now)."""
        index = self._index.get(evidence.kind)
        if index is None:
            return
        values = self._read(evidence.account_id)
        at = 3 * index
        old_value, old_ts = values[at], values[at + 1]
        # Two values of one kind (two IPs the account used) may answer in any order: keep the stronger
        # one unless it is older than the decay horizon.
        if evidence.ts - int(old_ts) < self._decay_ms and float(old_value) > evidence.evidence:
            return
        values[at : at + 3] = [evidence.evidence, evidence.ts, evidence.owners]
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
        best, kind, _ = self.strongest(account_id, now_ts)
        return best, kind

    def strongest(self, account_id: str, now_ts: int) -> tuple[float, str | None, float]:
        """:meth:`signal`, and the number of owners sharing the value behind it (0 when there is none)."""
        raw = self.table.get(account_id)
        if raw is None:
            return 0.0, None, 0.0
        values = self._read(account_id)
        best, best_kind, best_owners = 0.0, None, 0.0
        for i, kind in enumerate(self.kinds):
            value, ts, owners = float(values[3 * i]), int(values[3 * i + 1]), float(values[3 * i + 2])
            if value <= 0.0:
                continue
            decayed = value * math.exp(-max(0, now_ts - ts) / self._decay_ms)
            if decayed > best:
                best, best_kind, best_owners = decayed, kind, owners
        return best, best_kind, best_owners
