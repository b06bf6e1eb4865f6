"""Control records: live detection-configuration updates and the workers' answers.

A :class:`ConfigUpdate` goes to the compacted control topic (key ``detection``); the worker that applies
it answers on the control-results topic with a :class:`ConfigUpdateResult` (the new
``config_version``, or the validation message of a refused update, which changes nothing).

>>> ConfigUpdate(request_id="r1", ts=1, detection={"fusion": {"medium": 0.65}}).detection
{'fusion': {'medium': 0.65}}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ConfigUpdate(BaseModel):
    """A partial detection configuration (any nested keys of ``detection``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    request_id: str = Field(min_length=1, max_length=256)
    ts: int = Field(ge=0, description="when it was pushed, epoch ms")
    author: str = Field(default="", max_length=128)
    detection: dict[str, Any]


class ConfigUpdateResult(BaseModel):
    """What became of one update."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    request_id: str
    ts: int
    accepted: bool
    config_version: str | None = Field(default=None, description="the version in force after the update")
    error: str | None = Field(default=None, description="why it was refused (validation message)")
