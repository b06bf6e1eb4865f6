"""Wire schemas of distillguard: the request events it reads and the suspicion events (alerts) it writes.

Both are pydantic v2 models serialised with orjson. The committed JSON Schema files
(``request_event.v1.json``, ``suspicion_event.v1.json``) are generated from these models by
``python -m schemas.generate``; a test fails when they drift.
"""

from distillguard.schemas.codec import DecodeError, decode_request, encode_alert, encode_request
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import Action, Reason, Severity, SuspicionEvent

__all__ = [
    "Action",
    "DecodeError",
    "Reason",
    "RequestEvent",
    "Severity",
    "SuspicionEvent",
    "decode_request",
    "encode_alert",
    "encode_request",
]
