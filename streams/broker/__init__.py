"""Local Apache Kafka 3.9.1 broker (KRaft, single node, loopback only) run from Maven-resolved jars.

Kept free of Faust imports so it can be used by the CLI, tests and scripts without starting a worker.
"""

from distillguard.streams.broker.local import (
    KAFKA_VERSION,
    BrokerError,
    LocalBroker,
    cluster_ready,
    create_topics,
    ensure_broker,
    wait_for_topics,
)

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "LocalBroker",
    "cluster_ready",
    "create_topics",
    "ensure_broker",
    "wait_for_topics",
]
