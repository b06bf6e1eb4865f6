"""The only place the worker touches Faust internals (checked against faust-streaming 0.15.3).

Everything else uses Faust's public API. Each function here wraps one private name that has no public
equivalent; after a Faust upgrade, re-check them against ``faust/streams.py``,
``faust/transport/consumer.py``, ``faust/transport/conductor.py`` and ``faust/tables/recovery.py``
(tests/test_faust_compat.py fails if a name disappears, tests/test_faust_fixes.py if a patched
function's source changes).

Fixes of Faust itself are installed by :func:`install` (see there): records fetched while the recovery
seeks were discarded, so one partition's committed offset stopped forever (the "known stall" of the
multi-worker tests); a recovery's completion that a new rebalance overtook during its seek still resumed
its (old) partitions in the middle of the new recovery; the "seek to committed offsets" that Faust
relies on to fetch discarded records again did nothing on a partition with no committed offset yet, so
records discarded there were lost (the killed-worker test's missing events); and a just-created internal
topic could be left out of the group's assignment for up to five minutes.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

# Why private: Faust has a public getter for the event being processed (faust.streams.current_event())
# but no setter; its own stream iterator sets this context variable directly (0.15.3: Stream._c_aiter,
# Stream._set_current_event). Table.partition_for_key reads only current_event(), so it is the one way to
# tell a table which changelog partition a write outside of that iteration (our batched flush) belongs to.
from faust.streams import _current_event

FAUST_VERSION_CHECKED = "0.15.3"


@contextmanager
def current_event(event: Any) -> Iterator[None]:
    """Make ``event`` Faust's current event within the block (what ``faust.streams.current_event()``
    returns, so table writes go to its partition's changelog), then restore the previous one."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def committed_offset(consumer: Any, tp: Any) -> int | None:
    """The last committed offset of an assigned partition as the Faust consumer knows it (None if none).

    Why private: ``Consumer._committed_offset`` is filled from the group's committed offsets when a
    partition is assigned and updated on every commit, and Faust has no public getter for it. The public
    alternatives are not the same number: ``app.monitor.tp_committed_offsets`` only holds what this
    process has committed (nothing after a restart until its first commit), and aiokafka's
    ``committed()`` asks the group coordinator (a broker round trip per partition per gauge update).
    """
    return consumer._committed_offset.get(tp)  # type: ignore[no-any-return]


def pause_fetching(consumer: Any, tps: Iterable[Any]) -> None:
    """Stop fetching from ``tps`` and still deliver what was fetched for them (event-time pacing,
    streams.pacing_worker). A no-op during a table recovery, which pauses and resumes partitions itself.

    Why not ``Consumer.pause_partitions``: it removes the partitions from the set that Faust's
    ``getmany`` (0.15.3) filters the records of a fetch by *after* awaiting the fetch, so records of a
    partition paused while its fetch is in flight are dropped, with aiokafka's position already past
    them: they are lost until the next seek (traced here: a partition's committed offset stopped 342
    records short of its end). The stream-buffer flow control that ``on_buffer_full`` implements keeps
    them (``getmany`` lets a partition in ``_buffered_partitions`` through), which is what pacing needs:
    fetch no more, hold what came.
    """
    for tp in tps:
        consumer.on_buffer_full(tp)


def resume_fetching(consumer: Any, tps: Iterable[Any]) -> None:
    """Fetch from ``tps`` again after :func:`pause_fetching` (Faust's ``on_buffer_drop``: back in the
    active partitions only if it is the one that took them out)."""
    for tp in tps:
        consumer.on_buffer_drop(tp)


def partition_state(app: Any, tp: Any) -> dict[str, Any]:
    """Diagnostics: what Faust and aiokafka hold for one assigned partition (for the stall watch's log
    line; every field is best effort, read without locks from the consumer thread's structures).

    Why private: none of this has a public getter. Faust's fetch set (``_active_partitions``, minus
    ``_paused_partitions``, plus ``_buffered_partitions``) decides which partitions its fetcher asks
    aiokafka for; ``_read_offset``/``_acked``/``_gap`` decide what it can commit; aiokafka's
    ``TopicPartitionState`` and ``Fetcher._records`` say where its fetch position is and whether
    fetched records wait to be taken.
    """
    consumer = app.consumer
    state: dict[str, Any] = {}
    try:
        active = consumer._active_partitions
        state["active"] = None if active is None else tp in active
        state["paused"] = tp in consumer._paused_partitions
        state["buffered"] = tp in consumer._buffered_partitions
        state["read_offset"] = consumer._read_offset.get(tp)
        state["committed"] = consumer._committed_offset.get(tp)
        acked = sorted(consumer._acked.get(tp) or ())
        state["acked"] = (len(acked), acked[:3], acked[-1:]) if acked else 0
        gap = consumer._gap.get(tp)
        state["gap"] = sorted((i.begin, i.end) for i in gap)[:3] if gap else None
        unacked = sorted(m.offset for m in list(consumer._unacked_messages) if m.tp == tp)
        state["unacked"] = (len(unacked), unacked[:3]) if unacked else 0
        state["flow_active"] = consumer.flow_active
        state["flow_control"] = app.flow_control.is_active()
        state["rebalancing"] = app.rebalancing
        state["generation"] = app.consumer_generation_id
        channels = app.topics._tp_index.get(tp) or ()
        state["queues"] = [
            (q.qsize(), len(q._pending_pressure_drop_callbacks)) for q in (c.queue for c in channels)
        ]
    except Exception as exc:  # diagnostics only
        state["faust_error"] = repr(exc)
    try:
        from aiokafka.structs import TopicPartition

        kafka = consumer._thread._consumer
        ktp = TopicPartition(tp.topic, tp.partition)
        assignment = kafka._subscription.subscription.assignment
        tp_state = assignment.state_value(ktp) if assignment is not None else None
        if tp_state is None:
            state["kafka"] = "not assigned"
        else:
            state["position"] = tp_state._position
            state["kafka_paused"] = tp_state.paused
            state["awaiting_reset"] = tp_state.awaiting_reset
        fetcher = kafka._fetcher
        record = fetcher._records.get(ktp)
        has_more = getattr(record, "has_more", None)
        state["fetched_waiting"] = (
            None if record is None else (type(record).__name__, has_more() if has_more else None)
        )
        state["in_flight_nodes"] = sorted(fetcher._in_flight)
        state["highwater"] = kafka.highwater(ktp)
    except Exception as exc:  # diagnostics only
        state["kafka_error"] = repr(exc)
    return state


# --------------------------------------------------------------------------------------------------
# Fixes of Faust (installed once per process by install(); each checked by tests/test_faust_fixes.py)
# --------------------------------------------------------------------------------------------------

log = logging.getLogger("distillguard.worker")

# How long the subscription waits for just-declared topics to show in the broker's metadata.
TOPIC_METADATA_WAIT_S = 30.0

# sha256 of the source of each Faust function replaced or wrapped here, as installed (0.15.3): a Faust
# upgrade that changes one fails tests/test_faust_fixes.py, so the fix is re-checked, not silently kept.
PATCHED_SOURCES = {
    "faust.tables.recovery.Recovery.on_recovery_completed": (
        "6ef567acf072e46da3fccbccc6d662371f634f622c3d510972d5df81f70ae3ac"
    ),
    "faust.transport.conductor.Conductor._update_indices": (
        "619b3247b96ac7d508b9b571e30fdaceb00378b77c79e4aee12a5d8ee3f41d34"
    ),
    "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread.seek_to_committed": (
        "775ab0adc4b052abee204d5347a556412b1f77ed4de971adde69a55a1cb6f908"
    ),
}

# sha256 of the source of library functions a fix relies on without replacing them (aiokafka 0.14.0):
# if one changes, the fix may be unneeded or wrong, so tests/test_faust_fixes.py fails until re-checked.
RELIED_ON_SOURCES = {
    # seeks only partitions whose committed offset is > 0 (the reason for seek_to_committed below)
    "aiokafka.consumer.consumer.AIOKafkaConsumer.seek_to_committed": (
        "f6cd85c8b70a4ccf7e862de24f6c5d985038eed3e140990f000aa4b52eda8d72"
    ),
}


# The Faust functions as installed, before install() replaced or wrapped them (name -> function).
ORIGINALS: dict[str, Any] = {}


def source_digest(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


async def on_recovery_completed(self: Any, generation_id: int = 0) -> None:
    """``faust.tables.recovery.Recovery.on_recovery_completed`` (0.15.3) with its last steps reordered.

    The bug (installed 0.15.3): it resumed the stream partitions, then awaited the seek to the committed
    offsets, then called ``app.flow_control.resume()``, which empties every agent's buffer. The
    consumer's flow is already running at that point (the recovery resumed it to read the changelogs),
    so records the fetcher delivered for a resumed partition during the seek (~0.1 s, longer on a loaded
    host) were thrown away. They were never acked and never fetched again (the fetch position and
    Faust's read offset had passed them), so that partition's committed offset stopped for good behind
    them (``Consumer._new_offset`` does not commit past two or more missing offsets at its head; a
    single missing one it skips, silently) while its later records were processed: a stall, no error.
    Measured: ``acked`` held offsets 5..1023 of a partition whose committed offset stayed 1 (offsets
    1-4 lost), right after a rebalance, records having arrived while the worker finished its recovery.

    Here: seek, then empty the buffers, and only then resume the stream partitions. Upstream
    faust-streaming (since "Stop fetching when flow stops", PR #253) also seeks first and has no await
    between resuming the partitions and emptying the buffers.

    A second bug, in the original and kept by the reordering: the generation is checked before the
    seek, not after, and the seek (a round trip from the consumer thread) can outlast the start of the next
    rebalance. The completion of the old generation then resumed the old assignment's stream partitions
    (some of them no longer this worker's), the flow and the agents in the middle of the new
    generation's recovery, and ended its rebalance ("Worker ready" before the new generation's "Restore
    complete!"); records fetched then were processed before the new recovery was done, and what the new
    recovery's resumes emptied from the buffers was lost on a partition with no committed offset (see
    :func:`seek_to_committed_or_reset`). Measured: a seek that took 1.5 s, during which the second
    worker joined. Here: a rebalance that started during the seek (the generation changed, or
    ``app.rebalancing_count`` moved) makes this completion give up, as the check before the seek does.
    Everything else is as in 0.15.3.
    """
    consumer = self.app.consumer
    rebalances = self.app.rebalancing_count
    self.log.info("Restore complete!")
    await self.app.on_rebalance_complete.send()
    self._set_recovery_ended()
    callback_coros = [
        asyncio.ensure_future(
            table.on_recovery_completed(self.actives_for_table[table], self.standbys_for_table[table])
        )
        for table in self.tables.values()
    ]
    if callback_coros:
        await asyncio.wait(callback_coros)
    assignment = consumer.assignment()
    if self.app.consumer_generation_id != generation_id:
        self.log.warning(
            f"Recovery rebalancing again app id {self.app.consumer_generation_id} param {generation_id}"
        )
        return
    if assignment:
        self.log.info("Seek stream partitions to committed offsets.")
        await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        if self.app.consumer_generation_id != generation_id or self.app.rebalancing_count != rebalances:
            self.log.warning(
                f"Recovery of generation {generation_id} overtaken by a rebalance during the seek "
                f"(generation now {self.app.consumer_generation_id}): not resuming its partitions"
            )
            return
    self.completed.set()
    # Empty the agents' buffers while the stream partitions are still paused, then resume them.
    self.app.flow_control.resume()
    consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
    self.log.dev("Resume stream partitions")
    consumer.resume_flow()
    # finally make sure the fetcher is running.
    await self.app._fetcher.maybe_start()
    self.tables.on_actives_ready()
    if not self.app.assignor.assigned_standbys():
        self.tables.on_standbys_ready()
    self.app.on_rebalance_end()
    self.log.info("Worker ready")


async def wait_for_topic_metadata(
    app: Any, topics: Iterable[str], timeout: float = TOPIC_METADATA_WAIT_S
) -> list[str]:
    """Wait until the broker's metadata lists every topic of ``topics``; returns those still missing
    after ``timeout`` (logged). Asks through the producer's client (the consumer's lives in its own
    thread and loop)."""
    wanted = sorted(set(topics))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    missing = wanted
    try:
        client = app.producer._producer.client
    except AttributeError:  # no started aiokafka producer (e.g. a threaded producer): nothing to ask
        return []
    while True:
        try:
            cluster = await client.fetch_all_metadata()
            missing = [t for t in wanted if not cluster.partitions_for_topic(t)]
        except Exception as exc:  # a broker hiccup: try again until the deadline
            log.debug("metadata request failed: %r", exc)
        if not missing or loop.time() >= deadline:
            break
        await asyncio.sleep(0.2)
    if missing:
        log.warning("topics still missing from the broker's metadata after %.0f s: %s", timeout, missing)
    return missing


async def seek_to_committed_or_reset(
    consumer: Any, stream_topic: Any, auto_offset_reset: str
) -> Mapping[Any, int | None]:
    """aiokafka's ``seek_to_committed()``, then the stream partitions it left where they were moved too.

    ``consumer``: the aiokafka consumer (called in its thread); ``stream_topic(topic)``: whether Faust
    commits the topic's offsets (a stream source, not a changelog). Returns the committed offsets, as
    ``seek_to_committed()`` does.

    The bug: Faust discards records it has already fetched in several places during a rebalance (the
    fetcher's ``getmany`` drops a whole fetched batch when the flow has stopped, or when the generation
    changed; the recovery empties the agents' buffers) and relies on seeking every partition to its
    committed offset afterwards (``Consumer.perform_seek``) to fetch them again. aiokafka's
    ``seek_to_committed`` seeks only partitions whose committed offset is > 0: on a partition that has
    none yet it does nothing, the fetch position stays past the discarded records, and they are never
    processed, while the first commit (``Consumer._new_offset`` has no head to check against) goes past
    them. Measured, in 2 of 21 runs of the killed-worker scenario under a CPU hog: offsets 0-10 and 0-20
    (0-9 and 0-20) of the two request partitions a worker had just been given were never processed (no
    worker's batch held them, nothing acked them) and its first commits were 38 and 64: the worker had
    discarded them during the rebalance in which the second worker joined, while the requests were
    being produced, and the seek that followed left both partitions where they were. In a traced run
    the discarding was seen directly: the recovery's flow-control resumes emptied offsets 1-2 and 4 of
    a partition from its agent's buffer while 0, 3 and 5 on were processed.

    Here: a stream partition with no committed offset is moved to where the group starts a partition
    that has none (``consumer_auto_offset_reset``, "earliest" in the worker: its first offset), one
    committed at 0 to 0. A record processed before the first commit of its partition is then delivered
    again (at least once; the stages skip what they have already applied). With "latest" nothing is
    moved (Faust's behaviour: a reset to the end would skip what arrived since the assignment).
    Changelog partitions are left alone: the recovery positions them itself.
    """
    committed: Mapping[Any, int | None] = await consumer.seek_to_committed()
    assigned = consumer.assignment()
    unpositioned = [
        tp for tp, offset in committed.items() if not offset and tp in assigned and stream_topic(tp.topic)
    ]
    for tp in unpositioned:
        if committed[tp] == 0:
            consumer.seek(tp, 0)
    never = [tp for tp in unpositioned if committed[tp] is None]
    if never and str(auto_offset_reset).lower() == "earliest":
        await consumer.seek_to_beginning(*never)
    return committed


async def seek_to_committed(self: Any) -> Mapping[Any, int | None]:
    """``faust.transport.drivers.aiokafka.AIOKafkaConsumerThread.seek_to_committed`` (0.15.3: aiokafka's
    ``seek_to_committed`` in the consumer thread), with the stream partitions that have no committed
    offset moved too (:func:`seek_to_committed_or_reset`)."""
    app = self.app
    return await self.call_thread(  # type: ignore[no-any-return]
        seek_to_committed_or_reset,
        self._ensure_consumer(),
        app.topics.acks_enabled_for,
        app.conf.consumer_auto_offset_reset,
    )


def _wrap_update_indices(original: Any) -> Any:
    async def _update_indices(self: Any) -> Any:
        """``Conductor._update_indices`` (declares the internal topics, returns the topics to subscribe
        to), then wait until the broker's metadata lists them all.

        The bug: Faust creates its internal topics right before subscribing; the broker acknowledges a
        creation before its metadata lists the topic, and if the group's leader assigns in between it
        drops the topic ("Ignoring missing topic") and assigns its partitions to no one until its
        next metadata refresh (``consumer_metadata_max_age_ms``, 5 min by default). Measured: every
        partition of an internal topic created 55 ms before the subscription stayed unassigned (and
        never committed) through two rebalances.
        """
        topics = await original(self)
        await wait_for_topic_metadata(self.app, list(topics))
        return topics

    _update_indices.__wrapped__ = original  # type: ignore[attr-defined]
    return _update_indices


def install() -> None:
    """Install the Faust fixes above (idempotent; called when the app is built)."""
    from faust.tables.recovery import Recovery
    from faust.transport.conductor import Conductor
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    if AIOKafkaConsumerThread.seek_to_committed is not seek_to_committed:
        ORIGINALS["faust.transport.drivers.aiokafka.AIOKafkaConsumerThread.seek_to_committed"] = (
            AIOKafkaConsumerThread.seek_to_committed
        )
        AIOKafkaConsumerThread.seek_to_committed = seek_to_committed  # type: ignore[method-assign]
    if Recovery.on_recovery_completed is not on_recovery_completed:
        ORIGINALS["faust.tables.recovery.Recovery.on_recovery_completed"] = Recovery.on_recovery_completed
        Recovery.on_recovery_completed = on_recovery_completed  # type: ignore[method-assign]
    if not hasattr(Conductor._update_indices, "__wrapped__"):
        original = Conductor._update_indices
        ORIGINALS["faust.transport.conductor.Conductor._update_indices"] = original
        Conductor._update_indices = _wrap_update_indices(original)  # type: ignore[method-assign]
