"""Benchmark traffic built from the simulator, fast enough to make millions of events in seconds.

The simulator is realistic but slow-ish (~10k events/s), so the benchmark generates one scenario once and
*replicates* it: every replica gets fresh event ids, account ids, org/key/payment ids and a shifted
second IPv4 octet (so replicas neither dedupe against each other nor link into one giant campaign), and
replicas are laid end to end in event time (replica ``r`` is shifted by ``r`` scenario durations), so
the stream stays time-ordered, accounts churn like a real population and idle eviction can work.

Live traffic (for the latency phase) cycles through the same events with fresh ids and stamps each
event with the wall-clock send time, keeping every account's age (``ts - account_created_ts``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from distillguard.evaluation.scenarios import HOUR_MS, get_scenario
from distillguard.evaluation.simulator import iter_events, labels

_RENAMED = ("org_id", "api_key_id", "payment_fingerprint")


@dataclass
class BaseTraffic:
    """One simulated scenario held in memory: events (time-ordered dicts) and its time span."""

    name: str
    events: list[dict[str, Any]]
    start_ts: int
    span_ms: int
    accounts: int
    campaign_accounts: int
    seconds_to_generate: float
    campaign_ids: frozenset[str] = frozenset()

    @classmethod
    def generate(cls, scenario_name: str = "small", seed: int | None = None) -> BaseTraffic:
        scenario = get_scenario(scenario_name, seed)
        started = time.perf_counter()
        events = list(iter_events(scenario))
        elapsed = time.perf_counter() - started
        rows = labels(scenario)
        return cls(
            name=scenario.name,
            events=events,
            start_ts=scenario.start_ts,
            span_ms=max(int(scenario.duration_hours * HOUR_MS), events[-1]["ts"] - events[0]["ts"] + 1),
            accounts=len(rows),
            campaign_accounts=sum(1 for r in rows if r["kind"] != "normal"),
            seconds_to_generate=elapsed,
            campaign_ids=frozenset(r["account_id"] for r in rows if r["kind"] != "normal"),
        )


def _shift_ip(ip: str, shift: int) -> str:
    if shift == 0 or ":" in ip:
        return ip
    a, b, c, d = ip.split(".")
    return f"{a}.{(int(b) + shift) % 256}.{c}.{d}"


def perturb(event: dict[str, Any], tag: str, shift_ms: int, octet_shift: int) -> dict[str, Any]:
    """A copy of ``event`` with ids suffixed by ``tag``, times shifted by ``shift_ms`` and the IP moved."""
    e = dict(event)
    e["event_id"] = f"{event['event_id']}-{tag}"
    e["account_id"] = f"{event['account_id']}-{tag}"
    for name in _RENAMED:
        value = e.get(name)
        if value:
            e[name] = f"{value}-{tag}"
    e["ts"] = event["ts"] + shift_ms
    if e.get("account_created_ts") is not None:
        e["account_created_ts"] = event["account_created_ts"] + shift_ms
    e["ip"] = _shift_ip(event["ip"], octet_shift)
    return e


def replicas_needed(base: BaseTraffic, count: int) -> int:
    return -(-count // len(base.events))


def iter_replicated(
    base: BaseTraffic, count: int, *, run_tag: str = "b", end_before_ms: int | None = None
) -> Iterator[dict[str, Any]]:
    """``count`` events: replicas of ``base`` end to end in event time, ending before ``end_before_ms``.

    Times are shifted so the last replica ends at least an hour before now (the worker rejects events
    from the future), i.e. the whole stream is recent history.
    """
    replicas = replicas_needed(base, count)
    end_before_ms = end_before_ms if end_before_ms is not None else int(time.time() * 1000) - HOUR_MS
    first_shift = min(0, end_before_ms - (base.start_ts + replicas * base.span_ms))
    produced = 0
    for r in range(replicas):
        shift = first_shift + r * base.span_ms
        tag = f"{run_tag}{r}"
        octet = r % 256
        for event in base.events:
            if produced >= count:
                return
            yield perturb(event, tag, shift, octet)
            produced += 1


def iter_records(events: Iterator[dict[str, Any]]) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) Kafka records: key = account id, value = the event as JSON."""
    dumps = orjson.dumps
    for event in events:
        yield event["account_id"].encode(), dumps(event)


def write_jsonl(path: Path, events: Iterator[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("wb") as handle:
        for event in events:
            handle.write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
            n += 1
    return n


class LiveTraffic:
    """Endless now-stamped traffic: the base scenario replayed with fresh ids on every pass.

    ``next_record(now_ms)`` returns (event_id, key, value) with ``ts = now_ms``; account ages are kept,
    so young-account and tier signals behave as in the scenario while the event time is the wall time.
    Campaign and normal events are two streams (cycling with fresh ids per pass) mixed so that
    ``campaign_share`` of the events come from campaign accounts. Normal events keep scenario order;
    campaign accounts come in small cohorts (round-robin inside a cohort, each account's first requests
    in order), so new campaign accounts keep reaching the alerting threshold and alerts fire steadily
    during a short run at a few hundred events/s (alerts have a per-account cooldown).
    """

    def __init__(self, base: BaseTraffic, run_tag: str, campaign_share: float = 0.5) -> None:
        self.base = base
        self.run_tag = run_tag
        self.share = campaign_share if base.campaign_ids else 0.0
        campaign = _cohorts([e for e in base.events if e["account_id"] in base.campaign_ids])
        normal = [e for e in base.events if e["account_id"] not in base.campaign_ids]
        self._streams = [(normal or campaign, "n"), (campaign or normal, "c")]
        self._index = [0, 0]
        self._pass = [0, 0]
        self._count = 0
        self._campaign_count = 0

    def next_record(self, now_ms: int) -> tuple[str, bytes, bytes]:
        self._count += 1
        use_campaign = self._campaign_count < self.share * self._count
        which = 1 if use_campaign else 0
        self._campaign_count += which
        events, label = self._streams[which]
        event = events[self._index[which]]
        passes = self._pass[which]
        e = perturb(event, f"{self.run_tag}{label}{passes}", 0, passes % 256)
        e["ts"] = now_ms
        if event.get("account_created_ts") is not None:
            e["account_created_ts"] = now_ms - (event["ts"] - event["account_created_ts"])
        self._index[which] += 1
        if self._index[which] == len(events):
            self._index[which] = 0
            self._pass[which] += 1
        return e["event_id"], e["account_id"].encode(), orjson.dumps(e)


def _cohorts(events: list[dict[str, Any]], size: int = 8, per_account: int = 30) -> list[dict[str, Any]]:
    """Campaign events for steady alerting: accounts in cohorts of ``size``, round-robin inside a cohort,
    at most ``per_account`` requests each (in their order), cohort after cohort."""
    by_account: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_account.setdefault(event["account_id"], []).append(event)
    queues = [q[:per_account] for q in by_account.values()]
    out: list[dict[str, Any]] = []
    for start in range(0, len(queues), size):
        cohort = queues[start : start + size]
        for k in range(max(len(q) for q in cohort)):
            out.extend(q[k] for q in cohort if k < len(q))
    return out


def iter_dense(base: BaseTraffic, count: int, *, run_tag: str, per_ms: int = 5) -> Iterator[dict[str, Any]]:
    """``count`` live-style events (fresh ids per pass) at ``per_ms`` events per millisecond of event time."""
    traffic = LiveTraffic(base, run_tag)
    t0 = int(time.time() * 1000) - HOUR_MS - count // per_ms
    for i in range(count):
        yield orjson.loads(traffic.next_record(t0 + i // per_ms)[2])
