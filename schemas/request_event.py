"""RequestEvent v1: one API request as the gateway reports it."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1

# Contract limits of schema v1. They bound what one record may carry so that junk cannot
# exhaust memory; they are part of the wire contract, not tuning knobs.
MIN_TS_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_TS_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
MAX_ID_CHARS = 256
MAX_EMBEDDING_DIMS = 4096
MAX_EMBEDDING_ABS = 1e6
MAX_TOOLS = 256
MAX_TOKENS = 10_000_000
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")


class RequestEvent(BaseModel):
    """One request to the LLM API. Unknown extra fields are ignored, not fatal.

    >>> e = RequestEvent(schema_version=1, event_id="e1", ts=1_767_225_600_000, account_id="a1",
    ...                  ip="203.0.113.7", model="m-1", input_tokens=12, output_tokens=40)
    >>> e.conversation_turns is None
    True
    """

    model_config = ConfigDict(extra="ignore", frozen=False, str_strip_whitespace=False)

    schema_version: Literal[1]
    event_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    ts: int = Field(ge=MIN_TS_MS, le=MAX_TS_MS, description="request time, epoch milliseconds")
    account_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    ip: str = Field(description="client IP address, v4 or v6")
    model: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    input_tokens: int = Field(ge=0, le=MAX_TOKENS)
    output_tokens: int = Field(ge=0, le=MAX_TOKENS)

    org_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    api_key_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    account_created_ts: int | None = Field(default=None, ge=MIN_TS_MS, le=MAX_TS_MS)
    account_tier: str | None = Field(
        default=None,
        max_length=64,
        description="free, pro, team, enterprise, education, research, startup, or other text",
    )
    payment_fingerprint: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    asn: int | None = Field(default=None, ge=0, le=4_294_967_295)
    asn_type: str | None = Field(
        default=None, max_length=64, description="isp, mobile, hosting, proxy, education, business, ..."
    )
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$", description="ISO-3166 alpha-2")
    user_agent: str | None = Field(default=None, max_length=2048)
    prompt: str | None = Field(default=None, description="the user's latest message text")
    system_prompt: str | None = None
    prompt_embedding: list[float] | None = Field(default=None, max_length=MAX_EMBEDDING_DIMS)
    conversation_turns: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="this request's turn number in its conversation: 1 (or 0) opens a new conversation",
    )
    tools: list[str] | None = Field(default=None, max_length=MAX_TOOLS)
    thinking: bool | None = None

    @field_validator("ip")
    @classmethod
    def _valid_ip(cls, value: str) -> str:
        value = value.strip()
        if _CANONICAL_IPV4.match(value):
            return value  # already what ipaddress would return, at a tenth of its cost (hot path)
        try:
            return str(ipaddress.ip_address(value))
        except ValueError as exc:
            # The value is not echoed: a misplaced field could carry prompt text into logs.
            raise ValueError(f"not an IPv4/IPv6 address ({len(value)} characters)") from exc

    @field_validator("prompt_embedding")
    @classmethod
    def _finite_embedding(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("prompt_embedding is empty")
        for x in value:
            if not math.isfinite(x) or abs(x) > MAX_EMBEDDING_ABS:
                raise ValueError("prompt_embedding holds NaN, inf or out-of-range values")
        return value

    @field_validator("tools")
    @classmethod
    def _tool_names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(t) > MAX_ID_CHARS for t in value):
            raise ValueError(f"tool name longer than {MAX_ID_CHARS} characters")
        return value
