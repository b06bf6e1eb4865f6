"""Shared building blocks of the second red team: world, campaigns, task sweeps, elicitation, networks.

Everything builds on the first red team's infrastructure (``evaluation/redteam``: accounts, networks,
corpora, timing, content); only the phrasing is new (``phrasing2``). Nothing here writes a family,
label or campaign name into an event.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..redteam.accounts import Account, make_account
from ..redteam.common import HOUR_MS, weighted
from ..redteam.content import CAPABILITY
from ..redteam.networks import Endpoint, tz_offset, user_agent
from ..redteam.world import World
from .phrasing2 import LANG_NAMES, Book2, fill

LEAKS = ("none", "low", "medium", "high")
#: mgsm is written in these languages (besides English-only corpora)
MGSM_LANGS = ("bn", "de", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")
_NUM = re.compile(r"\d+")


@dataclass
class World2(World):
    """The first red team's World plus this generator's phrase book."""

    book2: Book2 | None = None

    @property
    def b2(self) -> Book2:
        """The redteam2 phrase book (always set by ``scenario.generate``)."""
        assert self.book2 is not None
        return self.book2


def sizes(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split ``total`` accounts into ``parts`` uneven campaign sizes (each >= 1)."""
    parts = max(1, min(parts, total))
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    out = [max(1, int(total * x / sum(weights))) for x in weights]
    out[0] += total - sum(out)
    return [s for s in out if s > 0]


def campaign(w: World, family: str, n_accounts: int, **params: object) -> str:
    """Register a campaign (ground truth for scenario.json only) and return its opaque id."""
    cid = w.ids.new("cmp_")
    w.campaigns.append({"campaign_id": cid, "family": family, "accounts": n_accounts, **params})
    return cid


def account(
    w: World,
    rng: random.Random,
    family: str,
    campaign_id: str | None,
    *,
    created: int,
    tier: str,
    country: str,
    tz: float | None = None,
    card: bool | str = True,
    org: str | None = None,
    uas: list[str] | None = None,
    home: Endpoint | None = None,
    n_keys: int = 1,
) -> Account:
    """Create and register an account."""
    return w.add(
        make_account(
            w.ids,
            rng,
            family=family,
            campaign_id=campaign_id,
            created_ts=min(created, w.end - HOUR_MS),
            tier=tier,
            country=country,
            tz=tz_offset(rng, country) if tz is None else tz,
            card=card,
            org_id=org,
            n_keys=n_keys,
            user_agents=uas,
            home=home,
        )
    )


def own_home(w: World, rng: random.Random, owner: str, country: str) -> Endpoint:
    """A household address whose /24 nobody else in this world uses."""
    return w.fresh_exit(rng, owner, lambda r: w.net.home_isp(r, country).endpoint(r))


def network(w: World, rng: random.Random, style: str, acct: Account) -> Callable[[], Endpoint]:
    """Per-request endpoint source for an account: home, rotating residential, mobile, vpn, hosting."""
    if style == "home":
        home = acct.home or own_home(w, rng, acct.account_id, acct.country)
        acct.home = home
        carrier = w.net.carrier(rng, acct.country)
        return lambda: carrier.endpoint(rng) if rng.random() < 0.15 else home
    if style == "rotating":
        share = rng.uniform(0.1, 0.6)
        return lambda: w.fresh_exit(
            rng, acct.account_id, lambda r: w.net.residential_exit(r, acct.country, share)
        )
    if style == "mobile":
        carrier = w.net.carrier(rng, acct.country)
        return lambda: carrier.endpoint(rng)
    if style == "vpn":
        nets = [w.net.vpn(rng) for _ in range(2)]
        return lambda: rng.choice(nets).endpoint(rng)
    if style == "hosting":
        fixed = [w.net.cloud(rng).endpoint(rng) for _ in range(rng.randint(1, 3))]
        return lambda: rng.choice(fixed)
    raise ValueError(style)


def person_uas(rng: random.Random, kinds: tuple[str, ...]) -> list[str]:
    """One or two user agents of the given kinds."""
    return [user_agent(rng, rng.choice(kinds)) for _ in range(1 if rng.random() < 0.8 else 2)]


def out_kind(kind: str) -> str:
    """Response-size class of a plain capability task kind."""
    return {"math": "math", "code": "code", "knowledge": "short", "bench": "math"}.get(kind, "chat")


# --- tasks --------------------------------------------------------------------------------------------------
def draw_task(w: World, rng: random.Random, src: str) -> tuple[str, str, str]:
    """(text, kind, language) from a source spec: a capability kind, ``mgsm:<lang>``, or a corpus name."""
    if src in CAPABILITY:
        text, kind = w.content.capability(rng, [(src, 1.0)])
        return text, kind, "en"
    if src.startswith("mgsm:"):
        lang = src.split(":", 1)[1]
        return w.content.corpus(rng, "mgsm", lang), "math", lang
    if src == "cmmlu_test_zh":
        return w.content.corpus(rng, src), "knowledge", "zh"
    if src == "alpaca_chinese_5000":
        return w.content.corpus(rng, src), "instruct", "zh"
    if src == "rulm_ru_seed_tasks":
        return w.content.corpus(rng, src), "instruct", "ru"
    kind = {
        "gsm8k": "math",
        "math500": "math",
        "math_test_5000": "math",
        "math_wordproblems_misc": "math",
        "humaneval": "code",
        "codecontests_test": "code",
        "gpteacher_codegen": "code",
        "mmlu_test": "knowledge",
        "commonsenseqa_dev": "knowledge",
        "gpteacher_toolformer": "tools",
        "apibank_queries": "tools",
    }.get(src, "instruct")
    return w.content.corpus(rng, src, max_chars=6000), kind, "en"


class Sweep:
    """A campaign's task list, swept in order by its accounts (coordination by task pool only)."""

    def __init__(self, w: World, rng: random.Random, spec: list[tuple[str, float]], size: int) -> None:
        seen: set[str] = set()
        self.items: list[tuple[str, str, str]] = []
        for _ in range(size * 3):
            if len(self.items) >= size:
                break
            item = draw_task(w, rng, weighted(rng, spec))
            if item[0] not in seen:
                seen.add(item[0])
                self.items.append(item)
        self.i = 0

    def next(self) -> tuple[str, str, str]:
        """The next task not yet taken by any account of the campaign (wraps when exhausted)."""
        item = self.items[self.i % len(self.items)]
        self.i += 1
        return item


# --- elicitation (fresh wrappers, a private paraphrase set per campaign or account) -------------------------
class Elicitor:
    """Builds extraction prompts from a campaign's own subset of the phrase pools and its own layout."""

    def __init__(self, w: World2, rng: random.Random, langs: list[str], k: int = 3) -> None:
        b = w.b2
        self.w = w
        langs = sorted(set(langs) | {"en"})
        self.lead = {g: b.subset(rng, "trace_lead", g, k) for g in langs}
        self.ask = {g: b.subset(rng, "trace_ask", g, k) for g in langs}
        self.grade_t = {g: b.subset(rng, "grade", g, k) for g in langs}
        self.compare_t = {g: b.subset(rng, "compare", g, k) for g in langs}
        self.critique_t = {g: b.subset(rng, "critique", g, k) for g in langs}
        self.criteria = b.subset(rng, "criteria", "en", rng.randint(4, 7))
        self.layout = rng.randrange(5)
        self.lead_p = rng.uniform(0.0, 0.6)
        self.fence = rng.choice(["", "", '"""', "```", "<<<"])
        self.crit_style = rng.randrange(3)
        self.suffix_lang_p = rng.uniform(0.0, 0.5)

    def _body(self, task: str) -> str:
        if not self.fence:
            return task
        close = ">>>" if self.fence == "<<<" else self.fence
        return f"{self.fence}\n{task}\n{close}"

    def trace(self, rng: random.Random, task: str, lang: str) -> str:
        """A reasoning-trace request in ``lang`` (its wrapper; the task may be in another language)."""
        ask = rng.choice(self.ask.get(lang) or self.ask["en"])
        lead = rng.choice(self.lead.get(lang) or self.lead["en"]) if rng.random() < self.lead_p else ""
        body = self._body(task)
        if self.layout == 0:
            parts = [lead, body, ask]
        elif self.layout == 1:
            parts = [ask, body]
        elif self.layout == 2:
            parts = [f"{lead} {ask}".strip(), body]
        elif self.layout == 3:
            parts = [lead, body, "---", ask]
        else:
            parts = [body, f"{lead} {ask}".strip()]
        return "\n\n".join(p for p in parts if p)

    def candidate(self, rng: random.Random, task: str, lang: str) -> str:
        """A plausible (often wrong) answer to a task."""
        if re.search(r"\n\(?[A-D][).\uff0e\u3001:]", task):
            value = rng.choice("ABCD")
        else:
            nums = [int(n) for n in _NUM.findall(task)[:6]]
            if not nums and lang == "en":
                return self.w.content.sentences(rng, rng.randint(1, 3))
            value = str(
                abs(rng.choice(nums or [rng.randint(3, 90)]) * rng.randint(1, 5) - rng.randint(0, 12))
            )
        pool = self.w.b2.pool("candidate", lang)
        return fill(rng.choice(pool), n=value)

    def criteria_text(self, rng: random.Random) -> str:
        items = rng.sample(self.criteria, k=min(len(self.criteria), rng.randint(3, 5)))
        if self.crit_style == 0:
            return "\n".join(f"{i}) {c}" for i, c in enumerate(items, 1))
        if self.crit_style == 1:
            return "\n".join(f"* {c}" for c in items)
        return "\n".join(f"[{rng.choice([1, 2, 2, 3])} pt] {c}" for c in items)

    def grade(self, rng: random.Random, task: str, lang: str) -> str:
        """Rubric grading with a numeric score (reward-model harvesting)."""
        t = rng.choice(self.grade_t.get(lang) or self.grade_t["en"])
        return fill(
            t, question=task, answer=self.candidate(rng, task, lang), criteria=self.criteria_text(rng)
        )

    def compare(self, rng: random.Random, task: str, lang: str) -> str:
        """Pairwise scored comparison."""
        t = rng.choice(self.compare_t.get(lang) or self.compare_t["en"])
        return fill(t, question=task, a=self.candidate(rng, task, lang), b=self.candidate(rng, task, lang))

    def critique(self, rng: random.Random, task: str, lang: str) -> str:
        """Critique-and-rewrite of a (wrong) attempt."""
        t = rng.choice(self.critique_t.get(lang) or self.critique_t["en"])
        return fill(t, question=task, answer=self.candidate(rng, task, lang))

    def make(
        self, rng: random.Random, item: tuple[str, str, str], mode: str, lang: str | None = None
    ) -> tuple[str, str]:
        """(prompt, response-size class) for a task and an extraction mode."""
        task, kind, task_lang = item
        lang = lang or task_lang
        if mode == "trace":
            prompt, ok = self.trace(rng, task, lang), "reason"
        elif mode == "grade":
            prompt, ok = self.grade(rng, task, lang), "grade"
        elif mode == "compare":
            prompt, ok = self.compare(rng, task, lang), "grade"
        elif mode == "critique":
            prompt, ok = self.critique(rng, task, lang), "reason"
        else:
            prompt, ok = task, out_kind(kind)
        if lang != "en" and task_lang == "en" and rng.random() < self.suffix_lang_p:
            prompt += f"\n\n(Answer in {LANG_NAMES[lang]}.)"
        return prompt, ok


def modes(rng: random.Random) -> list[tuple[str, float]]:
    """A campaign's mix of extraction modes (sparse)."""
    out = [
        ("trace", rng.uniform(0.5, 3.0)),
        ("grade", rng.uniform(0, 1.5) if rng.random() < 0.7 else 0.0),
        ("compare", rng.uniform(0, 1.0) if rng.random() < 0.5 else 0.0),
        ("critique", rng.uniform(0, 1.0) if rng.random() < 0.5 else 0.0),
        ("plain", rng.uniform(0.2, 2.0)),
    ]
    return [(m, x) for m, x in out if x > 0]


# --- tool observations (harness side), split by position between dev and blind ------------------------------
def observation(rng: random.Random, half: int) -> str:
    """What a tool returns to the agent: JSON-ish records, errors, tables, search hits."""
    n = rng.randint(1, 9)
    forms = [
        f'{{"status": 200, "count": {n}, "items": [{{"id": "{rng.randrange(16**6):06x}", "score": '
        f"{rng.random():.3f}}}]}}",
        f'{{"error": "rate_limited", "retry_after_s": {rng.randint(1, 60)}}}',
        f"| date | value |\n|---|---|\n| 2026-02-{rng.randint(10, 28)} | {rng.uniform(1, 999):.2f} |\n"
        f"| 2026-03-0{rng.randint(1, 4)} | {rng.uniform(1, 999):.2f} |",
        f'{{"ok": true, "result": "{rng.choice(["created", "updated", "queued", "scheduled"])}", '
        f'"ref": "R-{rng.randint(1000, 99999)}"}}',
        f"[{n} results]\n1. {rng.choice(['Overview', 'Release notes', 'FAQ', 'Changelog'])} - "
        f"relevance {rng.uniform(0.4, 0.99):.2f}\n2. {rng.choice(['Guide', 'Forum thread', 'Spec'])} - "
        f"relevance {rng.uniform(0.2, 0.6):.2f}",
        f"exit={rng.choice([0, 0, 1, 2])} stdout={rng.randint(0, 4096)}B stderr={rng.randint(0, 512)}B",
        f'{{"temperature_c": {rng.uniform(-5, 35):.1f}, "condition": '
        f'"{rng.choice(["rain", "clear", "overcast", "snow"])}"}}',
        f"404 Not Found: no record matches id={rng.randint(100, 9999)}",
        f'{{"rows": {n * 13}, "columns": ["id", "name", "amount"], "truncated": {str(n > 5).lower()}}}',
        f"timeout after {rng.choice([5, 10, 30])}s (attempt {rng.randint(1, 3)}/3)",
        f'{{"balance": {rng.uniform(0, 5000):.2f}, "currency": "{rng.choice(["EUR", "USD", "JPY"])}"}}',
        f"OK. {n} file(s) changed, {rng.randint(1, 200)} insertions(+), {rng.randint(0, 80)} deletions(-)",
    ]
    return rng.choice(forms[half::2])


_CAMEL = re.compile(r"_(\w)")


def tool_names(w: World2, rng: random.Random) -> list[str]:
    """3-8 obfuscated, shuffled tool names private to one account."""
    verbs, nouns = w.b2.pool("tool_verbs"), w.b2.pool("tool_nouns")
    style = rng.randrange(5)
    tag = f"{rng.randrange(16**3):03x}"
    names: list[str] = []
    for _ in range(rng.randint(3, 8)):
        v, n = rng.choice(verbs), rng.choice(nouns)
        if style == 0:
            name = f"{v}_{n}"
        elif style == 1:
            name = _CAMEL.sub(lambda m: m.group(1).upper(), f"{v}_{n}")
        elif style == 2:
            name = f"{tag}_{v}{n}"
        elif style == 3:
            name = f"{n}.{v}_v{rng.randint(1, 4)}"
        else:
            name = f"fn{rng.randrange(10**4):04d}"
        if name not in names:
            names.append(name)
    rng.shuffle(names)
    return names
