"""Tests of the second red-team generator (evaluation/redteam2): determinism, splits, schema, labels."""

from __future__ import annotations

import collections
import os
import re
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from distillguard.evaluation.redteam.common import split_variants
from distillguard.evaluation.redteam2 import families, generate, write
from distillguard.evaluation.redteam2.phrasing2 import LANGS, full_pool, pool_languages, pool_names
from distillguard.schemas.request_event import RequestEvent
from distillguard.streams.cli import main

SCALE = 0.03
CORPORA = Path(os.environ.get("DISTILLGUARD_CORPORA") or "../shared/corpora")
HAVE_CORPORA = (CORPORA / "gsm8k" / "prompts.jsonl").is_file()
ATTACKS = {
    "org_shelter",
    "mundane_dilution",
    "persona_mimicry",
    "slow_drip",
    "translation_laundering",
    "synthetic_data_factory",
    "tool_trajectory_harvest",
    "release_day_swarm",
}
NEW_NORMALS = {
    "normal_saas_proxy",
    "normal_data_labeling_vendor",
    "normal_tutoring_app_multilingual",
    "normal_eval_harness_startup",
    "normal_translation_pipeline",
    "normal_student_cohort",
}


def _builtin(
    split: str, seed: int | None = None, scale: float = SCALE
) -> tuple[list[dict], list[dict], dict]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        return generate(split, seed=seed, corpora_root=None, scale=scale)


@pytest.fixture(scope="module")
def blind_builtin() -> tuple[list[dict], list[dict], dict]:
    return _builtin("blind")


@pytest.fixture(scope="module")
def dev_builtin() -> tuple[list[dict], list[dict], dict]:
    return _builtin("dev")


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


def test_no_corpora_warns_once_and_still_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        events, labels, params = generate("dev", seed=11, corpora_root=None, scale=0.02)
    err = capsys.readouterr().err
    assert err.count("DISTILLGUARD_CORPORA") == 1 and len(err.strip().splitlines()) == 1
    assert events and labels and params["corpora"]["real_text"] is False
    # an existing but empty folder: every corpus is reported missing (with a warning), built-in text stands in
    events, labels, params = generate("dev", seed=11, corpora_root=empty, scale=0.02)
    assert "missing" in capsys.readouterr().err
    assert events and labels and params["corpora"]["missing"]
    assert {lab["family"] for lab in labels} == set(families())


def test_deterministic_for_a_split_and_seed(blind_builtin: tuple) -> None:
    again = _builtin("blind")
    assert again[0] == blind_builtin[0]
    assert again[1] == blind_builtin[1]
    assert blind_builtin[2]["seed"] == 7103
    other = _builtin("blind", seed=1, scale=0.02)
    assert other[2]["seed"] == 1
    assert {e["event_id"] for e in other[0][:50]}.isdisjoint({e["event_id"] for e in blind_builtin[0]})


def test_dev_and_blind_differ(blind_builtin: tuple, dev_builtin: tuple) -> None:
    assert dev_builtin[2]["seed"] == 5150 and blind_builtin[2]["seed"] == 7103
    assert dev_builtin[2]["corpus_half"] != blind_builtin[2]["corpus_half"]
    assert not {e["event_id"] for e in blind_builtin[0]} & {e["event_id"] for e in dev_builtin[0]}
    assert not {lab["account_id"] for lab in blind_builtin[1]} & {lab["account_id"] for lab in dev_builtin[1]}


def test_phrase_pools_split_into_disjoint_halves() -> None:
    assert set(LANGS) >= {"en", "zh", "ru", "es", "de", "fr", "ja", "pt", "ko", "ar", "hi", "tr"}
    assert set(pool_languages("trace_ask")) == set(LANGS)
    for name in pool_names():
        for lang in pool_languages(name):
            variants = full_pool(name, lang)
            assert len(variants) >= 2, (name, lang)
            assert len(set(variants)) == len(variants), (name, lang)
            dev, blind = split_variants(variants, 0), split_variants(variants, 1)
            assert dev and blind and not set(dev) & set(blind), (name, lang)
            assert set(dev) | set(blind) == set(variants)


def _fragments(half: int) -> list[str]:
    """The longest literal (slot-free) piece of every variant of ``half``, when distinctive enough."""
    out = []
    for name in pool_names():
        for lang in pool_languages(name):
            for variant in split_variants(full_pool(name, lang), half):
                pieces = re.split(r"\{\w+\}", variant)
                longest = max((p.strip() for p in pieces), key=len)
                if len(longest) >= (24 if lang == "en" else 12):
                    out.append(longest)
    return out


def test_no_phrasing_variant_crosses_splits(request: pytest.FixtureRequest) -> None:
    """No dev event carries text of a blind-half variant, and no blind event text of a dev-half one."""
    suffix = "real" if HAVE_CORPORA else "builtin"
    for split, other_half in (("dev", 1), ("blind", 0)):
        events = request.getfixturevalue(f"{split}_{suffix}")[0]
        blob = "\n".join(f"{e.get('prompt', '')}\n{e.get('system_prompt', '')}" for e in events)
        leaked = [f for f in _fragments(other_half) if f in blob]
        assert not leaked, (split, leaked[:5])
        assert sum(f in blob for f in _fragments(1 - other_half)) > 40  # the check is not vacuous


@pytest.mark.parametrize("which", ["blind_builtin", "blind_real"])
def test_every_family_present(which: str, request: pytest.FixtureRequest) -> None:
    _events, labels, params = request.getfixturevalue(which)
    assert set(families()) >= ATTACKS and set(families()) >= NEW_NORMALS
    assert {lab["family"] for lab in labels} == set(families())
    for fam, kind in families().items():
        assert params["families"][fam]["events"] > 0, fam
        assert {lab["kind"] for lab in labels if lab["family"] == fam} == {kind}
        assert kind == ("normal" if fam.startswith("normal_") else "campaign")


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
    assert params["start_ts"] < params["release_ts"] < params["end_ts"]


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
    events, labels, params = request.getfixturevalue(which)
    campaign_ids = {lab["campaign_id"] for lab in labels if lab["campaign_id"]}
    words = set(families()) | {"redteam"}
    for e in events:
        blob = orjson.dumps(e).decode()
        assert not any(w in blob for w in words), blob[:200]
        assert not any(cid in blob for cid in campaign_ids)
    assert {c["campaign_id"] for c in params["campaigns"]} >= campaign_ids


def test_family_invariants(blind_real: tuple) -> None:
    events, labels, params = blind_real
    lab = {x["account_id"]: x for x in labels}
    by_family: dict[str, list[dict]] = collections.defaultdict(list)
    for e in events:
        by_family[lab[e["account_id"]]["family"]].append(e)
    release, new_model = params["release_ts"], params["models"]["released"]
    # org shelter: every request under an org; one card per org; several keys per org
    cards, keys = collections.defaultdict(set), collections.defaultdict(set)
    for e in by_family["org_shelter"]:
        cards[e["org_id"]].add(e["payment_fingerprint"])
        keys[e["org_id"]].add(e["api_key_id"])
    assert all(len(v) == 1 for v in cards.values()) and max(len(v) for v in keys.values()) >= 2
    # slow drip: at most 4 requests per account per day, own card and /24
    per_day = collections.Counter(
        (e["account_id"], (e["ts"] - params["start_ts"]) // 86_400_000) for e in by_family["slow_drip"]
    )
    assert max(per_day.values()) <= 4
    for fam in ("slow_drip", "mundane_dilution"):
        owners_24, owners_card = collections.defaultdict(set), collections.defaultdict(set)
        for e in by_family[fam]:
            if e["asn_type"] == "isp":
                owners_24[e["ip"].rsplit(".", 1)[0]].add(e["account_id"])
            owners_card[e["payment_fingerprint"]].add(e["account_id"])
        assert all(len(v) == 1 for v in owners_24.values()), fam
        assert all(len(v) == 1 for v in owners_card.values()), fam
    # release-day swarm: aged accounts, new model only after the release, and every account uses it
    swarm_new = collections.defaultdict(int)
    for e in by_family["release_day_swarm"]:
        assert e["account_created_ts"] < release - 24 * 3_600_000
        if e["model"] == new_model:
            assert e["ts"] >= release
            swarm_new[e["account_id"]] += 1
    assert len(swarm_new) == len({e["account_id"] for e in by_family["release_day_swarm"]})
    # tool trajectories: each account declares its own tool names
    tool_sets = {tuple(e["tools"]) for e in by_family["tool_trajectory_harvest"]}
    tool_accounts = {e["account_id"] for e in by_family["tool_trajectory_harvest"]}
    assert len(tool_sets) == len(tool_accounts)
    # translation laundering uses the low-resource languages' scripts
    text = "".join(e["prompt"] for e in by_family["translation_laundering"])
    assert re.search(
        r"[\u0980-\u09ff\u0c00-\u0c7f\u0e00-\u0e7f\u0600-\u06ff\u0900-\u097f\uac00-\ud7af]", text
    )
    for e in by_family["normal_student_cohort"][:50]:
        assert e["account_tier"] in ("education", "free")


def test_write(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DISTILLGUARD_CORPORA", raising=False)
        params = write(tmp_path, "dev", scale=0.02)
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()
    assert len(lines) == params["counts"]["events"]
    assert orjson.loads(lines[0])["schema_version"] == 1
    assert len((tmp_path / "labels.jsonl").read_bytes().splitlines()) == params["counts"]["accounts"]
    assert orjson.loads((tmp_path / "scenario.json").read_bytes())["split"] == "dev"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate("test")
    with pytest.raises(ValueError):
        generate("dev", scale=0)


def test_simulate_command_writes_a_labelled_redteam2_dev_set_without_corpora(tmp_path: Path) -> None:
    out = tmp_path / "dev"
    args = ["simulate", "--scenario", "redteam2-dev", "--scale", "0.02", "--out", str(out)]
    result = CliRunner().invoke(main, args, env={"DISTILLGUARD_CORPORA": str(tmp_path / "absent")})
    assert result.exit_code == 0, result.output
    assert "DISTILLGUARD_CORPORA" in result.stderr
    labels = [orjson.loads(line) for line in (out / "labels.jsonl").read_bytes().splitlines()]
    accounts = {orjson.loads(line)["account_id"] for line in (out / "events.jsonl").read_bytes().splitlines()}
    assert {row["account_id"] for row in labels} == accounts
    assert {row["kind"] for row in labels} == {"campaign", "normal"}
    assert orjson.loads((out / "scenario.json").read_bytes())["generator"].startswith("redteam2")
