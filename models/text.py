"""Prompt text analysis: template masking and capability-extraction markers.

Templated extraction wraps slot fillers (questions, code, documents) in fixed instructions. Masking
numbers, quoted spans and long tokens, then keeping the first and last words, gives a *template view*
whose hash repeats across fillers of one template.

>>> view = template_view('Q: what is 12 + 30? "x" Explain your reasoning step by step.', words=4)
>>> view.prefix, view.suffix
('q what is 0', 'reasoning step by step')
>>> elicitation_strength("articulate the internal reasoning behind the answer.")
1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Each pattern starts with a literal or a character class (```...``` for `{3}, \d\d* for \d+: the same
# matches), which lets ``re`` jump to the next possible start instead of trying every position: 1.5-3x
# faster on prompts.
_QUOTED = re.compile(r"\"[^\"]{0,2000}\"|'[^'\n]{3,2000}'|```.*?```|`[^`\n]{1,500}`", re.DOTALL)
_URL = re.compile(r"https?://\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_NUMBER = re.compile(r"\d\d*(?:[.,]\d+)*")

# Scripts written without spaces between words (Han, kana, Hangul): each character is a view token, so a
# Chinese or Japanese template has a view (and a frame) like any other; elsewhere a token is a run of
# letters and masked digits in any script.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
_VIEW_TOKEN = re.compile(f"[{_UNSPACED}]|(?:(?![{_UNSPACED}])[^\\W\\d_]|0)+")


def estimated_tokens(text: str | None) -> float:
    """A rough token count for any script: one per character of scripts written without spaces (Han,
    kana, Hangul), one per four characters of the rest (what common tokenizers average on prose).

    >>> estimated_tokens("What is seventeen times twenty-three?"), estimated_tokens("十七乘以二十三")
    (9.25, 7.0)
    """
    if not text:
        return 0.0
    unspaced = len(_UNSPACED_CHAR.findall(text))
    return unspaced + (len(text) - unspaced) / 4


def _ascii_word_table(word_chars: bytes) -> bytes:
    """A ``bytes.translate`` table keeping ``word_chars`` and turning every other byte into a space."""
    return bytes(c if c in word_chars else ord(" ") for c in range(256))


# Words are maximal runs of ASCII word characters: ``[a-z0]+`` in masked text (digits are masked to 0),
# ``[a-z+#]+`` for the task vocabularies. They are found by encoding with ``errors="replace"`` (one '?'
# per non-ASCII character, never a word character), translating every other byte to a space and
# splitting: the same words as ``re.findall``, without a match object per word.
_WORD_TABLE = _ascii_word_table(b"abcdefghijklmnopqrstuvwxyz0")
_VOCABULARY_TABLE = _ascii_word_table(b"abcdefghijklmnopqrstuvwxyz+#")


_Alternative = tuple[tuple[str, ...], re.Pattern[str]]  # (literal anchors, regex)


def _search(alternatives: Iterable[_Alternative], text: str) -> bool:
    """Whether any alternative matches in ``text``; each regex runs only when one of its anchors is in it."""
    for anchors, pattern in alternatives:
        for anchor in anchors:
            if anchor in text:
                if pattern.search(text):
                    return True
                break
    return False


class _Phrases:
    """Regex alternatives, each searched for only when one of its literal anchors is in the text.

    Every match of an alternative contains one of its anchors, so :meth:`search` says exactly whether
    the alternation of all of them matches anywhere; but a substring scan per anchor costs far less than
    ``re`` trying every alternative at every position of a long prompt, and most prompts hold no anchor.
    """

    def __init__(self, *alternatives: tuple[tuple[str, ...], str]) -> None:
        self.alternatives = tuple((anchors, re.compile(pattern)) for anchors, pattern in alternatives)

    def search(self, text: str) -> bool:
        return _search(self.alternatives, text)

    def present(self, text: str) -> list[_Alternative]:
        """The alternatives with an anchor in ``text``: the only ones that can match in any part of it."""
        found = []
        for alternative in self.alternatives:
            for anchor in alternative[0]:  # loops inlined: a call per alternative cost more than the scans
                if anchor in text:
                    found.append(alternative)
                    break
        return found


# Markers of systematic chain-of-thought extraction (strong) and everyday requests for reasoning (weak),
# and of the model used as a grader; as (anchors, regex) pairs, in lower case.
_STRONG_ELICITATION = _Phrases(
    (("chain",), r"chain[- ]of[- ]thought"),
    (
        ("reasoning",),
        r"internal reasoning|reasoning (?:trace|process|steps|behind)|"
        r"(?:full|complete|detailed|entire) reasoning",
    ),
    (("articulat", "rationale"), r"articulat|rationale"),
    (("derivation",), r"(?:full|complete|detailed|entire) derivation"),
    (("thought process",), r"thought process"),
    (("show ",), r"show (?:all |every )?(?:of )?(?:your|the) (?:work|reasoning|thinking|steps)"),
    (("explain ",), r"explain (?:each|every) step"),
    (("justify ",), r"justify (?:each|every)"),
    (("before ",), r"before (?:giving|stating) (?:the|your) (?:final )?answer"),
)
_WEAK_ELICITATION = _Phrases(
    (("step",), r"step[- ]by[- ]step"),
    (("think ",), r"think (?:carefully|through|aloud|out loud)"),
    (("walk ",), r"walk (?:me )?through"),
    (("explain ",), r"explain (?:your|the|how|why)"),
    (("reason",), r"reason(?:ing)? about"),
)
_GRADING = _Phrases(
    (("rubric",), r"\brubric\b"),
    (("grade",), r"\bgrade (?:the|this|each|following)|\bgrader\b"),
    (("score ",), r"\bscore (?:the|this|each|following)"),
    (("on a scale ",), r"on a scale (?:of|from)"),
    (("rate ",), r"rate (?:the|this|each) (?:response|answer|output|completion)"),
    (
        ("evaluate ", "judge ", "assess ", "critique "),
        r"(?:evaluate|judge|assess|critique) (?:the|this|following|each) "
        r"(?:response|answer|completion|output)",
    ),
    (("reward ", "preference "), r"\b(?:reward|preference) (?:model|score)"),
    ((" is better",), r"which (?:response|answer|completion) is better"),
)
# Task vocabulary, matched as whole words (set lookups) or as literal phrases (substring checks).
_CODE_WORDS = frozenset(
    {
        "function",
        "python",
        "javascript",
        "typescript",
        "sql",
        "implement",
        "algorithm",
        "code",
        "program",
        "compile",
        "regex",
        "api",
        "bug",
        "debug",
        "script",
        "class",
        "def",
        "import",
        "rust",
        "java",
        "golang",
        "html",
        "css",
        "json",
    }
)
_CODE_PHRASES = ("```", "c++", "def ", "();", "=>", "{\n")
_MATH_WORDS = frozenset(
    {
        "solve",
        "calculate",
        "compute",
        "equation",
        "probability",
        "integral",
        "derivative",
        "prove",
        "percent",
        "percentage",
        "remainder",
        "sum",
        "product",
        "digits",
        "integer",
        "polynomial",
        "triangle",
        "x",
    }
)
_MATH_PHRASES = ("how many", "how much", "\\frac", "$", "multiple choice", "answer choices", "(a)", "a) ")
_CODE_WORD_BYTES = frozenset(w.encode("ascii") for w in _CODE_WORDS)
_MATH_WORD_BYTES = frozenset(w.encode("ascii") for w in _MATH_WORDS)
# An exam question: lettered options on their own lines ("\nA. 4\nB. 8", "\n(a) ...\n(b) ..."). Knowledge
# tests are harvested like maths, so they count as the same capability-bearing task.
_MULTIPLE_CHOICE = re.compile(r"\n\(?a[.)] .*\n\(?b[.)] ")

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
    # Every quoted span opens and closes with the same character: a lone apostrophe ("don't") is none.
    if text.count('"') > 1 or text.count("'") > 1 or text.count("`") > 1:
        text = _QUOTED.sub(" q ", text)
    if "http" in text or "@" in text:
        text = _URL.sub(" u ", text)
    words = _NUMBER.sub("0", text.lower()).split()
    # Most prompts have no long token: one C-level length scan spares a Python loop over every word.
    # A run of a script written without spaces (a Chinese sentence) is text, not a slot token.
    if words and max(map(len, words)) >= long_token_chars:
        words = [w if len(w) < long_token_chars or _UNSPACED_CHAR.search(w) else "l" for w in words]
    return " ".join(words)


def _ascii_words(text: str, table: bytes) -> list[bytes]:
    """The words of ``text`` under a word table, as ASCII bytes (see ``_WORD_TABLE``)."""
    return text.encode("ascii", "replace").translate(table).split()


def view_tokens(masked: str) -> list[str]:
    """The template-view tokens of masked text: ASCII words on the fast path, any script otherwise.

    >>> view_tokens("请 写出 推理0过程"), view_tokens("объясни шаг 0")
    (['请', '写', '出', '推', '理', '0', '过', '程'], ['объясни', 'шаг', '0'])
    """
    if masked.isascii():
        # Only word bytes and spaces survive the translation, so splitting after decoding gives the same
        # words as splitting the bytes, without a decode per word.
        return masked.encode("ascii").translate(_WORD_TABLE).decode("ascii").split()
    return _VIEW_TOKEN.findall(masked)


def marker_window(text: str, chars: int) -> str:
    """The lower-cased head and tail of a prompt: where instructions sit, at a bounded cost."""
    if len(text) > 2 * chars:
        text = f"{text[:chars]}\n{text[-chars:]}"
    return text.lower()


_VIEW_CHARS_PER_WORD = 12  # characters read per view word from each end of a long prompt


def whole_view_chars(words: int) -> int:
    """The longest prompt that :func:`template_view` masks whole (longer: only its head and tail)."""
    return 2 * _VIEW_CHARS_PER_WORD * words


def template_view(text: str, words: int = 10, long_token_chars: int = 24) -> TemplateView:
    """First and last ``words`` words of the masked prompt (overlap allowed for short prompts).

    Only the head and tail of long prompts are masked, as only they can reach the view.
    """
    span = _VIEW_CHARS_PER_WORD * words
    if len(text) > whole_view_chars(words):
        head = view_tokens(mask(text[:span], long_token_chars))
        tail = view_tokens(mask(text[-span:], long_token_chars))
    else:
        head = tail = view_tokens(mask(text, long_token_chars))
    return TemplateView(" ".join(head[:words]), " ".join(tail[-words:]))


def _any(text: str, anchors: tuple[str, ...]) -> bool:
    """Whether any anchor occurs in the text (``map``: no generator frame to set up per call)."""
    return any(map(text.__contains__, anchors))


# Sentence breaks: whitespace after [.!?:], or newlines. Written to start with ``\s`` (then which of the
# two it is, by lookbehind) so that ``re`` skips ahead to the next whitespace character instead of trying
# a lookbehind at every position: the same splits as ``(?<=[.!?:])\s+|\n+`` at twice the speed.
_SENTENCE = re.compile(r"\s(?:(?<=[.!?:]\s)\s*|(?<=\n)\n*)")
_INSTRUCTION_PHRASES = (_STRONG_ELICITATION, _WEAK_ELICITATION, _GRADING)


def instruction_view(text: str, words: int = 24, long_token_chars: int = 24) -> str:
    """The masked sentences of a lower-cased prompt that carry extraction markers ('' when none).

    A template's instruction ("articulate the internal reasoning ...", "score the answer with this
    rubric ...") is the part that stays fixed while its slot filler changes, so clustering on it puts
    one template with any filler together.
    """
    # Only alternatives anchored somewhere in the prompt can match one of its sentences: a handful.
    candidates = [alt for phrases in _INSTRUCTION_PHRASES for alt in phrases.present(text)]
    if not candidates:
        return ""
    kept = [sentence for sentence in _SENTENCE.split(text) if _search(candidates, sentence)]
    return b" ".join(_ascii_words(mask(" ".join(kept), long_token_chars), _WORD_TABLE)[:words]).decode(
        "ascii"
    )


def elicitation_strength(text: str) -> float:
    """1.0 for systematic reasoning extraction, 0.4 for an everyday 'step by step', else 0.

    ``text`` is expected lower-cased (see :func:`marker_window`).
    """
    if _STRONG_ELICITATION.search(text):
        return STRONG_ELICITATION
    if _WEAK_ELICITATION.search(text):
        return WEAK_ELICITATION
    return 0.0


def is_grading(text: str) -> bool:
    """Does the (lower-cased) prompt use the model as a grader or reward model?"""
    return _GRADING.search(text)


def task_kind(text: str, has_tools: bool) -> str:
    r"""Coarse task of a lower-cased prompt: ``tool``, ``code``, ``math`` (maths and exam questions) or
    ``chat``.

    All but ``chat`` are capability-bearing (what distillers harvest).

    >>> task_kind("the capital of peru?\na. lima\nb. quito\nc. bogota", has_tools=False)
    'math'
    >>> task_kind("a. go shopping\nthen walk the dog", has_tools=False)
    'chat'
    """
    if has_tools:
        return "tool"
    words = _ascii_words(text, _VOCABULARY_TABLE)
    if not _CODE_WORD_BYTES.isdisjoint(words) or _any(text, _CODE_PHRASES):
        return "code"
    if not _MATH_WORD_BYTES.isdisjoint(words) or _any(text, _MATH_PHRASES):
        return "math"
    if "\nb" in text and _MULTIPLE_CHOICE.search(text):
        return "math"
    return "chat"
