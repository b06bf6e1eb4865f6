"""``make demo``: a real broker, a real worker, simulated traffic with coordinated campaigns, alerts live.

Each run uses fresh topic names and a fresh app id (consumer group, tables, changelogs), so runs never
see each other's data. The demo fails (non-zero exit) unless campaign accounts are alerted and no
normal account is: it is a check, not only a show.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import orjson

from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import iter_events, labels
from distillguard.schemas.suspicion_event import Severity
from distillguard.streams.broker.local import ensure_broker
from distillguard.streams.kafka_io import produce, tail
from distillguard.streams.settings import load_settings
from distillguard.streams.topic_limits import create_project_topics

ENFORCEMENT_RANK = Severity.MEDIUM.rank
QUIET_SECONDS = 20.0
WORKER_READY_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 300.0


def _say(message: str) -> None:
    print(message, flush=True)


def _wait_ready(port: int, worker: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited with code {worker.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if orjson.loads(response.read()).get("ready"):
                    return
        except OSError:
            pass
        time.sleep(1.0)
    raise TimeoutError(f"worker not ready after {timeout:.0f}s")


def _format_alert(alert: dict, family: str) -> str:
    top = ", ".join(f"{r['signal']}={r['value']:.2f}" for r in alert["reasons"][:3])
    campaign = (
        f" campaign {alert['campaign_id']} ({alert['campaign_size']} accts)" if alert["campaign_id"] else ""
    )
    return (
        f"  ALERT {alert['severity']:<8} {alert['action']:<8} {alert['account_id']:<22}"
        f" score {alert['score']:.3f} after {alert['events_seen']:>3} requests [{top}]{campaign}"
        f"  (truth: {family})"
    )


def run_demo(scenario_name: str = "small", *, keep_broker: bool = False) -> int:
    scenario = get_scenario("small" if scenario_name == "demo" else scenario_name)
    run_id = time.strftime("%Y%m%d%H%M%S")
    env_overrides = {
        "DISTILLGUARD_TOPICS__REQUESTS": f"demo-{run_id}.requests",
        "DISTILLGUARD_TOPICS__ALERTS": f"demo-{run_id}.alerts",
        "DISTILLGUARD_TOPICS__DEAD_LETTER": f"demo-{run_id}.dlq",
        "DISTILLGUARD_TOPICS__CLUSTER_REPARTITION": f"demo-{run_id}.observations-by-cluster",
        "DISTILLGUARD_WORKER__APP_ID": f"distillguard-demo-{run_id}",
        "DISTILLGUARD_WORKER__DATA_DIR": f".distillguard/demo-{run_id}",
        "DISTILLGUARD_WORKER__WEB_PORT": os.environ.get("DISTILLGUARD_DEMO_WEB_PORT", "6067"),
        "DISTILLGUARD_WORKER__LOG_LEVEL": "WARNING",
    }
    _say("distillguard demo: starting the local Kafka 3.9 broker (KRaft, loopback) ...")
    bootstrap, started_broker = ensure_broker()
    env = {**os.environ, **env_overrides, "KAFKA_BOOTSTRAP": bootstrap}
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DISTILLGUARD_", "KAFKA_BOOTSTRAP"))})
    settings = load_settings()
    topics = settings.topics
    create_project_topics(settings)  # the request and dead-letter topics with their size limits
    worker_log = Path(settings.worker.data_dir) / "worker.log"
    worker_log.parent.mkdir(parents=True, exist_ok=True)
    _say(f"broker at {bootstrap}; starting a worker (log: {worker_log}) ...")
    log_handle = worker_log.open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "distillguard.streams.cli", "worker"],
        env=env,
        stdout=log_handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_ready(settings.worker.web_port, worker, WORKER_READY_TIMEOUT_S)
        truth = {row["account_id"]: row for row in labels(scenario)}
        families = Counter(row["family"] for row in truth.values())
        _say(
            f"worker ready. streaming scenario '{scenario.name}': {len(truth)} accounts "
            f"({', '.join(f'{n} {f}' for f, n in sorted(families.items()))})"
        )
        events = [(e["account_id"], orjson.dumps(e)) for e in iter_events(scenario)]
        consumer = tail(settings, topics.alerts)
        produced = produce(settings, topics.requests, events)
        _say(f"produced {produced:,} request events to {topics.requests}; alerts as they arrive:")
        flagged: dict[str, int] = {}
        last_alert = time.monotonic()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() - last_alert < QUIET_SECONDS and time.monotonic() < deadline:
            for message in consumer:
                alert = orjson.loads(message.value)
                family = truth.get(alert["account_id"], {}).get("family", "?")
                rank = Severity(alert["severity"]).rank
                flagged[alert["account_id"]] = max(rank, flagged.get(alert["account_id"], 0))
                _say(_format_alert(alert, family))
                last_alert = time.monotonic()
        consumer.close()
        return _summarise(truth, flagged)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log_handle.close()
        if started_broker is not None and not keep_broker:
            started_broker.stop()
            _say("broker stopped.")


def _summarise(truth: dict[str, dict], flagged: dict[str, int]) -> int:
    enforced = {a for a, rank in flagged.items() if rank >= ENFORCEMENT_RANK}
    _say("\nsummary (medium+ = enforcement-grade):")
    by_family: dict[str, list[str]] = {}
    for account, row in truth.items():
        by_family.setdefault(row["family"], []).append(account)
    normal_hits = 0
    campaign_hits = 0
    for family, accounts in sorted(by_family.items()):
        kind = truth[accounts[0]]["kind"]
        hits = sum(a in enforced for a in accounts)
        low_only = sum(a in flagged and a not in enforced for a in accounts)
        if kind == "normal":
            normal_hits += hits
        else:
            campaign_hits += hits
        _say(
            f"  {kind:<8} {family:<16} {hits:>4}/{len(accounts):<4} flagged"
            + (f"  ({low_only} low-severity only)" if low_only else "")
        )
    ok = campaign_hits > 0 and normal_hits == 0
    _say("\nRESULT: " + ("campaign caught, no normal account flagged" if ok else "FAILED expectations"))
    return 0 if ok else 1
