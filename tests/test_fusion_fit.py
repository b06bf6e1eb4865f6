"""The fusion weights are a fit, not a guess: the committed file is what the config loads, the fit
respects its bounds, and the calibration keeps every normal class within its false-positive budget."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from distillguard.evaluation.fit_fusion import (
    TRUST_BOUNDS,
    Basis,
    Samples,
    calibrate_bias,
    fit,
    fit_mined,
    signal_names,
)
from distillguard.models.config import FUSION_WEIGHTS_FILE, FusionConfig, FusionWeights
from distillguard.models.fusion import fuse


def test_the_config_loads_the_committed_fit() -> None:
    committed = json.loads(FUSION_WEIGHTS_FILE.read_text(encoding="utf-8"))["weights"]
    priors = set(FusionConfig().beside_trees)  # set in the config, not by the fit
    loaded = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in FusionWeights().model_dump().items()
        if k not in priors
    }
    assert loaded == committed
    for name, (low, high) in TRUST_BOUNDS.items():
        assert low <= committed[name] <= high, name


def _samples(seed: int = 1) -> Samples:
    """Two signals: 'ip_rotation' separates campaigns from normals, 'thinking' is noise; one normal
    family ('judge') looks like campaigns on both."""
    rng = random.Random(seed)
    names = signal_names()
    rows, accounts, positive, families = [], [], [], []

    def add(account: str, family: str, is_campaign: bool, rotation: float, thinking: float) -> None:
        for _ in range(5):
            row = [0.0] * len(names)
            row[names.index("ip_rotation")] = min(1.0, max(0.0, rotation + rng.gauss(0, 0.05)))
            row[names.index("thinking")] = min(1.0, max(0.0, thinking + rng.gauss(0, 0.3)))
            rows.append(row)
            accounts.append(account)
            positive.append(is_campaign)
            families.append(family)

    for i in range(200):
        add(f"c{i}", "hydra", True, 0.9, 0.5)
    for i in range(1000):
        add(f"n{i}", "casual", False, 0.1, 0.5)
    for i in range(10):
        add(f"j{i}", "judge", False, 0.6, 0.5)
    return Samples(names, rows, accounts, positive, families)


def test_fit_puts_weight_on_the_separating_signal_and_none_below_zero_for_evidence() -> None:
    samples = _samples()
    weights, _ = fit(samples)
    named = dict(zip(samples.names, weights, strict=True))
    assert named["ip_rotation"] > 2.0
    assert abs(named["thinking"]) < named["ip_rotation"] / 4
    for name, value in named.items():
        low, high = TRUST_BOUNDS.get(name, (0.0, math.inf))
        assert low - 1e-9 <= value <= high + 1e-9, name


def test_calibration_holds_the_per_class_budget() -> None:
    samples = _samples()
    weights, _ = fit(samples)
    scores = samples.matrix() @ weights
    loose, loose_rates = calibrate_bias(samples, scores, 0.6, target_fpr=0.01, class_fpr=1.0)
    strict, strict_rates = calibrate_bias(samples, scores, 0.6, target_fpr=0.01, class_fpr=0.01)
    # 10 judges in ~1,000 normals fit the overall 1 % budget, but not the per-class one.
    assert loose_rates["judge"] > 0.01 and strict_rates["judge"] == 0.0
    assert strict <= loose and strict_rates["casual"] <= 0.01


def test_mining_never_returns_a_worse_round_than_the_plain_fit() -> None:
    samples = _samples(seed=2)
    _, _, rates, history = fit_mined(samples, samples, 0.6, target_fpr=0.01, class_fpr=0.01, rounds=3)
    assert rates["hydra"] == max(history) == np.max(history)
    assert history[0] <= max(history)


def _moderate_on_two_or_extreme_on_one(seed: int = 3) -> Samples:
    """Campaigns are moderate on two signals; each normal class is extreme on one of them. One slope
    per signal scores both the same (0.3 + 0.3 = 0.6 + 0); shapes that saturate separate them."""
    rng = random.Random(seed)
    names = signal_names()
    first, second = names.index("thinking"), names.index("ip_rotation")
    rows, accounts, positive, families = [], [], [], []
    groups = [
        ("hydra", True, 0.3, 0.3, 100),
        ("judge", False, 0.6, 0.0, 300),
        ("cgnat", False, 0.0, 0.6, 300),
    ]
    for family, is_campaign, a, b, count in groups:
        for i in range(count):
            for _ in range(3):
                row = [0.0] * len(names)
                row[first] = min(1.0, max(0.0, a + rng.gauss(0, 0.03)))
                row[second] = min(1.0, max(0.0, b + rng.gauss(0, 0.03)))
                rows.append(row)
                accounts.append(f"{family}{i}")
                positive.append(is_campaign)
                families.append(family)
    return Samples(names, rows, accounts, positive, families)


def test_shapes_separate_what_one_slope_per_signal_cannot() -> None:
    samples = _moderate_on_two_or_extreme_on_one()
    recall = {}
    for segments in (1, 4):
        basis = Basis(samples.names, segments)
        _, _, rates, _ = fit_mined(samples, samples, 0.6, 0.01, 0.01, basis, rounds=2)
        recall[segments] = rates["hydra"]
    assert recall[1] < 0.5 and recall[4] > 0.9, recall


def test_fitted_shapes_load_and_score_as_the_fit_scored_them() -> None:
    samples = _moderate_on_two_or_extreme_on_one()
    basis = Basis(samples.names, 4)
    theta, intercept = fit(samples, basis)
    weights = basis.weights(theta, digits=12)
    loaded = FusionWeights.model_validate({"bias": intercept, **weights})  # validates every shape
    assert isinstance(loaded.thinking, tuple) and loaded.thinking[0] == 0.0
    x = samples.matrix()
    expected = 1.0 / (1.0 + np.exp(-(basis.score(x, theta) + intercept)))
    for row, want in zip(x[::50], expected[::50], strict=True):
        assert fuse(dict(zip(samples.names, row, strict=True)), loaded) == pytest.approx(want, abs=1e-9)


def test_the_fit_settings_file_loads_and_differs_from_the_defaults() -> None:
    # The settings the committed fit was collected under: a file that silently matched today's defaults
    # (or failed to load) would make the slow reproduction test below check nothing new.
    from distillguard.evaluation.fit_fusion import FIT_SETTINGS_FILE
    from distillguard.models.config import DetectionConfig
    from distillguard.streams.settings import load_settings

    pinned = load_settings(FIT_SETTINGS_FILE).detection
    assert pinned.account.own_evidence == "combined" and not pinned.fusion.interactions
    assert pinned.model_dump() != DetectionConfig().model_dump()


@pytest.mark.slow  # ~5 minutes, and the red-team dev split needs ../shared/corpora to be the same traffic
def test_make_fit_fusion_reproduces_the_committed_weights(tmp_path: Path) -> None:
    from distillguard.evaluation import redteam
    from distillguard.evaluation.corpora import corpora_root
    from distillguard.evaluation.fit_fusion import FIT_SETTINGS_FILE, fit_weights, with_collection_weights
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
    config = with_collection_weights(load_settings(FIT_SETTINGS_FILE).detection, FUSION_WEIGHTS_FILE)
    fitted = fit_weights(pairs, config)["weights"]
    assert fitted == json.loads(FUSION_WEIGHTS_FILE.read_text(encoding="utf-8"))["weights"]


def _coordinated_campaigns_and_elicit_heavy_normals(seed: int = 3) -> Samples:
    """Campaigns that elicit reasoning and share traits; normal accounts of which a tenth elicit as much
    (a tutoring app) but share nothing: coordination alone separates the classes in this training set."""
    rng = random.Random(seed)
    names = signal_names()
    rows, accounts, positive, families = [], [], [], []
    for i in range(1200):
        campaign = i < 200
        heavy = not campaign and i % 10 == 0
        for _ in range(4):
            row = [0.0] * len(names)
            level = 0.9 if campaign or heavy else 0.1
            row[names.index("elicitation")] = min(1.0, max(0.0, level + rng.gauss(0, 0.05)))
            row[names.index("shared_traits")] = 0.9 if campaign else 0.0
            rows.append(row)
            accounts.append(f"a{i}")
            positive.append(campaign)
            families.append("hydra" if campaign else "tutoring" if heavy else "casual")
    return Samples(names, rows, accounts, positive, families)


def test_cold_start_copies_keep_what_content_alone_caught() -> None:
    from distillguard.evaluation.fit_fusion import sample_weights, with_cold_start

    samples = _coordinated_campaigns_and_elicit_heavy_normals()
    basis = Basis(samples.names, 1)
    # The reference flags elicitation at 0.9 on its own (a detector that caught these accounts cold).
    reference = FusionWeights.model_validate({"bias": -3.0, "elicitation": 5.0})
    cold = with_cold_start(samples, reference, medium=0.6)
    stripped = [row for row, a in zip(cold.rows, cold.accounts, strict=True) if a.endswith(":cold-start")]
    assert len(stripped) == 200 * 4
    assert all(row[samples.names.index("shared_traits")] == 0.0 for row in stripped)
    plain, _ = fit(samples, basis)
    kept, _ = fit(cold, basis, w_sample=sample_weights(cold, cold_start_share=0.25))
    at = samples.names.index("elicitation")
    # Without the copies, coordination explains every campaign and elicitation is worth less; with
    # them the fit raises elicitation to what catches the campaign cold, at some cost to coordination.
    assert kept[at] > plain[at] + 1.0, (plain[at], kept[at])
    assert kept[samples.names.index("shared_traits")] > 0.0
    weights = sample_weights(cold, cold_start_share=0.25)
    is_cold = np.array([a.endswith(":cold-start") for a in cold.accounts])
    assert weights[is_cold].sum() == pytest.approx(0.125) and weights[~np.asarray(cold.positive)].sum() == (
        pytest.approx(0.5)
    )


def test_misread_runs_add_only_normal_accounts_with_their_content_raised(tmp_path: Path) -> None:
    import orjson

    from distillguard.evaluation.fit_fusion import Misreads, collect
    from distillguard.models.config import DetectionConfig
    from distillguard.schemas import RequestEvent
    from distillguard.schemas.codec import encode_request

    def event(i: int, account: str, prompt: str) -> RequestEvent:
        return RequestEvent(
            schema_version=1,
            event_id=f"{account}-{i}",
            ts=1_767_225_600_000 + i * 60_000,
            account_id=account,
            ip="203.0.113.9" if account == "n1" else f"198.51.{i % 200}.7",
            model="atlas-2-pro",
            input_tokens=30,
            output_tokens=700,
            prompt=prompt,
            conversation_turns=1,
        )

    stream = [
        e
        for i in range(30)
        for e in (
            event(i, "n1", f"Suggest a name for a bakery on street number {i}"),
            event(i, "c1", f"What is {i} times {i + 3}? Walk through each step before the answer."),
        )
    ]
    (tmp_path / "events.jsonl").write_bytes(b"".join(encode_request(e) + b"\n" for e in stream))
    rows = [
        {"account_id": "n1", "family": "casual", "kind": "normal"},
        {"account_id": "c1", "family": "hydra", "campaign_id": "k", "kind": "campaign"},
    ]
    (tmp_path / "labels.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    pairs = [(tmp_path / "events.jsonl", tmp_path / "labels.jsonl")]

    plain = collect(pairs, DetectionConfig(), processes=1)
    both = collect(pairs, DetectionConfig(), processes=1, misreads=Misreads(share=1.0))
    owners = {name.rsplit(":", 1)[1] for name in both.fit.accounts}
    assert owners == {"n1", "c1", "n1|misread"}
    normal_rows = sum(name.endswith(":n1") for name in plain.fit.accounts)
    assert normal_rows > 0 and len(both.fit.rows) == len(plain.fit.rows) + normal_rows
    column = both.every_request.names.index("elicitation")
    by_owner: dict[str, list[float]] = {}
    for name, row in zip(both.every_request.accounts, both.every_request.matrix(), strict=True):
        by_owner.setdefault(name.rsplit(":", 1)[1], []).append(float(row[column]))
    assert max(by_owner["n1"]) < 0.5 < min(by_owner["n1|misread"])
