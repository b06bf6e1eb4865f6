# ruff: noqa: RUF001 - intentional non-Latin text (Chinese, Russian, Japanese phrasings)
"""Prompt text builders shared by attack families and normal classes.

``Content`` combines corpus rows (one half) with phrase pools (the same half) into request texts:
capability tasks, reasoning coercion, rubric grading, pairwise preference, mundane chat, tool-loop
follow-ups, and the response sizes that go with each kind of request.
"""

from __future__ import annotations

import random
import re

from .common import lognormal_int, weighted
from .corpora import CorpusBank
from .phrasing import Phrasebook, fill

#: capability sources by task kind (English)
CAPABILITY: dict[str, tuple[str, ...]] = {
    "math": ("gsm8k", "math500", "math_test_5000", "math_wordproblems_misc"),
    "code": ("codecontests_test", "humaneval", "gpteacher_codegen"),
    "knowledge": ("mmlu_test", "commonsenseqa_dev"),
    "instruct": ("alpaca_5000", "alpaca_seed_tasks", "wizardlm_testset"),
    "tools": ("gpteacher_toolformer", "apibank_queries"),
    "roleplay": ("gpteacher_roleplay",),
    "hard": ("arena_hard_v2.0", "arena_hard_v0.1"),
}
MUNDANE = (
    ("sharegpt_sample_1000", 3.0),
    ("oasst_prompts", 3.0),
    ("alpaca_eval_805", 2.0),
    ("awesome_chatgpt_prompts", 1.0),
    ("mt_bench_en", 0.3),
    ("hh_rlhf_helpful_base_via_alpaca_eval", 0.5),
    ("arena_hard_v0.1", 0.5),
)
LANG_TASKS: dict[str, tuple[tuple[str, float], ...]] = {
    "zh": (("mgsm", 2.0), ("cmmlu_test_zh", 2.0), ("alpaca_chinese_5000", 2.0)),
    "ru": (("mgsm", 3.0), ("rulm_ru_seed_tasks", 1.0)),
    "es": (("mgsm", 1.0),),
    "de": (("mgsm", 1.0),),
    "fr": (("mgsm", 1.0),),
    "ja": (("mgsm", 1.0),),
    "en": (("gsm8k", 2.0), ("math500", 1.0), ("mmlu_test", 1.0), ("alpaca_5000", 1.0)),
}
_NUM = re.compile(r"\d+")
_WORDISH = re.compile(r"\b[A-Za-z][a-z]{4,}\b")


def random_mix(rng: random.Random, kinds: tuple[str, ...] = tuple(CAPABILITY)) -> list[tuple[str, float]]:
    """A campaign-specific task distribution over capability kinds (a sparse random simplex)."""
    weights = [(k, rng.expovariate(1.0) * (1.0 if rng.random() < 0.75 else 0.05)) for k in kinds]
    if sum(w for _, w in weights) <= 0:
        return [(kinds[0], 1.0)]
    return weights


class Content:
    """Text factory for one half."""

    def __init__(self, bank: CorpusBank, book: Phrasebook) -> None:
        self.bank = bank
        self.book = book

    # --- raw material --------------------------------------------------------------------------------
    def corpus(self, rng: random.Random, name: str, lang: str | None = None, **kw: int | bool) -> str:
        """A random prompt of corpus ``name`` (this half)."""
        texts = self.bank.texts(name, lang, **kw) or self.bank.texts(name)
        return rng.choice(texts)

    def capability(self, rng: random.Random, mix: list[tuple[str, float]]) -> tuple[str, str]:
        """(task text, kind) drawn from a capability mix."""
        kind = weighted(rng, mix)
        name = rng.choice(CAPABILITY[kind])
        return self.corpus(rng, name, max_chars=6000), kind

    def lang_task(self, rng: random.Random, lang: str) -> str:
        """A task written in ``lang`` (mgsm maths, CMMLU, Chinese Alpaca, ruLM seeds, or English sets)."""
        name = weighted(rng, list(LANG_TASKS[lang]))
        return self.corpus(rng, name, lang if name == "mgsm" else None)

    def mundane(self, rng: random.Random) -> str:
        """An everyday request of the kind real users send."""
        return self.corpus(rng, weighted(rng, list(MUNDANE)), openers=True, max_chars=5000)

    def sentences(self, rng: random.Random, k: int) -> str:
        """``k`` natural sentences glued into a passage."""
        pool = self.bank.sentences()
        return " ".join(rng.choice(pool) for _ in range(k))

    # --- capability-extraction wrappers -----------------------------------------------------------------
    def reasoning(self, rng: random.Random, task: str, lang: str = "en") -> str:
        """``task`` wrapped in a request for the full reasoning trace."""
        return fill(self.book.pick(rng, "reason", lang), task=task)

    def candidate(self, rng: random.Random, question: str, lang: str = "en") -> str:
        """A plausible (possibly wrong) answer to grade."""
        if lang == "en" and not _NUM.search(question) and rng.random() < 0.6:
            return self.sentences(rng, rng.randint(2, 4))
        if re.search(r"\n[A-D][.．、]", question):
            value = rng.choice("ABCD")
        else:
            nums = [int(n) for n in _NUM.findall(question)[:6]] or [rng.randint(2, 99)]
            value = str(abs(rng.choice(nums) * rng.randint(1, 4) - rng.randint(0, 9)))
        return fill(self.book.pick(rng, "candidate", lang), n=value)

    def rubric(self, rng: random.Random, lang: str = "en") -> str:
        """3-5 grading criteria formatted as a list."""
        items = rng.sample(
            self.book.pool("criteria", lang), k=min(len(self.book.pool("criteria", lang)), rng.randint(3, 5))
        )
        style = rng.randrange(3)
        if style == 0:
            return "\n".join(f"{i}. {c}" for i, c in enumerate(items, 1))
        if style == 1:
            return "\n".join(f"- {c}" for c in items)
        return "\n".join(f"({chr(97 + i)}) {c} [{rng.choice([2, 2, 3, 4])} pts]" for i, c in enumerate(items))

    def rubric_grading(self, rng: random.Random, question: str, lang: str = "en") -> str:
        """A reward-model style request: grade an answer against a rubric, score with justification."""
        return fill(
            self.book.pick(rng, "rubric", lang),
            question=question,
            answer=self.candidate(rng, question, lang),
            rubric=self.rubric(rng, lang),
        )

    def preference(self, rng: random.Random, question: str, lang: str = "en") -> str:
        """A pairwise preference request over two candidate answers."""
        return fill(
            self.book.pick(rng, "preference", lang),
            question=question,
            a=self.candidate(rng, question, lang),
            b=self.candidate(rng, question, lang),
        )

    # --- agent loops ---------------------------------------------------------------------------------
    def tool_result(self, rng: random.Random) -> str:
        """What an agent harness sends back after a tool call (tests, tracebacks, listings)."""
        p, f = rng.randint(1, 40), rng.randint(0, 6)
        line = rng.randint(3, 180)
        forms = [
            f"{p} passed, {f} failed in {rng.uniform(0.1, 9):.2f}s\n"
            f"FAILED test_solution.py::test_case_{rng.randint(1, 30)} - AssertionError: "
            f"expected {rng.randint(0, 999)}, got {rng.randint(0, 999)}",
            f"All {p} tests passed.",
            "Traceback (most recent call last):\n"
            f'  File "solution.py", line {line}, in <module>\n    main()\n'
            f'  File "solution.py", line {max(1, line - 2)}, in main\n'
            "    ans = dp[i][j - 1] + cost[i]\n"
            "IndexError: list index out of range",
            f"$ python solution.py < sample{rng.randint(1, 3)}.in\n{rng.randint(0, 10**6)}\n$ echo $?\n0",
            f"TimeoutError: test_large_input exceeded {rng.choice([1, 2, 5])}.0s "
            f"(n={rng.choice([10**5, 2 * 10**5, 10**6])})",
            f"File written: {rng.choice(['solution.py', 'main.rs', 'src/lib.ts', 'util.go'])} "
            f"({rng.randint(200, 9000)} bytes)",
            "src/\n  main.py\n  parser.py\n  utils/\n    io.py\n"
            "tests/\n  test_parser.py\nREADME.md\npyproject.toml",
            f"ruff: {rng.randint(1, 12)} errors "
            "(E501 line too long, F841 local variable assigned but never used)",
            'mypy: error: Incompatible return value type (got "list[int]", expected "int")  '
            f"[return-value] at line {line}",
            f"Exit code 1\nstderr: error[E0382]: borrow of moved value: `v`\n --> src/main.rs:{line}:9",
            f"> jest\n\nTests: {f} failed, {p} passed, {p + f} total\nTime: {rng.uniform(0.5, 20):.1f} s",
            f"--- FAIL: TestSolve (0.00s)\n    solve_test.go:{line}: got {rng.randint(0, 99)}, "
            f"want {rng.randint(0, 99)}\nFAIL",
            f"Wrote {rng.randint(10, 300)} lines to tests/test_edge_cases.py",
            f"grep -n 'def solve' -r .\n./solution.py:{line}:def solve(xs):\n./legacy/old.py:{line // 2 + 1}:"
            "def solve(a, b):",
        ]
        # odd/even forms go to different halves, so dev and blind agent loops look different
        return rng.choice(forms[self.book.half :: 2])

    def coding_nudge(self, rng: random.Random) -> str:
        """A short human follow-up in a coding session."""
        return self.book.pick(rng, "coding_nudge")


# --- response sizes ---------------------------------------------------------------------------------------
def output_tokens(rng: random.Random, kind: str, thinking: bool = False) -> int:
    """Completion size for a request kind (thinking roughly doubles-to-quadruples it)."""
    median, sigma, hi = {
        "label": (3, 0.6, 20),
        "span_json": (14, 0.5, 80),
        "short": (90, 0.7, 1500),
        "chat": (320, 0.8, 4000),
        "grade": (260, 0.5, 1500),
        "reason": (900, 0.6, 8000),
        "code": (700, 0.7, 8000),
        "agent": (420, 0.9, 6000),
        "math": (380, 0.6, 4000),
    }.get(kind, (300, 0.8, 4000))
    n = lognormal_int(rng, median, sigma, 1, hi)
    if thinking:
        n += lognormal_int(rng, median * 2.5 + 200, 0.6, 50, 32_000)
    return n
