"""FeedbackEvent v1: what an analyst (or a case tool) decided about a subject, on the feedback topic.

Keyed by ``subject_type:subject_id`` on a single-partition topic, so every worker sees the labels in
one order. The analyst is a pseudonym, never a name; the note is free text for the case history and is
never copied into alerts, verdicts or logs.

>>> fb = FeedbackEvent(feedback_id="fb-1", ts=1_767_225_600_000, subject_type="account",
...                    subject_id="a1", label="allowlist", analyst="analyst-7")
>>> fb.subject_key, fb.label.suppresses, fb.label.condemns
('account:a1', True, False)
>>> try:
...     FeedbackEvent.model_validate({**fb.model_dump(), "expires_ts": fb.ts})
... except ValueError as exc:
...     print("is not after ts" in str(exc))
True
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from distillguard.schemas.request_event import MAX_ID_CHARS, MAX_TS_MS, MIN_TS_MS

SCHEMA_VERSION = 1
MAX_NOTE_CHARS = 2000


class SubjectType(StrEnum):
    """What a label is about: one account, every account of an org, or a linked campaign."""

    ACCOUNT = "account"
    ORG = "org"
    CAMPAIGN = "campaign"


class Label(StrEnum):
    """An analyst's decision. ``allowlist`` / ``false_positive`` clear a subject (no medium+ alert until
    the label expires or the evidence grows well beyond what was cleared); ``denylist`` /
    ``confirmed_abuse`` condemn it (its next request alerts at critical)."""

    FALSE_POSITIVE = "false_positive"
    CONFIRMED_ABUSE = "confirmed_abuse"
    ALLOWLIST = "allowlist"
    DENYLIST = "denylist"

    @property
    def suppresses(self) -> bool:
        return self in (Label.FALSE_POSITIVE, Label.ALLOWLIST)

    @property
    def condemns(self) -> bool:
        return self in (Label.CONFIRMED_ABUSE, Label.DENYLIST)


class FeedbackEvent(BaseModel):
    """One analyst label. ``ts`` is when it takes effect (event time: requests stamped at or after it);
    ``expires_ts`` (optional) when it stops."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    feedback_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    ts: int = Field(ge=MIN_TS_MS, le=MAX_TS_MS, description="when the label takes effect, epoch ms")
    subject_type: SubjectType
    subject_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    label: Label
    expires_ts: int | None = Field(
        default=None, ge=MIN_TS_MS, le=MAX_TS_MS, description="when the label stops applying, epoch ms"
    )
    analyst: str = Field(min_length=1, max_length=128, description="pseudonymous analyst or tool id")
    note: str = Field(default="", max_length=MAX_NOTE_CHARS)

    @model_validator(mode="after")
    def _expires_after_ts(self) -> FeedbackEvent:
        if self.expires_ts is not None and self.expires_ts <= self.ts:
            raise ValueError(f"expires_ts {self.expires_ts} is not after ts {self.ts}")
        return self

    @property
    def subject_key(self) -> str:
        """The record key and label-table key: ``subject_type:subject_id``."""
        return subject_key(self.subject_type, self.subject_id)


def subject_key(subject_type: SubjectType | str, subject_id: str) -> str:
    """``account:a1``, ``org:o1``, ``campaign:c1``."""
    return f"{SubjectType(subject_type).value}:{subject_id}"


def decode_feedback(raw: bytes | str) -> FeedbackEvent:
    """Parse and validate one FeedbackEvent from JSON; raises ``ValueError`` with pydantic's message."""
    return FeedbackEvent.model_validate_json(raw)
