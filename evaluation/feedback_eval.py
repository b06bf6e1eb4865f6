"""How precision moves when a simulated analyst labels the first N alerts of a run.

The analyst reviews the first ``N`` accounts that alert at medium+ (in alert order), right when they
alert, and labels each by the ground truth: a campaign account ``confirmed_abuse``, a normal one
``false_positive``. The labels act as in production (a false positive holds the account's medium+ alerts
back, a confirmed account alerts at critical and raises its campaign) and, with
``detection.feedback.calibrate``, also train the bounded score calibration (``models.calibration``).

Precision and recall are per account over the whole run (medium+ at least once), so the N reviewed
accounts count too: a false positive the analyst cleared early stops counting as flagged only if it
never alerted before the label (it did: that is how it was reviewed), so the metrics below also report
precision over the accounts *not* reviewed, which is what the labels can change for the rest.

    python -m distillguard.evaluation.feedback_eval --scenario small --ns 0,5,10,20,50
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.schemas.feedback_event import FeedbackEvent
from distillguard.schemas.request_event import RequestEvent

MEDIUM = 2


def run_with_analyst(
    events: Sequence[dict[str, Any]], truth: dict[str, str], config: DetectionConfig, reviews: int
) -> dict[str, Any]:
    """One run with an analyst who labels the first ``reviews`` medium+ accounts; account-level metrics."""
    detector = Detector(config)
    flagged: list[str] = []
    reviewed: set[str] = set()
    for raw in events:
        event = RequestEvent.model_validate(raw)
        for alert in detector.process(event):
            if alert.severity.rank < MEDIUM or alert.account_id in flagged:
                continue
            flagged.append(alert.account_id)
            if len(reviewed) < reviews:
                reviewed.add(alert.account_id)
                abuse = truth.get(alert.account_id) == "campaign"
                detector.apply_feedback(
                    FeedbackEvent(
                        feedback_id=f"sim-{len(reviewed)}",
                        ts=alert.ts,
                        subject_type="account",
                        subject_id=alert.account_id,
                        label="confirmed_abuse" if abuse else "false_positive",
                        analyst="simulated-analyst",
                    )
                )
    campaign = {a for a, kind in truth.items() if kind == "campaign"}
    flagged_set = set(flagged)
    rest = flagged_set - reviewed
    return {
        "reviews": reviews,
        "flagged": len(flagged_set),
        "precision": _ratio(len(flagged_set & campaign), len(flagged_set)),
        "recall": _ratio(len(flagged_set & campaign), len(campaign)),
        "unreviewed_flagged": len(rest),
        "unreviewed_precision": _ratio(len(rest & campaign), len(rest)),
        "normal_flagged": len(flagged_set - campaign),
    }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def sweep(
    events: Sequence[dict[str, Any]], truth: dict[str, str], config: DetectionConfig, ns: Iterable[int]
) -> list[dict[str, Any]]:
    """Labels only, then labels + calibration, for every N."""
    rows = []
    calibrated = config.model_copy(
        update={"feedback": config.feedback.model_copy(update={"calibrate": True})}
    )
    for n in ns:
        rows.append({"mode": "labels", **run_with_analyst(events, truth, config, n)})
        if n:
            rows.append({"mode": "labels+calibration", **run_with_analyst(events, truth, calibrated, n)})
    return rows


def main() -> None:
    from distillguard.evaluation.scenarios import get_scenario
    from distillguard.evaluation.simulator import iter_events, labels

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="small")
    parser.add_argument("--ns", default="0,5,10,20,50")
    parser.add_argument("--fusion", default="{}", help="JSON of detection.fusion overrides")
    args = parser.parse_args()
    scenario = get_scenario(args.scenario)
    truth = {row["account_id"]: row["kind"] for row in labels(scenario)}
    events = list(iter_events(scenario))
    config = DetectionConfig.model_validate({"fusion": orjson.loads(args.fusion)})
    for row in sweep(events, truth, config, [int(n) for n in args.ns.split(",")]):
        print(orjson.dumps(row).decode())


if __name__ == "__main__":
    main()
