"""Operational behaviour of the worker that needs no broker: where its HTTP server binds, the check of
its port before it touches Kafka, and the rate limit of repeated library log lines."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from distillguard.streams.app_config import faust_app
from distillguard.streams.cli import web_port_problem
from distillguard.streams.log_limits import BrokerWatch, RepeatLimit, install_filters
from distillguard.streams.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, *args: object, level: int = logging.ERROR, name: str = "aiokafka") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


# --------------------------------------------------------------------------------------------------
# Rate limit of repeated log lines
# --------------------------------------------------------------------------------------------------


def test_repeat_limit_passes_first_then_one_per_interval_with_count() -> None:
    clock = Clock()
    dropped: list[logging.LogRecord] = []
    limit = RepeatLimit(10.0, clock=clock, on_suppressed=dropped.append)
    template = "Unable connect to node with id %s: %s"
    assert limit.filter(record(template, 1, "refused"))  # first occurrence
    passed = 0
    for i in range(1000):  # 1,000 lines in 5 s, other arguments, same template
        clock.now += 0.005
        passed += limit.filter(record(template, 1, f"error {i}"))
    assert passed == 0 and len(dropped) == 1000 and limit.suppressed_total == 1000
    clock.now = 1010.0  # 10 s after the first line went out
    late = record(template, 1, "refused")
    assert limit.filter(late)
    assert (
        late.getMessage()
        == "Unable connect to node with id 1: refused [1000 similar lines suppressed in 10 s]"
    )
    clock.now += 1.0
    assert not limit.filter(record(template, 1, "refused"))
    clock.now += 10.0
    again = record(template, 1, "refused")
    assert limit.filter(again)
    assert again.getMessage().endswith("[1 similar lines suppressed in 11 s]")
    clock.now += 30.0
    quiet = record(template, 1, "refused")  # nothing suppressed since: no suffix
    assert limit.filter(quiet) and quiet.getMessage() == "Unable connect to node with id 1: refused"


def test_repeat_limit_keys_on_template_logger_and_level() -> None:
    clock = Clock()
    limit = RepeatLimit(10.0, clock=clock)
    assert limit.filter(record("Unable to update metadata from %s", [1]))
    assert not limit.filter(record("Unable to update metadata from %s", [2]))
    assert limit.filter(record("Unable connect to node with id %s: %s", 1, "x"))  # another template
    assert limit.filter(record("Unable to update metadata from %s", [1], name="aiokafka.cluster"))
    assert limit.filter(record("Unable to update metadata from %s", [1], level=logging.WARNING))
    for _ in range(5):  # below the limit's level: never limited
        assert limit.filter(record("Joined group %s", "g", level=logging.INFO))
    assert all(RepeatLimit(0.0, clock=clock).filter(record("same")) for _ in range(5))  # 0: off


def test_repeat_limit_memory_is_bounded() -> None:
    limit = RepeatLimit(10.0, clock=Clock(), max_templates=100)
    for i in range(1000):
        assert limit.filter(record(f"distinct message {i}"))
    assert len(limit._seen) <= 100


def test_broker_watch_reports_recent_connection_errors() -> None:
    clock = Clock()
    watch = BrokerWatch(5.0, clock=clock)
    assert not watch.unreachable()
    assert watch.filter(record("Some other error %s", 1))
    assert not watch.unreachable()
    assert watch.filter(record("Unable connect to node with id %s: %s", 1, "refused"))
    assert watch.unreachable()
    clock.now += 4.0
    assert watch.unreachable()
    clock.now += 1.5
    assert not watch.unreachable()
    watch.filter(record("Unable to update metadata from %s", [1]))
    assert watch.unreachable()


@pytest.fixture
def scratch_logger() -> Iterator[tuple[str, logging.Logger]]:
    prefix = f"dgtest{uuid.uuid4().hex[:8]}"
    child = logging.getLogger(f"{prefix}.client")
    yield prefix, child
    for name in (prefix, f"{prefix}.client"):
        logging.getLogger(name).filters.clear()


def test_install_filters_reaches_child_loggers_and_replaces_older_ones(
    scratch_logger: tuple[str, logging.Logger], caplog: pytest.LogCaptureFixture
) -> None:
    prefix, child = scratch_logger
    clock = Clock()
    watch, limit = BrokerWatch(clock=clock), RepeatLimit(10.0, clock=clock)
    assert install_filters((watch, limit), (prefix,)) == 2  # the prefix logger and its child
    assert install_filters((watch, limit), (prefix,)) == 0  # idempotent
    assert child.filters == [watch, limit]
    with caplog.at_level(logging.ERROR, logger=prefix):
        for _ in range(500):
            child.error("Unable connect to node with id %s: %s", 1, "refused")
    assert len([r for r in caplog.records if r.name == child.name]) == 1
    assert watch.unreachable() and limit.suppressed_total == 499
    newer = (BrokerWatch(clock=clock), RepeatLimit(10.0, clock=clock))
    install_filters(newer, (prefix,))
    assert child.filters == list(newer)  # replaced, not piled up


# --------------------------------------------------------------------------------------------------
# The HTTP server binds where the settings say
# --------------------------------------------------------------------------------------------------


def test_faust_binds_the_web_server_to_worker_web_host() -> None:
    app = faust_app(load_settings())
    assert app.conf.web_bind == "127.0.0.1"  # Faust's own default is 0.0.0.0: every interface
    assert app.conf.web_host == "127.0.0.1"
    custom = load_settings(worker={"web_host": "0.0.0.0", "web_port": 7001})
    app = faust_app(custom)
    assert (app.conf.web_bind, app.conf.web_host, app.conf.web_port) == ("0.0.0.0", "0.0.0.0", 7001)


# --------------------------------------------------------------------------------------------------
# A busy web port fails the worker at once, before Kafka
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port some other program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_web_port_problem(busy_port: int) -> None:
    message = web_port_problem("127.0.0.1", busy_port)
    assert message is not None and "worker.web_port" in message and str(busy_port) in message
    assert web_port_problem("0.0.0.0", busy_port) is not None  # all interfaces include loopback
    assert web_port_problem("127.0.0.1", 0) is None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    assert web_port_problem("127.0.0.1", free) is None


@pytest.mark.parametrize("how", ["option", "env"])
def test_worker_on_a_busy_port_exits_at_once_without_touching_kafka(busy_port: int, how: str) -> None:
    env = {
        **os.environ,
        # nothing listens there: a worker that tried Kafka would log connection errors and hang
        "KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "DISTILLGUARD_WORKER__APP_ID": f"dg-port-{uuid.uuid4().hex[:8]}",
    }
    args = [sys.executable, "-m", "distillguard.streams.cli", "worker"]
    if how == "option":
        args += ["--web-port", str(busy_port)]
    else:
        env["DISTILLGUARD_WORKER__WEB_PORT"] = str(busy_port)
    started = time.monotonic()
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    assert result.returncode != 0
    assert took < 15, f"took {took:.1f}s to fail"
    output = (result.stdout + result.stderr).strip()
    lines = output.splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{output}"
    message = lines[0]
    for part in (
        f"worker.web_port {busy_port}",
        "already in use",
        "--web-port",
        "DISTILLGUARD_WORKER__WEB_PORT",
    ):
        assert part in message, message
    for kafka_trace in ("aiokafka", "Unable connect", "bootstrap", "127.0.0.1:9", "Traceback"):
        assert kafka_trace not in output, output
