"""Event-time pacing (streams.pacing), without a broker: workers' gates over seeded partitions, exchanging
their reports late, must never process a record while another partition still has one more than the bound
older, and must process everything (no deadlock); the liveness escapes and the failure path."""

from __future__ import annotations

import random
from collections import deque

import pytest

from distillguard.streams.pacing import EventTimeGate, Report

SKEW_MS = 300_000


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def partition_times(rng: random.Random, count: int, start: int) -> list[int]:
    """Event times of one partition: bursts and long gaps, mostly in order."""
    ts, times = start, []
    for _ in range(count):
        ts += int(rng.expovariate(1 / 60_000)) if rng.random() < 0.9 else int(rng.expovariate(1 / 3_600_000))
        times.append(ts + (rng.randint(-5_000, 0) if rng.random() < 0.05 else 0))
    return times


def run_workers(seed: int, owners: list[set[int]], report_delay: int) -> tuple[int, int]:
    """Seeded run of one gate per worker over 4 partitions; returns (records processed, held at most).
    Each step, a random worker either fetches a random batch of one of its unpaused partitions, or ticks
    (watermarks, release, reports). Reports reach the other workers ``report_delay`` steps late."""
    rng = random.Random(seed)
    clock = Clock()
    partitions = sum(len(o) for o in owners)
    logs = {
        p: partition_times(rng, rng.randint(50, 400), rng.randint(0, 7_200_000)) for p in range(partitions)
    }
    fetched = dict.fromkeys(logs, 0)  # next offset to fetch
    done = dict.fromkeys(
        logs, 0
    )  # records processed (in order: a partition's records are processed in order)
    gates = [EventTimeGate(max_skew_ms=SKEW_MS, partitions=partitions, owned=o, clock=clock) for o in owners]
    in_flight: deque[tuple[int, int, Report]] = deque()  # (deliver at step, to worker, report)
    processed = most_held = 0

    def process(items: list[tuple[int, int]]) -> None:
        nonlocal processed
        for p, offset in items:
            assert offset == done[p], f"partition {p} out of order"
            t = logs[p][offset]
            for q in logs:
                if q != p and done[q] < len(logs[q]):
                    # q's next record, or the latest it has processed (q's own disorder is not ours)
                    reached = max(logs[q][: done[q] + 1])
                    assert t <= reached + SKEW_MS, f"partition {p} at {t}, partition {q} only at {reached}"
            done[p] += 1
            processed += 1

    for step in range(200_000):
        clock.now = step * 0.001
        while in_flight and in_flight[0][0] <= step:
            _, worker, report = in_flight.popleft()
            gates[worker].learn(report)
        w = rng.randrange(len(gates))
        gate = gates[w]
        if rng.random() < 0.7:
            candidates = [p for p in owners[w] if p not in gate.holding() and fetched[p] < len(logs[p])]
            if candidates:
                p = rng.choice(candidates)
                n = rng.randint(1, 50)
                batch = [
                    (p, o, logs[p][o], (p, o)) for o in range(fetched[p], min(fetched[p] + n, len(logs[p])))
                ]
                fetched[p] += len(batch)
                process(gate.admit(batch))
        else:
            gate.watermarks({p: len(logs[p]) for p in owners[w]})
            gate.learn_ends({p: len(logs[p]) for p in logs}, clock.now)  # everything is produced
            process(gate.release())
            for report in gate.reports():
                for other in range(len(gates)):
                    if other != w:
                        in_flight.append((step + report_delay, other, report))
        most_held = max(most_held, gate.held_count())
        if all(done[p] == len(logs[p]) for p in logs):
            break
    assert all(done[p] == len(logs[p]) for p in logs), f"stalled: {done} of {[len(v) for v in logs.values()]}"
    assert sum(g.forced for g in gates) == 0
    return processed, most_held


@pytest.mark.parametrize("seed", range(6))
def test_two_workers_keep_their_partitions_within_the_bound(seed: int) -> None:
    processed, most_held = run_workers(seed, [{0, 1}, {2, 3}], report_delay=5)
    assert processed > 0 and most_held > 0  # it did hold records back


def test_one_worker_keeps_its_partitions_within_the_bound() -> None:
    run_workers(7, [{0, 1, 2, 3}], report_delay=0)


def test_without_backlog_nothing_is_held() -> None:
    """Live: each partition's records are processed as fetched, nothing has a backlog, nothing waits."""
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0, 1})
    gate.watermarks({0: 1, 1: 0})
    assert gate.admit([(0, 0, 10_000_000, "a")]) == ["a"]
    gate.watermarks({0: 1, 1: 1})  # partition 1 got a record, far older, not fetched yet
    assert gate.admit([(0, 1, 10_000_001, "b")]) == []
    assert gate.admit([(1, 0, 1_000, "c")]) == ["c"]  # partition 1 is caught up again
    assert gate.release() == ["b"]
    assert gate.held_count() == 0


def test_a_silent_partition_stops_counting_and_is_counted() -> None:
    clock = Clock()
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0}, stale_after_s=30, clock=clock)
    gate.watermarks({0: 2})
    gate.learn(Report(1, 1_000, True))  # the other worker's partition, far behind
    assert gate.admit([(0, 0, 5_000_000, "a")]) == []
    clock.now = 29.0
    assert gate.release() == []
    clock.now = 31.0  # no report for 31 s: its owner is gone
    assert gate.release() == ["a"]
    assert gate.stale_ignored == 1
    gate.learn(Report(1, 5_100_000, True))  # it speaks again (a new owner): it counts again
    assert gate.admit([(0, 1, 5_500_000, "b")]) == []


def test_a_partition_not_reported_yet_holds_back_until_it_is_or_goes_stale() -> None:
    clock = Clock()
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0}, stale_after_s=30, clock=clock)
    gate.watermarks({0: 1})
    assert gate.admit([(0, 0, 1_000, "a")]) == []
    gate.learn(Report(1, None, False, 0))  # its owner has nothing to do ...
    assert gate.release() == []
    gate.learn_ends({0: 1, 1: 0}, clock.now)  # ... and the log says so, read after "a" arrived
    assert gate.release() == ["a"]


def test_max_held_processes_the_oldest_anyway() -> None:
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0}, max_held=3)
    gate.watermarks({0: 10})
    gate.learn(Report(1, 0, True))
    ready = gate.admit([(0, o, 1_000_000 + o, o) for o in range(5)])
    assert ready == [0, 1] and gate.held_count() == 3 and gate.forced == 2


def test_a_failed_release_is_held_again_as_it_was() -> None:
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0})
    gate.watermarks({0: 10})
    gate.learn(Report(1, 0, True))
    assert gate.admit([(0, 0, 1_000_000, "a"), (0, 1, 1_000_001, "b")]) == []
    before = gate.reports()
    gate.learn(Report(1, 900_000, True))
    assert gate.release() == ["a", "b"]
    gate.unrelease()
    assert gate.held_count() == 2 and gate.reports() == before
    assert gate.release() == ["a", "b"]


def test_a_lost_partition_drops_its_held_records_and_a_taken_one_starts_from_its_report() -> None:
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=3, owned={0, 1})
    gate.watermarks({0: 10, 1: 10})
    gate.learn(Report(2, 0, True))
    assert gate.admit([(0, 0, 1_000_000, "a"), (1, 0, 100, "b")]) == ["b"]
    assert gate.assigned({1, 2}) == ["a"]  # partition 0 moved away; partition 2 came from the other worker
    assert [r for r in gate.reports() if r.partition == 2] == [Report(2, 0, True)]


def test_reports_round_trip() -> None:
    for report in (Report(3, None, False), Report(0, 1_700_000_000_000, True)):
        assert Report.decode(report.encode()) == report
    with pytest.raises(KeyError):
        Report.decode(b'{"partition": 1}')


def test_a_rebalance_that_gives_the_partitions_back_does_not_wait_for_caught_up_ones() -> None:
    """Faust revokes everything, then assigns: a partition with nothing left to fetch (its committed
    offset at its end) must not hold the others back, nor one whose records never arrive, forever."""
    clock = Clock()
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0, 1}, stale_after_s=30, clock=clock)
    gate.watermarks({0: 1, 1: 3})
    assert gate.admit([(0, 0, 9_000_000, "a"), (1, 0, 1_000, "b")]) == ["b"]
    assert gate.assigned(set()) == ["a"]  # revoked: held records are fetched again
    gate.assigned({0, 1})
    gate.watermarks({0: 1, 1: 3}, committed={0: 0, 1: 3})  # partition 1 is done
    assert gate.admit([(0, 0, 9_000_000, "a")]) == ["a"]
    gate.watermarks({0: 5, 1: 9}, committed={0: 1, 1: 3})  # partition 1 has records again
    assert gate.admit([(0, 1, 9_500_000, "c")]) == []  # it got to 1_000 before the rebalance
    gate2 = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0, 1}, stale_after_s=30, clock=clock)
    gate2.watermarks({0: 5, 1: 9}, committed={0: 0, 1: 3})
    assert gate2.admit([(0, 0, 1_000, "d")]) == []  # partition 1's time is unknown
    clock.now += 31
    assert gate2.release() == ["d"] and gate2.stale_ignored == 1


def test_a_partition_reported_caught_up_counts_until_its_end_offset_confirms_it() -> None:
    """Its owner said it is caught up; records may have arrived since (its owner was killed and the
    group has not handed it over yet): it counts until an end offset read after the record arrived
    shows nothing past the reported position."""
    clock = Clock()
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0}, stale_after_s=30, clock=clock)
    gate.watermarks({0: 5})
    gate.learn(Report(1, 1_000, False, 7))
    gate.learn_ends({0: 5, 1: 7}, clock.now)
    clock.now = 1.0
    assert gate.admit([(0, 0, 5_000_000, "a")]) == []  # the reading is older than "a"
    clock.now = 1.1
    gate.learn_ends({0: 5, 1: 9}, clock.now)  # two records arrived that nobody processes
    assert gate.release() == []
    gate.learn(Report(1, 2_000_000, True, 8))  # a new owner is processing them
    assert gate.release() == []  # 2_000_000 + 300 s is still behind "a"
    clock.now = 1.2
    gate.learn(Report(1, 2_100_000, False, 9))  # ... and is done
    gate.learn_ends({0: 5, 1: 9}, clock.now)
    assert gate.release() == ["a"]
    clock.now = 40.0  # an owner that stops reporting holds nobody back for more than stale_after_s
    assert gate.admit([(0, 1, 9_000_000, "b")]) == ["b"] and gate.stale_ignored == 1


def test_release_gives_at_most_the_limit_in_order() -> None:
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0})
    gate.watermarks({0: 10})
    gate.learn(Report(1, 0, True))
    assert gate.admit([(0, o, 1_000_000 + o, o) for o in range(5)]) == []
    gate.learn(Report(1, 900_000, True))
    assert gate.release(2) == [0, 1]
    assert gate.release(2) == [2, 3]
    assert gate.release() == [4]


def test_an_own_partition_caught_up_by_its_high_watermark_counts_until_the_end_offsets_agree() -> None:
    """The consumer's high watermark is as old as its last fetch: records may have arrived since."""
    clock = Clock()
    gate = EventTimeGate(max_skew_ms=SKEW_MS, partitions=2, owned={0, 1}, stale_after_s=30, clock=clock)
    gate.learn_ends({0: 9, 1: 1}, clock.now)
    gate.watermarks({0: 9, 1: 1})
    assert gate.admit([(0, 0, 1_000, "a0"), (1, 0, 1_000, "x")]) == ["x"]
    assert gate.release() == ["a0"]  # partition 1 is now caught up by its high watermark
    clock.now = 1.0
    assert gate.admit([(0, 1, 5_000_000, "a")]) == []  # the last reading is older than "a"
    gate.learn_ends({0: 9, 1: 3}, 1.05)  # two records arrived on partition 1, not fetched yet
    assert gate.release() == []
    assert gate.admit([(1, 1, 4_800_000, "y"), (1, 2, 4_900_000, "z")]) == ["y", "z"]
    gate.learn_ends({0: 9, 1: 3}, 1.1)
    assert gate.release() == ["a"]
    clock.now = 40.0  # no readings for stale_after_s: the consumer is trusted
    gate.watermarks({0: 9, 1: 3})
    assert gate.admit([(0, 2, 9_000_000, "b")]) == ["b"]
