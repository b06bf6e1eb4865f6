"""Wire schemas: committed JSON Schema files match the models; decoding rules and errors."""

from __future__ import annotations

import orjson
import pytest

from distillguard.schemas import DecodeError, RequestEvent, SuspicionEvent, decode_request
from distillguard.schemas.generate import SCHEMA_DIR, SCHEMA_FILES, render

VALID = {
    "schema_version": 1,
    "event_id": "e-1",
    "ts": 1_767_225_600_000,
    "account_id": "acct-1",
    "ip": "2001:db8::7",
    "model": "atlas-2-pro",
    "input_tokens": 10,
    "output_tokens": 20,
}


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_committed_schema_files_match_models(name: str) -> None:
    committed = (SCHEMA_DIR / name).read_bytes()
    assert committed == render(SCHEMA_FILES[name]), f"schemas/{name} drifted: run `make schemas`"


def test_valid_event_decodes_and_unknown_fields_are_ignored() -> None:
    event = decode_request(orjson.dumps({**VALID, "brand_new_field": {"x": 1}}))
    assert isinstance(event, RequestEvent)
    assert event.ip == "2001:db8::7"
    assert not hasattr(event, "brand_new_field")


@pytest.mark.parametrize(
    ("mutation", "fragment"),
    [
        ({"input_tokens": -1}, "input_tokens"),
        ({"ip": "999.1.1.1"}, "ip"),
        ({"schema_version": 2}, "schema_version"),
        ({"ts": 99}, "ts"),
        ({"prompt_embedding": [0.1, 1e300]}, "prompt_embedding"),
        ({"country": "DEU"}, "country"),
    ],
)
def test_invalid_fields_give_a_reason_naming_the_field(mutation: dict, fragment: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_request(orjson.dumps({**VALID, **mutation}))
    assert fragment in info.value.reason


def test_missing_required_field_and_non_objects_are_rejected() -> None:
    incomplete = {k: v for k, v in VALID.items() if k != "account_id"}
    with pytest.raises(DecodeError, match="account_id"):
        decode_request(orjson.dumps(incomplete))
    with pytest.raises(DecodeError, match="JSON object"):
        decode_request(b"[1, 2, 3]")
    with pytest.raises(DecodeError, match="malformed JSON"):
        decode_request(b'{"schema_version": 1,')
    with pytest.raises(DecodeError, match="exceeds"):
        decode_request(b" " * 2048, max_bytes=1024)


def test_reason_does_not_echo_prompt_text() -> None:
    secret = "very secret prompt text that must never be logged"
    with pytest.raises(DecodeError) as info:
        decode_request(orjson.dumps({**VALID, "prompt": secret, "output_tokens": "many"}))
    assert secret not in info.value.reason


def test_alert_schema_forbids_extra_fields() -> None:
    with pytest.raises(ValueError):
        SuspicionEvent.model_validate({"alert_id": "a", "prompt": "leak"})


def test_ipv4_fast_path_accepts_exactly_what_ipaddress_returns_unchanged() -> None:
    import ipaddress
    import random

    from distillguard.schemas.request_event import _CANONICAL_IPV4

    rng = random.Random(5)
    candidates = ["1.2.3.4", "01.2.3.4", "256.1.1.1", "1.2.3", "0.0.0.0", "1.2.3.4\n", "1.2.3.04"]
    candidates.append("\u0661.2.3.4")  # a non-ASCII digit
    for _ in range(20_000):
        parts = rng.choice([3, 4, 4, 4, 5])
        candidates.append(".".join(rng.choice(["0", "00", "7", "255", "256", "099", str(rng.randrange(999))])
                                   for _ in range(parts)))  # fmt: skip
    for text in candidates:
        try:
            canonical = str(ipaddress.ip_address(text)) == text
        except ValueError:
            canonical = False
        assert bool(_CANONICAL_IPV4.match(text)) == canonical, text
