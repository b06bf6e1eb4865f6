"""Scenario assembly: the first red team's normal population, new hard negatives and adaptive campaigns."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import orjson

from ..redteam.accounts import EventSink, IdFactory
from ..redteam.common import DAY_MS, HOUR_MS, START_MS, derive_rng
from ..redteam.content import Content
from ..redteam.corpora import CorpusBank
from ..redteam.negatives import NORMAL_FAMILIES
from ..redteam.networks import NetworkPlan
from ..redteam.phrasing import Phrasebook
from ..redteam.world import MODEL_MAIN, MODEL_MINI, MODEL_NEW
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
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, not {split!r}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    default_seed, half = SPLITS[split]
    seed = default_seed if seed is None else int(seed)
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
    created = {a.account_id: a.created_ts for a in w.accounts}
    events = [e for e in w.sink.events if start <= e["ts"] < end and e["ts"] >= created[e["account_id"]]]
    events.sort(key=lambda e: (e["ts"], e["event_id"]))
    seen = {e["account_id"] for e in events}
    labels = [a.label() for a in w.accounts if a.account_id in seen]

    per_family: dict[str, dict[str, int]] = {}
    fam_of = {a.account_id: a.family for a in w.accounts}
    for lab in labels:
        per_family.setdefault(lab["family"], {"accounts": 0, "events": 0})["accounts"] += 1
    for e in events:
        per_family[fam_of[e["account_id"]]]["events"] += 1
    params = {
        "generator": GENERATOR_VERSION,
        "split": split,
        "seed": seed,
        "scale": scale,
        "corpus_half": half,
        "start_ts": start,
        "end_ts": end,
        "days": DAYS,
        "release_ts": release,
        "models": {"main": MODEL_MAIN, "mini": MODEL_MINI, "released": MODEL_NEW},
        "corpora": {
            "root": str(bank.root) if bank.root else None,
            "real_text": bank.real,
            "missing": sorted(bank.missing),
        },
        "counts": {
            "events": len(events),
            "accounts": len(labels),
            "campaign_accounts": sum(lab["kind"] == "campaign" for lab in labels),
            "normal_accounts": sum(lab["kind"] == "normal" for lab in labels),
        },
        "families": dict(sorted(per_family.items())),
        "family_kinds": families(),
        "campaigns": [
            {**c, "accounts_with_events": sum(1 for lab in labels if lab["campaign_id"] == c["campaign_id"])}
            for c in w.campaigns
        ],
        "generation_seconds": round(time.perf_counter() - started, 2),
    }
    return events, labels, params


def write(
    out_dir: Path | str,
    split: str,
    seed: int | None = None,
    corpora_root: Path | None = None,
    scale: float = 1.0,
) -> dict:
    """Generate and write ``events.jsonl``, ``labels.jsonl`` and ``scenario.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    events, labels, params = generate(split, seed=seed, corpora_root=corpora_root, scale=scale)
    with (out / "events.jsonl").open("wb") as fh:
        fh.writelines(orjson.dumps(e) + b"\n" for e in events)
    with (out / "labels.jsonl").open("wb") as fh:
        fh.writelines(orjson.dumps(lab) + b"\n" for lab in labels)
    (out / "scenario.json").write_bytes(orjson.dumps(params, option=orjson.OPT_INDENT_2))
    return params
