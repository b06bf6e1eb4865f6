"""Fit the interaction trees (:mod:`models.interactions`) on the signal vectors a fusion fit collects.

Why: the additive fusion scores each signal on its own curve, and the accounts it misses at its
false-positive budget are those whose evidence is only unusual *together* (a low-volume spread's
capability tasks on a young account with long answers; an agent harness on rented networks) while a
developer with a popular tool set has one or two of the parts. Boosted trees see the combinations.

How, reproducibly: scikit-learn's histogram gradient boosting (a development dependency only; the
runtime reads the exported arrays) on every alert-eligible request vector, at most ``rows_per_account``
evenly spaced ones per account, each account weighing 1 and both classes the same in total; every
evidence signal constrained monotone increasing and ``established_account`` decreasing, so more
evidence never lowers the score. The offset is then calibrated like the additive model's bias
(:func:`~distillguard.evaluation.fit_fusion.calibrate_bias`): at most ``target_fpr`` of the normal
accounts, and ``class_fpr`` of each normal class, reach the medium band anywhere in the training traffic.
Single-threaded and seeded, so a refit on the same files gives the same file.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from distillguard.evaluation.fit_fusion import (
    Samples,
    calibrate_bias,
    mean_family_recall,
    sample_weights,
    with_cold_start,
)
from distillguard.models.config import DetectionConfig, FusionWeights
from distillguard.models.fusion import fuse
from distillguard.models.interactions import InteractionTrees

# Signals whose more can only lower the score (the rest only raise it).
DECREASING = frozenset({"established_account"})


def spaced_rows(samples: Samples, rows_per_account: int) -> Samples:
    """At most ``rows_per_account`` evenly spaced vectors of each account."""
    by_account: dict[str, list[int]] = defaultdict(list)
    for i, account in enumerate(samples.accounts):
        by_account[account].append(i)
    chosen: list[int] = []
    for rows in by_account.values():
        picks = np.linspace(0, len(rows) - 1, min(rows_per_account, len(rows))).round().astype(int)
        chosen.extend(rows[p] for p in picks)
    x = samples.matrix()
    return Samples(
        samples.names,
        [x[i].tolist() for i in chosen],
        [samples.accounts[i] for i in chosen],
        [samples.positive[i] for i in chosen],
        [samples.families[i] for i in chosen],
    )


def account_subsample(samples: Samples, share: float, seed: int) -> Samples:
    """The rows of a seeded random ``share`` of the accounts (every row of each account kept)."""
    accounts = sorted(set(samples.accounts))
    rng = np.random.default_rng(seed)
    keep = set(rng.choice(accounts, max(1, round(share * len(accounts))), replace=False).tolist())
    chosen = [i for i, account in enumerate(samples.accounts) if account in keep]
    x = samples.matrix()
    return Samples(
        samples.names,
        x[chosen],
        [samples.accounts[i] for i in chosen],
        [samples.positive[i] for i in chosen],
        [samples.families[i] for i in chosen],
    )


def average(ensembles: list[InteractionTrees]) -> InteractionTrees:
    """One ensemble whose sum is the mean of the ensembles' sums: their trees side by side, each
    tree's leaves and node values divided by their number (offsets are left to the calibration)."""
    first, share = ensembles[0], 1.0 / len(ensembles)
    return InteractionTrees(
        first.names,
        first.depth,
        0.0,
        np.concatenate([e.features for e in ensembles]),
        np.concatenate([e.thresholds for e in ensembles]),
        np.concatenate([e.leaves for e in ensembles]) * share,
        np.concatenate([e.node_values for e in ensembles]) * share,
    )


def additive_only(config: DetectionConfig) -> DetectionConfig:
    """``config`` scoring with the additive weights alone: what a collection for this fit runs with.
    The final score changes no signal (offline, alerts feed nothing back), so the trees being fitted
    are not needed to collect, nor is any older file of them."""
    return config.model_copy(update={"fusion": config.fusion.model_copy(update={"interactions": False})})


def export(model: Any, names: list[str], depth: int) -> InteractionTrees:
    """The fitted model's trees as complete arrays (see :class:`InteractionTrees`), without offset."""
    internal, width = 2**depth - 1, 2**depth
    trees = [predictors[0].nodes for predictors in model._predictors]
    features = np.zeros((len(trees), internal), dtype=np.int64)
    thresholds = np.full((len(trees), internal), np.inf)
    node_values = np.zeros((len(trees), internal))
    leaves = np.zeros((len(trees), width))
    for t, nodes in enumerate(trees):

        def place(index: int, slot: int, level: int, nodes: Any = nodes, t: int = t) -> float:
            """Copy node ``index`` into ``slot`` of the complete tree; its expected (count-weighted) value."""
            node = nodes[index]
            if level == depth:
                leaves[t, slot - internal] = node["value"]
                return float(node["value"])
            if node["is_leaf"]:  # a shallower leaf: repeated under an always-left split
                left = place(index, 2 * slot + 1, level + 1)
                place(index, 2 * slot + 2, level + 1)
                node_values[t, slot] = left
                return left
            features[t, slot] = int(node["feature_idx"])
            thresholds[t, slot] = float(node["num_threshold"])
            left_count, right_count = nodes[node["left"]]["count"], nodes[node["right"]]["count"]
            left = place(int(node["left"]), 2 * slot + 1, level + 1)
            right = place(int(node["right"]), 2 * slot + 2, level + 1)
            value = (left * left_count + right * right_count) / max(1, left_count + right_count)
            node_values[t, slot] = value
            return value

        place(0, 0, 0)
    return InteractionTrees(tuple(names), depth, 0.0, features, thresholds, leaves, node_values)


def fit_interactions(
    samples: Samples,
    medium: float,
    target_fpr: float = 0.0005,
    class_fpr: float = 0.01,
    margin: float = 1.0,
    depth: int = 3,
    trees: int = 400,
    rows_per_account: int = 40,
    cold_start_reference: FusionWeights | None = None,
    cold_start_share: float = 0.25,
    seed: int = 0,
    bags: int = 1,
    bag_share: float = 0.7,
) -> tuple[InteractionTrees, dict[str, Any]]:
    """Fit, export and calibrate the trees on ``samples`` (every alert-eligible request of a collection),
    then lower the offset by ``margin`` log-odds; returns them and a report (training rates per family
    with that offset). With ``cold_start_reference`` (the additive weights), campaign vectors those
    weights flag without coordination and population evidence are added stripped of it, carrying
    ``cold_start_share`` of the positive weight (see :func:`with_cold_start`): the trees may not learn to
    wait for evidence that a fresh worker or a campaign met cold does not have yet (the population
    rarity warms up over thousands of accounts), when the additive model does not.

    With ``bags`` > 1, ``bags`` ensembles are fitted, each on a seeded random ``bag_share`` of the
    accounts, and averaged (their trees side by side, each weighing ``1 / bags``) before the offset is
    calibrated: one fit moves by several points of held-out recall with which accounts it saw (README),
    and the average moves less, at ``bags`` times the trees."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    def fit_one(part: Samples) -> InteractionTrees:
        train = spaced_rows(part, rows_per_account)
        if cold_start_reference is not None:
            train = with_cold_start(train, cold_start_reference, medium)
        weight = sample_weights(train, cold_start_share if cold_start_reference is not None else 0.0)
        model = HistGradientBoostingClassifier(
            max_depth=depth,
            max_iter=trees,
            learning_rate=0.1,
            l2_regularization=1.0,
            min_samples_leaf=100,
            monotonic_cst=[-1 if name in DECREASING else 1 for name in samples.names],
            early_stopping=False,
            random_state=seed,
        )
        with threadpool_limits(1):  # one thread: the same sums in the same order, so the same trees
            model.fit(
                train.matrix(), np.asarray(train.positive, dtype=bool), sample_weight=weight * len(weight)
            )
        return export(model, list(samples.names), depth)

    if bags == 1:
        exported = fit_one(samples)
    else:
        exported = average(
            [fit_one(account_subsample(samples, bag_share, seed + bag)) for bag in range(bags)]
        )
    raw = exported.logit_rows(samples.matrix())
    offset, _ = calibrate_bias(samples, raw, medium, target_fpr, class_fpr)
    offset -= margin
    rates = flagged_shares(samples, raw + offset, medium)
    # On the additive model's scale (when given): the ratio of the two models' spreads over every
    # request, applied around the medium boundary, which stays where the calibration put it.
    scale = 1.0
    if cold_start_reference is not None:
        x = samples.matrix()
        additive = np.array([_additive_logit(row, samples.names, cold_start_reference) for row in x])
        scale = round(float(additive.std() / raw.std()), 6) if raw.std() > 0 else 1.0
    logit_medium = math.log(medium / (1 - medium))
    offset = logit_medium - scale * (logit_medium - offset)
    calibrated = InteractionTrees(
        exported.names,
        depth,
        offset,
        exported.features,
        exported.thresholds,
        exported.leaves,
        exported.node_values,
        scale=scale,
    )
    report = {
        "trees": trees,
        "bags": bags,
        "bag_share": bag_share if bags > 1 else 1.0,
        "depth": depth,
        "rows_per_account": rows_per_account,
        "cold_start_share": cold_start_share if cold_start_reference is not None else 0.0,
        "target_fpr": target_fpr,
        "class_fpr": class_fpr,
        "margin": margin,
        "offset": round(offset, 6),
        "scale": round(scale, 6),
        "mean_family_recall": round(mean_family_recall(rates, samples), 4),
        "flagged_share_by_family_on_training_data": {k: round(v, 4) for k, v in rates.items()},
    }
    return calibrated, report


def _additive_logit(row: np.ndarray, names: list[str], weights: FusionWeights) -> float:
    probability = fuse(dict(zip(names, row.tolist(), strict=True)), weights)
    probability = min(max(probability, 1e-15), 1 - 1e-15)
    return math.log(probability / (1 - probability))


def flagged_shares(samples: Samples, logits: np.ndarray, medium: float) -> dict[str, float]:
    """The share of each family's accounts whose peak logit reaches the medium band."""
    logit_medium = math.log(medium / (1 - medium))
    peak: dict[str, float] = {}
    family: dict[str, str] = {}
    for value, account, name in zip(logits, samples.accounts, samples.families, strict=True):
        peak[account] = max(peak.get(account, -math.inf), float(value))
        family[account] = name
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for account, value in peak.items():
        counts[family[account]][0] += int(value >= logit_medium)
        counts[family[account]][1] += 1
    return {name: hit / total for name, (hit, total) in sorted(counts.items())}


def write_interactions(
    trees: InteractionTrees, report: dict[str, Any], out: Path, exact_splits: bool = False
) -> None:
    """The file :func:`~distillguard.models.interactions.load_interactions` reads."""
    payload = {"trees": trees.to_dict(exact_splits), "report": report}
    out.write_bytes(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS) + b"\n")
