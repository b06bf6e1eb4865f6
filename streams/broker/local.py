"""Run a real Apache Kafka 3.9.1 broker for development and integration tests, without Docker.

The broker is a single combined broker+controller node in KRaft mode (no ZooKeeper), bound to
127.0.0.1 only. Its jars are resolved from Maven Central by ``streams/broker/pom.xml`` and copied into
``<home>/libs``; config, data, logs and the pid file also live under ``<home>`` (by default
``.distillguard/broker`` in the repository, overridable with ``DISTILLGUARD_BROKER_HOME``).

Why a real broker instead of a fake: the detector's behaviour depends on Kafka semantics (partitioning,
consumer-group rebalances, offset commits, changelog topics) that in-memory fakes do not reproduce.
Why 3.9.1 exactly: Kafka 4.x dropped the old protocol versions that kafka-python/aiokafka (and so Faust)
still negotiate.

This module deliberately imports nothing from Faust: the CLI and pytest use it before any worker exists.

Typical use::

    bootstrap, started = ensure_broker()      # honours KAFKA_BOOTSTRAP
    create_topics(bootstrap, {"distillguard.requests.v1": 4})
    ...
    if started is not None:
        started.stop()
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

KAFKA_VERSION = "3.9.1"
"""The pinned Kafka version; must match ``kafka.version`` in ``pom.xml``."""

POM_PATH = Path(__file__).resolve().with_name("pom.xml")

DEFAULT_PORT = 19092
DEFAULT_HEAP = "-Xmx768m -Xms256m"
HOST = "127.0.0.1"
"""Both listeners bind to loopback only: the dev broker has no authentication."""

ENV_HOME = "DISTILLGUARD_BROKER_HOME"
ENV_PORT = "DISTILLGUARD_BROKER_PORT"
ENV_CONTROLLER_PORT = "DISTILLGUARD_BROKER_CONTROLLER_PORT"
ENV_HEAP = "DISTILLGUARD_BROKER_HEAP"
ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP"

_CORE_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"
_LIBS_MARKER = ".complete"
_MAIN_CLASS = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"
_TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code TOPIC_ALREADY_EXISTS
_JVM_FLAGS = (
    # The same GC settings bin/kafka-run-class.sh uses for the broker.
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)


class BrokerError(RuntimeError):
    """The local broker could not be fetched, formatted, started or stopped; the message says why."""


LOCAL_MESSAGE_MAX_BYTES = 8 * 1024 * 1024


def _env_int(name: str, default: int) -> int:
    """Read an integer from the environment, failing with the variable's name if it is malformed."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise BrokerError(f"{name}={raw!r} is not an integer") from exc


def default_home() -> Path:
    """``$DISTILLGUARD_BROKER_HOME`` or ``./.distillguard/broker`` under the current directory.

    Never a path inside the installed package: site-packages is no place for a broker's data.
    """
    raw = os.environ.get(ENV_HOME, "").strip()
    return Path(raw) if raw else Path.cwd() / ".distillguard" / "broker"


def default_port() -> int:
    """``$DISTILLGUARD_BROKER_PORT`` or 19092 (not 9092, to avoid clashing with a system Kafka)."""
    return _env_int(ENV_PORT, DEFAULT_PORT)


def default_heap() -> str:
    """``$DISTILLGUARD_BROKER_HEAP`` or a heap small enough for laptops and CI runners."""
    return os.environ.get(ENV_HEAP, "").strip() or DEFAULT_HEAP


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 60, offset: int = 0) -> str:
    """The last ``lines`` lines of ``path`` written after byte ``offset`` (empty if it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset if offset <= path.stat().st_size else 0)
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def _new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (like ``Uuid.randomUuid``).

    Like Kafka, ids starting with ``-`` are rejected so the value can never be parsed as a CLI flag.
    """
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not value.startswith("-"):
            return value


def _write_if_changed(path: Path, text: str) -> bool:
    """Atomically write ``text`` to ``path`` unless it already holds exactly that; True if written."""
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


@dataclass
class LocalBroker:
    """A single-node KRaft Kafka broker living under ``home``, bound to ``127.0.0.1:port``.

    Every method is idempotent and safe to call from several processes at once (a file lock under
    ``home`` serialises fetch/format/start/stop), so ``ensure_broker`` can be called from pytest, the CLI
    and scripts concurrently. The process is detached (own session) and outlives the Python process
    that started it until :meth:`stop` is called; ``home/broker.pid`` records it.
    """

    home: Path = field(default_factory=default_home)
    port: int = field(default_factory=default_port)
    controller_port: int | None = None
    """KRaft controller listener; defaults to ``$DISTILLGUARD_BROKER_CONTROLLER_PORT`` or ``port + 1``."""
    heap: str = field(default_factory=default_heap)

    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False, compare=False)
    _lock_fh: IO[str] | None = field(default=None, init=False, repr=False, compare=False)
    _lock_depth: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Resolve ``home`` to an absolute path (the JVM runs with cwd=home) and default the ports."""
        self.home = Path(self.home).expanduser().resolve()
        if self.controller_port is None:
            self.controller_port = _env_int(ENV_CONTROLLER_PORT, self.port + 1)
        for name, value in (("port", self.port), ("controller_port", self.controller_port)):
            if not 1 <= value <= 65535:
                raise BrokerError(f"{name}={value} is not a valid TCP port")
        if self.port == self.controller_port:
            raise BrokerError("port and controller_port must differ")

    # ------------------------------------------------------------------ paths

    @property
    def bootstrap(self) -> str:
        """The ``bootstrap.servers`` value clients should use, e.g. ``127.0.0.1:19092``."""
        return f"{HOST}:{self.port}"

    @property
    def libs_dir(self) -> Path:
        """Jars copied from the local Maven repository by :meth:`fetch`."""
        return self.home / "libs"

    @property
    def config_dir(self) -> Path:
        """Generated ``server.properties`` and log4j configs."""
        return self.home / "config"

    @property
    def data_dir(self) -> Path:
        """``log.dirs``: topic partitions and the KRaft metadata log. Deleted by :meth:`wipe`."""
        return self.home / "data"

    @property
    def logs_dir(self) -> Path:
        """Broker logs: ``server.log`` (log4j) and ``stdout.log`` (JVM stdout/stderr)."""
        return self.home / "logs"

    @property
    def server_properties(self) -> Path:
        """The broker configuration written by :meth:`configure`."""
        return self.config_dir / "server.properties"

    @property
    def log4j_properties(self) -> Path:
        """log4j 1.x (reload4j) configuration for the broker process."""
        return self.config_dir / "log4j.properties"

    @property
    def tools_log4j_properties(self) -> Path:
        """log4j configuration for one-shot tools (StorageTool): warnings to stderr only."""
        return self.config_dir / "tools-log4j.properties"

    @property
    def server_log(self) -> Path:
        """Where the broker's log4j output goes; its tail is quoted in start-up errors."""
        return self.logs_dir / "server.log"

    @property
    def stdout_log(self) -> Path:
        """JVM stdout/stderr (crashes before log4j is up, e.g. bad JVM flags, land here)."""
        return self.logs_dir / "stdout.log"

    @property
    def pid_file(self) -> Path:
        """Pid of the running broker; absent (or stale) when stopped."""
        return self.home / "broker.pid"

    @property
    def cluster_id_file(self) -> Path:
        """The KRaft cluster id, generated once so re-formatting after :meth:`wipe` keeps it."""
        return self.home / "cluster.id"

    # ------------------------------------------------------------------ locking

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive ``flock`` on ``home/.lock``; re-entrant within this instance."""
        if self._lock_depth == 0:
            self.home.mkdir(parents=True, exist_ok=True)
            fh = (self.home / ".lock").open("a", encoding="utf-8")
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            except BaseException:
                fh.close()
                raise
            self._lock_fh = fh
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._lock_fh is not None:
                fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
                self._lock_fh.close()
                self._lock_fh = None

    # ------------------------------------------------------------------ fetch

    @staticmethod
    def java_executable() -> str:
        """``$JAVA_HOME/bin/java`` if present, else ``java`` from PATH; :class:`BrokerError` if neither."""
        java_home = os.environ.get("JAVA_HOME", "").strip()
        if java_home and (Path(java_home) / "bin" / "java").is_file():
            return str(Path(java_home) / "bin" / "java")
        found = shutil.which("java")
        if not found:
            raise BrokerError(
                "Java not found: install a JDK/JRE 17+ (or set JAVA_HOME) to run the local Kafka broker, "
                f"or point {ENV_BOOTSTRAP} at an existing Kafka cluster"
            )
        return found

    def is_fetched(self) -> bool:
        """True when ``libs/`` holds a complete copy of the Kafka jars for :data:`KAFKA_VERSION`."""
        marker = self.libs_dir / _LIBS_MARKER
        try:
            complete = marker.read_text(encoding="utf-8").strip() == KAFKA_VERSION
        except OSError:
            return False
        return complete and (self.libs_dir / _CORE_JAR).is_file()

    def fetch(self, force: bool = False) -> Path:
        """Copy the Kafka runtime jars into ``libs/`` with Maven; a no-op when they are already there.

        The first run downloads ~46 MB into ``~/.m2`` (about 20-60 s); later runs, even after deleting
        ``home``, copy from the local Maven repository. The copy goes to a temporary directory that is
        renamed into place, so an interrupted fetch never leaves a half-populated ``libs/``.
        """
        with self._locked():
            if not force and self.is_fetched():
                return self.libs_dir
            self.java_executable()  # fail early: jars are useless without a JVM
            mvn = shutil.which("mvn")
            if not mvn:
                raise BrokerError(
                    "Maven ('mvn') not found on PATH: install Maven 3.8+ so the Kafka "
                    f"{KAFKA_VERSION} jars can be resolved from Maven Central, "
                    f"or point {ENV_BOOTSTRAP} at an existing Kafka cluster"
                )
            if not POM_PATH.is_file():
                raise BrokerError(f"{POM_PATH} is missing; the package was installed without its pom.xml")
            staging = self.home / f"libs.tmp-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            cmd = [
                mvn, "-q", "-B", "-f", str(POM_PATH), "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}", "-DincludeScope=runtime",
            ]  # fmt: skip
            log.info("fetching Kafka %s jars with Maven into %s", KAFKA_VERSION, self.libs_dir)
            started = time.monotonic()
            result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.home)
            if result.returncode != 0 or not (staging / _CORE_JAR).is_file():
                shutil.rmtree(staging, ignore_errors=True)
                output = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
                raise BrokerError(
                    f"Maven could not resolve Kafka {KAFKA_VERSION} (exit {result.returncode}); is Maven "
                    f"Central reachable?\n$ {' '.join(cmd)}\n{output}"
                )
            (staging / _LIBS_MARKER).write_text(KAFKA_VERSION + "\n", encoding="utf-8")
            shutil.rmtree(self.libs_dir, ignore_errors=True)
            staging.replace(self.libs_dir)
            log.info(
                "fetched %d jars in %.1fs", len(list(self.libs_dir.glob("*.jar"))), time.monotonic() - started
            )
            return self.libs_dir

    # ------------------------------------------------------------------ configure / format

    def server_config(self) -> dict[str, str]:
        """The broker configuration as a dict (written verbatim to ``server.properties``)."""
        return {
            # KRaft combined mode: one JVM is both the only controller and the only broker.
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{HOST}:{self.controller_port}",
            "controller.listener.names": "CONTROLLER",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # Topics: 4 partitions by default (the detector's default), everything single-replica.
            "num.partitions": "4",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "auto.create.topics.enable": "true",
            # The default max.message.bytes of topics created without one (e.g. by hand): room for the
            # worker's default worker.max_record_bytes (1 MiB) plus envelope and dead-letter headers, which
            # the broker's own default (1 MiB + 12 bytes) does not leave. Topics created by the project
            # carry their own limits (Settings.topic_size_limits).
            "message.max.bytes": str(LOCAL_MESSAGE_MAX_BYTES),
            "delete.topic.enable": "true",
            "offsets.topic.replication.factor": "1",
            # 50 partitions by default; fewer makes the first consumer-group join noticeably faster.
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "8",
            # No 3 s wait before the first rebalance: Faust workers and tests join immediately.
            "group.initial.rebalance.delay.ms": "0",
            # Retention sized for a dev box: a day or 256 MiB per partition, whichever comes first.
            "log.retention.hours": "24",
            "log.retention.bytes": str(256 * 1024 * 1024),
            "log.segment.bytes": str(64 * 1024 * 1024),
            "log.retention.check.interval.ms": "60000",
            "num.network.threads": "3",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "socket.send.buffer.bytes": "102400",
            "socket.receive.buffer.bytes": "102400",
        }

    def _log4j_config(self) -> str:
        """log4j 1.x syntax (reload4j), modelled on Kafka's ``config/log4j.properties``."""
        logs = self.logs_dir
        return "\n".join(
            [
                "# Generated by streams/broker/local.py; edits are overwritten on the next start.",
                "log4j.rootLogger=INFO, kafkaAppender",
                "log4j.appender.kafkaAppender=org.apache.log4j.RollingFileAppender",
                f"log4j.appender.kafkaAppender.File={logs / 'server.log'}",
                "log4j.appender.kafkaAppender.MaxFileSize=20MB",
                "log4j.appender.kafkaAppender.MaxBackupIndex=3",
                "log4j.appender.kafkaAppender.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n",
                "log4j.appender.stateChangeAppender=org.apache.log4j.RollingFileAppender",
                f"log4j.appender.stateChangeAppender.File={logs / 'state-change.log'}",
                "log4j.appender.stateChangeAppender.MaxFileSize=20MB",
                "log4j.appender.stateChangeAppender.MaxBackupIndex=1",
                "log4j.appender.stateChangeAppender.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.stateChangeAppender.layout.ConversionPattern=[%d] %p %m (%c)%n",
                "log4j.logger.kafka=INFO",
                "log4j.logger.org.apache.kafka=INFO",
                "log4j.logger.kafka.request.logger=WARN",
                "log4j.logger.kafka.network.RequestChannel$=WARN",
                "log4j.logger.state.change.logger=INFO, stateChangeAppender",
                "log4j.additivity.state.change.logger=false",
                "log4j.logger.org.apache.zookeeper=WARN",
                "",
            ]
        )

    @staticmethod
    def _tools_log4j_config() -> str:
        """log4j config for StorageTool: only warnings, to stderr, so its stdout stays readable."""
        return "\n".join(
            [
                "log4j.rootLogger=WARN, stderr",
                "log4j.appender.stderr=org.apache.log4j.ConsoleAppender",
                "log4j.appender.stderr.Target=System.err",
                "log4j.appender.stderr.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n",
                "",
            ]
        )

    def configure(self) -> Path:
        """Write ``server.properties`` and the log4j configs under ``home/config``; returns the former.

        Regenerated on every start so changes to the port or settings take effect; files are only
        rewritten when their content changes.
        """
        for directory in (self.config_dir, self.data_dir, self.logs_dir):
            directory.mkdir(parents=True, exist_ok=True)
        props = "".join(f"{key}={value}\n" for key, value in self.server_config().items())
        header = f"# Generated by streams/broker/local.py for Kafka {KAFKA_VERSION}; do not edit.\n"
        _write_if_changed(self.server_properties, header + props)
        _write_if_changed(self.log4j_properties, self._log4j_config())
        _write_if_changed(self.tools_log4j_properties, self._tools_log4j_config())
        return self.server_properties

    def is_formatted(self) -> bool:
        """True once ``kafka-storage format`` has written ``meta.properties`` into the data dir."""
        return (self.data_dir / "meta.properties").is_file()

    def cluster_id(self) -> str:
        """The cluster id: from ``cluster.id``, else from an existing ``meta.properties``, else new.

        Whatever is found or generated is persisted, so the id is stable across wipes and restarts.
        """
        with contextlib.suppress(OSError):
            stored = self.cluster_id_file.read_text(encoding="utf-8").strip()
            if stored:
                return stored
        value = ""
        with contextlib.suppress(OSError):
            for line in (self.data_dir / "meta.properties").read_text(encoding="utf-8").splitlines():
                if line.startswith("cluster.id="):
                    value = line.split("=", 1)[1].strip()
        value = value or _new_cluster_id()
        _write_if_changed(self.cluster_id_file, value + "\n")
        return value

    def format(self) -> bool:
        """Format the KRaft storage (``StorageTool format``) unless already done; True if it formatted.

        Kafka refuses to start a KRaft node whose log dirs lack ``meta.properties``, so this must run
        once per fresh data dir (first start and after :meth:`wipe`).
        """
        with self._locked():
            if self.is_formatted():
                return False
            self.configure()
            cmd = [
                self.java_executable(),
                f"-Dlog4j.configuration={self.tools_log4j_properties.as_uri()}",
                "-cp", str(self.libs_dir / "*"),
                _STORAGE_TOOL, "format",
                "-t", self.cluster_id(),
                "-c", str(self.server_properties),
                "--ignore-formatted",
            ]  # fmt: skip
            result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.home)
            if result.returncode != 0 or not self.is_formatted():
                raise BrokerError(
                    f"formatting KRaft storage failed (exit {result.returncode}):\n$ {' '.join(cmd)}\n"
                    f"{result.stdout}{result.stderr}"
                )
            log.info("formatted %s: %s", self.data_dir, result.stdout.strip())
            return True

    # ------------------------------------------------------------------ process state

    def _read_pid(self) -> int | None:
        """The pid recorded in ``broker.pid``, or None if there is no (parseable) pid file."""
        try:
            return int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def _pid_is_broker(self, pid: int) -> bool:
        """True if ``pid`` is alive, not a zombie, and (where /proc exists) is this home's broker JVM.

        The command-line check protects against pid reuse after a crash or reboot: a stale pid file
        must never make us report, or signal, an unrelated process.
        """
        if self._process is not None and self._process.pid == pid:
            return self._process.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False  # exists but belongs to another user: certainly not our broker
        proc = Path("/proc") / str(pid)
        if not proc.is_dir():
            return True  # no procfs (macOS): trust the signal probe
        try:
            stat = (proc / "stat").read_text(encoding="utf-8", errors="replace")
            state = stat.rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            return False
        if state in ("Z", "X"):
            return False  # exited but not (yet) reaped by its parent
        args = [arg.decode("utf-8", "replace") for arg in cmdline]
        return _MAIN_CLASS in args and str(self.server_properties) in args

    def pid(self) -> int | None:
        """Pid of the running broker, or None when it is not running (stale pid files count as not)."""
        pid = self._read_pid()
        if pid is None or not self._pid_is_broker(pid):
            return None
        return pid

    def is_running(self) -> bool:
        """True while this home's broker process is alive (it may still be starting up)."""
        return self.pid() is not None

    def is_ready(self, timeout: float = 5.0) -> bool:
        """True when the port accepts connections and kafka-python can fetch cluster metadata."""
        return _port_open(HOST, self.port) and cluster_ready(self.bootstrap, timeout=timeout)

    def status(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot: running, pid, bootstrap, home and a few useful paths."""
        recorded = self._read_pid()
        pid = self.pid()
        return {
            "running": pid is not None,
            "pid": pid,
            "bootstrap": self.bootstrap,
            "home": str(self.home),
            "controller": f"{HOST}:{self.controller_port}",
            "kafka_version": KAFKA_VERSION,
            "fetched": self.is_fetched(),
            "formatted": self.is_formatted(),
            "listening": pid is not None and _port_open(HOST, self.port),
            "stale_pid": recorded if recorded is not None and pid is None else None,
            "log": str(self.server_log),
        }

    def _startup_failure(self, message: str, log_offset: int, out_offset: int) -> BrokerError:
        """A BrokerError carrying ``message`` plus the tails of this start's server and stdout logs."""
        parts = [message]
        server = _tail(self.server_log, offset=log_offset)
        stdout = _tail(self.stdout_log, lines=30, offset=out_offset)
        if server:
            parts.append(f"--- tail of {self.server_log} ---\n{server}")
        if stdout:
            parts.append(f"--- tail of {self.stdout_log} ---\n{stdout}")
        if not server and not stdout:
            parts.append(f"(no log output in {self.logs_dir})")
        return BrokerError("\n".join(parts))

    # ------------------------------------------------------------------ start / stop

    def start(self, timeout: float = 90.0) -> float:
        """Fetch, configure, format and launch the broker, then wait until it is ready.

        Returns the seconds from launching the JVM to readiness (0.0 if it was already running).
        Raises :class:`BrokerError` with the log tail if the JVM exits during start-up or is not ready
        within ``timeout`` seconds (it is then killed, so no half-started broker is left behind).
        """
        with self._locked():
            if self.is_running():
                if not self.wait_ready(timeout):
                    raise self._startup_failure(
                        f"broker pid {self.pid()} is running but not ready after {timeout:.0f}s", 0, 0
                    )
                return 0.0
            if self.pid_file.exists():
                log.info("removing stale pid file %s (pid %s)", self.pid_file, self._read_pid())
                self.pid_file.unlink(missing_ok=True)
            for port in (self.port, self.controller_port):
                if _port_open(HOST, port):
                    raise BrokerError(
                        f"{HOST}:{port} is already in use by another process; set {ENV_PORT} (and "
                        f"{ENV_CONTROLLER_PORT}) to free ports, or {ENV_BOOTSTRAP} to use that Kafka"
                    )
            self.fetch()
            self.configure()
            self.format()

            log_offset = self.server_log.stat().st_size if self.server_log.exists() else 0
            cmd = [
                self.java_executable(),
                *self.heap.split(),
                *_JVM_FLAGS,
                f"-Dlog4j.configuration={self.log4j_properties.as_uri()}",
                f"-Dkafka.logs.dir={self.logs_dir}",
                "-cp", str(self.libs_dir / "*"),  # the JVM expands the wildcard itself
                _MAIN_CLASS, str(self.server_properties),
            ]  # fmt: skip
            with self.stdout_log.open("ab") as out:
                out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
                out.flush()
                out_offset = out.tell()
                launched = time.monotonic()
                # Own session => own process group: Ctrl-C in the terminal that ran `broker start`
                # or pytest does not reach the broker, and stop() can signal the whole group.
                self._process = subprocess.Popen(
                    cmd,
                    cwd=self.home,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                )
            _write_if_changed(self.pid_file, f"{self._process.pid}\n")

            deadline = launched + timeout
            while True:
                code = self._process.poll()
                if code is not None:
                    self.pid_file.unlink(missing_ok=True)
                    raise self._startup_failure(
                        f"Kafka broker exited with code {code} during start-up", log_offset, out_offset
                    )
                if self.is_ready(timeout=min(5.0, max(1.0, deadline - time.monotonic()))):
                    elapsed = time.monotonic() - launched
                    log.info(
                        "Kafka %s ready on %s in %.1fs (pid %d)",
                        KAFKA_VERSION,
                        self.bootstrap,
                        elapsed,
                        self._process.pid,
                    )
                    return elapsed
                if time.monotonic() >= deadline:
                    error = self._startup_failure(
                        f"Kafka broker not ready on {self.bootstrap} after {timeout:.0f}s; killed it",
                        log_offset, out_offset,
                    )  # fmt: skip
                    self.stop(timeout=10)
                    raise error
                time.sleep(0.25)

    def wait_ready(self, timeout: float = 90.0) -> bool:
        """Poll :meth:`is_ready` until true or ``timeout`` seconds pass (or the process dies)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                return False
            if self.is_ready(timeout=min(5.0, max(1.0, deadline - time.monotonic()))):
                return True
            time.sleep(0.25)
        return False

    def _signal(self, pid: int, sig: signal.Signals) -> None:
        """Send ``sig`` to the broker's process group (it leads its own session), else to the pid."""
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for ``pid`` to exit; reaps it if it is our child."""
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout=timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._pid_is_broker(pid):
                return True
            time.sleep(0.2)
        return not self._pid_is_broker(pid)

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker: SIGTERM (controlled shutdown), then SIGKILL after ``timeout`` seconds.

        Returns True if a running broker was stopped, False if none was running. A stale pid file is
        removed either way.
        """
        with self._locked():
            pid = self.pid()
            if pid is None:
                self.pid_file.unlink(missing_ok=True)
                return False
            log.info("stopping Kafka broker pid %d", pid)
            self._signal(pid, signal.SIGTERM)
            if not self._wait_exit(pid, timeout):
                log.warning("broker pid %d ignored SIGTERM for %.0fs; sending SIGKILL", pid, timeout)
                self._signal(pid, signal.SIGKILL)
                if not self._wait_exit(pid, 10.0):
                    raise BrokerError(f"broker pid {pid} survived SIGKILL")
            self.pid_file.unlink(missing_ok=True)
            self._process = None
            return True

    def wipe(self) -> bool:
        """Stop the broker if it runs, then delete ``data/`` (all topics, offsets and KRaft metadata).

        The jars, config, logs and cluster id are kept; the next :meth:`start` re-formats storage.
        Returns True if the broker had to be stopped.
        """
        with self._locked():
            stopped = self.stop()
            shutil.rmtree(self.data_dir, ignore_errors=True)
            return stopped


def cluster_ready(bootstrap: str, timeout: float = 5.0) -> bool:
    """True if kafka-python can fetch cluster metadata from ``bootstrap`` listing an unfenced broker.

    This is the readiness test for the local broker (an open port alone is not enough: until the
    controller has registered and unfenced the broker, produce/consume still fail) and a cheap
    reachability check for an external ``KAFKA_BOOTSTRAP``.
    """
    from kafka.admin import KafkaAdminClient  # local: keep `import streams.broker` cheap

    timeout_ms = max(1000, int(timeout * 1000))
    admin = None
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="distillguard-broker-probe",
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
        cluster = admin.describe_cluster()
    except Exception as exc:
        log.debug("Kafka at %s not ready: %r", bootstrap, exc)
        return False
    finally:
        if admin is not None:
            with contextlib.suppress(Exception):
                admin.close()
    return any(not broker.get("is_fenced", False) for broker in cluster.get("brokers", []))


def ensure_broker(timeout: float = 90.0) -> tuple[str, LocalBroker | None]:
    """Return a bootstrap address for a usable Kafka, starting the local broker if needed.

    * ``KAFKA_BOOTSTRAP`` set: return it unchanged and start nothing (``(value, None)``).
    * local broker already running (e.g. ``distillguard broker start``): reuse it (``(bootstrap, None)``).
    * otherwise fetch/configure/format/start it and return ``(bootstrap, broker)``.

    The second element is the broker *this call started*, i.e. the one the caller owns and should
    :meth:`LocalBroker.stop` when done; None means "not yours to stop".
    """
    external = os.environ.get(ENV_BOOTSTRAP, "").strip()
    if external:
        return external, None
    broker = LocalBroker()
    with broker._locked():
        if broker.is_running():
            if not broker.wait_ready(timeout):
                raise broker._startup_failure(
                    f"local broker pid {broker.pid()} is running but not ready after {timeout:.0f}s", 0, 0
                )
            return broker.bootstrap, None
        broker.start(timeout=timeout)
        return broker.bootstrap, broker


def _admin(bootstrap: str, timeout: float) -> Any:
    """A kafka-python admin client for ``bootstrap`` (plaintext; the local broker has no auth)."""
    from kafka.admin import KafkaAdminClient

    timeout_ms = max(1000, int(timeout * 1000))
    return KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="distillguard-broker-admin",
        request_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=timeout_ms,
    )


def create_topics(
    bootstrap: str,
    topics: Mapping[str, int],
    replication: int = 1,
    timeout: float = 30.0,
    configs: Mapping[str, str] | None = None,
    topic_configs: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Create ``{name: partitions}`` topics if missing and wait until every partition has a leader.

    ``configs`` apply to every topic, ``topic_configs`` (``{name: {key: value}}``, e.g.
    :attr:`Settings.topic_configs <distillguard.streams.settings.Settings.topic_configs>`, the request
    and dead-letter topics' ``max.message.bytes``) to the topics named, and win over ``configs``.

    Idempotent: topics that already exist are left alone (even with another partition count), so it
    is safe for every test or worker start. Returns the names that were actually created. Other
    errors (invalid name, replication > brokers, ...) raise :class:`BrokerError`.
    """
    if not topics:
        return []
    from kafka.errors import for_code

    request = {
        name: {
            "num_partitions": int(partitions),
            "replication_factor": int(replication),
            "configs": {**(configs or {}), **(topic_configs or {}).get(name, {})},
        }
        for name, partitions in topics.items()
    }
    admin = _admin(bootstrap, timeout)
    try:
        response = admin.create_topics(request, timeout_ms=int(timeout * 1000), raise_errors=False)
        created: list[str] = []
        failures: list[str] = []
        for result in response.get("topics", []):
            code = result.get("error_code", 0)
            if code == 0:
                created.append(result["name"])
            elif code != _TOPIC_ALREADY_EXISTS:
                message = result.get("error_message") or ""
                failures.append(f"{result['name']}: {for_code(code).__name__} {message}".strip())
        if failures:
            raise BrokerError("could not create topics: " + "; ".join(failures))
        admin.wait_for_topics(list(topics), timeout_ms=int(timeout * 1000))
        return created
    finally:
        admin.close()


def wait_for_topics(bootstrap: str, names: Iterable[str], timeout: float = 30.0) -> None:
    """Block until every topic in ``names`` exists with a leader for each partition.

    Useful after auto-creation or when another process (e.g. a Faust worker) creates topics.
    Raises :class:`BrokerError` on timeout.
    """
    from kafka.errors import KafkaTimeoutError

    wanted = list(names)
    if not wanted:
        return
    admin = _admin(bootstrap, timeout)
    try:
        admin.wait_for_topics(wanted, timeout_ms=int(timeout * 1000))
    except KafkaTimeoutError as exc:
        raise BrokerError(str(exc)) from exc
    finally:
        admin.close()
