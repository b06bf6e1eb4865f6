"""Tests of the third red-team generator (evaluation/redteam3): contract, splits, schema, labels, CLI."""

from __future__ import annotations

import collections
import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from distillguard.evaluation.redteam.corpora import CorpusBank
from distillguard.evaluation.redteam3 import families, generate, write
from distillguard.evaluation.redteam3.campaigns3 import LEVELS, Partition
from distillguard.evaluation.redteam3.phrasing3 import LANGS, POOLS, Phrases3, full_pool, pool_names
from distillguard.schemas.request_event import RequestEvent
from distillguard.streams.cli import main

SCALE = 0.03
CORPORA = Path(os.environ.get("DISTILLGUARD_CORPORA") or "../shared/corpora")
HAVE_CORPORA = (CORPORA / "gsm8k" / "prompts.jsonl").is_file()


def _builtin(split: str, seed: int | None = None) -> tuple[list[dict], list[dict], dict]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        return generate(split, seed=seed, corpora_root=None, scale=SCALE)


@pytest.fixture(scope="module")
def dev_builtin() -> tuple[list[dict], list[dict], dict]:
    return _builtin("dev")


@pytest.fixture(scope="module")
def blind_builtin() -> tuple[list[dict], list[dict], dict]:
    return _builtin("blind")


@pytest.fixture(scope="module")
def dev_real() -> tuple[list[dict], list[dict], dict]:
    if not HAVE_CORPORA:
        pytest.skip("corpora not available")
    return generate("dev", corpora_root=CORPORA, scale=SCALE)


@pytest.fixture(scope="module")
def blind_real() -> tuple[list[dict], list[dict], dict]:
    if not HAVE_CORPORA:
        pytest.skip("corpora not available")
    return generate("blind", corpora_root=CORPORA, scale=SCALE)


def test_no_corpora_warns_once_and_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    events, labels, params = _builtin("dev", seed=11)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "DISTILLGUARD_CORPORA" in err
    assert events and labels and params["corpora"]["real_text"] is False


def test_deterministic_for_a_seed(dev_builtin: tuple) -> None:
    again = _builtin("dev")
    assert again[0] == dev_builtin[0]
    assert again[1] == dev_builtin[1]
    assert dev_builtin[2]["seed"] == 6160 and dev_builtin[2]["corpus_half"] == 0


def test_seed_changes_the_world(dev_builtin: tuple) -> None:
    other = _builtin("dev", seed=6161)
    assert other[0][0]["event_id"] != dev_builtin[0][0]["event_id"]
    assert {e["account_id"] for e in other[0]}.isdisjoint({e["account_id"] for e in dev_builtin[0]})


def test_dev_and_blind_differ(dev_builtin: tuple, blind_builtin: tuple) -> None:
    assert blind_builtin[2]["seed"] == 8209 and blind_builtin[2]["corpus_half"] == 1
    assert not {e["event_id"] for e in dev_builtin[0]} & {e["event_id"] for e in blind_builtin[0]}
    assert not {x["account_id"] for x in dev_builtin[1]} & {x["account_id"] for x in blind_builtin[1]}


def test_ids_never_collide_with_the_first_red_team(dev_builtin: tuple) -> None:
    from distillguard.evaluation.redteam import generate as generate1

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        events1, _labels1, _ = generate1("dev", seed=6160, corpora_root=None, scale=SCALE)
    assert not {e["event_id"] for e in events1} & {e["event_id"] for e in dev_builtin[0]}
    assert not {e["account_id"] for e in events1} & {e["account_id"] for e in dev_builtin[0]}


def test_phrase_pools_split_into_disjoint_halves() -> None:
    dev, blind = Phrases3(0), Phrases3(1)
    seen_langs: set[str] = set()
    for name in pool_names():
        for key in POOLS[name]:
            variants = full_pool(name, key)
            assert len(variants) >= 2, (name, key)
            a, b = dev.pool(name, key), blind.pool(name, key)
            assert a and b and not set(a) & set(b), (name, key)
            assert set(a) | set(b) == set(variants), (name, key)
            seen_langs.add(key)
    assert set(LANGS) <= seen_langs
    # every hand-written phrase of one split is absent from the other split's pools
    all_dev = {v for name in pool_names() for key in POOLS[name] for v in dev.pool(name, key)}
    all_blind = {v for name in pool_names() for key in POOLS[name] for v in blind.pool(name, key)}
    assert not all_dev & all_blind


@pytest.mark.skipif(not HAVE_CORPORA, reason="corpora not available")
def test_corpus_rows_differ_between_splits(dev_real: tuple, blind_real: tuple) -> None:
    for name in ("gsm8k", "math500", "mgsm", "humaneval"):
        rows0 = {r["prompt"] for r in CorpusBank(CORPORA, 0).rows(name)}
        rows1 = {r["prompt"] for r in CorpusBank(CORPORA, 1).rows(name)}
        assert rows0 and rows1 and not rows0 & rows1, name
    prompts_d = {e["prompt"] for e in dev_real[0]}
    prompts_b = {e["prompt"] for e in blind_real[0]}
    assert len(prompts_d & prompts_b) < 0.02 * len(prompts_b)


@pytest.mark.parametrize("which", ["dev_builtin", "blind_real"])
def test_every_family_present_with_its_kind(which: str, request: pytest.FixtureRequest) -> None:
    _events, labels, params = request.getfixturevalue(which)
    assert {lab["family"] for lab in labels} == set(families())
    for fam, kind in families().items():
        assert params["families"][fam]["events"] > 0, fam
        assert {lab["kind"] for lab in labels if lab["family"] == fam} == {kind}
    new_normals = [f for f, k in families().items() if k == "normal" and f.startswith("normal_")]
    assert sum(1 for f, k in families().items() if k == "campaign") >= 4
    assert len(new_normals) >= 6 + 6  # the background's normal families plus at least six new ones
    assert {c["leak"] for c in params["campaigns"]} == set(LEVELS)


@pytest.mark.parametrize("which", ["dev_builtin", "blind_real"])
def test_events_validate_and_are_sorted(which: str, request: pytest.FixtureRequest) -> None:
    events, _labels, params = request.getfixturevalue(which)
    keys = [(e["ts"], e["event_id"]) for e in events]
    assert keys == sorted(keys)
    assert len({e["event_id"] for e in events}) == len(events)
    for e in events:
        RequestEvent.model_validate(e)
        assert params["start_ts"] <= e["ts"] < params["end_ts"]
        assert e["account_created_ts"] <= e["ts"]


@pytest.mark.parametrize("which", ["dev_builtin", "blind_real"])
def test_labels_cover_every_account_once(which: str, request: pytest.FixtureRequest) -> None:
    events, labels, params = request.getfixturevalue(which)
    accounts = [lab["account_id"] for lab in labels]
    assert len(accounts) == len(set(accounts))
    assert set(accounts) == {e["account_id"] for e in events}
    campaign_ids = {c["campaign_id"] for c in params["campaigns"]}
    for lab in labels:
        assert set(lab) == {"account_id", "family", "campaign_id", "kind"}
        assert (lab["kind"] == "campaign") == (lab["campaign_id"] is not None)
        if lab["kind"] == "campaign":
            assert lab["campaign_id"] in campaign_ids
    sizes = collections.Counter(lab["campaign_id"] for lab in labels if lab["campaign_id"])
    assert all(8 <= n <= 40 for n in sizes.values())


def test_no_label_leaks_into_events(blind_builtin: tuple) -> None:
    events, labels, _params = blind_builtin
    campaign_ids = {lab["campaign_id"] for lab in labels if lab["campaign_id"]}
    names = set(families())
    for e in events[::5]:
        blob = orjson.dumps(e).decode()
        assert not any(name in blob for name in names)
        assert not any(cid in blob for cid in campaign_ids)


def test_campaign_accounts_look_individual(blind_real: tuple) -> None:
    """Own card per account everywhere; at leak level none also an own /24 and no repeated item."""
    events, labels, params = blind_real
    lab = {x["account_id"]: x for x in labels}
    leak = {c["campaign_id"]: c["leak"] for c in params["campaigns"]}
    cards: dict[str, set[str]] = collections.defaultdict(set)
    owners_24: dict[str, set[str]] = collections.defaultdict(set)
    for e in events:
        cid = lab[e["account_id"]]["campaign_id"]
        if cid is None:
            continue
        cards[e["payment_fingerprint"]].add(e["account_id"])
        if leak[cid] == "none":
            owners_24[e["ip"].rsplit(".", 1)[0]].add(e["account_id"])
    assert all(len(v) == 1 for v in cards.values())
    assert owners_24 and all(len(v) == 1 for v in owners_24.values())


def test_high_leak_campaigns_share_client_and_system_prompt(blind_real: tuple) -> None:
    events, labels, params = blind_real
    lab = {x["account_id"]: x for x in labels}
    high = {c["campaign_id"] for c in params["campaigns"] if c["leak"] == "high"}
    agents: dict[str, set] = collections.defaultdict(set)
    systems: dict[str, set] = collections.defaultdict(set)
    for e in events:
        cid = lab[e["account_id"]]["campaign_id"]
        if cid in high:
            agents[cid].add(e.get("user_agent"))
            systems[cid].add(e.get("system_prompt"))
    assert agents and all(len(v) == 1 for v in agents.values())
    assert all(len(v) == 1 for v in systems.values())


@pytest.mark.parametrize("ordered", [False, True])
def test_partition_never_repeats_an_item_inside_a_campaign(ordered: bool) -> None:
    import random

    pool = [f"item {i}" for i in range(600)]
    part = Partition(pool, random.Random(3), ordered, 12)
    seen: list[str] = []
    for slot in range(12):
        stream = part.stream(slot)
        seen.extend(stream(random.Random(slot)) for _ in range(40))
    assert len(seen) == len(set(seen))


def test_write(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        params = write(tmp_path, "blind", scale=SCALE)
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()
    assert len(lines) == params["counts"]["events"]
    assert len((tmp_path / "labels.jsonl").read_bytes().splitlines()) == params["counts"]["accounts"]
    assert orjson.loads((tmp_path / "scenario.json").read_bytes())["generator"] == "redteam-3"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate("test")
    with pytest.raises(ValueError):
        generate("dev", scale=0)


def test_simulate_command_writes_the_three_files(tmp_path: Path) -> None:
    out = tmp_path / "rt3"
    args = ["simulate", "--scenario", "redteam3-dev", "--scale", str(SCALE), "--out", str(out)]
    result = CliRunner().invoke(main, args, env={"DISTILLGUARD_CORPORA": str(tmp_path / "absent")})
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {"events.jsonl", "labels.jsonl", "scenario.json"}
    params = orjson.loads((out / "scenario.json").read_bytes())
    assert params["generator"] == "redteam-3" and params["split"] == "dev"
    labels = [orjson.loads(line) for line in (out / "labels.jsonl").read_bytes().splitlines()]
    assert {row["kind"] for row in labels} == {"campaign", "normal"}
