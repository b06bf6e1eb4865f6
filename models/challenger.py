"""A challenger configuration beside the live one, on the same stream.

The challenger may differ in what can change live (``fusion``: weights, thresholds, cooldown;
``feedback``; ``enforcement``): everything upstream of the fusion (features, cluster and campaign
state) is shared with the live detector, so the challenger re-fuses each assessment's signals with its
own weights and runs its own alert stage (own cooldown state) on the result. It sees the candidates the
live configuration hands to the alert stage (those in a live severity band, or labelled).

Disagreements are counted per assessment: the live and the challenger configuration put the request's
account in different enforcement classes (medium+ or not).

>>> from distillguard.models.stages import Assessment
>>> challenger = Challenger(DetectionConfig.model_validate({"fusion": {"medium": 0.5}}), DetectionConfig())
>>> a = Assessment(event_id="e1", account_id="a1", ts=1, score=0.55, events_seen=9, cluster_id="c",
...                signals={"elicitation": 1.0, "shared_traits": 0.6})
>>> challenger.disagreement(a, 0.55)
'challenger_only'
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import replace

from distillguard.models.config import DetectionConfig
from distillguard.models.fusion import account_severity, severity_score
from distillguard.models.stages import AlertStage, Assessment
from distillguard.schemas.suspicion_event import Severity, SuspicionEvent

_MEDIUM = Severity.MEDIUM.rank


def _flags(score: float, signals: Mapping[str, float], config: DetectionConfig) -> bool:
    severity = account_severity(score, signals, config.fusion)
    return severity is not None and severity.rank >= _MEDIUM


class Challenger:
    """A second alert stage over the live assessments, with a challenger configuration."""

    def __init__(
        self,
        config: DetectionConfig,
        live: DetectionConfig,
        alert_state: MutableMapping[str, bytes] | None = None,
    ) -> None:
        self.config, self.live = config, live
        self.stage = AlertStage(config, alert_state=alert_state)
        self.disagreements: dict[str, int] = {}

    def disagreement(self, assessment: Assessment, challenger_score: float) -> str | None:
        """``live_only`` / ``challenger_only`` when only one configuration flags the account medium+."""
        signals = assessment.signals
        live = _flags(assessment.score, signals, self.live)
        challenger = _flags(challenger_score, signals, self.config)
        if live == challenger:
            return None
        return "live_only" if live else "challenger_only"

    def process(self, assessment: Assessment) -> SuspicionEvent | None:
        """The challenger's alert for a live assessment (None if it does not alert), counting
        disagreements."""
        score = severity_score(assessment.signals, self.config.fusion, assessment.prior_weights)
        kind = self.disagreement(assessment, score)
        if kind is not None:
            self.disagreements[kind] = self.disagreements.get(kind, 0) + 1
        return self.stage.process(replace(assessment, score=score))
