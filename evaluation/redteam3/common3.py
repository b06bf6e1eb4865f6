"""Shared machinery of the third red team: the extended world, task sources, personas and the actor loop.

An *actor* is one account with a persona (language, wrappers, system prompt, clients, output lengths,
follow-up habits, network habits). ``drive`` turns an actor and its session times into events. Normal and
campaign families both go through it; what differs is how the persona is drawn and, for campaigns, which
operational traces a leak level lets through.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from distillguard.evaluation.redteam.accounts import Account, Convo
from distillguard.evaluation.redteam.common import HOUR_MS
from distillguard.evaluation.redteam.corpora import CorpusBank
from distillguard.evaluation.redteam.networks import Endpoint, user_agent
from distillguard.evaluation.redteam.world import MODEL_NEW, World

from .phrasing3 import Phrases3, fill

#: task kind -> corpora it draws from (and the fallback list used when none of them has rows)
TASK_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "math": (("math500", "math_test_5000", "gsm8k", "math_wordproblems_misc"), "math"),
    "math_hard": (("math500", "math_test_5000"), "math"),
    "grade": (("gsm8k", "math_wordproblems_misc"), "math"),
    "code": (("humaneval", "codecontests_test"), "code"),
    "contest": (("codecontests_test",), "code"),
    "exam": (("mmlu_test", "commonsenseqa_dev"), "exam"),
    "exam_zh": (("cmmlu_test_zh",), "zh"),
    "zh": (("alpaca_chinese_5000",), "zh"),
    "ru": (("rulm_ru_seed_tasks",), "ru"),
    "open": (
        ("alpaca_eval_805", "arena_hard_v2.0", "oasst_prompts", "mt_bench_en", "wizardlm_testset"),
        "open",
    ),
}
MGSM_LANGS = ("zh", "ru", "es", "de", "fr", "ja")


@dataclass
class World3(World):
    """The first red team's world plus this team's phrase half and corpus bank."""

    ph: Phrases3 | None = None
    bank: CorpusBank | None = None
    _tasks: dict[str, list[str]] = field(default_factory=dict)

    def tasks(self, kind: str) -> list[str]:
        """Task texts of ``kind`` in this split's half (``mgsm:<lang>`` for MGSM in one language)."""
        if kind not in self._tasks:
            out: list[str] = []
            if kind.startswith("mgsm:"):
                lang = kind.split(":", 1)[1]
                out = self._corpus("mgsm", lang)
                fallback = lang if lang in ("zh", "ru") else "math"
            else:
                names, fallback = TASK_SOURCES[kind]
                for name in names:
                    out.extend(self._corpus(name, None))
            if not out:
                assert self.ph is not None
                out = list(self.ph.pool("fallback", fallback))
            self._tasks[kind] = out
        return self._tasks[kind]

    def _corpus(self, name: str, lang: str | None) -> list[str]:
        bank = self.bank
        if bank is None or bank.root is None or not (Path(bank.root) / name / "prompts.jsonl").is_file():
            return []  # never the first team's built-in rows: this team's own fallback is used instead
        return bank.texts(name, lang, max_chars=3500, min_chars=12)


@dataclass
class Persona:
    """How one actor writes and where it sends from."""

    lang: str
    wrappers: list[str]  # templates with {task}; "" means the task is sent bare
    system: str | None
    agents: list[str]
    out_median: float
    out_sigma: float = 0.5
    thinking: float = 0.0  # probability a request has extended thinking on
    follow_pool: str | None = None  # phrase pool of follow-ups (None: single-turn)
    follow_lang: str = "en"
    p_follow: float = 0.0
    max_turns: int = 1
    adopt_after_h: float | None = None
    p_new: float = 0.0
    mini_share: float = 0.1
    fixed_model: str | None = None
    extra: dict = field(default_factory=dict)


def wrap(ph: Phrases3, rng: random.Random, template: str, task: str, lang: str = "en") -> str:
    """``task`` inside ``template`` with its other placeholders filled."""
    if not template:
        return task
    return fill(
        template,
        task=task,
        n=rng.randint(3, 12),
        topic=ph.pick(rng, "topics", lang),
        scale=rng.choice((5, 10, 10, 7)),
    )


def personal_agents(rng: random.Random, ph: Phrases3, kinds: tuple[tuple[str, float], ...]) -> list[str]:
    """One to three user agents a single person plausibly uses (their own client names included)."""
    out = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        kind = _weighted(rng, kinds)
        if kind == "own":
            name = ph.pick(rng, "clients")
            base = user_agent(rng, rng.choice(("sdk", "http")))
            out.append(f"{name}/{rng.randint(0, 2)}.{rng.randint(0, 19)}.{rng.randint(0, 9)} {base}")
        else:
            out.append(user_agent(rng, kind))
    return sorted(set(out))


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x <= 0:
            return value
    return options[-1][0]


def candidate_answer(ph: Phrases3, rng: random.Random, lang: str) -> str:
    """A short answer a student or a small model might have written (what a judge is asked to grade)."""
    text = fill(ph.pick(rng, "candidate", lang), n=rng.choice((rng.randint(2, 400), rng.randint(2, 60))))
    if rng.random() < 0.3:
        text += " " + fill(ph.pick(rng, "candidate", lang), n=rng.randint(2, 90))
    return text


def drive(
    w: World3,
    acct: Account,
    persona: Persona,
    rng: random.Random,
    times: list[list[int]],
    next_task: Callable[[random.Random], str],
    endpoint: Callable[[random.Random, int], Endpoint],
) -> None:
    """Emit one event per timestamp: each session opens a conversation, later requests either follow up on
    it (``p_follow``, up to ``max_turns``) or open a new task."""
    ph = w.ph
    assert ph is not None
    convo = Convo()
    for session in times:
        ep_session = endpoint(rng, session[0])
        convo.start()
        first = True
        for ts in session:
            follow = (
                not first
                and persona.follow_pool is not None
                and convo.turn < persona.max_turns
                and rng.random() < persona.p_follow
            )
            if follow:
                convo.follow()
                prompt = ph.pick(rng, persona.follow_pool, persona.follow_lang)  # type: ignore[arg-type]
                out = int(persona.out_median * rng.uniform(0.4, 1.1))
            else:
                if not first:
                    convo.start()
                template = rng.choice(persona.wrappers)
                prompt = wrap(ph, rng, template, next_task(rng), persona.lang)
                out = int(persona.out_median)
            first = False
            thinking = rng.random() < persona.thinking
            median = out * (1.6 if thinking else 1.0)
            out_tokens = max(40, int(rng.lognormvariate(0, persona.out_sigma) * median))
            if persona.fixed_model is not None:
                model = persona.fixed_model
            else:
                model = w.model_at(
                    rng,
                    ts,
                    adopt_after_h=persona.adopt_after_h,
                    p_new=persona.p_new,
                    mini_share=persona.mini_share,
                )
            ep = endpoint(rng, ts) if persona.extra.get("per_request_ip") else ep_session
            w.sink.emit(
                acct,
                ts,
                ep,
                model,
                prompt,
                output_tokens=min(out_tokens, 32_000),
                rng=rng,
                system_prompt=persona.system,
                turns=convo.turn,
                thinking=thinking if persona.thinking > 0 else None,
                history_tokens=convo.history,
                user_agent=rng.choice(persona.agents) if persona.agents else None,
            )
            convo.record(prompt, out_tokens)


def after_release(w: World, hours: float) -> int:
    """The time ``hours`` after the model release."""
    return int(w.release + hours * HOUR_MS)


__all__ = [
    "MGSM_LANGS",
    "MODEL_NEW",
    "Persona",
    "World3",
    "after_release",
    "candidate_answer",
    "drive",
    "personal_agents",
    "wrap",
]
