"""The operator's loop in the detection core: analysts' labels (allowlist / false positive suppress
medium+ alerts by event time, until expiry or until the evidence grows well beyond what was cleared;
denylist / confirmed abuse alert at critical and raise the campaign), verdicts, shadow mode, live
configuration updates, and ``replay --feedback``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.models.live_config import ConfigUpdateError, apply_update, config_version
from distillguard.schemas import RequestEvent, SuspicionEvent
from distillguard.schemas.feedback_event import FeedbackEvent
from distillguard.streams.cli import main
from tests.test_core import T0, coordinated_campaign, ordinary_users

MEDIUM = 2
# Severity bands for these tests, set between the ordinary users' scores (~0) and the campaign's, so
# they test what labels do, not how strongly the current fusion weights score the test campaign.
LOOP_FUSION = {"low": 0.1, "medium": 0.25, "high": 0.45, "critical": 0.9}
LOOP_CONFIG = DetectionConfig.model_validate({"fusion": LOOP_FUSION})


def loop_config(**sections: dict[str, Any]) -> DetectionConfig:
    """LOOP_CONFIG with more sections set."""
    return DetectionConfig.model_validate({"fusion": LOOP_FUSION, **sections})


def label(subject: str, kind: str, ts: int, *, expires_ts: int | None = None, n: int = 0) -> FeedbackEvent:
    subject_type, _, subject_id = subject.rpartition(":")
    return FeedbackEvent(
        feedback_id=f"fb-{subject}-{n}",
        ts=ts,
        subject_type=subject_type or "account",
        subject_id=subject_id,
        label=kind,
        expires_ts=expires_ts,
        analyst="an-7",
        note="reviewed the case",
    )


def run(
    events: list[RequestEvent],
    feedback: list[FeedbackEvent] = (),  # type: ignore[assignment]
    config: DetectionConfig | None = None,
) -> tuple[Detector, list[SuspicionEvent]]:
    """The events through a Detector, each label applied once the stream reaches its ts."""
    detector = Detector(config or LOOP_CONFIG)
    pending = sorted(feedback, key=lambda f: f.ts)
    alerts: list[SuspicionEvent] = []
    for event in events:
        while pending and pending[0].ts <= event.ts:
            detector.apply_feedback(pending.pop(0))
        alerts.extend(detector.process(event))
    return detector, alerts


def medium_plus(alerts: list[SuspicionEvent], account: str) -> list[SuspicionEvent]:
    return [a for a in alerts if a.account_id == account and a.severity.rank >= MEDIUM]


@pytest.fixture(scope="module")
def traffic() -> list[RequestEvent]:
    return sorted(coordinated_campaign(12, 12) + ordinary_users(6, 12), key=lambda e: e.ts)


@pytest.fixture(scope="module")
def baseline(traffic: list[RequestEvent]) -> list[SuspicionEvent]:
    _, alerts = run(traffic)
    assert medium_plus(alerts, "hydra-0"), "the campaign must alert without feedback (test premise)"
    return alerts


def test_an_allowlist_stops_medium_plus_alerts_from_its_ts_on_and_counts_them_as_suppressed(
    traffic: list[RequestEvent], baseline: list[SuspicionEvent]
) -> None:
    first = medium_plus(baseline, "hydra-0")[0]
    cut = first.ts + 1  # after the account's first medium+ alert
    # The evidence of a campaign account keeps growing after its first alert; a margin no score can
    # cross keeps this test on suppression (the override has its own test below).
    no_override = loop_config(feedback={"override_logit_margin": 50.0})
    detector, alerts = run(traffic, [label("account:hydra-0", "allowlist", cut)], no_override)
    _, unlabelled = run(traffic, config=no_override)
    kept = medium_plus(alerts, "hydra-0")
    assert kept and all(a.ts < cut for a in kept), "only the alerts stamped before the label remain"
    assert sum(detector.alerts.suppressed.values()) > 0
    # every other account alerts exactly as before
    others = [a for a in alerts if a.account_id != "hydra-0"]
    assert others == [a for a in unlabelled if a.account_id != "hydra-0"]
    verdict = detector.alerts.verdicts.get("hydra-0")
    assert verdict is not None and verdict.label == "allowlist"
    assert verdict.suppressed and verdict.action.value == "monitor"


def test_a_false_positive_label_expires(traffic: list[RequestEvent], baseline: list[SuspicionEvent]) -> None:
    expires = medium_plus(baseline, "hydra-1")[0].ts + 1  # just after its first medium+ alert
    _, alerts = run(traffic, [label("account:hydra-1", "false_positive", T0, expires_ts=expires)])
    flagged = medium_plus(alerts, "hydra-1")
    assert flagged, "it alerts again once the label has expired"
    assert all(a.ts >= expires for a in flagged)


def test_an_org_label_covers_its_accounts_and_the_account_label_wins(traffic: list[RequestEvent]) -> None:
    with_org = [e.model_copy(update={"org_id": "org-1"}) if e.account_id == "hydra-2" else e for e in traffic]
    _, alerts = run(with_org, [label("org:org-1", "allowlist", T0)])
    assert not medium_plus(alerts, "hydra-2")
    _, alerts = run(
        with_org, [label("org:org-1", "allowlist", T0), label("account:hydra-2", "denylist", T0, n=1)]
    )
    assert medium_plus(alerts, "hydra-2")[0].severity.value == "critical"


def test_evidence_well_beyond_what_was_cleared_alerts_again_and_says_so(traffic: list[RequestEvent]) -> None:
    config = loop_config(feedback={"override_logit_margin": 0.01, "proactive_baseline": "medium"})
    _, alerts = run(traffic, [label("account:hydra-3", "allowlist", T0)], config)
    flagged = medium_plus(alerts, "hydra-3")
    assert flagged, "a margin of 0.01 log-odds over medium is crossed by a flagged account"
    assert flagged[0].reasons[0].signal == "feedback_override"
    assert "cleared as allowlist" in flagged[0].reasons[0].detail
    # with the default margin the same account stays quiet
    _, quiet = run(traffic, [label("account:hydra-3", "allowlist", T0)])
    assert not medium_plus(quiet, "hydra-3")


def test_a_denylist_makes_the_next_request_alert_critical_with_the_label_as_a_reason(
    traffic: list[RequestEvent], baseline: list[SuspicionEvent]
) -> None:
    assert not medium_plus(baseline, "user-0"), "premise: an ordinary user"
    cut = traffic[len(traffic) // 2].ts
    detector, alerts = run(traffic, [label("account:user-0", "denylist", cut)])
    mine = [a for a in alerts if a.account_id == "user-0"]
    assert mine, "the next request of a denylisted account alerts"
    first = mine[0]
    assert first.ts >= cut and first.severity.value == "critical" and first.action.value == "block"
    assert first.reasons[0].signal == "analyst_label" and "denylist" in first.reasons[0].detail
    assert "reviewed the case" not in first.model_dump_json(), "analyst notes never reach alerts"
    assert detector.alerts.verdicts.get("user-0").severity.value == "critical"


def test_a_condemned_member_raises_the_rest_of_its_campaign(traffic: list[RequestEvent]) -> None:
    confirmed, alerts = run(traffic, [label("account:hydra-0", "confirmed_abuse", T0)])
    boosted = [a for a in alerts if any(r.signal == "campaign_label" for r in a.reasons)]
    assert boosted and all(a.account_id != "hydra-0" for a in boosted)
    assert all("hydra-0" in r.detail for a in boosted for r in a.reasons if r.signal == "campaign_label")
    assert len(confirmed.clusters.condemned) >= 1


def test_a_later_label_wins_and_an_older_one_arriving_late_changes_nothing() -> None:
    detector = Detector()
    assert detector.apply_feedback(label("account:a1", "allowlist", T0 + 10))
    assert not detector.apply_feedback(label("account:a1", "denylist", T0 + 5, n=1))
    assert detector.labels.get("account:a1").label.value == "allowlist"
    stored = b"".join(detector.labels.labels.values())
    assert b"reviewed the case" not in stored, "notes are not stored"


def test_shadow_mode_computes_the_same_alerts_but_only_monitors(
    traffic: list[RequestEvent], baseline: list[SuspicionEvent]
) -> None:
    shadow = loop_config(enforcement={"mode": "shadow"})
    _, alerts = run(traffic, config=shadow)
    assert [(a.account_id, a.severity, a.trigger_event_id) for a in alerts] == [
        (a.account_id, a.severity, a.trigger_event_id) for a in baseline
    ]
    assert {a.action.value for a in alerts} == {"monitor"}
    assert any(a.action.value != "monitor" for a in baseline)
    assert {a.config_version for a in alerts} == {config_version(shadow)}
    assert config_version(shadow) != baseline[0].config_version


def test_live_updates_merge_validate_and_refuse_state_shaping_sections() -> None:
    base = DetectionConfig()
    first = apply_update(base, {}, {"fusion": {"medium": 0.65}})
    second = apply_update(base, first.overrides, {"fusion": {"cooldown_minutes": 5}})
    assert second.config.fusion.medium == 0.65 and second.config.fusion.cooldown_minutes == 5
    assert len({config_version(base), first.version, second.version}) == 3
    with pytest.raises(ConfigUpdateError, match="cooldown_minutes"):
        apply_update(base, {}, {"fusion": {"cooldown_minutes": -1}})
    with pytest.raises(ConfigUpdateError, match="not changeable live"):
        apply_update(base, {}, {"traits": {"ew_alpha": 0.1}})
    with pytest.raises(ConfigUpdateError, match="unknown detection section"):
        apply_update(base, {}, {"fuson": {"medium": 0.7}})


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_replay_with_feedback_allowlisting_ten_accounts_at_the_first_event(tmp_path: Path) -> None:
    """`replay --feedback F` where F allowlists 10 accounts at the first event's ts: no medium+ alert
    for those 10, and the same alerts as without F for everyone else."""
    events = sorted(coordinated_campaign(20, 12) + ordinary_users(8, 12), key=lambda e: e.ts)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"".join(orjson.dumps(e.model_dump(exclude_none=True)) + b"\n" for e in events))
    settings = tmp_path / "settings.toml"
    settings.write_text("[detection.fusion]\n" + "".join(f"{k} = {v}\n" for k, v in LOOP_FUSION.items()))
    runner = CliRunner()
    plain = runner.invoke(
        main,
        ["replay", "--config", str(settings), "--input", str(source), "--output", str(tmp_path / "a0.jsonl")],
    )
    assert plain.exit_code == 0, plain.output
    before = _jsonl(tmp_path / "a0.jsonl")
    flagged = sorted({a["account_id"] for a in before if a["severity"] != "low"})
    assert len(flagged) >= 10, "premise: at least 10 accounts flagged medium+ without feedback"
    chosen = set(flagged[:10])
    feedback = tmp_path / "feedback.jsonl"
    for account in sorted(chosen):
        result = runner.invoke(
            main,
            ["feedback", "allowlist", account, "--ts", str(events[0].ts), "--analyst", "an-7",
             "--note", "known customer", "--out", str(feedback)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    assert len(_jsonl(feedback)) == 10
    with_fb = runner.invoke(
        main,
        ["replay", "--config", str(settings), "--input", str(source), "--output",
         str(tmp_path / "a1.jsonl"), "--feedback", str(feedback)],
    )  # fmt: skip
    assert with_fb.exit_code == 0, with_fb.output
    assert '"feedback_applied":10' in with_fb.output
    after = _jsonl(tmp_path / "a1.jsonl")
    assert not [a for a in after if a["account_id"] in chosen and a["severity"] != "low"]
    assert [a for a in after if a["account_id"] not in chosen] == [
        a for a in before if a["account_id"] not in chosen
    ]


def test_replay_refuses_an_invalid_feedback_file_naming_the_line(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_bytes(orjson.dumps(coordinated_campaign(1, 1)[0].model_dump(exclude_none=True)) + b"\n")
    bad = tmp_path / "feedback.jsonl"
    bad.write_bytes(b'{"feedback_id": "x", "label": "maybe"}\n')
    result = CliRunner().invoke(
        main,
        ["replay", "--input", str(source), "--output", str(tmp_path / "a.jsonl"), "--feedback", str(bad)],
    )
    assert result.exit_code != 0 and "feedback.jsonl:1" in result.output


def _logit(p: float) -> float:
    import math

    return math.log(p / (1 - p))


def test_the_calibration_starts_at_the_configured_fusion_and_a_handful_of_labels_cannot_swing_it() -> None:
    from distillguard.models.calibration import LabelCalibrator

    calibrator = LabelCalibrator(max_offset=1.0, max_slope_change=0.5, half_labels=50, learning_rate=0.5)
    assert calibrator.calibrate(0.8) == 0.8 and calibrator.uncalibrate(0.8) == 0.8
    for _ in range(5):
        calibrator.learn(0.8, abuse=False)
    trust = 5 / 55
    moved = abs(_logit(calibrator.calibrate(0.8)) - _logit(0.8))
    assert 0 < moved <= trust * 1.0 + trust * 0.5 * abs(_logit(0.8)) + 1e-9
    assert abs(calibrator.uncalibrate(calibrator.calibrate(0.8)) - 0.8) < 1e-9
    restored = LabelCalibrator.from_bytes(calibrator.to_bytes(), half_labels=50)
    assert restored.calibrate(0.8) == calibrator.calibrate(0.8)
    for _ in range(500):
        calibrator.learn(0.8, abuse=False)
    assert _logit(0.8) - _logit(calibrator.calibrate(0.8)) > moved, "many labels move it further"


def test_account_labels_train_the_calibration_only_when_it_is_on(traffic: list[RequestEvent]) -> None:
    flagged = sorted({a.account_id for a in run(traffic)[1] if a.severity.rank >= MEDIUM})
    late = traffic[-len(traffic) // 4].ts
    labels = [label(f"account:{a}", "false_positive", late, n=i) for i, a in enumerate(flagged)]
    off, _ = run(traffic, labels)
    assert "calibration:fused" not in off.labels.labels
    on, _ = run(traffic, labels, loop_config(feedback={"calibrate": True, "calibration_learning_rate": 0.5}))
    from distillguard.models.feedback import calibrator_for

    calibrator = calibrator_for(on.labels, on.config)
    assert calibrator.labels == len(flagged) and calibrator.calibrate(0.6) < 0.6


def test_the_simulated_analyst_labels_the_first_n_flagged_accounts(traffic: list[RequestEvent]) -> None:
    from distillguard.evaluation.feedback_eval import run_with_analyst

    events = [e.model_dump(exclude_none=True) for e in traffic]
    truth = {e.account_id: "campaign" if e.account_id.startswith("hydra") else "normal" for e in traffic}
    none = run_with_analyst(events, truth, LOOP_CONFIG, 0)
    five = run_with_analyst(events, truth, LOOP_CONFIG, 5)
    assert none["flagged"] >= 5 and none["unreviewed_flagged"] == none["flagged"]
    assert five["unreviewed_flagged"] == five["flagged"] - 5
    assert none["precision"] == 1.0 and five["recall"] >= none["recall"]


def test_a_challenger_runs_beside_the_live_config_and_counts_disagreements(tmp_path: Path) -> None:
    events = sorted(coordinated_campaign(12, 12) + ordinary_users(6, 12), key=lambda e: e.ts)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"".join(orjson.dumps(e.model_dump(exclude_none=True)) + b"\n" for e in events))
    settings = tmp_path / "settings.toml"
    settings.write_text("[detection.fusion]\n" + "".join(f"{k} = {v}\n" for k, v in LOOP_FUSION.items()))
    challenger = tmp_path / "challenger.toml"
    challenger.write_text("[fusion]\nmedium = 0.4\n")  # stricter than the live 0.25
    args = [
        "replay",
        "--config",
        str(settings),
        "--input",
        str(source),
        "--output",
        str(tmp_path / "live.jsonl"),
    ]
    plain = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "alone.jsonl")])
    with_challenger = CliRunner().invoke(
        main, [*args, "--challenger", str(challenger), "--challenger-output", str(tmp_path / "ch.jsonl")]
    )
    assert plain.exit_code == 0 and with_challenger.exit_code == 0, with_challenger.output
    live, challenged = _jsonl(tmp_path / "live.jsonl"), _jsonl(tmp_path / "ch.jsonl")
    assert live == _jsonl(tmp_path / "alone.jsonl") and challenged, "the challenger does not change live"
    summary = orjson.loads(with_challenger.output.strip().splitlines()[-1])
    assert summary["challenger_alerts"] == len(challenged)
    assert summary["disagreements"].get("live_only", 0) > 0, "medium 0.4 flags less than 0.25"
    assert {a["config_version"] for a in challenged} != {a["config_version"] for a in live}
    refused = tmp_path / "bad.toml"
    refused.write_text("[traits]\new_alpha = 0.1\n")
    bad = CliRunner().invoke(main, [*args, "--challenger", str(refused)])
    assert bad.exit_code != 0 and "not changeable live" in bad.output


def test_an_account_vouched_for_before_any_evidence_stays_quiet_until_its_label_expires(
    traffic: list[RequestEvent],
) -> None:
    """proactive_baseline 'never' (the default): however high the score, no override."""
    config = loop_config(feedback={"override_logit_margin": 0.01})
    _, alerts = run(traffic, [label("account:hydra-3", "allowlist", T0)], config)
    assert not medium_plus(alerts, "hydra-3")
    expires = traffic[len(traffic) // 2].ts
    _, alerts = run(traffic, [label("account:hydra-3", "allowlist", T0, expires_ts=expires)], config)
    assert medium_plus(alerts, "hydra-3") and all(a.ts >= expires for a in medium_plus(alerts, "hydra-3"))
