"""Campaign linking: accounts joined by shared payment methods, networks or infrastructure.

A union-find over account ids. Each request offers link keys (``payment:<fp>``, ``ip24:<net>``,
``ua_cluster:<ua>|<cluster>``, ``proxy_asn:<asn>``); two accounts that offer the same key join one
campaign. Only accounts with some evidence of their own may link through the weak keys, so shared
NATs and cloud ranges do not glue ordinary users together; a key shared by more than
``max_key_accounts`` accounts stops linking (it is a public resource, not a campaign's).

>>> from distillguard.models.config import CampaignConfig
>>> linker = CampaignLinker(CampaignConfig(min_size=2))
>>> _ = linker.link("a", ["payment:visa-1"], ts=1)
>>> c = linker.link("b", ["payment:visa-1"], ts=2)
>>> c.size, sorted(c.members)
(2, ['a', 'b'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

from distillguard.models.config import CampaignConfig
from distillguard.models.hashing import short_id

_MAX_KEYS_PER_ACCOUNT = 16


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


class CampaignLinker:
    """Bounded union-find of accounts linked by shared keys."""

    def __init__(self, config: CampaignConfig) -> None:
        self.config = config
        self._reset()

    def _reset(self) -> None:
        self._accounts: dict[str, _Account] = {}
        self._size: dict[str, int] = {}
        self._members: dict[str, list[str]] = {}
        self._smallest: dict[str, str] = {}
        self._key_owner: dict[str, str] = {}
        self._key_accounts: dict[str, int] = {}
        self._paid_roots: set[str] = set()

    def __len__(self) -> int:
        return len(self._accounts)

    def campaign_sizes(self) -> list[int]:
        """The size of every linked group that counts as a campaign (at least ``min_size`` accounts)."""
        floor = self.config.min_size
        return [size for size in self._size.values() if size >= floor]

    def link(self, account_id: str, keys: list[str], ts: int) -> Campaign:
        """Offer ``keys`` for ``account_id`` (already filtered by evidence) and return its campaign."""
        account = self._accounts.get(account_id)
        if account is None:
            if len(self._accounts) >= self.config.max_tracked_accounts:
                self._compact(ts)
            account = self._accounts[account_id] = _Account(account_id, ts)
            self._size[account_id] = 1
            self._members[account_id] = [account_id]
            self._smallest[account_id] = account_id
        account.last_ts = max(account.last_ts, ts)
        for key in keys:
            if key in account.keys:
                continue
            if len(account.keys) < _MAX_KEYS_PER_ACCOUNT:
                account.keys.append(key)
            count = self._key_accounts.get(key, 0) + 1
            self._key_accounts[key] = count
            owner = self._key_owner.setdefault(key, account_id)
            if owner != account_id and count <= self.config.max_key_accounts:
                is_payment = key.startswith("payment:")
                if not is_payment and self._would_bridge(owner, account_id):
                    continue
                root = self._union(owner, account_id)
                if is_payment:
                    self._paid_roots.add(root)
        return self.campaign_of(account_id)

    def campaign_of(self, account_id: str) -> Campaign:
        if account_id not in self._accounts:
            return Campaign(None, 1, (account_id,), False)
        root = self._find(account_id)
        size = self._size[root]
        if size < self.config.min_size:
            return Campaign(None, size, tuple(self._members[root]), root in self._paid_roots)
        campaign_id = "cmp-" + short_id("campaign", self._smallest[root], length=12)
        return Campaign(campaign_id, size, tuple(self._members[root]), root in self._paid_roots)

    def _find(self, account_id: str) -> str:
        node = self._accounts[account_id]
        root = account_id
        while node.parent != root:
            root = node.parent
            node = self._accounts[root]
        # path compression
        current = account_id
        while current != root:
            entry = self._accounts[current]
            current, entry.parent = entry.parent, root
        return root

    def _would_bridge(self, a: str, b: str) -> bool:
        """Would this link merge two established groups? One shared proxy /24 should not fuse campaigns."""
        root_a, root_b = self._find(a), self._find(b)
        limit = self.config.max_bridge_size
        return root_a != root_b and self._size[root_a] > limit and self._size[root_b] > limit

    def _union(self, a: str, b: str) -> str:
        root_a, root_b = self._find(a), self._find(b)
        if root_a == root_b:
            return root_a
        if self._size[root_a] < self._size[root_b]:
            root_a, root_b = root_b, root_a
        self._accounts[root_b].parent = root_a
        self._size[root_a] += self._size.pop(root_b)
        listed = self._members[root_a]
        for member in self._members.pop(root_b):
            if len(listed) < self.config.max_linked_listed + 1:
                listed.append(member)
        self._smallest[root_a] = min(self._smallest[root_a], self._smallest.pop(root_b))
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
