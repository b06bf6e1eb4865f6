"""IP-intelligence vendors name network types differently; the detector reads the common spellings."""

from __future__ import annotations

import pytest

from distillguard.models.config import DetectionConfig
from distillguard.models.features import FeatureExtractor
from tests.test_core import event

CHAT = "What should I cook tonight with rice and beans?"


@pytest.mark.parametrize(
    ("asn_type", "proxy", "located"),
    [
        ("hosting", True, False),
        ("Data Center", True, False),
        ("DCH", True, False),
        ("VPN", True, False),
        ("tor", True, False),
        ("isp", False, True),
        ("Residential", False, True),
        ("cellular", False, True),
        ("business", False, False),
        ("education", False, False),
        (None, False, False),
    ],
)
def test_a_network_type_is_read_whatever_the_vendors_spelling(
    asn_type: str | None, proxy: bool, located: bool
) -> None:
    features = FeatureExtractor(DetectionConfig()).extract(
        event(0, "a", CHAT, asn_type=asn_type, country="de")
    )
    assert features.proxy_network is proxy
    assert (features.located_country == "DE") is located
