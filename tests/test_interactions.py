"""The interaction trees: their arrays score what the fitted model scores, stay monotone, explain
themselves, and a refit on the same samples gives the same file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.evaluation.fit_fusion import Samples, signal_names
from distillguard.models.config import FusionConfig
from distillguard.models.fusion import explain, reason_floors, severity_for, severity_score
from distillguard.models.interactions import INTERACTIONS_FILE, InteractionTrees, load_interactions
from distillguard.schemas.suspicion_event import Severity

COMMITTED = load_interactions()
NAMES = list(COMMITTED.names)


def _young_capability_spread(seed: int = 5, accounts: int = 900) -> Samples:
    """Campaign accounts are unusual only *together* (capability tasks on a young account with long
    answers); a developer has capability tasks, a launch-day sign-up is young, a writer asks for long
    answers, each alone."""
    rng = random.Random(seed)
    names = signal_names()
    rows, owners, positive, families = [], [], [], []
    kinds = ("spread", "developer", "signup", "writer", "casual")
    for i in range(accounts):
        kind = kinds[i % len(kinds)]
        for _ in range(6):
            row = [0.0] * len(names)
            on = {
                "spread": ("capability", "young_account", "output_appetite"),
                "developer": ("capability",),
                "signup": ("young_account",),
                "writer": ("output_appetite",),
                "casual": (),
            }[kind]
            for name in ("capability", "young_account", "output_appetite"):
                level = 0.85 if name in on else 0.15
                row[names.index(name)] = min(1.0, max(0.0, level + rng.gauss(0, 0.08)))
            rows.append(row)
            owners.append(f"{kind}-{i}")
            positive.append(kind == "spread")
            families.append(kind)
    return Samples(names, np.asarray(rows), owners, positive, families)


def test_the_exported_arrays_score_what_the_fitted_model_scores() -> None:
    pytest.importorskip("sklearn")
    from sklearn.ensemble import HistGradientBoostingClassifier

    from distillguard.evaluation.fit_interactions import export

    samples = _young_capability_spread()
    x, y = samples.matrix(), np.asarray(samples.positive)
    names = list(samples.names)
    # depth 3 with few rows per leaf allowed, so some leaves end above the full depth (padded splits)
    model = HistGradientBoostingClassifier(max_depth=3, max_iter=25, min_samples_leaf=400, random_state=0)
    model.fit(x, y)
    trees = export(model, names, depth=3)
    assert np.isinf(trees.thresholds).any(), "the test should exercise padded (always-left) splits"
    want = model.decision_function(x) - float(np.ravel(model._baseline_prediction)[0])
    assert np.allclose(trees.logit_rows(x), want, atol=1e-9)
    for row in x[::97]:
        assert trees.logit(dict(zip(names, row, strict=True))) == pytest.approx(
            trees.logit_rows(row[None])[0]
        )


def test_a_fit_finds_evidence_that_only_counts_together_and_is_reproducible() -> None:
    pytest.importorskip("sklearn")
    from distillguard.evaluation.fit_interactions import fit_interactions

    samples = _young_capability_spread()
    first, report = fit_interactions(samples, medium=0.6, margin=0.0, trees=60, rows_per_account=6)
    again, _ = fit_interactions(samples, medium=0.6, margin=0.0, trees=60, rows_per_account=6)
    assert json.dumps(first.to_dict()) == json.dumps(again.to_dict())
    rates = report["flagged_share_by_family_on_training_data"]
    assert rates["spread"] >= 0.9, rates
    assert max(rates[k] for k in ("developer", "signup", "writer", "casual")) <= 0.01, rates
    # the margin lowers the calibrated offset by exactly its log-odds, and so never flags more
    lowered, lower_report = fit_interactions(samples, medium=0.6, margin=3.0, trees=60, rows_per_account=6)
    assert lowered.offset == pytest.approx(first.offset - 3.0)
    assert lower_report["flagged_share_by_family_on_training_data"]["spread"] <= rates["spread"]


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_one_request_scores_as_the_batch_walk_does(depth: int) -> None:
    """``logit`` reads trees of depth <= 3 off a table of comparison patterns and walks deeper ones;
    both must agree with ``logit_rows``' walk, thresholds hit exactly included (a tie goes left)."""
    rng = np.random.default_rng(depth)
    names = tuple(f"s{i}" for i in range(6))
    count, internal = 50, 2**depth - 1
    trees = InteractionTrees(
        names=names,
        depth=depth,
        offset=-1.5,
        features=rng.integers(0, len(names), (count, internal)),
        thresholds=rng.choice([0.1, 0.25, 0.5, 0.75, 0.9], (count, internal)),
        leaves=rng.normal(size=(count, 2**depth)),
        node_values=np.zeros((count, internal)),
        scale=0.5,
    )
    rows = rng.choice([0.0, 0.1, 0.3, 0.5, 0.8, 0.9, 1.0], (200, len(names)))
    one_at_a_time = [trees.logit(dict(zip(names, map(float, row), strict=True))) for row in rows]
    assert np.allclose(one_at_a_time, trees.logit_rows(rows), rtol=0, atol=1e-9)


def test_bagged_fits_average_ensembles_of_whole_accounts() -> None:
    pytest.importorskip("sklearn")
    from distillguard.evaluation.fit_interactions import account_subsample, average, fit_interactions

    samples = _young_capability_spread()
    part = account_subsample(samples, 0.5, seed=3)
    kept = set(part.accounts)
    assert len(kept) == len(set(samples.accounts)) // 2
    assert len(part.accounts) == 6 * len(kept), "an account comes with all its rows or none"
    # the average scores the mean of its members' sums
    one, _ = fit_interactions(part, medium=0.6, margin=0.0, trees=20, rows_per_account=6)
    other, _ = fit_interactions(
        account_subsample(samples, 0.5, seed=4), medium=0.6, margin=0.0, trees=20, rows_per_account=6
    )
    x = samples.matrix()
    mean = (one.logit_rows(x) - one.offset) / one.scale / 2 + (
        other.logit_rows(x) - other.offset
    ) / other.scale / 2
    assert np.allclose(average([one, other]).logit_rows(x), mean, atol=1e-9)
    # a bagged fit: bags x trees trees, reproducible, and it still finds the interaction
    bagged, report = fit_interactions(samples, medium=0.6, margin=0.0, trees=20, rows_per_account=6, bags=3)
    again, _ = fit_interactions(samples, medium=0.6, margin=0.0, trees=20, rows_per_account=6, bags=3)
    assert len(bagged.leaves) == 60 and report["bags"] == 3
    assert json.dumps(bagged.to_dict()) == json.dumps(again.to_dict())
    assert report["flagged_share_by_family_on_training_data"]["spread"] >= 0.9


def test_a_file_round_trips_and_a_wrong_shape_is_refused(tmp_path: Path) -> None:
    again = InteractionTrees.from_dict(json.loads(json.dumps(COMMITTED.to_dict())))
    x = np.random.default_rng(0).random((50, len(NAMES)))
    assert np.allclose(again.logit_rows(x), COMMITTED.logit_rows(x), atol=1e-5)
    broken = COMMITTED.to_dict()
    broken["leaves"] = [row[:-1] for row in broken["leaves"]]
    with pytest.raises(ValueError, match="leaves has shape"):
        InteractionTrees.from_dict(broken)


def test_a_split_next_to_an_exact_signal_value_survives_the_file() -> None:
    """Signals sit on exact values (0.9 = 9 of the last 10 requests) and a split can fall just below
    one; written with six digits it lands on it and sends the value down the other branch."""
    below = float(np.nextafter(0.9, 0.0)) - 1e-9
    trees = InteractionTrees(
        names=("elicitation",),
        depth=1,
        offset=0.0,
        features=np.array([[0]]),
        thresholds=np.array([[below]]),
        leaves=np.array([[-1.0, 1.0]]),
        node_values=np.array([[0.0]]),
    )
    exact = InteractionTrees.from_dict(json.loads(json.dumps(trees.to_dict(exact_splits=True))))
    assert trees.logit({"elicitation": 0.9}) == exact.logit({"elicitation": 0.9}) == 1.0
    assert exact.logit({"elicitation": below}) == -1.0
    # rounded to six digits (the committed file's format), the split lands on 0.9 and sends it left
    rounded = InteractionTrees.from_dict(json.loads(json.dumps(trees.to_dict())))
    assert rounded.logit({"elicitation": 0.9}) == -1.0


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(st.floats(0, 1), min_size=len(NAMES), max_size=len(NAMES)),
    which=st.integers(0, len(NAMES) - 1),
    more=st.floats(0, 1),
)
def test_more_evidence_never_lowers_the_committed_score(base: list[float], which: int, more: float) -> None:
    signals = dict(zip(NAMES, base, strict=True))
    raised = dict(signals)
    raised[NAMES[which]] = min(1.0, signals[NAMES[which]] + more)
    before, after = COMMITTED.logit(signals), COMMITTED.logit(raised)
    if NAMES[which] == "established_account":  # the trust signal: more of it only lowers the score
        assert after <= before + 1e-9
    else:
        assert after >= before - 1e-9


def test_attributions_add_up_to_the_score() -> None:
    rng = np.random.default_rng(1)
    expected_root = float(COMMITTED.node_values[:, 0].sum())
    for row in rng.random((20, len(NAMES))):
        signals = dict(zip(NAMES, row, strict=True))
        added = sum(value for value, _ in COMMITTED.attribution(signals).values())
        total = COMMITTED.offset + COMMITTED.scale * (expected_root + added)
        assert total == pytest.approx(COMMITTED.logit(signals), abs=1e-6)


def test_a_tree_scored_alert_names_its_reasons_with_their_thresholds() -> None:
    config = FusionConfig()
    assert config.interactions and config.interactions_file is None
    blatant = {name: 0.0 for name in NAMES} | {
        "elicitation": 0.9,
        "extraction": 1.0,
        "thinking": 0.9,
        "single_turn": 1.0,
        "ip_rotation": 0.9,
        "shared_traits": 0.8,
        "flat_diurnal": 0.9,
    }
    assert severity_for(severity_score(blatant, config), config).rank >= Severity.MEDIUM.rank
    quiet = {name: 0.0 for name in NAMES} | {"single_turn": 0.5, "established_account": 1.0}
    assert severity_for(severity_score(quiet, config), config) is None
    reasons = explain(blatant, config)
    assert reasons, "a medium+ request always says why"
    for reason in reasons:
        assert reason.threshold <= reason.value, reason  # the evidence counted from its threshold on
    # the population shares are looked up for the additive model's reason signals, trees or not
    assert reason_floors(config, tuple(NAMES)) == reason_floors(
        FusionConfig(interactions=False), tuple(NAMES)
    )
    # the additive weights alone still decide when the trees are switched off
    additive = FusionConfig(interactions=False)
    assert severity_score(blatant, additive) != severity_score(blatant, config)


def test_the_committed_file_records_how_it_was_made() -> None:
    report = json.loads(INTERACTIONS_FILE.read_text(encoding="utf-8"))["report"]
    assert all("redteam" in path or "small" in path for path in report["trained_on"])
    assert not any(Path(path).parent.name == "redteam" for path in report["trained_on"]), (
        "never the blind split"
    )
    assert report["depth"] == COMMITTED.depth and report["trees"] == len(COMMITTED.leaves)


@pytest.mark.slow  # ~8 minutes, and the red-team dev split needs ../shared/corpora to be the same traffic
def test_make_fit_fusion_reproduces_the_committed_trees(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from distillguard.evaluation import redteam
    from distillguard.evaluation.corpora import corpora_root
    from distillguard.evaluation.fit_fusion import FIT_SETTINGS_FILE, collect
    from distillguard.evaluation.fit_interactions import additive_only, fit_interactions
    from distillguard.evaluation.scenarios import get_scenario
    from distillguard.evaluation.simulator import write_scenario
    from distillguard.streams.settings import load_settings

    root = corpora_root()
    if root is None:
        pytest.skip("the committed fit was made with ../shared/corpora (set DISTILLGUARD_CORPORA)")
    redteam.write(tmp_path / "redteam-dev", "dev", corpora_root=root)
    redteam.write(tmp_path / "redteam-dev-4245", "dev", seed=4245, corpora_root=root)
    write_scenario(get_scenario("small"), tmp_path / "small")
    runs = ("redteam-dev", "redteam-dev-4245", "small")
    pairs = [(tmp_path / d / "events.jsonl", tmp_path / d / "labels.jsonl") for d in runs]
    config = load_settings(FIT_SETTINGS_FILE).detection  # the settings `make fit-fusion` pins
    every_request = collect(pairs, additive_only(config)).every_request
    fitted, _ = fit_interactions(
        every_request, config.fusion.medium, cold_start_reference=config.fusion.weights
    )
    committed = json.loads(INTERACTIONS_FILE.read_text(encoding="utf-8"))["trees"]
    assert json.loads(json.dumps(fitted.to_dict())) == committed
