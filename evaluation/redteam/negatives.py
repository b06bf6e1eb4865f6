# ruff: noqa: RUF001 - intentional non-Latin text (Chinese, Russian, Japanese phrasings)
"""Normal traffic classes, including hard negatives that share surface features with attacks.

Every class is labelled ``kind: normal`` with its own family name. Hard negatives deliberately share
one or more attack traits: rubric prompts at volume (judges), shared org/card/tool list (agentic org),
shared /24 + identical UA + identical prompts + fresh accounts (classroom), many accounts per IP (CGNAT),
step-by-step maths at volume in several languages (edtech), new-model bursts right after release
(benchmarker, launch signups), reasoning requests on eval sets (researchers), JSON templates (enterprise).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .accounts import Account, Convo, created_days_ago, make_account
from .common import DAY_MS, HOUR_MS, MINUTE_MS, lognormal_int, weighted
from .content import output_tokens
from .networks import COUNTRIES, Endpoint, country_for, tz_offset, user_agent
from .phrasing import fill
from .timing import HUMAN, OFFICE, bursts, sample_ts, sessions, steady
from .world import MODEL_MAIN, MODEL_MINI, MODEL_NEW, World

_GREETING = {
    "zh": "你好，",
    "ru": "Привет! ",
    "es": "Hola, ",
    "de": "Hallo, ",
    "fr": "Bonjour, ",
    "ja": "こんにちは。",
}
_ORG_TOOLS = ["bash", "read_file", "write_file", "edit_file", "grep", "run_tests"]
_ORG_SYSTEM = (
    "You are the internal coding assistant for our monorepo. Follow the style guide in CONTRIBUTING.md, "
    "prefer small diffs, and never commit secrets."
)
_TUTOR_SYSTEM = (
    "You are Pip, a patient maths tutor inside a learning app for 10-15 year olds. Never just give the "
    "answer: explain the method, check understanding, and keep a kind tone."
)
_ENTERPRISE = (
    (
        "You are the support assistant for a project-management SaaS. Be concise and link to help-centre "
        "articles "
        "when relevant.",
        [
            "Summarize the following customer ticket in 2 sentences and list action items.\n\n"
            "Ticket #{id}:\n{text}",
            "Write a polite reply to this customer, max 120 words.\nCustomer wrote: {text}",
        ],
    ),
    (
        "You write product copy for an online homeware shop. British English, warm tone, no superlatives.",
        [
            "Rewrite the product description to be more engaging, under 80 words:\n{text}",
            "Generate 5 SEO keywords and a meta description for:\n{text}",
        ],
    ),
    (
        "You extract structured data from inbound emails for a logistics company. Output JSON only.",
        [
            "Extract the fields below from the message and return JSON with keys customer_name, order_id, "
            "issue_type, "
            "urgency.\nMessage: {text}",
            "Classify this message into one of [billing, shipping, product, account, "
            'other]. Respond as JSON {"category": ...}.\n{text}',
        ],
    ),
    (
        "You answer employees' questions about the company HR policy. If unsure, tell them to contact HR.",
        [
            "Employee question: {text}\nAnswer using the policy excerpts provided earlier.",
            "Summarise this policy question and route it to one of: leave, payroll, benefits, "
            "conduct.\n{text}",
        ],
    ),
    (
        "You triage insurance claims. Never promise coverage. Flag anything that needs a human adjuster.",
        [
            "Triage this claim description. Return JSON with severity (1-5), category, "
            "needs_adjuster (bool).\n{text}",
            "Draft an acknowledgement message for this claim:\n{text}",
        ],
    ),
    (
        "You translate customer-facing text for a travel agency, keeping brand names unchanged.",
        [
            "Translate into {lang_name} for our website. Keep the brand names.\n{text}",
            "Translate into {lang_name}, informal register:\n{text}",
        ],
    ),
)
_NAMES = [
    "Maria Lopez",
    "Tom Becker",
    "Aiko Sato",
    "Priya Nair",
    "Jonas Berg",
    "Chloe Martin",
    "Omar Haddad",
    "Wei Zhang",
    "Sam Okafor",
    "Elena Rossi",
    "Lukas Novak",
    "Grace Kim",
]
_ISSUES = [
    "arrived damaged",
    "has not arrived yet",
    "was charged twice",
    "is missing a part",
    "is the wrong size",
    "stopped working after a week",
    "shows the wrong invoice address",
    "cannot be returned online",
]
_PRODUCTS = [
    "oak side table",
    "linen duvet cover",
    "ceramic pour-over set",
    "cordless drill",
    "standing desk",
    "wool throw blanket",
    "cast-iron skillet",
    "bamboo bath mat",
]
_REPO_VERBS = [
    "add pagination to",
    "write tests for",
    "fix the flaky test in",
    "add retries with backoff to",
    "remove the deprecated flag from",
    "migrate config loading in",
    "add structured logging to",
    "speed up",
    "document",
    "add a CLI command to",
    "fix the timezone bug in",
    "type-annotate",
]
_REPO_PARTS = [
    "the orders endpoint",
    "payments/client.py",
    "the nightly export job",
    "scheduler/worker.py",
    "the CSV importer",
    "auth middleware",
    "the search indexer",
    "the billing webhook handler",
    "reports/monthly.py",
    "the feature-flag service",
]


def _filler(rng: random.Random, kind: int) -> str:
    """Synthetic business text for enterprise template ``kind`` (index into ``_ENTERPRISE``)."""
    name, product, issue = rng.choice(_NAMES), rng.choice(_PRODUCTS), rng.choice(_ISSUES)
    order = f"{rng.choice('ABCDEFGH')}{rng.randint(100000, 999999)}"
    forms = [
        [
            f"Hi, I'm {name}. Since the last update the "
            f"{rng.choice(['board view', 'calendar sync', 'export'])} "
            f"{rng.choice(['is blank', 'times out', 'shows duplicates'])} for our team of "
            f"{rng.randint(3, 80)}.",
            f"{name} here: we were billed for {rng.randint(5, 90)} seats but only use {rng.randint(2, 40)}.",
        ],
        [
            f"{product.capitalize()}, handcrafted, {rng.randint(20, 180)} cm, "
            f"ships in {rng.randint(2, 9)} days.",
            f"{product.capitalize()} in {rng.choice(['sage', 'oat', 'charcoal', 'terracotta'])}, "
            f"{rng.choice(['FSC-certified', 'recycled', 'hand-finished'])}, "
            f"care: {rng.choice(['wipe clean', 'machine wash 40'])}.",
        ],
        [
            f"Hello, {name}. My order {order} {issue}. Can you help?",
            f"Order {order}: the parcel {issue}. "
            f"I need this sorted before {rng.choice(['Friday', 'the 15th'])}.",
        ],
        [
            f"Can I carry over unused leave to next year? I have {rng.randint(2, 12)} days left. - {name}",
            f"How is overtime paid for part-time staff working {rng.randint(10, 30)} hours a week?",
        ],
        [
            f"Water damage in the kitchen on {rng.randint(1, 28)} Feb, "
            f"estimated repair {rng.randint(300, 9000)} EUR.",
            f"Rear-end collision at low speed, bumper and tail light, no injuries, photos attached ({name}).",
        ],
        [
            f"Discover {rng.choice(['Lisbon', 'Kyoto', 'Cape Town', 'Reykjavik'])} "
            f"with our {rng.randint(3, 14)}-day "
            f"{rng.choice(['food', 'hiking', 'city', 'family'])} tour, breakfast included.",
            f"Free cancellation up to {rng.randint(2, 30)} days before departure. "
            "Travel insurance recommended.",
        ],
    ]
    return rng.choice(forms[kind % len(forms)])


def _repo_task(rng: random.Random) -> str:
    return f"{rng.choice(_REPO_VERBS)} {rng.choice(_REPO_PARTS)}"


def _person(
    w: World,
    rng: random.Random,
    family: str,
    *,
    lang: str = "en",
    tier: str | None = None,
    created: int | None = None,
    ua_kinds: tuple[str, ...] = ("browser", "mobile", "sdk"),
    country: str | None = None,
    card: bool | str | None = None,
    **kw: object,
) -> Account:
    """A normal individual account with sensible defaults."""
    country = country or country_for(rng, lang)
    tier = tier or weighted(rng, [("free", 55), ("pro", 35), ("team", 4), ("startup", 2)])
    if card is None:
        card = tier != "free" or rng.random() < 0.1
    uas = [user_agent(rng, rng.choice(ua_kinds)) for _ in range(1 if rng.random() < 0.8 else 2)]
    return w.add(
        make_account(
            w.ids,
            rng,
            family=family,
            campaign_id=None,
            created_ts=created if created is not None else created_days_ago(rng, w.start, 1, 900),
            tier=tier,
            country=country,
            tz=tz_offset(rng, country),
            card=card,
            user_agents=uas,
            home=w.net.home_isp(rng, country).endpoint(rng),
            **kw,
        )
    )


def _roaming(w: World, rng: random.Random, acct: Account) -> Callable[[], Endpoint]:
    """Per-session endpoint of a person: mostly home, sometimes phone, rarely a VPN or a new DHCP lease."""
    vpn = w.net.vpn(rng) if rng.random() < 0.05 else None
    carrier = w.net.carrier(rng, acct.country)

    def pick() -> Endpoint:
        r = rng.random()
        if vpn is not None and r < 0.5:
            return vpn.endpoint(rng)
        if r < 0.25:
            return carrier.endpoint(rng)
        if r < 0.28:
            acct.home = w.net.home_isp(rng, acct.country).endpoint(rng)
        return acct.home  # type: ignore[return-value]

    return pick


def _chat_loop(
    w: World,
    rng: random.Random,
    acct: Account,
    n_ev: int,
    first: int,
    opener: Callable[[], tuple[str, str]],
    *,
    where: Callable[[], Endpoint],
    adopt_h: float | None,
    p_new: float,
    think_p: float = 0.08,
    sys_p: float = 0.1,
    continue_p: float = 0.55,
    followup: Callable[[], str] | None = None,
    tools: list[str] | None = None,
    end: int | None = None,
    per_session: tuple[int, int] = (1, 8),
    new_model_only: bool = False,
) -> None:
    """Generic human chat behaviour: sessions of conversations with follow-ups."""
    followups = w.content.bank.followups()
    system = w.book.pick(rng, "generic_system") if rng.random() < sys_p else None
    convo = Convo()
    for sess in sessions(rng, n_ev, first, end or w.end, acct.tz, per_session=per_session, gap_median_s=75):
        ep = where()
        convo.turn = 0
        for ts in sess:
            if convo.turn and rng.random() < continue_p:
                convo.follow()
                prompt, kind = (followup() if followup else rng.choice(followups)), "chat"
            else:
                convo.start()
                prompt, kind = opener()
            think = rng.random() < think_p
            model = MODEL_NEW if new_model_only else w.model_at(rng, ts, adopt_after_h=adopt_h, p_new=p_new)
            out = output_tokens(rng, kind, think)
            w.sink.emit(
                acct,
                ts,
                ep,
                model,
                prompt,
                output_tokens=out,
                rng=rng,
                system_prompt=system,
                turns=convo.turn,
                thinking=think,
                tools=tools,
                history_tokens=convo.history,
            )
            convo.record(prompt, out)


def _adoption(rng: random.Random, share: float, lo: float, hi: float) -> tuple[float | None, float]:
    if rng.random() < share:
        return rng.uniform(lo, hi), rng.uniform(0.3, 0.95)
    return None, 0.0


# --- everyday users ---------------------------------------------------------------------------------------
def casual(w: World, n: int) -> None:
    """Everyday chat users; a few households share a card, a few use VPNs, some sign up mid-window."""
    fam = "normal_casual"
    cards: list[str] = []
    for j in range(n):
        rng = w.rng(fam, j)
        created = None
        first = w.start
        if rng.random() < 0.03:
            created = w.start + rng.randrange(0, w.end - w.start - 6 * HOUR_MS)
            first = created + rng.randrange(MINUTE_MS, HOUR_MS)
        card = rng.choice(cards) if cards and rng.random() < 0.04 else None
        acct = _person(
            w,
            rng,
            fam,
            created=created,
            card=card,
            ua_kinds=("browser", "browser", "mobile", "sdk", "http", "cli"),
        )
        if acct.payment_fingerprint:
            cards.append(acct.payment_fingerprint)
        adopt_h, p_new = _adoption(rng, 0.6, 0, 72)

        def opener(rng: random.Random = rng) -> tuple[str, str]:
            r = rng.random()
            if r < 0.08:
                return w.content.capability(rng, [("math", 1), ("knowledge", 1), ("code", 0.5)])[0], "chat"
            if r < 0.12:
                return fill(w.book.pick(rng, "casual_math"), task=w.content.corpus(rng, "gsm8k")), "math"
            return w.content.mundane(rng), "chat"

        _chat_loop(
            w,
            rng,
            acct,
            lognormal_int(rng, 16, 0.9, 1, 400),
            first,
            opener,
            where=_roaming(w, rng, acct),
            adopt_h=adopt_h,
            p_new=p_new,
            sys_p=0.15,
        )


def developers(w: World, n: int) -> None:
    """Individual developers: coding questions (including the same code corpora attacks use)."""
    fam = "normal_developer"
    for j in range(n):
        rng = w.rng(fam, j)
        acct = _person(
            w,
            rng,
            fam,
            tier=weighted(rng, [("pro", 6), ("team", 2), ("startup", 1), ("free", 2)]),
            ua_kinds=("sdk", "http", "cli", "framework"),
        )
        devbox = w.net.cloud(rng).endpoint(rng)
        roam = _roaming(w, rng, acct)
        adopt_h, p_new = _adoption(rng, 0.7, 0, 30)
        tools = rng.choice([None, None, None, ["web_search"], ["python"], ["web_search", "python"]])

        def opener(rng: random.Random = rng) -> tuple[str, str]:
            src = weighted(
                rng,
                [
                    ("gpteacher_codegen", 3),
                    ("arena_hard_v2.0", 2),
                    ("sharegpt_sample_1000", 2),
                    ("arena_hard_v0.1", 1),
                    ("humaneval", 0.4),
                    ("codecontests_test", 0.3),
                ],
            )
            task = w.content.corpus(rng, src, openers=True, max_chars=8000)
            if rng.random() < 0.3:
                task = fill(w.book.pick(rng, "dev_task"), task=task)
            return task, "code"

        _chat_loop(
            w,
            rng,
            acct,
            lognormal_int(rng, 45, 0.8, 3, 600),
            w.start,
            opener,
            where=lambda rng=rng, roam=roam, devbox=devbox: devbox if rng.random() < 0.3 else roam(),
            adopt_h=adopt_h,
            p_new=p_new,
            think_p=0.25,
            sys_p=0.4,
            followup=lambda rng=rng: (
                w.content.coding_nudge(rng) if rng.random() < 0.5 else rng.choice(w.content.bank.followups())
            ),
            tools=tools,
        )


def non_english(w: World, n: int) -> None:
    """Casual users writing in Chinese, Russian, Spanish, German, French or Japanese."""
    fam = "normal_non_english"
    corpora = {
        "zh": [("alpaca_chinese_5000", None), ("awesome_chatgpt_prompts", "zh")],
        "ru": [("rulm_ru_seed_tasks", None), ("awesome_chatgpt_prompts", "ru")],
        "fr": [("sharegpt_sample_1000", "fr")],
        "de": [("sharegpt_sample_1000", "de")],
        "es": [("sharegpt_sample_1000", "es")],
        "ja": [],
    }
    for j in range(n):
        rng = w.rng(fam, j)
        lang = weighted(rng, [("zh", 3), ("es", 2), ("de", 2), ("fr", 2), ("ja", 2), ("ru", 2)])
        acct = _person(w, rng, fam, lang=lang)
        adopt_h, p_new = _adoption(rng, 0.5, 0, 72)

        def opener(rng: random.Random = rng, lang: str = lang) -> tuple[str, str]:
            r = rng.random()
            if r < 0.2:
                return fill(
                    w.book.pick(rng, "casual_math", lang), task=w.content.corpus(rng, "mgsm", lang)
                ), "math"
            if r < 0.25:
                task = w.content.corpus(rng, "mgsm", lang)
                return f"{task}\n{w.book.pick(rng, 'tutor', lang)}", "math"
            if r < 0.5 and corpora[lang]:
                name, sub = rng.choice(corpora[lang])
                texts = w.content.bank.texts(name, sub)
                if texts:
                    return rng.choice(texts), "chat"
            if r < 0.62:
                return w.content.mundane(rng), "chat"
            text = w.book.pick(rng, "casual_chat", lang)
            return (_GREETING[lang] + text if rng.random() < 0.4 else text), "chat"

        _chat_loop(
            w,
            rng,
            acct,
            lognormal_int(rng, 14, 0.9, 1, 300),
            w.start,
            opener,
            where=_roaming(w, rng, acct),
            adopt_h=adopt_h,
            p_new=p_new,
        )


def cgnat(w: World, n: int) -> None:
    """Hundreds of unrelated mobile users sharing a handful of carrier-grade-NAT exit addresses."""
    fam = "normal_cgnat"
    rng = w.rng(fam)
    carriers = []
    for cc in rng.sample(["IN", "ID", "BR", "PH", "MX", "TR"], k=2 if n >= 40 else 1):
        net = w.net.carrier(rng, cc)
        prefix = net.slash24(rng)
        carriers.append((cc, [net.endpoint(rng, prefix) for _ in range(rng.randint(3, 6))]))
    for j in range(n):
        urng = w.rng(fam, j)
        cc, exits = urng.choice(carriers)
        acct = _person(
            w, urng, fam, country=cc, ua_kinds=("mobile",), tier=weighted(urng, [("free", 8), ("pro", 2)])
        )
        _chat_loop(
            w,
            urng,
            acct,
            lognormal_int(urng, 12, 0.8, 1, 200),
            w.start,
            lambda urng=urng: (w.content.mundane(urng), "chat"),
            where=lambda urng=urng, exits=exits: urng.choice(exits),
            adopt_h=urng.uniform(0, 96),
            p_new=urng.uniform(0, 0.7),
        )


def launch_signups(w: World, n: int) -> None:
    """People who sign up after the release announcement and mostly try the new model."""
    fam = "normal_launch_signups"
    for j in range(n):
        rng = w.rng(fam, j)
        created = w.release + min(int(rng.expovariate(1 / (18 * HOUR_MS))), w.end - w.release - 2 * HOUR_MS)
        acct = _person(w, rng, fam, created=created, tier=weighted(rng, [("free", 5), ("pro", 5)]))

        def opener(rng: random.Random = rng) -> tuple[str, str]:
            r = rng.random()
            if r < 0.35:
                task, kind = w.content.capability(
                    rng, [("math", 2), ("code", 1), ("hard", 2), ("knowledge", 1)]
                )
                return task, "reason" if kind == "math" else "chat"
            if r < 0.45:
                return w.book.pick(rng, "tryout"), "chat"
            return w.content.mundane(rng), "chat"

        _chat_loop(
            w,
            rng,
            acct,
            lognormal_int(rng, 14, 0.8, 2, 120),
            created + rng.randrange(MINUTE_MS, HOUR_MS),
            opener,
            where=_roaming(w, rng, acct),
            adopt_h=0,
            p_new=0.85,
            think_p=0.4,
            new_model_only=rng.random() < 0.7,
        )


# --- organisations (hard negatives) ---------------------------------------------------------------------
def _org(w: World, rng: random.Random, *, age_days: tuple[float, float]) -> tuple[str, str, int]:
    return w.ids.new("org_"), w.ids.new("pm_"), created_days_ago(rng, w.start, *age_days)


def llm_judges(w: World, n_orgs: int) -> None:
    """Established customers running LLM-as-judge pipelines: rubric grading with scores, at volume."""
    fam = "normal_llm_judge"
    for oi in range(n_orgs):
        orng = w.rng(fam, oi)
        org, card, created = _org(w, orng, age_days=(400, 1400))
        cc = orng.choice(["US", "DE", "SG", "GB"])
        ips = [w.net.cloud(orng, cc).endpoint(orng) for _ in range(orng.randint(2, 4))]
        ua = user_agent(orng, orng.choice(["sdk", "http"]))
        system = w.book.pick(orng, "judge_system")
        templates = [w.book.pick(orng, "judge_template") for _ in range(orng.randint(1, 2))]
        rubric = w.content.rubric(orng)
        evaluates_new = orng.random() < 0.5
        tz = tz_offset(orng, cc)
        for k in range(orng.randint(2, 5)):
            rng = w.rng(fam, oi, k)
            acct = w.add(
                make_account(
                    w.ids,
                    rng,
                    family=fam,
                    campaign_id=None,
                    created_ts=created + k * 9 * DAY_MS,
                    tier="enterprise",
                    country=cc,
                    tz=tz,
                    card=card,
                    org_id=org,
                    user_agents=[ua],
                )
            )
            n_ev = lognormal_int(rng, 1800, 0.4, 500, 5000)
            times = bursts(
                rng,
                n_ev,
                w.start,
                w.end,
                tz,
                n_bursts=rng.randint(6, 20),
                rate_per_min=rng.uniform(10, 60),
                profile=OFFICE if rng.random() < 0.6 else HUMAN,
            )
            for ts in times:
                question = w.content.mundane(rng)
                answer = w.content.sentences(rng, rng.randint(2, 6))
                prompt = fill(
                    rng.choice(templates),
                    question=question,
                    answer=answer,
                    rubric=rubric,
                    n=str(rng.randint(10**5, 10**6)),
                )
                model = w.model_at(
                    rng,
                    ts,
                    adopt_after_h=rng.uniform(6, 30) if evaluates_new else None,
                    p_new=0.3,
                    mini_share=0.2,
                )
                w.sink.emit(
                    acct,
                    ts,
                    rng.choice(ips),
                    model,
                    prompt,
                    output_tokens=output_tokens(rng, "grade"),
                    rng=rng,
                    system_prompt=system,
                    turns=1,
                    thinking=False,
                )


def org_agentic(w: World, n: int) -> None:
    """One company, many API keys, one company card, one internal coding agent with a fixed tool list."""
    fam = "normal_org_agentic"
    orng = w.rng(fam)
    org, card, _created = _org(w, orng, age_days=(500, 900))
    cc = orng.choice(["US", "GB", "DE", "CA"])
    office = w.net.office(orng, cc)
    office_prefix = office.slash24(orng)
    ci_ips = [w.net.cloud(orng, cc).endpoint(orng) for _ in range(3)]
    adopt_h = orng.uniform(2, 10)
    org_tz = orng.choice(COUNTRIES[cc][0])
    for j in range(n):
        rng = w.rng(fam, j)
        acct = _person(
            w,
            rng,
            fam,
            country=cc,
            tier="enterprise",
            card=card,
            org_id=org,
            created=created_days_ago(rng, w.start, 20, 700),
            ua_kinds=("framework", "sdk"),
        )
        acct.tz = org_tz
        budget = lognormal_int(rng, 300, 0.5, 40, 1500)
        convo = Convo()
        ts = w.start + rng.randrange(0, 12 * HOUR_MS)
        while budget > 0 and ts < w.end:
            ts = sample_ts(rng, ts, min(w.end, ts + DAY_MS), acct.tz, OFFICE)
            r = rng.random()
            where = (
                office.endpoint(rng, office_prefix)
                if r < 0.6
                else (rng.choice(ci_ips) if r < 0.8 else acct.home)
            )
            src = weighted(
                rng, [("repo", 3), ("gpteacher_codegen", 2), ("humaneval", 0.3), ("arena_hard_v2.0", 1)]
            )
            task = _repo_task(rng) if src == "repo" else w.content.corpus(rng, src, max_chars=6000)
            convo.start()
            model = w.model_at(rng, ts, adopt_after_h=adopt_h, p_new=0.7)
            for _ in range(min(budget, rng.randint(1, 25))):
                if convo.turn == 1:
                    prompt = fill(w.book.pick(rng, "dev_task"), task=task)
                else:
                    prompt = (
                        w.content.tool_result(rng) if rng.random() < 0.75 else w.content.coding_nudge(rng)
                    )
                think = rng.random() < 0.3
                out = output_tokens(rng, "agent", think)
                w.sink.emit(
                    acct,
                    ts,
                    where,
                    model,
                    prompt,
                    output_tokens=out,
                    rng=rng,
                    tools=_ORG_TOOLS,
                    system_prompt=_ORG_SYSTEM,
                    turns=convo.turn,
                    thinking=think,
                    history_tokens=convo.history,
                )
                convo.record(prompt, out)
                convo.follow()
                budget -= 1
                ts += 1000 * lognormal_int(rng, 12, 0.8, 2, 600)
            ts += int(rng.expovariate(1 / (50 * MINUTE_MS)))


def classroom(w: World, n: int) -> None:
    """A lab session: students on one campus /24, same exercises, identical lab browser, two hours."""
    fam = "normal_classroom"
    n_sessions = 2 if n >= 60 else 1
    for si in range(n_sessions):
        srng = w.rng(fam, si)
        campus = w.net.campus(srng)
        prefix = campus.slash24(srng)
        tz = tz_offset(srng, campus.country)
        day = srng.randrange(0, max(1, (w.end - w.start) // DAY_MS))
        begin = int(w.start + day * DAY_MS + (srng.choice([9, 10, 14]) - tz) * HOUR_MS)
        begin = min(max(begin, w.start), w.end - 3 * HOUR_MS)
        coding = srng.random() < 0.5
        src = ["humaneval", "gpteacher_codegen"] if coding else ["gsm8k", "math_test_5000"]
        exercises = [
            w.content.corpus(srng, srng.choice(src), max_chars=2500) for _ in range(srng.randint(6, 10))
        ]
        lab_ua = user_agent(srng, "browser")
        model = MODEL_NEW if begin > w.release + 6 * HOUR_MS else MODEL_MAIN
        for j in range(n // n_sessions):
            urng = w.rng(fam, si, j)
            created = begin - int(
                urng.uniform(0.2, 2) * HOUR_MS if urng.random() < 0.3 else urng.uniform(1, 10) * DAY_MS
            )
            acct = w.add(
                make_account(
                    w.ids,
                    urng,
                    family=fam,
                    campaign_id=None,
                    created_ts=max(created, w.start - 30 * DAY_MS),
                    tier="education",
                    country=campus.country,
                    tz=tz,
                    card=False,
                    user_agents=[lab_ua if urng.random() < 0.85 else user_agent(urng, "browser")],
                )
            )
            ts = begin + urng.randrange(0, 15 * MINUTE_MS)
            idx, convo = 0, Convo()
            for _ in range(urng.randint(5, 25)):
                if ts >= begin + 2 * HOUR_MS:
                    break
                if convo.turn and urng.random() < 0.45:
                    convo.follow()
                    prompt = urng.choice(w.content.bank.followups())
                else:
                    convo.start()
                    prompt = fill(w.book.pick(urng, "student"), task=exercises[min(idx, len(exercises) - 1)])
                    idx += 1 if urng.random() < 0.7 else 0
                out = output_tokens(urng, "code" if coding else "math")
                w.sink.emit(
                    acct,
                    ts,
                    campus.endpoint(urng, prefix),
                    model,
                    prompt,
                    output_tokens=out,
                    rng=urng,
                    turns=convo.turn,
                    thinking=False,
                    history_tokens=convo.history,
                )
                convo.record(prompt, out)
                ts += 1000 * lognormal_int(urng, 150, 0.7, 20, 1500)


def edtech(w: World, n_keys: int) -> None:
    """An edtech backend forwarding students' maths (several languages) with explain-the-steps notes."""
    fam = "normal_edtech"
    orng = w.rng(fam)
    org, card, created = _org(w, orng, age_days=(300, 900))
    ips = [w.net.cloud(orng, "US").endpoint(orng) for _ in range(3)]
    ua = user_agent(orng, "sdk")
    layout = orng.choice(
        ["{tutor}\n\nStudent's question: {task}", "Student (grade {g}) asks:\n{task}\n\n{tutor}"]
    )
    langs = [("en", 70), ("es", 8), ("fr", 6), ("de", 6), ("ja", 5), ("zh", 5)]
    for k in range(n_keys):
        rng = w.rng(fam, k)
        acct = w.add(
            make_account(
                w.ids,
                rng,
                family=fam,
                campaign_id=None,
                created_ts=created + k * 20 * DAY_MS,
                tier="enterprise",
                country="US",
                tz=-5,
                card=card,
                org_id=org,
                user_agents=[ua],
            )
        )
        n_ev = lognormal_int(rng, 2200, 0.3, 600, 6000)
        for _ in range(n_ev):
            ts = sample_ts(rng, w.start, w.end, rng.choice([-5, -8, 0, 1, 8, 9]), OFFICE)
            lang = weighted(rng, langs)
            if lang == "en":
                task = w.content.corpus(rng, rng.choice(["gsm8k", "math_wordproblems_misc"]))
            else:
                task = w.content.corpus(rng, "mgsm", lang)
            prompt = fill(layout, tutor=w.book.pick(rng, "tutor", lang), task=task, g=str(rng.randint(5, 9)))
            w.sink.emit(
                acct,
                ts,
                rng.choice(ips),
                w.model_at(rng, ts, adopt_after_h=None, p_new=0, mini_share=0.5),
                prompt,
                output_tokens=output_tokens(rng, "math"),
                rng=rng,
                system_prompt=_TUTOR_SYSTEM,
                turns=1 if rng.random() < 0.8 else rng.randint(2, 4),
                thinking=False,
            )


def benchmarkers(w: World, n_keys: int) -> None:
    """An established org benchmarking the new model across several keys right after the release."""
    fam = "normal_benchmarker"
    orng = w.rng(fam)
    org, card, created = _org(w, orng, age_days=(700, 1500))
    cc = orng.choice(["US", "GB", "FR"])
    ips = [w.net.cloud(orng, cc).endpoint(orng) for _ in range(2)]
    ua = user_agent(orng, orng.choice(["framework", "http"]))
    formats = {
        "mmlu_test": "Answer with the letter of the correct option only.\n\n{task}",
        "gsm8k": "{task}\nGive the final numeric answer on the last line, after '####'.",
        "math500": "{task}\nPut your final answer within \\boxed{}.",
        "humaneval": "Complete the following Python function. Return only code.\n\n{task}",
        "cmmlu_test_zh": "以下是单项选择题，请直接给出正确答案的选项。\n\n{task}",
        "commonsenseqa_dev": "{task}\nAnswer:",
    }
    start = w.release + int(orng.uniform(0.5, 3) * HOUR_MS)
    stop = min(w.end, start + int(orng.uniform(10, 20) * HOUR_MS))
    for k in range(n_keys):
        rng = w.rng(fam, k)
        acct = w.add(
            make_account(
                w.ids,
                rng,
                family=fam,
                campaign_id=None,
                created_ts=created + k * 30 * DAY_MS,
                tier="enterprise",
                country=cc,
                tz=tz_offset(rng, cc),
                card=card,
                org_id=org,
                user_agents=[ua],
            )
        )
        suite = rng.sample(sorted(formats), k=rng.randint(2, 4))
        thinking = rng.random() < 0.5
        for ts in steady(rng, lognormal_int(rng, 600, 0.3, 150, 2000), start, stop, jitter=0.9):
            name = rng.choice(suite)
            prompt = fill(formats[name], task=w.content.corpus(rng, name))
            model = MODEL_NEW if rng.random() < 0.8 else MODEL_MAIN
            kind = "code" if name == "humaneval" else ("math" if name in ("gsm8k", "math500") else "label")
            w.sink.emit(
                acct,
                ts,
                rng.choice(ips),
                model,
                prompt,
                output_tokens=output_tokens(rng, kind, thinking),
                rng=rng,
                turns=1,
                thinking=thinking,
            )


def researchers(w: World, n: int) -> None:
    """Academic accounts running evaluation sets, some studying chain-of-thought (asking for reasoning)."""
    fam = "normal_researcher"
    for j in range(n):
        rng = w.rng(fam, j)
        campus = rng.random() < 0.5
        acct = _person(
            w,
            rng,
            fam,
            tier=rng.choice(["research", "education", "pro"]),
            created=created_days_ago(rng, w.start, 60, 1500),
            ua_kinds=("http", "framework", "sdk"),
        )
        where = w.net.campus(rng).endpoint(rng) if campus else acct.home
        suite = rng.sample(
            ["mmlu_test", "commonsenseqa_dev", "gsm8k", "math500", "mgsm", "cmmlu_test_zh"], k=2
        )
        cot_p = 0.15 if rng.random() < 0.4 else 0.0
        adopt_h = rng.uniform(2, 48) if rng.random() < 0.5 else None
        for sess in sessions(
            rng,
            lognormal_int(rng, 250, 0.6, 20, 1500),
            w.start,
            w.end,
            acct.tz,
            per_session=(10, 60),
            gap_median_s=8,
        ):
            for ts in sess:
                name = rng.choice(suite)
                lang = rng.choice(["de", "fr", "ja", "ru", "zh", "es"]) if name == "mgsm" else None
                task = w.content.corpus(rng, name, lang)
                prompt = (
                    w.content.reasoning(rng, task, lang or "en")
                    if rng.random() < cot_p
                    else fill(w.book.pick(rng, "research"), task=task)
                )
                model = w.model_at(rng, ts, adopt_after_h=adopt_h, p_new=0.6)
                w.sink.emit(
                    acct,
                    ts,
                    where,
                    model,
                    prompt,
                    output_tokens=output_tokens(rng, "math"),
                    rng=rng,
                    turns=1,
                    thinking=rng.random() < 0.3,
                )


def enterprise_integrations(w: World, n_orgs: int) -> None:
    """Enterprise back-ends with fixed system prompts and templated requests (some asking for JSON)."""
    fam = "normal_enterprise_integration"
    for oi in range(n_orgs):
        orng = w.rng(fam, oi)
        org, card, created = _org(w, orng, age_days=(200, 1500))
        system, templates = _ENTERPRISE[oi % len(_ENTERPRISE)]
        cc = orng.choice(["US", "GB", "DE", "FR", "NL", "JP"])
        ips = [w.net.cloud(orng, cc).endpoint(orng) for _ in range(orng.randint(1, 3))]
        ua = user_agent(orng, orng.choice(["sdk", "http"]))
        tz = tz_offset(orng, cc)
        model = orng.choice([MODEL_MAIN, MODEL_MINI])
        for k in range(orng.randint(1, 4)):
            rng = w.rng(fam, oi, k)
            acct = w.add(
                make_account(
                    w.ids,
                    rng,
                    family=fam,
                    campaign_id=None,
                    created_ts=created + k * 40 * DAY_MS,
                    tier="enterprise",
                    country=cc,
                    tz=tz,
                    card=card,
                    org_id=org,
                    user_agents=[ua],
                )
            )
            for _ in range(lognormal_int(rng, 700, 0.4, 100, 3000)):
                ts = sample_ts(rng, w.start, w.end, tz, OFFICE)
                prompt = fill(
                    rng.choice(templates),
                    text=_filler(rng, oi % len(_ENTERPRISE)),
                    id=str(rng.randint(10**4, 10**6)),
                    lang_name=rng.choice(["German", "French", "Spanish", "Japanese", "Italian"]),
                )
                w.sink.emit(
                    acct,
                    ts,
                    rng.choice(ips),
                    model,
                    prompt,
                    output_tokens=output_tokens(rng, "short"),
                    rng=rng,
                    system_prompt=system,
                    turns=1,
                    thinking=False,
                )


NORMAL_FAMILIES: dict[str, tuple[Callable[[World, int], None], float, int]] = {
    "normal_casual": (casual, 1250, 5),
    "normal_developer": (developers, 380, 2),
    "normal_non_english": (non_english, 420, 2),
    "normal_cgnat": (cgnat, 300, 5),
    "normal_launch_signups": (launch_signups, 220, 2),
    "normal_classroom": (classroom, 90, 5),
    "normal_researcher": (researchers, 40, 1),
    "normal_llm_judge": (llm_judges, 3, 1),
    "normal_org_agentic": (org_agentic, 30, 3),
    "normal_edtech": (edtech, 6, 2),
    "normal_benchmarker": (benchmarkers, 8, 2),
    "normal_enterprise_integration": (enterprise_integrations, 8, 1),
}
"""family -> (generator, size at scale 1.0 (accounts, or orgs for judges/enterprise), minimum size)"""
