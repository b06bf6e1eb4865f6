"""New normal hard negatives: legitimate customers that honestly share traits with the adaptive attacks.

All of them are labelled ``kind: normal``. They add to the first red team's normal population
(``redteam.negatives.NORMAL_FAMILIES``), which ``scenario.generate`` runs unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ..redteam.accounts import Convo, created_days_ago
from ..redteam.common import DAY_MS, HOUR_MS, MINUTE_MS, lognormal_int, weighted
from ..redteam.content import output_tokens
from ..redteam.networks import user_agent
from ..redteam.phrasing import fill as fill1
from ..redteam.timing import HUMAN, OFFICE, sample_ts, sessions, steady
from ..redteam.world import MODEL_MAIN, MODEL_MINI, MODEL_NEW
from .kit import World2, account, draw_task
from .phrasing2 import LABEL_SETS, LANG_NAMES, fill


def _app_ua(rng: random.Random, product: str) -> str:
    """A backend user agent of an invented product."""
    return rng.choice(
        [
            f"{product}-backend/{rng.randint(1, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            f"{product}/{rng.randint(2, 9)}.{rng.randint(0, 12)} (+https://{product.lower()}.example)",
            f"{product}-worker/{rng.randint(0, 3)}.{rng.randint(0, 40)} python-httpx/0.{rng.randint(25, 28)}",
        ]
    )


def _org(w: World2, rng: random.Random, age: tuple[float, float]) -> tuple[str, str, int]:
    return w.ids.new("org_"), w.ids.new("pm_"), created_days_ago(rng, w.start, *age)


_END_USER_TZ = (-8, -6, -5, -3, 0, 1, 2, 3, 5.5, 7, 8, 9)


# --- a multi-tenant app relaying its end users --------------------------------------------------------------
def saas_proxy(w: World2, n_apps: int) -> None:
    """A consumer app whose single account relays many end users' mixed requests round the clock."""
    fam = "normal_saas_proxy"
    products = ["Wrenly", "Corvid", "Halcyon", "Nimbus", "Fernway", "Driftwood", "Tessera", "Moorhen"]
    followups = w.content.bank.followups()
    for ai in range(n_apps):
        orng = w.rng(fam, ai)
        org, card, created = _org(w, orng, (150, 1200))
        cc = orng.choice(["US", "DE", "GB", "SG", "NL"])
        eps = [w.net.cloud(orng, cc).endpoint(orng) for _ in range(orng.randint(2, 4))]
        system = w.b2.pick(orng, "saas_system")
        ua = _app_ua(orng, next((p for p in products if p in system), products[ai % 8]))
        adopt_h = orng.uniform(6, 40)
        for k in range(orng.randint(1, 2)):
            rng = w.rng(fam, ai, k)
            acct = account(
                w,
                rng,
                fam,
                None,
                created=created + k * 60 * DAY_MS,
                tier=rng.choice(["enterprise", "team"]),
                country=cc,
                card=card,
                org=org,
                uas=[ua],
                n_keys=rng.randint(1, 3),
            )
            convo = Convo()
            for _ in range(lognormal_int(rng, 1100, 0.3, 300, 3500)):
                ts = sample_ts(rng, w.start, w.end, rng.choice(_END_USER_TZ), HUMAN)
                if rng.random() < 0.35:
                    convo.follow()
                    prompt, kind = rng.choice(followups), "chat"
                else:
                    convo.start()
                    r = rng.random()
                    if r < 0.55:
                        prompt, kind = w.content.mundane(rng), "chat"
                    elif r < 0.72:
                        prompt, kind = w.content.capability(rng, [("math", 1), ("code", 1), ("knowledge", 1)])
                        kind = {"math": "math", "code": "code"}.get(kind, "short")
                    elif r < 0.78:
                        # some end users paste in chain-of-thought or grading requests themselves
                        task = w.content.capability(rng, [("math", 2), ("knowledge", 1)])[0]
                        prompt, kind = w.content.reasoning(rng, task), "reason"
                    elif r < 0.8:
                        task = w.content.capability(rng, [("math", 1), ("instruct", 1)])[0]
                        prompt, kind = w.content.rubric_grading(rng, task), "grade"
                    elif r < 0.9:
                        lang = rng.choice(["zh", "ru", "es", "de", "fr", "ja"])
                        prompt, kind = w.book.pick(rng, "casual_chat", lang), "chat"
                    else:
                        lang = rng.choice(["bn", "sw", "te", "th", "es", "fr", "de", "ja", "zh", "ru"])
                        task = w.content.corpus(rng, "mgsm", lang)
                        prompt, kind = fill(w.b2.pick(rng, "tutor_app_ask", lang), task=task), "math"
                think = rng.random() < 0.1
                out = output_tokens(rng, kind, think)
                w.sink.emit(
                    acct,
                    ts,
                    rng.choice(eps),
                    w.model_at(rng, ts, adopt_after_h=adopt_h, p_new=0.5, mini_share=0.4),
                    prompt,
                    output_tokens=out,
                    rng=rng,
                    system_prompt=system,
                    turns=convo.turn,
                    thinking=think,
                    history_tokens=convo.history,
                )
                convo.record(prompt, out)


# --- a data-labelling vendor --------------------------------------------------------------------------------
def data_labeling_vendor(w: World2, n_orgs: int) -> None:
    """An annotation company doing rubric/label work at volume, inside its own org and card."""
    fam = "normal_data_labeling_vendor"
    sentences = w.content.bank.sentences()
    for oi in range(n_orgs):
        orng = w.rng(fam, oi)
        org, card, created = _org(w, orng, (200, 1500))
        cc = orng.choice(["US", "IN", "GB", "NL", "SG"])
        office = w.net.office(orng, cc)
        prefix = office.slash24(orng)
        cloud = [w.net.cloud(orng).endpoint(orng) for _ in range(2)]
        system = w.b2.pick(orng, "label_system")
        templates = w.b2.subset(orng, "label_task", "en", orng.randint(2, 4))
        ua = user_agent(orng, orng.choice(["sdk", "http"]))
        for k in range(orng.randint(3, 6)):
            rng = w.rng(fam, oi, k)
            acct = account(
                w,
                rng,
                fam,
                None,
                created=created + k * 25 * DAY_MS,
                tier="enterprise",
                country=cc,
                card=card,
                org=org,
                uas=[ua],
            )
            n_ev = lognormal_int(rng, 450, 0.4, 100, 1800)
            for ts in _office_batches(rng, n_ev, w.start, w.end, acct.tz):
                text = w.content.mundane(rng)[:1500]
                prompt = fill(
                    rng.choice(templates),
                    text=text,
                    reply=" ".join(rng.choice(sentences) for _ in range(rng.randint(1, 4))),
                    reply2=" ".join(rng.choice(sentences) for _ in range(rng.randint(1, 4))),
                    labels=rng.choice(LABEL_SETS),
                    v=f"{rng.randint(1, 4)}.{rng.randint(0, 9)}",
                )
                ep = office.endpoint(rng, prefix) if rng.random() < 0.6 else rng.choice(cloud)
                w.sink.emit(
                    acct,
                    ts,
                    ep,
                    MODEL_MINI if rng.random() < 0.5 else MODEL_MAIN,
                    prompt,
                    output_tokens=output_tokens(rng, rng.choice(["label", "grade", "short"])),
                    rng=rng,
                    system_prompt=system,
                    turns=1,
                    thinking=False,
                )


def _office_batches(rng: random.Random, n: int, t0: int, t1: int, tz: float) -> list[int]:
    """Annotators working through a queue: dense runs inside office hours."""
    out: list[int] = []
    while len(out) < n:
        ts = sample_ts(rng, t0, t1, tz, OFFICE)
        for _ in range(rng.randint(10, 80)):
            ts += 1000 * lognormal_int(rng, 20, 0.6, 2, 300)
            if ts >= t1 or len(out) >= n:
                break
            out.append(ts)
    return sorted(out)


# --- a multilingual tutoring app ----------------------------------------------------------------------------
_TUTOR_LANGS = (
    ("en", 30), ("es", 8), ("pt", 8), ("hi", 6), ("bn", 5), ("sw", 4), ("te", 3), ("th", 4), ("ar", 5),
    ("ko", 4), ("tr", 4), ("fr", 5), ("de", 4), ("ja", 3), ("zh", 5), ("ru", 4),
)  # fmt: skip


def tutoring_app_multilingual(w: World2, n_apps: int) -> None:
    """Step-by-step maths explanations in many languages (including mgsm's) at volume from an app backend."""
    fam = "normal_tutoring_app_multilingual"
    for ai in range(n_apps):
        orng = w.rng(fam, ai)
        org, card, created = _org(w, orng, (120, 900))
        eps = [w.net.cloud(orng, cc).endpoint(orng) for cc in ("US", "SG", "DE", "JP")]
        system = w.b2.pick(orng, "tutor_app_system")
        ua = _app_ua(orng, next((p for p in ("Kiboko", "Sabaq", "Ladder") if p in system), "Tutorly"))
        langs = [(g, x * orng.uniform(0.3, 1.7)) for g, x in _TUTOR_LANGS]
        for k in range(orng.randint(1, 3)):
            rng = w.rng(fam, ai, k)
            acct = account(
                w,
                rng,
                fam,
                None,
                created=created + k * 30 * DAY_MS,
                tier="enterprise",
                country="US",
                card=card,
                org=org,
                uas=[ua],
            )
            for _ in range(lognormal_int(rng, 900, 0.3, 250, 2500)):
                lang = weighted(rng, langs)
                tz = {"es": -5, "pt": -3, "hi": 5.5, "bn": 5.5, "te": 5.5, "sw": 3, "th": 7, "ar": 3}.get(
                    lang, rng.choice([-5, 0, 1, 8, 9])
                )
                ts = sample_ts(rng, w.start, w.end, tz, HUMAN)
                if lang in ("bn", "sw", "te", "th", "es", "fr", "de", "ja", "zh", "ru"):
                    task = w.content.corpus(rng, "mgsm", lang)
                else:
                    task = w.content.corpus(rng, rng.choice(["gsm8k", "math_wordproblems_misc"]))
                prompt = fill(w.b2.pick(rng, "tutor_app_ask", lang), task=task)
                w.sink.emit(
                    acct,
                    ts,
                    rng.choice(eps),
                    w.model_at(rng, ts, adopt_after_h=None, p_new=0, mini_share=0.6),
                    prompt,
                    output_tokens=output_tokens(rng, "math"),
                    rng=rng,
                    system_prompt=system,
                    turns=1 if rng.random() < 0.75 else rng.randint(2, 5),
                    thinking=False,
                )


# --- an eval-harness startup --------------------------------------------------------------------------------
_SUITES = (
    "mmlu_test", "gsm8k", "math500", "humaneval", "commonsenseqa_dev", "codecontests_test", "arena_hard_v2.0",
)  # fmt: skip


def eval_harness_startup(w: World2, n_orgs: int) -> None:
    """A one-org multi-key team sweeping benchmarks nightly and on every new model right after release."""
    fam = "normal_eval_harness_startup"
    for oi in range(n_orgs):
        orng = w.rng(fam, oi)
        org, card, created = _org(w, orng, (90, 700))
        cc = orng.choice(["US", "GB", "DE", "FR", "SG"])
        tz = {"US": -8, "GB": 0, "DE": 1, "FR": 1, "SG": 8}[cc]
        runners = [w.net.cloud(orng, cc).endpoint(orng) for _ in range(orng.randint(2, 5))]
        ua = orng.choice([_app_ua(orng, "Evalkit"), user_agent(orng, "framework"), user_agent(orng, "http")])
        formats = w.b2.subset(orng, "harness_format", "en", 4)
        sweep_start = w.release + int(orng.uniform(0.3, 4) * HOUR_MS)
        for k in range(orng.randint(4, 9)):
            rng = w.rng(fam, oi, k)
            acct = account(
                w,
                rng,
                fam,
                None,
                created=created + k * 12 * DAY_MS,
                tier="startup",
                country=cc,
                tz=tz,
                card=card,
                org=org,
                uas=[ua],
            )
            suite = rng.sample(_SUITES, k=rng.randint(2, 4))
            runs: list[tuple[int, int, str]] = []
            for d in range((w.end - w.start) // DAY_MS):  # nightly regression runs on the existing models
                if rng.random() < 0.6:
                    t0 = w.start + d * DAY_MS + int((rng.uniform(1, 4) - tz) % 24 * HOUR_MS)
                    runs.append((t0, rng.randint(25, 90), rng.choice([MODEL_MAIN, MODEL_MINI])))
            runs.append(
                (sweep_start + rng.randrange(20 * MINUTE_MS), rng.randint(150, 550), MODEL_NEW)
            )  # release sweep
            for t0, count, model in runs:
                think = rng.random() < 0.4
                for ts in steady(
                    rng, count, t0, min(w.end, t0 + int(rng.uniform(1, 5) * HOUR_MS)), jitter=0.6
                ):
                    src = rng.choice(suite)
                    task = w.content.corpus(rng, src, max_chars=6000)
                    fmt = (
                        rng.choice(formats[:2])
                        if src not in ("humaneval", "codecontests_test")
                        else rng.choice(formats)
                    )
                    kind = "code" if src in ("humaneval", "codecontests_test") else "math"
                    w.sink.emit(
                        acct,
                        ts,
                        rng.choice(runners),
                        model,
                        fill(fmt, task=task),
                        output_tokens=output_tokens(rng, kind if think else "short", think),
                        rng=rng,
                        turns=1,
                        thinking=think,
                    )


# --- a translation pipeline ---------------------------------------------------------------------------------
def translation_pipeline(w: World2, n_orgs: int) -> None:
    """A localisation company translating documents into many (incl. lower-resource) languages."""
    fam = "normal_translation_pipeline"
    targets = ["pt", "ko", "ar", "hi", "tr", "bn", "sw", "te", "th", "es", "fr", "de", "ja", "zh", "ru"]
    sources = ["alpaca_eval_805", "oasst_prompts", "sharegpt_sample_1000", "alpaca_5000", "wizardlm_testset"]
    for oi in range(n_orgs):
        orng = w.rng(fam, oi)
        org, card, created = _org(w, orng, (200, 1300))
        cc = orng.choice(["US", "DE", "IN", "NL", "JP"])
        eps = [w.net.cloud(orng, cc).endpoint(orng) for _ in range(2)]
        ua = _app_ua(orng, ["Polyglot", "Lingora", "Babelbridge"][oi % 3])
        system = w.b2.pick(orng, "translate_system")
        mine = orng.sample(targets, k=orng.randint(4, 9))
        for k in range(orng.randint(1, 3)):
            rng = w.rng(fam, oi, k)
            acct = account(
                w,
                rng,
                fam,
                None,
                created=created + k * 45 * DAY_MS,
                tier="enterprise",
                country=cc,
                card=card,
                org=org,
                uas=[ua],
            )
            for i, ts in enumerate(
                steady(rng, lognormal_int(rng, 650, 0.4, 150, 2000), w.start, w.end, jitter=1.2)
            ):
                text = w.content.corpus(rng, rng.choice(sources), max_chars=3000)
                prompt = fill(
                    w.b2.pick(rng, "translate_ask"),
                    lang_name=LANG_NAMES[rng.choice(mine)],
                    text=text,
                    k=i + 1,
                )
                w.sink.emit(
                    acct,
                    ts,
                    rng.choice(eps),
                    MODEL_MINI if rng.random() < 0.6 else MODEL_MAIN,
                    prompt,
                    output_tokens=int(len(text) / 3) + rng.randint(5, 60),
                    rng=rng,
                    system_prompt=system,
                    turns=1,
                    thinking=False,
                )


# --- a student cohort ---------------------------------------------------------------------------------------
def student_cohort(w: World2, n: int) -> None:
    """Course students using reasoning prompts in a weekly pre-deadline burst from a campus network."""
    fam = "normal_student_cohort"
    n_courses = 1 if n < 60 else (2 if n < 130 else 3)
    followups = w.content.bank.followups()
    for si in range(n_courses):
        srng = w.rng(fam, si)
        campus = w.net.campus(srng)
        prefixes = [campus.slash24(srng) for _ in range(2)]
        tz = {"US": -5, "GB": 0, "DE": 1, "FR": 1, "AU": 10, "JP": 9, "ES": 1}.get(campus.country, 0)
        deadline = w.start + int(srng.uniform(1.6, 3.8) * DAY_MS)
        deadline -= int(((deadline / HOUR_MS + tz) % 24 - 23.99) * HOUR_MS)  # 23:59 local
        deadline = min(deadline, w.end - HOUR_MS)
        srcs = srng.choice(
            [["gsm8k", "math_test_5000"], ["humaneval", "gpteacher_codegen"], ["math500", "mmlu_test"]]
        )
        problem_set = [draw_task(w, srng, srng.choice(srcs)) for _ in range(srng.randint(8, 12))]
        lab_ua = user_agent(srng, "browser")
        for j in range(n // n_courses):
            rng = w.rng(fam, si, j)
            acct = account(
                w,
                rng,
                fam,
                None,
                created=created_days_ago(rng, w.start, 5, 60),
                tier=rng.choice(["education", "education", "free"]),
                country=campus.country,
                tz=tz,
                card=False,
                uas=[lab_ua if rng.random() < 0.5 else user_agent(rng, rng.choice(["browser", "mobile"]))],
            )
            home = w.net.home_isp(rng, campus.country).endpoint(rng)
            start = deadline - int(rng.uniform(2, 40) * HOUR_MS)
            convo = Convo()
            on_campus = rng.random() < 0.6
            for sess in sessions(
                rng, rng.randint(5, 30), start, deadline, tz, per_session=(2, 8), gap_median_s=120
            ):
                ep = campus.endpoint(rng, rng.choice(prefixes)) if on_campus else home
                convo.turn = 0
                for ts in sess:
                    if convo.turn and rng.random() < 0.45:
                        convo.follow()
                        prompt = rng.choice(followups)
                    else:
                        convo.start()
                        k = rng.randrange(len(problem_set))
                        task = problem_set[k][0]
                        if rng.random() < 0.75:
                            prompt = fill(w.b2.pick(rng, "cohort_prompt"), task=task, k=k + 1)
                        else:
                            prompt = fill1(w.book.pick(rng, "student"), task=task)
                    out = output_tokens(rng, "math")
                    w.sink.emit(
                        acct,
                        ts,
                        ep,
                        w.model_at(rng, ts, adopt_after_h=4, p_new=0.3),
                        prompt,
                        output_tokens=out,
                        rng=rng,
                        turns=convo.turn,
                        thinking=rng.random() < 0.15,
                        history_tokens=convo.history,
                    )
                    convo.record(prompt, out)


NEW_NORMAL_FAMILIES: dict[str, tuple[Callable[[World2, int], None], float, int]] = {
    "normal_saas_proxy": (saas_proxy, 5, 1),
    "normal_data_labeling_vendor": (data_labeling_vendor, 3, 1),
    "normal_tutoring_app_multilingual": (tutoring_app_multilingual, 3, 1),
    "normal_eval_harness_startup": (eval_harness_startup, 3, 1),
    "normal_translation_pipeline": (translation_pipeline, 3, 1),
    "normal_student_cohort": (student_cohort, 160, 12),
}
"""family -> (generator, size at scale 1.0 (apps/orgs, or students for the cohort), minimum size)"""
