"""The request and dead-letter topics' size limits: creating the topics with them and, at worker start-up,
checking the live topics against them (:attr:`Settings.topic_size_limits
<distillguard.streams.settings.Settings.topic_size_limits>`)."""

from __future__ import annotations

from typing import Any

from distillguard.streams.kafka_io import client_kwargs
from distillguard.streams.settings import Settings

MAX_MESSAGE_BYTES = "max.message.bytes"


class TopicLimitError(RuntimeError):
    """A live topic cannot hold the records the worker promises to keep (one-line message)."""


def project_topics(settings: Settings) -> list[str]:
    """Every topic the project creates: request, alert, dead-letter and the worker's internal ones."""
    t = settings.topics
    return [t.requests, t.alerts, t.dead_letter, *settings.internal_topics]


def create_project_topics(
    settings: Settings, names: list[str] | None = None, timeout: float = 30.0
) -> list[str]:
    """Create the project's topics (or ``names``) if missing, the request and dead-letter topics with
    their ``max.message.bytes``; returns the names created."""
    from distillguard.streams.broker.local import create_topics

    wanted = project_topics(settings) if names is None else names
    return create_topics(
        settings.bootstrap_servers,
        dict.fromkeys(wanted, settings.topics.partitions),
        settings.topics.replication_factor,
        timeout=timeout,
        topic_configs=settings.topic_configs,
    )


def _admin(settings: Settings, timeout: float) -> Any:
    from kafka.admin import KafkaAdminClient

    timeout_ms = max(1000, int(timeout * 1000))
    return KafkaAdminClient(
        **client_kwargs(settings),
        client_id=f"{settings.worker.app_id}-limits",
        request_timeout_ms=timeout_ms,
    )


def live_max_message_bytes(
    settings: Settings, names: list[str], timeout: float = 15.0
) -> dict[str, int | None]:
    """``max.message.bytes`` of each live topic (None: the topic does not exist)."""
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = _admin(settings, timeout)
    try:
        resources = [ConfigResource(ConfigResourceType.TOPIC, n, {MAX_MESSAGE_BYTES: None}) for n in names]
        described = admin.describe_configs(resources, config_filter="all")
    finally:
        admin.close()
    topics = described.get("topic", {}) if isinstance(described, dict) else {}
    result: dict[str, int | None] = {}
    for name in names:
        entry = (topics.get(name) or {}).get(MAX_MESSAGE_BYTES)
        result[name] = int(entry["value"]) if entry and entry.get("value") is not None else None
    return result


def limit_problems(settings: Settings, live: dict[str, int | None]) -> list[str]:
    """One line per topic whose live ``max.message.bytes`` is below what the settings need."""
    limits = settings.topic_size_limits
    needed = {settings.topics.requests: limits.requests, settings.topics.dead_letter: limits.dead_letter}
    problems = []
    for name, want in needed.items():
        have = live.get(name)
        if have is not None and have < want:
            problems.append(
                f"topic {name} has {MAX_MESSAGE_BYTES}={have}, below the {want} it needs "
                f"(worker.max_record_bytes={settings.worker.max_record_bytes}); raise it with "
                f"kafka-configs --alter --add-config {MAX_MESSAGE_BYTES}={want}, or recreate the topic "
                "with `distillguard topics`"
            )
    return problems


def ensure_topic_limits(settings: Settings, timeout: float = 15.0) -> None:
    """Create the request and dead-letter topics with their limits if missing, then check the live
    ones; raises :class:`TopicLimitError` (one line, naming topic, setting and values) if too small."""
    names = [settings.topics.requests, settings.topics.dead_letter]
    live = live_max_message_bytes(settings, names, timeout)
    missing = [name for name, value in live.items() if value is None]
    if missing and settings.security.protocol == "PLAINTEXT":  # else Faust creates them, as before
        create_project_topics(settings, missing, timeout=timeout)
        live = live_max_message_bytes(settings, names, timeout)
    problems = limit_problems(settings, live)
    if problems:
        raise TopicLimitError("; ".join(problems))
