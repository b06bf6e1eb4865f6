"""Two workers on four partitions flag what one worker flags, under the same campaign ids; a worker
killed halfway loses nothing.

The soft models (population anomaly model and benign reference in the account stage, burst sketch and
campaign linker in the cluster stage) are kept one per input partition (models.soft_state), so a
partition's records meet the same models in the same (offset) order whichever worker owns it, and they
are snapshotted to changelogged tables, so a partition that changes hands keeps them. The keyed state is
in changelogged tables. The whole ``small`` scenario (12,237 requests, every campaign family and every
normal class) runs through fresh topics with four partitions each: once through ONE worker (the
reference), once through TWO workers of one group (both ready, and the group stable with both owning
request partitions, before anything is produced), and once through two workers of which one is killed
(kill -9) after the first half, its partitions taken over by the other.

What is compared (:func:`assert_same_decisions`), and why that and no more. The shared-trait side chain
answers the account stage through two topic hops, so which request first sees a trait's evidence depends
on batch timing, in one worker as in two (README "How it works", step 4). This moves scores a little,
and with them which request triggers an alert: measured, two runs share only 8-34 % of their alert ids
(printed by each test), and the campaign id on an account's *last* medium+ alert, which depends on the
cluster (so the partition) of that alert's request, differed for 1-2 of 14 accounts in 3 of 8
two-worker runs. So:

* two workers: the same accounts flagged medium+ but for at most ``TIMING_TOLERANCE`` campaign
  accounts, never a normal one (exactly the same in 8 of 8 runs measured on a quiet machine; one
  campaign account differed in one run while a fusion fit loaded both cores);
* the campaign ids on medium+ alerts are the same set, and no account carries a campaign id the one
  worker did not give it (the same label for the same group, whichever worker computes it);
* ``replay`` (the Detector with four partitions) applies the side chain's evidence before the
  account's next request, earlier than a worker can: it loses no flagged account and flags no normal
  one, but may flag more campaign accounts (measured: 0 to 8 more in 5 runs);
* the killed-worker run loses no flagged account and flags no normal one beyond the reference: after
  the takeover, the orphaned partitions' backlog is processed in larger batches, which shifts the side
  chain's timing the most (measured: 0 to 7 more campaign accounts flagged in 6 runs).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka.admin import KafkaAdminClient

from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import iter_events, labels
from distillguard.models.detector import Detector
from distillguard.schemas.codec import decode_request
from distillguard.schemas.suspicion_event import Severity
from distillguard.streams.settings import load_settings
from tests.integration.helpers import (
    MEDIUM_RANK,
    WorkerConfig,
    WorkerProcess,
    medium_plus,
    produce_events,
    read_topic,
    running_worker,
    wait_drained,
    worker_topics,
)

# Out of `make test` (run with `pytest -m known_stall tests/integration/test_two_workers.py`).
# The stall that put them there is found and fixed (streams.faust_compat): it was not a fetch stall but a
# commit stall. Faust 0.15.3's recovery resumed the stream partitions before seeking and then emptied the
# agents' buffers, throwing away records fetched meanwhile; the partition's committed offset then stayed
# behind them for good (e.g. committed 1, acked 5..1023). And an internal topic created just before the
# group's first assignment could be left unassigned for 5 min. Measured on this 2-core host under a CPU
# hog: 0 stalls in 12 runs of this module after the fix (3 of 20 multi-worker runs stalled before).
# What still keeps them out of `make test`: assert_same_decisions fails most runs (the
# campaign-id set, or more than TIMING_TOLERANCE accounts, differs), while the one-worker reference
# itself moves between runs (14-16 accounts medium+, 2-4 campaign ids); not a stall, still open. Two runs
# on a frozen, unloaded tree: the two-worker test passed once and failed once on the per-account campaign
# ids; the killed-worker test failed once on the consumed count (8,888 + 3,321 of 12,237 events: a lead
# in README "Guarantees") and once on the campaign ids.
pytestmark = [pytest.mark.integration, pytest.mark.known_stall, pytest.mark.timeout(600)]

PARTITIONS = 4
GROUP_STABLE_TIMEOUT_S = 90.0
# A killed worker's partitions move once its session expires: keep that short (Faust reads these).
FAST_REJOIN = {"BROKER_SESSION_TIMEOUT": "6", "BROKER_HEARTBEAT_INTERVAL": "1.5"}


def scenario_events() -> list[dict[str, Any]]:
    """The whole ``small`` scenario, in timestamp order (what ``make demo`` streams)."""
    return list(iter_events(get_scenario("small")))


def last_campaigns(alerts: Iterable[dict[str, Any]]) -> dict[str, str | None]:
    """account → the campaign id on its last medium+ alert (by event time; on a tie, the higher
    severity), for every account with a medium+ alert."""
    last: dict[str, tuple[int, int, str | None]] = {}
    for alert in alerts:
        rank = Severity(alert["severity"]).rank
        if rank < MEDIUM_RANK:
            continue
        key = (alert["ts"], rank, alert.get("campaign_id"))
        if alert["account_id"] not in last or key[:2] > last[alert["account_id"]][:2]:
            last[alert["account_id"]] = key
    return {account: campaign for account, (_, _, campaign) in last.items()}


def offline_alerts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``replay`` (the Detector with the worker's partition count) alerts on ``events``."""
    settings = load_settings()
    detector = Detector(settings.detection, partitions=PARTITIONS)
    alerts: list[dict[str, Any]] = []
    for event in events:
        alerts.extend(
            a.model_dump(mode="json") for a in detector.process(decode_request(orjson.dumps(event)))
        )
    return alerts


def wait_group_stable(config: WorkerConfig, members: int, timeout: float = GROUP_STABLE_TIMEOUT_S) -> None:
    """Block until the worker group is Stable with ``members`` members that each own request
    partitions (so that nothing produced afterwards changes hands)."""
    deadline = time.monotonic() + timeout
    seen: Any = None
    while time.monotonic() < deadline:
        admin = KafkaAdminClient(bootstrap_servers=config.bootstrap, client_id="dg-it-group")
        try:
            group = admin.describe_groups([config.app_id])[config.app_id]
            owners = []
            for member in group["members"]:
                assigned = (member.get("member_assignment") or {}).get("assigned_partitions") or []
                owners.append(
                    sorted(p for a in assigned if a["topic"] == config.requests for p in a["partitions"])
                )
            seen = (group["group_state"], owners)
            if group["group_state"] == "Stable" and len(owners) == members and all(owners):
                assert sorted(p for o in owners for p in o) == list(range(config.partitions)), owners
                return
        finally:
            admin.close()
        time.sleep(1.0)
    raise AssertionError(f"group {config.app_id} not stable with {members} members: {seen}")


def events_consumed(worker: WorkerProcess) -> float:
    for line in worker.metrics().splitlines():
        if line.startswith("distillguard_events_total "):
            return float(line.split()[1])
    raise AssertionError("distillguard_events_total not in /metrics")


def run_workers(
    config: WorkerConfig, events: list[dict[str, Any]], workers: int, logs: Path
) -> tuple[list[dict[str, Any]], list[float]]:
    """Start ``workers`` workers of one group, wait until the group is stable, produce ``events``,
    wait until every stage has drained; returns the alerts and each worker's consumed requests."""
    with contextlib.ExitStack() as stack:
        started = [
            stack.enter_context(running_worker(config, logs / f"worker-{i}.log", wait_ready=False))
            for i in range(workers)
        ]
        for worker in started:
            worker.wait_ready()
        wait_group_stable(config, workers)
        produce_events(config.bootstrap, config.requests, events)
        wait_drained(config, started[0])
        for worker in started:
            assert worker.alive(), worker.log_tail()
        consumed = [events_consumed(worker) for worker in started]
        alerts = [orjson.loads(r.value) for r in read_topic(config.bootstrap, config.alerts)]
    return alerts, consumed


@dataclass
class Reference:
    """The one-worker run every multi-worker run is compared with."""

    events: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    truth: dict[str, dict[str, Any]]  # account → its label row (kind, family)

    @property
    def flagged(self) -> set[str]:
        return medium_plus(self.alerts)

    @property
    def campaigns(self) -> dict[str, str | None]:
        return last_campaigns(self.alerts)


@pytest.fixture(scope="module")
def one_worker(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    events = scenario_events()
    tmp = tmp_path_factory.mktemp("one")
    with worker_topics(kafka_bootstrap, tmp, partitions=PARTITIONS) as config:
        alerts, consumed = run_workers(config, events, 1, tmp)
    assert consumed == [len(events)]
    reference = Reference(events, alerts, {row["account_id"]: row for row in labels(get_scenario("small"))})
    assert len(reference.flagged) >= 10, "the scenario should flag campaign accounts"
    assert any(reference.campaigns.values()), "the scenario should link flagged accounts into campaigns"
    return reference


# Campaign accounts whose flag may differ between two runs through the side chain's timing (measured:
# 0 in 8 two-worker runs by the author, 1 in 1 of the next 2 runs on a loaded machine, a campaign account).
TIMING_TOLERANCE = 2


def campaign_labels(alerts: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """account → the campaign ids it carries on its medium+ alerts (accounts with none left out)."""
    carried: dict[str, set[str]] = {}
    for alert in alerts:
        if Severity(alert["severity"]).rank >= MEDIUM_RANK and alert.get("campaign_id"):
            carried.setdefault(alert["account_id"], set()).add(alert["campaign_id"])
    return carried


def assert_same_decisions(
    reference: Reference, alerts: list[dict[str, Any]], label: str, *, exact: bool = True
) -> None:
    """The decisions of ``alerts`` against the one-worker reference:

    * flagged medium+: the same accounts (``exact``), or at least the same ones and, beyond them, no
      normal account (not ``exact``: a restart may lose nothing and add no false positive, but a
      backlog shifts the shared-trait chain's timing, see the module docstring);
    * campaigns: the same campaign ids, and each account that carries ids in both runs carries the same
      ones (the same label for the same group, whichever worker computes it); not ``exact``: at least
      the same ids, overall and per account.
    """
    flagged, carried, ref_carried = (
        medium_plus(alerts),
        campaign_labels(alerts),
        campaign_labels(reference.alerts),
    )
    campaigns = last_campaigns(alerts)
    ids_one, ids_other = {a["alert_id"] for a in reference.alerts}, {a["alert_id"] for a in alerts}
    last_differ = sum(reference.campaigns[a] != campaigns.get(a) for a in reference.campaigns)
    print(
        f"\none worker: {len(reference.alerts)} alerts, {len(reference.flagged)} accounts medium+, "
        f"{len(set().union(*ref_carried.values()))} campaign ids; {label}: {len(alerts)} alerts, "
        f"{len(flagged)} medium+ ({len(flagged ^ reference.flagged)} differ), "
        f"{len(set().union(*carried.values()))} campaign ids; alert ids shared {len(ids_one & ids_other)} "
        f"of {len(ids_one | ids_other)}; campaign id on the last medium+ alert differs for {last_differ}"
    )
    if exact:
        # The same accounts, but for at most TIMING_TOLERANCE campaign accounts near the band that the
        # side chain's timing tips either way (never a normal account).
        differ = flagged ^ reference.flagged
        normal = {a for a in differ if reference.truth.get(a, {}).get("kind") != "campaign"}
        assert not normal, f"normal accounts flagged by only one of one worker / {label}: {sorted(normal)}"
        assert len(differ) <= TIMING_TOLERANCE, (
            f"flagged only by {label}: {sorted(flagged - reference.flagged)}, "
            f"only by one worker: {sorted(reference.flagged - flagged)}"
        )
    else:
        assert reference.flagged <= flagged, f"lost by {label}: {sorted(reference.flagged - flagged)}"
        extra = flagged - reference.flagged
        normal = {a for a in extra if reference.truth.get(a, {}).get("kind") != "campaign"}
        assert not normal, f"normal accounts flagged only by {label}: {sorted(normal)}"
    both = flagged & reference.flagged
    ids = set().union(*(ids for a, ids in carried.items() if not exact or a in both))
    ref_ids = set().union(*(ids for a, ids in ref_carried.items() if not exact or a in both))
    # a run that flags more accounts may link more campaigns, never fewer; exact: the accounts both
    # flag carry the same set of campaign ids
    assert ids == ref_ids if exact else ref_ids <= ids, (ref_carried, carried)
    # An account may carry several ids: a campaign is linked per partition of the cluster stage, and its
    # members' clusters can live on several. Not exact: a run that links more may add ids, keep all.
    conflicting = {
        account: (ref_carried[account], carried[account])
        for account in ref_carried.keys() & carried.keys()
        if (
            ref_carried[account] != carried[account]
            if exact
            else not ref_carried[account] <= carried[account]
        )
    }
    assert not conflicting, f"campaign ids (one worker, {label}) of the same account: {conflicting}"


def test_two_workers_flag_the_same_accounts_and_campaigns_as_one(
    kafka_bootstrap: str, one_worker: Reference, tmp_path: Path
) -> None:
    events = one_worker.events
    with worker_topics(kafka_bootstrap, tmp_path, partitions=PARTITIONS) as config:
        alerts, consumed = run_workers(config, events, 2, tmp_path)
    # Both workers did work (else the run would prove nothing).
    assert sum(consumed) == len(events) and min(consumed) > 0, consumed
    assert_same_decisions(one_worker, alerts, "two workers")
    # ... and replay (the Detector with the topics' partition count) loses none of them. It applies the
    # shared-trait evidence before the account's next request, earlier than any worker can, so it may
    # flag more campaign accounts (measured: 0 to 8 more in 5 runs), never a normal one.
    assert_same_decisions(one_worker, offline_alerts(events), "replay", exact=False)


def test_a_worker_killed_halfway_loses_nothing(
    kafka_bootstrap: str, one_worker: Reference, tmp_path: Path
) -> None:
    """Two workers share the first half of the scenario; one is killed (kill -9) once it has drained;
    the survivor takes its partitions over, restores their soft models from the snapshots in the
    changelogged models tables (written at the end of every batch here:
    ``worker.model_snapshot_interval_s = 0``) and processes the second half. Nothing the one worker
    flags may be lost, nothing normal added, and the campaign labels must agree (see the module
    docstring for why more accounts may be flagged)."""
    events = one_worker.events
    half = len(events) // 2
    every_batch = {"DISTILLGUARD_WORKER__MODEL_SNAPSHOT_INTERVAL_S": "0"}
    with worker_topics(
        kafka_bootstrap, tmp_path, partitions=PARTITIONS, **FAST_REJOIN, **every_batch
    ) as config:
        survivor = WorkerProcess(config, tmp_path / "survivor.log")
        victim = WorkerProcess(config, tmp_path / "victim.log")
        try:
            survivor.wait_ready()
            victim.wait_ready()
            wait_group_stable(config, 2)
            produce_events(config.bootstrap, config.requests, events[:half])
            wait_drained(config, survivor)
            before = events_consumed(victim)
            assert before > 0, "the victim should own partitions"
            assert metric(victim.metrics(), "distillguard_model_snapshots_total", stage="account") > 0
            victim.kill()
            produce_events(config.bootstrap, config.requests, events[half:])
            wait_drained(config, survivor)
            assert survivor.alive(), survivor.log_tail()
            text = survivor.metrics()
            # the survivor took the victim's partitions over (at least once: a redelivery is deduped)
            assert events_consumed(survivor) + before >= len(events)
            # the victim's partitions' models came from their snapshots
            assert metric(text, "distillguard_model_snapshots_restored_total", stage="account") >= 1
            assert metric(text, "distillguard_model_snapshots_restored_total", stage="cluster") >= 1
            alerts = [orjson.loads(r.value) for r in read_topic(config.bootstrap, config.alerts)]
        finally:
            victim.kill()
            survivor.stop()
    assert_same_decisions(one_worker, alerts, "two workers, one killed halfway", exact=False)


def metric(text: str, name: str, **labels: str) -> float:
    """A sample's value from the exposition ``text`` (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0
