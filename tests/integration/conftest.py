"""Fixtures for integration tests that talk to a real Kafka broker.

``kafka_bootstrap`` gives every test the same broker for the whole session: ``KAFKA_BOOTSTRAP`` if set,
otherwise the project's local Kafka 3.9.1 (started here if it is not already running, and stopped at
the end only if this session started it). If no broker can be had the fixture fails the tests with the
broker log tail; it never skips, so a broken broker cannot masquerade as a green run.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator

import pytest

from distillguard.streams.broker.local import BrokerError, cluster_ready, create_topics, ensure_broker

log = logging.getLogger(__name__)

TopicFactory = Callable[..., str]
"""``topic_factory(partitions=2, prefix="dg-test") -> topic name``."""


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a ready Kafka broker (``KAFKA_BOOTSTRAP`` or the local one)."""
    try:
        bootstrap, started = ensure_broker()
    except BrokerError as exc:
        error = str(exc)
    else:
        error = ""
    if error:  # failed outside the except block so the report shows the log tail once, unchained
        pytest.fail(f"could not get a Kafka broker for integration tests:\n{error}", pytrace=False)
    if started is None and not cluster_ready(bootstrap, timeout=15):
        pytest.fail(
            f"Kafka at {bootstrap} (KAFKA_BOOTSTRAP or a running local broker) is not reachable",
            pytrace=False,
        )
    try:
        yield bootstrap
    finally:
        if started is not None:
            started.stop()


@pytest.fixture
def topic_factory(kafka_bootstrap: str) -> Iterator[TopicFactory]:
    """Create uniquely named topics (uuid suffix) so tests never see each other's records.

    The topics are deleted (best effort) after the test so repeated runs do not pile up partitions.
    """
    created: list[str] = []

    def make(partitions: int = 2, prefix: str = "dg-test") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        create_topics(kafka_bootstrap, {name: partitions})
        created.append(name)
        return name

    yield make

    if created:
        from kafka.admin import KafkaAdminClient

        with contextlib.suppress(Exception):
            admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="distillguard-test-cleanup")
            try:
                admin.delete_topics(created, raise_errors=False)
            finally:
                admin.close()
