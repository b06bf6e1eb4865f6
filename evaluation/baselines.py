"""Baselines for side-by-side evaluation, with the detector's protocol (``process`` → alerts,
``last_assessment``): a per-account rate limit, HalfSpaceTrees alone, a MIDAS burst score alone, and the
benign-calibrated MMD detector (:mod:`evaluation.mmd_baseline`).

Each reuses the production building blocks (features, account state, sketches) so a comparison
measures the *decision logic*, not different plumbing. Baselines are evaluation tools: their settings
(:class:`BaselineConfig`) live here, not in the runtime's ``DetectionConfig``.

>>> from distillguard.schemas import RequestEvent
>>> limiter = RateLimitBaseline(DetectionConfig())
>>> limiter.process(RequestEvent(schema_version=1, event_id="e", ts=1_767_225_600_000, account_id="a",
...                              ip="192.0.2.1", model="m", input_tokens=1, output_tokens=1))
[]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from distillguard.models.burst import MidasBurst
from distillguard.models.config import DetectionConfig
from distillguard.models.features import FeatureExtractor
from distillguard.models.fusion import ACTIONS, severity_for
from distillguard.models.stages import BEHAVIOUR_SIGNALS, AccountStage, Assessment, build_alert
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import Reason, Severity, SuspicionEvent

_MS_PER_HOUR = 3_600_000
_MS_PER_DAY = 86_400_000


class BaselineConfig(BaseModel):
    """The comparison baselines (what a team would deploy without distillguard)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_limit_per_hour: int = Field(
        default=100, ge=1, description="per-account requests/hour before flagging"
    )
    rate_limit_per_day: int = Field(
        default=1000, ge=1, description="per-account requests/day before flagging"
    )
    hst_threshold: float = Field(
        default=0.85, gt=0, lt=1, description="HalfSpaceTrees score that flags alone"
    )
    burst_threshold: float = Field(default=50.0, gt=0, description="MIDAS chi-square that flags alone")
    mmd_windows: tuple[int, ...] = Field(
        default=(20, 50), min_length=1, description="MMD baseline window sizes W; one detector per size"
    )
    mmd_min_window: int = Field(
        default=5,
        ge=2,
        description="an account's window is tested once it holds this many prompts (each size has its "
        "own null); set it to the window size for full windows only",
    )
    mmd_reference_size: int = Field(
        default=1024, ge=64, description="reservoir of population prompt embeddings (reference + null pool)"
    )
    mmd_null_share: float = Field(
        default=0.25, gt=0, lt=1, description="share of the reservoir held out to draw null windows from"
    )
    mmd_null_samples: int = Field(
        default=300,
        ge=20,
        description="benign-vs-reference windows drawn per window size to set the threshold",
    )
    mmd_percentile: float = Field(
        default=95.0,
        gt=0,
        lt=100,
        description="percentile of the null MMD that is the threshold (95/99/99.9)",
    )
    mmd_bandwidths: tuple[float, ...] = Field(
        default=(0.5, 1.0, 2.0, 4.0), min_length=1, description="Gaussian bandwidths x median distance"
    )
    mmd_warmup_events: int = Field(
        default=1000, ge=1, description="events seen before the first calibration (no score before)"
    )
    mmd_recalibrate_every: int = Field(
        default=5000, ge=0, description="recalibrate on the current reservoir every N events (0: never)"
    )
    mmd_max_accounts: int = Field(
        default=100_000, ge=10, description="accounts whose windows are kept (least recently seen evicted)"
    )
    mmd_seed: int = Field(default=20260606, description="reservoir and null sampling seed")


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

    def __init__(self, config: DetectionConfig, baseline_config: BaselineConfig | None = None) -> None:
        self.config = config
        self.baseline_config = baseline_config if baseline_config is not None else BaselineConfig()
        self.last_assessment: Assessment | None = None
        self._alerted: set[str] = set()
        self._seen: set[str] = set()

    def _emit(
        self,
        event: RequestEvent,
        events_seen: int,
        score: float,
        fired: bool,
        reason: Reason,
        severity: Severity | None = None,
    ) -> list[SuspicionEvent]:
        """Record the assessment; alert once per account when ``fired`` (at ``severity``, else the
        fusion band of ``score`` raised to medium)."""
        self.last_assessment = Assessment(
            event.event_id, event.account_id, event.ts, score, events_seen, "-", {}
        )
        if not fired or event.account_id in self._alerted:
            return []
        self._alerted.add(event.account_id)
        if severity is None:
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

    def __init__(self, config: DetectionConfig, baseline_config: BaselineConfig | None = None) -> None:
        super().__init__(config, baseline_config)
        self._counts: dict[str, _Counts] = {}

    def process(self, event: RequestEvent) -> list[SuspicionEvent]:
        if self._duplicate(event):
            return []
        bc = self.baseline_config
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

    def __init__(self, config: DetectionConfig, baseline_config: BaselineConfig | None = None) -> None:
        super().__init__(config, baseline_config)
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
        threshold = self.baseline_config.hst_threshold
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

    def __init__(self, config: DetectionConfig, baseline_config: BaselineConfig | None = None) -> None:
        super().__init__(config, baseline_config)
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
        threshold = self.baseline_config.burst_threshold
        score = min(1.0, math.log1p(chi2) / math.log1p(self.config.burst.saturation))
        reason = Reason(
            signal="cluster_burst",
            value=round(chi2, 2),
            threshold=threshold,
            detail=f"MIDAS chi-square of cluster {f.cluster_id} in this minute",
        )
        fired = chi2 >= threshold and seen >= self.config.account.min_events
        return self._emit(event, seen, score, fired, reason)


BaselineFactory = Callable[[DetectionConfig, BaselineConfig | None], object]

BASELINES: dict[str, BaselineFactory] = {
    RateLimitBaseline.name: RateLimitBaseline,
    HalfSpaceTreesBaseline.name: HalfSpaceTreesBaseline,
    BurstBaseline.name: BurstBaseline,
}
"""The classic baselines by name (the MMD ones depend on the configured windows)."""


def baseline_factories(baseline_config: BaselineConfig | None = None) -> dict[str, BaselineFactory]:
    """Every baseline by name: :data:`BASELINES` plus one ``mmd_w{W}`` per ``mmd_windows`` size."""
    from distillguard.evaluation.mmd_baseline import mmd_factory

    bc = baseline_config if baseline_config is not None else BaselineConfig()
    factories = dict(BASELINES)
    for window in bc.mmd_windows:
        factories[f"mmd_w{window}"] = mmd_factory(window)
    return factories
