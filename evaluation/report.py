"""Write the evaluation as ``metrics.json``, ``report.md`` and a self-contained ``report.html``.

The report is built once as a list of neutral blocks (headings, paragraphs, tables, figures) and rendered
twice: Markdown references the PNG files saved beside it, HTML embeds the same PNGs as base64 data URIs so
the single file can be mailed or attached to a ticket. Figures use matplotlib's object API (no pyplot,
no global backend state), which renders with Agg.

Baselines appear twice: at their own fixed thresholds ("Results vs baselines") and re-thresholded to
distillguard's false-positive budget ("Baselines at matched false-positive rate"). False positives per
normal class, with the 95 % Wilson upper bound, are listed for every detector ("False positives per normal
class"), and ablations of the detector (:mod:`evaluation.ablations`), when run, get their own section.

Figures: precision/recall over the threshold sweep (baselines as operating points), max-score
distribution per family, time-to-detect CDF per campaign family, and recall per family per detector.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from distillguard.evaluation.metrics import compare_to_baselines, wilson_upper
from distillguard.evaluation.sweep import SweepResult, match_baselines

DOCUMENT_SCHEMA = "distillguard.evaluation.v1"
MAIN = "distillguard"
VERDICT_MARK = {"better": "✔ beats", "worse": "✘ loses", "tie": "= ties", "mixed": "~ mixed"}
SWEEP_TABLE_STEP = 0.05


# ---------------------------------------------------------------------------------------------- blocks


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True, slots=True)
class Figure:
    filename: str
    caption: str
    png: bytes


Block = Heading | Paragraph | Table | Figure


def fmt_pct(value: float | None, digits: int = 1) -> str:
    """A ratio as a percentage, ``—`` when undefined."""
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def fmt_num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.{digits}f}"


# ---------------------------------------------------------------------------------------------- figures


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _legend(ax: Any) -> None:
    """A legend only when something is labelled (empty families draw nothing)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _new_figure(width: float = 7.0, height: float = 4.5) -> Any:
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=(width, height), layout="constrained")


def pr_curve_figure(
    sweep: SweepResult,
    baselines: Mapping[str, Mapping[str, Any]],
    recommended: float | None,
    metrics: Mapping[str, Any] | None = None,
) -> bytes:
    """Precision vs pooled campaign recall across sweep thresholds; alert-based results as single points."""
    fig = _new_figure()
    ax = fig.add_subplot()
    points = [p for p in sweep.points if p["precision"] is not None and p["campaign_recall"] is not None]
    ax.plot(
        [p["campaign_recall"] for p in points],
        [p["precision"] for p in points],
        "-",
        color="tab:blue",
        label=f"{MAIN} (threshold sweep)",
    )
    marks = (("current", sweep.current_threshold, "o"), ("recommended", recommended, "*"))
    for name, threshold, marker in marks:
        point = sweep.point_at(threshold) if threshold is not None else None
        if point and point["precision"] is not None:
            ax.plot(
                point["campaign_recall"],
                point["precision"],
                marker,
                color="tab:blue",
                markersize=10,
                label=f"{name} t={point['threshold']:.2f}",
            )
    if metrics is not None and metrics["overall"]["precision"] is not None:
        ax.plot(
            metrics["overall"]["campaign_recall"],
            metrics["overall"]["precision"],
            "D",
            color="tab:blue",
            markerfacecolor="none",
            markersize=9,
            label=f"{MAIN} alerts (medium+)",
        )
    for index, (name, data) in enumerate(baselines.items()):
        overall = data["overall"]
        if overall["precision"] is not None:
            ax.plot(overall["campaign_recall"], overall["precision"], "s", color=f"C{index + 1}", label=name)
    ax.set_xlabel("campaign account recall")
    ax.set_ylabel("account precision")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("Precision / recall over the medium threshold")
    return _png(fig)


def score_distribution_figure(sweep: SweepResult, recommended: float | None) -> bytes:
    """Share of each family's accounts per max-score bin, normal classes and campaign families apart."""
    hist = sweep.score_histograms
    edges = hist["bin_edges"]
    fig = _new_figure(9.0, 4.0)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, kind in zip(axes, ("normal", "campaign"), strict=True):
        for family, counts in hist["counts"].items():
            if sweep.families.get(family) != kind or not sum(counts):
                continue
            total = sum(counts)
            ax.stairs([c / total for c in counts], edges, label=family, linewidth=1.5)
        for threshold, style in ((sweep.current_threshold, ":"), (recommended, "--")):
            if threshold is not None:
                ax.axvline(threshold, color="black", linestyle=style, linewidth=1)
        ax.set_yscale("symlog", linthresh=0.01)
        ax.set_xlabel("max score per account")
        ax.set_title(f"{kind} accounts")
        ax.grid(alpha=0.3)
        _legend(ax)
    axes[0].set_ylabel("share of family accounts")
    return _png(fig)


def _ecdf(values: Sequence[float], accounts: int, lo: float, hi: float) -> tuple[list[float], list[float]]:
    """Step points of "share of ``accounts`` detected by x", from 0 at ``lo`` to the plateau at ``hi``."""
    ordered = sorted(values)
    shares = [(i + 1) / accounts for i in range(len(ordered))]
    return [lo, *ordered, hi], [0.0, *shares, shares[-1]]


def ttd_cdf_figure(metrics: Mapping[str, Any]) -> bytes:
    """Per campaign family: share of the family's accounts flagged within x requests / minutes.

    The curves plateau at the family's recall, so misses stay visible. Log x; minutes are floored at
    0.1 so a detection in the first minute still shows.
    """
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig = _new_figure(9.0, 4.0)
    axes = fig.subplots(1, 2, sharey=True)
    keys = (
        ("ttd_requests_values", "own requests until first medium+ alert", 1.0),
        ("ttd_minutes_values", "minutes until first medium+ alert", 0.1),
    )
    campaign = {f: d for f, d in metrics["families"].items() if d["kind"] == "campaign"}
    for ax, (key, xlabel, floor) in zip(axes, keys, strict=True):
        samples = {f: [max(v, floor) for v in d.get(key, [])] for f, d in campaign.items()}
        every = [v for values in samples.values() for v in values]
        for family, values in samples.items():
            if values:
                x, y = _ecdf(values, campaign[family]["accounts"], min(every) / 1.5, max(every) * 1.5)
                ax.step(x, y, where="post", label=family)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        _legend(ax)
    axes[0].set_ylabel("share of family accounts detected")
    return _png(fig)


def recall_bars_figure(metrics: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]]) -> bytes:
    """Recall per campaign family, one bar per detector."""
    detectors = {MAIN: metrics, **baselines}
    families = [f for f, d in metrics["families"].items() if d["kind"] == "campaign"]
    fig = _new_figure(max(6.0, 1.2 * len(families) + 2), 4.0)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(detectors))
    for index, (name, data) in enumerate(detectors.items()):
        recalls = [data["families"].get(f, {}).get("recall") or 0.0 for f in families]
        ax.bar([i + index * width for i in range(len(families))], recalls, width, label=name)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(families))], families, rotation=20, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("account recall (medium+)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


# ---------------------------------------------------------------------------------------------- sections


def _summary(metrics: Mapping[str, Any], recommendation: Mapping[str, Any] | None) -> list[Block]:
    overall, linking = metrics["overall"], metrics["linking"]
    text = (
        f"Campaign account recall **{fmt_pct(overall['campaign_recall'])}** "
        f"({overall['campaign_flagged']}/{overall['campaign_accounts']}), normal false-positive rate "
        f"**{fmt_pct(overall['normal_fpr'], 3)}** ({overall['normal_flagged']}/{overall['normal_accounts']}, "
        f"95% upper {fmt_pct(overall['normal_fpr_wilson95_upper'], 3)}), precision "
        f"**{fmt_pct(overall['precision'])}**, median time to detect "
        f"**{fmt_num(overall['ttd_requests']['p50'])} requests** / "
        f"{fmt_num(overall['ttd_minutes']['p50'])} min. Campaign linking purity "
        f"{fmt_pct(linking['purity'])}, completeness {fmt_pct(linking['completeness'])}."
    )
    blocks: list[Block] = [Heading("Summary"), Paragraph(text)]
    if recommendation:
        blocks.append(Paragraph(_recommendation_text(recommendation)))
    return blocks


def _recommendation_text(rec: Mapping[str, Any]) -> str:
    caveat = f" Caveat: {rec['warning']}." if rec.get("warning") else ""
    if rec.get("threshold") is None:
        return f"Threshold recommendation: {rec.get('reason', 'none')}.{caveat}"
    settings = ", ".join(f"`{k} = {v}`" for k, v in rec["config"].items())
    return (
        f"Recommended for a normal FPR target of {fmt_pct(rec['target_fpr'], 3)}: {settings} "
        f"(current {fmt_num(rec.get('current_threshold'), 2)}); at it the sweep gives recall "
        f"{fmt_pct(rec['campaign_recall'])}, FPR {fmt_pct(rec['normal_fpr'], 3)}, precision "
        f"{fmt_pct(rec['precision'])}.{caveat}"
    )


def _cell(family: Mapping[str, Any] | None) -> str:
    if family is None:
        return "—"
    if family["kind"] == "normal":
        return f"FPR {fmt_pct(family['fpr'], 2)}"
    return f"R {fmt_pct(family['recall'])}, TTD {fmt_num(family['ttd_requests']['p50'])}"


def comparison_section(
    metrics: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]], comparison: Mapping[str, Any]
) -> list[Block]:
    """Per family: distillguard vs each baseline, and whether distillguard beats it."""
    names = list(baselines)
    headers = ["family", "kind", MAIN, *names, f"{MAIN} vs baselines"]
    rows = []
    for family, data in metrics["families"].items():
        verdicts = comparison["families"].get(family, {})
        cells = [_cell(baselines[n]["families"].get(family)) for n in names]
        said = ", ".join(f"{n}: {VERDICT_MARK[verdicts[n]]}" for n in names if n in verdicts) or "—"
        rows.append([family, data["kind"], _cell(data), *cells, said])
    overall_cells = [
        f"R {fmt_pct(d['overall']['campaign_recall'])}, FPR {fmt_pct(d['overall']['normal_fpr'], 2)}"
        for d in (metrics, *baselines.values())
    ]
    said = ", ".join(f"{n}: {VERDICT_MARK[v]}" for n, v in comparison["overall"].items()) or "—"
    rows.append(["**all**", "", *overall_cells, said])
    note = (
        "R = account recall (medium+ alert), TTD = median own requests to the first medium+ alert, FPR = "
        "flagged share of a normal class. Campaign family: distillguard beats a baseline with higher recall, "
        "or equal recall and lower median TTD. Normal class: lower FPR. All rows: better on one of "
        "(recall, FPR) and no worse on the other; 'mixed' otherwise."
    )
    if not names:
        note = "No baselines were run. " + note
    return [Heading("Results vs baselines"), Table(headers, rows), Paragraph(note)]


MATCHED_HEADING = "Baselines at matched false-positive rate"


def _matched_cell(recall: float | None, ttd: float | None, matched: bool) -> str:
    if not matched:
        return "R 0.0% (none)"
    return f"R {fmt_pct(recall)}, TTD {fmt_num(ttd)}"


def matched_fpr_section(
    metrics: Mapping[str, Any], matched: Mapping[str, Any] | None, baseline_names: Sequence[str]
) -> list[Block]:
    """Each baseline re-thresholded to distillguard's false-positive budget, and who wins per family."""
    heading = Heading(MATCHED_HEADING)
    if not baseline_names:
        return [heading, Paragraph("No baselines were run.")]
    if not matched or not matched["baselines"]:
        return [heading, Paragraph("Not computed: no baseline score traces were given.")]
    budget, entries = matched["budget"], matched["baselines"]
    names = list(entries)
    overall = metrics["overall"]
    rule = (
        f"Rule: {budget['rule']}. Here the budget is **{fmt_pct(budget['fpr_budget'], 3)}** = max(target "
        f"{fmt_pct(budget['target_fpr'], 3)}, distillguard {fmt_pct(budget['distillguard_normal_fpr'], 3)}). "
        f"With {budget['normal_accounts']} normal accounts that allows at most "
        f"{budget['max_normal_flagged']} flagged normal accounts. A baseline with no grid threshold inside "
        "the budget is listed as 'none' and counted with recall 0; the grid stops at "
        f"{fmt_num(budget['grid_max'], 2)}, so accounts whose baseline score saturates at 1.0 are flagged at "
        "every grid threshold."
    )
    points = [
        [
            f"{MAIN} (configured, alerts)",
            "configured",
            fmt_pct(overall["normal_fpr"], 3),
            fmt_pct(overall["campaign_recall"]),
            fmt_pct(overall["precision"]),
            fmt_num(overall["ttd_requests"]["p50"]),
        ]
    ]
    for name, e in entries.items():
        if e["threshold"] is None:
            lowest = fmt_pct(e["lowest_normal_fpr"], 3)
            points.append([name, "none", f"— (lowest reachable {lowest})", "0.0%", "—", "—"])
            continue
        points.append(
            [
                name,
                f"{e['threshold']:.2f}",
                f"{fmt_pct(e['normal_fpr'], 3)} ({e['normal_flagged']}/{e['normal_accounts']})",
                fmt_pct(e["campaign_recall"]),
                fmt_pct(e["precision"]),
                fmt_num(e["median_ttd_requests"]),
            ]
        )
    rows = []
    for family, data in metrics["families"].items():
        if data["kind"] != "campaign":
            continue
        cells = [
            _matched_cell(e["recall"].get(family), e["median_ttd"].get(family), e["threshold"] is not None)
            for e in entries.values()
        ]
        said = ", ".join(
            f"{n}: {VERDICT_MARK[entries[n]['verdicts'][family]]}"
            for n in names
            if family in entries[n]["verdicts"]
        )
        rows.append([family, _cell(data), *cells, said or "—"])
    totals = [
        f"R {fmt_pct(e['campaign_recall'])}" + ("" if e["threshold"] is not None else " (none)")
        for e in entries.values()
    ]
    said = ", ".join(f"{n}: {VERDICT_MARK[e['overall_verdict']]}" for n, e in entries.items())
    rows.append(["**all campaign**", f"R {fmt_pct(overall['campaign_recall'])}", *totals, said])
    for family, data in metrics["families"].items():
        if data["kind"] != "normal":
            continue
        cells = [
            _fpr_cell(e["fpr"].get(family), data["accounts"]) if e["threshold"] is not None else "— (none)"
            for e in entries.values()
        ]
        rows.append([family, _fpr_cell(data["fpr"], data["accounts"]), *cells, "—"])
    note = (
        "distillguard columns are its alert-based results at its configured threshold (as above); baseline "
        "columns are the baseline's score-trace sweep at the matched threshold: an account counts as flagged "
        "once its score reached the threshold at or after its min_events-th request (the alerting gate every "
        "detector shares), TTD is the own request index of that first crossing. Verdict: "
        "distillguard beats a baseline on a family with higher recall at a normal FPR no higher than the "
        "baseline's; equal recall (e.g. both 100%) ties, TTD is not judged; lower recall at an FPR no lower "
        "loses; higher recall at a higher FPR (or lower recall at a lower FPR) is 'mixed'. Normal-class "
        "rows: flagged/accounts, FPR and its 95% Wilson upper bound at the matched threshold."
    )
    scores = [f"`{n}`: {_score_note(n)}" for n in names if _score_note(n)]
    return [
        heading,
        Paragraph(rule),
        *(
            [Paragraph("How each baseline's score maps to its own rule: " + "; ".join(scores) + ".")]
            if scores
            else []
        ),
        Table(
            ["detector", "matched threshold", "normal FPR", "campaign recall", "precision", "median TTD"],
            points,
        ),
        Table(["campaign family", MAIN, *names, f"{MAIN} beats it"], rows),
        Paragraph(note),
    ]


SCORE_NOTES = {
    "rate_limit": "score = 0.5 x (requests / limit) over the hour or day, so its own rule (over the "
    "limit) is score > 0.5",
    "hst_only": "score = the raw HalfSpaceTrees anomaly score, own rule >= hst_threshold",
    "burst_only": "score = log1p(chi²) / log1p(burst.saturation), own rule chi² >= burst_threshold",
    "mmd": "score = r / (1 + r) with r = MMD² / (null percentile of MMD² for the window's size), so its own "
    "rule (MMD² above the benign null percentile) is score > 0.5 and a matched threshold t means "
    "MMD² >= t / (1 - t) x that percentile",
}


def _score_note(name: str) -> str | None:
    return SCORE_NOTES.get("mmd" if name.startswith("mmd") else name)


def _fpr_cell(fpr: float | None, accounts: int) -> str:
    """``flagged/accounts (FPR, <= Wilson 95% upper)`` of one normal class."""
    if fpr is None or not accounts:
        return "—"
    flagged = round(fpr * accounts)
    return f"{flagged}/{accounts} ({fmt_pct(fpr, 2)}, ≤ {fmt_pct(wilson_upper(flagged, accounts), 2)})"


def false_positive_section(
    metrics: Mapping[str, Any],
    baselines: Mapping[str, Mapping[str, Any]],
    ablations: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Block]:
    """Every detector at its own threshold: flagged normal accounts per class with the Wilson upper bound."""
    detectors = {MAIN: metrics, **baselines, **{f"ablation {n}": d for n, d in (ablations or {}).items()}}
    rows = []
    for family, data in metrics["families"].items():
        if data["kind"] != "normal":
            continue
        rows.append(
            [
                family,
                *(
                    _fpr_cell(d["families"].get(family, {}).get("fpr"), data["accounts"])
                    for d in detectors.values()
                ),
            ]
        )
    pooled = [
        _fpr_cell(d["overall"]["normal_fpr"], d["overall"]["normal_accounts"]) for d in detectors.values()
    ]
    rows.append(["**all normal**", *pooled])
    note = (
        "Each detector at its own configured threshold (medium+ alerts). Cells: flagged/accounts (FPR, ≤ "
        "the upper end of the 95% Wilson interval): with a few dozen accounts per class, 0 flagged still "
        "allows a few percent."
    )
    return [
        Heading("False positives per normal class"),
        Table(["normal class", *detectors], rows),
        Paragraph(note),
    ]


ABLATIONS_HEADING = "Ablations"


def ablation_section(
    metrics: Mapping[str, Any], ablations: Mapping[str, Mapping[str, Any]] | None
) -> list[Block]:
    """The detector with one family of evidence off: recall and TTD per family, FPR, vs the full one."""
    if not ablations:
        return []
    from distillguard.evaluation.ablations import DESCRIPTIONS

    names = list(ablations)
    rows = []
    for family, data in metrics["families"].items():
        cells = []
        for name in names:
            other = ablations[name]["families"].get(family)
            if other is None:
                cells.append("—")
            elif data["kind"] == "campaign":
                delta = (other["recall"] or 0.0) - (data["recall"] or 0.0)
                cells.append(f"{_cell(other)} (Δ {100 * delta:+.1f} pt)")
            else:
                cells.append(_fpr_cell(other["fpr"], other["accounts"]))
        full = _cell(data) if data["kind"] == "campaign" else _fpr_cell(data["fpr"], data["accounts"])
        rows.append([family, data["kind"], full, *cells])
    overall = [
        f"R {fmt_pct(d['overall']['campaign_recall'])}, FPR {fmt_pct(d['overall']['normal_fpr'], 2)}"
        for d in (metrics, *ablations.values())
    ]
    rows.append(["**all**", "", *overall])
    described = "; ".join(f"`{n}`: {DESCRIPTIONS.get(n, n)}" for n in names)
    note = (
        "The same detector and events with one family of evidence switched off by config alone "
        f"({described}). "
        "R = recall (medium+), TTD = median own requests to the first medium+ alert, Δ = recall change vs "
        "the full detector in percentage points; normal classes: flagged/accounts (FPR, ≤ 95% Wilson upper). "
        "Weight-only ablations: phrase markers still shape cluster ids and the content gate of the campaign "
        "and cluster signals."
    )
    return [
        Heading(ABLATIONS_HEADING),
        Table(["family", "kind", f"{MAIN} (full)", *names], rows),
        Paragraph(note),
    ]


def family_section(metrics: Mapping[str, Any]) -> list[Block]:
    """distillguard per family: sizes, recall or FPR, TTD percentiles, campaign-level recall, leakage."""
    campaign_rows, normal_rows = [], []
    for family, d in metrics["families"].items():
        if d["kind"] == "campaign":
            req, mins = d["ttd_requests"], d["ttd_minutes"]
            campaign_rows.append(
                [
                    family,
                    str(d["accounts"]),
                    str(d["flagged"]),
                    fmt_pct(d["recall"]),
                    f"{d['campaigns_detected']}/{d['campaigns']}",
                    " / ".join(fmt_num(req[k]) for k in ("p50", "p90", "max")),
                    " / ".join(fmt_num(mins[k]) for k in ("p50", "p90", "max")),
                    fmt_pct(d["leakage_share"]),
                ]
            )
        else:
            normal_rows.append(
                [
                    family,
                    str(d["accounts"]),
                    str(d["flagged"]),
                    fmt_pct(d["fpr"], 3),
                    fmt_pct(d["fpr_wilson95_upper"], 3),
                ]
            )
    return [
        Heading(f"{MAIN} per family"),
        Table(
            [
                "campaign family",
                "accounts",
                "flagged",
                "recall",
                "campaigns hit",
                "TTD requests p50/p90/max",
                "TTD minutes p50/p90/max",
                "leakage",
            ],
            campaign_rows,
        ),
        Table(["normal class", "accounts", "flagged", "FPR", "FPR 95% upper"], normal_rows),
        Paragraph("Leakage = share of the family's requests served before its accounts were flagged."),
    ]


def linking_section(metrics: Mapping[str, Any]) -> list[Block]:
    link = metrics["linking"]
    text = (
        f"{link['linked_accounts']} flagged accounts linked into {link['predicted_campaigns']} predicted "
        f"campaigns ({link['linked_normal_accounts']} of them normal). Purity {fmt_pct(link['purity'])} "
        f"(share of linked accounts in their group's majority true campaign; normal accounts are impurity), "
        f"completeness {fmt_pct(link['completeness'])} (share of flagged campaign accounts in the predicted "
        f"campaign holding most of their true campaign), linked share {fmt_pct(link['linked_share'])}."
    )
    rows = [
        [
            g["campaign_id"],
            str(g["size"]),
            str(g["majority_campaign"]),
            fmt_pct(g["majority_share"]),
            str(g["normal_accounts"]),
        ]
        for g in link["groups"][:15]
    ]
    blocks: list[Block] = [Heading("Campaign linking"), Paragraph(text)]
    if rows:
        blocks.append(
            Table(
                ["predicted campaign", "size", "majority true campaign", "majority share", "normal accounts"],
                rows,
            )
        )
    return blocks


def sweep_section(sweep: SweepResult, recommended: float | None) -> list[Block]:
    """Sweep table at round thresholds plus the current and recommended ones."""
    marks = {t for t in (sweep.current_threshold, recommended) if t is not None}
    rows = []
    for p in sweep.points:
        t = p["threshold"]
        on_step = math.isclose(t / SWEEP_TABLE_STEP, round(t / SWEEP_TABLE_STEP), abs_tol=1e-9)
        if not on_step and not any(math.isclose(t, m, abs_tol=1e-9) for m in marks):
            continue
        label = f"{t:.2f}"
        if sweep.current_threshold is not None and math.isclose(t, sweep.current_threshold, abs_tol=1e-9):
            label += " (current)"
        if recommended is not None and math.isclose(t, recommended, abs_tol=1e-9):
            label += " (recommended)"
        rows.append(
            [
                label,
                fmt_pct(p["campaign_recall"]),
                fmt_pct(p["normal_fpr"], 3),
                fmt_pct(p["precision"]),
                fmt_num(p["median_ttd_requests"]),
                str(p["flagged"]),
            ]
        )
    text = (
        f"Source: {sweep.source}. An account counts as flagged at threshold t when its score ever reached t; "
        "scores before the account's min_events-th request are not counted (they cannot alert); other gates "
        "of the live detector (cooldowns) are not re-simulated."
    )
    return [
        Heading("Threshold sweep (fusion.medium)"),
        Paragraph(text),
        Table(["threshold", "recall", "normal FPR", "precision", "median TTD (requests)", "flagged"], rows),
    ]


def run_section(run_info: Mapping[str, Any] | None) -> list[Block]:
    if not run_info:
        return []
    events = run_info.get("events", {})
    text = (
        f"Events: {events.get('events_total', '—')} valid, {events.get('invalid_lines', '—')} invalid lines "
        f"skipped, {events.get('accounts', '—')} accounts. Distillguard alerts from: "
        f"{run_info.get('alerts_source', '—')}."
    )
    rows = [
        [
            r["name"],
            str(r["alerts"]),
            str(r["accounts_assessed"]),
            str(r["duplicates"]),
            fmt_num(r["elapsed_s"], 2),
            fmt_num(r["events_per_s"], 0),
            fmt_num(1e6 / r["events_per_s"], 1) if r.get("events_per_s") else "—",
        ]
        for r in run_info.get("detectors", {}).values()
    ]
    blocks: list[Block] = [Heading("Run"), Paragraph(text)]
    if rows:
        headers = ["detector", "alerts", "accounts", "duplicates", "seconds", "events/s", "µs/event"]
        blocks.append(Table(headers, rows))
        blocks.append(
            Paragraph("Seconds: time inside each detector's `process` (one shared pass over the file).")
        )
    if run_info.get("agreement"):
        agreement = run_info["agreement"]
        blocks.append(
            Paragraph(
                f"Flagged-account agreement of the alerts file with the in-process detector: Jaccard "
                f"{fmt_pct(agreement['jaccard'])} ({agreement['both']} in both, "
                f"{agreement['file_only']} only in the file, {agreement['in_process_only']} only in process)."
            )
        )
    return blocks


# ---------------------------------------------------------------------------------------------- rendering


def _md_table(table: Table) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(table.headers), line(["---"] * len(table.headers)), *map(line, table.rows)])


def render_markdown(title: str, blocks: Sequence[Block]) -> str:
    """Markdown with figures referenced as PNG files beside the report."""
    parts = [f"# {title}"]
    for block in blocks:
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + block.text)
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Table):
            parts.append(_md_table(block))
        else:
            parts.append(f"![{block.caption}]({block.filename})\n\n*{block.caption}*")
    return "\n\n".join(parts) + "\n"


def _inline(text: str) -> str:
    """Escape for HTML, then render the Markdown ``**bold**`` and ``code`` spans used in paragraphs."""
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}"
    "img{max-width:100%}figure{margin:1.5em 0}figcaption{color:#555;font-size:0.9em}"
)


def render_html(title: str, blocks: Sequence[Block]) -> str:
    """One self-contained HTML page; figures are embedded as base64 PNG data URIs."""
    body = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in block.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        else:
            data = base64.b64encode(block.png).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
            )
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title><style>{_CSS}</style>'
    page = "\n".join([f"<h1>{html.escape(title)}</h1>", *body])
    return f'<!DOCTYPE html>\n<html lang="en"><head>{head}</head><body>\n{page}\n</body></html>\n'


# ---------------------------------------------------------------------------------------------- entry point


def _as_sweep(sweep: SweepResult | Mapping[str, Any]) -> SweepResult:
    if isinstance(sweep, SweepResult):
        return sweep
    return SweepResult(
        grid=tuple(sweep["grid"]),
        families=dict(sweep["families"]),
        points=list(sweep["points"]),
        score_histograms=dict(sweep["score_histograms"]),
        source=sweep.get("source", ""),
        current_threshold=sweep.get("current_threshold"),
        unlabelled_accounts=sweep.get("unlabelled_accounts", 0),
        fusion=dict(sweep.get("fusion", {})),
        accounts=dict(sweep.get("accounts", {})),
    )


def figures(
    metrics: Mapping[str, Any],
    sweep: SweepResult,
    baselines: Mapping[str, Mapping[str, Any]],
    recommended: float | None,
) -> list[Figure]:
    """Render every figure of the report to PNG bytes."""
    return [
        Figure(
            "pr_curve.png",
            "Precision/recall over the medium threshold; squares are the baselines.",
            pr_curve_figure(sweep, baselines, recommended, metrics),
        ),
        Figure(
            "score_distributions.png",
            "Max score per account by family (dotted: current threshold, dashed: recommended).",
            score_distribution_figure(sweep, recommended),
        ),
        Figure(
            "ttd_cdf.png", "Time to detect per campaign family (plateau = recall).", ttd_cdf_figure(metrics)
        ),
        Figure(
            "recall_by_family.png",
            "Recall per campaign family and detector.",
            recall_bars_figure(metrics, baselines),
        ),
    ]


def write_report(
    out_dir: str | Path,
    metrics: Mapping[str, Any],
    sweep: SweepResult | Mapping[str, Any],
    baselines_metrics: Mapping[str, Mapping[str, Any]],
    *,
    target_fpr: float = 0.001,
    run_info: Mapping[str, Any] | None = None,
    title: str = "distillguard evaluation",
    baseline_sweeps: Mapping[str, SweepResult | Mapping[str, Any]] | None = None,
    ablations_metrics: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write ``metrics.json``, ``report.md``, ``report.html`` and the figure PNGs into ``out_dir``.

    ``metrics.json`` holds: ``schema``, ``distillguard`` (its metrics), ``baselines`` (name -> metrics),
    ``comparison`` (verdicts per family and overall, each baseline at its own fixed threshold),
    ``baselines_matched_fpr`` (name -> the baseline at the matched false-positive budget, from
    ``baseline_sweeps``; see :func:`evaluation.sweep.match_baselines`), ``matched_fpr_budget`` (the budget
    and its rule), ``ablations`` (name -> the metrics of the detector under that ablation, see
    :mod:`evaluation.ablations`), ``sweep`` (every threshold), ``recommendation`` (for ``target_fpr``),
    ``run`` (``run_info``) and ``files``. Returns that document.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sweep_result = _as_sweep(sweep)
    recommendation = sweep_result.recommend(target_fpr)
    comparison = compare_to_baselines(metrics, baselines_metrics)
    sweeps = {
        name: _as_sweep(baseline_sweeps[name])
        for name in baselines_metrics
        if baseline_sweeps and name in baseline_sweeps
    }
    matched = match_baselines(metrics, sweeps, target_fpr) if sweeps else None
    figs = figures(metrics, sweep_result, baselines_metrics, recommendation.get("threshold"))
    for fig in figs:
        (out / fig.filename).write_bytes(fig.png)
    blocks: list[Block] = [
        *_summary(metrics, recommendation),
        *comparison_section(metrics, baselines_metrics, comparison),
        *matched_fpr_section(metrics, matched, list(baselines_metrics)),
        *false_positive_section(metrics, baselines_metrics, ablations_metrics),
        *ablation_section(metrics, ablations_metrics),
        *family_section(metrics),
        *linking_section(metrics),
        *sweep_section(sweep_result, recommendation.get("threshold")),
        Heading("Figures"),
        *figs,
        *run_section(run_info),
    ]
    files = ["metrics.json", "report.md", "report.html", *(f.filename for f in figs)]
    document = {
        "schema": DOCUMENT_SCHEMA,
        MAIN: metrics,
        "baselines": dict(baselines_metrics),
        "comparison": comparison,
        "baselines_matched_fpr": matched["baselines"] if matched else {},
        "matched_fpr_budget": matched["budget"] if matched else None,
        "ablations": dict(ablations_metrics or {}),
        "sweep": sweep_result.to_dict(),
        "recommendation": recommendation,
        "run": dict(run_info or {}),
        "files": files,
    }
    options = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    (out / "metrics.json").write_bytes(orjson.dumps(document, option=options))
    (out / "report.md").write_text(render_markdown(title, blocks), encoding="utf-8")
    (out / "report.html").write_text(render_html(title, blocks), encoding="utf-8")
    return document
