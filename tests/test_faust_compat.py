"""The Faust internals streams.faust_compat wraps still exist and behave as it assumes (an upgrade of
faust-streaming that renames them fails here, not in production)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from faust.streams import current_event
from faust.types import TP

from distillguard.streams import faust_compat
from distillguard.streams.app import create_app
from distillguard.streams.settings import Settings


class Event:
    def __init__(self, partition: int) -> None:
        self.message = type("Message", (), {"topic": "requests", "partition": partition})()


def test_current_event_is_what_faust_and_its_tables_read_within_the_block() -> None:
    outer, inner = Event(1), Event(2)
    assert current_event() is None
    with faust_compat.current_event(outer):
        assert current_event() is outer
        with faust_compat.current_event(inner):
            assert current_event() is inner
        assert current_event() is outer
    assert current_event() is None


def test_a_table_write_goes_to_the_changelog_partition_of_the_current_event(tmp_path: Path) -> None:
    topology = create_app(Settings(worker={"data_dir": tmp_path, "app_id": "dg-compat-test"}))
    table = topology.tables["cluster_state"]

    async def partitions() -> list[int | None]:  # the consumer (not started) is created in a loop
        with faust_compat.current_event(Event(5)):
            first = table.partition_for_key("any key")
        with faust_compat.current_event(Event(2)):
            return [first, table.partition_for_key("any key")]

    assert asyncio.run(partitions()) == [5, 2]


def test_committed_offset_reads_the_faust_consumers_own_record(tmp_path: Path) -> None:
    topology = create_app(Settings(worker={"data_dir": tmp_path, "app_id": "dg-compat-test"}))

    async def read() -> tuple[Any, Any]:
        consumer = topology.app.consumer  # created, not started: no broker needed
        tp = TP("requests", 0)
        before = faust_compat.committed_offset(consumer, tp)
        consumer._committed_offset.update({tp: 41})  # what Faust does on assignment and on commit
        return before, faust_compat.committed_offset(consumer, tp)

    assert asyncio.run(read()) == (None, 41)


def test_paused_fetching_still_delivers_what_was_fetched(tmp_path: Path) -> None:
    """pause_fetching takes a partition out of the fetcher's active set and keeps it in the set whose
    records getmany lets through (a fetch in flight is not dropped); resume_fetching puts it back."""
    topology = create_app(Settings(worker={"data_dir": tmp_path, "app_id": "dg-compat-test"}))

    async def check() -> list[tuple[bool, bool]]:
        consumer = topology.app.consumer
        tp, other = TP("requests", 0), TP("requests", 1)
        consumer._set_active_tps({tp, other})  # what an assignment does
        states = []
        for action in (None, faust_compat.pause_fetching, faust_compat.resume_fetching):
            if action is not None:
                action(consumer, [tp])
            active = consumer._get_active_partitions()
            states.append((tp in active, tp in active or tp in consumer._buffered_partitions))
        assert other in consumer._get_active_partitions()
        return states

    # (fetched from, records let through): before, paused, resumed
    assert asyncio.run(check()) == [(True, True), (False, True), (True, True)]


def test_getmany_lets_a_buffered_partitions_records_through() -> None:
    """What pause_fetching relies on: Faust's getmany drops the records of a fetch whose partition left
    the active set meanwhile, unless it is in ``_buffered_partitions``."""
    import inspect

    from faust.transport.consumer import Consumer

    assert "tp in self._buffered_partitions" in inspect.getsource(Consumer.getmany)
