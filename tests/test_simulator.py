"""Tests of the labelled traffic simulator (no broker): determinism, ordering, schema validity, label
hygiene, the builtin-corpus fallback, split disjointness and the low-and-slow property of campaigns."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from distillguard.evaluation.corpora import CORPUS_CLASS, ENV_VAR, PromptLibrary, normalise
from distillguard.evaluation.scenarios import (
    CAMPAIGN_FAMILIES,
    HOUR_MS,
    NORMAL_FAMILIES,
    Scenario,
    get_scenario,
)
from distillguard.evaluation.simulator import iter_events, labels, write_scenario
from distillguard.schemas.request_event import RequestEvent

RATE_QUANTILE = 0.99
LOW_RATE_FAMILIES = ("hydra_agentic", "low_and_slow")
HIGH_RATE_FAMILIES = ("enterprise", "coding_agent")
IDENTIFIER_FIELDS = ("event_id", "account_id", "org_id", "api_key_id", "payment_fingerprint", "user_agent")
SMALL_MAX_EVENTS = 15_000
REPO_ROOT = Path(__file__).resolve().parents[1]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return [orjson.loads(line) for line in handle]


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_scenario(get_scenario("small"), out)
    return out


@pytest.fixture(scope="module")
def small_events(small_dir: Path) -> list[dict[str, Any]]:
    return _read_jsonl(small_dir / "events.jsonl")


@pytest.fixture(scope="module")
def small_labels(small_dir: Path) -> dict[str, dict[str, Any]]:
    return {row["account_id"]: row for row in _read_jsonl(small_dir / "labels.jsonl")}


def _tiny(scenario: Scenario, hours: float = 6.0) -> Scenario:
    """The small preset cut to a few hours: enough for properties that do not need a whole day."""
    return replace(scenario, duration_hours=hours, new_model_release_hour=hours / 2)


def test_same_seed_gives_identical_bytes(small_dir: Path, tmp_path: Path) -> None:
    write_scenario(get_scenario("small"), tmp_path)
    for name in ("events.jsonl", "labels.jsonl", "scenario.json"):
        assert (tmp_path / name).read_bytes() == (small_dir / name).read_bytes(), name


def test_output_independent_of_process_hash_seed(small_dir: Path, tmp_path: Path) -> None:
    """A fresh interpreter with another PYTHONHASHSEED writes the same bytes (no set/dict-order leaks)."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "distillguard.streams.cli",
            "simulate",
            "--scenario",
            "small",
            "--out",
            str(tmp_path),
        ],
        check=True,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
    )
    assert (tmp_path / "events.jsonl").read_bytes() == (small_dir / "events.jsonl").read_bytes()


def test_different_seed_differs() -> None:
    first = list(itertools.islice(iter_events(_tiny(get_scenario("small", seed=1))), 200))
    second = list(itertools.islice(iter_events(_tiny(get_scenario("small", seed=2))), 200))
    assert first != second
    assert {e["account_id"] for e in first}.isdisjoint({e["account_id"] for e in second})


def test_small_preset_size(small_events: list[dict[str, Any]], small_dir: Path) -> None:
    assert 0 < len(small_events) <= SMALL_MAX_EVENTS
    summary = orjson.loads((small_dir / "scenario.json").read_bytes())["summary"]
    assert summary["events"] == len(small_events)
    assert set(summary["accounts_by_family"]) == set(NORMAL_FAMILIES) | set(CAMPAIGN_FAMILIES)
    assert all(count > 0 for count in summary["events_by_family"].values())


def test_events_in_timestamp_order_inside_window(small_events: list[dict[str, Any]]) -> None:
    scenario = get_scenario("small")
    stamps = [e["ts"] for e in small_events]
    assert stamps == sorted(stamps)
    assert scenario.start_ts <= stamps[0] and stamps[-1] < scenario.end_ts


def test_every_event_validates(small_events: list[dict[str, Any]]) -> None:
    for event in small_events:
        parsed = RequestEvent.model_validate(event)
        assert parsed.schema_version == 1
        assert event.keys() <= RequestEvent.model_fields.keys()
        created = event.get("account_created_ts")
        assert created is None or created <= event["ts"]
    assert len({e["event_id"] for e in small_events}) == len(small_events)


def test_labels_cover_accounts_and_stay_out_of_events(
    small_events: list[dict[str, Any]], small_labels: dict[str, dict[str, Any]]
) -> None:
    assert {e["account_id"] for e in small_events} <= small_labels.keys()
    for row in small_labels.values():
        assert set(row) == {"account_id", "family", "campaign_id", "kind"}
        if row["kind"] == "normal":
            assert row["family"] in NORMAL_FAMILIES and row["campaign_id"] is None
        else:
            assert row["kind"] == "campaign" and row["family"] in CAMPAIGN_FAMILIES and row["campaign_id"]
    campaign_ids = {row["campaign_id"] for row in small_labels.values() if row["campaign_id"]}
    label_words = set(NORMAL_FAMILIES) | set(CAMPAIGN_FAMILIES) | {"campaign", "normal"}
    for event in small_events:
        for name in IDENTIFIER_FIELDS:
            value = str(event.get(name, "")).lower()
            assert not any(word in value for word in label_words), (name, value)
        text = orjson.dumps(event).decode()
        assert not any(f'"{cid}"' in text for cid in campaign_ids)
    assert labels(get_scenario("small")) == sorted(small_labels.values(), key=lambda r: r["account_id"])


def _hourly_quantile(
    events: list[dict[str, Any]], family_of: dict[str, str], families: tuple[str, ...]
) -> int:
    counts = Counter(
        (e["account_id"], e["ts"] // HOUR_MS) for e in events if family_of[e["account_id"]] in families
    )
    values = sorted(counts.values())
    return values[min(len(values) - 1, int(RATE_QUANTILE * len(values)))]


def test_campaign_accounts_stay_below_per_account_rates(
    small_events: list[dict[str, Any]], small_labels: dict[str, dict[str, Any]]
) -> None:
    family_of = {a: row["family"] for a, row in small_labels.items()}
    low = _hourly_quantile(small_events, family_of, LOW_RATE_FAMILIES)
    high = _hourly_quantile(small_events, family_of, HIGH_RATE_FAMILIES)
    assert low < high
    assert low * 5 < high  # not a near miss: campaigns hide in per-account volume


def test_campaigns_share_infrastructure(
    small_events: list[dict[str, Any]], small_labels: dict[str, dict[str, Any]]
) -> None:
    """Hydra accounts rotate through a shared pool of /24s; low-and-slow accounts spread over many."""
    subnets: dict[str, set[str]] = defaultdict(set)
    accounts_per_subnet: dict[str, set[str]] = defaultdict(set)
    for event in small_events:
        subnet = event["ip"].rsplit(".", 1)[0]
        subnets[event["account_id"]].add(subnet)
        if small_labels[event["account_id"]]["family"] == "hydra_agentic":
            accounts_per_subnet[subnet].add(event["account_id"])
    assert max(len(a) for a in accounts_per_subnet.values()) > 1
    slow = [
        len(subnets[a]) for a, row in small_labels.items() if row["family"] == "low_and_slow" and subnets[a]
    ]
    casual = [len(subnets[a]) for a, row in small_labels.items() if row["family"] == "casual" and subnets[a]]
    assert sorted(slow)[len(slow) // 2] > sorted(casual)[len(casual) // 2]


def test_model_pivot_follows_the_release(
    small_events: list[dict[str, Any]], small_labels: dict[str, dict[str, Any]]
) -> None:
    scenario = get_scenario("small")
    new = [e for e in small_events if e["model"] == scenario.new_model]
    assert new and min(e["ts"] for e in new) >= scenario.release_ts
    latest_switch = scenario.release_ts + max(c.pivot_delay_hours[1] for c in scenario.campaigns) * HOUR_MS
    pivot = [
        e
        for e in small_events
        if small_labels[e["account_id"]]["family"] == "model_pivot" and e["ts"] >= latest_switch
    ]
    normal = [e for e in small_events if small_labels[e["account_id"]]["family"] == "casual"]
    pivot_share = sum(e["model"] == scenario.new_model for e in pivot) / len(pivot)
    normal_share = sum(e["model"] == scenario.new_model for e in normal) / len(normal)
    assert pivot_share >= 0.5 > normal_share


def test_runs_without_corpora(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "no-such-corpora"))
    summary = write_scenario(_tiny(get_scenario("small")), tmp_path / "out")
    assert summary["corpus_source"] == "builtin"
    assert summary["events"] > 0
    for event in _read_jsonl(tmp_path / "out" / "events.jsonl"):
        RequestEvent.model_validate(event)


@pytest.mark.parametrize("root", ["auto", None])
def test_split_halves_are_disjoint(root: str | None) -> None:
    tune = PromptLibrary("tune", root=root)  # type: ignore[arg-type]
    holdout = PromptLibrary("holdout", root=root)  # type: ignore[arg-type]
    for name in CORPUS_CLASS:
        a = {normalise(t) for t in tune.pool(name)}
        b = {normalise(t) for t in holdout.pool(name)}
        assert a and b and a.isdisjoint(b), name


def test_presets_and_seed_override() -> None:
    assert get_scenario("small", seed=5).seed == 5
    assert get_scenario("holdout").split == "holdout"
    full = get_scenario("full")
    specs = Counter()
    for spec in full.campaigns:
        specs[spec.family] += spec.campaigns
    assert all(specs[f] >= 2 for f in CAMPAIGN_FAMILIES)
    dev = get_scenario("dev")
    assert dev.split == "tune" and dev.seed != full.seed, "dev validates on tune prompts, another seed"
    slow = {spec.family: spec for spec in dev.campaigns}["low_and_slow"]
    holdout_slow = {spec.family: spec for spec in get_scenario("holdout").campaigns}["low_and_slow"]
    assert slow.requests_per_account_per_day == holdout_slow.requests_per_account_per_day
    assert slow.templates != holdout_slow.templates, "dev must not see the holdout templates"
    with pytest.raises(ValueError, match="unknown scenario"):
        get_scenario("nope")
