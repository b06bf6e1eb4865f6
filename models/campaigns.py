"""Campaign linking: accounts joined by shared payment methods, networks or infrastructure.

A union-find over account ids. Each request offers link keys (``payment:<fp>``, ``ip24:<net>``,
``ua_cluster:<ua>|<cluster>``, ``proxy_asn:<asn>``); two accounts that offer the same key join one
campaign. Only accounts with some evidence of their own may link through the weak keys, so shared
NATs and cloud ranges do not glue ordinary users together; a key offered by more than
``max_key_accounts`` distinct accounts stops linking (it is a public resource, not a campaign's).

A campaign is named after its smallest member, so the linkers of different partitions, which see one
campaign through different keys, converge on one name. The linker does not meet different accounts'
requests in event-time order (it meets them as the request partitions' batches interleave; each
account's own stay in order), so what a request is given is decided by event time, not by that order:

* every link is dated by the event time at which it exists: ``max`` of the offer's ``ts`` and the key's
  earliest offer's, whichever of the two the linker met first;
* each group keeps the history of its smallest member (``(since, account)`` steps) and when it reached
  ``min_size``; a group absorbed by another keeps both for its members' requests from before the merge;
* a request at ``ts`` is given a campaign if the group its account was in at ``ts`` had ``min_size``
  members by then, named after its smallest member ``name_settle_s`` before ``ts``: a member that
  joined within that lag, which the linker may or may not have met yet, renames it only after it.

Whatever the interleaving, as long as it strays less than ``name_settle_s`` from event time, a request is
given the same name, and the final groups and names are the same; what is left depends on the order in
which the linker met links close in event time: whether a request right after a group reached
``min_size`` saw it (the link it reached it by may not have been met yet), which account's offer of a
key was met first (links go through it: see ``max_key_accounts`` and ``max_bridge_size``), and
``size``/``members`` (the group now).

>>> from distillguard.models.config import CampaignConfig
>>> linker = CampaignLinker(CampaignConfig(min_size=2))
>>> _ = linker.link("a", ["payment:visa-1"], ts=1)
>>> c = linker.link("b", ["payment:visa-1"], ts=2)
>>> c.size, sorted(c.members)
(2, ['a', 'b'])
>>> MINUTE = 60_000
>>> linker = CampaignLinker(CampaignConfig(min_size=2, name_settle_s=300))
>>> _ = linker.link("b", ["payment:visa-1"], ts=0)
>>> named_b = linker.link("c", ["payment:visa-1"], ts=1 * MINUTE).campaign_id
>>> linker.link("a", ["payment:visa-1"], ts=10 * MINUTE).campaign_id == named_b  # smaller, joins at 10 min
True
>>> linker.link("c", [], ts=14 * MINUTE).campaign_id == named_b
True
>>> linker.link("c", [], ts=15 * MINUTE).campaign_id == linker.campaign_of("a").campaign_id != named_b
True
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from distillguard.models.config import CampaignConfig
from distillguard.models.hashing import short_id

_MAX_KEYS_PER_ACCOUNT = 16
# Steps of a group's smallest-member history kept (the most recent ones): requests older than the
# oldest step kept are named after it.
_MAX_ANCHOR_STEPS = 8


@dataclass(frozen=True, slots=True)
class Campaign:
    """The linked group an account belongs to (size 1 when it is alone)."""

    campaign_id: str | None
    size: int
    members: tuple[str, ...]
    shared_payment: bool


@dataclass(slots=True)
class _Account:
    parent: str
    last_ts: int
    keys: list[str] = field(default_factory=list)


# A group's smallest member over event time: (since, account) steps, since ascending, account descending.
_Anchors = list[tuple[int, str]]


class CampaignLinker:
    """Bounded union-find of accounts linked by shared keys."""

    def __init__(self, config: CampaignConfig) -> None:
        self.config = config
        self._reset()

    def _reset(self) -> None:
        self._accounts: dict[str, _Account] = {}
        self._size: dict[str, int] = {}
        self._members: dict[str, list[str]] = {}
        self._anchors: dict[str, _Anchors] = {}  # by root, for groups of two or more
        self._formed: dict[str, int] = {}  # by root: when the group reached ``min_size`` (event time)
        # Former roots merged into another group: when, and their group's history and formation then.
        self._merged: dict[str, tuple[int, _Anchors | None, int | None]] = {}
        # Each key: the first account that offered it (links go through it), the earliest event time it
        # was offered at, the other distinct accounts that offered it (while there are some and the key
        # still links); keys offered by more than ``max_key_accounts`` accounts never link again.
        self._key_owner: dict[str, str] = {}
        self._key_first_ts: dict[str, int] = {}
        self._key_others: dict[str, set[str]] = {}
        self._saturated: set[str] = set()
        self._paid_roots: set[str] = set()

    def __setstate__(self, state: dict[str, Any]) -> None:
        known, pickled = CampaignConfig.model_fields, vars(state["config"])
        if set(known) - set(pickled):  # a configuration pickled before a field was added: defaults for it
            fields = {name: value for name, value in pickled.items() if name in known}
            state = {**state, "config": CampaignConfig.model_validate(fields)}
        if "_smallest" in state:  # a snapshot written before the smallest-member history
            state = _upgrade(state)
        self.__dict__.update(state)

    def __len__(self) -> int:
        return len(self._accounts)

    def campaign_sizes(self) -> list[int]:
        """The size of every linked group that counts as a campaign (at least ``min_size`` accounts)."""
        floor = self.config.min_size
        return [size for size in self._size.values() if size >= floor]

    def link(self, account_id: str, keys: list[str], ts: int) -> Campaign:
        """Offer ``keys`` for ``account_id`` (already filtered by evidence) at event time ``ts`` and return
        its campaign as of ``ts``."""
        max_accounts = self.config.max_tracked_accounts
        account = self._accounts.get(account_id)
        if len(self._key_owner) >= max_accounts * _MAX_KEYS_PER_ACCOUNT or (
            account is None and len(self._accounts) >= max_accounts
        ):
            self._compact(ts)
            account = self._accounts.get(account_id)
        if account is None:
            account = self._accounts[account_id] = _Account(account_id, ts)
            self._size[account_id] = 1
            self._members[account_id] = [account_id]
        account.last_ts = max(account.last_ts, ts)
        for key in keys:
            owner = self._key_owner.get(key)
            if owner is None:  # a new key
                self._key_owner[key] = account_id
                self._key_first_ts[key] = ts
                self._remember(account, key)
                continue
            if owner == account_id:
                continue
            if key in self._saturated:
                self._remember(account, key)
                continue
            others = self._key_others.setdefault(key, set())
            if account_id in others:
                continue  # offered before
            self._remember(account, key)
            if len(others) + 1 >= self.config.max_key_accounts:
                self._saturated.add(key)  # a public resource: stops linking
                del self._key_others[key]
                continue
            others.add(account_id)
            first_ts = self._key_first_ts.get(key, ts)
            self._key_first_ts[key] = min(first_ts, ts)
            # When the link exists in event time: once both this offer and the key's earliest one were
            # made, whichever of them the linker met first.
            since = max(ts, first_ts)
            is_payment = key.startswith("payment:")
            if not is_payment and self._would_bridge(owner, account_id):
                continue
            root = self._union(owner, account_id, since)
            if is_payment:
                self._paid_roots.add(root)
        return self.campaign_of(account_id, ts)

    def campaign_of(self, account_id: str, ts: int | None = None) -> Campaign:
        """The account's campaign (its size and members now) as a request at event time ``ts`` is given
        it: a campaign if the group the account was in at ``ts`` had ``min_size`` members by then, named
        after its smallest member ``name_settle_s`` before. Without ``ts``: named after its smallest
        member now."""
        if account_id not in self._accounts:
            return Campaign(None, 1, (account_id,), False)
        root = self._find(account_id)
        size = self._size[root]
        members, paid = tuple(self._members[root]), root in self._paid_roots
        if size < self.config.min_size:
            return Campaign(None, size, members, paid)
        if ts is None:
            anchor = self._anchors[root][-1][1]
        else:
            anchors, formed = self._group_at(account_id, ts)
            if anchors is None or formed is None or formed > ts:
                return Campaign(None, size, members, paid)
            as_of = ts - round(self.config.name_settle_s * 1000)
            anchor = _step_at(self._group_at(account_id, as_of)[0] or anchors, as_of)
        return Campaign("cmp-" + short_id("campaign", anchor, length=12), size, members, paid)

    def _group_at(self, account_id: str, ts: int) -> tuple[_Anchors | None, int | None]:
        """The smallest-member history of the group the account was in at event time ``ts`` (None: it was
        alone) and when that group reached ``min_size`` (None: not by then). Up the account's chain of
        roots: the first group it was in that was merged into another after ``ts``, else its group now."""
        node = account_id
        while True:
            merged = self._merged.get(node)
            if merged is not None and ts < merged[0]:
                return merged[1], merged[2]
            parent = self._accounts[node].parent
            if parent == node:
                formed = self._formed.get(node)
                if formed is None and self._size[node] >= self.config.min_size:
                    formed = -1  # a campaign under a smaller min_size than when it formed
                return self._anchors.get(node), formed
            node = parent

    def _remember(self, account: _Account, key: str) -> None:
        """Keep the account's first keys (what a compaction relinks it with)."""
        if len(account.keys) < _MAX_KEYS_PER_ACCOUNT and key not in account.keys:
            account.keys.append(key)

    def _find(self, account_id: str) -> str:
        # No path compression: an account's chain of roots is what says which group it was in before a
        # merge (union by size keeps the chains logarithmic).
        node = self._accounts[account_id]
        root = account_id
        while node.parent != root:
            root = node.parent
            node = self._accounts[root]
        return root

    def _would_bridge(self, a: str, b: str) -> bool:
        """Would this link merge two established groups? One shared proxy /24 should not fuse campaigns."""
        root_a, root_b = self._find(a), self._find(b)
        limit = self.config.max_bridge_size
        return root_a != root_b and self._size[root_a] > limit and self._size[root_b] > limit

    def _union(self, a: str, b: str, since: int) -> str:
        root_a, root_b = self._find(a), self._find(b)
        if root_a == root_b:
            return root_a
        if self._size[root_a] < self._size[root_b]:
            root_a, root_b = root_b, root_a
        kept, absorbed = self._anchors.pop(root_a, None), self._anchors.pop(root_b, None)
        # What root_b's members were until ``since``: what a request of theirs before then is given.
        self._merged[root_b] = (since, absorbed, self._formed.pop(root_b, None))
        anchors = _merge_anchors(kept or [(since, root_a)], absorbed or [(since, root_b)], since)
        self._accounts[root_b].parent = root_a
        self._size[root_a] += self._size.pop(root_b)
        if root_a not in self._formed and self._size[root_a] >= self.config.min_size:
            self._formed[root_a] = since
        # The smallest members are listed (not the first the linker met: that depends on its order).
        listed = self._members[root_a] + self._members.pop(root_b)
        self._members[root_a] = heapq.nsmallest(self.config.max_linked_listed + 1, listed)
        self._anchors[root_a] = anchors
        if root_b in self._paid_roots:
            self._paid_roots.discard(root_b)
            self._paid_roots.add(root_a)
        return root_a

    def _compact(self, now_ts: int) -> None:
        """Bound memory: keep the most recently active half of the accounts and relink them."""
        keep = sorted(self._accounts.items(), key=lambda item: item[1].last_ts, reverse=True)
        keep = keep[: self.config.max_tracked_accounts // 2]
        survivors = [(account_id, entry.keys, entry.last_ts) for account_id, entry in keep]
        self._reset()
        for account_id, keys, last_ts in reversed(survivors):
            self.link(account_id, keys, last_ts)


def _step_at(anchors: _Anchors, as_of: int) -> str:
    """The smallest member as of ``as_of`` (before the first step: the first)."""
    step = bisect_right(anchors, (as_of, "\U0010ffff"))
    return anchors[max(step, 1) - 1][1]


def _merge_anchors(kept: _Anchors, absorbed: _Anchors, since: int) -> _Anchors:
    """The smallest-member history of a group that absorbed another at event time ``since``, for its
    own members: the absorbed group's members count from ``since`` on (the absorbed group's members
    find their names before ``since`` in its own history, kept in ``_merged``). Which of two groups is
    absorbed (the smaller so far) does not change any name."""
    steps = sorted(kept + [(max(when, since), account) for when, account in absorbed])
    history: _Anchors = []
    for when, account in steps:
        if not history or account < history[-1][1]:
            history.append((when, account))
    return history[-_MAX_ANCHOR_STEPS:]


def _upgrade(state: dict[str, Any]) -> dict[str, Any]:
    """A linker pickled before the smallest-member history: its smallest members name their groups from
    the start of time (the names they had). Which accounts offered a key is rebuilt from the accounts'
    remembered keys (the first 16 of each; another may count an account again) and the keys' old counts."""
    state = dict(state)
    smallest: dict[str, str] = state.pop("_smallest")
    counts: dict[str, int] = state.pop("_key_accounts")
    owners: dict[str, str] = state["_key_owner"]
    config: CampaignConfig = state["config"]
    sizes: dict[str, int] = state["_size"]
    state["_anchors"] = {root: [(0, name)] for root, name in smallest.items() if sizes.get(root, 1) > 1}
    state["_merged"] = {}
    state["_formed"] = {root: -1 for root, size in sizes.items() if size >= config.min_size}
    state["_key_first_ts"] = {}
    state["_saturated"] = {key for key, count in counts.items() if count > config.max_key_accounts}
    others: dict[str, set[str]] = {}
    for account_id, account in state["_accounts"].items():
        for key in account.keys:
            if key not in state["_saturated"] and owners.get(key, account_id) != account_id:
                others.setdefault(key, set()).add(account_id)
    state["_key_others"] = others
    return state
