"""Live detection-configuration updates: validation, merging and the version every alert carries.

An update is a partial :class:`~models.config.DetectionConfig` (any nested keys). It is merged into the
overrides applied so far and the result validated as a whole; it may only touch the sections that can
change between two batches without a restart (:data:`LIVE_SECTIONS`: thresholds, weights, cooldown,
feedback effects, enforcement mode). Sections that shape state (account layout, sketches, trait
kinds, ...) are refused with a message saying so.

The ``config_version`` of a configuration is a short hash of its canonical JSON: the same on every
worker and in ``replay`` for the same settings, with no coordination.

>>> base = DetectionConfig()
>>> update = apply_update(base, {}, {"fusion": {"medium": 0.65}})
>>> update.config.fusion.medium, update.overrides
(0.65, {'fusion': {'medium': 0.65}})
>>> update.version != config_version(base)
True
>>> def refused(update):
...     try:
...         apply_update(base, {}, update)
...     except ConfigUpdateError as exc:
...         return str(exc)
>>> refused({"fusion": {"medium": 0.99}})
'fusion: Value error, severity thresholds must rise: low 0.3 < medium 0.99 < high 0.8 < critical 0.93'
>>> refused({"account": {"max_accounts": 5}})
"account: not changeable live (it shapes the detector's state); restart the workers with it"
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from distillguard.models.config import DetectionConfig
from distillguard.schemas.suspicion_event import Action, SuspicionEvent

LIVE_SECTIONS = ("fusion", "feedback", "enforcement")


class ConfigUpdateError(ValueError):
    """An update that was refused; the message says which key and why."""


@lru_cache(maxsize=32)
def config_version(config: DetectionConfig) -> str:
    """``cfg-`` and 12 hex digits of the SHA-256 of the configuration's canonical JSON."""
    canonical = orjson.dumps(config.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return "cfg-" + hashlib.sha256(canonical).hexdigest()[:12]


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:5]:
        location = ".".join(str(p) for p in err["loc"]) or "<update>"
        parts.append(f"{location}: {err['msg']}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """A validated update: the overrides applied so far (on top of the workers' start-up settings), the
    resulting configuration and its version."""

    overrides: dict[str, Any]
    config: DetectionConfig
    version: str


def apply_update(base: DetectionConfig, overrides: dict[str, Any], update: dict[str, Any]) -> LiveUpdate:
    """Merge ``update`` into ``overrides`` and validate the result on top of ``base``; raises
    :class:`ConfigUpdateError` (nothing changes) when it is refused."""
    if not isinstance(update, dict) or not update:
        raise ConfigUpdateError("<update>: expected a non-empty JSON object of detection settings")
    for section in update:
        if section not in LIVE_SECTIONS:
            if section in DetectionConfig.model_fields:
                raise ConfigUpdateError(
                    f"{section}: not changeable live (it shapes the detector's state); restart the "
                    "workers with it"
                )
            raise ConfigUpdateError(
                f"{section}: unknown detection section (live: {', '.join(LIVE_SECTIONS)})"
            )
    merged = _merge(overrides, update)
    try:
        config = DetectionConfig.model_validate(_merge(base.model_dump(), merged))
    except ValidationError as exc:
        raise ConfigUpdateError(_describe(exc)) from None
    return LiveUpdate(merged, config, config_version(config))


def finalize_alert(alert: SuspicionEvent, config: DetectionConfig) -> SuspicionEvent:
    """Stamp the configuration's version; in shadow mode every action becomes ``monitor``."""
    alert.config_version = config_version(config)
    if config.enforcement.mode == "shadow":
        alert.action = Action.MONITOR
    return alert


def with_overrides(base: DetectionConfig, overrides: dict[str, Any]) -> DetectionConfig:
    """The configuration ``overrides`` (already validated by :func:`apply_update`) make of ``base``."""
    if not overrides:
        return base
    return DetectionConfig.model_validate(_merge(base.model_dump(), overrides))
