"""The content-shift stress test misreads only the chosen requests of normal accounts, and with nothing
misread it replays exactly what the detector does."""

from __future__ import annotations

from pathlib import Path

import orjson

from distillguard.evaluation.content_shift import MisreadingExtractor, MisreadShare, replay_with_misreads
from distillguard.models.config import DetectionConfig
from distillguard.models.detector import Detector
from distillguard.models.features import FeatureExtractor
from distillguard.schemas import RequestEvent
from distillguard.schemas.codec import encode_alert, encode_request

T0 = 1_767_225_600_000


def _event(i: int, account: str, prompt: str, output_tokens: int = 900) -> RequestEvent:
    return RequestEvent(
        schema_version=1,
        event_id=f"{account}-{i}",
        ts=T0 + i * 45_000,
        account_id=account,
        ip=f"198.51.{i % 200}.7" if account.startswith("c") else "203.0.113.9",
        model="atlas-2-pro",
        input_tokens=40,
        output_tokens=output_tokens,
        prompt=prompt,
        conversation_turns=1,
    )


def _stream() -> list[RequestEvent]:
    events = []
    for i in range(40):
        events.append(_event(i, "n1", f"Plan a picnic for {i} friends near the river"))
        events.append(_event(i, "n2", f"Translate 'good morning number {i}' into French", output_tokens=20))
        events.append(_event(i, "c1", f"Solve {i} + {i * 7} = ? Show every step of your reasoning in full."))
    return events


def test_misreads_touch_only_the_chosen_accounts_requests() -> None:
    config = DetectionConfig()
    misreading = MisreadingExtractor(FeatureExtractor(config), ["n1"], MisreadShare(share=1.0), level=0.9)
    plain = FeatureExtractor(config)
    for event in _stream()[:30]:
        shifted, original = misreading.extract(event), plain.extract(event)
        if event.account_id == "n1":
            assert shifted.elicitation == 0.9 > original.elicitation
            assert shifted.grading == original.grading and shifted.cluster_id == original.cluster_id
        else:
            assert shifted == original
    assert misreading.misread_requests == 10


def test_with_nothing_misread_it_replays_what_the_detector_does(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(encode_request(e) + b"\n" for e in _stream()))
    labels = tmp_path / "labels.jsonl"
    rows = [
        {"account_id": "n1", "family": "casual", "kind": "normal"},
        {"account_id": "n2", "family": "casual", "kind": "normal"},
        {"account_id": "c1", "family": "hydra", "campaign_id": "k", "kind": "campaign"},
    ]
    labels.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    detector = Detector(DetectionConfig())
    expected = b"".join(encode_alert(a) + b"\n" for e in _stream() for a in detector.process(e))

    counts = replay_with_misreads(events, labels, tmp_path / "none.jsonl", MisreadShare(share=0.0))
    assert counts == {"records": 120, "alerts": expected.count(b"\n"), "misread_requests": 0}
    assert (tmp_path / "none.jsonl").read_bytes() == expected

    counts = replay_with_misreads(events, labels, tmp_path / "half.jsonl", MisreadShare(share=0.5, seed=1))
    assert 20 < counts["misread_requests"] < 60  # about half of the 80 normal requests


def test_named_reads_are_raised_and_unknown_reads_refused() -> None:
    config = DetectionConfig()
    reads = ("grading", "capability")
    misreading = MisreadingExtractor(FeatureExtractor(config), ["n2"], MisreadShare(share=1.0), 0.95, reads)
    plain = FeatureExtractor(config)
    for event in _stream()[:12]:
        shifted, original = misreading.extract(event), plain.extract(event)
        if event.account_id == "n2":
            assert shifted.grading == shifted.capability == 0.95
            assert shifted.elicitation == original.elicitation < 0.95
    try:
        MisreadingExtractor(FeatureExtractor(config), ["n2"], MisreadShare(share=1.0), reads=("tone",))
    except ValueError as error:
        assert "tone" in str(error)
    else:
        raise AssertionError("an unknown read was accepted")
