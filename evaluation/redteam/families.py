"""Attack (campaign) families. Each function adds one family's campaigns, accounts and events to a World.

Family names are only ever written to the label file and scenario params, never into events.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from .accounts import Account, Convo, created_days_ago, make_account
from .common import HOUR_MS, MINUTE_MS, lognormal_int, weighted
from .content import CAPABILITY, output_tokens, random_mix
from .networks import Endpoint, country_for, tz_offset, user_agent
from .phrasing import fill
from .timing import sessions, steady
from .world import MODEL_NEW, World

_OPERATOR_TOOLS = (
    None,
    ["web_search"],
    ["python"],
    ["web_search", "python"],
    ["code_interpreter"],
    ["search", "calculator", "browse"],
)
_AGENT_HARNESSES = (
    ["bash", "str_replace_editor", "view_file", "create_file", "run_tests"],
    ["execute_python", "write_file", "read_file", "submit_solution"],
    ["shell", "apply_patch", "search_code", "open_file"],
    ["terminal", "editor", "run_tests", "finish"],
    ["bash", "read_file", "write_file", "edit_file", "grep", "run_tests"],
)
_WORDISH = re.compile(r"\b[A-Za-z][a-z]{4,}\b")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SENTIMENT_WORDS = _words(
    "love hate great terrible awful amazing disappointed happy sad best worst enjoy enjoyed annoying "
    "excellent poor recommend bad good nice horrible beautiful boring favorite favourite frustrating "
    "wonderful perfect useless helpful fantastic ugly pleasant rude delicious broken"
)
_TOPIC_WORDS = _words(
    "game team player football match score season league market company price sales invest business "
    "money economy bank stock software computer data app code internet online technology science "
    "research country government war election president city law police health doctor school students"
)


def _sizes(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split ``total`` accounts into ``parts`` uneven campaign sizes (each >= 1)."""
    parts = max(1, min(parts, total))
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    sizes = [max(1, int(total * w / sum(weights))) for w in weights]
    sizes[0] += total - sum(sizes)
    return [s for s in sizes if s > 0]


def _campaign(w: World, family: str, n_accounts: int, **params: object) -> str:
    cid = w.ids.new("cmp_")
    w.campaigns.append({"campaign_id": cid, "family": family, "accounts": n_accounts, **params})
    return cid


def _residential(w: World, country: str, mobile_share: float) -> Callable[[random.Random], Endpoint]:
    return lambda r: w.net.residential_exit(r, country, mobile_share)


def _network_style(w: World, rng: random.Random, style: str, acct: Account) -> Callable[[], Endpoint]:
    """An endpoint source per request for an account, by campaign network style."""
    if style == "hosting":
        fixed = [w.net.cloud(rng).endpoint(rng) for _ in range(rng.randint(1, 3))]
        return lambda: rng.choice(fixed)
    if style == "proxy":
        nets = [w.net.vpn(rng) for _ in range(3)]
        return lambda: rng.choice(nets).endpoint(rng)
    if style == "mobile":
        carrier = w.net.carrier(rng, acct.country)
        return lambda: carrier.endpoint(rng)
    if style == "residential":
        make = _residential(w, acct.country, 0.25)
        return lambda: w.fresh_exit(rng, acct.account_id, make)
    return lambda: _network_style(w, rng, rng.choice(["hosting", "proxy", "residential"]), acct)()


def _capability_request(
    w: World,
    rng: random.Random,
    mix: list[tuple[str, float]],
    *,
    reason_p: float,
    rubric_p: float,
    pref_p: float = 0.0,
) -> tuple[str, str]:
    """A capability-extraction prompt and its response kind."""
    task, kind = w.content.capability(rng, mix)
    r = rng.random()
    if r < rubric_p:
        return w.content.rubric_grading(rng, task), "grade"
    if r < rubric_p + pref_p:
        return w.content.preference(rng, task), "grade"
    if r < rubric_p + pref_p + reason_p:
        return w.content.reasoning(rng, task), "reason"
    return task, {"code": "code", "math": "math", "knowledge": "short"}.get(kind, "chat")


def _generic_system(w: World, rng: random.Random, p: float) -> str | None:
    return w.book.pick(rng, "generic_system") if rng.random() < p else None


# --- 1. aged-account hydra -------------------------------------------------------------------------------
def aged_hydra(w: World, n_accounts: int) -> None:
    """Bought aged paid accounts behind rotating residential/mobile proxies, capability prompts + mundane."""
    fam = "aged_hydra"
    rng = w.rng(fam)
    leaks = ["high", "medium", "low", "none"]
    rng.shuffle(leaks)
    followups = w.content.bank.followups()
    for ci, size in enumerate(_sizes(rng, n_accounts, round(n_accounts / 40))):
        crng = w.rng(fam, ci)
        leak = leaks[ci % len(leaks)]
        mix = random_mix(crng)
        mundane_p, reason_p, rubric_p = (
            crng.uniform(0.2, 0.5),
            crng.uniform(0.15, 0.55),
            crng.uniform(0, 0.15),
        )
        op_system = w.book.pick(crng, "operator_system")
        op_ua = user_agent(crng, crng.choice(["sdk", "http", "framework"]))
        op_tools = crng.choice(_OPERATOR_TOOLS)
        op_tz = crng.choice([8, 8, 3, 1, -5, 5.5])
        mobile_share, adopt_h, think_p = (
            crng.uniform(0.05, 0.6),
            crng.uniform(2, 20),
            crng.uniform(0.35, 0.85),
        )
        cid = _campaign(
            w,
            fam,
            size,
            leak=leak,
            mundane_share=round(mundane_p, 3),
            adopt_after_h=round(adopt_h, 1),
            mobile_share=round(mobile_share, 3),
            task_mix={k: round(v, 3) for k, v in mix},
        )
        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng)
            if leak == "high":
                tz, uas = op_tz, [op_ua]
            elif leak == "medium":
                tz = op_tz + arng.choice([-1, 0, 0, 1])
                uas = [op_ua] if arng.random() < 0.6 else [user_agent(arng, "sdk")]
            else:
                tz, uas = (
                    tz_offset(arng, country),
                    [user_agent(arng, arng.choice(["sdk", "http", "browser"]))],
                )
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created_days_ago(arng, w.start, 150, 1600),
                    tier=weighted(arng, [("pro", 6), ("team", 1.5), ("startup", 0.5)]),
                    country=country,
                    tz=tz,
                    user_agents=uas,
                )
            )
            exit_ = _residential(w, country, mobile_share)
            convo = Convo()
            first = w.start + arng.randrange(0, 18 * HOUR_MS)
            for sess in sessions(
                arng,
                lognormal_int(arng, 55, 0.5, 12, 220),
                first,
                w.end,
                tz,
                per_session=(1, 6),
                gap_median_s=arng.uniform(40, 160),
            ):
                convo.turn = 0
                for ts in sess:
                    ep = w.fresh_exit(arng, acct.account_id, exit_)
                    model = w.model_at(
                        arng, ts, adopt_after_h=adopt_h + arng.uniform(-1, 3), p_new=0.9, mini_share=0.1
                    )
                    tools = None
                    if arng.random() < mundane_p:
                        if convo.turn and arng.random() < 0.45:
                            convo.follow()
                            prompt = arng.choice(followups)
                        else:
                            convo.start()
                            prompt = w.content.mundane(arng)
                        kind, think = "chat", arng.random() < 0.1
                    else:
                        convo.start()
                        prompt, kind = _capability_request(w, arng, mix, reason_p=reason_p, rubric_p=rubric_p)
                        think = arng.random() < think_p
                        if leak == "high" and op_tools:
                            tools = op_tools
                    share = {"high": 0.7, "medium": 0.2}.get(leak, 0.0)
                    system = op_system if arng.random() < share else _generic_system(w, arng, 0.25)
                    out = output_tokens(arng, kind, think)
                    w.sink.emit(
                        acct,
                        ts,
                        ep,
                        model,
                        prompt,
                        output_tokens=out,
                        rng=arng,
                        system_prompt=system,
                        turns=convo.turn,
                        tools=tools,
                        thinking=think,
                        history_tokens=convo.history,
                    )
                    convo.record(prompt, out)


# --- 2. multilingual reasoning / rubric / reward-model elicitation -----------------------------------------
def multilingual_elicitation(w: World, n_accounts: int) -> None:
    """Reasoning-trace coercion, rubric grading and pairwise preference in seven languages."""
    fam = "multilingual_elicitation"
    rng = w.rng(fam)
    langs = ["zh", "ru", "es", "de", "fr", "ja", "en"]
    plan = _sizes(rng, n_accounts, round(n_accounts / 22))
    for ci, size in enumerate(plan):
        crng = w.rng(fam, ci)
        camp_langs = langs if len(plan) == 1 else [langs[(ci * 3 + k) % 7] for k in range(3)]
        lang_w = [(lang, crng.uniform(0.5, 2.0)) for lang in camp_langs]
        style_w = [
            ("reason", crng.uniform(0.2, 1)),
            ("rubric", crng.uniform(0.2, 1)),
            ("preference", crng.uniform(0, 0.5)),
        ]
        net_style = crng.choice(["residential", "mobile", "hosting", "mixed"])
        paced = crng.random() < 0.5
        shared_ua = user_agent(crng, "framework") if crng.random() < 0.5 else None
        adopt_h, think_p = crng.uniform(3, 22), crng.uniform(0.4, 0.9)
        cid = _campaign(
            w,
            fam,
            size,
            languages=camp_langs,
            network=net_style,
            paced=paced,
            shared_user_agent=shared_ua is not None,
            styles={k: round(v, 3) for k, v in style_w},
        )
        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng, arng.choice([*camp_langs, "en"]))
            tier = weighted(arng, [("free", 2), ("pro", 5), ("team", 1)])
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created_days_ago(
                        arng, w.start, *(2, 40) if arng.random() < 0.4 else (60, 900)
                    ),
                    tier=tier,
                    country=country,
                    tz=tz_offset(arng, country),
                    card=tier != "free",
                    user_agents=[shared_ua or user_agent(arng, arng.choice(["sdk", "http"]))],
                )
            )
            endpoint = _network_style(w, arng, net_style, acct)
            n_ev = lognormal_int(arng, 85, 0.5, 15, 300)
            first = w.start + arng.randrange(0, 30 * HOUR_MS)
            if paced:
                times = steady(arng, n_ev, first, w.end)
            else:
                times = [
                    t
                    for s in sessions(arng, n_ev, first, w.end, acct.tz, per_session=(3, 15), gap_median_s=40)
                    for t in s
                ]
            for ts in times:
                lang = weighted(arng, lang_w)
                task = w.content.lang_task(arng, lang)
                style = weighted(arng, style_w)
                if style == "reason":
                    prompt, kind = w.content.reasoning(arng, task, lang), "reason"
                elif style == "rubric":
                    prompt, kind = w.content.rubric_grading(arng, task, lang), "grade"
                else:
                    prompt, kind = w.content.preference(arng, task, lang), "grade"
                think = arng.random() < think_p
                w.sink.emit(
                    acct,
                    ts,
                    endpoint(),
                    w.model_at(arng, ts, adopt_after_h=adopt_h, p_new=0.85),
                    prompt,
                    output_tokens=output_tokens(arng, kind, think),
                    rng=arng,
                    turns=1,
                    thinking=think,
                    system_prompt=_generic_system(w, arng, 0.15),
                )


# --- 3. Krishna et al. 2020: RANDOM / WIKI queries ------------------------------------------------------
def _random_words(rng: random.Random, vocab: list[str], lo: int, hi: int) -> str:
    text = " ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi)))
    return text[:1].upper() + text[1:] + rng.choice([".", "", ".", "?", "!"])


def krishna_random_queries(w: World, n_accounts: int) -> None:
    """Nonsensical word sequences (RANDOM) and sampled natural sentences (WIKI) as task queries."""
    fam = "krishna_random_queries"
    rng = w.rng(fam)
    vocab, sents = w.content.bank.vocabulary(), w.content.bank.sentences()
    plan = _sizes(rng, n_accounts, round(n_accounts / 35))
    for ci, size in enumerate(plan):
        crng = w.rng(fam, ci)
        mode = "mixed" if len(plan) == 1 else ("random", "wiki")[ci % 2]
        tasks = crng.sample(["sentiment", "nli", "span_qa", "topic"], k=crng.randint(1, 3))
        templates = {t: [w.book.pick(crng, t) for _ in range(crng.randint(1, 2))] for t in tasks}
        net_style = crng.choice(["hosting", "proxy", "residential", "mixed"])
        shared_ua = user_agent(crng, "http") if crng.random() < 0.6 else None
        cid = _campaign(
            w, fam, size, mode=mode, tasks=tasks, network=net_style, shared_user_agent=shared_ua is not None
        )

        def text(r: random.Random, long: bool = False, mode: str = mode) -> str:
            m = r.choice(["random", "wiki"]) if mode == "mixed" else mode
            if m == "random":
                return _random_words(r, vocab, 40, 110) if long else _random_words(r, vocab, 5, 28)
            return " ".join(r.choice(sents) for _ in range(r.randint(3, 6))) if long else r.choice(sents)

        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng)
            tier = weighted(arng, [("free", 5), ("pro", 4)])
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created_days_ago(arng, w.start, 3, 120),
                    tier=tier,
                    country=country,
                    tz=tz_offset(arng, country),
                    card=tier != "free",
                    user_agents=[shared_ua or user_agent(arng, arng.choice(["http", "cli", "sdk"]))],
                )
            )
            endpoint = _network_style(w, arng, net_style, acct)
            first = w.start + arng.randrange(0, 48 * HOUR_MS)
            for ts in steady(arng, lognormal_int(arng, 140, 0.45, 30, 400), first, w.end, jitter=0.8):
                task = arng.choice(tasks)
                tpl = arng.choice(templates[task])
                if task == "nli":
                    prompt = fill(tpl, p=text(arng), h=text(arng))
                elif task == "span_qa":
                    para = text(arng, long=True)
                    words = para.split()
                    q = " ".join(arng.choice(words) for _ in range(arng.randint(3, 9))).strip(".?!")
                    q = f"{arng.choice(['What', 'Who', 'When', 'Where', 'Why', 'How', 'Which'])} {q.lower()}?"
                    prompt = fill(tpl, p=para, q=q)
                else:
                    prompt = fill(tpl, text=text(arng))
                model = w.model_at(arng, ts, adopt_after_h=None, p_new=0, mini_share=0.75)
                w.sink.emit(
                    acct,
                    ts,
                    endpoint(),
                    model,
                    prompt,
                    rng=arng,
                    turns=1,
                    thinking=False,
                    output_tokens=output_tokens(arng, "span_json" if task == "span_qa" else "label"),
                )


# --- 4. Birch et al. 2023: model leeching ---------------------------------------------------------------
def birch_leeching(w: World, n_accounts: int) -> None:
    """Passage + question with a fixed JSON answer-format instruction, several questions per passage."""
    fam = "birch_leeching"
    rng = w.rng(fam)
    long_texts = [
        t
        for name in ("sharegpt_sample_1000", "alpaca_eval_805", "oasst_prompts", "wizardlm_testset")
        for t in w.content.bank.texts(name, openers=True, min_chars=400, max_chars=2500)
        if t.isascii() and t.count(". ") >= 3 and "```" not in t
    ]
    for ci, size in enumerate(_sizes(rng, n_accounts, round(n_accounts / 30))):
        crng = w.rng(fam, ci)
        fmt, layout = w.book.pick(crng, "json_format"), w.book.pick(crng, "leech_layout")
        net_style = crng.choice(["hosting", "residential", "mixed"])
        q_per_passage = crng.randint(1, 5)
        cid = _campaign(w, fam, size, network=net_style, questions_per_passage=q_per_passage)
        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng)
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created_days_ago(arng, w.start, 10, 500),
                    tier=weighted(arng, [("pro", 5), ("startup", 1), ("free", 1)]),
                    country=country,
                    tz=tz_offset(arng, country),
                    user_agents=[user_agent(arng, arng.choice(["http", "sdk"]))],
                )
            )
            endpoint = _network_style(w, arng, net_style, acct)
            first = w.start + arng.randrange(0, 36 * HOUR_MS)
            times = steady(arng, lognormal_int(arng, 150, 0.4, 40, 400), first, w.end, jitter=0.6)
            context, asked = "", q_per_passage
            for ts in times:
                if asked >= q_per_passage or not context:
                    if long_texts and arng.random() < 0.8:
                        context = arng.choice(long_texts)
                    else:
                        context = w.content.sentences(arng, arng.randint(3, 7))
                    asked = 0
                words = _WORDISH.findall(context) or ["it"]
                q = fill(w.book.pick(arng, "leech_question"), w=arng.choice(words))
                asked += 1
                prompt = fill(layout, context=context, q=q, fmt=fmt)
                model = w.model_at(arng, ts, adopt_after_h=None, p_new=0, mini_share=0.8)
                w.sink.emit(
                    acct,
                    ts,
                    endpoint(),
                    model,
                    prompt,
                    rng=arng,
                    turns=1,
                    thinking=False,
                    output_tokens=output_tokens(arng, "span_json"),
                )


# --- 5. MeaeQ: task-relevant, de-duplicated query selection ----------------------------------------------
def _meaeq_pool(sents: list[str], vocab: frozenset[str], rng: random.Random) -> list[str]:
    """Sentences relevant to a task (keyword filter), ordered round-robin over crude clusters."""
    buckets: dict[tuple[str, int], list[str]] = {}
    for s in sents:
        toks = {t.lower().strip(".,!?;:\"'()") for t in s.split()}
        if toks & vocab:
            buckets.setdefault((s.split()[0].lower(), len(s) // 60), []).append(s)
    lists = list(buckets.values())
    rng.shuffle(lists)
    for bucket in lists:
        rng.shuffle(bucket)
    out: list[str] = []
    while lists:
        lists = [b for b in lists if b]
        out.extend(b.pop() for b in lists)
    return out or list(sents)


def meaeq_task_selection(w: World, n_accounts: int) -> None:
    """Classification queries built from task-relevant corpus text selected for diversity."""
    fam = "meaeq_task_selection"
    rng = w.rng(fam)
    sents = w.content.bank.sentences()
    for ci, size in enumerate(_sizes(rng, n_accounts, round(n_accounts / 30))):
        crng = w.rng(fam, ci)
        tasks = crng.sample(["sentiment", "topic", "nli"], k=crng.randint(1, 2))
        pools = {
            "sentiment": _meaeq_pool(sents, _SENTIMENT_WORDS, crng),
            "topic": _meaeq_pool(sents, _TOPIC_WORDS, crng),
        }
        pools["nli"] = pools["topic"]
        cursor = {t: 0 for t in pools}
        templates = {t: w.book.pick(crng, t) for t in tasks}
        net_style = crng.choice(["hosting", "residential", "proxy", "mixed"])
        cid = _campaign(w, fam, size, tasks=tasks, network=net_style)
        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng)
            tier = weighted(arng, [("free", 3), ("pro", 5)])
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created_days_ago(arng, w.start, 5, 300),
                    tier=tier,
                    country=country,
                    tz=tz_offset(arng, country),
                    card=tier != "free",
                    user_agents=[user_agent(arng, arng.choice(["http", "sdk", "framework"]))],
                )
            )
            endpoint = _network_style(w, arng, net_style, acct)
            first = w.start + arng.randrange(0, 36 * HOUR_MS)
            for ts in steady(arng, lognormal_int(arng, 130, 0.45, 30, 400), first, w.end, jitter=0.7):
                task = arng.choice(tasks)
                pool = pools[task]
                item = pool[cursor[task] % len(pool)]
                cursor[task] += 1
                if task == "nli":
                    hyp = pool[(cursor[task] * 7 + 3) % len(pool)]
                    prompt = fill(templates[task], p=item, h=hyp)
                else:
                    prompt = fill(templates[task], text=item)
                model = w.model_at(arng, ts, adopt_after_h=None, p_new=0, mini_share=0.6)
                w.sink.emit(
                    acct,
                    ts,
                    endpoint(),
                    model,
                    prompt,
                    rng=arng,
                    turns=1,
                    thinking=False,
                    output_tokens=output_tokens(arng, "label"),
                )


# --- 6. release rush --------------------------------------------------------------------------------------
def release_rush(w: World, n_accounts: int) -> None:
    """Accounts created within a day of the model release that only ever call the new model."""
    fam = "release_rush"
    rng = w.rng(fam)
    for ci, size in enumerate(_sizes(rng, n_accounts, round(n_accounts / 30))):
        crng = w.rng(fam, ci)
        mix = random_mix(crng, ("math", "code", "hard", "knowledge", "instruct"))
        reason_p, rubric_p, think_p = crng.uniform(0.3, 0.7), crng.uniform(0, 0.15), crng.uniform(0.6, 0.95)
        net_style = crng.choice(["hosting", "residential", "mobile", "mixed"])
        human = crng.random() < 0.5
        cid = _campaign(
            w, fam, size, network=net_style, human_timing=human, task_mix={k: round(v, 3) for k, v in mix}
        )
        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng)
            created = w.release + int(arng.uniform(0.3, 24) * HOUR_MS)
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created,
                    tier=weighted(arng, [("pro", 6), ("team", 1), ("free", 1)]),
                    country=country,
                    tz=tz_offset(arng, country),
                    user_agents=[user_agent(arng, arng.choice(["sdk", "http", "framework"]))],
                )
            )
            endpoint = _network_style(w, arng, net_style, acct)
            first = created + int(arng.uniform(0.1, 4) * HOUR_MS)
            n_ev = lognormal_int(arng, 110, 0.5, 20, 400)
            if human:
                times = [
                    t
                    for s in sessions(arng, n_ev, first, w.end, acct.tz, per_session=(2, 10), gap_median_s=45)
                    for t in s
                ]
            else:
                times = steady(arng, n_ev, first, w.end)
            for ts in times:
                prompt, kind = _capability_request(w, arng, mix, reason_p=reason_p, rubric_p=rubric_p)
                think = arng.random() < think_p
                w.sink.emit(
                    acct,
                    ts,
                    endpoint(),
                    MODEL_NEW,
                    prompt,
                    output_tokens=output_tokens(arng, kind, think),
                    rng=arng,
                    turns=1,
                    thinking=think,
                    system_prompt=_generic_system(w, arng, 0.2),
                )


# --- 7. very low volume spread ----------------------------------------------------------------------------
def low_volume_spread(w: World, n_accounts: int) -> None:
    """Hundreds of accounts, each with its own card and IP, sending at most 20 capability requests."""
    fam = "low_volume_spread"
    rng = w.rng(fam)
    for ci, size in enumerate(_sizes(rng, n_accounts, round(n_accounts / 100))):
        crng = w.rng(fam, ci)
        mix = random_mix(crng)
        reason_p, rubric_p = crng.uniform(0.2, 0.5), crng.uniform(0, 0.1)
        cid = _campaign(w, fam, size, task_mix={k: round(v, 3) for k, v in mix})
        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng)
            home = w.fresh_exit(arng, f"{cid}:{j}", lambda r, c=country: w.net.home_isp(r, c).endpoint(r))
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created_days_ago(arng, w.start, 2, 700),
                    tier=weighted(arng, [("pro", 5), ("team", 1)]),
                    country=country,
                    tz=tz_offset(arng, country),
                    user_agents=[user_agent(arng, arng.choice(["sdk", "http", "browser", "cli"]))],
                    home=home,
                )
            )
            day0 = w.start + arng.randrange(0, max(1, w.end - w.start - 6 * HOUR_MS))
            for sess in sessions(
                arng,
                arng.randint(3, 20),
                day0,
                min(w.end, day0 + 36 * HOUR_MS),
                acct.tz,
                per_session=(2, 8),
                gap_median_s=90,
            ):
                for ts in sess:
                    prompt, kind = _capability_request(w, arng, mix, reason_p=reason_p, rubric_p=rubric_p)
                    think = arng.random() < 0.5
                    model = w.model_at(arng, ts, adopt_after_h=arng.uniform(1, 24), p_new=0.8)
                    w.sink.emit(
                        acct,
                        ts,
                        home,
                        model,
                        prompt,
                        output_tokens=output_tokens(arng, kind, think),
                        rng=arng,
                        turns=1,
                        thinking=think,
                        system_prompt=_generic_system(w, arng, 0.2),
                    )


# --- 8. agentic-coding extraction ------------------------------------------------------------------------
def agentic_coding_extraction(w: World, n_accounts: int) -> None:
    """Agent-harness coding episodes: a task, then tool results and nudges over several turns."""
    fam = "agentic_coding_extraction"
    rng = w.rng(fam)
    for ci, size in enumerate(_sizes(rng, n_accounts, round(n_accounts / 30))):
        crng = w.rng(fam, ci)
        tools = crng.choice(_AGENT_HARNESSES)
        net_style = crng.choice(["hosting", "residential", "mixed"])
        adopt_h, think_p = crng.uniform(1, 18), crng.uniform(0.5, 0.9)
        explain_p = crng.uniform(0.05, 0.25)
        cid = _campaign(w, fam, size, tools=tools, network=net_style, adopt_after_h=round(adopt_h, 1))
        for j in range(size):
            arng = w.rng(fam, ci, j)
            country = country_for(arng)
            acct = w.add(
                make_account(
                    w.ids,
                    arng,
                    family=fam,
                    campaign_id=cid,
                    created_ts=created_days_ago(
                        arng, w.start, *(3, 60) if arng.random() < 0.4 else (90, 1200)
                    ),
                    tier=weighted(arng, [("pro", 4), ("team", 2), ("startup", 1)]),
                    country=country,
                    tz=tz_offset(arng, country),
                    user_agents=[user_agent(arng, arng.choice(["sdk", "framework"]))],
                )
            )
            endpoint = _network_style(w, arng, net_style, acct)
            budget = lognormal_int(arng, 170, 0.5, 30, 600)
            ts = w.start + arng.randrange(0, 24 * HOUR_MS)
            convo = Convo()
            while budget > 0 and ts < w.end:
                src = arng.choice(CAPABILITY["code"])
                task = w.content.corpus(arng, src, max_chars=6000)
                convo.start()
                model = w.model_at(arng, ts, adopt_after_h=adopt_h, p_new=0.9)
                for _turn in range(min(budget, arng.randint(2, 12))):
                    if convo.turn == 1:
                        prompt = fill(w.book.pick(arng, "agent_task"), task=task)
                    elif arng.random() < explain_p:
                        prompt = w.content.reasoning(arng, "Explain the final solution above.")
                    else:
                        prompt = (
                            w.content.tool_result(arng)
                            if arng.random() < 0.8
                            else w.content.coding_nudge(arng)
                        )
                    think = arng.random() < think_p
                    out = output_tokens(arng, "agent", think)
                    w.sink.emit(
                        acct,
                        ts,
                        endpoint(),
                        model,
                        prompt,
                        output_tokens=out,
                        rng=arng,
                        tools=tools,
                        turns=convo.turn,
                        thinking=think,
                        history_tokens=convo.history,
                    )
                    convo.record(prompt, out)
                    convo.follow()
                    budget -= 1
                    ts += 1000 * lognormal_int(arng, 14, 0.7, 2, 300)
                ts += int(arng.expovariate(1 / (40 * MINUTE_MS)))
                if arng.random() < 0.15:
                    ts += int(arng.uniform(4, 14) * HOUR_MS)


ATTACK_FAMILIES: dict[str, tuple[Callable[[World, int], None], int]] = {
    "aged_hydra": (aged_hydra, 200),
    "multilingual_elicitation": (multilingual_elicitation, 110),
    "krishna_random_queries": (krishna_random_queries, 80),
    "birch_leeching": (birch_leeching, 60),
    "meaeq_task_selection": (meaeq_task_selection, 60),
    "release_rush": (release_rush, 80),
    "low_volume_spread": (low_volume_spread, 260),
    "agentic_coding_extraction": (agentic_coding_extraction, 60),
}
"""family -> (generator, accounts at scale 1.0)"""
