"""The offline commands of ``distillguard``: ``simulate``, ``evaluate`` and ``demo``.

They join the runtime's command group through the ``distillguard.commands`` entry points (see
``pyproject.toml``), so the worker never imports the simulator or its campaign templates.

``--scenario`` names a preset of the tuned simulator (``small``, ``full``, ``dev``, ``holdout``, ``demo``) or
one of the red-team sets written blind (``redteam`` / ``redteam2`` / ``redteam3`` for measurement,
``redteam-dev`` / ``redteam2-dev`` / ``redteam3-dev`` for tuning).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
import orjson

from distillguard.streams.cli import CONFIG_OPTION, settings_or_exit

REDTEAM_SPLITS = {
    "redteam": "blind",
    "redteam-dev": "dev",
    "redteam2": "blind",
    "redteam2-dev": "dev",
    "redteam3": "blind",
    "redteam3-dev": "dev",
}


def _redteam_module(name: str) -> Any:
    """The generator package of a red-team scenario name (``redteam*``, ``redteam2*`` or ``redteam3*``)."""
    if name.startswith("redteam3"):
        from distillguard.evaluation import redteam3

        return redteam3
    if name.startswith("redteam2"):
        from distillguard.evaluation import redteam2

        return redteam2
    from distillguard.evaluation import redteam

    return redteam


@click.command()
@CONFIG_OPTION
@click.option(
    "--scenario",
    default="small",
    show_default=True,
    help="small | full | dev | holdout | redteam | redteam-dev | redteam2 | redteam2-dev | redteam3 | "
    "redteam3-dev",
)
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Red-team scenarios only: scale the number of accounts.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write events.jsonl, labels.jsonl and scenario.json here.",
)
@click.option("--topic", default=None, help="Produce the events to this topic instead (labels need --out).")
@click.option(
    "--rate", type=float, default=None, help="Target events/s when producing (default: as fast as possible)."
)
def simulate(
    config_file: Path | None,
    scenario: str,
    seed: int | None,
    scale: float,
    out_dir: Path | None,
    topic: str | None,
    rate: float | None,
) -> None:
    """Seeded, labelled traffic: normal populations plus campaign families."""
    if out_dir is None and topic is None:
        raise click.UsageError("give --out DIR and/or --topic NAME")
    if topic is None:
        click.echo(orjson.dumps(_write(scenario, seed, scale, out_dir)).decode())  # type: ignore[arg-type]
        return
    from distillguard.streams.kafka_io import produce

    events, label_rows = _events_and_labels(scenario, seed, scale)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "labels.jsonl").write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in label_rows))
    records = ((e["account_id"], orjson.dumps(e)) for e in events)
    sent = produce(settings_or_exit(config_file), topic, records, rate=rate)
    click.echo(f"produced {sent:,} events to {topic}")


def _write(name: str, seed: int | None, scale: float, out_dir: Path) -> dict[str, Any]:
    """Write events.jsonl, labels.jsonl and scenario.json of one named scenario; return its summary."""
    if name in REDTEAM_SPLITS:
        from distillguard.evaluation.corpora import corpora_root

        return _redteam_module(name).write(
            out_dir, REDTEAM_SPLITS[name], seed=seed, corpora_root=corpora_root(), scale=scale
        )
    from distillguard.evaluation.scenarios import get_scenario
    from distillguard.evaluation.simulator import write_scenario

    return write_scenario(get_scenario(name, seed=seed), out_dir)


def _events_and_labels(
    name: str, seed: int | None, scale: float
) -> tuple[Iterable[dict[str, Any]], list[dict[str, Any]]]:
    """The events (time order) and label rows of one named scenario, for producing to a topic."""
    if name in REDTEAM_SPLITS:
        from distillguard.evaluation.corpora import corpora_root

        events, label_rows, _ = _redteam_module(name).generate(
            REDTEAM_SPLITS[name], seed=seed, corpora_root=corpora_root(), scale=scale
        )
        return events, label_rows
    from distillguard.evaluation.scenarios import get_scenario
    from distillguard.evaluation.simulator import iter_events, labels

    spec = get_scenario(name, seed=seed)
    return iter_events(spec), labels(spec)


@click.command()
@CONFIG_OPTION
@click.option("--events", "events_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--labels", "labels_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--alerts",
    "alerts_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Alerts to score (default: run the detector on the events).",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--target-fpr", type=float, default=0.001, show_default=True)
@click.option("--baselines/--no-baselines", default=True, show_default=True)
@click.option("--ablations", is_flag=True, help="Also run the detector under each ablation config.")
@click.option(
    "--mmd-windows", default=None, help="Comma-separated MMD baseline window sizes [default: 20,50]."
)
@click.option(
    "--mmd-percentile", type=float, default=None, help="Null percentile of the MMD threshold [default: 95]."
)
def evaluate(
    config_file: Path | None,
    events_path: Path,
    labels_path: Path,
    alerts_path: Path | None,
    out_dir: Path,
    target_fpr: float,
    baselines: bool,
    ablations: bool,
    mmd_windows: str | None,
    mmd_percentile: float | None,
) -> None:
    """Join alerts with labels: recall, false positives, time to detect, linking purity, baselines, report."""
    from distillguard.evaluation.evaluate import baseline_config_from
    from distillguard.evaluation.evaluate import evaluate as run_evaluation

    s = settings_or_exit(config_file)
    metrics = run_evaluation(
        events_path,
        labels_path,
        out_dir,
        alerts_path=alerts_path,
        config=s.detection,
        baselines=baselines,
        target_fpr=target_fpr,
        ablations=ablations,
        baseline_config=baseline_config_from(None, mmd_windows, mmd_percentile),
        partitions=s.topics.partitions,
    )
    click.echo(f"wrote {out_dir}/metrics.json, report.md, report.html")
    summary = metrics.get("summary") if isinstance(metrics, dict) else None
    if summary:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())


@click.command()
@click.option("--scenario", default="demo", show_default=True)
@click.option("--keep-broker", is_flag=True, help="Leave the broker running afterwards.")
def demo(scenario: str, keep_broker: bool) -> None:
    """Broker + worker + a simulated workload with one campaign; prints alerts as they arrive."""
    from distillguard.evaluation.demo import run_demo

    sys.exit(run_demo(scenario, keep_broker=keep_broker))


def labelled_traffic(command: Any) -> Any:
    """The options every fit takes: labelled development files (in pairs) and the output file."""
    for option in reversed(
        (
            click.option(
                "--events",
                "events_paths",
                multiple=True,
                required=True,
                type=click.Path(exists=True, path_type=Path),
                help="Labelled development traffic (repeatable; pair each with --labels in the same order).",
            ),
            click.option(
                "--labels",
                "labels_paths",
                multiple=True,
                required=True,
                type=click.Path(exists=True, path_type=Path),
            ),
            click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path)),
        )
    ):
        command = option(command)
    return command


def labelled_pairs(events_paths: tuple[Path, ...], labels_paths: tuple[Path, ...]) -> list[tuple[Path, Path]]:
    if len(events_paths) != len(labels_paths):
        raise click.UsageError("give one --labels per --events")
    return list(zip(events_paths, labels_paths, strict=True))


MISREAD_SHARE_OPTION = click.option(
    "--misread-share",
    type=click.FloatRange(0.0, 0.9),
    default=0.0,
    show_default=True,
    help="Also run each file with this share of every normal account's requests misread as asking for "
    "reasoning and a grade; those accounts join the fit as normal accounts (0: off; fit_fusion.Misreads).",
)


@click.command("fit-fusion")
@CONFIG_OPTION
@labelled_traffic
@click.option(
    "--target-fpr",
    type=float,
    default=0.0005,
    show_default=True,
    help="Share of normal training accounts allowed at medium+ when the bias is calibrated: half the "
    "0.1 % budget, a margin for traffic the fit never saw.",
)
@click.option(
    "--collect-with",
    "collect_with",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Run the collection with the weights a previous fit recorded as 'collected_with' (reproduces "
    "that fit exactly) instead of the configured ones.",
)
@click.option(
    "--segments",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Pieces of each evidence signal's fitted shape over [0, 1] (1: one slope per signal).",
)
@click.option(
    "--cold-start-share",
    type=click.FloatRange(0.0, 0.9),
    default=0.25,
    show_default=True,
    help="Share of the positive weight given to campaign accounts as met cold: the vectors the "
    "collection's weights flag even without coordination and population evidence, stripped of it "
    "(keeps the fit from trading what is caught cold for coordination).",
)
@click.option(
    "--mining-rounds",
    type=click.IntRange(1, 32),
    default=8,
    show_default=True,
    help="Rounds of hard-negative mining; the round with the best mean family recall is kept.",
)
@MISREAD_SHARE_OPTION
def fit_fusion(
    config_file: Path | None,
    events_paths: tuple[Path, ...],
    labels_paths: tuple[Path, ...],
    out_path: Path,
    target_fpr: float,
    collect_with: Path | None,
    segments: int,
    cold_start_share: float,
    mining_rounds: int,
    misread_share: float,
) -> None:
    """Fit the fusion weights on labelled development traffic (never on the blind red-team split)."""
    from distillguard.evaluation.fit_fusion import Misreads, fit_weights, with_collection_weights, write

    pairs = labelled_pairs(events_paths, labels_paths)
    settings = settings_or_exit(config_file)
    config = settings.detection
    if collect_with is not None:
        config = with_collection_weights(config, collect_with)
    result = fit_weights(
        pairs,
        config,
        target_fpr=target_fpr,
        partitions=settings.topics.partitions,
        segments=segments,
        cold_start_share=cold_start_share,
        mining_rounds=mining_rounds,
        misreads=Misreads(misread_share) if misread_share > 0 else None,
    )
    write(result, out_path)
    click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


@click.command("fit-interactions")
@CONFIG_OPTION
@labelled_traffic
@click.option(
    "--target-fpr",
    type=float,
    default=0.0005,
    show_default=True,
    help="Share of normal training accounts allowed at medium+ when the offset is calibrated.",
)
@click.option(
    "--margin",
    type=click.FloatRange(0.0, 5.0),
    default=1.0,
    show_default=True,
    help="Log-odds taken off the calibrated offset: a margin for traffic the fit never saw (trees fit "
    "their training traffic more closely than the additive shapes do).",
)
@click.option("--depth", type=click.IntRange(1, 6), default=3, show_default=True, help="Depth of each tree.")
@click.option(
    "--trees", type=click.IntRange(1, 2000), default=400, show_default=True, help="Rounds of boosting."
)
@click.option(
    "--cold-start-share",
    type=click.FloatRange(0.0, 0.9),
    default=0.25,
    show_default=True,
    help="Share of the positive weight given to campaign vectors the additive weights flag without "
    "coordination and population evidence, stripped of it (keeps the trees from waiting for it).",
)
@click.option(
    "--bags",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Ensembles fitted on random shares of the accounts and averaged (steadier than one fit; every "
    "request then scores all of their trees).",
)
@click.option(
    "--bag-share",
    type=click.FloatRange(0.1, 1.0),
    default=0.7,
    show_default=True,
    help="Share of the training accounts each bagged ensemble sees.",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Collect float64 vectors and write the splits unrounded, so that the trees split between the "
    "values the detector compares them with (the committed file predates it; README 'Split values').",
)
@MISREAD_SHARE_OPTION
def fit_interactions(
    config_file: Path | None,
    events_paths: tuple[Path, ...],
    labels_paths: tuple[Path, ...],
    out_path: Path,
    target_fpr: float,
    margin: float,
    depth: int,
    trees: int,
    cold_start_share: float,
    bags: int,
    bag_share: float,
    exact: bool,
    misread_share: float,
) -> None:
    """Fit the interaction trees on labelled development traffic (never on the blind red-team split);
    the collection runs with the configured (additive) fusion weights."""
    from distillguard.evaluation.fit_fusion import Misreads, collect
    from distillguard.evaluation.fit_interactions import additive_only, write_interactions
    from distillguard.evaluation.fit_interactions import fit_interactions as fit

    pairs = labelled_pairs(events_paths, labels_paths)
    settings = settings_or_exit(config_file)
    config = settings.detection
    every_request = collect(
        pairs,
        additive_only(config),
        partitions=settings.topics.partitions,
        exact=exact,
        misreads=Misreads(misread_share) if misread_share > 0 else None,
    ).every_request
    fitted, report = fit(
        every_request,
        config.fusion.medium,
        target_fpr=target_fpr,
        margin=margin,
        depth=depth,
        trees=trees,
        cold_start_reference=config.fusion.weights,
        cold_start_share=cold_start_share,
        bags=bags,
        bag_share=bag_share,
    )
    report = {
        "trained_on": [str(e) for e, _ in pairs],
        **report,
        **({"exact": True} if exact else {}),
        **({"misread_share": misread_share} if misread_share > 0 else {}),
    }
    write_interactions(fitted, report, out_path, exact_splits=exact)
    click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


@click.command()
@click.option(
    "--run",
    "runs",
    multiple=True,
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A run directory holding labels.jsonl and the alerts files (repeatable; results are pooled).",
)
@click.option(
    "--alerts",
    "alert_names",
    multiple=True,
    required=True,
    help="An alerts file name looked up in every run directory, one per detector version (repeatable).",
)
@click.option(
    "--budgets",
    default="1,3,5,8,12",
    show_default=True,
    help="Numbers of flagged normal accounts at which to compare recall.",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
def compare(
    runs: tuple[Path, ...], alert_names: tuple[str, ...], budgets: str, json_path: Path | None
) -> None:
    """Compare detector versions on labelled runs: pooled recall, flagged normal accounts per class and
    recall at equal numbers of flagged normal accounts (peak alert scores)."""
    from distillguard.evaluation.compare import load_outcomes, render, summarise

    try:
        ks = tuple(int(k) for k in budgets.split(","))
    except ValueError:
        raise click.BadParameter(f"not a comma-separated list of integers: {budgets!r}") from None
    summaries: dict[str, Any] = {}
    for name in alert_names:
        outcomes = []
        for run in runs:
            alerts = run / name
            if not alerts.is_file():
                raise click.UsageError(f"{alerts} does not exist")
            found, invalid = load_outcomes(run / "labels.jsonl", alerts)
            if invalid:
                click.echo(f"warning: {alerts}: {invalid} lines are not alerts (skipped)", err=True)
            outcomes.extend(found)
        summaries[name] = summarise(outcomes, ks)
        click.echo(render(name, summaries[name]))
    if json_path is not None:
        json_path.write_bytes(
            orjson.dumps(
                {"runs": [str(r) for r in runs], "versions": summaries},
                option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
            )
        )


@click.command("content-shift")
@CONFIG_OPTION
@click.option(
    "--events", "events_path", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option(
    "--labels", "labels_path", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--output", "alerts_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--share",
    type=click.FloatRange(0.0, 1.0),
    default=0.2,
    show_default=True,
    help="Share of each normal account's requests whose content reads are raised.",
)
@click.option(
    "--reads",
    default="elicitation",
    show_default=True,
    help="Comma-separated content reads to raise: elicitation, grading, capability, synthetic.",
)
@click.option(
    "--level", type=click.FloatRange(0.0, 1.0), default=0.9, show_default=True, help="The raised read."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Which requests are misread.")
def content_shift(
    config_file: Path | None,
    events_path: Path,
    labels_path: Path,
    alerts_path: Path,
    share: float,
    level: float,
    reads: str,
    seed: int,
) -> None:
    """Replay a labelled dev split with a share of the normal accounts' requests misread as asking for
    reasoning (a stress test of content evidence; compare the alerts with ``distillguard compare``)."""
    from distillguard.evaluation.content_shift import CONTENT_READS, MisreadShare, replay_with_misreads

    chosen = [read.strip() for read in reads.split(",") if read.strip()]
    if not chosen or set(chosen) - set(CONTENT_READS):
        raise click.BadParameter(f"choose from {', '.join(CONTENT_READS)}", param_hint="--reads")
    settings = settings_or_exit(config_file)
    counts = replay_with_misreads(
        events_path,
        labels_path,
        alerts_path,
        MisreadShare(share, seed),
        settings.detection,
        level,
        partitions=settings.topics.partitions,
        reads=chosen,
    )
    click.echo(orjson.dumps(counts).decode())
