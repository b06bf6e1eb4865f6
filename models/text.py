"""Prompt text analysis: template masking and capability-extraction markers.

Templated extraction wraps slot fillers (questions, code, documents) in fixed instructions. Masking
numbers, quoted spans and long tokens, then keeping the first and last words, gives a *template view*
whose hash repeats across fillers of one template.

>>> view = template_view('Q: what is 12 + 30? "x" Explain your reasoning step by step.', words=4)
>>> view.prefix, view.suffix
('q what is 0', 'reasoning step by step')
>>> elicitation_strength("Articulate the internal reasoning behind the answer.")
1.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTED = re.compile(r"\"[^\"]{0,2000}\"|'[^'\n]{3,2000}'|`{3}.*?`{3}|`[^`\n]{1,500}`", re.DOTALL)
_URL = re.compile(r"https?://\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z0]+")

# Markers of systematic chain-of-thought extraction (strong) and everyday requests for reasoning (weak).
_STRONG_ELICITATION = re.compile(
    r"chain[- ]of[- ]thought|internal reasoning|reasoning (?:trace|process|steps|behind)|articulat|"
    r"thought process|show (?:all |every )?(?:of )?(?:your|the) (?:work|reasoning|thinking|steps)|"
    r"(?:full|complete|detailed|entire) (?:reasoning|derivation|rationale)|explain (?:each|every) step|"
    r"justify (?:each|every)|before (?:giving|stating) (?:the|your) (?:final )?answer|rationale",
    re.IGNORECASE,
)
_WEAK_ELICITATION = re.compile(
    r"step[- ]by[- ]step|think (?:carefully|through|aloud|out loud)|walk (?:me )?through|"
    r"explain (?:your|the|how|why)|reason(?:ing)? about",
    re.IGNORECASE,
)
_GRADING = re.compile(
    r"\brubric\b|\bgrade (?:the|this|each|following)|\bgrader\b|\bscore (?:the|this|each|following)|"
    r"on a scale (?:of|from)|rate (?:the|this|each) (?:response|answer|output|completion)|"
    r"(?:evaluate|judge|assess|critique) (?:the|this|following|each) (?:response|answer|completion|output)|"
    r"\b(?:reward|preference) (?:model|score)|which (?:response|answer|completion) is better",
    re.IGNORECASE,
)
_CODE = re.compile(
    r"```|\bdef \w+\(|\bfunction\b|\bclass \w+|\bimport \w+|\bpython\b|\bjavascript\b|\bsql\b|\bc\+\+|"
    r"\bimplement\b|\balgorithm\b|\bcode\b|\bprogram\b|\bcompile|\bregex\b|\bapi\b",
    re.IGNORECASE,
)
_MATH = re.compile(
    r"\bsolve\b|\bcalculate\b|\bcompute\b|\bequation\b|\bhow many\b|\bhow much\b|\bprobability\b|"
    r"\bintegral\b|\bderivative\b|\\frac|\$|\bprove\b|\bsum of\b|\bpercent|\bremainder\b|\bmultiple choice\b|"
    r"\banswer choices\b|\(a\)|\ba\)\s",
    re.IGNORECASE,
)
STRONG_ELICITATION = 1.0
WEAK_ELICITATION = 0.4


@dataclass(frozen=True, slots=True)
class TemplateView:
    """The masked first and last words of a prompt; ``text`` joins both for embedding."""

    prefix: str
    suffix: str

    @property
    def text(self) -> str:
        return f"{self.prefix} | {self.suffix}"


def mask(text: str, long_token_chars: int = 24) -> str:
    """Lower-case and replace slot-like spans (quotes, code, URLs, numbers, long tokens) by placeholders."""
    text = _QUOTED.sub(" q ", text)
    text = _URL.sub(" u ", text)
    text = _NUMBER.sub("0", text.lower())
    return " ".join(w if len(w) < long_token_chars else "l" for w in text.split())


def template_view(text: str, words: int = 10, long_token_chars: int = 24) -> TemplateView:
    """First and last ``words`` words of the masked prompt (overlap allowed for short prompts)."""
    tokens = _WORD.findall(mask(text, long_token_chars))
    return TemplateView(" ".join(tokens[:words]), " ".join(tokens[-words:]))


def elicitation_strength(text: str) -> float:
    """1.0 for systematic reasoning extraction, 0.4 for an everyday 'step by step', else 0."""
    if _STRONG_ELICITATION.search(text):
        return STRONG_ELICITATION
    if _WEAK_ELICITATION.search(text):
        return WEAK_ELICITATION
    return 0.0


def is_grading(text: str) -> bool:
    """Does the prompt use the model as a grader or reward model?"""
    return _GRADING.search(text) is not None


def task_kind(text: str, has_tools: bool) -> str:
    """Coarse task: ``tool``, ``code``, ``math`` or ``chat`` (capability-bearing are all but chat)."""
    if has_tools:
        return "tool"
    if _CODE.search(text):
        return "code"
    if _MATH.search(text):
        return "math"
    return "chat"
