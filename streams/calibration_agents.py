"""Calibration from analysts' labels in the worker (the model: :mod:`models.calibration`; the examples and
how they are learned: :class:`models.feedback.CalibrationExample`).

    apply_feedback ──▶ calibration-labels ──▶ pair_calibration_labels ──▶ calibration-examples
    (an account label,  (partition of the       reads [account_verdicts]:     (one partition: one
     while calibrating)  account, as the alert   the account's standing        order for every worker)
                         candidates topic)       score                                  │
                                                                                        ▼
                                   [subject_labels] (global table) ◀── fit_calibration

Three hops, because the label arrives on the one-partition feedback topic, the score it judges lives in
the alert stage's table on the partition of its account (on whichever worker holds it), and the
calibration is one model that every worker applies, so it is trained in one place and one order and
kept in the global label table the cluster stage already reads (:func:`models.feedback.annotate`).
``replay`` pairs and learns at once (:meth:`models.detector.Detector.apply_feedback`); with the labels
sent after the traffic, the worker learns the same calibration (integration test). Each example is
learned once per feedback id, so a redelivery after a crash does not count a label twice. Records carry
the feedback id, the account id, the verdict and the score, never the analyst's note.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from prometheus_client import Counter, Gauge

from distillguard.models.config import DetectionConfig
from distillguard.models.feedback import CalibrationExample, LabelBook, calibrator_for, learn_from_label
from distillguard.models.verdicts import VerdictBook
from distillguard.schemas.feedback_event import FeedbackEvent
from distillguard.streams.app_config import raw_topic
from distillguard.streams.batched_table import StampedReader
from distillguard.streams.internal_records import PartitionForKey
from distillguard.streams.metrics import WorkerMetrics
from distillguard.streams.settings import Settings

log = logging.getLogger("distillguard.worker")

__all__ = ["CalibrationMetrics", "install"]


class CalibrationMetrics:
    """What happened to each account label on its way to the calibration, and where the calibration is."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self.labels = Counter(
            "distillguard_calibration_labels",
            "account labels on their way to the score calibration, by outcome (routed, paired, no_standing: "
            "the account never reached the alert stage, learned, duplicate: a redelivered example)",
            ["outcome"],
            registry=metrics.registry,
        )
        self.calibration = Gauge(
            "distillguard_score_calibration",
            "the score calibration every worker applies (slope, offset, labels learned)",
            ["parameter"],
            registry=metrics.registry,
        )


def install(
    app: faust.App,
    settings: Settings,
    labels: Any,
    verdicts: Any,
    live: Callable[[], DetectionConfig],
    metrics: WorkerMetrics,
) -> Callable[[FeedbackEvent], Awaitable[None]]:
    """Declare the calibration's topics and agents over the global label table and the alert stage's
    ``account_verdicts`` table; returns the hook the feedback agent calls with every applied label (it
    routes account labels while ``feedback.calibrate`` is on in the live configuration)."""
    names = settings.internal_topics
    to_pair = raw_topic(app, names.calibration_labels, internal=True)
    examples = raw_topic(app, settings.calibration_examples_topic, internal=True, partitions=1)
    partition_of = PartitionForKey(app.conf.producer_partitioner, settings.topics.partitions)
    cm = CalibrationMetrics(metrics)
    book = LabelBook(labels)
    standings = VerdictBook(StampedReader(verdicts))  # type: ignore[arg-type]  # read, never written here

    async def route(feedback: FeedbackEvent) -> None:
        example = CalibrationExample.of(feedback) if live().feedback.calibrate else None
        if example is not None:
            sent = await to_pair.send(
                key=example.account_id, value=example.to_bytes(), partition=partition_of(example.account_id)
            )
            await sent  # delivered before the feedback record counts as handled
            cm.labels.labels("routed").inc()

    async def pair_calibration_labels(stream: Any) -> None:
        async for event in stream.events():
            paired = CalibrationExample.from_bytes(event.value).paired(standings)
            if paired is None:
                cm.labels.labels("no_standing").inc()
                continue
            await (await examples.send(key=paired.feedback_id, value=paired.to_bytes()))
            cm.labels.labels("paired").inc()

    async def fit_calibration(stream: Any) -> None:
        async for event in stream.events():
            example = CalibrationExample.from_bytes(event.value)
            learned = learn_from_label(book, live(), example)
            outcome = "learned" if learned else "duplicate"
            cm.labels.labels(outcome).inc()
            log.info("score calibration: %s feedback %s", outcome, example.feedback_id)

    app.agent(to_pair, name="pair_calibration_labels")(pair_calibration_labels)
    app.agent(examples, name="fit_calibration")(fit_calibration)

    @app.timer(interval=5.0)
    async def report_calibration() -> None:
        calibrator = calibrator_for(book, live())
        cm.calibration.labels("slope").set(calibrator.slope)
        cm.calibration.labels("offset").set(calibrator.offset)
        cm.calibration.labels("labels").set(calibrator.labels)

    return route
