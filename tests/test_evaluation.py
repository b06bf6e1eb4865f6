"""Evaluation tooling: metrics by hand, runner traces with a fake detector, sweep, report files. No broker."""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from distillguard.evaluation.evaluate import evaluate
from distillguard.evaluation.metrics import (
    Label,
    compute_metrics,
    family_verdict,
    load_alerts,
    load_labels,
    matched_verdict,
    nearest_rank,
    overall_verdict,
)
from distillguard.evaluation.report import write_report
from distillguard.evaluation.runner import (
    AccountTrace,
    make_grid,
    run_all,
    run_detector,
    run_detectors,
    scan_events,
)
from distillguard.evaluation.sweep import match_baselines, recommend, suggested_config, threshold_sweep
from distillguard.models.config import DetectionConfig
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent

T0 = 1_767_225_600_000
MINUTE = 60_000


# ---------------------------------------------------------------------------------------------- fixtures


def event(account: str, index: int, minute: float, event_id: str | None = None) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": event_id or f"{account}-{index}",
        "ts": T0 + int(minute * MINUTE),
        "account_id": account,
        "ip": "203.0.113.7",
        "model": "m-1",
        "input_tokens": 10,
        "output_tokens": 20,
    }


def alert(
    account: str,
    seen: int,
    minute: float,
    severity: str,
    campaign: str | None = None,
    score: float = 0.7,
    alert_id: str | None = None,
) -> SuspicionEvent:
    return SuspicionEvent(
        alert_id=alert_id or f"{account}:{severity}:{seen}",
        ts=T0 + int(minute * MINUTE),
        account_id=account,
        trigger_event_id=f"{account}-{seen}",
        score=score,
        severity=severity,
        action="review",
        reasons=[],
        campaign_id=campaign,
        campaign_size=2 if campaign else 1,
        events_seen=seen,
        detector_version="test",
    )


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    lines = []
    for row in rows:
        lines.append(row if isinstance(row, bytes) else orjson.dumps(row))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def label_row(account: str, family: str, campaign: str | None = None) -> dict[str, Any]:
    kind = "campaign" if campaign else "normal"
    return {"account_id": account, "family": family, "campaign_id": campaign, "kind": kind}


def labels_of(rows: list[dict[str, Any]]) -> dict[str, Label]:
    return {r["account_id"]: Label(r["account_id"], r["family"], r["campaign_id"], r["kind"]) for r in rows}


LABELS = [
    # normal classes
    *(label_row(f"n{i}", "casual") for i in range(1, 5)),
    *(label_row(f"d{i}", "developer") for i in (1, 2)),
    # campaign families: C1 = h1..h3, C2 = h4, C3 = s1, s2
    label_row("h1", "hydra_agentic", "C1"),
    label_row("h2", "hydra_agentic", "C1"),
    label_row("h3", "hydra_agentic", "C1"),
    label_row("h4", "hydra_agentic", "C2"),
    label_row("s1", "low_and_slow", "C3"),
    label_row("s2", "low_and_slow", "C3"),
]

# requests per account; event k of an account is at minute k - 1 (first event at minute 0)
REQUESTS = {"n1": 8, "n2": 3, "n3": 3, "n4": 3, "d1": 4, "d2": 2, "h1": 10, "h2": 5, "h3": 12, "h4": 6,
            "s1": 25, "s2": 8}  # fmt: skip

ALERTS = [
    alert("h1", 2, 1, "low"),  # low never flags
    alert("h1", 5, 10, "medium", campaign="P0"),  # first flag of h1: 5 requests, 10 minutes
    alert("h1", 8, 12, "high", campaign="P1"),  # latest campaign of h1 is P1
    alert("h2", 3, 4, "high", campaign="P1"),
    alert("h2", 3, 4, "high", campaign="P1"),  # duplicate alert_id: counted once
    alert("h3", 10, 30, "medium", campaign="P2"),
    alert("s1", 20, 120, "critical", campaign="P2"),
    alert("s2", 6, 5, "low", campaign="P2"),  # low: not flagged, not linked
    alert("n1", 7, 5, "medium", campaign="P1"),  # false positive linked into P1
    alert("d1", 2, 1, "medium"),  # false positive, unlinked
    alert("x9", 1, 0, "medium", campaign="P1"),  # unlabelled account
]


@pytest.fixture()
def dataset(tmp_path: Path) -> dict[str, Path]:
    events = [event(a, k, k - 1) for a, n in REQUESTS.items() for k in range(1, n + 1)]
    events.sort(key=lambda e: e["ts"])
    return {
        "events": write_jsonl(tmp_path / "events.jsonl", events),
        "labels": write_jsonl(tmp_path / "labels.jsonl", LABELS),
        "alerts": write_jsonl(tmp_path / "alerts.jsonl", [a.model_dump(mode="json") for a in ALERTS]),
    }


class FakeDetector:
    """Follows the detector protocol: scripted score per account request index, alert at ``medium``."""

    def __init__(self, scores: dict[str, list[float]], medium: float = 0.5, campaign: str | None = None):
        self.scores = scores
        self.medium = medium
        self.campaign = campaign
        self.seen: set[str] = set()
        self.counts: dict[str, int] = {}
        self.alerted: set[str] = set()
        self.last_assessment: Any = None

    def process(self, ev: RequestEvent) -> list[SuspicionEvent]:
        account = ev.account_id
        if ev.event_id in self.seen:
            self.last_assessment = SimpleNamespace(account_id=account, score=0.0, events_seen=None)
            return []
        self.seen.add(ev.event_id)
        n = self.counts[account] = self.counts.get(account, 0) + 1
        script = self.scores.get(account, [0.0])
        score = script[min(n, len(script)) - 1]
        self.last_assessment = SimpleNamespace(account_id=account, score=score, events_seen=n)
        if score < self.medium or account in self.alerted:
            return []
        self.alerted.add(account)
        minute = (ev.ts - T0) / MINUTE
        return [alert(account, n, minute, "medium", campaign=self.campaign, score=score)]


# ---------------------------------------------------------------------------------------------- metrics


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank([10, 3, 5], 50) == 5
    assert nearest_rank([10, 3, 5], 90) == 10
    assert nearest_rank([1, 2, 3, 4], 50) == 2
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([], 50) is None


def test_metrics_by_hand(dataset: dict[str, Path]) -> None:
    labels = load_labels(dataset["labels"])
    alerts, invalid = load_alerts(dataset["alerts"])
    stats = scan_events(dataset["events"])
    assert invalid == 0
    m = compute_metrics(alerts, labels, stats.first_ts, stats.requests)

    hydra = m["families"]["hydra_agentic"]
    assert hydra["kind"] == "campaign"
    assert (hydra["accounts"], hydra["flagged"], hydra["recall"]) == (4, 3, 0.75)
    assert (hydra["campaigns"], hydra["campaigns_detected"], hydra["campaign_recall"]) == (2, 1, 0.5)
    assert hydra["ttd_requests"] == {"n": 3, "p50": 5, "p90": 10, "max": 10}
    assert hydra["ttd_minutes"] == {"n": 3, "p50": 10.0, "p90": 30.0, "max": 30.0}
    # leaked: h1 5, h2 3, h3 10, h4 (missed) 6 of 10 + 5 + 12 + 6 requests
    assert (hydra["requests_before_detection"], hydra["requests_total"]) == (24, 33)

    slow = m["families"]["low_and_slow"]
    assert (slow["recall"], slow["campaign_recall"]) == (0.5, 1.0)
    assert slow["ttd_requests"]["p50"] == 20
    assert slow["ttd_minutes"]["max"] == 120.0

    assert m["families"]["casual"] == pytest.approx(
        {"kind": "normal", "accounts": 4, "flagged": 1, "fpr": 0.25, "fpr_wilson95_upper": 0.6994}, abs=1e-3
    )
    assert m["families"]["developer"]["fpr"] == 0.5

    overall = m["overall"]
    assert overall["campaign_recall"] == pytest.approx(4 / 6)
    assert overall["campaign_recall_macro"] == pytest.approx((0.75 + 0.5) / 2)
    assert overall["normal_fpr"] == pytest.approx(2 / 6)
    assert overall["precision"] == pytest.approx(4 / 6)
    assert overall["ttd_requests"] == {"n": 4, "p50": 5, "p90": 20, "max": 20}

    # P1 = {h1, h2 (C1), n1 (normal)}: 2 pure; P2 = {h3 (C1), s1 (C3)}: 1 pure -> 3/5.
    # C1 flagged {h1, h2, h3}: 2 together in P1; C3 flagged {s1}: 1 -> 3 of 4 flagged campaign accounts.
    link = m["linking"]
    assert link["purity"] == pytest.approx(0.6)
    assert link["completeness"] == pytest.approx(0.75)
    assert link["linked_share"] == 1.0
    assert (link["predicted_campaigns"], link["linked_accounts"], link["linked_normal_accounts"]) == (2, 5, 1)

    counts = m["alerts"]
    assert counts["total"] == len(ALERTS) - 1
    assert counts["duplicates_dropped"] == 1
    assert counts["flagged_unlabelled_accounts"] == 1
    assert counts["by_severity"]["low"] == 2
    orjson.dumps(m)  # serialisable as is


def test_undefined_ratios_are_none() -> None:
    m = compute_metrics([], labels_of([label_row("c1", "f", "C")]))
    assert m["overall"]["normal_fpr"] is None
    assert m["overall"]["precision"] is None
    assert m["linking"]["purity"] is None
    assert m["families"]["f"]["ttd_requests"] == {"n": 0, "p50": None, "p90": None, "max": None}


def test_labels_reject_family_with_two_kinds(tmp_path: Path) -> None:
    rows = [label_row("a", "f"), label_row("b", "f", "C")]
    labels = load_labels(write_jsonl(tmp_path / "l.jsonl", rows))
    with pytest.raises(ValueError, match="both normal and campaign"):
        compute_metrics([], labels)


def test_verdicts() -> None:
    base = {"kind": "campaign", "recall": 0.5, "ttd_requests": {"p50": 10}}
    assert family_verdict({**base, "recall": 0.6}, base) == "better"
    assert family_verdict({**base, "ttd_requests": {"p50": 8}}, base) == "better"
    assert family_verdict(base, base) == "tie"
    assert family_verdict({"kind": "normal", "fpr": 0.02}, {"kind": "normal", "fpr": 0.01}) == "worse"
    ours = {"campaign_recall": 0.9, "normal_fpr": 0.001}
    assert overall_verdict(ours, {"campaign_recall": 0.5, "normal_fpr": 0.001}) == "better"
    assert overall_verdict(ours, {"campaign_recall": 0.95, "normal_fpr": 0.01}) == "mixed"


# ---------------------------------------------------------------------------------------------- runner


def test_runner_traces_alerts_and_invalid_lines(tmp_path: Path) -> None:
    rows: list[Any] = [event("a", k, k) for k in range(1, 6)] + [event("b", k, k) for k in range(1, 3)]
    rows.insert(2, event("a", 99, 1.5, event_id="a-1"))  # duplicate event id
    rows.insert(4, b"{not json")
    rows.insert(5, orjson.dumps({**event("a", 7, 2), "ip": "not-an-ip"}))
    path = write_jsonl(tmp_path / "events.jsonl", rows)
    grid = make_grid(0.1)
    detector = FakeDetector({"a": [0.05, 0.15, 0.35, 0.6, 0.2], "b": [0.1, 0.1]})

    result = run_detector(detector, path, grid=grid)

    assert result.events.invalid_lines == 2
    assert result.events.events_total == 8
    assert result.duplicates == 1
    assert result.events.first_ts == {"a": T0 + MINUTE, "b": T0 + MINUTE}
    trace = result.traces["a"]
    assert trace.requests == 5
    assert trace.max_score == 0.6
    assert trace.cross_n == [2, 3, 3, 4, 4, 4]  # thresholds 0.1 .. 0.6
    assert trace.cross_ts[:2] == [T0 + 2 * MINUTE, T0 + 3 * MINUTE]
    assert result.traces["b"].cross_n == [1]  # a score of exactly 0.1 reaches 0.1
    assert [a.account_id for a in result.alerts] == ["a"]
    assert result.alerts[0].events_seen == 4


def test_run_all_runs_each_factory_over_the_same_file(dataset: dict[str, Path]) -> None:
    factories = {"distillguard": lambda: FakeDetector({"h1": [0.9]}), "rate_limit": lambda: FakeDetector({})}
    results = run_all(dataset["events"], factories=factories)
    assert set(results) == {"distillguard", "rate_limit"}
    assert [a.account_id for a in results["distillguard"].alerts] == ["h1"]
    assert results["rate_limit"].alerts == []
    assert results["rate_limit"].events is results["distillguard"].events
    assert sum(results["rate_limit"].events.requests.values()) == sum(REQUESTS.values())


# ---------------------------------------------------------------------------------------------- sweep


def _trace(points: list[tuple[int, float]], grid: tuple[float, ...]) -> AccountTrace:
    trace = AccountTrace()
    for seen, score in points:
        trace.observe(score, seen, T0 + seen * MINUTE, grid)
    return trace


def test_sweep_and_recommendation() -> None:
    grid = make_grid(0.1)
    assert grid == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    labels = labels_of(
        [label_row(f"n{i}", "casual") for i in range(4)]
        + [label_row(f"c{i}", "fam_a", "C") for i in range(3)]
    )
    traces = {
        "n0": _trace([(1, 0.1)], grid),
        "n1": _trace([(1, 0.2)], grid),
        "n2": _trace([(1, 0.3)], grid),
        "n3": _trace([(1, 0.45)], grid),
        "c0": _trace([(1, 0.05), (3, 0.5), (6, 0.9)], grid),
        "c1": _trace([(3, 0.5), (6, 0.9)], grid),
        "c2": _trace([(2, 0.35)], grid),
        "unlabelled": _trace([(1, 0.99)], grid),
    }
    first_ts = {a: T0 for a in traces}
    fusion = {"low": 0.3, "medium": 0.6, "high": 0.8, "critical": 0.93}
    sweep = threshold_sweep(traces, labels, grid, first_ts, current_threshold=0.6, fusion=fusion)

    by_t = {p["threshold"]: p for p in sweep.points}
    assert [by_t[t]["normal_fpr"] for t in (0.1, 0.2, 0.3, 0.4, 0.5)] == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert by_t[0.3]["campaign_recall"] == 1.0
    assert by_t[0.3]["median_ttd_requests"] == 3  # crossings at 3, 3, 2
    assert by_t[0.4]["recall"] == {"fam_a": pytest.approx(2 / 3)}
    assert by_t[0.4]["precision"] == pytest.approx(2 / 3)
    assert by_t[0.6]["median_ttd"] == {"fam_a": 6}
    assert by_t[0.6]["median_ttd_minutes"] == 6.0
    assert sweep.unlabelled_accounts == 1
    assert sweep.score_histograms["counts"]["casual"] == [0, 0, 1, 0, 1, 0, 1, 0, 0, 1] + [0] * 10

    rec = sweep.recommend(0.25)
    assert rec["threshold"] == 0.4
    assert rec["config"] == {"detection.fusion.medium": 0.4}
    assert rec["env"] == {"DISTILLGUARD_DETECTION__FUSION__MEDIUM": "0.4"}
    assert rec["warning"] is None  # 4 normal accounts resolve an FPR of 1/4
    strict = recommend(sweep, 0.0)
    assert strict["threshold"] == 0.5
    assert "cannot resolve" in strict["warning"]
    curve = sweep.pr_curve()
    assert len(curve["threshold"]) == len(grid) and curve["recall"][0] == 1.0

    traces["n0"] = _trace([(1, 0.95)], grid)  # a normal account above every grid threshold
    hopeless = threshold_sweep(traces, labels, grid, first_ts)
    assert hopeless.recommend(0.0)["threshold"] is None
    assert hopeless.recommend(0.0)["config"] == {}


def test_suggested_config_keeps_severities_ordered() -> None:
    fusion = {"low": 0.3, "medium": 0.6, "high": 0.8, "critical": 0.93}
    assert suggested_config(0.2, fusion) == {"detection.fusion.medium": 0.2, "detection.fusion.low": 0.1}
    high = suggested_config(0.85, fusion)
    assert high["detection.fusion.high"] == pytest.approx(0.9)
    assert "detection.fusion.critical" not in high
    top = suggested_config(0.95, fusion)
    assert 0.95 < top["detection.fusion.high"] < top["detection.fusion.critical"] < 1


def _matched_sweeps(grid: tuple[float, ...]) -> tuple[dict[str, Label], Any, Any]:
    """10 normal accounts whose pooled FPR falls 0.5, 0.4, 0.3, 0.2, 0.1, 0 over thresholds 0.1 .. 0.6,
    4 campaign accounts flagged 4, 4, 4, 3, 1 over 0.1 .. 0.5; plus a copy with one normal account above
    every grid threshold (n9, untraced in the first)."""
    labels = labels_of(
        [label_row(f"n{i}", "casual") for i in range(10)]
        + [label_row(f"c{i}", "fam_a", "C") for i in range(4)]
    )
    traces = {f"n{i}": _trace([(1, score)], grid) for i, score in enumerate((0.15, 0.25, 0.35, 0.45, 0.55))}
    traces |= {
        "c0": _trace([(1, 0.2), (4, 0.95)], grid),  # reaches 0.4 at request 4
        "c1": _trace([(2, 0.45)], grid),
        "c2": _trace([(3, 0.41)], grid),
        "c3": _trace([(1, 0.35)], grid),
    }
    hopeless = {**traces, "n9": _trace([(1, 1.0)], grid)}
    return labels, threshold_sweep(traces, labels, grid), threshold_sweep(hopeless, labels, grid)


def _ours(normal_fpr: float | None, recall: float) -> dict[str, Any]:
    return {
        "overall": {"normal_fpr": normal_fpr, "campaign_recall": recall},
        "families": {"fam_a": {"recall": recall}},
    }


def test_matched_fpr_threshold_is_lowest_within_max_of_target_and_ours() -> None:
    grid = make_grid(0.1)
    _, sweep, hopeless = _matched_sweeps(grid)
    assert [p["normal_fpr"] for p in sweep.points[:6]] == pytest.approx([0.5, 0.4, 0.3, 0.2, 0.1, 0.0])

    # distillguard's FPR (0.2) exceeds the target: budget 0.2, met exactly at 0.4 (not 0.5: <= not <,
    # and not 0.6: the target alone would be too strict).
    matched = match_baselines(_ours(0.2, 1.0), {"hst_only": sweep, "burst_only": hopeless}, target_fpr=0.001)
    assert matched["budget"]["fpr_budget"] == 0.2
    assert (matched["budget"]["normal_accounts"], matched["budget"]["max_normal_flagged"]) == (10, 2)
    assert "max(target FPR" in matched["budget"]["rule"]
    hst = matched["baselines"]["hst_only"]
    assert hst["threshold"] == 0.4
    assert (hst["normal_fpr"], hst["normal_flagged"], hst["normal_accounts"]) == (0.2, 2, 10)
    assert hst["recall"] == {"fam_a": 0.75}
    assert hst["median_ttd"] == {"fam_a": 3}  # crossings at 4, 2, 3
    assert hst["verdicts"] == {"fam_a": "better"}  # 100% vs 75% at the same FPR
    # n9 above every grid threshold adds 1/10 everywhere: 0.3 at 0.4, so 0.5 (0.2) is the lowest in budget
    assert matched["baselines"]["burst_only"]["threshold"] == 0.5

    # The target exceeds distillguard's FPR (0): budget 0.3 -> 0.3, where the baseline catches all 4.
    loose = match_baselines(_ours(0.0, 1.0), {"hst_only": sweep}, target_fpr=0.3)["baselines"]["hst_only"]
    assert (loose["fpr_budget"], loose["threshold"], loose["recall"]) == (0.3, 0.3, {"fam_a": 1.0})
    assert loose["verdicts"] == {"fam_a": "tie"}  # both at 100%: a tie, not a win

    # Without normal FPR from distillguard the target alone is the budget.
    assert match_baselines(_ours(None, 1.0), {"b": sweep}, 0.1)["baselines"]["b"]["threshold"] == 0.5

    # No grid threshold meets a budget of 0.05 for the hopeless baseline (lowest FPR 1/10): none, recall 0.
    none = match_baselines(_ours(0.0, 0.5), {"burst_only": hopeless}, 0.05)["baselines"]["burst_only"]
    assert none["threshold"] is None and none["normal_fpr"] is None
    assert none["recall"] == {"fam_a": 0.0} and none["campaign_recall"] == 0.0
    assert none["lowest_normal_fpr"] == 0.1
    assert "no grid threshold" in none["reason"]
    assert none["verdicts"] == {"fam_a": "better"} and none["overall_verdict"] == "better"


def test_matched_verdict() -> None:
    assert matched_verdict(1.0, 0.2, 0.75, 0.2) == "better"
    assert matched_verdict(1.0, 0.1, 0.75, 0.2) == "better"
    assert matched_verdict(1.0, 0.0, 1.0, 0.1) == "tie"  # equal recall ties even at a lower FPR
    assert matched_verdict(0.5, 0.1, 0.8, 0.1) == "worse"
    assert matched_verdict(0.9, 0.2, 0.5, 0.1) == "mixed"  # more recall, but at a higher FPR
    assert matched_verdict(0.5, 0.0, 0.8, 0.1) == "mixed"
    assert matched_verdict(0.5, 0.1, 0.0, None) == "better"  # baseline has no threshold in the budget
    assert matched_verdict(0.0, 0.1, 0.0, None) == "tie"


# ---------------------------------------------------------------------------------------------- report


def _check_report(out: Path, document: dict[str, Any]) -> None:
    for name in document["files"]:
        assert (out / name).is_file(), name
    pngs = [f for f in document["files"] if f.endswith(".png")]
    assert len(pngs) == 4
    html = (out / "report.html").read_text(encoding="utf-8")
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(embedded) == len(pngs)
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data in embedded)
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert all(f"]({name})" in markdown for name in pngs)
    assert orjson.loads((out / "metrics.json").read_bytes()) == orjson.loads(orjson.dumps(document))


# The fakes score from an account's first request; the default alerting gate (5 requests) would hide that.
NO_EVENT_GATE = DetectionConfig.model_validate({"account": {"min_events": 1}})


def test_scores_before_the_alerting_gate_are_not_traced(dataset: dict[str, Path]) -> None:
    scores = {"h1": [0.9, 0.1, 0.95], "s1": [0.99, 0.2]}
    grid = make_grid(0.1)
    _, ungated = run_detectors({"d": FakeDetector(scores)}, dataset["events"], grid)
    _, gated = run_detectors({"d": FakeDetector(scores)}, dataset["events"], grid, min_events=3)
    assert ungated["d"].traces["s1"].max_score == 0.99 and gated["d"].traces["s1"].max_score < 0.3
    assert gated["d"].traces["h1"].max_score == 0.95 and gated["d"].traces["h1"].cross_n[-1] == 3


def test_evaluate_with_alerts_file_and_fake_baseline(dataset: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report"
    factories = {
        "distillguard": lambda: FakeDetector({"h1": [0.2, 0.7]}),
        "rate_limit": lambda: FakeDetector({"h1": [0.9], "n1": [0.9]}),
    }
    doc = evaluate(
        dataset["events"], dataset["labels"], out, alerts_path=dataset["alerts"], factories=factories,
        grid=make_grid(0.05), config=NO_EVENT_GATE,
    )  # fmt: skip
    _check_report(out, doc)
    assert doc["distillguard"]["overall"]["campaign_flagged"] == 4  # from the alerts file
    rate_limit = doc["baselines"]["rate_limit"]
    assert rate_limit["families"]["hydra_agentic"]["recall"] == 0.25
    verdicts = doc["comparison"]["families"]
    assert verdicts["hydra_agentic"]["rate_limit"] == "better"  # 0.75 vs 0.25
    assert verdicts["low_and_slow"]["rate_limit"] == "better"  # 0.5 vs 0
    assert verdicts["casual"]["rate_limit"] == "tie"  # both 1 of 4
    assert verdicts["developer"]["rate_limit"] == "worse"  # 0.5 vs 0
    assert doc["sweep"]["source"].startswith("in-process")
    assert doc["run"]["agreement"] == {"both": 1, "file_only": 6, "in_process_only": 0, "jaccard": 1 / 7}
    assert doc["run"]["events"]["events_total"] == sum(REQUESTS.values())
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "rate_limit: ✔ beats" in markdown and "rate_limit: ✘ loses" in markdown


def test_evaluate_runs_the_detector_without_alerts(dataset: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "inproc"
    scores = {"h1": [0.1, 0.2, 0.7], "h2": [0.8], "s1": [0.3] * 9 + [0.65], "n2": [0.4]}
    doc = evaluate(
        dataset["events"], dataset["labels"], out, baselines=False, target_fpr=0.0, config=NO_EVENT_GATE,
        factories={"distillguard": lambda: FakeDetector(scores)}, grid=make_grid(0.05),
    )  # fmt: skip
    _check_report(out, doc)
    overall = doc["distillguard"]["overall"]
    assert (overall["campaign_flagged"], overall["normal_flagged"]) == (3, 0)
    assert doc["distillguard"]["families"]["hydra_agentic"]["ttd_requests"]["p50"] == 1  # h1 at 3, h2 at 1
    assert doc["baselines"] == {}
    # n2 peaks at 0.4, so 0.45 is the lowest threshold with no normal account flagged
    assert math.isclose(doc["recommendation"]["threshold"], 0.45)


def test_write_report_accepts_plain_sweep_dict(dataset: dict[str, Path], tmp_path: Path) -> None:
    labels = load_labels(dataset["labels"])
    alerts, _ = load_alerts(dataset["alerts"])
    metrics = compute_metrics(alerts, labels)
    grid = make_grid(0.1)
    sweep = threshold_sweep({"h1": _trace([(2, 0.7)], grid)}, labels, grid).to_dict()
    doc = write_report(tmp_path / "plain", metrics, sweep, {})
    _check_report(tmp_path / "plain", doc)
    assert doc["recommendation"]["threshold"] == 0.1


def test_evaluate_compares_baselines_at_matched_fpr(dataset: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "matched"
    ours = {a: [0.9] for a in ("h1", "h2", "h3", "h4", "s1", "n1")}  # normal FPR 1/6, hydra 4/4, slow 1/2
    hst = {
        # normal FPR over thresholds 0.1 .. 0.9: 5/6, 4/6, 4/6, 3/6, 3/6, 2/6, 2/6, 1/6, 1/6 -> 0.8 matches
        "n1": [0.95], "n2": [0.75], "n3": [0.55], "n4": [0.35], "d1": [0.15],
        "h1": [0.1, 0.3, 0.85], "h2": [0.2, 0.8], "h3": [0.7], "h4": [0.5],  # 2/4 at 0.8 (requests 3, 2)
        "s1": [0.95], "s2": [0.5, 0.99],  # 2/2 at 0.8
    }  # fmt: skip
    burst = {a: [1.0] for a in ("n1", "n2", "h1", "h2", "h3", "h4", "s1", "s2")}  # FPR >= 2/6 everywhere
    rate = {a: [0.9] for a in ("h1", "h2", "h3", "h4")}  # no normal account ever scores
    factories = {
        "distillguard": lambda: FakeDetector(ours),
        "rate_limit": lambda: FakeDetector(rate),
        "hst_only": lambda: FakeDetector(hst),
        "burst_only": lambda: FakeDetector(burst),
    }
    doc = evaluate(
        dataset["events"], dataset["labels"], out, factories=factories, grid=make_grid(0.1),
        config=NO_EVENT_GATE,
    )  # fmt: skip
    _check_report(out, doc)
    assert doc["distillguard"]["overall"]["normal_fpr"] == pytest.approx(1 / 6)
    assert doc["matched_fpr_budget"]["fpr_budget"] == pytest.approx(1 / 6)
    assert doc["matched_fpr_budget"]["max_normal_flagged"] == 1
    matched = doc["baselines_matched_fpr"]
    assert list(matched) == ["rate_limit", "hst_only", "burst_only"]

    h = matched["hst_only"]
    assert h["threshold"] == 0.8  # 0.7 is over the budget (2/6), 0.9 would lose recall
    assert h["normal_fpr"] == pytest.approx(1 / 6) and h["normal_flagged"] == 1
    assert h["recall"] == {"hydra_agentic": 0.5, "low_and_slow": 1.0}
    assert h["median_ttd"] == {"hydra_agentic": 2, "low_and_slow": 1}
    assert h["verdicts"] == {"hydra_agentic": "better", "low_and_slow": "worse"}
    assert h["overall_verdict"] == "better"  # 5/6 vs 4/6 at the same FPR

    r = matched["rate_limit"]
    assert (r["threshold"], r["normal_fpr"]) == (0.1, 0.0)
    assert r["verdicts"] == {
        "hydra_agentic": "tie",
        "low_and_slow": "mixed",
    }  # 100% each; 50% vs 0 at 1/6 vs 0

    b = matched["burst_only"]
    assert b["threshold"] is None and b["recall"] == {"hydra_agentic": 0.0, "low_and_slow": 0.0}
    assert b["lowest_normal_fpr"] == pytest.approx(2 / 6)
    assert b["verdicts"] == {"hydra_agentic": "better", "low_and_slow": "better"}

    # the fixed-threshold comparison is still there, unchanged
    assert doc["comparison"]["families"]["hydra_agentic"]["burst_only"] == "tie"  # 4/4 each at 1 request

    markdown = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "## Baselines at matched false-positive rate" in markdown
    assert "<h2>Baselines at matched false-positive rate</h2>" in html
    assert "max(target FPR, distillguard's measured normal FPR" in markdown
    assert "| hst_only | 0.80 | 16.667% (1/6) |" in markdown
    assert "| burst_only | none | — (lowest reachable 33.333%) | 0.0% |" in markdown
    assert "distillguard beats it" in markdown and "distillguard beats it" in html
    row = next(
        line for line in markdown.splitlines() if line.startswith("| hydra_agentic | R 100.0%, TTD 1 | R 1")
    )
    assert row.endswith("| rate_limit: = ties, hst_only: ✔ beats, burst_only: ✔ beats |")
    assert "R 50.0%, TTD 2" in row and "R 0.0% (none)" in row
    assert markdown.index("## Results vs baselines") < markdown.index("## Baselines at matched")
