"""Tests of the red-team scenario generator (evaluation/redteam): determinism, splits, schema, labels."""

from __future__ import annotations

import collections
import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from distillguard.evaluation.redteam import families, generate, write
from distillguard.evaluation.redteam.common import split_variants, text_half
from distillguard.evaluation.redteam.phrasing import full_pool, pool_names
from distillguard.schemas.request_event import RequestEvent
from distillguard.streams.cli import main

SCALE = 0.05
CORPORA = Path(os.environ.get("DISTILLGUARD_CORPORA") or "../shared/corpora")
HAVE_CORPORA = (CORPORA / "gsm8k" / "prompts.jsonl").is_file()


def _builtin(split: str, seed: int | None = None) -> tuple[list[dict], list[dict], dict]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        return generate(split, seed=seed, corpora_root=None, scale=SCALE)


@pytest.fixture(scope="module")
def blind_builtin() -> tuple[list[dict], list[dict], dict]:
    return _builtin("blind")


@pytest.fixture(scope="module")
def dev_builtin() -> tuple[list[dict], list[dict], dict]:
    return _builtin("dev")


@pytest.fixture(scope="module")
def blind_real() -> tuple[list[dict], list[dict], dict]:
    if not HAVE_CORPORA:
        pytest.skip("corpora not available")
    return generate("blind", corpora_root=CORPORA, scale=SCALE)


def test_no_corpora_warns_once_and_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    events, labels, params = _builtin("dev", seed=7)
    err = capsys.readouterr().err
    assert err.count("DISTILLGUARD_CORPORA") == 1
    assert len(err.strip().splitlines()) == 1
    assert events and labels and params["corpora"]["real_text"] is False


def test_deterministic_for_a_seed(blind_builtin: tuple) -> None:
    again = _builtin("blind")
    assert again[0] == blind_builtin[0]
    assert again[1] == blind_builtin[1]
    assert blind_builtin[2]["seed"] == 9001


def test_dev_and_blind_differ(blind_builtin: tuple, dev_builtin: tuple) -> None:
    assert dev_builtin[2]["seed"] == 4242 and blind_builtin[2]["seed"] == 9001
    assert dev_builtin[2]["corpus_half"] != blind_builtin[2]["corpus_half"]
    ids_b = {e["event_id"] for e in blind_builtin[0]}
    assert not ids_b & {e["event_id"] for e in dev_builtin[0]}
    assert not {lab["account_id"] for lab in blind_builtin[1]} & {lab["account_id"] for lab in dev_builtin[1]}
    prompts_b = {e["prompt"] for e in blind_builtin[0]}
    prompts_d = {e["prompt"] for e in dev_builtin[0]}
    assert len(prompts_b & prompts_d) < 0.02 * len(prompts_b)


@pytest.mark.parametrize("which", ["blind_builtin", "blind_real"])
def test_every_family_present(which: str, request: pytest.FixtureRequest) -> None:
    _events, labels, params = request.getfixturevalue(which)
    present = {lab["family"] for lab in labels}
    assert present == set(families())
    for fam, kind in families().items():
        assert params["families"][fam]["events"] > 0, fam
        assert {lab["kind"] for lab in labels if lab["family"] == fam} == {kind}


@pytest.mark.parametrize("which", ["blind_builtin", "blind_real"])
def test_events_validate_and_are_ordered(which: str, request: pytest.FixtureRequest) -> None:
    events, _labels, params = request.getfixturevalue(which)
    ids = set()
    last = 0
    for e in events:
        RequestEvent.model_validate(e)
        assert e["ts"] >= last
        last = e["ts"]
        assert params["start_ts"] <= e["ts"] < params["end_ts"]
        assert e["account_created_ts"] <= e["ts"]
        ids.add(e["event_id"])
    assert len(ids) == len(events)


@pytest.mark.parametrize("which", ["blind_builtin", "blind_real"])
def test_labels_cover_every_account_once(which: str, request: pytest.FixtureRequest) -> None:
    events, labels, _params = request.getfixturevalue(which)
    accounts = [lab["account_id"] for lab in labels]
    assert len(accounts) == len(set(accounts))
    assert set(accounts) == {e["account_id"] for e in events}
    for lab in labels:
        assert set(lab) == {"account_id", "family", "campaign_id", "kind"}
        assert (lab["kind"] == "normal") == (lab["campaign_id"] is None)


@pytest.mark.parametrize("which", ["blind_builtin", "blind_real"])
def test_no_label_leaks_into_events(which: str, request: pytest.FixtureRequest) -> None:
    events, labels, _params = request.getfixturevalue(which)
    campaign_ids = {lab["campaign_id"] for lab in labels if lab["campaign_id"]}
    names = set(families())
    for e in events[::3]:
        blob = orjson.dumps(e).decode()
        assert not any(name in blob for name in names)
        assert not any(cid in blob for cid in campaign_ids)


def test_family_invariants(blind_real: tuple) -> None:
    events, labels, params = blind_real
    lab = {x["account_id"]: x for x in labels}
    by_family: dict[str, list[dict]] = collections.defaultdict(list)
    for e in events:
        by_family[lab[e["account_id"]]["family"]].append(e)
    release, new_model = params["release_ts"], params["models"]["released"]
    for e in by_family["release_rush"]:
        assert e["model"] == new_model and e["account_created_ts"] >= release
    per_acct = collections.Counter(e["account_id"] for e in by_family["low_volume_spread"])
    assert max(per_acct.values()) <= 20
    for fam in ("aged_hydra", "low_volume_spread"):
        owners_24: dict[str, set[str]] = collections.defaultdict(set)
        owners_card: dict[str, set[str]] = collections.defaultdict(set)
        for e in by_family[fam]:
            owners_24[e["ip"].rsplit(".", 1)[0]].add(e["account_id"])
            owners_card[e["payment_fingerprint"]].add(e["account_id"])
        assert all(len(v) == 1 for v in owners_24.values()), fam
        assert all(len(v) == 1 for v in owners_card.values()), fam
    for e in by_family["normal_classroom"]:
        assert e["asn_type"] == "education"
    assert {e["asn_type"] for e in by_family["normal_cgnat"]} == {"mobile"}


def test_split_rules() -> None:
    for name in pool_names():
        for lang in ("en", "zh", "ru", "es", "de", "fr", "ja"):
            try:
                variants = full_pool(name, lang)
            except KeyError:
                continue
            if len(variants) < 2:
                continue
            dev, blind = split_variants(variants, 0), split_variants(variants, 1)
            assert dev and blind and not set(dev) & set(blind), (name, lang)
            assert set(dev) | set(blind) == set(variants)
    assert text_half("What is 2 + 2?") == text_half("  what is 2   +  2?")


def test_write(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        params = write(tmp_path, "dev", scale=0.02)
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()
    assert len(lines) == params["counts"]["events"]
    assert orjson.loads(lines[0])["schema_version"] == 1
    labels = (tmp_path / "labels.jsonl").read_bytes().splitlines()
    assert len(labels) == params["counts"]["accounts"]
    assert orjson.loads((tmp_path / "scenario.json").read_bytes())["split"] == "dev"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate("test")
    with pytest.raises(ValueError):
        generate("dev", scale=0)


def test_simulate_command_writes_a_labelled_redteam_dev_set_without_corpora(tmp_path: Path) -> None:
    """The CLI path: seeded, labelled, and loud (one warning naming the variable) when corpora are absent."""
    out = tmp_path / "dev"
    args = ["simulate", "--scenario", "redteam-dev", "--scale", str(SCALE), "--out", str(out)]
    result = CliRunner().invoke(main, args, env={"DISTILLGUARD_CORPORA": str(tmp_path / "absent")})
    assert result.exit_code == 0, result.output
    assert "DISTILLGUARD_CORPORA" in result.stderr
    labels = [orjson.loads(line) for line in (out / "labels.jsonl").read_bytes().splitlines()]
    accounts = {orjson.loads(line)["account_id"] for line in (out / "events.jsonl").read_bytes().splitlines()}
    assert {row["account_id"] for row in labels} == accounts
    assert {row["kind"] for row in labels} == {"campaign", "normal"}
