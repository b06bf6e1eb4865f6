"""How rare a signal value is among accounts not under suspicion: the benign reference population.

A weight says how much a signal matters; it cannot say whether 40 % elicitation is unusual *here*. A
coding-assistant platform's accounts are mostly capability traffic, a consumer chat app's mostly not,
and a simulator's population is neither. :class:`SignalRarity` keeps, for each account signal, a decayed
histogram of the values that accounts *not under suspicion* show, and answers "what share of those
accounts reach at least this value?" — the account's tail share. That number serves twice:

* in reasons an analyst reads: "97 % of recent requests ask for step-by-step reasoning; 0.4 % of
  accounts do";
* as evidence: :meth:`rarity` combines the smallest tail shares of an account's evidence signals
  (``-log10`` of each, strongest first, each next one counting half as much) into one signal in [0, 1],
  which adapts to whatever population the detector watches instead of to the data a weight was fitted on.

Only accounts whose own fused score is below ``learn_below_score`` teach it, at their 5th, 10th, 20th,
40th ... request (a geometric schedule), so every account weighs about the logarithm of its volume and a
heavy campaign cannot define "normal". Learning is per process (like the population anomaly model): it
needs no key, and a restart relearns it within ``warmup_accounts`` lessons; until then it says nothing,
and after that a share is never below ``(1/2) / (lessons + 1)``: a reference of a few dozen accounts
cannot call anything very rare, so a cold detector is conservative rather than jumpy.

>>> rarity = SignalRarity(("elicitation",), warmup_accounts=10)
>>> for i in range(100):
...     rarity.learn_one({"elicitation": (i % 10) / 100})  # benign accounts: 0 - 9 % elicitation
>>> rarity.share_at_least("elicitation", 0.95) < 0.02
True
>>> round(rarity.share_at_least("elicitation", 0.0), 2)
1.0
>>> rarity.rarity({"elicitation": 0.95}) > 0.3
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# Teaching schedule: an account teaches at these request counts and then at every doubling.
FIRST_LESSON = 5
REBUILD_EVERY = 16


def lesson_due(events: int) -> bool:
    """Whether an account's ``events``-th request is on the geometric teaching schedule (5, 10, 20 ...).

    >>> [n for n in range(1, 50) if lesson_due(n)]
    [5, 10, 20, 40]
    """
    if events < FIRST_LESSON or events % FIRST_LESSON:
        return False
    ratio = events // FIRST_LESSON
    return ratio & (ratio - 1) == 0


class SignalRarity:
    """Decayed per-signal histograms of benign accounts' values in [0, 1]; tail shares and rarity."""

    def __init__(
        self,
        names: Iterable[str],
        bins: int = 50,
        half_life_accounts: float = 20_000.0,
        warmup_accounts: int = 20,
        floor_share: float = 1e-3,
        saturation: float = 6.0,
    ) -> None:
        self.names = tuple(names)
        self.bins = bins
        self._decay = 0.5 ** (1.0 / half_life_accounts)
        self.warmup_accounts = warmup_accounts
        self.floor_share = floor_share
        self._log_floor = -math.log10(floor_share)
        self.saturation = saturation
        self.lessons = 0
        self._counts = {name: [0.0] * bins for name in self.names}
        self._total = 0.0
        # Decay without touching every bin: each lesson weighs 1/decay times the previous one, and
        # everything is rescaled before the weights overflow.
        self._unit = 1.0
        # Tail shares (of mass at or above each bin, floored) and their -log10, rebuilt after lessons
        # (at most once per ``REBUILD_EVERY`` lessons: a lesson moves a share by ~1/accounts).
        self._tails: dict[str, list[float]] = {}
        self._evidence: dict[str, list[float]] = {}
        self._built_at = -1

    def _bin(self, value: float) -> int:
        if value <= 0.0:
            return 0
        return min(self.bins - 1, int(value * self.bins))

    def learn_one(self, signals: Mapping[str, float]) -> None:
        """One benign account's current values (missing signals count as 0)."""
        self._unit /= self._decay
        unit = self._unit
        for name in self.names:
            self._counts[name][self._bin(signals.get(name, 0.0))] += unit
        self._total += unit
        self.lessons += 1
        if unit > 1e200:
            self._rescale()

    def _rescale(self) -> None:
        unit = self._unit
        for counts in self._counts.values():
            counts[:] = [c / unit for c in counts]
        self._total /= unit
        self._unit = 1.0

    @property
    def ready(self) -> bool:
        return self.lessons >= self.warmup_accounts

    def _fresh(self) -> None:
        if self._built_at >= 0 and self.lessons - self._built_at < REBUILD_EVERY:
            return
        # Shares are smoothed by the effective number of lessons n (decayed weights in units of the
        # latest lesson): (tail + 1/2) / (n + 1), so a reference of 30 accounts cannot call anything
        # rarer than ~2 %, and a reference of millions is floored at ``floor_share`` (its resolution).
        unit, floor = self._unit, self.floor_share
        lessons = self._total / unit
        for name, counts in self._counts.items():
            tail, running = [0.0] * self.bins, 0.0
            for i in range(self.bins - 1, -1, -1):
                running += counts[i]
                tail[i] = max(floor, min(1.0, (running / unit + 0.5) / (lessons + 1.0)))
            self._tails[name] = tail
            self._evidence[name] = [-math.log10(share) for share in tail]
        self._built_at = self.lessons

    def share_at_least(self, name: str, value: float) -> float:
        """Share of benign accounts whose value is in ``value``'s bin or above (1.0 before warm-up)."""
        if self.lessons < self.warmup_accounts or name not in self._counts:  # not ready (inlined)
            return 1.0
        self._fresh()
        if value <= 0.0:  # _bin(value), inlined: the account stage asks a few times per request
            return self._tails[name][0]
        index = int(value * self.bins)
        return self._tails[name][index if index < self.bins else self.bins - 1]

    def rarity(self, signals: Mapping[str, float], names: Iterable[str] | None = None) -> float:
        """The combined rarity of ``signals`` (over ``names``, default all) in [0, 1]: the strongest
        ``-log10`` tail share, plus half the next, plus a quarter of the third, over ``saturation``."""
        if not self.ready:
            return 0.0
        first, second, third = self._strongest(signals, names or self.names, None)
        return min(1.0, (first + 0.5 * second + 0.25 * third) / self.saturation)

    def rarity_apart(
        self, signals: Mapping[str, float], names: Iterable[str], apart: str
    ) -> tuple[float, float]:
        """:meth:`rarity` over ``names``, and over ``names`` without ``apart``, in one pass.

        The account stage needs both: the rarity of everything it knows about an account, and of what
        the account shows on its own, without the evidence other accounts' traffic gives it.

        >>> rarity = SignalRarity(("a", "b"), warmup_accounts=10)
        >>> for i in range(100):
        ...     rarity.learn_one({"a": (i % 10) / 100, "b": (i % 10) / 100})
        >>> both = {"a": 0.95, "b": 0.95}
        >>> rarity.rarity_apart(both, ("a", "b"), "b") == (rarity.rarity(both), rarity.rarity(both, ("a",)))
        True
        """
        if not self.ready:
            return 0.0, 0.0
        first, second, third = self._strongest(signals, names, apart)
        alone = (first + 0.5 * second + 0.25 * third) / self.saturation
        value = signals.get(apart)
        if value and value > 0.0:
            e = self._evidence[apart][min(self.bins - 1, int(value * self.bins))]
            first, second, third = sorted((first, second, third, e), reverse=True)[:3]
        return min(1.0, (first + 0.5 * second + 0.25 * third) / self.saturation), min(1.0, alone)

    def _strongest(
        self, signals: Mapping[str, float], names: Iterable[str], skip: str | None
    ) -> tuple[float, float, float]:
        """The three largest ``-log10`` tail shares of ``signals`` over ``names`` (but ``skip``)."""
        self._fresh()
        table, bins = self._evidence, self.bins
        first = second = third = 0.0
        last = bins - 1
        for name in names:
            value = signals.get(name)
            if not value or value <= 0.0 or name == skip:
                continue
            index = int(value * bins)
            e = table[name][index if index < last else last]  # min() without the call: every request
            if e > first:
                first, second, third = e, first, second
            elif e > second:
                second, third = e, second
            elif e > third:
                third = e
        return first, second, third
