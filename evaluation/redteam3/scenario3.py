"""Scenario assembly of the third red team: the first team's background, then this team's families."""

from __future__ import annotations

import time
from pathlib import Path

from distillguard.evaluation.redteam.accounts import EventSink, IdFactory
from distillguard.evaluation.redteam.common import DAY_MS, HOUR_MS, START_MS, derive_rng, resolve_split
from distillguard.evaluation.redteam.content import Content
from distillguard.evaluation.redteam.corpora import CorpusBank
from distillguard.evaluation.redteam.negatives import NORMAL_FAMILIES
from distillguard.evaluation.redteam.networks import NetworkPlan
from distillguard.evaluation.redteam.phrasing import Phrasebook
from distillguard.evaluation.redteam.scenario import summary, window_traffic, writer_of

from .campaigns3 import SPECS, campaign_families
from .common3 import World3
from .normals3 import NORMAL3_FAMILIES
from .phrasing3 import Phrases3

DAYS = 4
GENERATOR_VERSION = "redteam-3"
#: split name -> (default seed, corpus/phrasing half)
SPLITS: dict[str, tuple[int, int]] = {"dev": (6160, 0), "blind": (8209, 1)}


def families() -> dict[str, str]:
    """Every family this generator emits (background included), mapped to its kind."""
    out = {name: "normal" for name in NORMAL_FAMILIES}
    out.update({name: "normal" for name in NORMAL3_FAMILIES})
    out.update({spec.family: "campaign" for spec in SPECS})
    return out


def generate(
    split: str, seed: int | None = None, corpora_root: Path | None = None, scale: float = 1.0
) -> tuple[list[dict], list[dict], dict]:
    """One labelled scenario: (events sorted by (ts, event_id), one label per account that sent an event,
    params). ``split`` is ``"dev"`` (seed 6160, half 0) or ``"blind"`` (seed 8209, half 1); the two never
    share a phrase or a corpus row. Deterministic for (split, seed, corpora content, scale)."""
    seed, half = resolve_split(SPLITS, split, seed, scale)
    started = time.perf_counter()
    start, end = START_MS, START_MS + DAYS * DAY_MS
    release = start + int(derive_rng(seed, split, "redteam3", "release").uniform(28, 44) * HOUR_MS)
    bank = CorpusBank(corpora_root, half)
    book = Phrasebook(half)
    ids = IdFactory(f"{split}|redteam3", seed)
    w = World3(
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
        ph=Phrases3(half),
        bank=bank,
    )
    for fn, base, minimum in NORMAL_FAMILIES.values():
        fn(w, w.n(base, minimum))
    for fn3, base3, minimum3 in NORMAL3_FAMILIES.values():
        fn3(w, w.n(base3, minimum3))
    for run in campaign_families().values():
        run(w, 0)

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
