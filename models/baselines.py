"""Baselines for side-by-side evaluation, with the detector's protocol (``process`` → alerts,
``last_assessment``): a per-account rate limit, HalfSpaceTrees alone, and a MIDAS burst score alone.

Each reuses the production building blocks (features, account state, sketches) so a comparison
measures the *decision logic*, not different plumbing.

>>> from schemas import RequestEvent
>>> limiter = RateLimitBaseline(DetectionConfig())
>>> limiter.process(RequestEvent(schema_version=1, event_id="e", ts=1_767_225_600_000, account_id="a",
...                              ip="192.0.2.1", model="m", input_tokens=1, output_tokens=1))
[]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from distillguard.models.burst import MidasBurst
from distillguard.models.config import DetectionConfig
from distillguard.models.features import FeatureExtractor
from distillguard.models.fusion import ACTIONS, severity_for
from distillguard.models.stages import BEHAVIOUR_SIGNALS, AccountStage, Assessment, build_alert
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import Reason, Severity, SuspicionEvent

_MS_PER_HOUR = 3_600_000
_MS_PER_DAY = 86_400_000


@dataclass(slots=True)
class _Counts:
    events: int = 0
    hour: int = -1
    in_hour: int = 0
    day: int = -1
    in_day: int = 0
    alerted: bool = False


class _Baseline:
    """Shared plumbing: one medium alert per account, the first time the rule fires."""

    name = "baseline"

    def __init__(self, config: DetectionConfig) -> None:
        self.config = config
        self.last_assessment: Assessment | None = None
        self._alerted: set[str] = set()
        self._seen: set[str] = set()

    def _emit(
        self, event: RequestEvent, events_seen: int, score: float, fired: bool, reason: Reason
    ) -> list[SuspicionEvent]:
        self.last_assessment = Assessment(
            event.event_id, event.account_id, event.ts, score, events_seen, "-", {}
        )
        if not fired or event.account_id in self._alerted:
            return []
        self._alerted.add(event.account_id)
        severity = severity_for(score, self.config.fusion) or Severity.MEDIUM
        if severity.rank < Severity.MEDIUM.rank:
            severity = Severity.MEDIUM
        alert = build_alert(self.last_assessment, severity, f"{self.config.version}+{self.name}", [reason])
        return [alert.model_copy(update={"action": ACTIONS[severity]})]

    def _duplicate(self, event: RequestEvent) -> bool:
        if event.event_id in self._seen:
            self.last_assessment = None
            return True
        self._seen.add(event.event_id)
        return False


class RateLimitBaseline(_Baseline):
    """Flags an account when it exceeds the hourly or daily request limit."""

    name = "rate_limit"

    def __init__(self, config: DetectionConfig) -> None:
        super().__init__(config)
        self._counts: dict[str, _Counts] = {}

    def process(self, event: RequestEvent) -> list[SuspicionEvent]:
        if self._duplicate(event):
            return []
        bc = self.config.baselines
        c = self._counts.setdefault(event.account_id, _Counts())
        c.events += 1
        hour, day = event.ts // _MS_PER_HOUR, event.ts // _MS_PER_DAY
        c.in_hour = c.in_hour + 1 if hour == c.hour else 1
        c.in_day = c.in_day + 1 if day == c.day else 1
        c.hour, c.day = hour, day
        ratio = max(c.in_hour / bc.rate_limit_per_hour, c.in_day / bc.rate_limit_per_day)
        score = min(1.0, 0.5 * ratio)
        fired = ratio > 1.0
        reason = Reason(
            signal="rate_limit",
            value=float(c.in_hour),
            threshold=float(bc.rate_limit_per_hour),
            detail=f"{c.in_hour} requests this hour, {c.in_day} today",
        )
        return self._emit(
            event, c.events, max(score, self.config.fusion.medium) if fired else score, fired, reason
        )


class HalfSpaceTreesBaseline(_Baseline):
    """Flags an account when the population HalfSpaceTrees alone scores its behaviour as anomalous."""

    name = "hst_only"

    def __init__(self, config: DetectionConfig) -> None:
        super().__init__(config)
        # Same account features and shared model as the detector, but learning from everyone.
        stage_config = config.model_copy(
            update={
                "population": config.population.model_copy(
                    update={"learn_below_score": 1.01, "learn_every": 1}
                )
            }
        )
        self.stage = AccountStage(stage_config)

    def process(self, event: RequestEvent) -> list[SuspicionEvent]:
        observation = self.stage.process(event)
        if observation is None:
            self.last_assessment = None
            return []
        vector = {name: observation.signals[name] for name in BEHAVIOUR_SIGNALS}
        score = self.stage.population.score_one(vector)
        threshold = self.config.baselines.hst_threshold
        reason = Reason(
            signal="population_anomaly",
            value=round(score, 4),
            threshold=threshold,
            detail="HalfSpaceTrees anomaly score of the account's behaviour vector",
        )
        fired = score >= threshold and observation.events_seen >= self.config.account.min_events
        return self._emit(event, observation.events_seen, score, fired, reason)


class BurstBaseline(_Baseline):
    """Flags an account when its prompt cluster bursts (MIDAS chi-square) while it is sending to it."""

    name = "burst_only"

    def __init__(self, config: DetectionConfig) -> None:
        super().__init__(config)
        bc = config.burst
        self.features = FeatureExtractor(config)
        self.burst = MidasBurst(bc.cms_width, bc.cms_depth, bc.decay, bc.idle_gap_buckets)
        self._events: dict[str, int] = {}

    def process(self, event: RequestEvent) -> list[SuspicionEvent]:
        if self._duplicate(event):
            return []
        f = self.features.extract(event)
        seen = self._events[event.account_id] = self._events.get(event.account_id, 0) + 1
        bucket = f.ts // (self.config.burst.bucket_seconds * 1000)
        chi2 = self.burst.score(f.cluster_id, bucket)
        threshold = self.config.baselines.burst_threshold
        score = min(1.0, math.log1p(chi2) / math.log1p(self.config.burst.saturation))
        reason = Reason(
            signal="cluster_burst",
            value=round(chi2, 2),
            threshold=threshold,
            detail=f"MIDAS chi-square of cluster {f.cluster_id} in this minute",
        )
        fired = chi2 >= threshold and seen >= self.config.account.min_events
        return self._emit(event, seen, score, fired, reason)


BASELINES: dict[str, Callable[[DetectionConfig], object]] = {
    RateLimitBaseline.name: RateLimitBaseline,
    HalfSpaceTreesBaseline.name: HalfSpaceTreesBaseline,
    BurstBaseline.name: BurstBaseline,
}
