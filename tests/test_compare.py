"""``distillguard compare``: pooled recall, flagged normal accounts per class and recall at equal normal
counts, read from labels and alerts files."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from click.testing import CliRunner

from distillguard.evaluation.cli import compare
from distillguard.evaluation.compare import AccountOutcome, load_outcomes, recall_at_normals, summarise


def _write_run(directory: Path, alerts: dict[str, list[tuple[float, str]]], name: str) -> None:
    """Two campaign families and two normal classes; ``alerts`` maps an account to (score, severity)s."""
    directory.mkdir(parents=True, exist_ok=True)
    labels = [
        {"account_id": "c1", "family": "hydra", "campaign_id": "k1", "kind": "campaign"},
        {"account_id": "c2", "family": "hydra", "campaign_id": "k1", "kind": "campaign"},
        {"account_id": "c3", "family": "drip", "campaign_id": "k2", "kind": "campaign"},
        {"account_id": "n1", "family": "researcher", "kind": "normal"},
        {"account_id": "n2", "family": "researcher", "kind": "normal"},
        {"account_id": "n3", "family": "casual", "kind": "normal"},
    ]
    (directory / "labels.jsonl").write_bytes(b"\n".join(orjson.dumps(row) for row in labels) + b"\n")
    rows = [
        {"account_id": account, "score": score, "severity": severity}
        for account, scored in alerts.items()
        for score, severity in scored
    ]
    body = b"\n".join(orjson.dumps(row) for row in rows) + b"\n{truncated"
    (directory / name).write_bytes(body)


ALERTS = {
    "c1": [(0.35, "low"), (0.92, "high")],
    "c2": [(0.55, "low")],
    "c3": [(0.45, "low")],
    "n1": [(0.7, "medium")],
    "n2": [(0.5, "low")],
}


def test_peaks_flags_and_recall_at_equal_normal_counts(tmp_path: Path) -> None:
    _write_run(tmp_path / "run", ALERTS, "alerts.jsonl")
    outcomes, invalid = load_outcomes(tmp_path / "run" / "labels.jsonl", tmp_path / "run" / "alerts.jsonl")
    assert invalid == 1  # the truncated last line is counted, not fatal
    by_account = {o.account_id: o for o in outcomes}
    assert by_account["c1"].peak_score == 0.92 and by_account["c1"].flagged
    assert by_account["n3"].peak_score == 0.0 and not by_account["n3"].flagged  # never alerted
    summary = summarise(outcomes, budgets=(0, 1, 2))
    assert summary["recall"] == 1 / 3 and summary["recall_by_family"] == {"drip": 0.0, "hydra": 0.5}
    assert summary["normals_flagged_by_class"] == {"researcher": [1, 2]}
    # at most 0 normal accounts: above 0.7 (c1 only); at most 1: above 0.5 (c1, c2); at most 2: above 0
    assert summary["recall_at_normals"] == {0: 1 / 3, 1: 2 / 3, 2: 1.0}
    assert recall_at_normals([o for o in outcomes if o.kind != "campaign"], 1) is None


def test_an_account_held_at_low_ranks_below_every_flagged_one() -> None:
    # A band rule may hold an account at low whatever its score: at equal normal counts it must count
    # as not flagged, not by its score.
    outcomes = [
        AccountOutcome("c1", "campaign", "hydra", 0.65, True),
        AccountOutcome("c2", "campaign", "hydra", 0.62, False),
        AccountOutcome("n1", "normal", "judge", 0.69, False),
        AccountOutcome("n2", "normal", "casual", 0.0, False),
    ]
    # With no normal account: c1, although n1 scores higher (by score alone nothing would be above n1).
    assert recall_at_normals(outcomes, 0) == 0.5
    assert recall_at_normals(outcomes, 1) == 1.0  # n1 in, n2 not: both campaign accounts are above n2


def test_the_command_pools_runs_and_compares_versions(tmp_path: Path) -> None:
    better = {**ALERTS, "c3": [(0.8, "medium")], "n1": [(0.4, "low")]}
    for run in ("a", "b"):
        _write_run(tmp_path / run, ALERTS, "alerts-old.jsonl")
        _write_run(tmp_path / run, better, "alerts-new.jsonl")
    out = tmp_path / "compare.json"
    args = ["--run", str(tmp_path / "a"), "--run", str(tmp_path / "b"), "--alerts", "alerts-old.jsonl"]
    args += ["--alerts", "alerts-new.jsonl", "--budgets", "0,2", "--json", str(out)]
    result = CliRunner().invoke(compare, args)
    assert result.exit_code == 0, result.output
    assert "alerts-old.jsonl: recall 2/6" in result.output
    versions = json.loads(out.read_text())["versions"]
    assert versions["alerts-old.jsonl"]["normals_flagged"] == 2
    assert versions["alerts-new.jsonl"]["normals_flagged"] == 0
    assert versions["alerts-new.jsonl"]["recall"] == 4 / 6
    # every campaign peak (0.55 and up) is above both runs' highest normal peak (0.5)
    assert versions["alerts-new.jsonl"]["recall_at_normals"] == {"0": 1.0, "2": 1.0}
    missing = CliRunner().invoke(compare, ["--run", str(tmp_path / "a"), "--alerts", "nope.jsonl"])
    assert missing.exit_code != 0 and "does not exist" in missing.output
