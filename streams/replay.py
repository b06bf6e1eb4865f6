"""Replay history through the detection core, from a JSONL file or from a Kafka topic.

File mode is the stable contract used for independent evaluation:
``distillguard replay --input events.jsonl --output alerts.jsonl`` processes RequestEvents in file order
with :class:`models.detector.Detector` and writes every SuspicionEvent as one JSON line. Invalid lines
go to ``--dlq FILE`` (original line + reason) and never stop the run.

Topic mode reads a time or offset range with its own consumer group and without committing, so live
processing is untouched, and writes alerts to a file or to a separate topic.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.models.partitioning import DEFAULT_PARTITIONS
from distillguard.schemas.codec import DecodeError, decode_request, encode_alert
from distillguard.schemas.feedback_event import FeedbackEvent, decode_feedback
from distillguard.schemas.request_event import RequestEvent

ProgressCallback = Callable[[int], None]
AlertSink = Callable[[bytes, str], None]  # (encoded alert, account key)
DeadLetterSink = Callable[[bytes, str, str], None]  # (original bytes, reason, source)


@dataclass
class ReplayStats:
    """Counts of one replay run."""

    records: int = 0
    processed: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    alerts: int = 0
    alerts_by_severity: dict[str, int] = field(default_factory=dict)
    feedback_applied: int = 0
    challenger_alerts: int = 0
    disagreements: dict[str, int] = field(default_factory=dict)
    late_events: int = 0  # valid events more than an hour older than one before them (TimeOrder)
    absent_fields: list[str] = field(default_factory=list)  # optional fields no valid event had

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def count_alert(self, severity: str) -> None:
        self.alerts += 1
        self.alerts_by_severity[severity] = self.alerts_by_severity.get(severity, 0) + 1


class TimeOrder:
    """Counts events that come more than ``tolerance_ms`` after a newer one: how far a file is from the
    time order the detector assumes.

    ``replay`` processes a file in its order, as the worker processes each partition in offset order; a
    gateway writes requests as they happen. An export grouped by account (or concatenated per day and
    region) replays every account's history before the next account's: the side chain's and the prompt
    clusters' evidence, which comes from accounts active at the same time, reaches fewer of them
    (measured on a dev file sorted by account: 85.8 -> 83.1 % of campaign accounts; README). Replay
    says how many events are late so that nobody mistakes such a run for one over the real stream.

    >>> order = TimeOrder(tolerance_ms=1_000)
    >>> for ts in (5_000, 4_500, 9_000, 2_000, 9_500):
    ...     order.see(ts)
    >>> order.late
    1
    """

    __slots__ = ("late", "newest", "tolerance_ms")

    def __init__(self, tolerance_ms: int = 3_600_000) -> None:
        self.tolerance_ms = tolerance_ms
        self.newest: int | None = None
        self.late = 0

    def see(self, ts: int) -> None:
        newest = self.newest
        if newest is None or ts > newest:
            self.newest = ts
        elif ts < newest - self.tolerance_ms:
            self.late += 1


# Optional fields whose absence costs nothing: an alternative input, a field the detector does not read,
# and one it reads from the input tokens when it is absent (features.read_turns_from_tokens).
_ABSENCE_HARMLESS = frozenset({"prompt_embedding", "api_key_id", "conversation_turns"})
# The RequestEvent fields a gateway may leave out (a default of None) that the detector's signals read.
OPTIONAL_FIELDS = tuple(
    name
    for name, info in RequestEvent.model_fields.items()
    if not info.is_required() and info.default is None and name not in _ABSENCE_HARMLESS
)


class FieldCoverage:
    """Which optional RequestEvent fields at least one event carried: a field no event carries is one the
    gateway (or a benchmark) does not send, and every signal read from it says "harmless" throughout.

    The committed weights were fitted on events that carry every field; measured on a dev file, leaving
    out ``thinking`` cost 18 points of recall, the network fields 10 (README, "What a gateway leaves
    out"). Replay names such fields so that a low result is not mistaken for the detector's best.

    >>> from types import SimpleNamespace
    >>> coverage = FieldCoverage()
    >>> coverage.see(SimpleNamespace(**{**dict.fromkeys(OPTIONAL_FIELDS), "asn_type": "isp"}))
    >>> "asn_type" in coverage.present, "thinking" in absent_fields(coverage.present)
    (True, True)
    """

    __slots__ = ("missing",)

    def __init__(self) -> None:
        self.missing = list(OPTIONAL_FIELDS)  # never seen so far: the only ones looked up per event

    @property
    def present(self) -> set[str]:
        return set(OPTIONAL_FIELDS).difference(self.missing)

    def see(self, event: Any) -> None:
        """Note the optional fields one event (a RequestEvent) carries."""
        if self.missing and any(getattr(event, name) is not None for name in self.missing):
            self.missing = [name for name in self.missing if getattr(event, name) is None]


def absent_fields(present: Iterable[str]) -> list[str]:
    """The optional fields not in ``present``, in the schema's order."""
    seen = set(present)
    return [name for name in OPTIONAL_FIELDS if name not in seen]


def input_warnings(stats: ReplayStats) -> list[str]:
    """What ``replay`` warns about its input: more than 1 % of the valid events late; optional fields
    that no event carried."""
    valid = stats.records - stats.dead_letters
    warnings = []
    if valid and stats.late_events * 100 > valid:
        warnings.append(
            f"warning: {stats.late_events:,} of {valid:,} events are more than an hour older than an event "
            "before them in the input: replay processes events in input order, so evidence that comes "
            "from accounts active at the same time reaches fewer of them; sort the file by ts to replay "
            "the stream as the gateway wrote it"
        )
    if valid and stats.absent_fields:
        warnings.append(
            f"warning: no event carries {', '.join(stats.absent_fields)}: the signals read from them stay "
            "at their harmless value, and the committed weights were fitted on events that carry every "
            "field (README, 'What a gateway leaves out'; refit on your own traffic to reweigh)"
        )
    return warnings


def dead_letter_line(raw: bytes, reason: str, source: str) -> bytes:
    """One dead-letter JSONL line: the original bytes (base64, as they may not be UTF-8) and the reason."""
    return orjson.dumps({"reason": reason, "source": source, "original_b64": base64.b64encode(raw).decode()})


def replay_records(
    records: Iterable[tuple[bytes, str]],
    detector: Detector,
    alerts_out: AlertSink,
    dlq_out: DeadLetterSink | None = None,
    *,
    max_record_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    feedback: Sequence[FeedbackEvent] = (),
    challenger_out: AlertSink | None = None,
) -> ReplayStats:
    """Run raw records (bytes, source label) through the detector; emit encoded alerts by callback.

    ``feedback`` (analysts' labels) is applied by its ``ts``: every label stamped at or before a
    request's ts is in the detector before that request is processed, so a backtest includes what
    analysts did."""
    stats = ReplayStats()
    pending = sorted(feedback, key=lambda f: f.ts)  # stable: equal ts keep the file's order
    next_feedback = 0
    order, coverage = TimeOrder(), FieldCoverage()
    for raw, source in records:
        stats.records += 1
        try:
            event = decode_request(raw, max_bytes=max_record_bytes)
        except DecodeError as exc:
            stats.dead_letters += 1
            if dlq_out is not None:
                dlq_out(raw, exc.reason, source)
            continue
        order.see(event.ts)
        coverage.see(event)
        while next_feedback < len(pending) and pending[next_feedback].ts <= event.ts:
            stats.feedback_applied += detector.apply_feedback(pending[next_feedback])
            next_feedback += 1
        alerts = detector.process(event)
        if detector.last_assessment is None:
            stats.duplicates += 1
        else:
            stats.processed += 1
        for alert in alerts:
            stats.count_alert(alert.severity.value)
            alerts_out(encode_alert(alert), alert.account_id)
        if detector.challenger_alerts:
            for alert in detector.challenger_alerts:
                stats.challenger_alerts += 1
                if challenger_out is not None:
                    challenger_out(encode_alert(alert), alert.account_id)
            detector.challenger_alerts.clear()
        if progress is not None:
            progress(stats.records)
    stats.late_events = order.late
    if stats.records > stats.dead_letters:
        stats.absent_fields = absent_fields(coverage.present)
    return stats


def load_feedback(path: Path) -> list[FeedbackEvent]:
    """Every FeedbackEvent of a JSONL file; an invalid line stops the load with its line number (a
    backtest must not silently miss an analyst's decision)."""
    events: list[FeedbackEvent] = []
    for raw, source in iter_file_records(path):
        try:
            events.append(decode_feedback(raw))
        except ValueError as exc:
            raise ValueError(f"invalid feedback at {source}: {exc}") from None
    return events


def iter_file_records(path: Path) -> Iterator[tuple[bytes, str]]:
    """Non-empty lines of a JSONL file as raw bytes, labelled ``file:line``."""
    name = path.name
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.rstrip(b"\r\n")
            if stripped and not stripped.isspace():  # as `stripped.strip()`, without copying the line
                yield stripped, f"{name}:{number}"


@contextmanager
def jsonl_writers(
    output_path: Path | None, dlq_path: Path | None
) -> Iterator[tuple[AlertSink | None, DeadLetterSink | None]]:
    """Writers for alerts (one JSON line each) and dead letters; None for a path not given."""
    with ExitStack() as files:

        def opened(path: Path | None) -> IO[bytes] | None:
            if path is None:
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            return files.enter_context(path.open("wb"))

        alerts, dead_letters = opened(output_path), opened(dlq_path)

        def write_alert(encoded: bytes, _key: str) -> None:
            alerts.write(encoded + b"\n")  # type: ignore[union-attr]

        def write_dead_letter(raw: bytes, reason: str, source: str) -> None:
            dead_letters.write(dead_letter_line(raw, reason, source) + b"\n")  # type: ignore[union-attr]

        yield (write_alert if alerts else None), (write_dead_letter if dead_letters else None)


def report_dead_letter(_raw: bytes, reason: str, source: str) -> None:
    """Dead-letter sink when no file is given: the reason (never the record) on stderr."""
    print(f"dead letter {source}: {reason}", file=sys.stderr)


def replay_file(
    input_path: Path,
    output_path: Path,
    config: DetectionConfig,
    *,
    dlq_path: Path | None = None,
    max_record_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    feedback_path: Path | None = None,
    challenger: DetectionConfig | None = None,
    challenger_path: Path | None = None,
    partitions: int = DEFAULT_PARTITIONS,
) -> ReplayStats:
    """Replay a JSONL file of RequestEvents into a JSONL file of SuspicionEvents (with the analysts'
    labels of ``feedback_path`` applied by their ts). ``partitions``: the worker's ``topics.partitions``,
    by which the detector keeps its soft models (as the worker does, see models.soft_state)."""
    feedback = load_feedback(feedback_path) if feedback_path is not None else []
    detector = Detector(config, challenger=challenger, partitions=partitions)
    with (
        jsonl_writers(output_path, dlq_path) as (write_alert, write_dead_letter),
        jsonl_writers(challenger_path, None) as (write_challenger, _),
    ):
        assert write_alert is not None
        stats = replay_records(
            iter_file_records(input_path),
            detector,
            write_alert,
            write_dead_letter or report_dead_letter,
            max_record_bytes=max_record_bytes,
            progress=progress,
            feedback=feedback,
            challenger_out=write_challenger,
        )
    if detector.challenger is not None:
        stats.disagreements = dict(detector.challenger.disagreements)
    return stats
