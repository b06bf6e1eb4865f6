"""All three stages in one process: what ``distillguard replay`` and the evaluation run.

It runs the stage chain of :data:`models.pipeline.PIPELINE`, as the worker (one Faust agent per stage,
Faust tables as their state) and the sharded replay (one process group per stage) do.

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

from distillguard.models.config import DetectionConfig
from distillguard.models.coordination import AccountCoordination
from distillguard.models.pipeline import ALERT, CLUSTER, PIPELINE
from distillguard.models.stages import AccountStage, AlertStage, Assessment, ClusterStage
from distillguard.models.traits import TraitStage
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent


class Detector:
    """The stage chain of :data:`models.pipeline.PIPELINE` in one process, with in-memory state."""

    def __init__(self, config: DetectionConfig | None = None, seed: int = 0) -> None:
        self.config = config or DetectionConfig()
        self.stages = PIPELINE.build(self.config, seed=seed)
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
        return [alert] if alert is not None else []
