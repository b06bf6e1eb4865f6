"""Population anomaly model: how unlike everyone else is this account's behaviour vector?

One River :class:`~river.anomaly.HalfSpaceTrees` is shared by all accounts (a model per account does
not scale). Account signals are already shares in [0, 1], the range HalfSpaceTrees assumes. To keep
the attack from teaching the model that attacks are normal, only accounts currently scored below
``learn_below_score`` are learned.

>>> from distillguard.models.config import PopulationConfig
>>> pop = PopulationModel(PopulationConfig(warmup_accounts=0, window_size=10), seed=1)
>>> for _ in range(50): _ = pop.learn_one({"x": 0.1, "y": 0.1})
>>> pop.score_one({"x": 0.9, "y": 0.95}) > pop.score_one({"x": 0.1, "y": 0.1})
True
"""

from __future__ import annotations

from river import anomaly

from distillguard.models.config import PopulationConfig


class PopulationModel:
    """Shared HalfSpaceTrees with a warm-up period and a poisoning guard."""

    def __init__(self, config: PopulationConfig, seed: int = 0) -> None:
        self.config = config
        self.model = anomaly.HalfSpaceTrees(
            n_trees=config.n_trees, height=config.height, window_size=config.window_size, seed=seed
        )
        self.learned = 0

    @property
    def warm(self) -> bool:
        return self.learned >= self.config.warmup_accounts

    def score_one(self, vector: dict[str, float]) -> float:
        """Anomaly score in [0, 1]; 0 while the model is warming up."""
        return float(self.model.score_one(vector)) if self.warm else 0.0

    def learn_one(self, vector: dict[str, float], current_score: float = 0.0) -> bool:
        """Learn the vector as normal unless its account already looks suspicious; True when learned."""
        if current_score >= self.config.learn_below_score:
            return False
        self.model.learn_one(vector)
        self.learned += 1
        return True
