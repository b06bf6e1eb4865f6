"""SuspicionEvent v1: the alert distillguard emits, keyed by account_id on the alert topic."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Severity(StrEnum):
    """Alert severity; ``medium`` and above are enforcement-grade."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Action(StrEnum):
    """Suggested enforcement action."""

    MONITOR = "monitor"
    REVIEW = "review"
    THROTTLE = "throttle"
    BLOCK = "block"


class Reason(BaseModel):
    """One contributing signal, in words an analyst understands."""

    model_config = ConfigDict(extra="forbid")

    signal: str
    value: float
    threshold: float
    detail: str


class SuspicionEvent(BaseModel):
    """An alert. Raw prompt text never appears here: only scores, ids and signal values.

    ``alert_id`` is a deterministic function of (account, severity, trigger event, detector
    version), so an alert re-emitted after a crash or redelivery is recognisable downstream.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    alert_id: str
    ts: int = Field(description="event time of the trigger request, epoch ms")
    account_id: str
    trigger_event_id: str
    score: float = Field(ge=0.0, le=1.0)
    severity: Severity
    action: Action
    reasons: list[Reason]
    cluster_id: str | None = None
    campaign_id: str | None = None
    campaign_size: int = Field(default=1, ge=1)
    linked_accounts: list[str] = Field(default_factory=list)
    events_seen: int = Field(ge=1)
    detector_version: str
    config_version: str | None = Field(
        default=None, description="version of the detection configuration that produced the alert"
    )
