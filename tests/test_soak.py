"""Bounded resources under an attacker who rotates through a million account ids (``pytest -m soak``)."""

from __future__ import annotations

import resource

import pytest

from distillguard.models.config import AccountConfig, CampaignConfig, DetectionConfig
from distillguard.models.detector import Detector
from distillguard.schemas import RequestEvent

T0 = 1_767_225_600_000
ACCOUNTS = 1_000_000
CAP = 200_000


@pytest.mark.soak
def test_a_million_rotating_accounts_stay_within_the_caps() -> None:
    config = DetectionConfig(
        account=AccountConfig(max_accounts=CAP), campaign=CampaignConfig(max_tracked_accounts=CAP)
    )
    detector = Detector(config)
    rss_at: dict[int, int] = {}
    for i in range(ACCOUNTS):
        event = RequestEvent(
            schema_version=1,
            event_id=f"e{i}",
            ts=T0 + i,
            account_id=f"rot-{i}",
            ip=f"10.{i % 250}.{i % 199}.1",
            model="atlas-2-pro",
            input_tokens=10,
            output_tokens=10,
            prompt=f"solve {i} step by step: x+{i}=0",
            account_created_ts=T0 - 86_400_000,
            account_tier="free",
            asn_type="proxy",
        )
        detector.process(event)
        if (i + 1) % 250_000 == 0:
            rss_at[i + 1] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    assert detector.accounts.tracked_accounts <= CAP
    assert len(detector.accounts.accounts) <= CAP
    assert len(detector.clusters.linker) <= CAP
    # Once the cap is reached, memory stops growing with new accounts (allow 10% allocator noise).
    assert rss_at[ACCOUNTS] <= rss_at[500_000] * 1.10, rss_at
