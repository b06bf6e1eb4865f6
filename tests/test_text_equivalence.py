"""The optimised prompt-text functions give exactly what their straightforward regex forms give.

``models.text`` finds words with ``bytes.translate`` instead of ``re.findall`` and skips work that
cannot change the result; these references are the original, obviously-correct formulations.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from models import text as T

_WORD = re.compile(r"[a-z0]+")
_WORDS = re.compile(r"[a-z+#]+")

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


def reference_mask(text: str, long_token_chars: int = 24) -> str:
    if any(quote in text for quote in "\"'`"):
        text = T._QUOTED.sub(" q ", text)
    if "http" in text or "@" in text:
        text = T._URL.sub(" u ", text)
    text = T._NUMBER.sub("0", text.lower())
    return " ".join(w if len(w) < long_token_chars else "l" for w in text.split())


def reference_template_view(text: str, words: int = 10, long_token_chars: int = 24) -> T.TemplateView:
    span = 12 * words
    if len(text) > 2 * span:
        head = _WORD.findall(reference_mask(text[:span], long_token_chars))
        tail = _WORD.findall(reference_mask(text[-span:], long_token_chars))
        return T.TemplateView(" ".join(head[:words]), " ".join(tail[-words:]))
    tokens = _WORD.findall(reference_mask(text, long_token_chars))
    return T.TemplateView(" ".join(tokens[:words]), " ".join(tokens[-words:]))


def reference_task_kind(text: str, has_tools: bool) -> str:
    if has_tools:
        return "tool"
    words = set(_WORDS.findall(text))
    if not words.isdisjoint(T._CODE_WORDS) or any(p in text for p in T._CODE_PHRASES):
        return "code"
    if not words.isdisjoint(T._MATH_WORDS) or any(p in text for p in T._MATH_PHRASES):
        return "math"
    return "chat"


def reference_instruction_view(text: str, words: int = 24, long_token_chars: int = 24) -> str:
    kept = [
        s
        for s in T._SENTENCE.split(text)
        if (
            any(a in s for a in T._ELICITATION_ANCHORS)
            and (T._STRONG_ELICITATION.search(s) or T._WEAK_ELICITATION.search(s))
        )
        or (any(a in s for a in T._GRADING_ANCHORS) and T._GRADING.search(s))
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
    ]
    for text in samples:
        assert T.mask(text) == reference_mask(text)
        assert T.template_view(text, 4) == reference_template_view(text, 4)
        window = T.marker_window(text, 100)
        assert T.task_kind(window, False) == reference_task_kind(window, False)
