"""The fixes of Faust that streams.faust_compat installs (the multi-worker stall), and the stall watch
that logs a partition whose committed offset stopped (streams.app_config.StallWatch)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from distillguard.streams import faust_compat
from distillguard.streams.app_config import StallWatch


def test_install_replaces_the_two_faust_functions_once_and_they_are_the_ones_checked() -> None:
    from faust.tables.recovery import Recovery
    from faust.transport.conductor import Conductor

    faust_compat.install()
    wrapped = Conductor._update_indices
    faust_compat.install()  # idempotent: not wrapped twice
    assert Conductor._update_indices is wrapped
    assert Recovery.on_recovery_completed is faust_compat.on_recovery_completed
    # A Faust upgrade that changes a patched function fails here: re-check the fix against the new
    # source, then update PATCHED_SOURCES.
    for name, digest in faust_compat.PATCHED_SOURCES.items():
        assert faust_compat.source_digest(faust_compat.ORIGINALS[name]) == digest, name


class FakeRecovery:
    """What Recovery.on_recovery_completed touches, recording the order of the calls that matter."""

    def __init__(self, calls: list[str], generation: int = 3) -> None:
        async def send() -> None:
            return None

        async def maybe_start() -> None:
            calls.append("fetcher.maybe_start")

        async def perform_seek() -> None:
            calls.append("perform_seek")

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
