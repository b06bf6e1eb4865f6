"""The benign reference population: tail shares, the rarity signal, and what reaches the reasons."""

from __future__ import annotations

import random

import pytest

from distillguard.models.config import DetectionConfig
from distillguard.models.signal_rarity import SignalRarity, lesson_due
from distillguard.models.stages import RARITY_SIGNALS


def _taught(values: list[float], **kwargs: float) -> SignalRarity:
    rarity = SignalRarity(("x", "y"), warmup_accounts=50, **kwargs)  # type: ignore[arg-type]
    for value in values:
        rarity.learn_one({"x": value, "y": 0.0})
    return rarity


def test_tail_share_follows_the_benign_distribution() -> None:
    rng = random.Random(7)
    rarity = _taught([rng.random() * 0.5 for _ in range(2_000)])  # benign: uniform on [0, 0.5)
    assert abs(rarity.share_at_least("x", 0.25) - 0.5) < 0.05
    assert rarity.share_at_least("x", 0.9) == rarity.floor_share  # never seen: the floor, not 0
    assert rarity.share_at_least("x", 0.0) == pytest.approx(1.0, abs=1e-3)


def test_nothing_before_warm_up() -> None:
    rarity = _taught([0.0] * 10)
    assert not rarity.ready
    assert rarity.share_at_least("x", 1.0) == 1.0
    assert rarity.rarity({"x": 1.0}) == 0.0


def test_rarity_rises_with_rarer_values_and_more_rare_signals() -> None:
    rng = random.Random(3)
    rarity = SignalRarity(("x", "y"), warmup_accounts=50)
    for _ in range(2_000):
        rarity.learn_one({"x": rng.random() * 0.3, "y": rng.random() * 0.3})
    common = rarity.rarity({"x": 0.1, "y": 0.0})
    one_rare = rarity.rarity({"x": 0.9, "y": 0.0})
    both_rare = rarity.rarity({"x": 0.9, "y": 0.9})
    assert common < one_rare < both_rare <= 1.0


def test_old_lessons_fade_so_the_reference_follows_drift() -> None:
    rarity = SignalRarity(("x",), warmup_accounts=10, half_life_accounts=100)
    for _ in range(1_000):
        rarity.learn_one({"x": 0.05})
    assert rarity.share_at_least("x", 0.8) < 0.01
    for _ in range(1_000):  # the population moves: most benign accounts now show 0.8+
        rarity.learn_one({"x": 0.85})
    assert rarity.share_at_least("x", 0.8) > 0.9


def test_rescaling_keeps_shares() -> None:
    rarity = SignalRarity(("x",), warmup_accounts=1, half_life_accounts=10.0)
    for i in range(10_000):  # 2 ** (10_000 / 10) overflows a float without the rescale
        rarity.learn_one({"x": (i % 4) / 4})
    # The last lesson (0.75) weighs most: 1 / (1 + r + r² + r³) of the mass with r = 0.5 ** 0.1, i.e.
    # 1 / (1 - r⁴) lessons of weight 1 out of n = 1 / (1 - r), smoothed: (tail + 1/2) / (n + 1).
    r = 0.5**0.1
    expected = (1 / (1 - r**4) + 0.5) / (1 / (1 - r) + 1)
    assert rarity.share_at_least("x", 0.75) == pytest.approx(expected, abs=0.002)


def test_a_small_reference_cannot_call_anything_very_rare() -> None:
    rarity = SignalRarity(("x",), warmup_accounts=20)
    for _ in range(30):
        rarity.learn_one({"x": 0.0})
    assert rarity.share_at_least("x", 1.0) == pytest.approx(0.5 / 31, rel=1e-3)  # not the 1e-3 floor
    assert rarity.rarity({"x": 1.0}) < 0.5


def test_geometric_lesson_schedule() -> None:
    assert [n for n in range(1, 200) if lesson_due(n)] == [5, 10, 20, 40, 80, 160]


def test_rarity_signals_are_account_signals_with_weights() -> None:
    weights = DetectionConfig().fusion.weights
    for name in (*RARITY_SIGNALS, "rarity", "output_appetite"):
        assert hasattr(weights, name), name
