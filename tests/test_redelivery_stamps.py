"""Idempotence of the stages after the first under redelivery: stamped state views (unit level).

Every stage after the account stage stores each state value stamped with the source (partition, offset)
of the record that last wrote it, in the same changelog record; an item of a redelivered record whose
key is stamped at that record's offset or later is skipped (see streams.batched_table). The real-broker
test of the same is tests/integration/test_idempotence.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from distillguard.models.cluster_state import ClusterState
from distillguard.models.config import DetectionConfig
from distillguard.models.pipeline import ACCOUNT, ALERT, CLUSTER, COORDINATION, PIPELINE, TRAIT
from distillguard.models.stages import AccountStage
from distillguard.models.traits import TraitLayout, TraitState
from distillguard.streams.agent_loop import BatchWork
from distillguard.streams.batched_table import (
    ORIGIN,
    SOURCE,
    BatchedTable,
    PartitionScope,
    StampedReader,
    stamp,
    unstamp,
)
from distillguard.streams.internal_records import decode_stage_records, encode_stage_records
from distillguard.streams.stage_agents import InternalStep, RequestStep, dedupes_on_origin
from tests.test_core import coordinated_campaign, ordinary_users


class Table(dict):  # type: ignore[type-arg]
    name = "t"


@dataclass
class Message:
    partition: int
    offset: int
    topic: str = "in"


@dataclass
class Event:
    message: Message


def at(partition: int, offset: int) -> Event:
    return Event(Message(partition, offset))


def test_stamps_round_trip_and_leave_unstamped_values_alone() -> None:
    positions = {(SOURCE, 3): 12345678901, (ORIGIN, 0): 7}
    assert unstamp(stamp(positions, b"state")) == (positions, b"state")
    assert unstamp(stamp({}, b"")) == ({}, b"")
    assert unstamp(b"legacy") == (None, b"legacy")
    assert unstamp(b"") == (None, b"")


def test_a_stamped_view_stores_the_writing_record_and_reads_bare_values() -> None:
    table, scope = Table(), PartitionScope()
    view = BatchedTable(table, scope, stamped=True)
    scope.enter(at(1, 7))
    view["k"] = b"one"
    assert not view.applied("k"), "a write pending in this batch does not count"
    scope.enter(at(1, 9))
    view["k"] = b"two"
    view.flush()
    assert table["k"] == stamp({(SOURCE, 1): 9}, b"two")
    assert view["k"] == b"two" and dict(view.items()) == {"k": b"two"}
    # a redelivery of offsets <= 9 of partition 1 was applied; a newer one, or another partition, not
    for event, applied in ((at(1, 7), True), (at(1, 9), True), (at(1, 10), False), (at(0, 3), False)):
        scope.enter(event)
        assert view.applied("k") is applied
    assert not view.applied("missing")
    # a value written before stamps existed reads as is and vouches for nothing
    table["old"] = b"legacy"
    assert view["old"] == b"legacy" and not view.applied("old")
    assert StampedReader(table)["k"] == b"two" and StampedReader(table).get("old") == b"legacy"
    assert not BatchedTable(table, scope).applied("k"), "an unstamped view never skips"


def test_a_batch_that_failed_leaves_the_old_stamp() -> None:
    table, scope = Table(), PartitionScope()
    view = BatchedTable(table, scope, stamped=True)
    scope.enter(at(0, 1))
    view["k"] = b"a"
    view.flush()
    scope.enter(at(0, 2))
    view["k"] = b"b"
    view.discard()
    assert unstamp(table["k"]) == ({(SOURCE, 0): 1}, b"a")
    assert not view.applied("k"), "offset 2 was never applied: its redelivery must be"


def _run_twice(spec: Any, items: list[Any], crash_after: int) -> tuple[int, int, Table]:
    """Run a stage over one internal record per item (offsets 0..n-1 of partition 0), flushing after
    each; then redeliver everything from offset 0, as after a crash with nothing committed, with the
    writes of the records from ``crash_after`` on lost. Returns (items applied, items skipped, table)."""
    config = DetectionConfig()
    table, scope = Table(), PartitionScope()
    view = BatchedTable(table, scope, stamped=True)
    stage = spec.build(config, {spec.tables[0].name: view, **{n: {} for n in spec.reads}})
    step = InternalStep(spec, stage, config, lambda: None, view.applied)
    first = BatchWork()
    for offset, item in enumerate(items):
        scope.enter(at(0, offset))
        step(scope.events[0], [item.to_dict()], first)
        if offset < crash_after:
            view.flush()
        else:
            view.discard()
    fresh = spec.build(config, {spec.tables[0].name: view, **{n: {} for n in spec.reads}})
    step = InternalStep(spec, fresh, config, lambda: None, view.applied)
    again = BatchWork()
    for offset, item in enumerate(items):
        scope.enter(at(0, offset))
        step(scope.events[0], [item.to_dict()], again)
        view.flush()
    return len(items) - again.redelivered, again.redelivered, table


def test_the_cluster_stage_applies_each_observation_once_across_a_crash() -> None:
    config = DetectionConfig()
    accounts = AccountStage(config)
    requests = sorted(coordinated_campaign(6, 6) + ordinary_users(4, 6), key=lambda e: e.ts)
    observations = [o for o in map(accounts.process, requests) if o is not None]
    applied, skipped, table = _run_twice(CLUSTER, observations, crash_after=len(observations) // 2)
    cfg = DetectionConfig().cluster_state
    events = {k: ClusterState.from_bytes(cfg, unstamp(v)[1]).events for k, v in table.items()}
    expected: dict[str, int] = {}
    for obs in observations:
        expected[obs.cluster_id] = expected.get(obs.cluster_id, 0) + 1
    assert events == expected, "an observation was applied twice (or not at all)"
    assert skipped > 0 and applied + skipped == len(observations)


def test_every_stage_after_the_first_is_stamped() -> None:
    later = [s for s in PIPELINE.all_stages if s is not PIPELINE.stages[0]]
    assert later == [CLUSTER, ALERT, TRAIT, COORDINATION]
    for spec in later:
        # the dedupe asks the first table about the item's partition key: it must be keyed by it
        assert spec.tables[0].value_type is bytes


def _stage_over_copies(
    spec: Any, per_request: list[list[Any]], flush_each: bool
) -> tuple[BatchWork, Table, int]:
    """``spec``'s stage over one record per request (``per_request``: the items the account stage sent
    for each; origins 0..n-1 at offsets 0..n-1), then the last half again at offsets n..: the same
    origins at new offsets, as the account stage sends them again after a crash. Flushed after every
    record, or once at the end (one batch). Returns the work, the stage's first table and how many
    items were sent again."""
    config = DetectionConfig()
    table, scope = Table(), PartitionScope()
    view = BatchedTable(table, scope, stamped=True)
    stage = spec.build(config, {spec.tables[0].name: view, **{n: {} for n in spec.reads}})
    step = InternalStep(spec, stage, config, lambda: None, view.applied, scope=scope, by_origin=True)
    records = [
        decode_stage_records(encode_stage_records(items, [(0, origin)] * len(items)))
        for origin, items in enumerate(per_request)
    ]
    work = BatchWork()
    half = len(records) // 2
    for offset, payload in enumerate(records + records[half:]):
        scope.enter(at(0, offset))
        step(scope.events[0], payload, work)
        if flush_each:
            view.flush()
    view.flush()
    return work, table, sum(len(items) for items in per_request[half:])


def _account_stage_outputs() -> list[Any]:
    accounts = AccountStage(DetectionConfig())
    requests = sorted(coordinated_campaign(4, 4) + ordinary_users(3, 4), key=lambda e: e.ts)
    return [o for o in map(accounts.process, requests) if o is not None]


def _cluster_stage_over_copies(flush_each: bool) -> tuple[BatchWork, Table, list[Any], int]:
    """The cluster stage over the account stage's observations, the last half sent again."""
    observations = _account_stage_outputs()
    work, table, again = _stage_over_copies(CLUSTER, [[o] for o in observations], flush_each)
    return work, table, observations, again


def _events_by_cluster(table: Table) -> dict[str, int]:
    config = DetectionConfig().cluster_state
    return {k: ClusterState.from_bytes(config, unstamp(v)[1]).events for k, v in table.items()}


def test_the_cluster_stage_skips_an_observation_the_account_stage_sent_again() -> None:
    """The account stage crashed after its observations were delivered but before its state was: the
    request is processed again and its observation arrives a second time, at a new offset, with the same
    origin. The stage after the account stage dedupes on origins and applies it once."""
    work, table, observations, again = _cluster_stage_over_copies(flush_each=True)
    assert work.redelivered == again
    assert sum(_events_by_cluster(table).values()) == len(observations)
    assert all(unstamp(v)[0] and {kind for kind, _ in unstamp(v)[0]} == {ORIGIN} for v in table.values())
    # the outputs carry the origins on to the next stage
    assert len(work.origins) == len(work.outputs)
    assert all(origin in {(0, i) for i in range(len(observations))} for origin in work.origins)


def test_a_copy_of_an_observation_in_the_same_batch_is_applied_once() -> None:
    """The crash left the original observation unapplied and the account stage sent it again: after the
    restart both copies (same origin, different offsets) can arrive in one batch of the cluster stage,
    before anything is flushed. Pending writes at the same origin count; a record's own offset does not
    (tests above), since one record may write a key several times."""
    work, table, observations, again = _cluster_stage_over_copies(flush_each=False)
    assert work.redelivered == again
    expected: dict[str, int] = {}
    for obs in observations:
        expected[obs.cluster_id] = expected.get(obs.cluster_id, 0) + 1
    assert _events_by_cluster(table) == expected, "a copy in the same batch was applied twice"


@pytest.mark.parametrize("flush_each", [True, False])
def test_the_trait_stage_skips_trait_observations_the_account_stage_sent_again(flush_each: bool) -> None:
    """The side chain's first stage is fed by the account stage too: the trait observations of a
    request it processed again after a crash arrive a second time with the same origin (the request),
    in a later batch or in the same one, and are applied once: every trait value ends with as many
    observations as the request stream gave it."""
    per_request = [o.trait_observations() for o in _account_stage_outputs()]
    expected: dict[str, int] = {}
    for items in per_request:
        for t in items:
            expected[t.key] = expected.get(t.key, 0) + 1
    assert sum(map(len, per_request)) > len(per_request), "the workload shows several traits a request"
    work, table, again = _stage_over_copies(TRAIT, per_request, flush_each)
    assert work.redelivered == again > 0
    layout = TraitLayout(DetectionConfig().traits)
    got = {k: TraitState.from_bytes(layout, unstamp(v)[1]).observations for k, v in table.items()}
    assert got == expected, "a re-sent trait observation was applied twice"


def test_the_account_stage_hands_its_side_chain_the_request_as_origin() -> None:
    """The trait observations the account stage fans out carry the (partition, offset) of their request,
    as its observations do, so the trait stage can dedupe on it."""
    config = DetectionConfig()
    step = RequestStep(
        ACCOUNT, AccountStage(config), config, dead_letter=lambda *_: None, errors=lambda: None
    )
    work = BatchWork()
    requests = sorted(coordinated_campaign(2, 3), key=lambda e: e.ts)
    for offset, request in enumerate(requests):
        step(at(1, 100 + offset), request, work)
    assert work.branch_outputs and len(work.branch_origins) == len(work.branch_outputs)
    assert {o for o in work.origins} <= {(1, 100 + i) for i in range(len(requests))}
    by_origin: dict[Any, set[str]] = {}
    for (key, _), origin in zip(work.branch_outputs, work.branch_origins, strict=True):
        assert key not in by_origin.setdefault(origin, set()), "one request, one item per trait value"
        by_origin[origin].add(key)
    assert set(by_origin) == set(work.origins), "each request's trait observations carry its offset"
    # and the worker's loops of both stages the account stage feeds dedupe on those origins
    assert {s.name for s in PIPELINE.all_stages if dedupes_on_origin(s)} == {"cluster", "trait"}
