"""Commands of the operator's loop: ``distillguard feedback``, ``distillguard verdict`` and
``distillguard config push`` (registered on the main group by :mod:`streams.cli`).

    distillguard feedback allowlist|denylist|false-positive|confirm SUBJECT [--expires 30d] [--note ...]
    distillguard verdict ACCOUNT [--url http://127.0.0.1:6066]
    distillguard config push FILE [--no-wait]

A SUBJECT is an account id, or ``org:ID`` / ``campaign:ID``.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import click
import orjson

from distillguard.schemas.control import ConfigUpdate, ConfigUpdateResult
from distillguard.schemas.feedback_event import FeedbackEvent, Label, SubjectType
from distillguard.streams.settings import Settings

LABEL_COMMANDS = {
    "allowlist": Label.ALLOWLIST,
    "denylist": Label.DENYLIST,
    "false-positive": Label.FALSE_POSITIVE,
    "confirm": Label.CONFIRMED_ABUSE,
}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


def parse_duration_ms(text: str) -> int:
    """``30d`` → milliseconds (units s, m, h, d, w).

    >>> parse_duration_ms("30d"), parse_duration_ms("90m")
    (2592000000, 5400000)
    """
    match = _DURATION.match(text.strip())
    if not match:
        raise click.BadParameter(f"{text!r}: expected a number and a unit (s, m, h, d, w), e.g. 30d")
    return int(float(match.group(1)) * _UNIT_MS[match.group(2)])


def parse_subject(text: str) -> tuple[SubjectType, str]:
    """``org:o1`` → (org, o1); a bare id is an account.

    >>> parse_subject("org:o1"), parse_subject("a1")
    ((<SubjectType.ORG: 'org'>, 'o1'), (<SubjectType.ACCOUNT: 'account'>, 'a1'))
    """
    kind, sep, rest = text.partition(":")
    if sep and kind in {t.value for t in SubjectType}:
        return SubjectType(kind), rest
    return SubjectType.ACCOUNT, text


def default_analyst() -> str:
    """A pseudonym for the local user (never the login name itself)."""
    return "analyst-" + hashlib.sha256(getpass.getuser().encode()).hexdigest()[:8]


def operator_topics(settings: Settings) -> dict[str, tuple[int, dict[str, str]]]:
    """The operator loop's topics: name → (partitions, configs); the challenger's alert topic when the
    settings name a challenger.

    Why before the worker starts: the worker declares the topics it only writes to once it is ready, and
    a batch that sends to a topic created a moment earlier can wait for its metadata far longer than any
    batch should (seen once in a clean-clone `make test`: the challenger topic, created by the worker
    just as its first alerts were sent, held the alert agent's batch past the 180 s drain timeout).

    >>> from distillguard.streams.settings import load_settings
    >>> plain = load_settings()
    >>> plain.topics.challenger_alerts in operator_topics(plain)
    False
    >>> challenged = load_settings(challenger={"fusion": {"medium": 0.5}})
    >>> operator_topics(challenged)[challenged.topics.challenger_alerts] == (challenged.topics.partitions, {})
    True
    """
    t = settings.topics
    compact = {"cleanup.policy": "compact"}
    topics = {
        t.feedback: (1, {}),
        t.control: (1, compact),
        t.control_results: (1, {}),
        t.verdicts: (t.partitions, compact),
    }
    if settings.challenger is not None:
        topics[t.challenger_alerts] = (t.partitions, {})
    return topics


def ensure_operator_topics(settings: Settings) -> None:
    """Create the operator loop's topics if missing (the worker declares them too)."""
    from distillguard.streams.broker.local import create_topics

    wanted = operator_topics(settings)
    create_topics(
        settings.bootstrap_servers,
        {name: partitions for name, (partitions, _) in wanted.items()},
        settings.topics.replication_factor,
        topic_configs={name: configs for name, (_, configs) in wanted.items() if configs},
    )


def make_feedback(
    label: Label,
    subject: str,
    *,
    ts_ms: int | None = None,
    expires: str | None = None,
    note: str = "",
    analyst: str | None = None,
) -> FeedbackEvent:
    kind, subject_id = parse_subject(subject)
    ts = ts_ms if ts_ms is not None else int(time.time() * 1000)
    return FeedbackEvent(
        feedback_id="fb-" + uuid.uuid4().hex[:16],
        ts=ts,
        subject_type=kind,
        subject_id=subject_id,
        label=label,
        expires_ts=ts + parse_duration_ms(expires) if expires else None,
        analyst=analyst or default_analyst(),
        note=note,
    )


def send_records(settings: Settings, topic: str, records: list[tuple[str, bytes]]) -> None:
    from distillguard.streams.kafka_io import make_producer

    producer = make_producer(settings)
    try:
        for key, value in records:
            producer.send(topic, key=key.encode(), value=value).get(timeout=30)
    finally:
        producer.close(timeout=10)


def latest_by_key(settings: Settings, topic: str, key: str, timeout_s: float = 30.0) -> bytes | None:
    """The last value under ``key`` in ``topic`` (every partition read to its end; no group)."""
    from kafka import KafkaConsumer, TopicPartition

    from distillguard.streams.kafka_io import client_kwargs

    consumer = KafkaConsumer(**client_kwargs(settings), group_id=None, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return None
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        wanted, found = key.encode(), None
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    if record.key == wanted:
                        found = record.value
        return found
    finally:
        consumer.close()


def wait_for_result(settings: Settings, request_id: str, timeout_s: float) -> ConfigUpdateResult | None:
    """Poll the control-results topic for the answer to ``request_id``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        raw = latest_by_key(settings, settings.topics.control_results, request_id, timeout_s=10)
        if raw is not None:
            return ConfigUpdateResult.model_validate_json(raw)
        time.sleep(0.5)
    return None


def read_update_file(path: Path) -> dict[str, Any]:
    """Detection settings from a TOML or JSON file: either the sections themselves (``[fusion]``) or
    nested under ``detection`` (``[detection.fusion]``, as in the worker's settings file)."""
    text = path.read_bytes()
    try:
        data: Any = orjson.loads(text) if path.suffix == ".json" else tomllib.loads(text.decode())
    except (orjson.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    if isinstance(data, dict) and set(data) == {"detection"}:
        data = data["detection"]
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a table of detection settings")
    return data


def register(main: click.Group, config_group: click.Group, settings_or_exit: Any, config_option: Any) -> None:
    """Add ``feedback``, ``verdict`` and ``config push`` to the CLI."""

    @main.command()
    @config_option
    @click.argument("label", type=click.Choice(sorted(LABEL_COMMANDS)))
    @click.argument("subject")
    @click.option("--expires", default=None, help="Label lifetime, e.g. 30d, 12h (default: none).")
    @click.option("--note", default="", help="Free text for the case history (never copied into alerts).")
    @click.option("--analyst", default=None, help="Pseudonymous analyst id (default: derived from $USER).")
    @click.option(
        "--ts", "ts_text", default=None, help="Effective time, epoch ms or ISO-8601 (default: now)."
    )
    @click.option(
        "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="Append the record to this JSONL file (for `replay --feedback`) instead of the topic.",
    )  # fmt: skip
    def feedback(
        config_file: Path | None,
        label: str,
        subject: str,
        expires: str | None,
        note: str,
        analyst: str | None,
        ts_text: str | None,
        out_path: Path | None,
    ) -> None:
        """Write one analyst label: allowlist, denylist, false-positive or confirm (abuse) SUBJECT
        (an account id, org:ID or campaign:ID)."""
        from distillguard.streams.cli import _parse_time

        record = make_feedback(
            LABEL_COMMANDS[label], subject, ts_ms=_parse_time(ts_text), expires=expires, note=note,
            analyst=analyst,
        )  # fmt: skip
        encoded = orjson.dumps(record.model_dump(mode="json"))
        if out_path is not None:
            with out_path.open("ab") as handle:
                handle.write(encoded + b"\n")
            click.echo(f"appended {record.feedback_id} to {out_path}")
            return
        s = settings_or_exit(config_file)
        ensure_operator_topics(s)
        send_records(s, s.topics.feedback, [(record.subject_key, encoded)])
        click.echo(encoded.decode())

    @main.command()
    @config_option
    @click.argument("account")
    @click.option("--url", default=None, help="Ask this worker's web server instead of reading the topic.")
    def verdict(config_file: Path | None, account: str, url: str | None) -> None:
        """Print an ACCOUNT's current standing (exit 1 when it has none)."""
        if url is not None:
            try:
                with urllib.request.urlopen(f"{url.rstrip('/')}/verdicts/{account}", timeout=10) as reply:
                    click.echo(reply.read().decode())
                    return
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    raise click.ClickException(f"no verdict for {account}") from None
                raise click.ClickException(f"{url}: HTTP {exc.code}") from None
        s = settings_or_exit(config_file)
        raw = latest_by_key(s, s.topics.verdicts, account)
        if raw is None:
            raise click.ClickException(f"no verdict for {account} in {s.topics.verdicts}")
        click.echo(raw.decode())

    @config_group.command("push")
    @config_option
    @click.argument("update_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--wait/--no-wait", default=True, help="Wait for a worker's answer (default: wait).")
    @click.option("--timeout", type=float, default=60.0, help="Seconds to wait for the answer.")
    def push(config_file: Path | None, update_file: Path, wait: bool, timeout: float) -> None:
        """Send a (partial) detection-configuration update to every worker: it is validated, applied from
        each worker's next batch and answered on the control-results topic."""
        s = settings_or_exit(config_file)
        update = ConfigUpdate(
            request_id="cfg-req-" + uuid.uuid4().hex[:12],
            ts=int(time.time() * 1000),
            author=default_analyst(),
            detection=read_update_file(update_file),
        )
        ensure_operator_topics(s)
        send_records(s, s.topics.control, [("detection", update.model_dump_json().encode())])
        if not wait:
            click.echo(f"sent {update.request_id}")
            return
        result = wait_for_result(s, update.request_id, timeout)
        if result is None:
            raise click.ClickException(f"no answer to {update.request_id} within {timeout:.0f}s (no worker?)")
        click.echo(result.model_dump_json())
        if not result.accepted:
            raise click.ClickException(f"refused: {result.error}")
