"""The recovery and commit settings (issue #15) reach Faust, and inconsistent ones are refused."""

from __future__ import annotations

import pytest

from distillguard.streams.app_config import faust_app
from distillguard.streams.settings import ConfigError, load_settings


def test_recovery_settings_reach_the_faust_app(tmp_path: object) -> None:
    settings = load_settings(
        worker={
            "app_id": "dg-settings-test",
            "group_instance_id": "worker-a",
            "session_timeout_s": 12,
            "heartbeat_interval_s": 2,
            "commit_interval_s": 0.5,
        }
    )
    conf = faust_app(settings).conf
    assert conf.consumer_group_instance_id == "worker-a"
    assert conf.broker_session_timeout == 12
    assert conf.broker_heartbeat_interval == 2
    assert conf.broker_commit_interval == 0.5


def test_defaults_rejoin_fast_without_static_membership() -> None:
    worker = load_settings().worker
    assert worker.group_instance_id is None
    assert worker.session_timeout_s == 10 and worker.heartbeat_interval_s == 1
    assert worker.commit_interval_s == 1


def test_a_heartbeat_slower_than_a_third_of_the_session_is_refused() -> None:
    with pytest.raises(ConfigError, match="heartbeat_interval_s"):
        load_settings(worker={"session_timeout_s": 6, "heartbeat_interval_s": 3})
