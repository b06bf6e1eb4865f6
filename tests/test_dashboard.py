"""The committed Grafana dashboard only charts metrics the worker exports, and compose provisions it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from distillguard.streams.app import create_app
from distillguard.streams.settings import Settings

DOCKER = Path(__file__).resolve().parents[1] / "docker"
DASHBOARD = DOCKER / "grafana" / "dashboards" / "distillguard.json"


def test_every_dashboard_metric_is_exported_by_the_worker(tmp_path: Any) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {re.sub(r"_total$", "", m) for e in exprs for m in re.findall(r"distillguard_[a-z_]+", e)}
    topology = create_app(Settings(worker={"data_dir": tmp_path, "app_id": "dg-dashboard-test"}))
    exported = {family.name for family in topology.metrics.registry.collect()}
    assert used, "the dashboard charts distillguard metrics"
    assert used <= exported, f"charted but not exported: {sorted(used - exported)}"
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for topic in (
        "throughput",
        "lag",
        "severity",
        "action",
        "suppressed",
        "dead letters",
        "recovery",
        "campaigns by size",
    ):
        assert topic in titles


def test_compose_provisions_grafana_with_the_dashboard() -> None:
    compose = (DOCKER / "compose.yaml").read_text()
    assert "grafana/grafana" in compose and "./grafana/dashboards:/var/lib/grafana/dashboards" in compose
    provider = (DOCKER / "grafana" / "provisioning" / "dashboards" / "distillguard.yaml").read_text()
    assert "/var/lib/grafana/dashboards" in provider


def test_campaign_sizes_count_linked_groups_from_the_minimum_size() -> None:
    from distillguard.models.campaigns import CampaignLinker
    from distillguard.models.config import CampaignConfig
    from distillguard.streams.control import campaign_size_bucket

    linker = CampaignLinker(CampaignConfig())
    for i in range(6):
        linker.link(f"a{i}", ["ip24:198.51.100"], 1_767_225_600_000 + i)
    linker.link("loner", ["ip24:203.0.113"], 1_767_225_600_100)
    assert linker.campaign_sizes() == [6]
    assert campaign_size_bucket(6) == "5-19"
