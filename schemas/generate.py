"""Regenerate the committed JSON Schema files: ``python -m schemas.generate``."""

from __future__ import annotations

from pathlib import Path

import orjson

from distillguard.schemas.control import ConfigUpdate, ConfigUpdateResult
from distillguard.schemas.feedback_event import FeedbackEvent
from distillguard.schemas.request_event import RequestEvent
from distillguard.schemas.suspicion_event import SuspicionEvent
from distillguard.schemas.verdict import Verdict

SCHEMA_DIR = Path(__file__).resolve().parent
SCHEMA_FILES = {
    "request_event.v1.json": RequestEvent,
    "suspicion_event.v1.json": SuspicionEvent,
    "feedback_event.v1.json": FeedbackEvent,
    "verdict.v1.json": Verdict,
    "config_update.v1.json": ConfigUpdate,
    "config_update_result.v1.json": ConfigUpdateResult,
}


def render(model: type) -> bytes:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def main() -> None:
    for name, model in SCHEMA_FILES.items():
        (SCHEMA_DIR / name).write_bytes(render(model))
        print(f"wrote schemas/{name}")


if __name__ == "__main__":
    main()
