"""Prompt pools for the traffic simulator: real public corpora when available, else a builtin fallback.

The public corpora (README in the corpora folder) give simulated traffic real text: class ``normal`` is what
people send to chat assistants, class ``distill`` is benchmark / self-instruct material of the kind used to
distil capabilities. They are read from disk at run time and never copied into the repository.

Each pool is split deterministically into ``tune`` and ``holdout`` halves so that a detector can be tuned
on one half and evaluated on prompts it never saw. The split key is a hash of the whitespace-normalised
prompt *text*, not of the row id: the same question appears under different ids in several corpora
(MATH-500 is a subset of the MATH test set, gsm_hard repeats GSM8K questions, AlpacaEval embeds hh-rlhf
and OASST rows), and an id-keyed split would put one text into both halves.

When the corpora folder is absent (CI, a fresh clone), every corpus name maps to pools of
``data/builtin_prompts.jsonl``: short prompts written for this project, tagged with pool names, so the
simulator still runs end to end (with far less textual variety).
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import orjson

Split = Literal["tune", "holdout", "all"]
SPLITS: tuple[str, ...] = ("tune", "holdout", "all")

ENV_VAR = "DISTILLGUARD_CORPORA"
# Relative to the current directory (the repository root under `make`), never to the installed package.
DEFAULT_ROOT = Path("..") / "shared" / "corpora"
BUILTIN_PATH = Path(__file__).resolve().parent / "data" / "builtin_prompts.jsonl"
PROMPTS_FILE = "prompts.jsonl"

NORMAL_CORPORA: tuple[str, ...] = (
    "alpaca_eval_805",
    "arena_hard_v0.1",
    "arena_hard_v2.0",
    "oasst_prompts",
    "sharegpt_sample_1000",
    "hh_rlhf_helpful_base_via_alpaca_eval",
)
DISTILL_CORPORA: tuple[str, ...] = (
    "alpaca_5000",
    "alpaca_seed_tasks",
    "gpteacher_codegen",
    "gpteacher_roleplay",
    "gpteacher_toolformer",
    "gsm8k",
    "humaneval",
    "math500",
    "math_test_5000",
    "math_wordproblems_misc",
    "mmlu_test",
)
CORPUS_CLASS: dict[str, str] = {
    **{name: "normal" for name in NORMAL_CORPORA},
    **{name: "distill" for name in DISTILL_CORPORA},
}

# Pools of the builtin file. The first five stand in for corpora; the auxiliary ones (conversation
# follow-ups, support-ticket snippets) are generic scaffolding used in both modes and never split.
BUILTIN_POOLS: tuple[str, ...] = ("casual_chat", "coding", "math_word", "tool_use", "general_knowledge")
AUX_POOLS: tuple[str, ...] = ("followup", "ticket")

# Corpus -> builtin pools that imitate it when the real corpus is not on disk.
BUILTIN_FALLBACK: dict[str, tuple[str, ...]] = {
    "alpaca_eval_805": ("casual_chat", "general_knowledge"),
    "arena_hard_v0.1": ("coding", "general_knowledge"),
    "arena_hard_v2.0": ("coding", "math_word"),
    "oasst_prompts": ("casual_chat", "general_knowledge"),
    "sharegpt_sample_1000": ("casual_chat", "coding"),
    "hh_rlhf_helpful_base_via_alpaca_eval": ("casual_chat",),
    "alpaca_5000": ("general_knowledge", "casual_chat"),
    "alpaca_seed_tasks": ("general_knowledge", "casual_chat"),
    "gpteacher_codegen": ("coding",),
    "gpteacher_roleplay": ("casual_chat",),
    "gpteacher_toolformer": ("tool_use",),
    "gsm8k": ("math_word",),
    "humaneval": ("coding",),
    "math500": ("math_word",),
    "math_test_5000": ("math_word",),
    "math_wordproblems_misc": ("math_word",),
    "mmlu_test": ("general_knowledge",),
}

# ShareGPT rows include mid-conversation follow-ups ("continue"); only openers stand for a new request.
_OPENER_FIELD = "conversation_start"


def corpora_root() -> Path | None:
    """The corpora folder: ``$DISTILLGUARD_CORPORA`` if set, else ``../shared/corpora``, or None.

    An explicitly set variable that points nowhere means "no corpora" (it does not fall through to the
    default), so tests can force the builtin fallback. A missing folder is said loudly, once per folder:
    the builtin sample changes every result that depends on prompt text.
    """
    configured = os.environ.get(ENV_VAR)
    root = Path(configured) if configured else DEFAULT_ROOT
    if root.is_dir():
        return root.resolve()
    _warn_missing(str(root))
    return None


@functools.cache
def _warn_missing(root: str) -> None:
    print(
        f"WARNING: corpora folder {root!r} not found; set {ENV_VAR} to the shared corpora folder. "
        "Using the small builtin prompt sample instead: results are not comparable with corpora runs.",
        file=sys.stderr,
    )


def normalise(text: str) -> str:
    """Collapse whitespace, so that trivially reformatted copies of one prompt share a split key."""
    return " ".join(text.split())


def _digest(salt: str, text: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{salt}\x00{text}".encode(), digest_size=8).digest(), "big")


def _split_of_key(key: str) -> str:
    return "tune" if _digest("split", key) % 2 == 0 else "holdout"


def split_of(text: str) -> str:
    """``tune`` or ``holdout`` for one prompt: a fixed hash of its normalised text (about half each)."""
    return _split_of_key(normalise(text))


# One indexed row: (order key, split, original text). Pools are sorted by the order key, a text hash, so
# a cap keeps a sample spread over the whole file (MMLU, for one, is sorted by subject) whatever the file
# order, and the same prompts whatever the cap.
IndexedRows = tuple[tuple[int, str, str], ...]


def _index(texts: Iterable[str]) -> IndexedRows:
    """Dedupe on normalised text, tag each prompt with its split and sort by the order hash."""
    keyed: dict[str, tuple[int, str, str]] = {}
    for text in texts:
        key = normalise(text)
        if key and key not in keyed:
            keyed[key] = (_digest("order", key), _split_of_key(key), text)
    return tuple(sorted(keyed.values()))


@functools.lru_cache(maxsize=64)
def _corpus_index(path: Path) -> IndexedRows:
    """Indexed prompts of one ``prompts.jsonl``, read once per process (libraries share the cache)."""
    texts = []
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = orjson.loads(line)
            if row.get(_OPENER_FIELD, True) is not True:
                continue
            prompt = row.get("prompt")
            if isinstance(prompt, str):
                texts.append(prompt)
    return _index(texts)


@functools.lru_cache(maxsize=1)
def _builtin_rows() -> dict[str, tuple[str, ...]]:
    pools: dict[str, list[str]] = {}
    with BUILTIN_PATH.open("rb") as handle:
        for line in handle:
            if line.strip():
                row = orjson.loads(line)
                pools.setdefault(row["pool"], []).append(row["prompt"])
    return {name: tuple(texts) for name, texts in pools.items()}


@functools.lru_cache(maxsize=64)
def _builtin_index(pools: tuple[str, ...]) -> IndexedRows:
    rows = _builtin_rows()
    return _index(text for pool in pools for text in rows[pool])


def _select(rows: IndexedRows, split: str, cap: int | None, max_chars: int | None) -> tuple[str, ...]:
    """The split's half of indexed rows, capped and truncated to ``max_chars``."""
    chosen = [text for _, part, text in rows if split == "all" or part == split]
    if cap is not None:
        chosen = chosen[:cap]
    if max_chars is not None:
        chosen = [text[:max_chars] for text in chosen]
    return tuple(chosen)


class PromptLibrary:
    """Lazily loaded, capped, split-filtered prompt pools addressed by corpus or builtin pool name.

    >>> lib = PromptLibrary(split="tune", cap=50, root=None)
    >>> lib.source
    'builtin'
    >>> 0 < len(lib.pool("gsm8k")) <= 50
    True
    """

    def __init__(
        self,
        split: str = "all",
        cap: int | None = None,
        *,
        root: Path | Literal["auto"] | None = "auto",
        max_chars: int | None = None,
    ) -> None:
        """``root="auto"`` resolves via :func:`corpora_root`; ``root=None`` forces the builtin fallback."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.split = split
        self.cap = cap
        self.max_chars = max_chars
        self.root: Path | None = corpora_root() if root == "auto" else root
        self._pools: dict[str, tuple[str, ...]] = {}

    @property
    def source(self) -> str:
        """``corpora`` when real corpora are read, ``builtin`` when every pool comes from the fallback."""
        return "corpora" if self.root is not None else "builtin"

    def _corpus_rows(self, name: str) -> IndexedRows:
        """Indexed prompts of one corpus: from disk when present, else its builtin stand-in pools."""
        if self.root is not None:
            path = self.root / name / PROMPTS_FILE
            if path.is_file():
                return _corpus_index(path.resolve())
        return _builtin_index(BUILTIN_FALLBACK[name])

    def pool(self, name: str) -> tuple[str, ...]:
        """All prompts of pool ``name`` in this library's split, capped; loaded on first use."""
        cached = self._pools.get(name)
        if cached is not None:
            return cached
        if name in AUX_POOLS:
            prompts = _select(_builtin_index((name,)), "all", self.cap, self.max_chars)
        elif name in CORPUS_CLASS:
            prompts = _select(self._corpus_rows(name), self.split, self.cap, self.max_chars)
        elif name in BUILTIN_POOLS:
            prompts = _select(_builtin_index((name,)), self.split, self.cap, self.max_chars)
        else:
            known = sorted([*CORPUS_CLASS, *BUILTIN_POOLS, *AUX_POOLS])
            raise KeyError(f"unknown prompt pool {name!r}; known: {', '.join(known)}")
        if not prompts:
            raise ValueError(f"prompt pool {name!r} is empty in split {self.split!r}")
        self._pools[name] = prompts
        return prompts

    def sample(self, rng: random.Random, name: str) -> str:
        """One prompt of pool ``name`` drawn with ``rng``."""
        return rng.choice(self.pool(name))

    def sample_mix(self, rng: random.Random, weights: Mapping[str, float]) -> str:
        """One prompt from a weighted mixture of pools (weights need not sum to 1)."""
        names = list(weights)
        name = rng.choices(names, weights=[weights[n] for n in names])[0] if len(names) > 1 else names[0]
        return self.sample(rng, name)
