"""Verdict v1: an account's current standing, on a compacted topic keyed by account_id (the latest record
per account is its standing) and served by the worker at ``GET /verdicts/<account_id>``.

>>> v = Verdict(account_id="a1", score=0.97, severity="critical", action="block", updated_ts=1,
...             config_version="cfg-0")
>>> v.label is None, v.suppressed
(True, False)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from distillguard.schemas.suspicion_event import Action, Reason, Severity


class Verdict(BaseModel):
    """What the detector currently thinks of an account, and what enforcement should do about it."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    account_id: str
    score: float = Field(ge=0.0, le=1.0)
    severity: Severity
    action: Action
    campaign_id: str | None = None
    reasons: list[Reason] = Field(default_factory=list, description="the strongest reasons, at most 3")
    updated_ts: int = Field(description="event time of the request that changed the standing, epoch ms")
    label: str | None = Field(default=None, description="analyst label in force, if any")
    suppressed: bool = Field(
        default=False, description="a medium+ alert is held back by an analyst's clearing label"
    )
    alert_id: str | None = Field(default=None, description="the alert that set this standing, if any")
    config_version: str | None = None
