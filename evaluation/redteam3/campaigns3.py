"""Harvesting campaigns that copy the reasoning-heavy personas of ``normals3``.

Every campaign is one operator with 8-40 accounts. Each account looks like one person: its own card, its own
home-looking address, its own age and language. What gives a campaign away is what the operator's budget and
tooling push it to do, and a leak level (none / low / medium / high, dealt round-robin) decides how much of it
gets through:

* always: the task pool is partitioned across accounts (no item is asked twice inside a campaign), outputs are
  long and extended thinking is on far more often than for the person copied; some campaigns retire half
  their accounts midway and bring in fresh ones, some only start once the new model is out;
* low: accounts created inside a few weeks of each other; every account active in the operator's hours;
  system prompts from the operator's small set; all clients are SDK builds; exits come from one residential
  proxy pool restricted to two or three countries (a new exit each session); a rare request goes out with
  its template unfilled (more often at medium and high);
* medium: accounts created within a week; one wrapper for the whole campaign; near-identical system prompts;
  most accounts on one exact client build; sessions inside the operator's shift; new exit each request; all
  accounts move to the new model within three hours of its release;
* high: accounts created within two days; one wrapper plus an item tag; identical system prompt and client
  build; machine-regular pacing that starts at the same minute; part of the traffic from the operator's own
  proxy block; every account moves to the new model in the same hour.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from distillguard.evaluation.redteam.accounts import Account, make_account
from distillguard.evaluation.redteam.common import DAY_MS, HOUR_MS, MINUTE_MS, lognormal_int, weighted
from distillguard.evaluation.redteam.networks import LANG_COUNTRIES, Endpoint, tz_offset, user_agent
from distillguard.evaluation.redteam.timing import HUMAN, OFFICE, sessions, steady

from .common3 import MGSM_LANGS, Persona, World3, after_release, candidate_answer, drive, wrap
from .normals3 import (
    EXTRA_LANG_COUNTRIES,
    STUDENT,
    judge_persona,
    learner_persona,
    mixed,
    olympiad_persona,
    place,
    researcher_persona,
    reviewer_persona,
)
from .phrasing3 import fill

LEVELS = ("none", "low", "medium", "high")


@dataclass(frozen=True)
class Leak:
    """The operational traces one leak level lets through."""

    created_window_days: float | None  # None: each account has its own age
    ua_shared: float  # share of accounts on the campaign's single client build
    sys_mode: str  # own | pool | near | same
    wrap_mode: str  # own | pool | one | tagged
    timing: str  # human | optz | shift | steady
    adopt_h: tuple[float, float]  # hours after release an account moves to the new model
    proxy: str  # sticky | pool | rotate | leaky
    volume: float  # median requests per account over the window
    same_tier: bool
    ordered: bool  # items walked in corpus order rather than shuffled


LEAKS: dict[str, Leak] = {
    "none": Leak(None, 0.0, "own", "own", "human", (3.0, 40.0), "sticky", 35, False, False),
    "low": Leak(35.0, 0.0, "pool", "pool", "optz", (1.0, 16.0), "pool", 50, False, False),
    "medium": Leak(7.0, 0.6, "near", "one", "shift", (0.3, 3.0), "rotate", 80, True, True),
    "high": Leak(1.8, 1.0, "same", "tagged", "steady", (0.0, 0.0), "leaky", 120, True, True),
}

#: a short line an operator's template appends per account at medium leak (near-identical system prompts)
_NEAR_SUFFIX = ("", " ", "\n", "  ", ".", " \n", "\n\n")


@dataclass
class Spec:
    """What one campaign family copies and harvests."""

    family: str
    base_campaigns: int
    langs: tuple[tuple[str, float], ...]
    kinds: Callable[[str], tuple[tuple[str, float], ...]]  # task kinds for an account language
    mimic: Callable[[World3, random.Random, str], Persona]
    wrap_pool: str
    judge: bool = False
    squeeze: bool = False
    profile: tuple[float, ...] = HUMAN
    release: bool = False  # the campaign exists for the new model: it starts after the release


def _sweep_kinds(lang: str) -> tuple[tuple[str, float], ...]:
    if lang == "zh":
        return (("exam_zh", 2), ("math_hard", 2), ("code", 1))
    return (("math_hard", 3), ("math", 2), ("exam", 2), ("code", 1.5), ("grade", 1))


def _judge_kinds(lang: str) -> tuple[tuple[str, float], ...]:
    if lang in MGSM_LANGS:
        return ((f"mgsm:{lang}", 2), ("grade", 2), ("open", 1))
    return (("grade", 3), ("math", 2), ("open", 2), ("exam", 1))


def _tutor_kinds(lang: str) -> tuple[tuple[str, float], ...]:
    return (("code", 3), ("math_hard", 2))


def _poly_kinds(lang: str) -> tuple[tuple[str, float], ...]:
    if lang == "zh":
        return (("mgsm:zh", 2), ("exam_zh", 3))
    if lang == "ru":
        return (("mgsm:ru", 3), ("ru", 0.3), ("grade", 1))
    if lang in MGSM_LANGS:
        return ((f"mgsm:{lang}", 3), ("grade", 1))
    return (("grade", 3), ("math", 1))


def _release_kinds(lang: str) -> tuple[tuple[str, float], ...]:
    if lang == "zh":
        return (("math_hard", 2), ("contest", 1), ("exam_zh", 1))
    return (("math_hard", 3), ("contest", 1.5), ("exam", 1.5), ("code", 1))


def _tutor_mimic(w: World3, rng: random.Random, lang: str) -> Persona:
    return olympiad_persona(w, rng, lang, coding=rng.random() < 0.6)


SPECS: tuple[Spec, ...] = (
    Spec(
        "campaign_sweep_mimic",
        5,
        (("en", 8), ("zh", 1.5), ("ja", 0.5), ("ko", 0.4)),
        _sweep_kinds,
        researcher_persona,
        "harness",
        profile=OFFICE,
    ),
    Spec(
        "campaign_grader_mimic",
        5,
        (("en", 8), ("zh", 2), ("es", 1), ("de", 0.7), ("ko", 0.7), ("ru", 0.7)),
        _judge_kinds,
        judge_persona,
        "judge",
        judge=True,
        profile=STUDENT,
    ),
    Spec(
        "campaign_tutor_mimic",
        5,
        (("en", 7), ("zh", 2), ("ru", 2), ("ko", 1.5), ("ja", 1)),
        _tutor_kinds,
        _tutor_mimic,
        "code_explain",
        squeeze=True,
        profile=STUDENT,
    ),
    Spec(
        "campaign_polyglot_mimic",
        5,
        (("zh", 3), ("ru", 2), ("es", 2), ("ja", 1.5), ("de", 1), ("fr", 1), ("pt", 1.5), ("ko", 1),
         ("hi", 1),
         ("ar", 1)),
        _poly_kinds,
        learner_persona,
        "learner",
        squeeze=True,
        profile=STUDENT,
    ),
    Spec(
        "campaign_release_mimic",
        4,
        (("en", 8), ("zh", 2), ("ja", 1), ("ko", 1), ("ru", 1), ("de", 0.7)),
        _release_kinds,
        reviewer_persona,
        "review_aside",
        profile=HUMAN,
        release=True,
    ),
)  # fmt: skip


class Partition:
    """One campaign's task pool for one language, dealt to its accounts so no item repeats."""

    def __init__(self, pool: list[str], rng: random.Random, ordered: bool, n_accounts: int) -> None:
        self.pool = list(pool) if ordered else rng.sample(pool, len(pool))
        self.offset = rng.randrange(len(self.pool))
        self.n = max(1, n_accounts)
        self.chunk = max(1, len(self.pool) // self.n)
        self.ordered = ordered

    def stream(self, slot: int) -> Callable[[random.Random], str]:
        """Items of account ``slot``: a contiguous chunk (ordered) or every n-th item (shuffled)."""
        state = {"t": 0}

        def nxt(_r: random.Random) -> str:
            t = state["t"]
            state["t"] += 1
            step = slot * self.chunk + t if self.ordered else slot + t * self.n
            k = self.offset + step
            return self.pool[k % len(self.pool)]

        return nxt


def _country_for(rng: random.Random, lang: str) -> tuple[str, float]:
    return place(rng, lang)


def _langs_countries(lang: str) -> list[str]:
    table = EXTRA_LANG_COUNTRIES.get(lang) or LANG_COUNTRIES.get(lang) or LANG_COUNTRIES["en"]
    return [cc for cc, _ in table]


def run_campaigns(w: World3, spec: Spec, family_index: int) -> None:
    """All campaigns of one family at this world's scale."""
    n_campaigns = w.n(spec.base_campaigns, 1)
    for c in range(n_campaigns):
        level = LEVELS[(family_index + c) % len(LEVELS)]
        _campaign(w, spec, c, level)


def _campaign(w: World3, spec: Spec, c: int, level: str) -> None:
    assert w.ph is not None
    ph = w.ph
    leak = LEAKS[level]
    crng = w.rng(spec.family, "campaign", c)
    cid = w.ids.new("cmp_")
    hi = 40 if w.scale >= 0.5 else max(8, round(40 * w.scale * 2))
    n_acc = crng.randint(8, hi)
    # the operator's tooling and habits
    main_lang = weighted(crng, list(spec.langs))
    op_tz = crng.choice((8.0, 8.0, 3.0, 2.0, 1.0, 5.5, -5.0, 9.0))
    op_countries = crng.sample(_langs_countries(main_lang), min(3, len(_langs_countries(main_lang))))
    op_sys_lang = main_lang if main_lang in ("zh", "ru") else "en"
    op_sys = ph.pick(crng, "operator_sys", op_sys_lang)
    op_agent = (
        f"{ph.pick(crng, 'clients')}/{crng.randint(0, 3)}.{crng.randint(0, 12)}.{crng.randint(0, 9)} "
        f"{user_agent(crng, 'sdk')}"
        if crng.random() < 0.5
        else user_agent(crng, crng.choice(("sdk", "http", "framework")))
    )
    op_wrap: dict[str, tuple[list[str], str]] = {}
    # sorted: a set's order of strings changes with the interpreter's hash seed, and crng is drawn per pool
    for pool_name in sorted(
        {_pool_for(spec, kind) for lang in [code for code, _ in spec.langs] for kind, _ in spec.kinds(lang)}
    ):
        wrap_lang = main_lang if ph.has(pool_name, main_lang) else "en"
        variants = ph.pool(pool_name, wrap_lang)
        op_wrap[pool_name] = (
            crng.sample(variants, min(len(variants), crng.randint(2, 4))),
            crng.choice(variants),
        )
    tag = crng.choice(("#{seq}", "[{seq}]", "Q{seq}.", "({seq})", "item {seq}:"))
    created_center = w.start - int(crng.uniform(3, 80) * DAY_MS)
    adopt_sync = crng.uniform(0.5, 20.0)  # high leak: the hour every account moves
    run_start = w.start + int(crng.uniform(0, 0.4) * DAY_MS)
    if spec.release or crng.random() < 0.3:
        run_start = after_release(w, crng.uniform(0.1, 6))  # an operator that waits for the new model
    waves = 2 if crng.random() < 0.4 else 1  # accounts retired and replaced halfway through
    wave_at = run_start + int((w.end - run_start) * crng.uniform(0.4, 0.6))
    bug_rate = {"none": 0.0, "low": 0.001, "medium": 0.004, "high": 0.01}[level]
    shift_start_h = crng.uniform(0, 24)
    shift_len_h = crng.uniform(6, 12)
    own_block = w.net.vpn(crng) if crng.random() < 0.5 else w.net.cloud(crng)
    own_prefix = own_block.slash24(crng)
    hosts = [own_block.endpoint(crng, own_prefix) for _ in range(crng.randint(1, 4))]

    langs = [main_lang if crng.random() < 0.6 else weighted(crng, list(spec.langs)) for _ in range(n_acc)]
    by_lang: dict[str, list[int]] = {}
    for j, lang in enumerate(langs):
        by_lang.setdefault(lang, []).append(j)
    partitions: dict[tuple[str, str], Partition] = {}
    for lang, members in by_lang.items():
        for kind, _wt in spec.kinds(lang):
            partitions[lang, kind] = Partition(w.tasks(kind), crng, leak.ordered, len(members))

    w.campaigns.append(
        {
            "campaign_id": cid,
            "family": spec.family,
            "leak": level,
            "accounts": n_acc,
            "languages": sorted(set(langs)),
        }
    )
    for j in range(n_acc):
        rng = w.rng(spec.family, "campaign", c, j)
        lang = langs[j]
        slot = by_lang[lang].index(j)
        persona = spec.mimic(w, rng, lang)
        # where the account claims to live
        if leak.proxy == "sticky":
            country, tz = _country_for(rng, lang)
        else:
            country = rng.choice(op_countries)
            tz = tz_offset(rng, country)
        if leak.created_window_days is None:
            created = w.start - int(rng.uniform(20, 700) * DAY_MS) - rng.randrange(DAY_MS)
        elif waves == 2 and j % 2:
            created = wave_at - int(rng.uniform(0.1, leak.created_window_days) * DAY_MS)
        else:
            created = created_center + int(rng.uniform(0, leak.created_window_days) * DAY_MS)
        tier = "pro" if leak.same_tier else weighted(rng, [("free", 3), ("pro", 5)])
        acct = make_account(
            w.ids,
            rng,
            family=spec.family,
            campaign_id=cid,
            created_ts=created,
            tier=tier,
            country=country,
            tz=tz,
            card=True,
            n_keys=1,
        )
        w.add(acct)
        persona = _operate(w, rng, spec, leak, persona, lang, op_sys, op_agent)
        if spec.release:
            persona.adopt_after_h, persona.p_new = 0.0, 1.0
        elif leak.adopt_h == (0.0, 0.0):
            persona.adopt_after_h = adopt_sync + rng.uniform(-0.05, 0.05)
            persona.p_new = 1.0
        else:
            persona.adopt_after_h = rng.uniform(*leak.adopt_h) if rng.random() < 0.9 else None
            persona.p_new = rng.uniform(0.6, 0.9) if level in ("none", "low") else 0.97
        persona.mini_share = 0.0 if level != "none" else rng.choice((0.0, 0.05))
        streams = []
        for kind, weight in spec.kinds(lang):
            items = partitions[lang, kind].stream(slot)
            if leak.wrap_mode == "tagged":
                items = _tagged(items, tag)
            templates = _templates(w, rng, spec, leak, persona, lang, _pool_for(spec, kind), op_wrap)
            streams.append((_wrapped(w, items, templates, lang, spec.judge, bug_rate), weight))
        stream = mixed(streams)
        persona.wrappers = [""]
        # volume and timing
        total = lognormal_int(rng, leak.volume, 0.45 if level == "high" else 0.7, 8, 420)
        t0, t1 = max(run_start, created + HOUR_MS), w.end
        if waves == 2:
            if j % 2:
                t0 = max(t0, wave_at)
            else:
                t1 = wave_at
            total = max(8, total * 2 // 3)
        if level == "none":
            lag = rng.uniform(0.3, 30) * HOUR_MS if spec.release else rng.uniform(0, 1.2) * DAY_MS
            t0 = max(t0, (w.release if spec.release else w.start) + int(lag))
        times = _times(rng, leak, total, t0, t1, acct.tz, op_tz, spec.profile, shift_start_h, shift_len_h)
        endpoint = _endpoints(w, rng, acct, leak, op_countries, hosts)
        if leak.proxy in ("rotate", "leaky"):
            persona.extra["per_request_ip"] = True
        drive(w, acct, persona, rng, times, stream, endpoint)


def _operate(
    w: World3,
    rng: random.Random,
    spec: Spec,
    leak: Leak,
    persona: Persona,
    lang: str,
    op_sys: str,
    op_agent: str,
) -> Persona:
    """The mimicked persona with the operator's needs and the leak level's traces applied."""
    assert w.ph is not None
    ph = w.ph
    p = replace(persona, extra=dict(persona.extra))
    # what every operator wants: long traces, thinking on
    careful = leak.sys_mode == "own"  # at leak none the operator stays inside the copied persona's range
    p.thinking = rng.uniform(0.6, 0.95) if careful else 1.0
    if spec.judge:
        floor = rng.uniform(500, 1100) if careful else rng.uniform(700, 1600)
    else:
        floor = rng.uniform(1000, 2300) if careful else rng.uniform(1500, 3200)
    p.out_median = max(p.out_median, floor)
    p.out_sigma = 0.45 if careful else 0.35
    # system prompt
    if leak.sys_mode == "pool":
        sys_lang = lang if ph.has("operator_sys", lang) else "en"
        p.system = ph.pick(rng, "operator_sys", sys_lang) if rng.random() < 0.75 else p.system
    elif leak.sys_mode == "near":
        p.system = op_sys + rng.choice(_NEAR_SUFFIX)
    elif leak.sys_mode == "same":
        p.system = op_sys
    # client
    if leak.ua_shared >= 1.0 or (leak.ua_shared > 0 and rng.random() < leak.ua_shared):
        p.agents = [op_agent]
    elif leak.sys_mode == "pool":
        p.agents = [user_agent(rng, "sdk")]
    # scripted follow-ups that squeeze a second and third trace out of the same item
    if spec.squeeze:
        if leak.wrap_mode == "own":
            p.follow_pool = "deepen"
            p.follow_lang = lang
            p.p_follow = max(p.p_follow, 0.5)
            p.max_turns = max(3, p.max_turns)
        else:
            p.follow_pool = "squeeze"
            p.follow_lang = lang if ph.has("squeeze", lang) else "en"
            p.p_follow = 0.6 if leak.wrap_mode == "pool" else 0.75
            p.max_turns = 3 if leak.wrap_mode == "tagged" else rng.randint(3, 4)
    return p


def _pool_for(spec: Spec, kind: str) -> str:
    """The phrase pool that wraps an item of ``kind`` in this family."""
    if spec.judge:
        return "judge"
    if spec.wrap_pool == "code_explain":
        return "code_explain" if kind in ("code", "contest") else "stepwise"
    return spec.wrap_pool


def _templates(
    w: World3,
    rng: random.Random,
    spec: Spec,
    leak: Leak,
    persona: Persona,
    lang: str,
    pool_name: str,
    op_wrap: dict[str, tuple[list[str], str]],
) -> list[str]:
    """The templates one account wraps items of one pool in: its own (none), a share of the operator's
    small set (low), or the operator's single template (medium, high)."""
    assert w.ph is not None
    if leak.wrap_mode == "pool":
        options = op_wrap[pool_name][0]
        return rng.sample(options, min(len(options), rng.randint(1, 2)))
    if leak.wrap_mode in ("one", "tagged"):
        return [op_wrap[pool_name][1]]
    if pool_name == spec.wrap_pool and any(persona.wrappers) and not spec.judge:
        return list(persona.wrappers)
    own_lang = lang if w.ph.has(pool_name, lang) else "en"
    variants = w.ph.pool(pool_name, own_lang)
    return rng.sample(variants, min(len(variants), rng.randint(1, 2)))


def _wrapped(
    w: World3,
    items: Callable[[random.Random], str],
    templates: list[str],
    lang: str,
    judge: bool,
    bug_rate: float = 0.0,
) -> Callable[[random.Random], str]:
    """Items put into the account's templates (for grading: with a candidate answer beside them). At
    ``bug_rate`` the operator's script sends its template with a placeholder left unfilled."""
    assert w.ph is not None
    ph = w.ph

    def nxt(r: random.Random) -> str:
        template = r.choice(templates)
        if bug_rate and r.random() < bug_rate and "{" in template:
            return template if r.random() < 0.5 else fill(template, task="", question="", answer="")
        if judge:
            return fill(template, question=items(r), answer=candidate_answer(ph, r, lang), scale=10)
        return wrap(ph, r, template, items(r), lang)

    return nxt


def _tagged(stream: Callable[[random.Random], str], tag: str) -> Callable[[random.Random], str]:
    state = {"seq": 0}

    def nxt(r: random.Random) -> str:
        state["seq"] += 1
        return fill(tag, seq=f"{state['seq']:04d}") + " " + stream(r)

    return nxt


def _times(
    rng: random.Random,
    leak: Leak,
    total: int,
    t0: int,
    t1: int,
    tz: float,
    op_tz: float,
    profile: tuple[float, ...],
    shift_start_h: float,
    shift_len_h: float,
) -> list[list[int]]:
    if t0 >= t1:
        return []
    if leak.timing == "human":
        return sessions(rng, total, t0, t1, tz, profile=profile, per_session=(1, 6), gap_median_s=160)
    if leak.timing == "optz":
        return sessions(rng, total, t0, t1, op_tz, profile=OFFICE, per_session=(2, 8), gap_median_s=120)
    if leak.timing == "shift":
        windows: list[tuple[int, int]] = []
        day0 = t0 - (t0 % DAY_MS) - DAY_MS
        for d in range(7):
            s = day0 + d * DAY_MS + int(shift_start_h * HOUR_MS) + int(rng.uniform(-30, 30) * MINUTE_MS)
            e = s + int(shift_len_h * HOUR_MS)
            s, e = max(s, t0), min(e, t1)
            if e - s >= 20 * MINUTE_MS:
                windows.append((s, e))
        if not windows:
            return []
        span = sum(e - s for s, e in windows)
        out: list[list[int]] = []
        for s, e in windows:
            share = max(1, round(total * (e - s) / span))
            out.extend([t] for t in steady(rng, share, s, e, jitter=0.5))
        return _group(out, rng)
    # steady: the same start minute for every account, small jitter
    ts = steady(rng, total, t0 + rng.randrange(2 * MINUTE_MS), t1, jitter=0.12)
    return _group([[t] for t in ts], rng)


def _group(singles: list[list[int]], rng: random.Random) -> list[list[int]]:
    """Consecutive timestamps grouped into conversations of up to three (room for scripted follow-ups)."""
    out: list[list[int]] = []
    flat = sorted(t for s in singles for t in s)
    i = 0
    while i < len(flat):
        k = rng.randint(1, 3)
        out.append(flat[i : i + k])
        i += k
    return out


def _endpoints(
    w: World3,
    rng: random.Random,
    acct: Account,
    leak: Leak,
    countries: list[str],
    hosts: list[Endpoint],
) -> Callable[[random.Random, int], Endpoint]:
    if leak.proxy == "sticky":
        country = acct.country
        home = w.fresh_exit(rng, acct.account_id, lambda r: w.net.home_isp(r, country).endpoint(r))
        phone_net = w.net.carrier(rng, country)
        phone = phone_net.endpoint(rng)
        p_mobile = rng.choice((0.0, 0.1, 0.3))

        def sticky(r: random.Random, _ts: int) -> Endpoint:
            return phone if r.random() < p_mobile else home

        return sticky

    def exit_(r: random.Random, _ts: int) -> Endpoint:
        if leak.proxy == "leaky" and r.random() < 0.25:
            return r.choice(hosts)
        return w.net.residential_exit(r, r.choice(countries), mobile_share=0.35)

    return exit_


def campaign_families() -> dict[str, Callable[[World3, int], None]]:
    """name -> runner (family index decides where the round-robin of leak levels starts)."""
    out: dict[str, Callable[[World3, int], None]] = {}
    for idx, spec in enumerate(SPECS):
        out[spec.family] = lambda w, _n, spec=spec, idx=idx: run_campaigns(w, spec, idx)
    return out
