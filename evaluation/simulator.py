"""Seeded, labelled traffic simulator: normal API users and distillation campaigns as RequestEvent v1 dicts.

Why: the detector has to be measured against traffic whose ground truth is known, with the hard parts of
the real problem present (campaigns spread over hundreds of low-rate accounts behind proxies, normal
integrations and benchmark runs that look templated or bursty). Pure Python, no broker: the stream can be
replayed into Kafka or fed to detectors directly.

What: :func:`iter_events` yields events in timestamp order, :func:`labels` gives one ground-truth row per
account (never part of the events), :func:`write_scenario` writes both plus the parameters to a folder.
Every number comes from the :class:`~evaluation.scenarios.Scenario`; every random draw comes from a
``random.Random`` seeded from the scenario seed and a stable name (network registry, population, campaign,
account), so output is identical byte for byte for a seed and independent of iteration order.

Run ``distillguard simulate --scenario small --out out/small`` to write a scenario folder.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

import orjson

from distillguard.evaluation.corpora import PromptLibrary
from distillguard.evaluation.scenarios import (
    AGENT_STEP_COUNTS,
    AGENT_STEP_LINES,
    ANSWER_FORMATS,
    ANSWER_LETTERS,
    ANSWER_NUMBERS,
    CAMPAIGN_FAMILIES,
    CODE_DIRS,
    CODE_EXTS,
    CODE_FILES,
    CODE_NAMES,
    COUNTRIES,
    DAY_MS,
    HOSTING_COUNTRIES,
    HOUR_MS,
    NOISE_SEPARATORS,
    AccountTraits,
    AgentProfile,
    BenchmarkProfile,
    CampaignSpec,
    ChatProfile,
    IntegrationProfile,
    NetworkSpec,
    NormalProfile,
    Scenario,
)

SCHEMA_VERSION = 1
SECOND_MS = 1000
PAID_TIERS = frozenset({"pro", "team", "enterprise", "startup", "research"})
TEMPLATE_SEPARATOR = "\n\n"
# Above this mean a Poisson count is drawn from its normal approximation (exact enough, much faster).
POISSON_NORMAL_APPROX = 30.0
MAX_TOKENS = 10_000_000  # schema v1 bound
# IPv4 first octets that are private, loopback, link-local, CGNAT or documentation space somewhere.
RESERVED_FIRST_OCTETS = frozenset({0, 10, 100, 127, 169, 172, 192, 198, 203})
PUBLIC_FIRST_OCTETS = tuple(o for o in range(1, 224) if o not in RESERVED_FIRST_OCTETS)
OCTET = 256
HOSTS = (1, 254)
_COUNTRY_OFFSET = {code: offset for code, offset, _ in COUNTRIES}

# ---------------------------------------------------------------------------------------------------------
# Small deterministic helpers
# ---------------------------------------------------------------------------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    """A private generator named by the seed and stable parts (str seeds hash with SHA-512: stable)."""
    return random.Random("\x1f".join([str(seed), *map(str, parts)]))


def _hid(prefix: str, size: int, *parts: object) -> str:
    """A neutral identifier: prefix + hex digest. Labels go into the hash input, never into the output."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=size).hexdigest()
    return f"{prefix}{digest}"


def _loguniform(rng: random.Random, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    return lo if lo >= hi else math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _uniform(rng: random.Random, bounds: tuple[float, float]) -> float:
    return rng.uniform(*bounds)


def _randint(rng: random.Random, bounds: tuple[int, int]) -> int:
    return rng.randint(*bounds)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam >= POISSON_NORMAL_APPROX:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return keys[0] if len(keys) == 1 else rng.choices(keys, weights=[weights[k] for k in keys])[0]


class _Diurnal:
    """Samples a time of day from 24 local-hour weights."""

    def __init__(self, weights: Sequence[float]) -> None:
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]
        self.mean = self.total / len(weights)
        self.weights = tuple(weights)

    def offset_ms(self, rng: random.Random) -> int:
        hour = bisect.bisect_right(self.cum, rng.random() * self.total)
        return int((min(hour, len(self.cum) - 1) + rng.random()) * HOUR_MS)


# ---------------------------------------------------------------------------------------------------------
# Synthetic internet
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    """One autonomous system: number, type, country and the /16 blocks it announces."""

    asn: int
    asn_type: str
    country: str
    blocks: tuple[tuple[int, int], ...]

    def subnet(self, rng: random.Random) -> tuple[int, int, int]:
        a, b = rng.choice(self.blocks)
        return a, b, rng.randrange(OCTET)


def _ip(subnet: tuple[int, int, int], rng: random.Random) -> str:
    return f"{subnet[0]}.{subnet[1]}.{subnet[2]}.{rng.randint(*HOSTS)}"


class Registry:
    """All networks of a scenario, indexed by type and by (type, country)."""

    def __init__(self, spec: NetworkSpec, seed: int) -> None:
        rng = _rng(seed, "networks")
        used_asns: set[int] = set()
        used_blocks: set[tuple[int, int]] = set()
        self.by_type: dict[str, list[Network]] = {}
        self.by_type_country: dict[tuple[str, str], list[Network]] = {}

        def make(asn_type: str, country: str) -> None:
            asn = rng.randint(*spec.asn_range)
            while asn in used_asns:
                asn = rng.randint(*spec.asn_range)
            used_asns.add(asn)
            blocks = []
            for _ in range(_randint(rng, spec.blocks_per_asn)):
                block = (rng.choice(PUBLIC_FIRST_OCTETS), rng.randrange(OCTET))
                while block in used_blocks:
                    block = (rng.choice(PUBLIC_FIRST_OCTETS), rng.randrange(OCTET))
                used_blocks.add(block)
                blocks.append(block)
            net = Network(asn, asn_type, country, tuple(blocks))
            self.by_type.setdefault(asn_type, []).append(net)
            self.by_type_country.setdefault((asn_type, country), []).append(net)

        for country, _, _ in COUNTRIES:
            for asn_type, count in spec.per_country.items():
                for _ in range(count):
                    make(asn_type, country)
        for asn_type, count in spec.global_types.items():
            for _ in range(count):
                make(asn_type, _weighted(rng, HOSTING_COUNTRIES))

    def network(self, rng: random.Random, asn_type: str, country: str | None = None) -> Network:
        """A network of ``asn_type``, in ``country`` when one exists there."""
        local = self.by_type_country.get((asn_type, country)) if country else None
        return rng.choice(local or self.by_type[asn_type])


class IpSource(Protocol):
    def pick(self, rng: random.Random) -> tuple[str, Network]: ...


@dataclass(frozen=True)
class FixedIps:
    """A handful of stable addresses (home router, office NAT, a server's egress IPs)."""

    addrs: tuple[tuple[str, Network], ...]

    def pick(self, rng: random.Random) -> tuple[str, Network]:
        return self.addrs[0] if len(self.addrs) == 1 else rng.choice(self.addrs)


@dataclass(frozen=True)
class NetworkHosts:
    """Any address of one network per request (carrier-grade NAT, rotating VPN exits)."""

    net: Network

    def pick(self, rng: random.Random) -> tuple[str, Network]:
        return _ip(self.net.subnet(rng), rng), self.net


@dataclass(frozen=True)
class SubnetPool:
    """A proxy pool: fixed /24 subnets shared by many accounts, a random host each request."""

    subnets: tuple[tuple[tuple[int, int, int], Network], ...]

    def pick(self, rng: random.Random) -> tuple[str, Network]:
        subnet, net = rng.choice(self.subnets)
        return _ip(subnet, rng), net


@dataclass(frozen=True)
class Residential:
    """Residential proxies: a random ISP network and /24 every request."""

    nets: tuple[Network, ...]

    def pick(self, rng: random.Random) -> tuple[str, Network]:
        net = rng.choice(self.nets)
        return _ip(net.subnet(rng), rng), net


def _fixed(rng: random.Random, net: Network, count: int) -> FixedIps:
    subnet = net.subnet(rng)
    return FixedIps(tuple((_ip(subnet, rng), net) for _ in range(max(1, count))))


# ---------------------------------------------------------------------------------------------------------
# Accounts and campaigns
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Campaign:
    """Campaign-wide state shared by its accounts (pool, schedule, templates, pivot)."""

    campaign_id: str
    spec: CampaignSpec
    start_ts: int
    size: int
    templates: tuple[str, ...]
    template_weights: tuple[float, ...]
    mundane_share: float
    ip_pool: IpSource
    residential: Residential
    utc_offset_h: float
    rotation_interval_ms: int
    pivot_ts: int
    pivot_share: float


@dataclass
class Account:
    """One account's stable attributes plus the ground truth that never leaves :func:`labels`."""

    account_id: str
    family: str
    kind: str
    campaign_id: str | None
    traits: AccountTraits
    created_ts: int
    tier: str
    country: str
    utc_offset_h: float
    user_agent: str
    ip_mix: tuple[tuple[float, IpSource], ...]
    org_id: str | None = None
    api_keys: tuple[str, ...] = ()
    payment_fingerprint: str | None = None
    campaign: Campaign | None = None
    position: int = 0  # index inside its campaign (rotation order)
    seq: int = field(default=0, repr=False)

    def pick_ip(self, rng: random.Random) -> tuple[str, Network]:
        if len(self.ip_mix) == 1:
            return self.ip_mix[0][1].pick(rng)
        roll = rng.random() * sum(w for w, _ in self.ip_mix)
        for weight, source in self.ip_mix:
            roll -= weight
            if roll < 0:
                return source.pick(rng)
        return self.ip_mix[-1][1].pick(rng)


class World:
    """Networks, prompt pools and accounts of one scenario; generates each account's event stream."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.registry = Registry(scenario.network, scenario.seed)
        self.library = PromptLibrary(scenario.split, scenario.corpus_cap, max_chars=scenario.max_prompt_chars)
        self.accounts: list[Account] = []
        self._ids: set[str] = set()
        self._build_normals()
        self._build_campaigns()

    # -- identifiers -------------------------------------------------------------------------------------

    def _account_id(self, *parts: object) -> str:
        account_id = _hid("acct_", 6, self.s.seed, *parts)
        if account_id in self._ids:  # 48-bit ids: practically never, but never silently
            raise RuntimeError(f"account id collision for {parts}")
        self._ids.add(account_id)
        return account_id

    @staticmethod
    def _keys(rng: random.Random, traits: AccountTraits, account_id: str) -> tuple[str, ...]:
        if rng.random() >= traits.api_key_prob:
            return ()
        return tuple(_hid("key_", 8, account_id, i) for i in range(_randint(rng, traits.keys_per_account)))

    def _country(self, rng: random.Random, traits: AccountTraits) -> str:
        if traits.countries:
            return _weighted(rng, traits.countries)
        return rng.choices([c for c, _, _ in COUNTRIES], weights=[w for _, _, w in COUNTRIES])[0]

    # -- normal populations ------------------------------------------------------------------------------

    def _build_normals(self) -> None:
        for family, count in self.s.normal_counts.items():
            profile = self.s.normal_profiles[family]
            rng = _rng(self.s.seed, "population", family)
            fingerprints: list[str] = []
            orgs: list[str] = []
            for i in range(count):
                account_id = self._account_id("normal", family, i)
                country = self._country(rng, profile)
                tier = _weighted(rng, profile.tiers)
                fingerprint = None
                if fingerprints and rng.random() < profile.shared_payment_prob:
                    fingerprint = rng.choice(fingerprints)
                elif tier in PAID_TIERS or rng.random() < profile.free_payment_prob:
                    fingerprint = _hid("pm_", 8, self.s.seed, account_id)
                    fingerprints.append(fingerprint)
                if rng.random() < profile.new_account_share:
                    age_days = _uniform(rng, profile.new_account_days)
                else:
                    age_days = _loguniform(rng, profile.age_days)
                org_id = None
                if rng.random() < profile.org_prob:
                    if orgs and rng.random() < profile.org_join_prob:
                        org_id = rng.choice(orgs)
                    else:
                        org_id = _hid("org_", 6, self.s.seed, account_id)
                        orgs.append(org_id)
                self.accounts.append(
                    Account(
                        account_id=account_id,
                        family=family,
                        kind="normal",
                        campaign_id=None,
                        traits=profile,
                        created_ts=self.s.start_ts - int(age_days * DAY_MS),
                        tier=tier,
                        country=country,
                        utc_offset_h=_COUNTRY_OFFSET[country],
                        user_agent=rng.choice(profile.user_agents),
                        ip_mix=self._normal_ips(rng, profile, country),
                        org_id=org_id,
                        api_keys=self._keys(rng, profile, account_id),
                        payment_fingerprint=fingerprint,
                    )
                )

    def _normal_ips(
        self, rng: random.Random, profile: NormalProfile, country: str
    ) -> tuple[tuple[float, IpSource], ...]:
        home_type = _weighted(rng, profile.asn_types)
        if home_type == "mobile":
            home: IpSource = NetworkHosts(self.registry.network(rng, "mobile", country))
        elif isinstance(profile, IntegrationProfile):
            home = _fixed(
                rng, self.registry.network(rng, home_type, country), _randint(rng, profile.fixed_ips)
            )
        else:
            home = _fixed(
                rng, self.registry.network(rng, home_type, country), _randint(rng, profile.home_ips)
            )
        extra: list[tuple[float, IpSource]] = []
        if home_type != "mobile" and rng.random() < profile.mobile_secondary_prob:
            extra.append((profile.mobile_share, NetworkHosts(self.registry.network(rng, "mobile", country))))
        if rng.random() < profile.vpn_prob:
            extra.append((profile.vpn_share, NetworkHosts(self.registry.network(rng, "hosting"))))
        if isinstance(profile, AgentProfile) and rng.random() < profile.cloud_prob:
            extra.append((profile.cloud_share, _fixed(rng, self.registry.network(rng, "hosting"), 1)))
        home_weight = max(0.0, 1.0 - sum(w for w, _ in extra))
        return ((home_weight, home), *extra)

    # -- campaigns ---------------------------------------------------------------------------------------

    def _build_campaigns(self) -> None:
        index: Counter[str] = Counter()
        for spec in self.s.campaigns:
            for _ in range(spec.campaigns):
                campaign_id = f"{spec.id_prefix}-{index[spec.family]}"
                index[spec.family] += 1
                self._build_campaign(spec, campaign_id)

    def _build_campaign(self, spec: CampaignSpec, campaign_id: str) -> None:
        rng = _rng(self.s.seed, "campaign", campaign_id)
        size = _randint(rng, spec.accounts)
        start_ts = self.s.start_ts + int(_uniform(rng, spec.start_hour) * HOUR_MS)
        k = min(len(spec.templates), _randint(rng, spec.templates_per_campaign))
        templates = tuple(rng.sample(spec.templates, k))
        subnets = []
        nets = [
            self.registry.network(rng, _weighted(rng, spec.ip_asn_types))
            for _ in range(_randint(rng, spec.ip_networks))
        ]
        for _ in range(_randint(rng, spec.ip_subnets)):
            net = rng.choice(nets)
            subnets.append((net.subnet(rng), net))
        residential = Residential(tuple(self.registry.by_type["isp"]))
        pool: IpSource = residential if spec.ip_mode == "residential" else SubnetPool(tuple(subnets))
        persona = self._country(rng, spec)
        campaign = Campaign(
            campaign_id=campaign_id,
            spec=spec,
            start_ts=start_ts,
            size=size,
            templates=templates,
            template_weights=tuple(_uniform(rng, spec.template_weights) for _ in templates),
            mundane_share=_uniform(rng, spec.mundane_share),
            ip_pool=pool,
            residential=residential,
            utc_offset_h=_COUNTRY_OFFSET[persona],
            rotation_interval_ms=int(_uniform(rng, spec.rotation_interval_s) * SECOND_MS),
            pivot_ts=self.s.release_ts + int(_uniform(rng, spec.pivot_delay_hours) * HOUR_MS),
            pivot_share=_uniform(rng, spec.pivot_share),
        )
        waves = [
            start_ts - int(_loguniform(rng, spec.age_days) * DAY_MS)
            for _ in range(_randint(rng, spec.creation_waves))
        ]
        fingerprints = [
            _hid("pm_", 8, self.s.seed, campaign_id, i)
            for i in range(max(1, math.ceil(size / _uniform(rng, spec.payment_group_size))))
        ]
        orgs = [_hid("org_", 6, self.s.seed, campaign_id, i) for i in range(_randint(rng, spec.orgs))]
        uas = rng.sample(spec.user_agents, min(len(spec.user_agents), _randint(rng, spec.ua_count)))
        order = list(range(size))
        rng.shuffle(order)
        for i in range(size):
            account_id = self._account_id("campaign", campaign_id, i)
            tier = _weighted(rng, spec.tiers)
            fingerprint = None
            if tier in PAID_TIERS or rng.random() >= spec.no_payment_prob:
                fingerprint = rng.choice(fingerprints)
            if spec.ip_mode == "fixed":
                ips: IpSource = FixedIps(tuple((_ip(s, rng), n) for s, n in subnets))
            elif rng.random() < spec.residential_account_prob:
                ips = residential
            else:
                ips = pool
            offset = campaign.utc_offset_h + rng.uniform(-spec.tz_jitter_hours, spec.tz_jitter_hours)
            created = rng.choice(waves) + int(rng.random() * spec.wave_jitter_hours * HOUR_MS)
            self.accounts.append(
                Account(
                    account_id=account_id,
                    family=spec.family,
                    kind="campaign",
                    campaign_id=campaign_id,
                    traits=spec,
                    created_ts=min(created, start_ts),
                    tier=tier,
                    country=persona,
                    utc_offset_h=offset,
                    user_agent=rng.choice(uas),
                    ip_mix=((1.0, ips),),
                    org_id=rng.choice(orgs) if rng.random() < spec.org_prob else None,
                    api_keys=self._keys(rng, spec, account_id),
                    payment_fingerprint=fingerprint,
                    campaign=campaign,
                    position=order[i],
                )
            )

    # -- shared event machinery --------------------------------------------------------------------------

    def local_days(self, utc_offset_h: float) -> list[int]:
        """UTC ms of every local midnight whose day overlaps the window."""
        first = self.s.start_ts - self.s.start_ts % DAY_MS - int(utc_offset_h * HOUR_MS) - DAY_MS
        days = []
        day = first
        while day < self.s.end_ts:
            if day + DAY_MS > self.s.start_ts:
                days.append(day)
            day += DAY_MS
        return days

    def in_window(self, ts: int) -> bool:
        return self.s.start_ts <= ts < self.s.end_ts

    def model(self, rng: random.Random, ts: int, weights: Mapping[str, float]) -> str:
        """The account's usual models, or the new model at the slowly growing normal adoption rate."""
        if ts >= self.s.release_ts:
            days = (ts - self.s.release_ts) / DAY_MS
            adoption = min(self.s.adoption_cap, self.s.launch_adoption + self.s.adoption_per_day * days)
            if rng.random() < adoption:
                return self.s.new_model
        return _weighted(rng, weights)

    def tools(self, rng: random.Random, traits: AccountTraits) -> list[str] | None:
        if not traits.tools or rng.random() >= traits.tool_prob:
            return None
        k = min(len(traits.tools), _randint(rng, traits.tools_per_request))
        return rng.sample(traits.tools, k)

    def event(
        self,
        acc: Account,
        rng: random.Random,
        ts: int,
        *,
        prompt: str,
        model: str,
        system_prompt: str | None = None,
        turns: int = 1,
        tools: list[str] | None = None,
        thinking: bool = False,
    ) -> dict[str, Any]:
        """One RequestEvent v1 dict (None fields omitted). Token counts follow text length and context."""
        traits = acc.traits
        ip, net = acc.pick_ip(rng)
        chars = len(prompt) + (len(system_prompt) if system_prompt else 0)
        context = min(traits.max_context_tokens, traits.context_tokens_per_turn * (turns - 1))
        input_tokens = math.ceil(chars / self.s.chars_per_token) + context
        output = rng.lognormvariate(math.log(traits.output_tokens_median), traits.output_tokens_sigma)
        if thinking:
            output *= _uniform(rng, traits.thinking_token_factor)
        acc.seq += 1
        event: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "event_id": _hid("evt_", 10, self.s.seed, acc.account_id, acc.seq),
            "ts": ts,
            "account_id": acc.account_id,
            "ip": ip,
            "model": model,
            "input_tokens": min(MAX_TOKENS, input_tokens),
            "output_tokens": min(MAX_TOKENS, max(1, round(output))),
        }
        if acc.org_id:
            event["org_id"] = acc.org_id
        if acc.api_keys:
            event["api_key_id"] = acc.api_keys[0] if len(acc.api_keys) == 1 else rng.choice(acc.api_keys)
        event["account_created_ts"] = acc.created_ts
        event["account_tier"] = acc.tier
        if acc.payment_fingerprint:
            event["payment_fingerprint"] = acc.payment_fingerprint
        event["asn"] = net.asn
        event["asn_type"] = net.asn_type
        event["country"] = net.country
        event["user_agent"] = acc.user_agent
        event["prompt"] = prompt
        if system_prompt:
            event["system_prompt"] = system_prompt
        event["conversation_turns"] = turns
        if tools:
            event["tools"] = tools
        event["thinking"] = thinking
        return event

    def stream(self, acc: Account) -> Iterator[dict[str, Any]]:
        """The account's events in timestamp order (its own generator, so order of iteration is free)."""
        rng = _rng(self.s.seed, "events", acc.account_id)
        traits = acc.traits
        if isinstance(traits, CampaignSpec):
            return self._campaign_events(acc, rng, traits)
        if isinstance(traits, BenchmarkProfile):
            return self._benchmark_events(acc, rng, traits)
        if isinstance(traits, ChatProfile):
            return self._chat_events(acc, rng, traits)
        if isinstance(traits, AgentProfile):
            return self._agent_events(acc, rng, traits)
        if isinstance(traits, IntegrationProfile):
            return self._integration_events(acc, rng, traits)
        raise TypeError(f"no behaviour for profile {type(traits).__name__}")

    # -- normal behaviours -------------------------------------------------------------------------------

    def _chat_slots(self, acc: Account, rng: random.Random, p: ChatProfile) -> list[tuple[int, int, int]]:
        """(ts, conversation, turn) for diurnal conversations of a few turns each."""
        diurnal = _Diurnal(p.diurnal)
        rate = _loguniform(rng, p.requests_per_day)
        conversations_per_day = rate / _mean_turns(p.turns_per_conversation)
        slots: list[tuple[int, int, int]] = []
        conversation = 0
        for day in self.local_days(acc.utc_offset_h):
            if rng.random() >= p.active_day_prob:
                continue
            for _ in range(_poisson(rng, conversations_per_day)):
                ts = day + diurnal.offset_ms(rng)
                for turn in range(1, _draw_turns(rng, p.turns_per_conversation) + 1):
                    if self.in_window(ts):
                        slots.append((ts, conversation, turn))
                    ts += int(_uniform(rng, p.turn_gap_s) * SECOND_MS)
                conversation += 1
        slots.sort()
        return slots

    def _chat_prompt(self, rng: random.Random, p: ChatProfile, first: bool) -> str:
        if not first and rng.random() < p.followup_prob:
            return self.library.sample(rng, "followup")
        if p.step_pools and rng.random() < p.step_pool_prob:
            prompt = self.library.sample_mix(rng, p.step_pools)
        else:
            prompt = self.library.sample_mix(rng, p.prompt_pools)
        if p.step_phrase_prob and rng.random() < p.step_phrase_prob:
            phrase = rng.choice(p.step_phrases)
            sep = rng.choice(p.step_phrase_separators)
            after = rng.random() < p.step_phrase_after_prob
            prompt = f"{prompt}{sep}{phrase}" if after else f"{phrase}{sep}{prompt}"
        return prompt

    def _chat_events(self, acc: Account, rng: random.Random, p: ChatProfile) -> Iterator[dict[str, Any]]:
        state: dict[int, tuple[str, bool]] = {}
        for ts, conversation, turn in self._chat_slots(acc, rng, p):
            yield self._chat_event(acc, rng, p, state, ts, conversation, turn)

    def _chat_event(
        self,
        acc: Account,
        rng: random.Random,
        p: ChatProfile,
        state: dict[int, tuple[str, bool]],
        ts: int,
        conversation: int,
        turn: int,
    ) -> dict[str, Any]:
        if conversation not in state:  # a conversation keeps its model and reasoning setting
            state[conversation] = (self.model(rng, ts, p.models), rng.random() < p.thinking_prob)
        model, thinking = state[conversation]
        system = (
            rng.choice(p.system_prompts) if p.system_prompts and rng.random() < p.system_prompt_prob else None
        )
        return self.event(
            acc,
            rng,
            ts,
            prompt=self._chat_prompt(rng, p, turn == 1),
            model=model,
            system_prompt=system,
            turns=turn,
            tools=self.tools(rng, p),
            thinking=thinking,
        )

    def _agent_events(self, acc: Account, rng: random.Random, p: AgentProfile) -> Iterator[dict[str, Any]]:
        """Work-hour sessions of tight tool loops; turns grow by two (assistant + tool) per step."""
        diurnal = _Diurnal(p.diurnal)
        sessions_per_day = _uniform(rng, p.sessions_per_day)
        system = rng.choice(p.system_prompts)
        toolset = rng.sample(p.tools, min(len(p.tools), _randint(rng, p.tools_per_request)))
        slots: list[tuple[int, int, int]] = []
        session = 0
        for day in self.local_days(acc.utc_offset_h):
            if rng.random() >= p.active_day_prob:
                continue
            for _ in range(max(1, _poisson(rng, sessions_per_day))):
                ts = day + diurnal.offset_ms(rng)
                end = ts + int(_uniform(rng, p.session_hours) * HOUR_MS)
                step = 0
                while ts < end:
                    if self.in_window(ts):
                        slots.append((ts, session, step))
                    ts += int(_uniform(rng, p.step_gap_s) * SECOND_MS)
                    step += 1
                session += 1
        slots.sort()
        state: dict[int, tuple[str, bool]] = {}
        for ts, session_id, step in slots:
            if session_id not in state:
                state[session_id] = (self.model(rng, ts, p.models), rng.random() < p.thinking_prob)
            model, thinking = state[session_id]
            if step == 0:
                prompt = self.library.sample_mix(rng, p.prompt_pools)
            else:
                prompt = _agent_step(rng, p.step_templates, toolset)
            yield self.event(
                acc, rng, ts, prompt=prompt, model=model, system_prompt=system, turns=1 + 2 * step,
                tools=list(toolset), thinking=thinking,
            )  # fmt: skip

    def _integration_events(
        self, acc: Account, rng: random.Random, p: IntegrationProfile
    ) -> Iterator[dict[str, Any]]:
        """One template, one model, a steady Poisson stream mildly modulated by the customer's hours."""
        diurnal = _Diurnal(p.diurnal)
        per_hour = _loguniform(rng, p.requests_per_day) / len(diurnal.weights)
        template, pool = rng.choice(p.templates)
        model = _weighted(rng, p.models)
        system = (
            rng.choice(p.system_prompts) if p.system_prompts and rng.random() < p.system_prompt_prob else None
        )
        slots: list[int] = []
        hour_start = self.s.start_ts
        while hour_start < self.s.end_ts:
            local_hour = int(((hour_start / HOUR_MS) + acc.utc_offset_h) % len(diurnal.weights))
            lam = per_hour * diurnal.weights[local_hour] / diurnal.mean
            span = min(HOUR_MS, self.s.end_ts - hour_start)
            slots.extend(
                hour_start + int(rng.random() * span) for _ in range(_poisson(rng, lam * span / HOUR_MS))
            )
            hour_start += HOUR_MS
        slots.sort()
        for ts in slots:
            suffix = rng.choice(p.suffixes).replace("{n}", str(_randint(rng, p.ref_number)))
            prompt = template.replace("{q}", self.library.sample(rng, pool) + suffix)
            yield self.event(acc, rng, ts, prompt=prompt, model=model, system_prompt=system)

    def _benchmark_events(
        self, acc: Account, rng: random.Random, p: BenchmarkProfile
    ) -> Iterator[dict[str, Any]]:
        """Quiet chat use plus, usually, one evaluation run: hundreds of questions in 1-3 hours."""
        chat = [(ts, 0, conversation, turn) for ts, conversation, turn in self._chat_slots(acc, rng, p)]
        burst: list[tuple[int, int, int, int]] = []
        run_questions: list[str] = []
        run_model, run_thinking = "", False
        if rng.random() < p.burst_prob:
            duration = int(_uniform(rng, p.burst_hours) * HOUR_MS)
            days = self.local_days(acc.utc_offset_h)
            start = rng.choice(days) + _Diurnal(p.diurnal).offset_ms(rng)
            start = max(self.s.start_ts, min(start, self.s.end_ts - duration - 1))
            n = _randint(rng, p.burst_questions)
            pool = self.library.pool(_weighted(rng, p.benchmark_pools))
            questions = rng.sample(pool, min(n, len(pool)))
            questions += [rng.choice(pool) for _ in range(n - len(questions))]
            cot = rng.random() < p.cot_prob
            prefix = rng.choice(p.prefixes)
            suffix = rng.choice(p.cot_suffixes)
            for q in questions:
                text = f"{prefix}{TEMPLATE_SEPARATOR}{q}" if prefix else q
                run_questions.append(f"{text}{TEMPLATE_SEPARATOR}{suffix}" if cot else text)
            gap = duration / n
            stamps = [start + int(i * gap + rng.random() * gap) for i in range(n)]
            burst = [(ts, 1, i, 0) for i, ts in enumerate(stamps) if self.in_window(ts)]
            new_model = start >= self.s.release_ts and rng.random() < p.new_model_eval_prob
            run_model = self.s.new_model if new_model else _weighted(rng, p.models)
            run_thinking = rng.random() < p.thinking_prob
        state: dict[int, tuple[str, bool]] = {}
        for ts, kind, a, b in sorted(chat + burst):
            if kind == 0:
                yield self._chat_event(acc, rng, p, state, ts, a, b)
            else:
                yield self.event(
                    acc, rng, ts, prompt=run_questions[a], model=run_model, thinking=run_thinking
                )

    # -- campaigns ---------------------------------------------------------------------------------------

    def _campaign_times(self, acc: Account, rng: random.Random, c: Campaign) -> list[int]:
        spec = c.spec
        join = c.start_ts + int(_uniform(rng, spec.ramp_hours) * HOUR_MS)
        if spec.timing == "rotation":
            # Load-balanced: the campaign fires every interval, accounts take turns in a fixed order.
            times = []
            cycle = c.size * c.rotation_interval_ms
            jitter = spec.rotation_jitter * c.rotation_interval_ms
            ts = c.start_ts + acc.position * c.rotation_interval_ms
            while ts < self.s.end_ts:
                t = ts + int(rng.uniform(-jitter, jitter))
                if rng.random() >= spec.rotation_skip_prob and self.in_window(t):
                    times.append(t)
                ts += cycle
            return sorted(times)
        rate = _uniform(rng, spec.requests_per_account_per_day)
        if spec.timing == "uniform":
            span = max(0, self.s.end_ts - join)
            return sorted(join + int(rng.random() * span) for _ in range(_poisson(rng, rate * span / DAY_MS)))
        diurnal = _Diurnal(spec.diurnal)
        times = []
        for day in self.local_days(acc.utc_offset_h):
            for _ in range(_poisson(rng, rate)):
                ts = day + diurnal.offset_ms(rng)
                if ts >= join and self.in_window(ts):
                    times.append(ts)
        return sorted(times)

    def _campaign_events(
        self, acc: Account, rng: random.Random, spec: CampaignSpec
    ) -> Iterator[dict[str, Any]]:
        c = acc.campaign
        assert c is not None
        for ts in self._campaign_times(acc, rng, c):
            tools = None
            if rng.random() < c.mundane_share:
                prompt = self.library.sample_mix(rng, spec.mundane_pools)
            else:
                template = rng.choices(c.templates, weights=c.template_weights)[0]
                template = _paraphrase(rng, template, spec.noise_prob)
                answer = _answer(rng)
                question = self.library.sample_mix(rng, spec.prompt_pools)
                prompt = template.replace("{a}", answer).replace("{q}", question)
                tools = self.tools(rng, spec)
            if spec.family == "model_pivot" and ts >= c.pivot_ts and rng.random() < c.pivot_share:
                model = self.s.new_model
            elif spec.family == "model_pivot":
                model = _weighted(rng, spec.models)
            else:
                model = self.model(rng, ts, spec.models)
            yield self.event(
                acc,
                rng,
                ts,
                prompt=prompt,
                model=model,
                tools=tools,
                thinking=rng.random() < spec.thinking_prob,
            )


def _mean_turns(bounds: tuple[int, int]) -> float:
    """Expected value of :func:`_draw_turns` (exact), to turn requests/day into conversations/day."""
    lo, hi = bounds
    span = hi - lo + 1
    return lo + sum(k * (math.sqrt((k + 1) / span) - math.sqrt(k / span)) for k in range(span))


def _draw_turns(rng: random.Random, bounds: tuple[int, int]) -> int:
    """Conversation length skewed to short: most chats are one or two turns."""
    lo, hi = bounds
    return lo + int((hi - lo + 1) * rng.random() ** 2)


def _agent_step(rng: random.Random, templates: Sequence[str], toolset: Sequence[str]) -> str:
    path = f"{rng.choice(CODE_DIRS)}/{rng.choice(CODE_FILES)}{rng.choice(CODE_EXTS)}"
    return (
        rng.choice(templates)
        .replace("{tool}", rng.choice(toolset))
        .replace("{path}", path)
        .replace("{name}", rng.choice(CODE_NAMES))
        .replace("{n}", str(rng.randint(*AGENT_STEP_LINES)))
        .replace("{m}", str(rng.randint(*AGENT_STEP_COUNTS)))
    )


def _answer(rng: random.Random) -> str:
    """A plausible (not necessarily correct) answer for grading templates."""
    return (
        rng.choice(ANSWER_FORMATS)
        .replace("{n}", str(rng.randint(*ANSWER_NUMBERS)))
        .replace("{l}", rng.choice(ANSWER_LETTERS))
    )


def _paraphrase(rng: random.Random, template: str, prob: float) -> str:
    """Surface noise on a template (separator, casing, whitespace, final full stop), each op with ``prob``.

    Applied to the template before the slots are filled, so the corpus text itself stays untouched.
    """
    if prob <= 0:
        return template
    if TEMPLATE_SEPARATOR in template and rng.random() < prob:
        template = template.replace(TEMPLATE_SEPARATOR, rng.choice(NOISE_SEPARATORS))
    if rng.random() < prob:
        style = rng.randrange(3)
        if style == 0:
            template = template.lower()
        elif style == 1:
            lines = template.split("\n")
            if "{" not in lines[0]:
                lines[0] = lines[0].upper()
            template = "\n".join(lines)
        else:
            template = template[:1].lower() + template[1:]
    if rng.random() < prob:
        template = template.replace(". ", ".  ") if rng.randrange(2) else f" {template} "
    if rng.random() < prob:
        template = template.replace(".\n", "\n").rstrip(".")
    return template


# ---------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------


def _streams(world: World) -> Iterator[dict[str, Any]]:
    return heapq.merge(*(world.stream(acc) for acc in world.accounts), key=itemgetter("ts"))


def iter_events(scenario: Scenario) -> Iterator[dict[str, Any]]:
    """All events of the scenario in timestamp order (ties: account build order), as RequestEvent dicts."""
    return _streams(World(scenario))


def _label_rows(world: World) -> list[dict[str, Any]]:
    rows = [
        {"account_id": a.account_id, "family": a.family, "campaign_id": a.campaign_id, "kind": a.kind}
        for a in world.accounts
    ]
    return sorted(rows, key=itemgetter("account_id"))


def labels(scenario: Scenario) -> list[dict[str, Any]]:
    """Ground truth, one row per account: account_id, family, campaign_id (None for normals), kind."""
    return _label_rows(World(scenario))


def write_scenario(scenario: Scenario, out_dir: Path) -> dict[str, Any]:
    """Write ``events.jsonl``, ``labels.jsonl`` and ``scenario.json`` into ``out_dir``; return the summary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World(scenario)
    family_of = {a.account_id: a.family for a in world.accounts}
    events_by_family: Counter[str] = Counter()
    first_ts = last_ts = None
    count = 0
    with (out_dir / "events.jsonl").open("wb") as handle:
        for event in _streams(world):
            handle.write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
            events_by_family[family_of[event["account_id"]]] += 1
            first_ts = event["ts"] if first_ts is None else first_ts
            last_ts = event["ts"]
            count += 1
    rows = _label_rows(world)
    with (out_dir / "labels.jsonl").open("wb") as handle:
        for row in rows:
            handle.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
    accounts_by_family = Counter(row["family"] for row in rows)
    families = [*scenario.normal_counts, *(f for f in CAMPAIGN_FAMILIES if f in accounts_by_family)]
    summary = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "events": count,
        "accounts": len(rows),
        "accounts_by_family": {f: accounts_by_family[f] for f in families},
        "events_by_family": {f: events_by_family[f] for f in families},
        "campaigns": dict(sorted(Counter(r["campaign_id"] for r in rows if r["campaign_id"]).items())),
        "first_ts": first_ts,
        "last_ts": last_ts,
        "corpus_source": world.library.source,
    }
    parameters = asdict(scenario)
    parameters["normal_profile_kinds"] = {k: type(v).__name__ for k, v in scenario.normal_profiles.items()}
    (out_dir / "scenario.json").write_bytes(
        orjson.dumps({"parameters": parameters, "summary": summary}, option=orjson.OPT_INDENT_2)
    )
    return summary
