"""Corpus loading and the dev/blind row split.

Corpora are read at run time from ``corpora_root`` (each ``<name>/prompts.jsonl``); nothing is copied
into the repository. A row belongs to half ``text_half(prompt)`` (hash of the normalised prompt), so
dev and blind traffic never share a corpus prompt. Missing corpora fall back to ``builtin_text``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import orjson

from .builtin_text import builtin_rows
from .common import text_half

ENV_VAR = "DISTILLGUARD_CORPORA"
MAX_PROMPT_CHARS = 12_000  # longer rows exist; a gateway would still carry them, we keep memory bounded

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_WORD = re.compile(r"[A-Za-z][a-z]{2,13}")


def resolve_root(corpora_root: Path | None) -> Path | None:
    """The corpora directory to use: the argument, else ``$DISTILLGUARD_CORPORA``; None if unusable."""
    if corpora_root is None and os.environ.get(ENV_VAR):
        corpora_root = Path(os.environ[ENV_VAR])
    if corpora_root is None or not Path(corpora_root).is_dir():
        return None
    return Path(corpora_root)


class CorpusBank:
    """Rows of every corpus restricted to one half, loaded lazily and cached."""

    def __init__(self, corpora_root: Path | None, half: int) -> None:
        self.root = resolve_root(corpora_root)
        self.half = half
        self.missing: set[str] = set()
        self._rows: dict[str, list[dict]] = {}
        self._texts: dict[tuple, list[str]] = {}
        if self.root is None:
            print(
                f"WARNING distillguard.redteam: no corpora found (corpora_root={corpora_root!r}); set "
                f"{ENV_VAR} or pass corpora_root to use real prompt text - generating built-in text only",
                file=sys.stderr,
            )

    @property
    def real(self) -> bool:
        """True when real corpus files are being read."""
        return self.root is not None

    def rows(self, name: str) -> list[dict]:
        """All rows of ``name`` in this bank's half (built-in rows if the corpus is missing)."""
        if name not in self._rows:
            raw = self._load(name)
            seen: set[str] = set()
            kept = []
            for row in raw:
                text = row.get("prompt")
                if not isinstance(text, str) or not text.strip() or text in seen:
                    continue
                seen.add(text)
                if text_half(text) == self.half:
                    if len(text) > MAX_PROMPT_CHARS:
                        row = {**row, "prompt": text[:MAX_PROMPT_CHARS]}
                    kept.append(row)
            self._rows[name] = kept
        return self._rows[name]

    def _load(self, name: str) -> list[dict]:
        path = self.root / name / "prompts.jsonl" if self.root else None
        if path is None or not path.is_file():
            if self.root is not None:
                self.missing.add(name)
            return builtin_rows(name)
        with path.open("rb") as fh:
            return [orjson.loads(line) for line in fh if line.strip()]

    def texts(
        self,
        name: str,
        lang: str | None = None,
        *,
        openers: bool = False,
        max_chars: int | None = None,
        min_chars: int = 1,
    ) -> list[str]:
        """Prompt texts of ``name`` in this half, optionally filtered by language, opener flag, length."""
        key = (name, lang, openers, max_chars, min_chars)
        if key not in self._texts:
            out = []
            for row in self.rows(name):
                if lang is not None and row.get("lang", "en") != lang:
                    continue
                if openers and row.get("conversation_start") is False:
                    continue
                text = row["prompt"]
                if len(text) < min_chars or (max_chars is not None and len(text) > max_chars):
                    continue
                out.append(text)
            if not out and lang is None:
                out = [r["prompt"] for r in self.rows(name)] or [r["prompt"] for r in builtin_rows(name)]
            self._texts[key] = out
        return self._texts[key]

    def followups(self) -> list[str]:
        """Short follow-up turns real users typed mid-conversation (ShareGPT non-openers)."""
        key = ("__followups__",)
        if key not in self._texts:
            rows = self.rows("sharegpt_sample_1000")
            out = [
                r["prompt"] for r in rows if r.get("conversation_start") is False and len(r["prompt"]) < 600
            ]
            self._texts[key] = out or [
                "continue",
                "thanks! can you make it shorter?",
                "why?",
                "go on",
                "can you give an example?",
                "rewrite it more formally",
            ]
        return self._texts[key]

    def sentences(
        self,
        names: tuple[str, ...] = (
            "alpaca_eval_805",
            "oasst_prompts",
            "sharegpt_sample_1000",
            "arena_hard_v2.0",
            "alpaca_5000",
            "wizardlm_testset",
        ),
    ) -> list[str]:
        """Natural English sentences cut from conversational corpora (for WIKI-style and MeaeQ queries)."""
        key = ("__sentences__", names)
        if key not in self._texts:
            out: list[str] = []
            for name in names:
                for text in self.texts(name, max_chars=4000):
                    if not text.isascii():
                        continue
                    for sent in _SENT_SPLIT.split(text.replace("\n", " ")):
                        sent = sent.strip()
                        if 40 <= len(sent) <= 260 and sent.count(" ") >= 6 and "```" not in sent:
                            out.append(sent)
            self._texts[key] = sorted(set(out))
        return self._texts[key]

    def vocabulary(self) -> list[str]:
        """Lower-cased English word types seen in this half (for RANDOM-style word-sequence queries)."""
        key = ("__vocab__",)
        if key not in self._texts:
            words: set[str] = set()
            for sent in self.sentences():
                words.update(w.lower() for w in _WORD.findall(sent))
            self._texts[key] = sorted(words)
        return self._texts[key]
