"""Compare detector versions on labelled runs: recall per family, flagged normal accounts per class,
and recall at equal numbers of flagged normal accounts, pooled over several runs.

Why: two versions rarely flag the same number of normal accounts, so their recall alone does not say
which is better; "recall when each may flag at most k normal accounts" does, and pooling several seeds
makes k meaningful at a false-positive rate of a few in ten thousand. An account's score is its peak
alert score (alerts start at the low band, so an account never alerted scores 0); it is *flagged* when
one of its alerts is medium or above, as in ``distillguard evaluate``. Accounts are ranked flagged
first, then by peak score: with plain score bands that is the score order, and a rule that holds an
account at low without changing its score (v6.5's bar for an account with no link to others) still
counts at equal normal counts.

>>> outcomes = [AccountOutcome("c1", "campaign", "hydra", 0.9, True),
...             AccountOutcome("c2", "campaign", "hydra", 0.5, False),
...             AccountOutcome("n1", "normal", "researcher", 0.7, True),
...             AccountOutcome("n2", "normal", "casual", 0.0, False)]
>>> summary = summarise(outcomes, budgets=(0, 1))
>>> summary["recall"], summary["normals_flagged"], summary["recall_at_normals"]
(0.5, 1, {0: 0.5, 1: 1.0})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from distillguard.evaluation.metrics import load_labels

FLAGGED = frozenset({"medium", "high", "critical"})
DEFAULT_BUDGETS = (1, 3, 5, 8, 12)


@dataclass(frozen=True, slots=True)
class AccountOutcome:
    """What one labelled account got from one detector version."""

    account_id: str
    kind: str  # campaign | normal
    family: str  # campaign family or normal class
    peak_score: float
    flagged: bool

    @property
    def rank(self) -> tuple[bool, float]:
        """Flagged accounts before the others, then by peak score."""
        return self.flagged, self.peak_score


def peak_scores(alerts_path: str | Path) -> tuple[dict[str, float], set[str], int]:
    """Each account's peak alert score, the accounts alerted at medium or above, and the number of
    lines that are not alerts (counted, not fatal: a truncated last line must not hide a whole run)."""
    peaks: dict[str, float] = {}
    flagged: set[str] = set()
    invalid = 0
    with Path(alerts_path).open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                alert = orjson.loads(line)
                account, score, severity = alert["account_id"], float(alert["score"]), alert["severity"]
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                invalid += 1
                continue
            if score > peaks.get(account, 0.0):
                peaks[account] = score
            if severity in FLAGGED:
                flagged.add(account)
    return peaks, flagged, invalid


def load_outcomes(labels_path: str | Path, alerts_path: str | Path) -> tuple[list[AccountOutcome], int]:
    """Every labelled account's outcome in one run (accounts without alerts included, at 0)."""
    labels = load_labels(labels_path)
    peaks, flagged, invalid = peak_scores(alerts_path)
    outcomes = [
        AccountOutcome(a, label.kind, label.family, peaks.get(a, 0.0), a in flagged)
        for a, label in labels.items()
    ]
    return outcomes, invalid


def recall_at_normals(outcomes: Sequence[AccountOutcome], budget: int) -> float | None:
    """Share of campaign accounts ranked strictly above the (budget+1)-th normal account (by
    :attr:`AccountOutcome.rank`): the recall of the best single cut that flags at most ``budget``
    normal accounts."""
    campaign = [o.rank for o in outcomes if o.kind == "campaign"]
    if not campaign:
        return None
    normal = sorted((o.rank for o in outcomes if o.kind != "campaign"), reverse=True)
    cut = normal[budget] if budget < len(normal) else (False, 0.0)
    return sum(rank > cut for rank in campaign) / len(campaign)


def summarise(outcomes: Sequence[AccountOutcome], budgets: Iterable[int] = DEFAULT_BUDGETS) -> dict[str, Any]:
    """Pooled recall, per-family recall, flagged normal accounts per class and recall at equal normal
    counts (``budgets``)."""
    campaign = [o for o in outcomes if o.kind == "campaign"]
    normal = [o for o in outcomes if o.kind != "campaign"]
    families, family_hits = (
        Counter(o.family for o in campaign),
        Counter(o.family for o in campaign if o.flagged),
    )
    classes, class_hits = Counter(o.family for o in normal), Counter(o.family for o in normal if o.flagged)
    hits = sum(family_hits.values())
    return {
        "campaign_accounts": len(campaign),
        "campaign_flagged": hits,
        "recall": hits / len(campaign) if campaign else None,
        "recall_by_family": {f: family_hits[f] / n for f, n in sorted(families.items())},
        "normal_accounts": len(normal),
        "normals_flagged": sum(class_hits.values()),
        "normals_flagged_by_class": {
            c: [class_hits[c], n] for c, n in sorted(classes.items()) if class_hits[c]
        },
        "recall_at_normals": {k: recall_at_normals(outcomes, k) for k in budgets},
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def render(name: str, summary: dict[str, Any]) -> str:
    """A few readable lines for one version's pooled summary."""
    by_family = ", ".join(f"{f} {_pct(r)}" for f, r in summary["recall_by_family"].items())
    by_class = (
        ", ".join(f"{c} {h}/{n}" for c, (h, n) in summary["normals_flagged_by_class"].items()) or "none"
    )
    budgets = summary["recall_at_normals"]
    return "\n".join(
        [
            f"{name}: recall {summary['campaign_flagged']}/{summary['campaign_accounts']} = "
            f"{_pct(summary['recall'])} %, normal accounts flagged {summary['normals_flagged']}/"
            f"{summary['normal_accounts']}",
            f"  by family: {by_family}",
            f"  normal accounts flagged by class: {by_class}",
            f"  recall at {'/'.join(str(k) for k in budgets)} normal accounts: "
            + "/".join(_pct(v) for v in budgets.values())
            + " %",
        ]
    )
