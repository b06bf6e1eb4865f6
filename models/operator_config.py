"""Settings of the operator's loop: what analysts' labels do (``detection.feedback``) and how the
detector's decisions are enforced (``detection.enforcement``). Nested in
:class:`models.config.DetectionConfig`, so the one settings object owns them and a live configuration
update may change them.

>>> FeedbackConfig().override_logit_margin > 0, EnforcementConfig().mode
(True, 'enforce')
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FeedbackConfig(BaseModel):
    """How analysts' labels change what the detector emits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    override_logit_margin: float = Field(
        default=2.0,
        gt=0,
        description="a cleared (allowlisted / false-positive) subject alerts again at medium+ only when its "
        "score's log-odds exceed what was cleared by this much (the evidence grew well beyond it)",
    )
    proactive_baseline: Literal["never", "low", "medium", "high", "critical"] = Field(
        default="never",
        description="what counts as cleared for an account allowlisted before it ever alerted at medium+: "
        "'never' (default): the analyst vouched for it, the label holds until it expires; a band: the "
        "score of that band, so evidence well beyond it overrides the label",
    )
    campaign_logit_boost: float = Field(
        default=1.5,
        ge=0,
        le=5,
        description="log-odds added to the score of every member of a campaign that holds an account an "
        "analyst condemned (denylist / confirmed abuse)",
    )
    max_condemned_campaigns: int = Field(
        default=10_000, ge=1, description="campaigns remembered as holding a condemned member (per worker)"
    )
    calibrate: bool = Field(
        default=False,
        description="calibrate the fused score from analysts' account labels (models.calibration); off: "
        "the configured fusion as is",
    )
    calibration_max_offset: float = Field(
        default=1.0, ge=0, le=5, description="most log-odds the calibration may shift a score by"
    )
    calibration_max_slope_change: float = Field(
        default=0.5, ge=0, lt=1, description="most the calibration's slope may differ from 1"
    )
    calibration_half_labels: int = Field(
        default=50, ge=1, description="labels after which the calibration may use half its bounds"
    )
    calibration_learning_rate: float = Field(default=0.05, gt=0, le=1, description="SGD step per label")


class EnforcementConfig(BaseModel):
    """What the detector's alerts ask enforcement to do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["enforce", "shadow"] = Field(
        default="enforce",
        description="shadow: compute everything as usual but set every alert's and verdict's action to "
        "'monitor' (a new configuration can run on live traffic without acting on anyone)",
    )
