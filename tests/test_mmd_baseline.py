"""The benign-calibrated MMD baseline, the ablation configs, and their sections in the evaluation report."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import numpy as np
import orjson
import pytest

from distillguard import models, streams
from distillguard.evaluation.ablations import (
    AGE_TIER_SIGNALS,
    CONTENT_SIGNALS,
    PAYMENT_SIGNALS,
    ZEROED,
    ablation_configs,
)
from distillguard.evaluation.baselines import BaselineConfig, baseline_factories
from distillguard.evaluation.evaluate import baseline_config_from, evaluate
from distillguard.evaluation.mmd_baseline import (
    MMDBaseline,
    calibrate,
    gammas,
    median_distance,
    mmd2_unbiased,
)
from distillguard.evaluation.runner import detector_factories
from distillguard.models.config import DetectionConfig
from distillguard.schemas.request_event import RequestEvent

BANDWIDTHS = (0.5, 1.0, 2.0, 4.0)
T0 = 1_767_225_600_000


def brute_force_mmd2(x: np.ndarray, y: np.ndarray, median: float) -> float:
    """The unbiased estimator written out term by term with Python loops."""
    g = gammas(median, BANDWIDTHS)

    def k(a: np.ndarray, b: np.ndarray) -> float:
        d2 = float(((a - b) ** 2).sum())
        return sum(float(np.exp(-gi * d2)) for gi in g)

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


# ---------------------------------------------------------------------------------------------- estimator


def test_unbiased_estimator_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((9, 5)), rng.standard_normal((13, 5)) + 0.3
    median = median_distance(y)
    assert mmd2_unbiased(x, y, median, BANDWIDTHS) == pytest.approx(brute_force_mmd2(x, y, median), rel=1e-9)
    # the median heuristic: median pairwise distance of distinct rows
    pairs = [np.linalg.norm(y[i] - y[j]) for i in range(13) for j in range(i + 1, 13)]
    assert median == pytest.approx(float(np.median(pairs)))


def test_cached_row_sums_give_the_same_statistic() -> None:
    rng = np.random.default_rng(3)
    sample = rng.standard_normal((300, 6))
    cal = calibrate(sample, 20, 5, 0.25, 50, 95.0, BANDWIDTHS, np.random.default_rng(1))
    window = rng.standard_normal((12, 6))
    direct = mmd2_unbiased(window, cal.reference, cal.median, BANDWIDTHS)
    assert cal.statistic(window, cal.row_sums(window)) == pytest.approx(direct, rel=1e-9, abs=1e-12)


def test_same_distribution_is_near_zero_and_below_threshold_shift_exceeds() -> None:
    rng = np.random.default_rng(11)
    sample = rng.standard_normal((1024, 8))
    cal = calibrate(sample, 50, 5, 0.25, 300, 95.0, BANDWIDTHS, np.random.default_rng(2))
    assert cal.thresholds[5] > cal.thresholds[20] > cal.thresholds[50] > 0  # null shrinks with n

    same = [rng.standard_normal((20, 8)) for _ in range(400)]
    stats = np.array([cal.statistic(w, cal.row_sums(w)) for w in same])
    assert abs(float(np.median(stats))) < 0.2 * cal.thresholds[20]  # ~0: the estimator is unbiased
    false_alarms = float((stats > cal.thresholds[20]).mean())
    assert 0.01 <= false_alarms <= 0.12  # calibrated at the 95th percentile

    shifted = rng.standard_normal((20, 8)) + 0.8
    assert cal.statistic(shifted, cal.row_sums(shifted)) > 3 * cal.thresholds[20]
    # two large samples of one distribution: ~0 in absolute terms too
    a, b = rng.standard_normal((400, 8)), rng.standard_normal((400, 8))
    assert abs(mmd2_unbiased(a, b, cal.median)) < 0.01


def test_stricter_percentile_raises_the_threshold() -> None:
    sample = np.random.default_rng(5).standard_normal((512, 4))
    loose = calibrate(sample, 20, 5, 0.25, 400, 95.0, BANDWIDTHS, np.random.default_rng(9))
    strict = calibrate(sample, 20, 5, 0.25, 400, 99.9, BANDWIDTHS, np.random.default_rng(9))
    assert strict.thresholds[20] > loose.thresholds[20]


# ---------------------------------------------------------------------------------------------- streaming


BENIGN = [
    "what is a good recipe for dinner tonight",
    "help me write an email to my landlord about the heating",
    "summarise this article about the local elections",
    "translate good morning into spanish please",
    "suggest a name for my new cat",
    "what should i pack for a weekend hiking trip",
    "explain how vaccines train the immune system",
    "plan a birthday party for a ten year old",
]
WORDS = "apple river mountain music garden coffee winter book city ocean train paper".split()  # noqa: SIM905


def _stream(odd: str = "odd", accounts: int = 60, per_account: int = 30) -> list[RequestEvent]:
    rng = np.random.default_rng(0)
    events = []
    for i in range(per_account):
        for a in range(accounts):
            prompt = f"{BENIGN[int(rng.integers(len(BENIGN)))]} {' '.join(rng.choice(WORDS, 3))}"
            events.append((a, i, prompt))
        events.append(
            (odd, i, f"solve the integral number {i} and articulate the full derivation and rationale")
        )
    return [
        RequestEvent(
            schema_version=1,
            event_id=f"{a}-{i}",
            ts=T0 + 1000 * n,
            account_id=str(a),
            ip="192.0.2.1",
            model="m",
            input_tokens=10,
            output_tokens=10,
            prompt=prompt,
        )
        for n, (a, i, prompt) in enumerate(events)
    ]


def _run(detector: MMDBaseline, events: list[RequestEvent]) -> tuple[set[str], list[float]]:
    flagged, scores = set(), []
    for event in events:
        for alert in detector.process(event):
            assert alert.severity == "medium"
            flagged.add(alert.account_id)
        scores.append(detector.last_assessment.score if detector.last_assessment else -1.0)
    return flagged, scores


def test_mmd_baseline_flags_a_shifted_account_deterministically() -> None:
    bc = BaselineConfig(mmd_warmup_events=300, mmd_recalibrate_every=600, mmd_reference_size=256)
    events = _stream()
    first = MMDBaseline(DetectionConfig(), bc, window=20)
    flagged, scores = _run(first, events)
    assert "odd" in flagged
    assert first.calibrations >= 2
    again_flagged, again_scores = _run(MMDBaseline(DetectionConfig(), bc, window=20), events)
    assert (again_flagged, again_scores) == (flagged, scores)
    # Each benign account is tested at every request from min_window on, so at the 95th percentile a
    # sizeable share of them crosses once (sequential tests); at 99.9 few do, and the shifted one still does.
    strict = bc.model_copy(update={"mmd_percentile": 99.9})
    strict_flagged, _ = _run(MMDBaseline(DetectionConfig(), strict, window=20), events)
    assert "odd" in strict_flagged
    assert len(strict_flagged - {"odd"}) <= 3 < len(flagged - {"odd"})


def test_mmd_baseline_dedupes_and_bounds_memory() -> None:
    bc = BaselineConfig(mmd_warmup_events=50, mmd_max_accounts=10, mmd_reference_size=64)
    detector = MMDBaseline(DetectionConfig(), bc, window=20)
    events = _stream(accounts=30, per_account=4)
    for event in events:
        detector.process(event)
    assert len(detector.accounts) == 10
    seen = detector.accounts[events[-1].account_id].events
    assert detector.process(events[-1]) == [] and detector.last_assessment is None
    assert detector.accounts[events[-1].account_id].events == seen


def test_mmd_is_registered_with_the_baselines() -> None:
    assert {"rate_limit", "hst_only", "burst_only", "mmd_w20", "mmd_w50"} <= set(baseline_factories())
    factories = detector_factories(DetectionConfig(), baseline_config=BaselineConfig(mmd_windows=(30,)))
    assert "mmd_w30" in factories and "mmd_w20" not in factories
    assert factories["mmd_w30"]().window == 30
    assert baseline_config_from(None, "20,50", 99.0) == BaselineConfig(
        mmd_windows=(20, 50), mmd_percentile=99.0
    )


def test_runtime_does_not_reference_baselines() -> None:
    assert "baselines" not in DetectionConfig.model_fields
    evaluation_import = re.compile(r"^\s*(?:from|import) distillguard\.evaluation", re.MULTILINE)
    for package in (models, streams):
        for path in Path(package.__path__[0]).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "BaselineConfig" not in text and "baselines" not in text, path
            assert not evaluation_import.search(text), path


@pytest.mark.parametrize(
    "name",
    [
        "distillguard.evaluation.baselines",
        "distillguard.evaluation.mmd_baseline",
        "distillguard.evaluation.ablations",
    ],
)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# ---------------------------------------------------------------------------------------------- ablations


def test_ablation_configs_zero_exactly_the_intended_weights() -> None:
    base = DetectionConfig()
    weights = base.fusion.weights.model_dump()
    variants = dict(ablation_configs(base))
    assert set(variants) == set(ZEROED)
    for name, cfg in variants.items():
        got = cfg.fusion.weights.model_dump()
        zeroed = set(ZEROED[name])
        assert all(got[w] == 0.0 for w in zeroed), name
        assert cfg.model_dump(exclude={"version"}) != base.model_dump(exclude={"version"}), name
        assert {k: v for k, v in got.items() if k not in zeroed} == {
            k: v for k, v in weights.items() if k not in zeroed
        }, name
        assert cfg.version.endswith(f"+ablation:{name}")
        assert cfg.fusion.medium == base.fusion.medium and cfg.account == base.account
    assert {"elicitation", "grading", "capability", "extraction"} <= set(CONTENT_SIGNALS)
    assert {"young_account", "easy_entry_tier", "established_account"} <= set(AGE_TIER_SIGNALS)
    assert PAYMENT_SIGNALS == ("shared_payment",)
    assert base.features.phrase_markers and not variants["no_phrase_markers"].features.phrase_markers
    unpaid = variants["no_payment_linking"]
    assert "payment" not in unpaid.campaign.link_keys
    assert [k.weight for k in unpaid.traits.kinds if k.kind == "pay"] == [0.0]
    assert variants["no_age_tier"].campaign == base.campaign


# ---------------------------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from distillguard.evaluation.scenarios import get_scenario
    from distillguard.evaluation.simulator import write_scenario

    out = tmp_path_factory.mktemp("small")
    write_scenario(get_scenario("small"), out)
    return out


def test_evaluate_small_scenario_reports_mmd_and_ablations(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    doc = evaluate(
        small / "events.jsonl",
        small / "labels.jsonl",
        out,
        ablations=True,
        baseline_config=BaselineConfig(mmd_windows=(20,)),
    )
    assert set(doc["baselines"]) == {"rate_limit", "hst_only", "burst_only", "mmd_w20"}
    assert set(doc["ablations"]) == set(ZEROED)
    assert "mmd_w20" in doc["baselines_matched_fpr"]
    mmd_run = doc["run"]["detectors"]["mmd_w20"]
    assert mmd_run["accounts_assessed"] > 0 and mmd_run["events_per_s"] > 0
    # recall per family for every ablation
    for metrics in doc["ablations"].values():
        assert all(f in metrics["families"] for f in doc["distillguard"]["families"])
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for heading in (
        "## Baselines at matched false-positive rate",
        "## False positives per normal class",
        "## Ablations",
        "## distillguard per family",
    ):
        assert heading in markdown, heading
    ablations = markdown[markdown.index("## Ablations") : markdown.index("## distillguard per family")]
    row = next(line for line in ablations.splitlines() if line.startswith("| low_and_slow | campaign |"))
    assert row.count("Δ") == len(ZEROED)  # one recall cell per ablation, next to the full detector
    assert "no_phrase_markers" in markdown and "mmd_w20" in markdown and "µs/event" in markdown
    assert "Wilson" in markdown and "MMD² >= t / (1 - t)" in markdown
    assert orjson.loads((out / "metrics.json").read_bytes())["ablations"].keys() == set(ZEROED)
