"""Account-level detection metrics: alerts joined with ground-truth labels.

Ground truth is one label per account (``labels.jsonl``): a ``family``, a ``kind`` (``normal`` or
``campaign``) and, for campaign accounts, the true ``campaign_id``. Families and their kinds are read
from the labels, never hard-coded. Alerts on accounts missing from the labels are counted, not scored.

Definitions (an *account* is a labelled account):

* **flagged**: the account has at least one alert of severity ``medium`` or above ("medium+"), the
  enforcement-grade severities. Duplicate alerts (same ``alert_id``, e.g. re-emitted after a redelivery)
  count once.
* **first flag**: the account's medium+ alert with the smallest ``events_seen`` (ties: earliest ``ts``).
* **recall** of a campaign family = flagged accounts of the family / accounts of the family.
  **campaign_recall** (family) = true campaigns with >= 1 flagged account / true campaigns: once one
  member is caught, the rest can be found by investigation.
* **fpr** of a normal class = flagged accounts of the class / accounts of the class; the overall
  ``normal_fpr`` pools every normal class. ``fpr_wilson95_upper`` is the upper end of the 95 % Wilson
  interval, because at targets like 0.1 % a few hundred accounts say little.
* **precision** = flagged campaign accounts / flagged labelled accounts.
* **time to detect (TTD)**, flagged campaign accounts only: *requests* = ``events_seen`` of the first
  flag (the account's own requests so far, trigger included); *minutes* = (first-flag ``ts`` - the
  account's earliest event ``ts``) / 60 000. Summaries are ``n``, ``p50``, ``p90``, ``max`` with
  nearest-rank percentiles (the smallest sample with at least p % of samples at or below it), so they are
  always observed values.
* **leakage_share** of a campaign family = requests served before detection / all requests of the
  family's accounts, where a flagged account leaked ``min(TTD requests, its requests)`` and a missed
  account all of its requests. It is what a distiller extracted before enforcement could start.
* **linking**: an account is *linked* into predicted campaign ``g`` when its latest medium+ alert (by
  ``events_seen``, then ``ts``) that carries a ``campaign_id`` names ``g``. Over the linked labelled
  accounts, grouped by ``g``:

  - ``purity`` = sum over g of (members of g's most common *true* campaign) / linked accounts. A normal
    account never belongs to a true campaign, so every normal account linked into a campaign is impurity;
    an all-normal group contributes 0 to the numerator.
  - ``completeness`` = sum over true campaigns c of (flagged members of c in the predicted campaign
    holding most of them) / flagged campaign accounts. Flagged campaign accounts that are not linked at
    all count in the denominator only, so a detector that flags but never links scores 0.
  - ``linked_share`` = linked flagged campaign accounts / flagged campaign accounts.

Every ratio with an empty denominator is ``None`` (JSON ``null``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import ValidationError

from distillguard.schemas.suspicion_event import Severity, SuspicionEvent

Kind = Literal["normal", "campaign"]
KINDS: tuple[str, ...] = ("normal", "campaign")
FLAG_RANK = Severity.MEDIUM.rank
MAX_GROUPS_LISTED = 50


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth of one account."""

    account_id: str
    family: str
    campaign_id: str | None
    kind: Kind


# ---------------------------------------------------------------------------------------------- loading


def load_labels(path: str | Path) -> dict[str, Label]:
    """Read ``labels.jsonl``; raises ``ValueError`` on a malformed row or an account labelled twice."""
    labels: dict[str, Label] = {}
    with Path(path).open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = orjson.loads(line)
            kind = row.get("kind")
            if kind not in KINDS or not row.get("account_id") or not row.get("family"):
                raise ValueError(f"{path}:{number}: label needs account_id, family and kind in {KINDS}")
            label = Label(str(row["account_id"]), str(row["family"]), row.get("campaign_id"), kind)
            if label.account_id in labels and labels[label.account_id] != label:
                raise ValueError(f"{path}:{number}: account {label.account_id} labelled twice")
            labels[label.account_id] = label
    return labels


def load_alerts(path: str | Path) -> tuple[list[SuspicionEvent], int]:
    """Read ``alerts.jsonl`` as validated SuspicionEvents; returns (alerts, invalid line count)."""
    alerts: list[SuspicionEvent] = []
    invalid = 0
    with Path(path).open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                alerts.append(SuspicionEvent.model_validate(orjson.loads(line)))
            except (orjson.JSONDecodeError, ValidationError):
                invalid += 1
    return alerts, invalid


# ---------------------------------------------------------------------------------------------- helpers


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is zero."""
    return numerator / denominator if denominator else None


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``percent`` % of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(values: Sequence[float]) -> dict[str, float | int | None]:
    """``n``, nearest-rank ``p50`` and ``p90``, and ``max`` of a sample."""
    return {
        "n": len(values),
        "p50": nearest_rank(values, 50),
        "p90": nearest_rank(values, 90),
        "max": max(values) if values else None,
    }


def wilson_upper(successes: int, trials: int, z: float = 1.96) -> float | None:
    """Upper end of the Wilson score interval of a binomial proportion (95 % by default)."""
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return min(1.0, (centre + margin) / denominator)


def family_kinds(labels: Mapping[str, Label]) -> dict[str, str]:
    """Family -> kind, in first-seen label order; a family labelled with both kinds is an error."""
    kinds: dict[str, str] = {}
    for label in labels.values():
        if kinds.setdefault(label.family, label.kind) != label.kind:
            raise ValueError(f"family {label.family} is labelled both normal and campaign")
    return kinds


def accounts_by_family(labels: Mapping[str, Label]) -> dict[str, list[str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for label in labels.values():
        members[label.family].append(label.account_id)
    return dict(members)


def _order(alert: SuspicionEvent) -> tuple[int, int]:
    return alert.events_seen, alert.ts


def unique_alerts(alerts: Iterable[SuspicionEvent]) -> list[SuspicionEvent]:
    """Alerts with duplicate ``alert_id`` removed (first occurrence kept)."""
    seen: set[str] = set()
    out = []
    for alert in alerts:
        if alert.alert_id not in seen:
            seen.add(alert.alert_id)
            out.append(alert)
    return out


def first_flags(alerts: Iterable[SuspicionEvent]) -> dict[str, SuspicionEvent]:
    """Account -> its first medium+ alert (smallest ``events_seen``, then earliest ``ts``)."""
    first: dict[str, SuspicionEvent] = {}
    for alert in alerts:
        if alert.severity.rank < FLAG_RANK:
            continue
        current = first.get(alert.account_id)
        if current is None or _order(alert) < _order(current):
            first[alert.account_id] = alert
    return first


def predicted_campaigns(alerts: Iterable[SuspicionEvent]) -> dict[str, str]:
    """Account -> ``campaign_id`` of its latest medium+ alert that carries one."""
    latest: dict[str, SuspicionEvent] = {}
    for alert in alerts:
        if alert.severity.rank < FLAG_RANK or not alert.campaign_id:
            continue
        current = latest.get(alert.account_id)
        if current is None or _order(alert) >= _order(current):
            latest[alert.account_id] = alert
    return {account: alert.campaign_id for account, alert in latest.items() if alert.campaign_id}


# ---------------------------------------------------------------------------------------------- families


def _ttd(
    accounts: Iterable[str], flags: Mapping[str, SuspicionEvent], first_ts: Mapping[str, int]
) -> tuple[list[int], list[float]]:
    requests: list[int] = []
    minutes: list[float] = []
    for account in accounts:
        alert = flags.get(account)
        if alert is None:
            continue
        requests.append(alert.events_seen)
        if account in first_ts:
            minutes.append(max(0.0, (alert.ts - first_ts[account]) / 60_000))
    return requests, minutes


def _leakage(
    accounts: Iterable[str], flags: Mapping[str, SuspicionEvent], requests: Mapping[str, int]
) -> tuple[int, int]:
    """(requests served before detection, all requests) over ``accounts``."""
    leaked = total = 0
    for account in accounts:
        own = requests.get(account, 0)
        alert = flags.get(account)
        leaked += own if alert is None else min(alert.events_seen, own)
        total += own
    return leaked, total


def campaign_family_metrics(
    accounts: Sequence[str],
    labels: Mapping[str, Label],
    flags: Mapping[str, SuspicionEvent],
    first_ts: Mapping[str, int],
    requests: Mapping[str, int],
) -> dict[str, Any]:
    """Recall, campaign-level recall, TTD and leakage of one campaign family (see module docstring)."""
    flagged = [a for a in accounts if a in flags]
    campaigns = {labels[a].campaign_id for a in accounts}
    detected = {labels[a].campaign_id for a in flagged}
    ttd_requests, ttd_minutes = _ttd(accounts, flags, first_ts)
    leaked, total = _leakage(accounts, flags, requests)
    return {
        "kind": "campaign",
        "accounts": len(accounts),
        "flagged": len(flagged),
        "recall": ratio(len(flagged), len(accounts)),
        "campaigns": len(campaigns),
        "campaigns_detected": len(detected),
        "campaign_recall": ratio(len(detected), len(campaigns)),
        "ttd_requests": summarize(ttd_requests),
        "ttd_minutes": summarize(ttd_minutes),
        "ttd_requests_values": sorted(ttd_requests),
        "ttd_minutes_values": sorted(ttd_minutes),
        "requests_total": total,
        "requests_before_detection": leaked,
        "leakage_share": ratio(leaked, total),
    }


def normal_family_metrics(accounts: Sequence[str], flags: Mapping[str, SuspicionEvent]) -> dict[str, Any]:
    """False-positive rate of one normal class."""
    flagged = sum(1 for a in accounts if a in flags)
    return {
        "kind": "normal",
        "accounts": len(accounts),
        "flagged": flagged,
        "fpr": ratio(flagged, len(accounts)),
        "fpr_wilson95_upper": wilson_upper(flagged, len(accounts)),
    }


# ---------------------------------------------------------------------------------------------- linking


def linking_metrics(
    alerts: Iterable[SuspicionEvent], labels: Mapping[str, Label], flags: Mapping[str, SuspicionEvent]
) -> dict[str, Any]:
    """Campaign linking purity, completeness and linked share (definitions in the module docstring)."""
    predicted = {a: g for a, g in predicted_campaigns(alerts).items() if a in labels}
    groups: dict[str, list[str]] = defaultdict(list)
    for account, group in predicted.items():
        groups[group].append(account)

    pure = 0
    listed = []
    for group, members in groups.items():
        truth = Counter(labels[a].campaign_id for a in members if labels[a].kind == "campaign")
        majority, count = truth.most_common(1)[0] if truth else (None, 0)
        pure += count
        normals = sum(1 for a in members if labels[a].kind == "normal")
        listed.append(
            {
                "campaign_id": group,
                "size": len(members),
                "majority_campaign": majority,
                "majority_share": count / len(members),
                "normal_accounts": normals,
            }
        )

    flagged_campaign = [a for a in flags if a in labels and labels[a].kind == "campaign"]
    by_truth: dict[str | None, Counter[str]] = defaultdict(Counter)
    for account in flagged_campaign:
        if account in predicted:
            by_truth[labels[account].campaign_id][predicted[account]] += 1
    complete = sum(counter.most_common(1)[0][1] for counter in by_truth.values())
    linked_campaign = sum(1 for a in flagged_campaign if a in predicted)
    listed.sort(key=lambda g: (-g["size"], g["campaign_id"]))
    return {
        "purity": ratio(pure, len(predicted)),
        "completeness": ratio(complete, len(flagged_campaign)),
        "linked_share": ratio(linked_campaign, len(flagged_campaign)),
        "predicted_campaigns": len(groups),
        "linked_accounts": len(predicted),
        "linked_normal_accounts": len(predicted) - sum(1 for a in predicted if labels[a].kind == "campaign"),
        "flagged_campaign_accounts": len(flagged_campaign),
        "groups": listed[:MAX_GROUPS_LISTED],
    }


# ---------------------------------------------------------------------------------------------- totals


def _overall(
    families: Mapping[str, Mapping[str, Any]],
    flags: Mapping[str, SuspicionEvent],
    labels: Mapping[str, Label],
    first_ts: Mapping[str, int],
) -> dict[str, Any]:
    campaign = [f for f in families.values() if f["kind"] == "campaign"]
    normal = [f for f in families.values() if f["kind"] == "normal"]
    c_accounts = sum(f["accounts"] for f in campaign)
    c_flagged = sum(f["flagged"] for f in campaign)
    n_accounts = sum(f["accounts"] for f in normal)
    n_flagged = sum(f["flagged"] for f in normal)
    recalls = [f["recall"] for f in campaign if f["recall"] is not None]
    campaign_accounts = [a for a, label in labels.items() if label.kind == "campaign"]
    ttd_requests, ttd_minutes = _ttd(campaign_accounts, flags, first_ts)
    precision = ratio(c_flagged, c_flagged + n_flagged)
    recall = ratio(c_flagged, c_accounts)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "campaign_accounts": c_accounts,
        "campaign_flagged": c_flagged,
        "campaign_recall": recall,
        "campaign_recall_macro": sum(recalls) / len(recalls) if recalls else None,
        "normal_accounts": n_accounts,
        "normal_flagged": n_flagged,
        "normal_fpr": ratio(n_flagged, n_accounts),
        "normal_fpr_wilson95_upper": wilson_upper(n_flagged, n_accounts),
        "flagged_labelled": c_flagged + n_flagged,
        "precision": precision,
        "f1": f1,
        "ttd_requests": summarize(ttd_requests),
        "ttd_minutes": summarize(ttd_minutes),
    }


def compute_metrics(
    alerts: Iterable[SuspicionEvent],
    labels: Mapping[str, Label],
    first_ts: Mapping[str, int] | None = None,
    requests: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """All metrics of one detector's alerts against the labels, as a JSON-ready dict.

    ``first_ts`` and ``requests`` (per account, from the events file) feed TTD in minutes and leakage;
    without them those come out empty or zero. Keys: ``overall``, ``families`` (per family, with
    ``kind``), ``linking`` and ``alerts`` (counts).
    """
    first_ts = first_ts or {}
    requests = requests or {}
    given = list(alerts)
    unique = unique_alerts(given)
    flags_all = first_flags(unique)
    flags = {a: alert for a, alert in flags_all.items() if a in labels}
    members = accounts_by_family(labels)
    families: dict[str, dict[str, Any]] = {}
    for family, kind in family_kinds(labels).items():
        if kind == "campaign":
            families[family] = campaign_family_metrics(members[family], labels, flags, first_ts, requests)
        else:
            families[family] = normal_family_metrics(members[family], flags)
    severities = Counter(str(alert.severity) for alert in unique)
    return {
        "overall": _overall(families, flags, labels, first_ts),
        "families": families,
        "linking": linking_metrics(unique, labels, flags),
        "alerts": {
            "total": len(unique),
            "duplicates_dropped": len(given) - len(unique),
            "by_severity": {str(s): severities.get(str(s), 0) for s in Severity},
            "accounts_alerted": len({alert.account_id for alert in unique}),
            "flagged_accounts": len(flags_all),
            "flagged_unlabelled_accounts": len(flags_all) - len(flags),
        },
    }


# ---------------------------------------------------------------------------------------------- comparison

Verdict = Literal["better", "worse", "tie"]


def _cmp(ours: float | None, theirs: float | None, higher_is_better: bool) -> int:
    """+1 if ours is better, -1 if worse, 0 if equal or either is missing."""
    if ours is None or theirs is None or math.isclose(ours, theirs, abs_tol=1e-12):
        return 0
    better = ours > theirs if higher_is_better else ours < theirs
    return 1 if better else -1


def _median_ttd(family: Mapping[str, Any]) -> float | None:
    return family["ttd_requests"]["p50"]


def family_verdict(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> Verdict:
    """Does distillguard beat a baseline on one family?

    Campaign family: higher recall wins; at equal recall, the lower median TTD (requests) wins.
    Normal class: the lower false-positive rate wins.
    """
    if ours["kind"] == "normal":
        result = _cmp(ours["fpr"], theirs["fpr"], higher_is_better=False)
    else:
        result = _cmp(ours["recall"], theirs["recall"], higher_is_better=True)
        if result == 0:
            ttd_ours, ttd_theirs = _median_ttd(ours), _median_ttd(theirs)
            result = _cmp(ttd_ours, ttd_theirs, higher_is_better=False)
    return "better" if result > 0 else "worse" if result < 0 else "tie"


def overall_verdict(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> str:
    """Pareto comparison on (campaign recall up, normal FPR down): better, worse, tie or mixed."""
    recall = _cmp(ours["campaign_recall"], theirs["campaign_recall"], higher_is_better=True)
    fpr = _cmp(ours["normal_fpr"], theirs["normal_fpr"], higher_is_better=False)
    if recall >= 0 and fpr >= 0:
        return "tie" if recall == fpr == 0 else "better"
    if recall <= 0 and fpr <= 0:
        return "worse"
    return "mixed"


def compare_to_baselines(
    ours: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Verdicts of distillguard against each baseline: per family and overall."""
    families = {
        family: {name: family_verdict(data, other["families"][family]) for name, other in baselines.items()}
        for family, data in ours["families"].items()
    }
    overall = {name: overall_verdict(ours["overall"], other["overall"]) for name, other in baselines.items()}
    return {"families": families, "overall": overall}


def matched_verdict(
    our_recall: float | None, our_fpr: float | None, their_recall: float | None, their_fpr: float | None
) -> str:
    """Does distillguard beat a baseline operated at a matched false-positive budget, on one recall figure?

    ``better`` (beats): higher recall at a normal FPR no higher than the baseline's. Equal recall is a
    ``tie`` whatever the FPRs (both at 100 % ties, TTD is not judged here). ``worse``: lower recall at a
    normal FPR no lower than the baseline's. Otherwise (higher recall but also a higher FPR, or the reverse)
    ``mixed``. A missing FPR (no normal accounts, or a baseline with no threshold inside the budget, whose
    recall is then 0) does not count against either side.
    """
    recall = _cmp(our_recall, their_recall, higher_is_better=True)
    fpr = _cmp(our_fpr, their_fpr, higher_is_better=False)
    if recall == 0:
        return "tie"
    if recall > 0:
        return "better" if fpr >= 0 else "mixed"
    return "worse" if fpr <= 0 else "mixed"
