"""Scenario assembly: run every family into one World and return (events, labels, params)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson

from .accounts import EventSink, IdFactory
from .common import DAY_MS, HOUR_MS, SPLITS, START_MS, derive_rng, resolve_split
from .content import Content
from .corpora import CorpusBank
from .families import ATTACK_FAMILIES
from .negatives import NORMAL_FAMILIES
from .networks import NetworkPlan
from .phrasing import Phrasebook
from .world import MODEL_MAIN, MODEL_MINI, MODEL_NEW, World

DAYS = 4
GENERATOR_VERSION = "redteam-1"


def families() -> dict[str, str]:
    """Every family name this generator can emit, mapped to its kind (campaign / normal)."""
    return {**{f: "campaign" for f in ATTACK_FAMILIES}, **{f: "normal" for f in NORMAL_FAMILIES}}


def generate(
    split: str, seed: int | None = None, corpora_root: Path | None = None, scale: float = 1.0
) -> tuple[list[dict], list[dict], dict]:
    """Generate one labelled scenario.

    ``split`` is ``"blind"`` (default seed 9001) or ``"dev"`` (default seed 4242); the two draw disjoint
    halves of every corpus and every phrase pool. Returns (events sorted by ts, one label per account
    that sent at least one event, params). Deterministic for (split, seed, corpora content, scale).
    """
    seed, half = resolve_split(SPLITS, split, seed, scale)
    started = time.perf_counter()
    start, end = START_MS, START_MS + DAYS * DAY_MS
    release = start + int(derive_rng(seed, split, "release").uniform(30, 42) * HOUR_MS)
    bank, book, ids = CorpusBank(corpora_root, half), Phrasebook(half), IdFactory(split, seed)
    w = World(
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
    )

    for fn, base in ATTACK_FAMILIES.values():
        fn(w, w.n(base))
    for fn, base, minimum in NORMAL_FAMILIES.values():
        fn(w, w.n(base, minimum))

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


def window_traffic(w: World) -> tuple[list[dict], list[dict]]:
    """The world's events inside its window and after each account's creation, in time order, and one
    label per account that sent at least one of them."""
    created = {a.account_id: a.created_ts for a in w.accounts}
    events = [e for e in w.sink.events if w.start <= e["ts"] < w.end and e["ts"] >= created[e["account_id"]]]
    events.sort(key=lambda e: (e["ts"], e["event_id"]))
    seen = {e["account_id"] for e in events}
    return events, [a.label() for a in w.accounts if a.account_id in seen]


def summary(
    w: World,
    events: list[dict],
    labels: list[dict],
    *,
    generator: str,
    half: int,
    days: int,
    bank: CorpusBank,
    kinds: dict[str, str],
    started: float,
) -> dict:
    """The scenario's params: where and when it is, its counts per family and its campaigns (ground truth
    for the evaluator: never given to the detector)."""
    per_family: dict[str, dict[str, int]] = {}
    fam_of = {a.account_id: a.family for a in w.accounts}
    for lab in labels:
        per_family.setdefault(lab["family"], {"accounts": 0, "events": 0})["accounts"] += 1
    for e in events:
        per_family[fam_of[e["account_id"]]]["events"] += 1
    return {
        "generator": generator,
        "split": w.split,
        "seed": w.seed,
        "scale": w.scale,
        "corpus_half": half,
        "start_ts": w.start,
        "end_ts": w.end,
        "days": days,
        "release_ts": w.release,
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
        "family_kinds": kinds,
        "campaigns": [
            {**c, "accounts_with_events": sum(1 for lab in labels if lab["campaign_id"] == c["campaign_id"])}
            for c in w.campaigns
        ],
        "generation_seconds": round(time.perf_counter() - started, 2),
    }


def write_files(out_dir: Path | str, events: list[dict], labels: list[dict], params: dict) -> None:
    """``events.jsonl``, ``labels.jsonl`` and ``scenario.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "events.jsonl").open("wb") as fh:
        fh.writelines(orjson.dumps(e) + b"\n" for e in events)
    with (out / "labels.jsonl").open("wb") as fh:
        fh.writelines(orjson.dumps(lab) + b"\n" for lab in labels)
    (out / "scenario.json").write_bytes(orjson.dumps(params, option=orjson.OPT_INDENT_2))


Generate = Callable[..., tuple[list[dict], list[dict], dict]]


def writer_of(generate: Generate) -> Callable[..., dict]:
    """The ``write`` of a generator: run ``generate`` and write its three files into ``out_dir``."""

    def write(
        out_dir: Path | str,
        split: str,
        seed: int | None = None,
        corpora_root: Path | None = None,
        scale: float = 1.0,
    ) -> dict:
        """Generate and write ``events.jsonl``, ``labels.jsonl`` and ``scenario.json`` into ``out_dir``."""
        events, labels, params = generate(split, seed=seed, corpora_root=corpora_root, scale=scale)
        write_files(out_dir, events, labels, params)
        return params

    return write


write = writer_of(generate)
