"""Accounts and the event sink: who sends a request, and the RequestEvent v1 dicts they produce.

Identifiers are opaque hashes. The family and campaign of an account are kept on the ``Account`` for
the label file only; ``EventSink.emit`` never copies them into an event.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .common import DAY_MS, HOUR_MS, estimate_tokens, neutral_id
from .networks import Endpoint


@dataclass
class Account:
    """One API account (or API key with its own account id) and its stable traits."""

    account_id: str
    family: str
    campaign_id: str | None
    created_ts: int
    tier: str
    country: str
    tz: float
    payment_fingerprint: str | None = None
    org_id: str | None = None
    api_keys: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    home: Endpoint | None = None

    def label(self) -> dict:
        """The ground-truth row for this account."""
        return {
            "account_id": self.account_id,
            "family": self.family,
            "campaign_id": self.campaign_id,
            "kind": "normal" if self.campaign_id is None else "campaign",
        }


class IdFactory:
    """Opaque ids for one generated scenario, unique per (split, seed)."""

    def __init__(self, split: str, seed: int) -> None:
        self._salt = f"{split}|{seed}"
        self._n = 0

    def new(self, prefix: str) -> str:
        """A fresh id with the given neutral prefix (``acct_``, ``org_``, ``key_``, ``pm_``, ``cmp_``)."""
        self._n += 1
        return neutral_id(prefix, self._salt, prefix, self._n)


def make_account(
    ids: IdFactory,
    rng: random.Random,
    *,
    family: str,
    campaign_id: str | None,
    created_ts: int,
    tier: str,
    country: str,
    tz: float,
    card: bool | str = True,
    org_id: str | None = None,
    n_keys: int = 1,
    user_agents: list[str] | None = None,
    home: Endpoint | None = None,
) -> Account:
    """Create an account; ``card`` True = its own card, a string = that (shared) fingerprint, False = none."""
    fingerprint = ids.new("pm_") if card is True else (card or None)
    return Account(
        account_id=ids.new("acct_"),
        family=family,
        campaign_id=campaign_id,
        created_ts=int(created_ts),
        tier=tier,
        country=country,
        tz=tz,
        payment_fingerprint=fingerprint,
        org_id=org_id,
        api_keys=[ids.new("key_") for _ in range(max(1, n_keys))],
        user_agents=list(user_agents or []),
        home=home,
    )


def created_days_ago(rng: random.Random, start_ms: int, lo_days: float, hi_days: float) -> int:
    """An account creation time ``lo_days``..``hi_days`` before ``start_ms`` (log-uniform)."""
    days = math.exp(rng.uniform(math.log(max(lo_days, 0.01)), math.log(max(hi_days, lo_days + 0.02))))
    return int(start_ms - days * DAY_MS - rng.randrange(HOUR_MS))


class EventSink:
    """Collects RequestEvent v1 dicts (optional fields left out when they would be null)."""

    def __init__(self, ids: IdFactory) -> None:
        self.ids = ids
        self.events: list[dict] = []
        self.per_account: dict[str, int] = {}

    def emit(
        self,
        acct: Account,
        ts: int,
        ep: Endpoint,
        model: str,
        prompt: str,
        *,
        output_tokens: int,
        rng: random.Random,
        system_prompt: str | None = None,
        turns: int | None = None,
        tools: list[str] | None = None,
        thinking: bool | None = None,
        history_tokens: int = 0,
        user_agent: str | None = None,
        api_key: str | None = None,
    ) -> None:
        """Append one event for ``acct``; input tokens are estimated from the text it sends."""
        tool_tokens = 90 * len(tools) if tools else 0
        in_tok = (
            estimate_tokens(prompt)
            + estimate_tokens(system_prompt)
            + history_tokens
            + tool_tokens
            + rng.randint(3, 12)
        )
        event = {
            "schema_version": 1,
            "event_id": neutral_id("evt_", self.ids._salt, "evt", len(self.events)),
            "ts": int(ts),
            "account_id": acct.account_id,
            "ip": ep.ip,
            "model": model,
            "input_tokens": int(in_tok),
            "output_tokens": int(max(1, output_tokens)),
            "api_key_id": api_key
            or (acct.api_keys[0] if len(acct.api_keys) == 1 else rng.choice(acct.api_keys)),
            "account_created_ts": acct.created_ts,
            "account_tier": acct.tier,
            "asn": ep.asn,
            "asn_type": ep.asn_type,
            "country": ep.country,
            "prompt": prompt,
        }
        ua = user_agent or (rng.choice(acct.user_agents) if acct.user_agents else None)
        optional = {
            "org_id": acct.org_id,
            "payment_fingerprint": acct.payment_fingerprint,
            "user_agent": ua,
            "system_prompt": system_prompt,
            "conversation_turns": turns,
            "tools": tools,
            "thinking": thinking,
        }
        event.update({k: v for k, v in optional.items() if v is not None})
        self.events.append(event)
        self.per_account[acct.account_id] = self.per_account.get(acct.account_id, 0) + 1


@dataclass
class Convo:
    """Turn counter and accumulated context of the conversation an actor is in."""

    turn: int = 0
    history: int = 0

    def start(self) -> None:
        """Open a new conversation."""
        self.turn, self.history = 1, 0

    def follow(self) -> None:
        """Send the next turn of the current conversation."""
        self.turn += 1

    def record(self, prompt: str, output_tokens: int) -> None:
        """Add a finished exchange to the context the next turn carries."""
        self.history += estimate_tokens(prompt) + output_tokens
