"""Learned, language-agnostic content model: what kind of request a prompt is.

:class:`ContentModel` scores one prompt for five classes, each an independent (one-vs-rest) logistic
probability in [0, 1]:

* ``elicitation`` - asks for the model's reasoning trace / whole thought process / chain of thought;
* ``grading`` - rubric grading, scoring an answer, comparing responses (reward-model-like judging);
* ``capability`` - maths, code, exam / multiple-choice or tool-use task material;
* ``synthetic`` - self-instruct style requests (generate instructions, tasks, datasets, many examples)
  and the machine-written instruction data they produce;
* ``mundane`` - ordinary chat.

The classes are not exclusive: a maths problem followed by a request for the full derivation is both
``capability`` and ``elicitation``.

Features are hashed character n-grams (orders 1-4) of a bounded window of the prompt (its head and
tail, where instructions sit), lower-cased and whitespace-collapsed, over Unicode code points, so any
script (Latin, Cyrillic, CJK, ...) works the same way. The n-gram hash is a polynomial over code points
in wrapping uint32 arithmetic, then a multiplicative (Fibonacci) hash into ``2**bits`` buckets, all
vectorised with NumPy: stable across processes and platforms (no ``hash()``), and deterministic. A
prompt's logits are ``weights[buckets].sum(0) / sqrt(n_grams) + bias``.

The weights (``data/content_weights.npz``) are trained offline by :mod:`models.train_content` from
permissively licensed prompt corpora and the labelled phrasings in ``data/content_examples.jsonl``; see
``data/README.md``. Inference needs only NumPy and that file.

>>> model = ContentModel.load()
>>> s = model.score_one("Wie viel ist 17 mal 23? Bitte lege deinen gesamten Denkprozess offen.")
>>> s.elicitation > 0.5 and s.capability > s.mundane
True
>>> 0.0 <= model.score_one("").mundane <= 1.0
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

CLASSES = ("elicitation", "grading", "capability", "synthetic", "mundane")
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "content_weights.npz"

# Featuriser defaults (the weights file records the values it was trained with, and those win).
HEAD_CHARS = 400
TAIL_CHARS = 400
BITS = 17
MAX_ORDER = 4

# Short texts memoised by :meth:`ContentModel.score_short`: at most 4096 of at most 200 characters, so
# the memo holds a few MB at most.
SHORT_TEXT_CHARS = 200
_SHORT_TEXT_CACHE = 1 << 12

# Polynomial base for n-grams, added offset for order 1, and the Fibonacci multiplier (odd uint32s).
_BASE = np.uint32(0x01000193)
_OFFSET = np.uint32(0x2545F491)
_GOLDEN = np.uint32(0x9E3779B1)


def normalise(text: str, head: int = HEAD_CHARS, tail: int = TAIL_CHARS) -> str:
    """The scored window: head and tail of the prompt, lower-cased, whitespace collapsed, space-padded."""
    if len(text) > head + tail:
        text = f"{text[:head]} {text[-tail:]}" if tail else text[:head]
    return " " + " ".join(text.lower().split()) + " "


def hashed_ngrams(
    text: str,
    bits: int = BITS,
    max_order: int = MAX_ORDER,
    head: int = HEAD_CHARS,
    tail: int = TAIL_CHARS,
) -> np.ndarray:
    """Bucket ids (intp, with repeats) of every character n-gram, orders 1..max_order, of the window.

    >>> hashed_ngrams("ab", bits=8).tolist() == hashed_ngrams("AB\\n", bits=8).tolist()
    True
    >>> len(hashed_ngrams("abc", max_order=2))  # " abc " has 5 unigrams and 4 bigrams
    9
    """
    window = normalise(text, head, tail)
    codes = np.frombuffer(window.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(codes)
    orders = min(max_order, n)  # order k has n - k + 1 grams: none once k > n
    # Each order is written straight into its slice of one buffer (orders 1, 2, ... one after the other),
    # computed from the previous order's slice: no per-order array and no concatenation to pay for.
    buckets = np.empty(orders * n - orders * (orders - 1) // 2, dtype=np.uint32)
    gram = np.add(codes, _OFFSET, out=buckets[:n])
    start = n
    for order in range(1, orders):
        end = start + n - order
        gram = np.multiply(gram[:-1], _BASE, out=buckets[start:end])
        gram += codes[order:]
        start = end
    buckets *= _GOLDEN
    buckets >>= np.uint32(32 - bits)
    return buckets.astype(np.intp)


@dataclass(frozen=True, slots=True)
class ContentScores:
    """Per-class probabilities in [0, 1] (independent one-vs-rest, not summing to one)."""

    elicitation: float
    grading: float
    capability: float
    synthetic: float
    mundane: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class ContentModel:
    """Hashed character n-gram one-vs-rest logistic model over :data:`CLASSES`.

    ``weights`` is ``(2**bits, len(CLASSES))``; ``bias`` is ``(len(CLASSES),)``.
    """

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        *,
        bits: int = BITS,
        max_order: int = MAX_ORDER,
        head: int = HEAD_CHARS,
        tail: int = TAIL_CHARS,
    ) -> None:
        weights = np.ascontiguousarray(weights, dtype=np.float32)
        if weights.shape != (1 << bits, len(CLASSES)):
            raise ValueError(f"weights shape {weights.shape} != {(1 << bits, len(CLASSES))}")
        self.weights = weights
        self.bias = np.asarray(bias, dtype=np.float64).reshape(len(CLASSES))
        self.bits = bits
        self.max_order = max_order
        self.head = head
        self.tail = tail
        # Summing gathered rows as ``ones @ rows`` (one BLAS call) is ~10x faster than ``rows.sum(0)``.
        self._ones = np.ones(max_order * (head + tail + 8), dtype=np.float32)
        # Per model (the weights decide the scores), not per process: see score_short().
        self._score_memo = lru_cache(maxsize=_SHORT_TEXT_CACHE)(self.score_one)

    @classmethod
    def load(cls, path: str | Path | None = None) -> ContentModel:
        """The model in a weights file (default: the committed ``data/content_weights.npz``)."""
        with np.load(Path(path) if path is not None else DEFAULT_WEIGHTS, allow_pickle=False) as data:
            classes = tuple(str(c) for c in data["classes"])
            if classes != CLASSES:
                raise ValueError(f"weights file classes {classes} != {CLASSES}")
            return cls(
                data["weights"],
                data["bias"],
                bits=int(data["bits"]),
                max_order=int(data["max_order"]),
                head=int(data["head"]),
                tail=int(data["tail"]),
            )

    def logits(self, text: str) -> np.ndarray:
        """Raw per-class logits (float64, shape ``(len(CLASSES),)``)."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        buckets = hashed_ngrams(text, self.bits, self.max_order, self.head, self.tail)
        n = len(buckets)
        rows = self.weights.take(buckets, axis=0)  # the method: np.take's dispatch wrapper costs ~1 us
        total = self._ones[:n] @ rows if n <= len(self._ones) else rows.sum(axis=0)
        return total / math.sqrt(n) + self.bias

    def score_one(self, text: str) -> ContentScores:
        """Per-class probabilities of one prompt."""
        return ContentScores(*[_sigmoid(z) for z in self.logits(text).tolist()])

    def score_short(self, text: str) -> ContentScores:
        """:meth:`score_one`, memoised for texts of at most :data:`SHORT_TEXT_CHARS` characters (longer
        ones are scored afresh): for the short fixed ends of templated prompts, which recur with every
        filler (about a fifth of the prompt ends the feature extractor scores are repeats).

        >>> model = ContentModel.load()
        >>> model.score_short("Show every step.") == model.score_one("Show every step.")
        True
        """
        if len(text) > SHORT_TEXT_CHARS:
            return self.score_one(text)
        return self._score_memo(text)

    def __getstate__(self) -> dict[str, object]:
        # The memo is a cache of prompt text (never persisted) and a wrapper pickle cannot name.
        return {name: value for name, value in vars(self).items() if name != "_score_memo"}

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)
        self._score_memo = lru_cache(maxsize=_SHORT_TEXT_CACHE)(self.score_one)

    def score_many(self, texts: list[str]) -> np.ndarray:
        """Probabilities of many prompts, shape ``(len(texts), len(CLASSES))``."""
        out = np.empty((len(texts), len(CLASSES)))
        for i, text in enumerate(texts):
            out[i] = self.logits(text)
        return 1.0 / (1.0 + np.exp(-out))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
