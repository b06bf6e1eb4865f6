"""The simulated world one scenario runs in: clock, models, id factory, networks, text, event sink."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from .accounts import Account, EventSink, IdFactory
from .common import HOUR_MS, derive_rng
from .content import Content
from .networks import Endpoint, NetworkPlan
from .phrasing import Phrasebook

MODEL_MAIN = "aster-2-6-20251021"
MODEL_MINI = "aster-2-6-mini-20250903"
MODEL_NEW = "aster-3-0-20260303"


@dataclass
class World:
    """Everything a family generator needs; families only add accounts and events to it."""

    split: str
    seed: int
    scale: float
    start: int
    end: int
    release: int
    ids: IdFactory
    sink: EventSink
    net: NetworkPlan
    content: Content
    book: Phrasebook
    accounts: list[Account] = field(default_factory=list)
    campaigns: list[dict] = field(default_factory=list)
    used_24: dict[tuple[int, int, int], str] = field(default_factory=dict)

    def rng(self, *names: object) -> random.Random:
        """A private RNG for (seed, split, names)."""
        return derive_rng(self.seed, self.split, *names)

    def n(self, base: float, minimum: int = 1) -> int:
        """``base`` accounts scaled by ``self.scale`` (at least ``minimum``)."""
        return max(minimum, round(base * self.scale))

    def add(self, acct: Account) -> Account:
        """Register an account (for labels)."""
        self.accounts.append(acct)
        return acct

    def model_at(
        self,
        rng: random.Random,
        ts: int,
        *,
        adopt_after_h: float | None,
        p_new: float,
        mini_share: float = 0.15,
    ) -> str:
        """The model an actor calls at ``ts``: the new one with ``p_new`` once it adopted it."""
        if (
            adopt_after_h is not None
            and ts >= self.release + adopt_after_h * HOUR_MS
            and rng.random() < p_new
        ):
            return MODEL_NEW
        return MODEL_MINI if rng.random() < mini_share else MODEL_MAIN

    def fresh_exit(
        self, rng: random.Random, owner: str, make: Callable[[random.Random], Endpoint], tries: int = 6
    ) -> Endpoint:
        """An endpoint from ``make(rng)`` whose /24 no *other* owner in this world has used yet."""
        ep = make(rng)
        for _ in range(tries):
            key = tuple(int(x) for x in ep.ip.split(".")[:3])
            holder = self.used_24.get(key)
            if holder is None or holder == owner:
                self.used_24[key] = owner
                return ep
            ep = make(rng)
        return ep
