"""The fixes of Faust that streams.faust_compat installs (the multi-worker stall; records lost on a
partition with no committed offset yet), and the stall watch that logs a partition whose committed offset
stopped (streams.app_config.StallWatch)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from distillguard.streams import faust_compat
from distillguard.streams.app_config import StallWatch


def test_install_replaces_the_three_faust_functions_once_and_they_are_the_ones_checked() -> None:
    from faust.tables.recovery import Recovery
    from faust.transport.conductor import Conductor
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    faust_compat.install()
    wrapped = Conductor._update_indices
    faust_compat.install()  # idempotent: not wrapped twice
    assert Conductor._update_indices is wrapped
    assert Recovery.on_recovery_completed is faust_compat.on_recovery_completed
    assert AIOKafkaConsumerThread.seek_to_committed is faust_compat.seek_to_committed
    # A Faust upgrade that changes a patched function fails here: re-check the fix against the new
    # source, then update PATCHED_SOURCES.
    assert set(faust_compat.ORIGINALS) == set(faust_compat.PATCHED_SOURCES)
    for name, digest in faust_compat.PATCHED_SOURCES.items():
        assert faust_compat.source_digest(faust_compat.ORIGINALS[name]) == digest, name


def test_the_library_functions_a_fix_relies_on_are_the_ones_checked() -> None:
    """An aiokafka upgrade that changes seek_to_committed fails here: the seek fix may be unneeded."""
    from aiokafka.consumer.consumer import AIOKafkaConsumer

    relied_on = {
        "aiokafka.consumer.consumer.AIOKafkaConsumer.seek_to_committed": AIOKafkaConsumer.seek_to_committed
    }
    assert set(relied_on) == set(faust_compat.RELIED_ON_SOURCES)
    for name, function in relied_on.items():
        assert faust_compat.source_digest(function) == faust_compat.RELIED_ON_SOURCES[name], name


class FakeRecovery:
    """What Recovery.on_recovery_completed touches, recording the order of the calls that matter."""

    def __init__(self, calls: list[str], generation: int = 3, rebalance_during_seek: bool = False) -> None:
        async def send() -> None:
            return None

        async def maybe_start() -> None:
            calls.append("fetcher.maybe_start")

        async def perform_seek() -> None:
            calls.append("perform_seek")
            if rebalance_during_seek:  # the next rebalance starts (revoke) while the seek waits
                self.app.rebalancing_count += 1

        self.calls = calls
        stream, changelog = TP("requests", 0), TP("app-state-changelog", 0)
        self.resumed: set[Any] = set()
        consumer = SimpleNamespace(
            assignment=lambda: {stream, changelog},
            perform_seek=perform_seek,
            resume_partitions=lambda tps: (calls.append("resume_partitions"), self.resumed.update(tps)),
            resume_flow=lambda: calls.append("consumer.resume_flow"),
        )
        self.app = SimpleNamespace(
            consumer=consumer,
            on_rebalance_complete=SimpleNamespace(send=send),
            consumer_generation_id=generation,
            rebalancing_count=7,
            conf=SimpleNamespace(broker_request_timeout=5.0),
            flow_control=SimpleNamespace(resume=lambda: calls.append("flow_control.resume (clears buffers)")),
            _fetcher=SimpleNamespace(maybe_start=maybe_start),
            assignor=SimpleNamespace(assigned_standbys=lambda: set()),
            on_rebalance_end=lambda: calls.append("on_rebalance_end"),
        )
        self.log = SimpleNamespace(info=lambda *a: None, warning=lambda *a: None, dev=lambda *a: None)
        self.tables = SimpleNamespace(
            values=lambda: [], on_actives_ready=lambda: None, on_standbys_ready=lambda: None
        )
        self.actives_for_table: dict[Any, Any] = {}
        self.standbys_for_table: dict[Any, Any] = {}
        self.completed = asyncio.Event()

    def _set_recovery_ended(self) -> None:
        return None

    def _is_changelog_tp(self, tp: Any) -> bool:
        return tp.topic.endswith("-changelog")

    async def _wait(self, coro: Any, timeout: float | None = None) -> None:
        await coro


def test_recovery_seeks_and_empties_the_buffers_before_it_resumes_the_stream_partitions() -> None:
    """The stall: resuming the stream partitions before the seek let the (running) fetcher deliver their
    records during the seek, and the buffer clear that followed threw them away for good."""
    calls: list[str] = []
    recovery = FakeRecovery(calls)
    asyncio.run(faust_compat.on_recovery_completed(recovery, generation_id=3))
    assert calls.index("perform_seek") < calls.index("flow_control.resume (clears buffers)")
    assert calls.index("flow_control.resume (clears buffers)") < calls.index("resume_partitions")
    assert calls.index("resume_partitions") < calls.index("consumer.resume_flow")
    assert recovery.resumed == {TP("requests", 0)}  # the stream partitions only, not the changelogs
    assert recovery.completed.is_set() and calls[-1] == "on_rebalance_end"


def test_the_installed_faust_had_the_order_that_loses_records() -> None:
    """Why the fix exists: the original resumes the stream partitions before it seeks and clears."""
    faust_compat.install()
    original = faust_compat.ORIGINALS["faust.tables.recovery.Recovery.on_recovery_completed"]
    calls: list[str] = []
    asyncio.run(original(FakeRecovery(calls), generation_id=3))
    assert calls.index("resume_partitions") < calls.index("perform_seek")
    assert calls.index("resume_partitions") < calls.index("flow_control.resume (clears buffers)")


def test_a_recovery_overtaken_by_another_rebalance_resumes_nothing() -> None:
    calls: list[str] = []
    recovery = FakeRecovery(calls, generation=4)
    asyncio.run(faust_compat.on_recovery_completed(recovery, generation_id=3))
    assert calls == [] and not recovery.completed.is_set()


def test_a_recovery_overtaken_by_a_rebalance_during_its_seek_resumes_nothing() -> None:
    """The stale completion: a seek that outlasted the start of the next rebalance resumed the old
    assignment's stream partitions and the flow in the middle of the next generation's recovery."""
    calls: list[str] = []
    recovery = FakeRecovery(calls, rebalance_during_seek=True)
    asyncio.run(faust_compat.on_recovery_completed(recovery, generation_id=3))
    assert calls == ["perform_seek"] and not recovery.completed.is_set()
    assert recovery.resumed == set()


def test_the_installed_faust_resumed_after_a_rebalance_that_started_during_its_seek() -> None:
    faust_compat.install()
    original = faust_compat.ORIGINALS["faust.tables.recovery.Recovery.on_recovery_completed"]
    calls: list[str] = []
    asyncio.run(original(FakeRecovery(calls, rebalance_during_seek=True), generation_id=3))
    assert "consumer.resume_flow" in calls and calls[-1] == "on_rebalance_end"


class FakeKafkaConsumer:
    """What seek_to_committed_or_reset touches of an aiokafka consumer; records the moves."""

    def __init__(self, committed: dict[Any, int | None], assigned: set[Any] | None = None) -> None:
        self.committed = committed
        self.assigned = set(committed) if assigned is None else assigned
        self.moves: list[tuple[str, Any]] = []

    async def seek_to_committed(self) -> dict[Any, int | None]:
        for tp, offset in self.committed.items():
            if offset and offset > 0:  # aiokafka 0.14.0: only a committed offset > 0 is sought
                self.moves.append(("seek", (tp, offset)))
        return dict(self.committed)

    def assignment(self) -> set[Any]:
        return self.assigned

    def seek(self, tp: Any, offset: int) -> None:
        self.moves.append(("seek", (tp, offset)))

    async def seek_to_beginning(self, *tps: Any) -> bool:
        self.moves.append(("beginning", tuple(sorted(tps))))
        return True


REQUESTS = [TP("requests", p) for p in range(4)]
CHANGELOG = TP("app-state-changelog", 0)


def is_stream_topic(topic: str) -> bool:
    return not topic.endswith("-changelog")


def test_a_stream_partition_with_no_committed_offset_is_moved_to_its_beginning() -> None:
    """The lost records: Faust drops fetched records during a rebalance and seeks to the committed
    offsets to fetch them again, which moved nothing on a partition that had no committed offset."""
    committed = {REQUESTS[0]: 120, REQUESTS[1]: None, REQUESTS[2]: 0, REQUESTS[3]: None, CHANGELOG: None}
    # partition 3 was revoked in the meantime: not moved
    kafka = FakeKafkaConsumer(committed, assigned={REQUESTS[0], REQUESTS[1], REQUESTS[2], CHANGELOG})
    result = asyncio.run(faust_compat.seek_to_committed_or_reset(kafka, is_stream_topic, "earliest"))
    assert result == committed  # what Faust's perform_seek reads, unchanged
    assert kafka.moves == [
        ("seek", (REQUESTS[0], 120)),
        ("seek", (REQUESTS[2], 0)),
        ("beginning", (REQUESTS[1],)),  # the changelog partition is the recovery's to position
    ]


def test_with_latest_a_partition_with_no_committed_offset_stays_where_it_is() -> None:
    kafka = FakeKafkaConsumer({REQUESTS[0]: None, REQUESTS[1]: 7})
    asyncio.run(faust_compat.seek_to_committed_or_reset(kafka, is_stream_topic, "latest"))
    assert kafka.moves == [("seek", (REQUESTS[1], 7))]


def test_the_installed_aiokafka_does_not_move_a_partition_with_no_committed_offset() -> None:
    """Why the fix exists: aiokafka's seek_to_committed itself leaves such a partition where it is."""
    from aiokafka.consumer.consumer import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    tps = [TopicPartition("requests", p) for p in range(3)]
    committed = {tps[0]: None, tps[1]: 0, tps[2]: 42}
    sought: list[tuple[Any, int]] = []

    async def committed_offset(tp: Any) -> int | None:
        return committed[tp]

    consumer = SimpleNamespace(
        _subscription=SimpleNamespace(assigned_partitions=lambda: set(tps)),
        committed=committed_offset,
        _fetcher=SimpleNamespace(seek_to=lambda tp, offset: sought.append((tp, offset))),
    )
    assert asyncio.run(AIOKafkaConsumer.seek_to_committed(consumer)) == committed
    assert sought == [(tps[2], 42)]


def test_the_consumer_thread_seeks_in_its_thread_with_the_apps_stream_topics_and_reset_policy() -> None:
    calls: list[Any] = []

    async def call_thread(function: Any, *args: Any) -> Any:
        calls.append(args)
        return await function(*args)

    kafka = FakeKafkaConsumer({REQUESTS[0]: None, CHANGELOG: None})
    thread = SimpleNamespace(
        app=SimpleNamespace(
            topics=SimpleNamespace(acks_enabled_for=is_stream_topic),
            conf=SimpleNamespace(consumer_auto_offset_reset="earliest"),
        ),
        call_thread=call_thread,
        _ensure_consumer=lambda: kafka,
    )
    asyncio.run(faust_compat.seek_to_committed(thread))
    assert len(calls) == 1 and calls[0][0] is kafka
    assert kafka.moves == [("beginning", (REQUESTS[0],))]


class FakeCluster:
    def __init__(self, topics: set[str]) -> None:
        self.topics = topics

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return {0, 1} if topic in self.topics else None


def metadata_app(answers: list[set[str]]) -> Any:
    asked = iter(answers)
    last: list[set[str]] = [set()]

    async def fetch_all_metadata() -> FakeCluster:
        last[0] = next(asked, last[0])
        return FakeCluster(last[0])

    client = SimpleNamespace(fetch_all_metadata=fetch_all_metadata)
    return SimpleNamespace(producer=SimpleNamespace(_producer=SimpleNamespace(client=client)))


def test_the_subscription_waits_until_the_brokers_metadata_lists_every_topic() -> None:
    app = metadata_app([{"a"}, {"a"}, {"a", "b"}])
    assert asyncio.run(faust_compat.wait_for_topic_metadata(app, ["a", "b"], timeout=5.0)) == []


def test_a_topic_that_never_shows_is_reported_after_the_timeout(caplog: pytest.LogCaptureFixture) -> None:
    app = metadata_app([{"a"}])
    with caplog.at_level("WARNING", logger="distillguard.worker"):
        assert asyncio.run(faust_compat.wait_for_topic_metadata(app, ["a", "b"], timeout=0.3)) == ["b"]
    assert "still missing" in caplog.text


def test_the_wrapped_update_indices_returns_the_topics_after_the_wait() -> None:
    async def original(self: Any) -> dict[str, set[Any]]:
        return {"a": set(), "b": set()}

    conductor = SimpleNamespace(app=metadata_app([set(), {"a", "b"}]))
    wrapped = faust_compat._wrap_update_indices(original)
    assert asyncio.run(wrapped(conductor)) == {"a": set(), "b": set()}


def watch_app(state: dict[str, Any]) -> Any:
    tp = TP("requests", 0)
    consumer = SimpleNamespace(
        assignment=lambda: {tp, TP("app-state-changelog", 0)},
        highwater=lambda _tp: state["highwater"],
        _committed_offset={tp: state["committed"]},
    )
    return SimpleNamespace(
        consumer=consumer,
        rebalancing=False,
        tables=SimpleNamespace(changelog_topics={"app-state-changelog"}),
    )


def test_the_stall_watch_flags_a_partition_whose_committed_offset_stopped_behind_records() -> None:
    state = {"highwater": 100, "committed": 1}
    app = watch_app(state)
    watch = StallWatch(app, stall_after_s=20.0)
    assert watch.stalled(now=0.0) == []
    assert watch.stalled(now=19.0) == []
    assert watch.stalled(now=21.0) == [TP("requests", 0)]
    app.consumer._committed_offset[TP("requests", 0)] = 50  # progress: the clock starts again
    assert watch.stalled(now=22.0) == []
    assert watch.stalled(now=41.0) == []
    assert watch.stalled(now=43.0) == [TP("requests", 0)]
    app.consumer._committed_offset[TP("requests", 0)] = 100  # caught up: not stalled, however long
    assert watch.stalled(now=44.0) == [] and watch.stalled(now=100.0) == []


def test_the_partition_state_is_best_effort_on_a_consumer_that_never_started(tmp_path: Any) -> None:
    from distillguard.streams.app import create_app
    from distillguard.streams.settings import Settings

    topology = create_app(Settings(worker={"data_dir": tmp_path, "app_id": "dg-compat-test"}))

    async def read() -> dict[str, Any]:
        return faust_compat.partition_state(topology.app, TP("requests", 0))

    state = asyncio.run(read())
    assert state["active"] is False and state["committed"] is None and "kafka_error" in state
