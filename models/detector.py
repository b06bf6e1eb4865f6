"""All three stages in one process: what ``distillguard replay`` and the evaluation run.

It runs the stage chain of :data:`models.pipeline.PIPELINE`, as the worker (one Faust agent per stage,
Faust tables as their state) and the sharded replay (one process group per stage) do. The stages keep
their soft models (population, benign reference, burst sketch, campaign linker) one per partition of
their input (models.soft_state); ``partitions`` must be the worker's ``topics.partitions`` for the
Detector to compute what the worker computes (each record's partition is derived from its key with the
producers' partitioner, models.partitioning).

>>> from distillguard.schemas import RequestEvent
>>> detector = Detector(DetectionConfig())
>>> event = RequestEvent(schema_version=1, event_id="e1", ts=1_767_225_600_000, account_id="a1",
...                      ip="198.51.100.4", model="m-1", input_tokens=10, output_tokens=20, prompt="hi")
>>> detector.process(event)
[]
>>> detector.process(event)   # a redelivered duplicate is counted once
[]
>>> detector.last_assessment is None
True
"""

from __future__ import annotations

from distillguard.models.challenger import Challenger
from distillguard.models.config import DetectionConfig
from distillguard.models.coordination import AccountCoordination
from distillguard.models.feedback import CalibrationExample, LabelBook, learn_from_label
from distillguard.models.partitioning import DEFAULT_PARTITIONS
from distillguard.models.pipeline import ALERT, CLUSTER, LABELS_TABLE, PIPELINE
from distillguard.models.stages import AccountStage, AlertStage, Assessment, ClusterStage
from distillguard.models.traits import TraitStage
from distillguard.schemas.feedback_event import FeedbackEvent
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent


class Detector:
    """The stage chain of :data:`models.pipeline.PIPELINE` in one process, with in-memory state."""

    def __init__(
        self,
        config: DetectionConfig | None = None,
        seed: int = 0,
        challenger: DetectionConfig | None = None,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self.config = config or DetectionConfig()
        # A challenger configuration beside the live one (models.challenger); its alerts collect in
        # ``challenger_alerts`` (drained by the caller).
        self.challenger = Challenger(challenger, self.config) if challenger is not None else None
        self.challenger_alerts: list[SuspicionEvent] = []
        # Analysts' labels (models.feedback), read by the cluster stage; apply_feedback() writes them.
        self.labels = LabelBook({})
        self.stages = PIPELINE.build(
            self.config, {LABELS_TABLE: self.labels.labels}, seed=seed, partitions=partitions
        )
        self.accounts: AccountStage
        self.clusters: ClusterStage
        self.alerts: AlertStage
        self.traits: TraitStage
        self.coordination: AccountCoordination
        self.accounts, self.clusters, self.alerts, self.traits, self.coordination = self.stages
        self.last_assessment: Assessment | None = None

    def process(self, event: RequestEvent) -> list[SuspicionEvent]:
        """Process one request; returns the alert it triggers, if any (a list of 0 or 1).

        ``last_assessment`` is the request's assessment, whether or not it reached the alert stage
        (None for a redelivered duplicate).
        """
        outputs = PIPELINE.run(self.stages, event, self.config)
        self.last_assessment = outputs.get(CLUSTER.name)
        alert = outputs.get(ALERT.name)
        assessment = self.last_assessment
        if self.challenger is not None and assessment is not None and CLUSTER.passes(assessment, self.config):
            challenged = self.challenger.process(assessment)
            if challenged is not None:
                self.challenger_alerts.append(challenged)
        return [alert] if alert is not None else []

    def apply_feedback(self, feedback: FeedbackEvent) -> bool:
        """Record an analyst's label; it applies to requests stamped at or after ``feedback.ts``.
        False when the subject already holds a later label."""
        applied = self.labels.apply(feedback)
        example = CalibrationExample.of(feedback) if applied and self.config.feedback.calibrate else None
        paired = example.paired(self.alerts.verdicts) if example is not None else None
        if paired is not None:  # every label on a scored account is a training example
            learn_from_label(self.labels, self.config, paired)
        return applied
