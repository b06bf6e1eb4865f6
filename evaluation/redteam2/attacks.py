"""Adaptive campaign families: operators who know the obvious rules and avoid them.

Each function adds one family's campaigns, accounts and events to a ``World2``. Every campaign draws a
leak level (``none`` / ``low`` / ``medium`` / ``high``) that decides which operator traits it lets
through; at ``none`` only behaviour and content remain.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import orjson

from ..redteam.accounts import Convo, created_days_ago
from ..redteam.common import DAY_MS, HOUR_MS, MINUTE_MS, lognormal_int, weighted
from ..redteam.content import output_tokens, random_mix
from ..redteam.networks import country_for, tz_offset, user_agent
from ..redteam.timing import HUMAN, OFFICE, bursts, sample_ts, sessions, steady
from ..redteam.world import MODEL_NEW
from .kit import (
    LEAKS,
    Elicitor,
    Sweep,
    World2,
    account,
    campaign,
    modes,
    network,
    observation,
    own_home,
    person_uas,
    sizes,
    tool_names,
)
from .phrasing2 import LANG_NAMES, fill


def _leaks(rng: random.Random) -> list[str]:
    order = list(LEAKS)
    rng.shuffle(order)
    return order


def _mix_spec(rng: random.Random) -> list[tuple[str, float]]:
    return [(k, x) for k, x in random_mix(rng) if x > 0.01] or [("math", 1.0)]


def _shared_ua(rng: random.Random, leak: str, kinds: tuple[str, ...]) -> str | None:
    return user_agent(rng, rng.choice(kinds)) if leak == "high" else None


# --- 1. org shelter -----------------------------------------------------------------------------------------
def org_shelter(w: World2, n: int) -> None:
    """Legit-looking startup orgs (one org card, many keys) used as an extraction front."""
    fam = "org_shelter"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 22)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        n_orgs = max(1, min(3, size // 6))
        mix = _mix_spec(crng)
        langs = ["en"] + ([crng.choice(["zh", "ru", "es", "de", "fr", "ja"])] if crng.random() < 0.4 else [])
        cid = campaign(w, fam, size, leak=leak, orgs=n_orgs, task_mix=dict(mix), languages=langs)
        el = Elicitor(w, crng, langs)
        sweep = Sweep(w, crng, mix + [(f"mgsm:{g}", 0.5) for g in langs if g != "en"], 500)
        mode_mix = modes(crng)
        cover_sys = w.b2.pick(crng, "cover_system")
        cover_p = crng.uniform(0.0, 0.2)
        adopt_h, think_p = crng.uniform(3, 24), crng.uniform(0.3, 0.9)
        pace = crng.choice(["steady", "bursts"])
        for oi in range(n_orgs):
            orng = w.rng(fam, ci, "org", oi)
            org, card = w.ids.new("org_"), w.ids.new("pm_")
            created = created_days_ago(orng, w.start, 45, 500)
            tier = orng.choice(["startup", "startup", "team"])
            cc = orng.choice(["US", "US", "GB", "SG", "DE", "CA", "NL"])
            tz = tz_offset(orng, cc)
            org_eps = tuple(w.net.cloud(orng, cc).endpoint(orng) for _ in range(2 if leak == "high" else 4))
            org_ua = user_agent(orng, "sdk")
            for k in range(size // n_orgs + (1 if oi < size % n_orgs else 0)):
                arng = w.rng(fam, ci, oi, k)
                if leak in ("high", "medium"):
                    uas = [org_ua]
                else:
                    uas = [user_agent(arng, arng.choice(["sdk", "http", "framework"]))]
                acct = account(
                    w,
                    arng,
                    fam,
                    cid,
                    created=min(created + int(arng.uniform(0, 40) * DAY_MS), w.start - HOUR_MS),
                    tier=tier,
                    country=cc,
                    tz=tz,
                    card=card,
                    org=org,
                    uas=uas,
                )
                if leak in ("high", "medium"):
                    where: Callable = lambda arng=arng, eps=org_eps: arng.choice(eps)  # noqa: E731
                else:
                    own = [w.net.cloud(arng).endpoint(arng), w.net.office(arng, cc).endpoint(arng)]
                    where = lambda arng=arng, own=own: arng.choice(own)  # noqa: E731
                n_ev = lognormal_int(arng, 150, 0.5, 30, 700)
                if pace == "steady":
                    times = steady(arng, n_ev, w.start, w.end, jitter=0.9)
                else:
                    times = bursts(
                        arng,
                        n_ev,
                        w.start,
                        w.end,
                        tz,
                        n_bursts=arng.randint(4, 12),
                        rate_per_min=arng.uniform(0.5, 4),
                        profile=OFFICE,
                    )
                sys_p = {"high": 1.0, "medium": 0.5, "low": 0.1, "none": 0.0}[leak]
                for ts in times:
                    if arng.random() < cover_p:
                        text = w.content.mundane(arng)
                        prompt = fill(w.b2.pick(arng, "cover_task"), text=text[:1500])
                        ok, system = "short", cover_sys
                    else:
                        item = sweep.next()
                        prompt, ok = el.make(arng, item, weighted(arng, mode_mix))
                        system = cover_sys if arng.random() < sys_p else None
                    think = arng.random() < think_p
                    w.sink.emit(
                        acct,
                        ts,
                        where(),
                        w.model_at(arng, ts, adopt_after_h=adopt_h, p_new=0.8),
                        prompt,
                        output_tokens=output_tokens(arng, ok, think),
                        rng=arng,
                        system_prompt=system,
                        turns=1,
                        thinking=think,
                    )


# --- 2. mundane dilution ------------------------------------------------------------------------------------
def mundane_dilution(w: World2, n: int) -> None:
    """Aged household accounts: 60-90 % ordinary multi-turn chat, the rest extraction, human sessions."""
    fam = "mundane_dilution"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    followups = w.content.bank.followups()
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 35)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        ext_share = crng.uniform(0.10, 0.40)
        mix = _mix_spec(crng)
        lang = crng.choice(["en", "en", "zh", "es", "de", "fr", "ja", "ru"])
        cid = campaign(w, fam, size, leak=leak, extraction_share=round(ext_share, 3), language=lang)
        el = Elicitor(w, crng, [lang])
        spec = mix + ([(f"mgsm:{lang}", 1.0)] if lang != "en" else [])
        sweep = Sweep(w, crng, spec, 400)
        mode_mix = modes(crng)
        op_cc = country_for(crng, lang)
        op_ua = _shared_ua(crng, leak, ("browser", "mobile"))
        adopt_h = crng.uniform(2, 30)
        for j in range(size):
            arng = w.rng(fam, ci, j)
            cc = op_cc if leak == "high" else country_for(arng, lang if arng.random() < 0.7 else "en")
            tz = tz_offset(arng, cc)
            if leak == "medium":
                tz = tz_offset(crng, op_cc) + arng.choice([-1, 0, 1])
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 200, 1500),
                tier=weighted(arng, [("free", 4), ("pro", 5), ("team", 1)]),
                country=cc,
                tz=tz,
                uas=[op_ua] if op_ua else person_uas(arng, ("browser", "browser", "mobile", "sdk")),
            )
            acct.home = own_home(w, arng, acct.account_id, cc)
            where = network(w, arng, "home", acct)
            own_el = el if leak != "none" else Elicitor(w, arng, [lang])
            convo = Convo()
            extracting = False
            n_ev = lognormal_int(arng, 50, 0.6, 10, 300)
            for sess in sessions(arng, n_ev, w.start, w.end, tz, per_session=(1, 8), gap_median_s=80):
                ep = where()
                convo.turn = 0
                for ts in sess:
                    if convo.turn and arng.random() < 0.55:
                        convo.follow()
                        if extracting and arng.random() < 0.6:
                            prompt, ok = w.b2.pick(arng, "harvest_follow", lang), "reason"
                        else:
                            prompt, ok = arng.choice(followups), "chat"
                    else:
                        convo.start()
                        extracting = arng.random() < ext_share
                        if extracting:
                            prompt, ok = own_el.make(arng, sweep.next(), weighted(arng, mode_mix))
                        else:
                            prompt, ok = w.content.mundane(arng), "chat"
                    think = arng.random() < (0.5 if extracting else 0.08)
                    out = output_tokens(arng, ok, think)
                    w.sink.emit(
                        acct,
                        ts,
                        ep,
                        w.model_at(arng, ts, adopt_after_h=adopt_h, p_new=0.6),
                        prompt,
                        output_tokens=out,
                        rng=arng,
                        turns=convo.turn,
                        thinking=think,
                        history_tokens=convo.history,
                    )
                    convo.record(prompt, out)


# --- 3. persona mimicry -------------------------------------------------------------------------------------
_PERSONAS = {
    # persona: (tiers, UA kinds, langs, task spec, style pool, per_session, gap_s, think_p)
    "developer": (
        [("pro", 6), ("team", 2), ("startup", 1), ("free", 2)],
        ("sdk", "http", "cli", "framework"),
        ["en", "en", "zh", "ru", "de", "ja", "pt"],
        [("code", 3.0), ("tools", 1.5), ("hard", 1.0)],
        "dev_style",
        (1, 8),
        75.0,
        0.25,
    ),
    "student": (
        [("free", 6), ("education", 3), ("pro", 1)],
        ("browser", "browser", "mobile"),
        ["en", "en", "es", "fr", "pt", "hi", "tr", "ko"],
        [("math", 3.0), ("knowledge", 1.0), ("gsm8k", 1.0)],
        "student_style",
        (1, 6),
        90.0,
        0.1,
    ),
    "researcher": (
        [("research", 3), ("education", 2), ("pro", 1)],
        ("http", "framework", "sdk"),
        ["en", "en", "de", "fr", "zh"],
        [("mmlu_test", 2.0), ("gsm8k", 2.0), ("math500", 1.0), ("commonsenseqa_dev", 1.0)],
        "research_style",
        (10, 50),
        9.0,
        0.3,
    ),
    "non_english": (
        [("free", 6), ("pro", 3)],
        ("browser", "mobile", "mobile"),
        ["zh", "ru", "es", "de", "fr", "ja", "pt", "ko", "tr"],
        [("math", 2.0), ("knowledge", 1.0)],
        "casual_style",
        (1, 8),
        75.0,
        0.08,
    ),
}


def persona_mimicry(w: World2, n: int) -> None:
    """Accounts copying a normal persona's tiers, UAs, session shapes and models, harvesting a task list."""
    fam = "persona_mimicry"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    names = sorted(_PERSONAS)
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 25)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        persona = names[ci % len(names)]
        tiers, ua_kinds, lang_pool, spec, style, per_session, gap, think_p = _PERSONAS[persona]
        langs = sorted({crng.choice(lang_pool) for _ in range(3)})
        cid = campaign(w, fam, size, leak=leak, persona=persona, languages=langs)
        mgsm = [g for g in langs if g in ("zh", "ru", "es", "de", "fr", "ja") and persona != "developer"]
        spec2 = list(spec) + [(f"mgsm:{g}", 1.5) for g in mgsm]
        sweep = Sweep(w, crng, spec2, 500)
        el = Elicitor(w, crng, langs)
        styles = {g: w.b2.subset(crng, style, g, 2) for g in langs}
        grade_p = crng.uniform(0.0, 0.2)
        adopt_h = crng.uniform(1, 40) if crng.random() < 0.7 else None
        tools = crng.choice([None, ["web_search"], ["python"]]) if persona == "developer" else None
        op_ua = _shared_ua(crng, leak, ua_kinds)
        for j in range(size):
            arng = w.rng(fam, ci, j)
            lang = arng.choice(langs)
            cc = country_for(arng, lang if lang in ("zh", "ru", "es", "de", "fr", "ja") else "en")
            cc = {"pt": "BR", "ko": "KR", "tr": "TR", "hi": "IN"}.get(lang, cc)
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 20, 900),
                tier=weighted(arng, tiers),
                country=cc,
                uas=[op_ua] if op_ua else person_uas(arng, ua_kinds),
            )
            if persona == "researcher" and arng.random() < 0.6:
                campus = w.net.campus(arng).endpoint(arng)
                where: Callable = lambda campus=campus: campus  # noqa: E731
            elif persona == "developer" and arng.random() < 0.3:
                box = w.net.cloud(arng).endpoint(arng)
                home = network(w, arng, "home", acct)
                where = lambda arng=arng, box=box, home=home: box if arng.random() < 0.4 else home()  # noqa: E731
            else:
                where = network(w, arng, "home", acct)
            my_styles = styles if leak != "none" else {g: w.b2.subset(arng, style, g, 2) for g in langs}
            convo = Convo()
            k = arng.randint(1, 400)
            for sess in sessions(
                arng,
                lognormal_int(arng, 40, 0.6, 8, 220),
                w.start,
                w.end,
                acct.tz,
                per_session=per_session,
                gap_median_s=gap,
            ):
                ep = where()
                convo.turn = 0
                for ts in sess:
                    if persona != "researcher" and convo.turn and arng.random() < 0.5:
                        convo.follow()
                        prompt, ok = w.b2.pick(arng, "harvest_follow", lang), "reason"
                    else:
                        convo.start()
                        item = sweep.next()
                        if arng.random() < grade_p:
                            prompt, ok = el.grade(arng, item[0], lang), "grade"
                        else:
                            t = arng.choice(my_styles.get(lang) or my_styles[langs[0]])
                            prompt = fill(t, task=item[0], k=k)
                            k += 1
                            ok = "code" if item[1] == "code" else "reason"
                    think = arng.random() < think_p
                    out = output_tokens(arng, ok, think)
                    w.sink.emit(
                        acct,
                        ts,
                        ep,
                        w.model_at(arng, ts, adopt_after_h=adopt_h, p_new=0.6),
                        prompt,
                        output_tokens=out,
                        rng=arng,
                        turns=convo.turn,
                        thinking=think,
                        tools=tools if arng.random() < 0.7 else None,
                        history_tokens=convo.history,
                    )
                    convo.record(prompt, out)


# --- 4. slow drip -------------------------------------------------------------------------------------------
def slow_drip(w: World2, n: int) -> None:
    """Many accounts, 1-4 requests a day each, own card/IP/UA; campaigns share only their task pool."""
    fam = "slow_drip"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    days = max(1, (w.end - w.start) // DAY_MS)
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 30)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        mix = _mix_spec(crng)
        cid = campaign(w, fam, size, leak=leak, task_mix=dict(mix))
        sweep = Sweep(w, crng, mix, 600)
        el = Elicitor(w, crng, ["en"])
        mode_mix = modes(crng)
        adopt_h = crng.uniform(4, 30)
        for j in range(size):
            arng = w.rng(fam, ci, j)
            cc = country_for(arng)
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 15, 900),
                tier=weighted(arng, [("free", 5), ("pro", 4), ("team", 1)]),
                country=cc,
                uas=[user_agent(arng, arng.choice(["browser", "sdk", "http", "mobile", "cli", "framework"]))],
            )
            acct.home = own_home(w, arng, acct.account_id, cc)
            my_el = el if leak in ("medium", "high") else Elicitor(w, arng, ["en"])
            think_p = arng.uniform(0.1, 0.8)
            for d in range(days):
                if arng.random() < 0.15:
                    continue
                d0 = w.start + d * DAY_MS
                for _ in range(arng.randint(1, 4)):
                    ts = sample_ts(arng, d0, d0 + DAY_MS, acct.tz, HUMAN)
                    prompt, ok = my_el.make(arng, sweep.next(), weighted(arng, mode_mix))
                    think = arng.random() < think_p
                    w.sink.emit(
                        acct,
                        ts,
                        acct.home,
                        w.model_at(arng, ts, adopt_after_h=adopt_h, p_new=0.7),
                        prompt,
                        output_tokens=output_tokens(arng, ok, think),
                        rng=arng,
                        turns=1,
                        thinking=think,
                    )


# --- 5. translation laundering ------------------------------------------------------------------------------
_LAUNDER_LANGS = ("pt", "ko", "ar", "hi", "tr", "bn", "sw", "te", "th")
_LANG_HOME = {
    "pt": ("BR",),
    "ko": ("KR",),
    "ar": ("IL", "TR", "DE", "FR", "GB"),
    "hi": ("IN",),
    "tr": ("TR", "DE"),
    "bn": ("IN", "GB"),
    "sw": ("GB", "US", "CA"),
    "te": ("IN", "US"),
    "th": ("SG", "MY", "AU"),
}


def translation_laundering(w: World2, n: int) -> None:
    """Extraction in lower-resource or code-switched languages: steps, critiques, scored comparisons."""
    fam = "translation_laundering"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 25)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        langs = crng.sample(_LAUNDER_LANGS, k=crng.randint(2, 4))
        if ci == 0:
            langs = sorted(set(langs) | {"bn", "sw"})
        style = crng.choice(["home", "rotating", "mobile", "vpn"])
        cid = campaign(w, fam, size, leak=leak, languages=langs, network=style)
        spec = [("math", 2.0), ("knowledge", 1.0), ("code", 0.5)]
        spec += [(f"mgsm:{g}", 2.5) for g in langs if g in ("bn", "sw", "te", "th")]
        sweep = Sweep(w, crng, spec, 500)
        el = Elicitor(w, crng, langs)
        mode_mix = [("trace", 3.0), ("critique", 1.0), ("compare", 1.0), ("grade", 0.7)]
        switch_p = crng.uniform(0.1, 0.5)
        op_ua = _shared_ua(crng, leak, ("sdk", "http"))
        pace = crng.choice(["sessions", "steady"])
        for j in range(size):
            arng = w.rng(fam, ci, j)
            lang = arng.choice(langs)
            cc = arng.choice(_LANG_HOME[lang])
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 10, 700),
                tier=weighted(arng, [("free", 3), ("pro", 5), ("team", 1)]),
                country=cc,
                uas=[op_ua] if op_ua else person_uas(arng, ("browser", "sdk", "http", "mobile")),
            )
            where = network(w, arng, style, acct)
            my_el = el if leak != "none" else Elicitor(w, arng, langs)
            n_ev = lognormal_int(arng, 50, 0.6, 8, 250)
            if pace == "steady":
                groups = [[t] for t in steady(arng, n_ev, w.start, w.end, jitter=0.9)]
            else:
                groups = sessions(arng, n_ev, w.start, w.end, acct.tz, per_session=(2, 10), gap_median_s=40)
            for group in groups:
                ep = where()
                for ts in group:
                    item = sweep.next()
                    mode = weighted(arng, mode_mix)
                    if item[2] == "en" and arng.random() < switch_p:
                        # code-switched the other way: English wrapper, answer demanded in the language
                        prompt, ok = my_el.make(arng, item, mode, "en")
                        prompt += f"\nPlease reply in {LANG_NAMES[lang]}."
                    else:
                        # a native-language task keeps its language; English tasks get the account's
                        prompt, ok = my_el.make(arng, item, mode, lang if item[2] == "en" else item[2])
                    think = arng.random() < 0.5
                    w.sink.emit(
                        acct,
                        ts,
                        ep,
                        w.model_at(arng, ts, adopt_after_h=arng.uniform(2, 30), p_new=0.7),
                        prompt,
                        output_tokens=output_tokens(arng, ok, think),
                        rng=arng,
                        turns=1,
                        thinking=think,
                    )


# --- 6. synthetic data factory ------------------------------------------------------------------------------
def _schema(w: World2, rng: random.Random) -> str:
    """A JSON output schema with key names drawn from this half's synonyms."""
    keys = w.b2.pool("schema_keys")
    pick = rng.sample(keys, k=min(len(keys), rng.randint(2, 4)))
    form = rng.randrange(3)
    if form == 0:
        return orjson.dumps([{k: "string" for k in pick}]).decode()
    if form == 1:
        return orjson.dumps({"items": [{k: "..." for k in pick}]}, option=orjson.OPT_INDENT_2).decode()
    return "{" + ", ".join(f'"{k}": <{rng.choice(["text", "str", "string"])}>' for k in pick) + "}"


def synthetic_data_factory(w: World2, n: int) -> None:
    """Self-instruct style generation (N instructions/responses, N variations with solutions) as JSON."""
    fam = "synthetic_data_factory"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 20)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        langs = ["en", *crng.sample(["zh", "ru", "es", "de", "fr", "ja", "pt", "ko"], k=crng.randint(0, 2))]
        cid = campaign(w, fam, size, leak=leak, languages=langs)
        templates = {g: w.b2.subset(crng, "synth", g, 4) for g in langs}
        topics = w.b2.subset(crng, "synth_topic", "en", 12)
        schema = _schema(w, crng)
        op_ua = _shared_ua(crng, leak, ("framework", "http"))
        seeds = ["alpaca_seed_tasks", "alpaca_5000", "gsm8k", "wizardlm_testset", "math_test_5000"]
        style = crng.choice(["rotating", "vpn", "rotating"])
        pace = crng.choice(["steady", "sessions"])
        for j in range(size):
            arng = w.rng(fam, ci, j)
            cc = country_for(arng)
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 20, 600),
                tier=weighted(arng, [("free", 2), ("pro", 5), ("team", 2)]),
                country=cc,
                uas=[op_ua] if op_ua else person_uas(arng, ("sdk", "http", "framework", "browser")),
            )
            where = network(w, arng, style, acct)
            my_schema = schema if leak in ("high", "medium") else _schema(w, arng)
            my_templates = (
                templates if leak != "none" else {g: w.b2.subset(arng, "synth", g, 4) for g in langs}
            )
            n_ev = lognormal_int(arng, 70, 0.5, 15, 300)
            if pace == "steady":
                times = steady(arng, n_ev, w.start, w.end, jitter=0.9)
            else:
                times = [t for s in sessions(arng, n_ev, w.start, w.end, acct.tz, per_session=(3, 15),
                                             gap_median_s=30) for t in s]  # fmt: skip
            for ts in times:
                lang = arng.choice(langs)
                seed_src = arng.choice(seeds)
                seed_task = w.content.corpus(arng, seed_src, max_chars=1500)
                prompt = fill(
                    arng.choice(my_templates[lang]),
                    n=arng.choice([3, 5, 5, 8, 10, 12, 15, 20]),
                    topic=arng.choice(topics),
                    seed=seed_task,
                    schema=my_schema,
                )
                think = arng.random() < 0.3
                out = lognormal_int(arng, 1800, 0.5, 300, 8000) + (
                    lognormal_int(arng, 1500, 0.6, 100, 16000) if think else 0
                )
                w.sink.emit(
                    acct,
                    ts,
                    where(),
                    w.model_at(arng, ts, adopt_after_h=arng.uniform(1, 30), p_new=0.6, mini_share=0.05),
                    prompt,
                    output_tokens=out,
                    rng=arng,
                    turns=1,
                    thinking=think,
                )


# --- 7. tool-trajectory harvest -----------------------------------------------------------------------------
def tool_trajectory_harvest(w: World2, n: int) -> None:
    """Agent episodes with per-account obfuscated tool names, harvesting tool-call plans and reasoning."""
    fam = "tool_trajectory_harvest"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 18)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        langs = ["en"] + ([crng.choice(["zh", "ja", "de", "es", "ru"])] if crng.random() < 0.5 else [])
        style = crng.choice(["hosting", "home", "rotating"])
        cid = campaign(w, fam, size, leak=leak, languages=langs, network=style)
        spec = [("gpteacher_toolformer", 2.0), ("apibank_queries", 2.0), ("instruct", 1.0), ("code", 0.7)]
        sweep = Sweep(w, crng, spec, 400)
        op_system = {g: w.b2.pick(crng, "agent_system", g) for g in langs}
        op_ua = _shared_ua(crng, leak, ("framework", "sdk"))
        adopt_h = crng.uniform(2, 20)
        for j in range(size):
            arng = w.rng(fam, ci, j)
            cc = country_for(arng)
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 20, 800),
                tier=weighted(arng, [("pro", 5), ("team", 2), ("startup", 1)]),
                country=cc,
                uas=[op_ua] if op_ua else person_uas(arng, ("framework", "sdk", "http")),
            )
            where = network(w, arng, style, acct)
            tools = tool_names(w, arng)
            if leak == "high":
                systems = op_system
            elif leak == "none":
                systems = {
                    g: (w.b2.pick(arng, "agent_system", g) if arng.random() < 0.5 else None) for g in langs
                }
            else:
                systems = {g: w.b2.pick(arng, "agent_system", g) for g in langs}
            n_episodes = lognormal_int(arng, 10, 0.6, 2, 50)
            for sess in sessions(
                arng, n_episodes, w.start, w.end, acct.tz, per_session=(1, 3), gap_median_s=600
            ):
                ep = where()
                for start in sess:
                    lang = arng.choice(langs)
                    item = sweep.next()
                    convo = Convo()
                    convo.start()
                    ts = start
                    prompt = fill(w.b2.pick(arng, "agent_kickoff", lang), task=item[0])
                    for turn in range(arng.randint(3, 10)):
                        if turn:
                            convo.follow()
                            prompt = fill(
                                w.b2.pick(arng, "agent_follow", lang),
                                tool=arng.choice(tools),
                                obs=observation(arng, w.b2.half),
                            )
                        think = arng.random() < 0.7
                        out = output_tokens(arng, "agent", think)
                        w.sink.emit(
                            acct,
                            ts,
                            ep,
                            w.model_at(arng, ts, adopt_after_h=adopt_h, p_new=0.8),
                            prompt,
                            output_tokens=out,
                            rng=arng,
                            system_prompt=systems.get(lang),
                            turns=convo.turn,
                            tools=tools,
                            thinking=think,
                            history_tokens=convo.history,
                        )
                        convo.record(prompt, out)
                        ts += 1000 * lognormal_int(arng, 25, 0.7, 3, 600)


# --- 8. release-day swarm -----------------------------------------------------------------------------------
def release_day_swarm(w: World2, n: int) -> None:
    """Aged accounts that move to the new model within hours of release and sweep benchmark tasks."""
    fam = "release_day_swarm"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    followups = w.content.bank.followups()
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 25)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        langs = ["en", *crng.sample(["zh", "ja", "ru", "de", "fr", "es"], k=crng.randint(0, 2))]
        spec = [
            ("mmlu_test", 2.0),
            ("gsm8k", 1.5),
            ("math500", 1.0),
            ("humaneval", 0.7),
            ("arena_hard_v2.0", 1.0),
            ("commonsenseqa_dev", 0.5),
            ("codecontests_test", 0.5),
        ] + [(f"mgsm:{g}", 1.0) for g in langs if g != "en"]
        jitter_h = {"high": 0.5, "medium": 3.0, "low": 8.0, "none": 14.0}[leak]
        cid = campaign(w, fam, size, leak=leak, languages=langs, start_jitter_h=jitter_h)
        sweep = Sweep(w, crng, spec, 700)
        formats = {g: w.b2.subset(crng, "sweep_format", g, 3) for g in langs}
        op_ua = _shared_ua(crng, leak, ("sdk", "http", "framework"))
        base = crng.uniform(0.3, 2.0)
        for j in range(size):
            arng = w.rng(fam, ci, j)
            cc = country_for(arng)
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 100, 1200),
                tier=weighted(arng, [("free", 2), ("pro", 6), ("team", 2)]),
                country=cc,
                uas=[op_ua] if op_ua else person_uas(arng, ("browser", "sdk", "http", "mobile", "framework")),
            )
            where = network(w, arng, "home" if arng.random() < 0.6 else "rotating", acct)
            # light ordinary use before the release (these are not fresh accounts)
            pre = [
                t for t in (sample_ts(arng, w.start, w.release, acct.tz) for _ in range(arng.randint(0, 6)))
            ]
            for ts in sorted(pre):
                prompt = w.content.mundane(arng) if arng.random() < 0.8 else arng.choice(followups)
                w.sink.emit(
                    acct,
                    ts,
                    where(),
                    w.model_at(arng, ts, adopt_after_h=None, p_new=0),
                    prompt,
                    output_tokens=output_tokens(arng, "chat"),
                    rng=arng,
                    turns=1,
                    thinking=False,
                )
            begin = w.release + int((base + arng.uniform(0, jitter_h)) * HOUR_MS) + arng.randrange(MINUTE_MS)
            stop = min(w.end, begin + int(arng.uniform(3, 14) * HOUR_MS))
            my_formats = (
                formats if leak != "none" else {g: w.b2.subset(arng, "sweep_format", g, 3) for g in langs}
            )
            think_p = arng.uniform(0.4, 0.95)
            for sess in sessions(
                arng,
                lognormal_int(arng, 45, 0.5, 10, 220),
                begin,
                stop,
                0,
                profile=tuple([1.0] * 24),
                per_session=(5, 30),
                gap_median_s=arng.uniform(15, 90),
            ):
                ep = where()
                for ts in sess:
                    text, kind, lang = sweep.next()
                    fmt = arng.choice(my_formats.get(lang) or my_formats["en"])
                    think = arng.random() < think_p
                    ok = "code" if kind == "code" else ("math" if kind == "math" else "short")
                    w.sink.emit(
                        acct,
                        ts,
                        ep,
                        MODEL_NEW,
                        fill(fmt, task=text),
                        output_tokens=output_tokens(arng, ok, think),
                        rng=arng,
                        turns=1,
                        thinking=think,
                    )


# --- 9. perturbation probing (own idea: ActiveThief / Knockoff-style synthetic neighbours) ------------------
_NUMBER = re.compile(r"(?<![\d.])\d{1,5}(?![\d.])")
_CAPNAME = re.compile(
    r"\b([A-Z][a-z]{2,9})(?=\s+(?:has|had|buys|bought|wants|is|was|sells|makes|gets|earns))"
)


def perturb(rng: random.Random, text: str, names: list[str]) -> str:
    """A synthetic neighbour of a word problem: nearby numbers and a different protagonist."""

    def num(m: re.Match[str]) -> str:
        v = int(m.group(0))
        if v < 3:
            return m.group(0)
        return str(max(1, int(v * rng.uniform(0.6, 1.6)) + rng.randint(-2, 2)))

    out = _NUMBER.sub(num, text)
    m = _CAPNAME.search(out)
    if m:
        out = out.replace(m.group(1), rng.choice(names))
    return out


def perturbation_probe(w: World2, n: int) -> None:
    """Seed problems re-asked with perturbed numbers and names, spread across accounts (boundary probing)."""
    fam = "perturbation_probe"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    names = w.b2.pool("probe_names")
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 20)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        src = crng.choice(["gsm8k", "math_wordproblems_misc", "gsm8k"])
        seeds = Sweep(w, crng, [(src, 1.0)], 80)
        style = crng.choice(["rotating", "home", "mobile"])
        cid = campaign(w, fam, size, leak=leak, seed_corpus=src, network=style)
        wrappers = w.b2.subset(crng, "probe", "en", 3)
        op_ua = _shared_ua(crng, leak, ("http", "sdk"))
        for j in range(size):
            arng = w.rng(fam, ci, j)
            cc = country_for(arng)
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 10, 600),
                tier=weighted(arng, [("free", 5), ("pro", 4)]),
                country=cc,
                uas=[op_ua] if op_ua else person_uas(arng, ("browser", "sdk", "http", "mobile")),
            )
            where = network(w, arng, style, acct)
            my_wrappers = wrappers if leak != "none" else w.b2.subset(arng, "probe", "en", 3)
            n_ev = lognormal_int(arng, 55, 0.5, 12, 250)
            times = [t for s in sessions(arng, n_ev, w.start, w.end, acct.tz, per_session=(3, 12),
                                         gap_median_s=45) for t in s]  # fmt: skip
            seed = seeds.next()[0]
            for i, ts in enumerate(times):
                if i % arng.randint(3, 8) == 0:
                    seed = seeds.next()[0]
                prompt = fill(arng.choice(my_wrappers), task=perturb(arng, seed, names))
                think = arng.random() < 0.4
                w.sink.emit(
                    acct,
                    ts,
                    where(),
                    w.model_at(arng, ts, adopt_after_h=arng.uniform(2, 30), p_new=0.6, mini_share=0.3),
                    prompt,
                    output_tokens=output_tokens(arng, "math", think),
                    rng=arng,
                    turns=1,
                    thinking=think,
                )


# --- 10. decomposed elicitation (own idea: the elicitation lives only in follow-up turns) -------------------
def decomposed_elicitation(w: World2, n: int) -> None:
    """Plain benchmark question as the opener, then 'how did you get that / rate it' follow-ups."""
    fam = "decomposed_elicitation"
    rng = w.rng(fam)
    leaks = _leaks(rng)
    for ci, size in enumerate(sizes(rng, n, max(1, round(n / 20)))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % 4]
        lang = crng.choice(["en", "en", "en", "zh", "ru", "es", "de", "fr", "ja"])
        mix = _mix_spec(crng)
        cid = campaign(w, fam, size, leak=leak, language=lang, task_mix=dict(mix))
        spec = [(f"mgsm:{lang}", 3.0), *mix] if lang != "en" else mix
        sweep = Sweep(w, crng, spec, 400)
        follows = w.b2.subset(crng, "decomp_follow", lang, 4)
        op_ua = _shared_ua(crng, leak, ("browser", "mobile"))
        for j in range(size):
            arng = w.rng(fam, ci, j)
            cc = country_for(arng, lang)
            acct = account(
                w,
                arng,
                fam,
                cid,
                created=created_days_ago(arng, w.start, 60, 1200),
                tier=weighted(arng, [("free", 5), ("pro", 5)]),
                country=cc,
                uas=[op_ua] if op_ua else person_uas(arng, ("browser", "mobile", "sdk")),
            )
            where = network(w, arng, "home", acct)
            my_follows = follows if leak != "none" else w.b2.subset(arng, "decomp_follow", lang, 4)
            convo = Convo()
            n_ev = lognormal_int(arng, 45, 0.6, 8, 220)
            for sess in sessions(arng, n_ev, w.start, w.end, acct.tz, per_session=(2, 9), gap_median_s=70):
                ep = where()
                convo.turn = 0
                for ts in sess:
                    if convo.turn and convo.turn < 5 and arng.random() < 0.75:
                        convo.follow()
                        prompt, ok = arng.choice(my_follows), "reason"
                    else:
                        convo.start()
                        text, kind, _lang = sweep.next()
                        prompt, ok = text, ("code" if kind == "code" else "math")
                    think = arng.random() < 0.3
                    out = output_tokens(arng, ok, think)
                    w.sink.emit(
                        acct,
                        ts,
                        ep,
                        w.model_at(arng, ts, adopt_after_h=arng.uniform(0, 40), p_new=0.5),
                        prompt,
                        output_tokens=out,
                        rng=arng,
                        turns=convo.turn,
                        thinking=think,
                        history_tokens=convo.history,
                    )
                    convo.record(prompt, out)


ATTACK_FAMILIES: dict[str, tuple[Callable[[World2, int], None], float]] = {
    "org_shelter": (org_shelter, 80),
    "mundane_dilution": (mundane_dilution, 130),
    "persona_mimicry": (persona_mimicry, 110),
    "slow_drip": (slow_drip, 170),
    "translation_laundering": (translation_laundering, 80),
    "synthetic_data_factory": (synthetic_data_factory, 70),
    "tool_trajectory_harvest": (tool_trajectory_harvest, 60),
    "release_day_swarm": (release_day_swarm, 90),
    "perturbation_probe": (perturbation_probe, 50),
    "decomposed_elicitation": (decomposed_elicitation, 60),
}
"""family -> (generator, accounts at scale 1.0)"""
