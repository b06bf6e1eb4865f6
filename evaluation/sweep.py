"""Threshold sweep: what recall, false positives and detection delay would each ``fusion.medium`` give?

The sweep replays nothing. It reads the per-account score traces of :mod:`evaluation.runner` (for each
grid threshold, the own request index and ts at which the account's score first reached it) and, for
every threshold ``t``, treats an account as flagged iff its score ever reached ``t``; its time to detect
is the request index of that first crossing. This models the medium threshold alone: gates the live
detector applies besides the score and the min_events gate (cooldowns) are not re-simulated, so the point at
the configured threshold can differ slightly from the alert-based metrics.

Per threshold it reports recall per campaign family, FPR per normal class, pooled campaign recall,
pooled normal FPR, account precision, and median TTD (nearest rank, as in :mod:`evaluation.metrics`).
Because crossing is monotone, flagged sets shrink as ``t`` rises, so normal FPR is non-increasing in
``t`` and :func:`recommend` (the lowest threshold meeting an FPR target) keeps the most recall.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from distillguard.evaluation.metrics import (
    Label,
    family_kinds,
    matched_verdict,
    nearest_rank,
    ratio,
    unique_alerts,
)
from distillguard.evaluation.runner import DEFAULT_GRID, AccountTrace
from distillguard.schemas.suspicion_event import SuspicionEvent

HISTOGRAM_BINS = 20
CONFIG_KEY = "detection.fusion.medium"
MATCHED_FPR_RULE = (
    "each baseline is operated at the lowest grid threshold whose pooled normal FPR, over the baseline's "
    "own score traces, is at most the budget max(target FPR, distillguard's measured normal FPR at its "
    "configured threshold); normal FPR only falls as the threshold rises, so this keeps the baseline's "
    "most recall within the budget"
)
ENV_PREFIX = "DISTILLGUARD_"


class TraceLike(Protocol):
    max_score: float
    cross_n: Sequence[int]
    cross_ts: Sequence[int]


@dataclass(slots=True)
class SweepResult:
    """Sweep points (one dict per grid threshold) plus max-score distributions per family."""

    grid: tuple[float, ...]
    families: dict[str, str]
    points: list[dict[str, Any]]
    score_histograms: dict[str, Any]
    source: str = "detector score trace"
    current_threshold: float | None = None
    unlabelled_accounts: int = 0
    fusion: dict[str, float] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)

    @property
    def normal_accounts(self) -> int:
        return sum(n for family, n in self.accounts.items() if self.families.get(family) == "normal")

    def recommend(self, target_fpr: float) -> dict[str, Any]:
        """The lowest threshold whose pooled normal FPR is at most ``target_fpr`` (see :func:`recommend`)."""
        return recommend(self, target_fpr)

    def pr_curve(self) -> dict[str, list[Any]]:
        """Precision/recall curve data: one (threshold, pooled campaign recall, precision) per grid point."""
        return {
            "threshold": [p["threshold"] for p in self.points],
            "recall": [p["campaign_recall"] for p in self.points],
            "precision": [p["precision"] for p in self.points],
            "normal_fpr": [p["normal_fpr"] for p in self.points],
        }

    def point_at(self, threshold: float) -> dict[str, Any] | None:
        """The sweep point of the grid threshold nearest to ``threshold``."""
        if not self.points:
            return None
        return min(self.points, key=lambda p: abs(p["threshold"] - threshold))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "grid": list(self.grid),
            "families": self.families,
            "current_threshold": self.current_threshold,
            "unlabelled_accounts": self.unlabelled_accounts,
            "fusion": self.fusion,
            "accounts": self.accounts,
            "points": self.points,
            "pr_curve": self.pr_curve(),
            "score_histograms": self.score_histograms,
        }


def _median(values: Sequence[float]) -> float | None:
    return nearest_rank(values, 50)


def _point(
    threshold: float,
    families: Mapping[str, str],
    accounts: Mapping[str, int],
    flagged: Mapping[str, int],
    ttd_n: Mapping[str, list[int]],
    ttd_min: list[float],
) -> dict[str, Any]:
    campaign = [f for f, kind in families.items() if kind == "campaign"]
    normal = [f for f, kind in families.items() if kind == "normal"]
    c_flagged = sum(flagged[f] for f in campaign)
    n_flagged = sum(flagged[f] for f in normal)
    all_ttd = [n for f in campaign for n in ttd_n[f]]
    return {
        "threshold": threshold,
        "flagged": c_flagged + n_flagged,
        "campaign_recall": ratio(c_flagged, sum(accounts[f] for f in campaign)),
        "normal_fpr": ratio(n_flagged, sum(accounts[f] for f in normal)),
        "precision": ratio(c_flagged, c_flagged + n_flagged),
        "median_ttd_requests": _median(all_ttd),
        "median_ttd_minutes": _median(ttd_min),
        "recall": {f: ratio(flagged[f], accounts[f]) for f in campaign},
        "fpr": {f: ratio(flagged[f], accounts[f]) for f in normal},
        "median_ttd": {f: _median(ttd_n[f]) for f in campaign},
    }


def _histograms(max_scores: Mapping[str, list[float]], families: Iterable[str]) -> dict[str, Any]:
    edges = np.round(np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1), 10)  # exact 0.3, so 0.3 bins with 0.3
    counts = {}
    quantiles = {}
    for family in families:
        scores = max_scores.get(family, [])
        counts[family] = np.histogram(np.clip(scores, 0.0, 1.0), bins=edges)[0].tolist()
        quantiles[family] = {
            "n": len(scores),
            "p10": nearest_rank(scores, 10),
            "p50": nearest_rank(scores, 50),
            "p90": nearest_rank(scores, 90),
            "max": max(scores) if scores else None,
        }
    return {"bin_edges": [float(e) for e in edges], "counts": counts, "max_score": quantiles}


def threshold_sweep(
    traces: Mapping[str, TraceLike],
    labels: Mapping[str, Label],
    grid: tuple[float, ...] = DEFAULT_GRID,
    first_ts: Mapping[str, int] | None = None,
    *,
    source: str = "detector score trace",
    current_threshold: float | None = None,
    fusion: Mapping[str, float] | None = None,
) -> SweepResult:
    """Sweep every grid threshold over the accounts' first-crossing traces. O(accounts x grid).

    Labelled accounts without a trace (no events) are never flagged; traced accounts without a label are
    counted in ``unlabelled_accounts`` and otherwise ignored. ``fusion`` (the configured ``low``,
    ``high`` and ``critical``) lets :func:`recommend` keep the severity thresholds ordered.
    """
    kinds = family_kinds(labels)
    first_ts = first_ts or {}
    accounts: dict[str, int] = defaultdict(int)
    flagged_at: dict[str, np.ndarray] = {f: np.zeros(len(grid) + 1, dtype=np.int64) for f in kinds}
    ttd_n: list[dict[str, list[int]]] = [defaultdict(list) for _ in grid]
    ttd_min: list[list[float]] = [[] for _ in grid]
    max_scores: dict[str, list[float]] = defaultdict(list)
    for account, label in labels.items():
        accounts[label.family] += 1
        trace = traces.get(account)
        if trace is None:
            continue
        max_scores[label.family].append(float(trace.max_score))
        reached = min(len(trace.cross_n), len(grid))
        flagged_at[label.family][reached] += 1
        if label.kind != "campaign":
            continue
        for i in range(reached):
            ttd_n[i][label.family].append(trace.cross_n[i])
            if account in first_ts:
                ttd_min[i].append(max(0.0, (trace.cross_ts[i] - first_ts[account]) / 60_000))
    # flagged at threshold i = accounts that reached more than i thresholds
    flagged = {f: np.cumsum(counts[::-1])[::-1] for f, counts in flagged_at.items()}
    points = [
        _point(t, kinds, accounts, {f: int(flagged[f][i + 1]) for f in kinds}, ttd_n[i], ttd_min[i])
        for i, t in enumerate(grid)
    ]
    return SweepResult(
        grid=tuple(grid),
        families=kinds,
        points=points,
        score_histograms=_histograms(max_scores, kinds),
        source=source,
        current_threshold=current_threshold,
        unlabelled_accounts=sum(1 for a in traces if a not in labels),
        fusion=dict(fusion or {}),
        accounts={f: accounts[f] for f in kinds},
    )


def traces_from_alerts(
    alerts: Iterable[SuspicionEvent], grid: tuple[float, ...] = DEFAULT_GRID
) -> dict[str, AccountTrace]:
    """Approximate score traces from alerts alone (when only an alerts file exists).

    Alerts are emitted at severity changes, so this sees an account's score only at its alerts: a lower
    bound of the true trace, blind below the ``low`` threshold and late at thresholds crossed between alerts.
    """
    traces: dict[str, AccountTrace] = {}
    ordered = sorted(unique_alerts(alerts), key=lambda a: (a.account_id, a.events_seen, a.ts))
    for alert in ordered:
        trace = traces.setdefault(alert.account_id, AccountTrace())
        trace.observe(alert.score, alert.events_seen, alert.ts, grid)
    return traces


def fusion_thresholds(config: Any) -> dict[str, float]:
    """``low``/``medium``/``high``/``critical`` of a DetectionConfig-like object ({} if it has none)."""
    fusion = getattr(config, "fusion", None)
    names = ("low", "medium", "high", "critical")
    return {n: float(getattr(fusion, n)) for n in names if isinstance(getattr(fusion, n, None), int | float)}


def suggested_config(threshold: float, fusion: Mapping[str, float]) -> dict[str, float]:
    """Config values that set ``fusion.medium`` to ``threshold`` and keep low < medium < high < critical.

    Neighbouring thresholds are moved only when the new medium would break the ordering: ``low`` to half
    of it, ``high`` and ``critical`` to a third and two thirds of the way from it to 1.
    """
    values = {CONFIG_KEY: threshold}
    if "low" in fusion and fusion["low"] >= threshold:
        values["detection.fusion.low"] = round(threshold / 2, 6)
    high = fusion.get("high")
    if high is not None and high <= threshold:
        high = round(threshold + (1 - threshold) / 3, 6)
        values["detection.fusion.high"] = high
    critical = fusion.get("critical")
    if critical is not None and high is not None and critical <= high:
        values["detection.fusion.critical"] = round(threshold + 2 * (1 - threshold) / 3, 6)
    return values


def _env(values: Mapping[str, float]) -> dict[str, str]:
    return {ENV_PREFIX + key.upper().replace(".", "__"): repr(value) for key, value in values.items()}


def lowest_within(sweep: SweepResult, max_fpr: float) -> dict[str, Any] | None:
    """The point of the lowest grid threshold whose pooled normal FPR is <= ``max_fpr``; ``None`` if none is.

    A point without normal accounts (FPR ``None``) qualifies. Since normal FPR is non-increasing in the
    threshold, the lowest qualifying threshold flags the most campaign accounts within the budget.
    """
    for point in sweep.points:
        fpr = point["normal_fpr"]
        if fpr is None or fpr <= max_fpr:
            return point
    return None


def lowest_normal_fpr(sweep: SweepResult) -> float | None:
    """The smallest pooled normal FPR any grid threshold reaches (``None`` without normal accounts)."""
    return min((p["normal_fpr"] for p in sweep.points if p["normal_fpr"] is not None), default=None)


def recommend(sweep: SweepResult, target_fpr: float) -> dict[str, Any]:
    """The lowest grid threshold whose pooled normal FPR is <= ``target_fpr``, as config values.

    Returns the threshold, its sweep numbers, ``config`` (dotted settings keys, e.g.
    ``{"detection.fusion.medium": t}``) and ``env`` (the same as ``DISTILLGUARD_`` environment variables).
    When no grid threshold meets the target, ``threshold`` is ``None`` and ``config`` is empty.
    With no normal accounts every threshold qualifies, so the lowest is returned. ``warning`` is set when
    there are too few normal accounts to measure an FPR as small as the target (1 / accounts > target).
    """
    normal = sweep.normal_accounts
    warning = None
    if normal == 0 or 1 / normal > target_fpr:
        warning = (
            f"{normal} normal accounts cannot resolve an FPR of {target_fpr}: the threshold only means no "
            "(or few enough) normal accounts crossed it here"
        )
    point = lowest_within(sweep, target_fpr)
    if point is not None:
        values = suggested_config(point["threshold"], sweep.fusion)
        return {
            "warning": warning,
            "target_fpr": target_fpr,
            "threshold": point["threshold"],
            "normal_fpr": point["normal_fpr"],
            "campaign_recall": point["campaign_recall"],
            "precision": point["precision"],
            "median_ttd_requests": point["median_ttd_requests"],
            "current_threshold": sweep.current_threshold,
            "config": values,
            "env": _env(values),
        }
    lowest = lowest_normal_fpr(sweep)
    return {
        "warning": warning,
        "target_fpr": target_fpr,
        "threshold": None,
        "current_threshold": sweep.current_threshold,
        "config": {},
        "env": {},
        "reason": f"no grid threshold keeps normal FPR <= {target_fpr}; the lowest reached is {lowest}",
    }


def matched_fpr_budget(metrics: Mapping[str, Any], target_fpr: float) -> float:
    """``max(target_fpr, distillguard's measured pooled normal FPR)``; the target alone when unmeasured."""
    ours = metrics["overall"]["normal_fpr"]
    return target_fpr if ours is None else max(target_fpr, ours)


def _matched_entry(
    sweep: SweepResult, budget: float, ours: Mapping[str, Any], grid: tuple[float, ...]
) -> dict[str, Any]:
    """One baseline at the matched budget: its operating point and distillguard's verdicts against it."""
    campaign = [f for f, kind in sweep.families.items() if kind == "campaign"]
    normal = [f for f, kind in sweep.families.items() if kind == "normal"]
    point = lowest_within(sweep, budget)
    span = f" in [{grid[0]}, {grid[-1]}]" if grid else ""
    entry: dict[str, Any] = {"fpr_budget": budget, "normal_accounts": sweep.normal_accounts}
    if point is None:
        entry |= {
            "threshold": None,
            "normal_fpr": None,
            "normal_flagged": None,
            "campaign_recall": 0.0 if campaign else None,
            "precision": None,
            "median_ttd_requests": None,
            "median_ttd_minutes": None,
            "recall": {f: 0.0 for f in campaign},
            "median_ttd": {f: None for f in campaign},
            "fpr": {f: None for f in normal},
            "lowest_normal_fpr": lowest_normal_fpr(sweep),
            "reason": (
                f"no grid threshold{span} keeps normal FPR <= {budget}; the lowest "
                f"reached is {lowest_normal_fpr(sweep)}, so the baseline flags nothing at this budget"
            ),
        }
    else:
        fpr = point["normal_fpr"]
        entry |= {
            "threshold": point["threshold"],
            "normal_fpr": fpr,
            "normal_flagged": None if fpr is None else round(fpr * sweep.normal_accounts),
            "campaign_recall": point["campaign_recall"],
            "precision": point["precision"],
            "median_ttd_requests": point["median_ttd_requests"],
            "median_ttd_minutes": point["median_ttd_minutes"],
            "recall": dict(point["recall"]),
            "median_ttd": dict(point["median_ttd"]),
            "fpr": dict(point["fpr"]),
        }
    our_fpr = ours["overall"]["normal_fpr"]
    families = ours["families"]
    entry["verdicts"] = {
        f: matched_verdict(families[f]["recall"], our_fpr, entry["recall"][f], entry["normal_fpr"])
        for f in campaign
        if f in families
    }
    entry["overall_verdict"] = matched_verdict(
        ours["overall"]["campaign_recall"], our_fpr, entry["campaign_recall"], entry["normal_fpr"]
    )
    return entry


def match_baselines(
    metrics: Mapping[str, Any], sweeps: Mapping[str, SweepResult], target_fpr: float
) -> dict[str, Any]:
    """Every baseline at a false-positive budget matched to distillguard's (see ``MATCHED_FPR_RULE``).

    ``metrics`` are distillguard's alert-based metrics (its configured threshold), ``sweeps`` one
    :func:`threshold_sweep` per baseline over that baseline's score traces. Returns ``budget`` (with
    ``target_fpr``, ``distillguard_normal_fpr`` and the ``rule``) and ``baselines``: name -> threshold,
    normal FPR, pooled and per-family recall, median TTD per family, FPR per normal class, and
    distillguard's ``verdicts`` per campaign family plus an ``overall_verdict`` (see
    :func:`evaluation.metrics.matched_verdict`). A baseline with no grid threshold inside the budget gets
    ``threshold`` ``None``, recall 0 and a ``reason``.
    """
    budget = matched_fpr_budget(metrics, target_fpr)
    first = next(iter(sweeps.values()), None)
    normal = first.normal_accounts if first is not None else 0
    return {
        "budget": {
            "fpr_budget": budget,
            "target_fpr": target_fpr,
            "distillguard_normal_fpr": metrics["overall"]["normal_fpr"],
            "normal_accounts": normal,
            "max_normal_flagged": math.floor(budget * normal + 1e-9),
            "grid_max": first.grid[-1] if first is not None and first.grid else None,
            "rule": MATCHED_FPR_RULE,
        },
        "baselines": {
            name: _matched_entry(sweep, budget, metrics, sweep.grid) for name, sweep in sweeps.items()
        },
    }
