"""orjson (de)serialisation with validation errors turned into dead-letter reasons."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent


class DecodeError(ValueError):
    """A record that is not a valid RequestEvent; ``reason`` is short and safe to log (no prompt text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:5]:
        location = ".".join(str(p) for p in err["loc"]) or "<record>"
        parts.append(f"{location}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def decode_request(raw: bytes | str, *, max_bytes: int | None = None) -> RequestEvent:
    """Parse and validate one RequestEvent from JSON bytes, or raise :class:`DecodeError`."""
    size = len(raw)
    if max_bytes is not None and size > max_bytes:
        raise DecodeError(f"record of {size} bytes exceeds the {max_bytes}-byte limit")
    try:
        payload: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"malformed JSON or invalid UTF-8: {exc.msg} at position {exc.pos}") from None
    if not isinstance(payload, dict):
        raise DecodeError(f"expected a JSON object, got {type(payload).__name__}")
    try:
        return RequestEvent.model_validate(payload)
    except ValidationError as exc:
        raise DecodeError(_describe(exc)) from None
    except (RecursionError, OverflowError) as exc:
        raise DecodeError(f"unprocessable record: {type(exc).__name__}") from None


def encode_request(event: RequestEvent) -> bytes:
    return orjson.dumps(event.model_dump(exclude_none=True))


def encode_alert(alert: SuspicionEvent) -> bytes:
    return orjson.dumps(alert.model_dump(mode="json"))
