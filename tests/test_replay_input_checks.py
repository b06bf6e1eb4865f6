"""Replay says how far its input is from time order (streams.replay.TimeOrder) and which optional fields
no event carries (streams.replay.FieldCoverage)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import write_scenario
from distillguard.models.config import DetectionConfig
from distillguard.streams.cli import main
from distillguard.streams.replay import OPTIONAL_FIELDS, ReplayStats, input_warnings, replay_file
from distillguard.streams.sharded_replay import replay_file_sharded

EVENTS = 4_000
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small scenario's head as written (time order) and the same events grouped by account."""
    out = tmp_path_factory.mktemp("order")
    write_scenario(get_scenario("small"), out)
    lines = (out / "events.jsonl").read_bytes().splitlines()[:EVENTS]
    in_time = out / "in-time.jsonl"
    in_time.write_bytes(b"\n".join(lines) + b"\n")
    by_account = out / "by-account.jsonl"
    grouped = sorted(lines, key=lambda line: (orjson.loads(line)["account_id"], orjson.loads(line)["ts"]))
    by_account.write_bytes(b"\n".join(grouped) + b"\n")
    return in_time, by_account


def late_by_hand(path: Path) -> int:
    """Events more than an hour older than the newest before them, counted plainly."""
    newest, late = None, 0
    for line in path.read_bytes().splitlines():
        ts = orjson.loads(line)["ts"]
        if newest is not None and ts < newest - HOUR_MS:
            late += 1
        newest = ts if newest is None else max(newest, ts)
    return late


def test_a_file_in_time_order_has_no_late_events(files: tuple[Path, Path], tmp_path: Path) -> None:
    in_time, _ = files
    stats = replay_file(in_time, tmp_path / "alerts.jsonl", DetectionConfig())
    assert stats.processed == EVENTS
    assert stats.late_events == late_by_hand(in_time) == 0
    assert stats.absent_fields == [] and input_warnings(stats) == []


def test_a_file_grouped_by_account_is_counted_the_same_serial_and_sharded(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    _, by_account = files
    expected = late_by_hand(by_account)
    assert expected > EVENTS // 10  # grouping by account puts most histories before older traffic
    serial = replay_file(by_account, tmp_path / "serial.jsonl", DetectionConfig())
    one_shard = replay_file_sharded(by_account, tmp_path / "sharded.jsonl", DetectionConfig(), 1)
    assert serial.late_events == one_shard.late_events == expected
    # with several shards each counts within its share of the file: never more than the whole file has
    two_shards = replay_file_sharded(by_account, tmp_path / "two.jsonl", DetectionConfig(), 2)
    assert 0 < two_shards.late_events <= expected


def test_the_warning_is_printed_above_one_percent(files: tuple[Path, Path], tmp_path: Path) -> None:
    _, by_account = files
    alerts = tmp_path / "alerts.jsonl"
    result = CliRunner().invoke(
        main, ["replay", "--input", str(by_account), "--output", str(alerts), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stderr.splitlines()[-1])  # the summary stays the last line
    assert summary["late_events"] == late_by_hand(by_account)
    assert "sort the file by ts" in result.stderr
    # one late event in a hundred is not worth a warning; two are
    assert input_warnings(ReplayStats(records=100, late_events=1)) == []
    assert len(input_warnings(ReplayStats(records=100, late_events=2))) == 1


def without(path: Path, out: Path, fields: tuple[str, ...], keep_in_one: str | None = None) -> Path:
    """``path`` with ``fields`` removed from every event (but ``keep_in_one`` left in the first one)."""
    lines = []
    for number, line in enumerate(path.read_bytes().splitlines()):
        event = orjson.loads(line)
        for name in fields:
            if not (number == 0 and name == keep_in_one):
                event.pop(name, None)
        lines.append(orjson.dumps(event))
    out.write_bytes(b"\n".join(lines) + b"\n")
    return out


def test_fields_no_event_carries_are_named_serial_and_sharded(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    in_time, _ = files
    stripped = without(in_time, tmp_path / "stripped.jsonl", ("thinking", "asn_type", "country"), "country")
    for shards in (0, 1, 2):
        out = tmp_path / f"alerts-{shards}.jsonl"
        stats = (
            replay_file(stripped, out, DetectionConfig())
            if shards == 0
            else replay_file_sharded(stripped, out, DetectionConfig(), shards)
        )
        # country is in one event: it counts as sent; the two fields no event has are named
        assert stats.absent_fields == ["asn_type", "thinking"], shards
    warnings = input_warnings(stats)
    assert len(warnings) == 1 and "asn_type, thinking" in warnings[0]
    result = CliRunner().invoke(
        main, ["replay", "--input", str(stripped), "--output", str(tmp_path / "cli.jsonl"), "--no-progress"]
    )
    assert result.exit_code == 0 and "no event carries asn_type, thinking" in result.stderr


def test_the_optional_fields_checked_are_the_schema_ones_the_detector_reads() -> None:
    assert {"thinking", "asn_type", "account_created_ts", "system_prompt", "prompt"} <= set(OPTIONAL_FIELDS)
    # an alternative input, an unread field and one with a stand-in are not worth a warning
    assert not {"prompt_embedding", "api_key_id", "conversation_turns"} & set(OPTIONAL_FIELDS)
