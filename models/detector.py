"""All three stages in one process: what ``distillguard replay`` and the evaluation run.

The worker runs the very same stage classes, one per Faust agent, with Faust tables as their state.

>>> from schemas import RequestEvent
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
from distillguard.models.stages import AccountStage, AlertStage, Assessment, ClusterStage
from distillguard.models.traits import TraitStage
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent


class Detector:
    """Account stage → cluster stage → alert stage, with in-memory state."""

    def __init__(self, config: DetectionConfig | None = None, seed: int = 0) -> None:
        self.config = config or DetectionConfig()
        self.accounts = AccountStage(self.config, seed=seed)
        self.clusters = ClusterStage(self.config)
        self.alerts = AlertStage(self.config)
        self.traits = TraitStage(self.config.traits)
        # The sink writes the table the account stage reads (one dict here, one changelogged table in
        # the worker).
        self.coordination = AccountCoordination(
            self.config.traits,
            self.accounts.coordination.table,
            max_accounts=self.config.account.max_accounts,
        )
        self.last_assessment: Assessment | None = None

    def process(self, event: RequestEvent) -> list[SuspicionEvent]:
        """Process one request; returns the alert it triggers, if any (a list of 0 or 1)."""
        observation = self.accounts.process(event)
        if observation is None:
            self.last_assessment = None
            return []
        for trait in observation.trait_observations():
            self.coordination.absorb(self.traits.process(trait))
        self.last_assessment = self.clusters.process(observation)
        alert = self.alerts.process(self.last_assessment)
        return [alert] if alert is not None else []
