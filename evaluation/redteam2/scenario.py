"""Scenario assembly: the first red team's normal population, new hard negatives and adaptive campaigns."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..redteam.accounts import EventSink, IdFactory
from ..redteam.common import DAY_MS, HOUR_MS, START_MS, derive_rng, resolve_split
from ..redteam.content import Content
from ..redteam.corpora import CorpusBank
from ..redteam.negatives import NORMAL_FAMILIES
from ..redteam.networks import NetworkPlan
from ..redteam.phrasing import Phrasebook
from ..redteam.scenario import summary, window_traffic, writer_of
from .attacks import ATTACK_FAMILIES
from .hardnegs import NEW_NORMAL_FAMILIES
from .kit import World2
from .phrasing2 import Book2

DAYS = 4
GENERATOR_VERSION = "redteam2-1"
#: split name -> (default seed, corpus/phrasing half it draws from)
SPLITS: dict[str, tuple[int, int]] = {"dev": (5150, 0), "blind": (7103, 1)}


def families() -> dict[str, str]:
    """Every family name this generator can emit, mapped to its kind (campaign / normal)."""
    return {
        **{f: "campaign" for f in ATTACK_FAMILIES},
        **{f: "normal" for f in NORMAL_FAMILIES},
        **{f: "normal" for f in NEW_NORMAL_FAMILIES},
    }


def generate(
    split: str, seed: int | None = None, corpora_root: Path | None = None, scale: float = 1.0
) -> tuple[list[dict], list[dict], dict]:
    """Generate one labelled scenario.

    ``split`` is ``"blind"`` (default seed 7103) or ``"dev"`` (default seed 5150); the two draw disjoint
    halves of every corpus and every phrase pool. Returns (events sorted by ts, one label per account
    that sent at least one event, params). Deterministic for (split, seed, corpora content, scale).
    """
    seed, half = resolve_split(SPLITS, split, seed, scale)
    started = time.perf_counter()
    start, end = START_MS, START_MS + DAYS * DAY_MS
    release = start + int(derive_rng(seed, split, "redteam2", "release").uniform(28, 44) * HOUR_MS)
    bank, book = CorpusBank(corpora_root, half), Phrasebook(half)
    ids = IdFactory(f"{split}|redteam2", seed)
    w = World2(
        split=split,
        seed=seed,
        scale=scale,
        start=start,
        end=end,
        release=release,
        ids=ids,
        sink=EventSink(ids),
        net=NetworkPlan(),
        content=Content(bank, book),
        book=book,
        book2=Book2(half),
    )

    for fn, base in ATTACK_FAMILIES.values():
        fn(w, w.n(base, 4))
    for fn, base, minimum in NORMAL_FAMILIES.values():
        fn(w, w.n(base, minimum))
    for fn, base, minimum in NEW_NORMAL_FAMILIES.values():
        fn(w, w.n(base, minimum))

    if bank.missing:
        print(
            f"WARNING distillguard.redteam2: {len(bank.missing)} corpora missing under {bank.root} "
            f"({', '.join(sorted(bank.missing)[:4])}, ...) - built-in text stands in for them",
            file=sys.stderr,
        )
    events, labels = window_traffic(w)
    params = summary(
        w,
        events,
        labels,
        generator=GENERATOR_VERSION,
        half=half,
        days=DAYS,
        bank=bank,
        kinds=families(),
        started=started,
    )
    return events, labels, params


write = writer_of(generate)
