"""Replay says how far its input is from time order (streams.replay.TimeOrder)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import write_scenario
from distillguard.models.config import DetectionConfig
from distillguard.streams.cli import main
from distillguard.streams.replay import ReplayStats, late_events_warning, replay_file
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
    assert late_events_warning(stats) is None


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
    summary = orjson.loads(result.stderr.splitlines()[0])
    assert summary["late_events"] == late_by_hand(by_account)
    assert "sort the file by ts" in result.stderr
    # one late event in a hundred is not worth a warning; two are
    assert late_events_warning(ReplayStats(records=100, late_events=1)) is None
    assert late_events_warning(ReplayStats(records=100, late_events=2)) is not None
