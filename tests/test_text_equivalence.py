"""The optimised prompt-text functions give exactly what their straightforward regex forms give.

``models.text`` finds words with ``bytes.translate`` instead of ``re.findall`` and skips work that
cannot change the result; these references are the original, obviously-correct formulations.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.models import text as T

_WORD = re.compile(r"[a-z0]+")
_WORDS = re.compile(r"[a-z+#]+")

# The marker regexes as single alternations, each behind a tuple of literal anchors.
_STRONG = re.compile(
    r"chain[- ]of[- ]thought|internal reasoning|reasoning (?:trace|process|steps|behind)|articulat|"
    r"thought process|show (?:all |every )?(?:of )?(?:your|the) (?:work|reasoning|thinking|steps)|"
    r"(?:full|complete|detailed|entire) (?:reasoning|derivation|rationale)|explain (?:each|every) step|"
    r"justify (?:each|every)|before (?:giving|stating) (?:the|your) (?:final )?answer|rationale",
)
_WEAK = re.compile(
    r"step[- ]by[- ]step|think (?:carefully|through|aloud|out loud)|walk (?:me )?through|"
    r"explain (?:your|the|how|why)|reason(?:ing)? about",
)
_GRADING = re.compile(
    r"\brubric\b|\bgrade (?:the|this|each|following)|\bgrader\b|\bscore (?:the|this|each|following)|"
    r"on a scale (?:of|from)|rate (?:the|this|each) (?:response|answer|output|completion)|"
    r"(?:evaluate|judge|assess|critique) (?:the|this|following|each) (?:response|answer|completion|output)|"
    r"\b(?:reward|preference) (?:model|score)|which (?:response|answer|completion) is better",
)
_ELICITATION_ANCHORS = (
    *("step", "reason", "chain", "articulat", "thought", "show", "explain"),
    *("justify", "walk", "think", "before", "rationale", "derivation"),
)
_GRADING_ANCHORS = (
    *("rubric", "grade", "grader", "score", "scale", "rate ", "evaluat", "judge", "assess"),
    *("critique", "reward", "preference", "better"),
)

# Characters that matter to the masks and word splitting: ASCII letters and digits, quotes, URL and
# number punctuation, sentence ends, every kind of whitespace, non-ASCII digits and letters whose
# lower case changes length or is ASCII ('İ', the Kelvin sign), and astral characters.
_ALPHABET = st.sampled_from(
    [
        *"abcxyzABCXYZ0123456789 \t\n\r\x0b\x0c\x1c\x1d\x85\xa0\u2003\u3000\"'`.,:;!?@/+#-_$()=>{}",
        *("http://", "https://", "def ", "step", "reason", "rubric", "grade the"),
        *("\u0663", "\u0130", "\u212a", "\u00df", "\U0001d7d8"),  # ٣ İ Kelvin ß double-struck 0
    ]
)
_TEXT = st.lists(_ALPHABET, max_size=120).map("".join) | st.text(max_size=300)
# Fragments of the marker phrases, so that generated prompts often match or nearly match them.
_MARKER_PIECES = st.sampled_from(
    [
        *("chain", "-", " ", "of", "thought", "internal", "reasoning", "trace", "process", "steps"),
        *("behind", "articulat", "show", "all", "every", "your", "the", "work", "thinking", "full"),
        *("complete", "detailed", "entire", "derivation", "rationale", "explain", "each", "step"),
        *("justify", "before", "giving", "stating", "final", "answer", "by", "think", "carefully"),
        *("through", "aloud", "out loud", "walk", "me", "how", "why", "reason", "about", "rubric"),
        *("grade", "grader", "this", "following", "score", "on a scale", "from", "rate", "response"),
        *("output", "completion", "evaluate", "judge", "assess", "critique", "reward", "preference"),
        *("model", "which", "is better", "_", "x", "0", ".", ". ", "\n", "\u00e9", "!", ":"),
        *("step by step", "step-by-step", "think carefully", "walk me through", "explain how"),
        *("reasoning about", "reason about", "chain of thought", "show all of your work", "grade the"),
        *("score each", "on a scale of", "rate the response", "judge the output", "reward model"),
        *("preference score", "which answer is better", "full derivation", "explain every step"),
        *("before giving the final answer", "justify each", "internal reasoning", "reasoning trace"),
    ]
)
_MARKED_TEXT = st.lists(_MARKER_PIECES, max_size=60).map("".join)


def reference_mask(text: str, long_token_chars: int = 24) -> str:
    if any(quote in text for quote in "\"'`"):
        text = T._QUOTED.sub(" q ", text)
    if "http" in text or "@" in text:
        text = T._URL.sub(" u ", text)
    text = T._NUMBER.sub("0", text.lower())
    return " ".join(
        w if len(w) < long_token_chars or T._UNSPACED_CHAR.search(w) else "l" for w in text.split()
    )


def _unspaced(ch: str) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
                                            (0xAC00, 0xD7AF), (0xF900, 0xFAFF)))  # fmt: skip


def reference_view_tokens(masked: str) -> list[str]:
    """Character by character: an unspaced-script character is a token; otherwise runs of letters (any
    script) and the digit placeholder '0' are tokens; everything else separates."""
    tokens, current = [], ""
    for ch in masked:
        if _unspaced(ch):
            tokens += [current, ch] if current else [ch]
            current = ""
        elif ch == "0" or (ch.isalnum() and not ch.isdecimal()):
            current += ch
        elif current:
            tokens.append(current)
            current = ""
    return [*tokens, current] if current else tokens


def reference_template_view(text: str, words: int = 10, long_token_chars: int = 24) -> T.TemplateView:
    span = 12 * words
    if len(text) > 2 * span:
        head = reference_view_tokens(reference_mask(text[:span], long_token_chars))
        tail = reference_view_tokens(reference_mask(text[-span:], long_token_chars))
        return T.TemplateView(" ".join(head[:words]), " ".join(tail[-words:]))
    tokens = reference_view_tokens(reference_mask(text, long_token_chars))
    return T.TemplateView(" ".join(tokens[:words]), " ".join(tokens[-words:]))


def reference_task_kind(text: str, has_tools: bool) -> str:
    if has_tools:
        return "tool"
    words = set(_WORDS.findall(text))
    if not words.isdisjoint(T._CODE_WORDS) or any(p in text for p in T._CODE_PHRASES):
        return "code"
    if not words.isdisjoint(T._MATH_WORDS) or any(p in text for p in T._MATH_PHRASES):
        return "math"
    if T._MULTIPLE_CHOICE.search(text):
        return "math"
    return "chat"


def reference_elicitation_strength(text: str) -> float:
    if not any(a in text for a in _ELICITATION_ANCHORS):
        return 0.0
    if _STRONG.search(text):
        return T.STRONG_ELICITATION
    if _WEAK.search(text):
        return T.WEAK_ELICITATION
    return 0.0


def reference_is_grading(text: str) -> bool:
    return any(a in text for a in _GRADING_ANCHORS) and _GRADING.search(text) is not None


def reference_instruction_view(text: str, words: int = 24, long_token_chars: int = 24) -> str:
    kept = [
        s
        for s in T._SENTENCE.split(text)
        if (any(a in s for a in _ELICITATION_ANCHORS) and (_STRONG.search(s) or _WEAK.search(s)))
        or (any(a in s for a in _GRADING_ANCHORS) and _GRADING.search(s))
    ]
    return " ".join(_WORD.findall(reference_mask(" ".join(kept), long_token_chars))[:words])


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.integers(min_value=4, max_value=30), st.integers(min_value=2, max_value=12))
def test_masking_and_views_match_the_regex_forms(text: str, long_token_chars: int, words: int) -> None:
    assert T.mask(text, long_token_chars) == reference_mask(text, long_token_chars)
    assert T.template_view(text, words, long_token_chars) == reference_template_view(
        text, words, long_token_chars
    )
    window = T.marker_window(text, 100)
    assert T.instruction_view(window, words, long_token_chars) == reference_instruction_view(
        window, words, long_token_chars
    )


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_task_kind_matches_the_regex_form(text: str) -> None:
    window = T.marker_window(text, 100)
    for has_tools in (False, True):
        assert T.task_kind(window, has_tools) == reference_task_kind(window, has_tools)


def test_examples_with_long_tokens_unicode_digits_and_quotes() -> None:
    samples = [
        "",
        "   ",
        "Compute ٣٤ + 12.5,6 now",
        "İstanbul KELVIN \u212a def f(): return 1",
        "x" * 30 + " short " + "y" * 23,
        "He said 'hello there' and `code` then ```block``` and \"quoted\"",
        "mail me at a.b+c@example.com or https://example.com/x?y=1",
        "how many apples? (a) 3 (b) 4",
        "\U0001d7d8\U0001d7d9 digits and \u00df",
        "请详细写出你的完整推理过程\uff0c然后回答\uff1a小明有5个苹果。",
        "Объясни каждый шаг: 12 яблок и 3 груши",
        "日本語のテンプレート、그리고 한국어 ok",
    ]
    for text in samples:
        assert T.mask(text) == reference_mask(text)
        assert T.template_view(text, 4) == reference_template_view(text, 4)
        window = T.marker_window(text, 100)
        assert T.task_kind(window, False) == reference_task_kind(window, False)


@settings(max_examples=1500, deadline=None)
@given(_MARKED_TEXT | _TEXT)
def test_markers_match_the_single_alternations(text: str) -> None:
    window = T.marker_window(text, 100)
    assert T.elicitation_strength(window) == reference_elicitation_strength(window)
    assert T.is_grading(window) is reference_is_grading(window)
    assert T.instruction_view(window, 8) == reference_instruction_view(window, 8)
