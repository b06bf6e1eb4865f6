"""simulate → replay (the CLI contract) → evaluate, on the small scenario, without a broker."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from click.testing import CliRunner

from distillguard.schemas import SuspicionEvent
from distillguard.streams.cli import main

# Measured with the built-in prompt sample (the corpus mode is pinned below, so CI and a machine with
# ../shared/corpora see the same events): cot_rubric 12/12, heavy_single 1/1, model_pivot 5/8,
# hydra_agentic 0/25, low_and_slow 0/30; no normal account of any class. The fitted v2 fusion does not
# catch this simulator's hydra and low-and-slow families without shared cards (README, Evaluation).
# Since the soft models are kept per partition (models.soft_state; replay uses topics.partitions = 4),
# each learns from a quarter of this small scenario's 291 accounts: model_pivot 3/8 (measured; 7/8 with
# one shared model on today's features), the rest as above. That is the measured cost of N workers
# computing what one does (README, Guarantees), hence the model_pivot floor of 3/8.
RECALL_FLOORS = {"cot_rubric": 0.9, "heavy_single": 1.0, "model_pivot": 0.375, "hydra_agentic": 0.0,
                 "low_and_slow": 0.0}  # fmt: skip


def test_simulate_replay_evaluate_small_scenario(tmp_path: Path) -> None:
    runner = CliRunner(env={"DISTILLGUARD_CORPORA": str(tmp_path / "no-corpora")})
    sim = runner.invoke(main, ["simulate", "--scenario", "small", "--out", str(tmp_path)])
    assert sim.exit_code == 0, sim.output
    events, labels = tmp_path / "events.jsonl", tmp_path / "labels.jsonl"
    alerts = tmp_path / "alerts.jsonl"

    replay = runner.invoke(main, ["replay", "--input", str(events), "--output", str(alerts), "--no-progress"])
    assert replay.exit_code == 0, replay.output
    lines = alerts.read_bytes().splitlines()
    assert lines
    parsed = [SuspicionEvent.model_validate(orjson.loads(line)) for line in lines]
    assert len({a.alert_id for a in parsed}) == len(parsed)
    # Once the benign reference has warmed up, reasons say how rare each level is among accounts.
    population_reasons = [r.detail for a in parsed for r in a.reasons if "not under suspicion" in r.detail]
    assert population_reasons, "no reason carried a population share"

    out = tmp_path / "eval"
    evaluation = runner.invoke(
        main,
        [
            "evaluate",
            "--events",
            str(events),
            "--labels",
            str(labels),
            "--alerts",
            str(alerts),
            "--out",
            str(out),
        ],
    )
    assert evaluation.exit_code == 0, evaluation.output
    metrics = json.loads((out / "metrics.json").read_text())
    ours = metrics["distillguard"]
    assert ours["overall"]["normal_fpr"] == 0.0
    assert set(ours["families"]) >= set(RECALL_FLOORS)
    for family, floor in RECALL_FLOORS.items():
        assert ours["families"][family]["recall"] >= floor, family
    normal = [f for f, row in ours["families"].items() if row.get("recall") is None]
    assert len(normal) == 6  # every normal class is in the check (enterprise included)
    assert set(metrics["baselines"]) == {"rate_limit", "hst_only", "burst_only", "mmd_w20", "mmd_w50"}
    assert (out / "report.html").read_text().count("data:image/png;base64") >= 3
