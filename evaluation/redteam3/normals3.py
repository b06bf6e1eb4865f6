"""Legitimate, reasoning-heavy users: the population a distillation detector must leave alone.

Mostly individual accounts without an org: researchers sweeping benchmarks with chain-of-thought,
students running LLM-as-judge experiments, olympiad and contest coders, teachers writing answer keys,
learners asking in their own language, release-day reviewers, people building a small fine-tuning set,
and lab cohorts who share a harness, a campus network and the same benchmark slice.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from distillguard.evaluation.redteam.accounts import Account, created_days_ago, make_account
from distillguard.evaluation.redteam.common import DAY_MS, HOUR_MS, MINUTE_MS, lognormal_int, weighted
from distillguard.evaluation.redteam.networks import Endpoint, country_for, tz_offset, user_agent
from distillguard.evaluation.redteam.timing import HUMAN, OFFICE, bursts, sessions, steady
from distillguard.evaluation.redteam.world import MODEL_MAIN, MODEL_MINI, MODEL_NEW

from .common3 import MGSM_LANGS, Persona, World3, after_release, candidate_answer, drive, personal_agents

#: countries for the languages the first red team's network plan does not place
EXTRA_LANG_COUNTRIES: dict[str, tuple[tuple[str, float], ...]] = {
    "pt": (("BR", 8), ("US", 1)),
    "hi": (("IN", 9), ("US", 1), ("GB", 1)),
    "ar": (("TR", 1), ("FR", 2), ("DE", 2), ("GB", 1), ("US", 1), ("CA", 1), ("IL", 1)),
    "ko": (("KR", 9), ("US", 1)),
    "ja": (("JP", 9), ("US", 1)),
}
#: an evening-heavy, weekend-tolerant student day
STUDENT = (
    0.30, 0.18, 0.08, 0.04, 0.02, 0.02, 0.05, 0.15, 0.35, 0.50, 0.60, 0.65,
    0.60, 0.65, 0.70, 0.75, 0.80, 0.80, 0.75, 0.85, 0.95, 1.00, 0.85, 0.55,
)  # fmt: skip
#: the long late-night runs of someone with a deadline
NIGHT_OWL = (
    0.60, 0.55, 0.40, 0.25, 0.10, 0.05, 0.05, 0.10, 0.25, 0.45, 0.60, 0.70,
    0.70, 0.75, 0.80, 0.80, 0.80, 0.80, 0.80, 0.85, 0.95, 1.00, 0.95, 0.80,
)  # fmt: skip


def place(rng: random.Random, lang: str) -> tuple[str, float]:
    """A country and UTC offset for someone writing in ``lang``."""
    if lang in EXTRA_LANG_COUNTRIES:
        country = weighted(rng, list(EXTRA_LANG_COUNTRIES[lang]))
    else:
        country = country_for(rng, lang)
    return country, tz_offset(rng, country)


def person(
    w: World3,
    rng: random.Random,
    family: str,
    lang: str,
    *,
    tiers: tuple[tuple[str, float], ...],
    age_days: tuple[float, float],
    org: str | None = None,
    campaign_id: str | None = None,
    country: str | None = None,
) -> Account:
    """A new account of one person (own card, own key) registered in the world."""
    if country is None:
        country, tz = place(rng, lang)
    else:
        tz = tz_offset(rng, country)
    acct = make_account(
        w.ids,
        rng,
        family=family,
        campaign_id=campaign_id,
        created_ts=created_days_ago(rng, w.start, *age_days),
        tier=weighted(rng, list(tiers)),
        country=country,
        tz=tz,
        card=True,
        org_id=org,
        n_keys=rng.choice((1, 1, 1, 2)),
    )
    return w.add(acct)


def networks_of(
    w: World3,
    rng: random.Random,
    acct: Account,
    *,
    p_mobile: float = 0.15,
    p_campus: float = 0.0,
    p_cloud: float = 0.0,
    campus: Endpoint | None = None,
) -> Callable[[random.Random, int], Endpoint]:
    """Where one person's requests come from: a sticky home line, sometimes a phone, a campus, a VM."""
    country = acct.country
    home = w.fresh_exit(rng, acct.account_id, lambda r: w.net.home_isp(r, country).endpoint(r))
    acct.home = home
    carrier = w.net.carrier(rng, country)
    if campus is None and p_campus > 0:
        nets = [n for n in w.net.education if n.country == country]
        campus = rng.choice(nets).endpoint(rng) if nets else None
    vm = w.net.cloud(rng, country if rng.random() < 0.6 else None).endpoint(rng) if p_cloud > 0 else None
    phone = carrier.endpoint(rng)

    def endpoint(r: random.Random, ts: int) -> Endpoint:
        x = r.random()
        if vm is not None and x < p_cloud:
            return vm
        x -= p_cloud
        if campus is not None and x < p_campus:
            return campus
        x -= p_campus
        if x < p_mobile:
            return phone if r.random() < 0.7 else carrier.endpoint(r)
        return home

    return endpoint


def pick_lang(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    """A language from a weighted mix."""
    return weighted(rng, list(mix))


def walker(pool: list[str], rng: random.Random, ordered: bool) -> Callable[[random.Random], str]:
    """Tasks from ``pool``: a contiguous sweep from a random offset (``ordered``) or random draws."""
    if not pool:
        raise ValueError("empty task pool")
    start = rng.randrange(len(pool))
    state = {"i": start}

    def nxt(r: random.Random) -> str:
        if ordered:
            text = pool[state["i"] % len(pool)]
            state["i"] += 1
            return text
        return r.choice(pool)

    return nxt


def mixed(pools: list[tuple[Callable[[random.Random], str], float]]) -> Callable[[random.Random], str]:
    """Draw from several task streams by weight."""
    total = sum(wt for _, wt in pools)

    def nxt(r: random.Random) -> str:
        x = r.random() * total
        for fn, wt in pools:
            x -= wt
            if x <= 0:
                return fn(r)
        return pools[-1][0](r)

    return nxt


def sys_or_none(w: World3, rng: random.Random, pool: str, lang: str, p: float) -> str | None:
    """A system prompt from ``pool`` with probability ``p``."""
    assert w.ph is not None
    return w.ph.pick(rng, pool, lang) if rng.random() < p else None


def own_wrappers(
    w: World3, rng: random.Random, pool: str, lang: str, k: tuple[int, int] = (1, 3)
) -> list[str]:
    """The one to three phrasings a person keeps reusing (sometimes none: the bare task)."""
    assert w.ph is not None
    variants = w.ph.pool(pool, lang)
    chosen = rng.sample(variants, min(len(variants), rng.randint(*k)))
    if rng.random() < 0.12:
        chosen.append("")
    return chosen


# --- 1. independent researchers sweeping benchmarks with chain-of-thought ----------------------------------
SWEEP_KINDS = (("math_hard", 3.0), ("math", 2.0), ("exam", 2.0), ("code", 1.5), ("grade", 1.5))


def researcher_persona(w: World3, rng: random.Random, lang: str) -> Persona:
    """A single researcher's harness: fixed template(s), a condition on thinking, long outputs allowed."""
    assert w.ph is not None
    harness_lang = lang if w.ph.has("harness", lang) else "en"
    return Persona(
        lang=harness_lang,
        wrappers=own_wrappers(w, rng, "harness", harness_lang, (1, 2)),
        system=sys_or_none(w, rng, "sys_eval", harness_lang, 0.6),
        agents=personal_agents(rng, w.ph, (("own", 3), ("sdk", 3), ("http", 2), ("framework", 1))),
        out_median=rng.uniform(600, 2400),
        out_sigma=0.55,
        thinking=rng.choice((0.0, 0.0, 0.5, 1.0, 1.0)),
        adopt_after_h=rng.uniform(0.5, 20) if rng.random() < 0.45 else None,
        p_new=rng.uniform(0.5, 0.95),
        mini_share=rng.choice((0.0, 0.0, 0.1, 0.3)),
    )


def normal_cot_sweeper(w: World3, n: int) -> None:
    """Researchers running CoT evaluation sweeps over maths, code and exam sets from personal accounts."""
    for i in range(n):
        rng = w.rng("normal_cot_sweeper", i)
        lang = pick_lang(rng, (("en", 8), ("zh", 1.2), ("ja", 0.5), ("ko", 0.4), ("de", 0.3), ("fr", 0.3)))
        org = w.ids.new("org_") if rng.random() < 0.15 else None
        acct = person(
            w,
            rng,
            "normal_cot_sweeper",
            lang,
            tiers=(("pro", 4), ("research", 2), ("free", 1), ("education", 1)),
            age_days=(20, 900),
            org=org,
        )
        persona = researcher_persona(w, rng, lang)
        kind = weighted(rng, list(SWEEP_KINDS))
        if lang == "zh" and rng.random() < 0.5:
            kind = "exam_zh"
        elif lang in MGSM_LANGS and rng.random() < 0.3:
            kind = f"mgsm:{lang}"
        tasks = walker(w.tasks(kind), rng, ordered=rng.random() < 0.8)
        total = lognormal_int(rng, 65, 0.9, 12, 700)
        t0 = w.start
        if persona.adopt_after_h is not None and rng.random() < 0.5:
            t0 = after_release(w, persona.adopt_after_h)  # came for the new model
        times = bursts(
            rng,
            total,
            t0,
            w.end,
            acct.tz,
            n_bursts=rng.randint(1, 5),
            rate_per_min=rng.uniform(1.5, 10),
            profile=weighted(rng, [(HUMAN, 2), (NIGHT_OWL, 1), (OFFICE, 2)]),
        )
        ep = networks_of(w, rng, acct, p_mobile=0.02, p_campus=0.3, p_cloud=rng.choice((0.0, 0.0, 0.9)))
        drive(w, acct, persona, rng, [[t] for t in times], tasks, ep)


# --- 2. graduate students running LLM-as-judge / rubric grading experiments --------------------------------
JUDGE_LANGS = (
    ("en", 10), ("zh", 2), ("es", 1), ("de", 1), ("ko", 1), ("pt", 0.7), ("ru", 0.7), ("fr", 0.7),
    ("ja", 0.7),
)  # fmt: skip


def judge_task_stream(
    w: World3, rng: random.Random, lang: str, ordered: bool
) -> Callable[[random.Random], str]:
    """Question + candidate-answer pairs written into a grading template of the account's language."""
    assert w.ph is not None
    ph = w.ph
    kind = weighted(rng, [("grade", 3), ("math", 2), ("open", 2), ("exam", 1)])
    if lang in MGSM_LANGS and rng.random() < 0.5:
        kind = f"mgsm:{lang}"
    questions = walker(w.tasks(kind), rng, ordered)
    templates = own_wrappers(w, rng, "judge", lang, (1, 2))
    templates = [t for t in templates if t] or ph.pool("judge", lang)[:1]
    from .phrasing3 import fill

    def nxt(r: random.Random) -> str:
        return fill(
            r.choice(templates),
            question=questions(r),
            answer=candidate_answer(ph, r, lang),
            scale=r.choice((5, 10)),
        )

    return nxt


def judge_persona(w: World3, rng: random.Random, lang: str) -> Persona:
    """A judge experiment: the template already holds the task, outputs are medium-long rationales."""
    assert w.ph is not None
    return Persona(
        lang=lang,
        wrappers=[""],
        system=sys_or_none(w, rng, "sys_judge", lang, 0.7),
        agents=personal_agents(rng, w.ph, (("own", 3), ("sdk", 3), ("http", 1), ("framework", 2))),
        out_median=rng.uniform(250, 900),
        out_sigma=0.45,
        thinking=rng.choice((0.0, 0.0, 0.3, 1.0)),
        adopt_after_h=rng.uniform(2, 40) if rng.random() < 0.3 else None,
        p_new=rng.uniform(0.3, 0.9),
        mini_share=rng.choice((0.0, 0.2, 0.5)),
    )


def normal_judge_student(w: World3, n: int) -> None:
    """Graduate students grading model outputs with rubrics from personal accounts."""
    for i in range(n):
        rng = w.rng("normal_judge_student", i)
        lang = pick_lang(rng, JUDGE_LANGS)
        acct = person(
            w,
            rng,
            "normal_judge_student",
            lang,
            tiers=(("free", 2), ("pro", 3), ("education", 2), ("research", 1)),
            age_days=(10, 700),
            org=w.ids.new("org_") if rng.random() < 0.1 else None,
        )
        persona = judge_persona(w, rng, lang)
        stream = judge_task_stream(w, rng, lang, ordered=rng.random() < 0.7)
        total = lognormal_int(rng, 70, 0.9, 8, 500)
        times = bursts(
            rng,
            total,
            w.start,
            w.end,
            acct.tz,
            n_bursts=rng.randint(1, 6),
            rate_per_min=rng.uniform(1, 8),
            profile=weighted(rng, [(STUDENT, 2), (NIGHT_OWL, 1), (OFFICE, 1)]),
        )
        ep = networks_of(w, rng, acct, p_mobile=0.03, p_campus=0.45, p_cloud=rng.choice((0.0, 0.0, 0.0, 0.7)))
        drive(w, acct, persona, rng, [[t] for t in times], stream, ep)


# --- 3. competitive programmers and olympiad students ------------------------------------------------------
OLYMP_LANGS = (("en", 9), ("zh", 3), ("ru", 2.5), ("ko", 2), ("ja", 1.5), ("es", 1), ("pt", 1))


def olympiad_persona(w: World3, rng: random.Random, lang: str, coding: bool) -> Persona:
    """A student working a problem over several turns, often with extended thinking."""
    assert w.ph is not None
    pool = "code_explain" if coding else "stepwise"
    wl = lang if w.ph.has(pool, lang) else "en"
    return Persona(
        lang=wl,
        wrappers=own_wrappers(w, rng, pool, wl),
        system=sys_or_none(w, rng, "sys_tutor", lang, 0.2),
        agents=personal_agents(rng, w.ph, (("browser", 6), ("mobile", 2), ("sdk", 1), ("cli", 0.3))),
        out_median=rng.uniform(900, 2600),
        out_sigma=0.5,
        thinking=rng.choice((0.2, 0.5, 0.8, 1.0)),
        follow_pool="deepen",
        follow_lang=lang,
        p_follow=rng.uniform(0.35, 0.7),
        max_turns=rng.randint(3, 8),
        adopt_after_h=rng.uniform(1, 48) if rng.random() < 0.5 else None,
        p_new=rng.uniform(0.4, 0.9),
        mini_share=0.05,
    )


def normal_olympiad(w: World3, n: int) -> None:
    """Contest coders and olympiad students asking for explained solutions and alternative approaches."""
    for i in range(n):
        rng = w.rng("normal_olympiad", i)
        lang = pick_lang(rng, OLYMP_LANGS)
        acct = person(
            w,
            rng,
            "normal_olympiad",
            lang,
            tiers=(("free", 5), ("pro", 3), ("education", 0.5)),
            age_days=(1, 500),
        )
        coding = rng.random() < 0.6
        persona = olympiad_persona(w, rng, lang, coding)
        kind = "code" if coding else weighted(rng, [("math_hard", 3), ("math", 1)])
        if not coding and lang in MGSM_LANGS and rng.random() < 0.2:
            kind = f"mgsm:{lang}"
        tasks = walker(w.tasks(kind), rng, ordered=False)
        total = lognormal_int(rng, 14, 0.8, 2, 90)
        times = sessions(
            rng, total, w.start, w.end, acct.tz, profile=STUDENT, per_session=(1, 7), gap_median_s=240
        )
        ep = networks_of(w, rng, acct, p_mobile=0.25, p_campus=0.15)
        drive(w, acct, persona, rng, times, tasks, ep)


# --- 4. teachers producing worked solutions and marking schemes --------------------------------------------
TEACHER_LANGS = (
    ("en", 8), ("de", 2), ("fr", 2), ("es", 2), ("pt", 1.5), ("ja", 1), ("ar", 1), ("hi", 1), ("ko", 1),
    ("ru", 1), ("zh", 1.5),
)  # fmt: skip


def normal_teacher(w: World3, n: int) -> None:
    """Teachers writing answer keys, worked examples and mark schemes (evenings and school hours)."""
    for i in range(n):
        rng = w.rng("normal_teacher", i)
        lang = pick_lang(rng, TEACHER_LANGS)
        school = w.ids.new("org_") if rng.random() < 0.12 else None
        acct = person(
            w,
            rng,
            "normal_teacher",
            lang,
            tiers=(("free", 3), ("pro", 3), ("education", 2 if school else 0.5)),
            age_days=(5, 800),
            org=school,
        )
        assert w.ph is not None
        sys_lang = lang if w.ph.has("sys_teacher", lang) else "en"
        persona = Persona(
            lang=lang,
            wrappers=own_wrappers(w, rng, "teacher", lang),
            system=sys_or_none(w, rng, "sys_teacher", sys_lang, 0.35),
            agents=personal_agents(rng, w.ph, (("browser", 8), ("mobile", 1), ("sdk", 0.5))),
            out_median=rng.uniform(700, 1800),
            out_sigma=0.45,
            thinking=rng.choice((0.0, 0.0, 0.3)),
            follow_pool="deepen",
            follow_lang=lang,
            p_follow=rng.uniform(0.1, 0.35),
            max_turns=rng.randint(2, 4),
            adopt_after_h=rng.uniform(10, 60) if rng.random() < 0.25 else None,
            p_new=0.6,
            mini_share=0.15,
        )
        kind = "grade" if lang not in MGSM_LANGS else weighted(rng, [(f"mgsm:{lang}", 3), ("grade", 1)])
        tasks = walker(w.tasks(kind), rng, ordered=False)
        total = lognormal_int(rng, 10, 0.8, 2, 80)
        profile = OFFICE if rng.random() < 0.5 else HUMAN
        times = sessions(
            rng, total, w.start, w.end, acct.tz, profile=profile, per_session=(1, 6), gap_median_s=150
        )
        ep = networks_of(w, rng, acct, p_mobile=0.1)
        drive(w, acct, persona, rng, times, tasks, ep)


# --- 5. non-English STEM learners --------------------------------------------------------------------------
LEARNER_LANGS = (
    ("zh", 3), ("ru", 2), ("es", 2), ("de", 1), ("fr", 1), ("ja", 1.5), ("pt", 2), ("hi", 2), ("ar", 1.5),
    ("ko", 1.5),
)  # fmt: skip


def learner_tasks(w: World3, rng: random.Random, lang: str) -> Callable[[random.Random], str]:
    """What a learner pastes: MGSM in their language, a Chinese exam item, or an English homework problem."""
    streams: list[tuple[Callable[[random.Random], str], float]] = []
    if lang in MGSM_LANGS:
        streams.append((walker(w.tasks(f"mgsm:{lang}"), rng, False), 4))
    if lang == "zh":
        streams.append((walker(w.tasks("exam_zh"), rng, False), 2))
    if lang == "ru":
        streams.append((walker(w.tasks("ru"), rng, False), 0.5))
    streams.append((walker(w.tasks("grade"), rng, False), 1.5 if streams else 4))
    streams.append((walker(w.tasks("math"), rng, False), 0.7))
    return mixed(streams)


def learner_persona(w: World3, rng: random.Random, lang: str) -> Persona:
    """A learner on a phone or laptop, short-to-medium answers, asks follow-ups in their language."""
    assert w.ph is not None
    wrappers = own_wrappers(w, rng, "learner", lang, (1, 2)) + own_wrappers(w, rng, "stepwise", lang, (0, 2))
    return Persona(
        lang=lang,
        wrappers=[x for x in wrappers if x] or [""],
        system=None,
        agents=personal_agents(rng, w.ph, (("mobile", 5), ("browser", 5))),
        out_median=rng.uniform(400, 1300),
        out_sigma=0.5,
        thinking=rng.choice((0.0, 0.0, 0.0, 0.3)),
        follow_pool="deepen",
        follow_lang=lang,
        p_follow=rng.uniform(0.2, 0.5),
        max_turns=rng.randint(2, 6),
        adopt_after_h=rng.uniform(5, 60) if rng.random() < 0.2 else None,
        p_new=0.5,
        mini_share=0.3,
    )


def normal_stem_learner(w: World3, n: int) -> None:
    """Students in many languages asking for step-by-step explanations of maths and science problems."""
    for i in range(n):
        rng = w.rng("normal_stem_learner", i)
        lang = pick_lang(rng, LEARNER_LANGS)
        acct = person(
            w, rng, "normal_stem_learner", lang, tiers=(("free", 8), ("pro", 2)), age_days=(0.5, 600)
        )
        persona = learner_persona(w, rng, lang)
        total = lognormal_int(rng, 8, 0.8, 1, 60)
        times = sessions(
            rng, total, w.start, w.end, acct.tz, profile=STUDENT, per_session=(1, 5), gap_median_s=180
        )
        ep = networks_of(w, rng, acct, p_mobile=0.5)
        drive(w, acct, persona, rng, times, learner_tasks(w, rng, lang), ep)


# --- 6. hobbyist reviewers sweeping the new model on release day -------------------------------------------
REVIEW_LANGS = (("en", 10), ("zh", 1.5), ("ja", 1.5), ("de", 1), ("ru", 1), ("ko", 1))


def reviewer_persona(w: World3, rng: random.Random, lang: str) -> Persona:
    """A hobbyist putting the new model through its paces: the new model only, thinking on, long answers."""
    assert w.ph is not None
    aside_lang = lang if w.ph.has("review_aside", lang) else "en"
    return Persona(
        lang=aside_lang,
        wrappers=own_wrappers(w, rng, "review_aside", aside_lang, (1, 3)),
        system=None,
        agents=personal_agents(rng, w.ph, (("browser", 4), ("sdk", 3), ("own", 2), ("cli", 1))),
        out_median=rng.uniform(700, 2200),
        out_sigma=0.6,
        thinking=rng.choice((0.5, 1.0, 1.0)),
        adopt_after_h=0.0,
        p_new=1.0,
        mini_share=0.0,
    )


def normal_release_reviewer(w: World3, n: int) -> None:
    """Hobbyists who throw their puzzle set (and some benchmark items) at the new model within hours."""
    assert w.ph is not None
    for i in range(n):
        rng = w.rng("normal_release_reviewer", i)
        lang = pick_lang(rng, REVIEW_LANGS)
        new_signup = rng.random() < 0.15
        acct = person(
            w,
            rng,
            "normal_release_reviewer",
            lang,
            tiers=(("free", 3), ("pro", 4)),
            age_days=(0.02, 0.6) if new_signup else (15, 900),
        )
        if new_signup:
            acct.created_ts = int(w.release + rng.uniform(0.1, 6) * HOUR_MS)
        puzzles = w.ph.pool("puzzles", lang if w.ph.has("puzzles", lang) else "en")
        bench = walker(w.tasks(weighted(rng, [("math_hard", 2), ("contest", 1), ("exam", 1)])), rng, False)
        tasks = mixed([(lambda r, puzzles=puzzles: r.choice(puzzles), 3), (bench, 1)])
        persona = reviewer_persona(w, rng, lang)
        total = lognormal_int(rng, 28, 0.8, 4, 200)
        start = max(acct.created_ts + MINUTE_MS, after_release(w, rng.uniform(0.05, 14)))
        end = min(w.end, start + int(rng.uniform(2, 30) * HOUR_MS))
        baseline = int(total * rng.choice((0.0, 0.0, 0.2, 0.35)))  # the old model, for comparison
        times = sessions(
            rng,
            total - baseline,
            start,
            end,
            acct.tz,
            profile=NIGHT_OWL,
            per_session=(3, 15),
            gap_median_s=80,
        )
        if baseline and not new_signup:
            pre = sessions(
                rng,
                baseline,
                w.start,
                w.release,
                acct.tz,
                profile=HUMAN,
                per_session=(3, 10),
                gap_median_s=80,
            )
            times = pre + times
        ep = networks_of(w, rng, acct, p_mobile=0.1)
        drive(w, acct, persona, rng, times, tasks, ep)


# --- 7. personal fine-tune builders generating a few hundred synthetic examples ----------------------------
def normal_tune_builder(w: World3, n: int) -> None:
    """People scripting a few hundred synthetic worked examples for a small personal fine-tune."""
    assert w.ph is not None
    for i in range(n):
        rng = w.rng("normal_tune_builder", i)
        lang = pick_lang(rng, (("en", 8), ("zh", 1.5), ("es", 0.7), ("pt", 0.7), ("de", 0.5)))
        acct = person(
            w,
            rng,
            "normal_tune_builder",
            lang,
            tiers=(("pro", 4), ("free", 2), ("startup", 0.5)),
            age_days=(3, 700),
            org=w.ids.new("org_") if rng.random() < 0.08 else None,
        )
        persona = Persona(
            lang=lang,
            wrappers=own_wrappers(w, rng, "synth", lang, (1, 2)),
            system=sys_or_none(w, rng, "sys_synth", lang if lang == "zh" else "en", 0.7),
            agents=personal_agents(rng, w.ph, (("own", 2), ("sdk", 4), ("framework", 2), ("http", 1))),
            out_median=rng.uniform(900, 2500),
            out_sigma=0.4,
            thinking=rng.choice((0.0, 0.0, 0.5)),
            adopt_after_h=None,
            mini_share=rng.choice((0.0, 0.3, 0.8)),
        )
        kind = "zh" if lang == "zh" and rng.random() < 0.5 else weighted(rng, [("grade", 3), ("math", 1)])
        tasks = walker(w.tasks(kind), rng, ordered=rng.random() < 0.5)
        total = lognormal_int(rng, 120, 0.6, 40, 500)
        times: list[int] = []
        runs = rng.choice((1, 1, 2, 3))
        for r in range(runs):
            t0 = w.start + int(rng.uniform(0, 3.5) * DAY_MS)
            span = int(rng.uniform(1, 10) * HOUR_MS)
            times += steady(
                rng, total // runs + (r == 0) * (total % runs), t0, min(w.end, t0 + span), jitter=0.6
            )
        times.sort()
        ep = networks_of(w, rng, acct, p_mobile=0.0, p_cloud=rng.choice((0.0, 0.0, 0.8)))
        drive(w, acct, persona, rng, [[t] for t in times], tasks, ep)


# --- 8. lab cohorts: labmates on one harness, one campus, one benchmark slice ------------------------------
def normal_lab_cohort(w: World3, n_groups: int) -> None:
    """Small research groups: each member has a personal account but they share the lab's harness, system
    prompt, campus network, time zone, deadline and the same benchmark items (not partitioned)."""
    assert w.ph is not None
    for g in range(n_groups):
        grng = w.rng("normal_lab_cohort", g)
        lang = pick_lang(grng, (("en", 6), ("zh", 1.5), ("ja", 0.7), ("de", 0.5), ("fr", 0.5), ("ko", 0.5)))
        campus_net = grng.choice(w.net.education)
        country = campus_net.country
        group_tz = tz_offset(grng, country)
        prefix = campus_net.slash24(grng)
        org = w.ids.new("org_") if grng.random() < 0.4 else None
        template = researcher_persona(w, grng, lang)
        harness = template.agents[0]
        kind = weighted(grng, list(SWEEP_KINDS))
        pool = w.tasks(kind)
        offset = grng.randrange(len(pool))
        slice_len = grng.randint(30, 180)
        items = [pool[(offset + k) % len(pool)] for k in range(slice_len)]
        deadline = w.start + int(grng.uniform(1.5, 4.0) * DAY_MS)
        size = grng.randint(3, 6)
        for m in range(size):
            rng = w.rng("normal_lab_cohort", g, m)
            acct = person(
                w,
                rng,
                "normal_lab_cohort",
                lang,
                tiers=(("education", 2), ("pro", 3), ("research", 2), ("free", 1)),
                age_days=(10, 1000),
                org=org,
                country=country,
            )
            acct.tz = group_tz
            campus = campus_net.endpoint(rng, prefix)
            persona = Persona(
                lang=template.lang,
                wrappers=template.wrappers,
                system=template.system,
                agents=[harness] if rng.random() < 0.8 else [harness, user_agent(rng, "browser")],
                out_median=template.out_median * rng.uniform(0.8, 1.2),
                out_sigma=0.5,
                thinking=rng.choice((0.0, 0.5, 1.0)),  # each member runs a different condition
                adopt_after_h=template.adopt_after_h,
                p_new=template.p_new if template.adopt_after_h is not None else 0.0,
                mini_share=rng.choice((0.0, 0.3)),
                fixed_model=rng.choice((None, None, MODEL_MAIN, MODEL_MINI, MODEL_NEW))
                if template.adopt_after_h is None
                else None,
            )
            if persona.fixed_model == MODEL_NEW:
                persona.fixed_model = None
            order = list(items) if rng.random() < 0.7 else rng.sample(items, len(items))
            state = {"i": 0}

            def nxt(r: random.Random, order: list[str] = order, state: dict = state) -> str:
                text = order[state["i"] % len(order)]
                state["i"] += 1
                return text

            reps = rng.choice((1, 1, 1, 2))
            total = min(700, len(items) * reps + rng.randint(0, 20))
            t0 = max(w.start, deadline - int(rng.uniform(1, 3) * DAY_MS))
            times = bursts(
                rng,
                total,
                t0,
                min(w.end, deadline + int(0.5 * DAY_MS)),
                acct.tz,
                n_bursts=rng.randint(1, 4),
                rate_per_min=rng.uniform(2, 10),
                profile=OFFICE if rng.random() < 0.6 else NIGHT_OWL,
            )
            ep = networks_of(w, rng, acct, p_mobile=0.02, p_campus=0.75, campus=campus)
            drive(w, acct, persona, rng, [[t] for t in times], nxt, ep)


#: name -> (generator, base count at scale 1.0, minimum count)
NORMAL3_FAMILIES: dict[str, tuple[Callable[[World3, int], None], float, int]] = {
    "normal_cot_sweeper": (normal_cot_sweeper, 110, 2),
    "normal_judge_student": (normal_judge_student, 90, 2),
    "normal_olympiad": (normal_olympiad, 260, 3),
    "normal_teacher": (normal_teacher, 200, 3),
    "normal_stem_learner": (normal_stem_learner, 360, 4),
    "normal_release_reviewer": (normal_release_reviewer, 130, 2),
    "normal_tune_builder": (normal_tune_builder, 45, 1),
    "normal_lab_cohort": (normal_lab_cohort, 22, 1),
}
