"""One call (or ``python -m evaluation.evaluate``) from labelled traffic to ``metrics.json`` and a report.

Every detector run here shares one pass over the events file (:func:`evaluation.runner.run_detectors`).
The distillguard row comes from ``alerts_path`` when given (e.g. alerts read back from the live Kafka
pipeline), otherwise from the in-process detector. The threshold sweep always wants real score traces,
so with an alerts file the in-process detector still runs alongside the baselines unless
``sweep_with_detector=False``, in which case the sweep is approximated from the alerts' own scores. When
both exist, the report states how far the file's flagged accounts agree with the in-process ones.

Baselines are compared twice: at their own fixed thresholds (alert-based, like distillguard), and at a
matched false-positive budget, re-thresholded on their own score traces over the same grid (see
:func:`evaluation.sweep.match_baselines`).

With ``ablations=True`` the detector also runs under every :mod:`evaluation.ablations` config in the same
pass; the report lists their recall per family and FPR next to the full detector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from distillguard.evaluation.ablations import ablation_factories, split_ablations
from distillguard.evaluation.metrics import compute_metrics, first_flags, load_alerts, load_labels, ratio
from distillguard.evaluation.report import write_report
from distillguard.evaluation.runner import (
    DEFAULT_GRID,
    MAIN_DETECTOR,
    DetectorLike,
    detector_factories,
    run_detectors,
)
from distillguard.evaluation.sweep import fusion_thresholds, threshold_sweep, traces_from_alerts
from distillguard.models.partitioning import DEFAULT_PARTITIONS
from distillguard.schemas.suspicion_event import SuspicionEvent


def default_config() -> Any:
    """``DetectionConfig()``, or ``None`` when the detection core cannot be imported."""
    try:
        from distillguard.models.config import DetectionConfig
    except ImportError:
        return None
    return DetectionConfig()


def flag_agreement(ours: Sequence[SuspicionEvent], theirs: Sequence[SuspicionEvent]) -> dict[str, Any]:
    """Overlap of the accounts flagged (medium+) by two alert streams over the same events."""
    a, b = set(first_flags(ours)), set(first_flags(theirs))
    return {
        "both": len(a & b),
        "file_only": len(a - b),
        "in_process_only": len(b - a),
        "jaccard": ratio(len(a & b), len(a | b)),
    }


def _factories(
    factories: Mapping[str, Callable[[], DetectorLike]] | None,
    config: Any,
    baselines: bool,
    need_main: bool,
    ablations: bool = False,
    baseline_config: Any = None,
    partitions: int = DEFAULT_PARTITIONS,
) -> dict[str, Callable[[], DetectorLike]]:
    if factories is None:
        factories = (
            detector_factories(config, baselines, baseline_config, partitions)
            if (need_main or baselines)
            else {}
        )
        if ablations:
            factories = {**factories, **ablation_factories(config, partitions)}
    return {name: build for name, build in factories.items() if name != MAIN_DETECTOR or need_main}


def evaluate(
    events_path: str | Path,
    labels_path: str | Path,
    out_dir: str | Path,
    alerts_path: str | Path | None = None,
    config: Any = None,
    baselines: bool = True,
    target_fpr: float = 0.001,
    *,
    grid: tuple[float, ...] = DEFAULT_GRID,
    factories: Mapping[str, Callable[[], DetectorLike]] | None = None,
    sweep_with_detector: bool = True,
    ablations: bool = False,
    baseline_config: Any = None,
    partitions: int = DEFAULT_PARTITIONS,
) -> dict[str, Any]:
    """Evaluate distillguard (and the baselines) on labelled events; write the report into ``out_dir``.

    ``factories`` (name -> zero-argument constructor, ``"distillguard"`` for the main detector) replaces
    the detectors built from ``models``; tests pass fakes (names starting ``ablation:`` are ablations).
    ``ablations`` adds the detector under each :func:`evaluation.ablations.ablation_configs` variant;
    ``baseline_config`` (:class:`evaluation.baselines.BaselineConfig`) tunes the baselines; ``partitions``
    is the worker's ``topics.partitions`` (the detector's soft models are kept per input partition, so
    the evaluated detector must be partitioned as the deployed one). Returns the ``metrics.json``
    document.
    """
    labels = load_labels(labels_path)
    config = config if config is not None else default_config()
    need_main = alerts_path is None or sweep_with_detector
    chosen = _factories(factories, config, baselines, need_main, ablations, baseline_config, partitions)
    if alerts_path is None and MAIN_DETECTOR not in chosen:
        raise ValueError(f"no alerts_path and no {MAIN_DETECTOR!r} detector to produce alerts")
    min_events = config.account.min_events if hasattr(config, "account") else 1
    stats, runs = run_detectors(
        {name: build() for name, build in chosen.items()}, events_path, grid, min_events=min_events
    )
    if alerts_path is not None:
        alerts, invalid_alerts = load_alerts(alerts_path)
        source = str(alerts_path)
    else:
        alerts, invalid_alerts = runs[MAIN_DETECTOR].alerts, 0
        source = "in-process detector"
    main_run = runs.get(MAIN_DETECTOR)
    metrics = compute_metrics(alerts, labels, stats.first_ts, stats.requests)
    others = {n: compute_metrics(r.alerts, labels, stats.first_ts, stats.requests) for n, r in runs.items()}
    others.pop(MAIN_DETECTOR, None)
    others, ablation_metrics = split_ablations(others)
    fusion = fusion_thresholds(config)
    traces = main_run.traces if main_run else traces_from_alerts(alerts, grid)
    sweep = threshold_sweep(
        traces,
        labels,
        grid,
        stats.first_ts,
        source="in-process detector score traces" if main_run else "alerts file (scores seen only at alerts)",
        current_threshold=fusion.get("medium"),
        fusion=fusion,
    )
    # Fair second comparison: every baseline re-thresholded on its own score traces (same grid) to
    # distillguard's false-positive budget; write_report picks the matched thresholds.
    baseline_sweeps = {
        name: threshold_sweep(run.traces, labels, grid, stats.first_ts, source=f"{name} score traces")
        for name, run in runs.items()
        if name in others
    }
    run_info: dict[str, Any] = {
        "events": stats.to_dict(),
        "alerts_source": source,
        "invalid_alert_lines": invalid_alerts,
        "detector_version": getattr(config, "version", None),
        "target_fpr": target_fpr,
        "detectors": {name: run.to_dict() for name, run in runs.items()},
    }
    if alerts_path is not None and main_run is not None:
        run_info["agreement"] = flag_agreement(alerts, main_run.alerts)
    return write_report(
        out_dir,
        metrics,
        sweep,
        others,
        target_fpr=target_fpr,
        run_info=run_info,
        baseline_sweeps=baseline_sweeps,
        ablations_metrics=ablation_metrics,
    )


def baseline_config_from(
    base: Any = None, mmd_windows: str | Sequence[int] | None = None, mmd_percentile: float | None = None
) -> Any:
    """``BaselineConfig`` (``base`` or the defaults) with the command-line MMD options applied."""
    from distillguard.evaluation.baselines import BaselineConfig

    bc = base if base is not None else BaselineConfig()
    update: dict[str, Any] = {}
    if mmd_windows:
        if isinstance(mmd_windows, str):
            mmd_windows = [int(w) for w in mmd_windows.split(",") if w.strip()]
        update["mmd_windows"] = tuple(mmd_windows)
    if mmd_percentile is not None:
        update["mmd_percentile"] = mmd_percentile
    return BaselineConfig.model_validate({**bc.model_dump(), **update}) if update else bc
