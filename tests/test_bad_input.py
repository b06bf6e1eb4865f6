"""Hostile and broken input never crashes decoding or replay, and never loses a valid record.

Property-based (hypothesis) over arbitrary bytes, arbitrary JSON values and mutated valid events, plus
explicit cases for the classic ways to hurt a JSON consumer: huge records, deep nesting, invalid UTF-8,
non-finite numbers and timestamps outside the schema's range. No broker needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillguard.evaluation.scenarios import get_scenario
from distillguard.evaluation.simulator import iter_events, labels
from distillguard.models.detector import Detector
from distillguard.schemas.codec import DecodeError, decode_request
from distillguard.schemas.request_event import (
    MAX_EMBEDDING_ABS,
    MAX_EMBEDDING_DIMS,
    MAX_ID_CHARS,
    MAX_TOKENS,
    MAX_TS_MS,
    MIN_TS_MS,
    RequestEvent,
)
from distillguard.schemas.suspicion_event import SuspicionEvent
from distillguard.streams.replay import ReplayStats, replay_records

FIELDS = tuple(RequestEvent.model_fields)
REQUIRED = tuple(name for name, field in RequestEvent.model_fields.items() if field.is_required())
MAX_RECORD_BYTES = 1 << 20


def examples(n: int) -> settings:
    """``n`` examples, no per-example deadline (the first call builds the reference data)."""
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ------------------------------------------------------------------------------------------------
# Reference data: real simulated events (with real prompts) and what the detector makes of them
# ------------------------------------------------------------------------------------------------


@cache
def sample_events() -> tuple[dict[str, Any], ...]:
    """The first 100 requests of the 'small' scenario's cot_rubric campaign (they alert) plus 60
    requests of normal accounts, in time order."""
    scenario = get_scenario("small")
    family = {row["account_id"]: row["family"] for row in labels(scenario)}
    pivot: list[dict[str, Any]] = []
    normal: list[dict[str, Any]] = []
    for event in iter_events(scenario):
        kind = family[event["account_id"]]
        if kind == "cot_rubric" and len(pivot) < 100:
            pivot.append(event)
        elif kind in ("casual", "developer") and len(normal) < 60 and event.get("prompt"):
            normal.append(event)
        if len(pivot) >= 100 and len(normal) >= 60:
            break
    return tuple(sorted(pivot + normal, key=lambda e: e["ts"]))


@cache
def valid_records() -> tuple[bytes, ...]:
    return tuple(orjson.dumps(e) for e in sample_events())


@cache
def reference_alerts() -> tuple[bytes, ...]:
    alerts: list[bytes] = []
    stats = replay_records(
        ((raw, "ref") for raw in valid_records()), Detector(), lambda a, _k: alerts.append(a)
    )
    assert stats.dead_letters == 0 and alerts, "the reference events should be valid and alert"
    return tuple(alerts)


def alert_decisions(alerts: list[bytes] | tuple[bytes, ...]) -> list[tuple[str, str, str, str]]:
    """Who was alerted, on which request, how severely (the alert id covers all three).

    One outlier event is still one request: it may nudge shared statistics (a cluster's distinct
    accounts, a burst count), hence scores in the last digits, but not these decisions.
    """
    decoded = [orjson.loads(a) for a in alerts]
    return [(a["alert_id"], a["account_id"], a["trigger_event_id"], a["severity"]) for a in decoded]


def assert_safe_reason(exc: DecodeError, prompt: str | None = None) -> None:
    """A dead-letter reason is a short non-empty str and never echoes prompt text."""
    assert isinstance(exc.reason, str) and exc.reason.strip()
    assert exc.reason == str(exc)
    assert len(exc.reason) < 2000
    if prompt and len(prompt) >= 20:
        step = max(5, (len(prompt) - 19) // 400)  # at most ~400 windows, however long the prompt
        windows = {prompt[i : i + 20] for i in range(0, len(prompt) - 19, step)}
        leaked = [w for w in windows if w in exc.reason]
        assert not leaked, f"reason echoes prompt text: {exc.reason[:200]!r}"


def decode_or_reason(raw: bytes, prompt: str | None = None, **kwargs: Any) -> RequestEvent | None:
    """decode_request, which may only succeed or raise DecodeError (anything else fails the test)."""
    try:
        return decode_request(raw, **kwargs)
    except DecodeError as exc:
        assert_safe_reason(exc, prompt)
        return None


# ------------------------------------------------------------------------------------------------
# Strategies
# ------------------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
event_like_objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), json_values, max_size=12)


def dumps_loose(value: Any) -> bytes:
    """JSON as a sloppy producer writes it: big ints, NaN/Infinity literals, non-ASCII unescaped."""
    return json.dumps(value, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[dict[str, Any], bytes]:
    """A valid simulated event and its bytes after one hostile change: a field dropped, retyped or
    overwritten (with the event's own prompt text, too), the bytes cut, corrupted or stacked."""
    event = draw(st.sampled_from(sample_events()))
    kind = draw(st.sampled_from(["drop", "value", "prompt_elsewhere", "truncate", "flip", "insert", "stack"]))
    mutated = dict(event)
    if kind == "drop":
        mutated.pop(draw(st.sampled_from(sorted(mutated))), None)
    elif kind == "value":
        mutated[draw(st.sampled_from(FIELDS))] = draw(json_values)
    elif kind == "prompt_elsewhere":  # (not into "ip": see test_invalid_ip_reason_does_not_echo_the_value)
        mutated[draw(st.sampled_from([f for f in FIELDS if f not in ("prompt", "ip")]))] = (
            event.get("prompt") or "x"
        )
    raw = dumps_loose(mutated)
    if kind == "truncate":
        raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    elif kind in ("flip", "insert"):
        at = draw(st.integers(0, len(raw)))
        junk = draw(st.binary(min_size=1, max_size=8))
        raw = raw[:at] + junk + raw[at + (len(junk) if kind == "flip" else 0) :]
    elif kind == "stack":
        raw = raw + draw(st.sampled_from([b"", b"{}", b",", raw]))
    return event, raw


def _is_junk(raw: bytes) -> bool:
    try:
        decode_request(raw, max_bytes=MAX_RECORD_BYTES)
    except DecodeError:
        return True
    return False


junk_records = st.one_of(
    st.binary(max_size=300),
    json_values.map(dumps_loose),
    event_like_objects.map(dumps_loose),
    st.builds(lambda n: b"[" * n + b"]" * n, st.integers(1000, 5000)),
    mutated_events().map(lambda pair: pair[1]),
).filter(_is_junk)


# ------------------------------------------------------------------------------------------------
# Decoding properties
# ------------------------------------------------------------------------------------------------


@examples(700)
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_decode_error(raw: bytes) -> None:
    decode_or_reason(raw, max_bytes=MAX_RECORD_BYTES)


@examples(500)
@given(value=json_values | event_like_objects)
def test_arbitrary_json_values_only_raise_decode_error(value: Any) -> None:
    event = decode_or_reason(dumps_loose(value), max_bytes=MAX_RECORD_BYTES)
    if event is not None:  # rare, but then it must be a genuinely valid event
        assert MIN_TS_MS <= event.ts <= MAX_TS_MS


@examples(700)
@given(case=mutated_events())
def test_mutated_valid_events_only_raise_decode_error(case: tuple[dict[str, Any], bytes]) -> None:
    event, raw = case
    decoded = decode_or_reason(raw, prompt=event.get("prompt"), max_bytes=MAX_RECORD_BYTES)
    if decoded is not None:
        # Whatever survives validation must be processable by the detector core.
        for alert in Detector().process(decoded):
            SuspicionEvent.model_validate_json(alert.model_dump_json())


# ------------------------------------------------------------------------------------------------
# Valid but extreme events never crash the detector
# ------------------------------------------------------------------------------------------------

finite = st.floats(min_value=-MAX_EMBEDDING_ABS, max_value=MAX_EMBEDDING_ABS, allow_nan=False)
ids = st.text(min_size=1, max_size=MAX_ID_CHARS)
extreme_events = st.fixed_dictionaries(
    {
        "schema_version": st.just(1),
        "event_id": ids,
        "ts": st.integers(MIN_TS_MS, MAX_TS_MS),
        "account_id": st.sampled_from(["a", "b", "c"]) | ids,
        "ip": st.ip_addresses().map(str),
        "model": ids,
        "input_tokens": st.integers(0, MAX_TOKENS),
        "output_tokens": st.integers(0, MAX_TOKENS),
    },
    optional={
        "account_created_ts": st.integers(MIN_TS_MS, MAX_TS_MS),
        "account_tier": st.text(max_size=64),
        "payment_fingerprint": st.text(max_size=40),
        "asn": st.integers(0, 4_294_967_295),
        "asn_type": st.text(max_size=64),
        "country": st.from_regex(r"\A[A-Za-z]{2}\Z"),
        "user_agent": st.text(max_size=300),
        "prompt": st.text(max_size=3000),
        "system_prompt": st.text(max_size=300),
        "prompt_embedding": st.lists(finite, min_size=1, max_size=MAX_EMBEDDING_DIMS)
        | st.lists(st.sampled_from([0.0, -0.0, 5e-324, MAX_EMBEDDING_ABS, -MAX_EMBEDDING_ABS]), min_size=1),
        "conversation_turns": st.integers(0, 1_000_000),
        "tools": st.lists(st.text(max_size=MAX_ID_CHARS), max_size=20),
        "thinking": st.booleans(),
    },
)


@examples(250)
@given(events=st.lists(extreme_events, min_size=1, max_size=8))
def test_valid_extreme_events_never_crash_the_detector(events: list[dict[str, Any]]) -> None:
    detector = Detector()
    for event in events:
        try:
            raw = orjson.dumps(event)
        except orjson.JSONEncodeError:  # lone surrogates cannot be written as JSON at all
            continue
        decoded = decode_request(raw)  # valid by construction: any DecodeError here is a schema bug
        for alert in detector.process(decoded):
            assert isinstance(alert, SuspicionEvent)
            if decoded.prompt and len(decoded.prompt) >= 30:
                assert decoded.prompt not in alert.model_dump_json()


# ------------------------------------------------------------------------------------------------
# Replay: junk interleaved with valid records changes nothing but the dead letters
# ------------------------------------------------------------------------------------------------


def run_replay(
    records: list[tuple[bytes, str]],
) -> tuple[list[bytes], list[tuple[bytes, str, str]], ReplayStats]:
    alerts: list[bytes] = []
    dead: list[tuple[bytes, str, str]] = []
    stats = replay_records(
        records, Detector(), lambda encoded, _key: alerts.append(encoded),
        lambda raw, reason, source: dead.append((raw, reason, source)), max_record_bytes=MAX_RECORD_BYTES,
    )  # fmt: skip
    return alerts, dead, stats


@examples(60)
@given(insertions=st.lists(st.tuples(st.integers(0, 160), junk_records), max_size=12))
def test_junk_interleaved_with_valid_records_changes_nothing_but_dead_letters(
    insertions: list[tuple[int, bytes]],
) -> None:
    valid = valid_records()
    at: dict[int, list[bytes]] = {}
    for position, raw in insertions:
        at.setdefault(min(position, len(valid)), []).append(raw)
    stream: list[tuple[bytes, str]] = []
    junk: list[tuple[bytes, str]] = []
    for i in range(len(valid) + 1):
        for n, raw in enumerate(at.get(i, [])):
            junk.append((raw, f"junk:{i}:{n}"))
            stream.append(junk[-1])
        if i < len(valid):
            stream.append((valid[i], f"valid:{i}"))

    alerts, dead, stats = run_replay(stream)

    assert alerts == list(reference_alerts()), "junk records changed the alerts of the valid ones"
    assert [(raw, source) for raw, _reason, source in dead] == junk, "dead letters are not the junk, verbatim"
    assert all(reason.strip() for _raw, reason, _source in dead)
    assert stats.records == len(stream)
    assert stats.dead_letters == len(junk)
    assert stats.processed == len(valid)
    assert stats.duplicates == 0


# ------------------------------------------------------------------------------------------------
# Explicit cases
# ------------------------------------------------------------------------------------------------


def _event(**changes: Any) -> dict[str, Any]:
    base = dict(sample_events()[0])
    base.update(changes)
    return base


def _raises(raw: bytes, *, fragment: str | None = None, prompt: str | None = None, **kwargs: Any) -> str:
    with pytest.raises(DecodeError) as info:
        decode_request(raw, **kwargs)
    assert_safe_reason(info.value, prompt)
    if fragment is not None:
        assert fragment in info.value.reason, info.value.reason
    return info.value.reason


def test_huge_prompt_is_rejected_by_size_before_parsing() -> None:
    prompt = "Explain step by step, showing all your reasoning. " * 105_000  # ~5 MB
    raw = orjson.dumps(_event(prompt=prompt))
    assert len(raw) > 5_000_000
    with pytest.raises(DecodeError) as info:
        decode_request(raw, max_bytes=MAX_RECORD_BYTES)
    assert_safe_reason(info.value, prompt)
    assert "exceeds" in info.value.reason and str(len(raw)) in info.value.reason
    # The limit applies before parsing: an oversized record that is not even JSON is refused for its
    # size, not for its syntax (a parser run first would have said "malformed JSON").
    with pytest.raises(DecodeError) as info:
        decode_request(b"{" + b"x" * 5_000_000, max_bytes=MAX_RECORD_BYTES)
    assert "exceeds" in info.value.reason and "malformed" not in info.value.reason

    # Without a limit it is a valid event, and the detector reads only bounded windows of it.
    decoded = decode_request(raw)
    detector = Detector()
    assert detector.process(decoded) == []  # one request never alerts (min_events)
    assert detector.last_assessment is not None and detector.last_assessment.events_seen == 1

    alerts, dead, stats = run_replay([(raw, "huge"), *((r, "ok") for r in valid_records())])
    assert dead == [(raw, dead[0][1], "huge")] and stats.dead_letters == 1
    assert alerts == list(reference_alerts())


def _with_raw_field(name: str, literal: bytes) -> bytes:
    """A valid event with ``name`` set to a raw JSON literal (for values orjson would never write)."""
    return (
        orjson.dumps({k: v for k, v in _event().items() if k != name})[:-1]
        + b',"'
        + name.encode()
        + b'":'
        + literal
        + b"}"
    )


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: b"[" * 100_000 + b"]" * 100_000, id="100k-nested-lists"),
        pytest.param(lambda: b'{"a":' * 100_000 + b"1" + b"}" * 100_000, id="100k-nested-objects"),
        pytest.param(lambda: b"[" * 100_000, id="100k-unclosed-lists"),
        pytest.param(
            lambda: _with_raw_field("tools", b"[" * 100_000 + b"]" * 100_000), id="inside-a-valid-event"
        ),
        pytest.param(lambda: _with_raw_field("extra", b"[" * 1025 + b"]" * 1025), id="just-over-1024-levels"),
    ],
)
def test_deeply_nested_json_is_a_decode_error_not_a_recursion_error(build: Callable[[], bytes]) -> None:
    _raises(build())


def _with_bytes_in(name: str, invalid: bytes) -> bytes:
    """A valid event whose string field ``name`` holds the raw (invalid UTF-8) bytes ``invalid``."""
    return orjson.dumps(_event(**{name: "PLACEHOLDER"})).replace(b"PLACEHOLDER", invalid)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: b"\xff\xfe\x00{", id="bom-garbage"),
        pytest.param(lambda: _with_bytes_in("account_id", b"\xc3\x28"), id="bad-continuation"),
        pytest.param(lambda: _with_bytes_in("account_id", b"\xc0\xaf"), id="overlong"),
        pytest.param(lambda: _with_bytes_in("account_id", b"\xed\xa0\x80"), id="utf8-surrogate"),
        pytest.param(lambda: _with_bytes_in("model", b"\xf4\x90\x80\x80"), id="above-u10ffff"),
        pytest.param(lambda: _with_bytes_in("prompt", b"caf\xe9"), id="latin1-in-prompt"),
        pytest.param(lambda: _with_raw_field("prompt", b'"\\ud800"'), id="escaped-lone-surrogate"),
        pytest.param(lambda: orjson.dumps(_event())[:-1] + b',"k\xff":1}', id="bad-key"),
    ],
)
def test_invalid_utf8_is_a_decode_error(build: Callable[[], bytes]) -> None:
    _raises(build(), prompt=_event().get("prompt"))


@pytest.mark.parametrize(
    "literal",
    [b"[0.1,NaN,0.2]", b"[Infinity]", b"[-Infinity]", b"[1e400]", b"[-1e400]", b"[1e7]", b"[-1000001]",
     b"[]", b"[0.1,null]", b'[[0.1]]', b"[" + b",".join([b"0.5"] * (MAX_EMBEDDING_DIMS + 1)) + b"]",
     b"[123456789012345678901234567890]"],
)  # fmt: skip
def test_non_finite_and_out_of_range_embeddings_are_rejected(literal: bytes) -> None:
    _raises(_with_raw_field("prompt_embedding", literal))


def test_extreme_but_valid_embeddings_are_accepted() -> None:
    for embedding in ([MAX_EMBEDDING_ABS] * 8, [-MAX_EMBEDDING_ABS, 0.0, 5e-324], [0.0] * MAX_EMBEDDING_DIMS):
        event = decode_request(orjson.dumps(_event(prompt_embedding=embedding)))
        assert event.prompt_embedding is not None
        Detector().process(event)


@pytest.mark.parametrize(
    "literal",
    [str(MIN_TS_MS - 1).encode(), str(MAX_TS_MS + 1).encode(), b"0", b"-1", b"-9223372036854775808",
     b"18446744073709551616", b"1e30", b"4102444800001.0", b"1767225600000.5", b'"2026-01-01T00:00:00Z"',
     b"null", b"true", b"[1767225600000]", b"NaN", b"Infinity"],
)  # fmt: skip
def test_timestamps_outside_the_schema_range_are_rejected(literal: bytes) -> None:
    _raises(_with_raw_field("ts", literal))


def test_timestamps_at_the_schema_bounds_are_accepted() -> None:
    for ts in (MIN_TS_MS, MAX_TS_MS):
        assert decode_request(orjson.dumps(_event(ts=ts))).ts == ts


def _far(event_id: str, account_id: str, ts: int) -> bytes:
    """A valid request decades away from the reference stream (its own account, model, prompt and
    infrastructure: sharing a client or a card with reference accounts would be coordination evidence,
    which is not what these tests are about)."""
    event = _event(
        event_id=event_id, account_id=account_id, ts=ts, model="atlas-2-flash", prompt="unrelated words",
        ip="192.0.2.77", user_agent="far-client/1.0",
    )  # fmt: skip
    for shared in ("payment_fingerprint", "system_prompt", "tools", "account_created_ts", "org_id"):
        event.pop(shared, None)
    return orjson.dumps(event)


def test_one_far_past_event_does_not_change_other_accounts_alerts() -> None:
    records = [(raw, "ok") for raw in valid_records()]
    alerts, dead, stats = run_replay([(_far("far-past", "far-2", MIN_TS_MS), "past"), *records])
    assert not dead and stats.processed == len(records) + 1
    assert alerts == list(reference_alerts())


def test_one_far_future_event_does_not_wipe_other_accounts_state() -> None:
    records = [(raw, "ok") for raw in valid_records()]
    middle = len(records) // 2
    stream = [*records[:middle], (_far("far-future", "far-1", MAX_TS_MS), "future"), *records[middle:]]
    alerts, dead, stats = run_replay(stream)
    assert not dead and stats.processed == len(records) + 1
    assert alert_decisions(alerts) == alert_decisions(reference_alerts())


def test_far_timestamps_at_the_edges_of_the_stream_are_harmless() -> None:
    """The same outliers where they cannot act on anyone (a far-future request after everything else)."""
    records = [(raw, "ok") for raw in valid_records()]
    alerts, dead, _ = run_replay([*records, (_far("far-future", "far-1", MAX_TS_MS), "future")])
    assert not dead and alerts == list(reference_alerts())


def test_reasons_never_echo_prompt_text_for_any_single_field_error() -> None:
    """Every field set to the prompt text or to a wrong type: the reason names the field, not the text."""
    event = next(e for e in sample_events() if e.get("prompt") and len(e["prompt"]) > 80)
    prompt = event["prompt"]
    for name in FIELDS:
        for bad in (prompt, {"text": prompt}, [prompt], -1, 1e300):
            if name == "ip" and bad is prompt:
                continue  # see test_invalid_ip_reason_does_not_echo_the_value
            decode_or_reason(orjson.dumps({**event, name: bad}), prompt=prompt)


def test_invalid_ip_reason_does_not_echo_the_value() -> None:
    event = next(e for e in sample_events() if e.get("prompt") and len(e["prompt"]) > 80)
    reason = _raises(orjson.dumps({**event, "ip": event["prompt"]}), fragment="ip")
    assert event["prompt"][:20] not in reason


def test_required_fields_are_each_required() -> None:
    for name in REQUIRED:
        reason = _raises(orjson.dumps({k: v for k, v in _event().items() if k != name}))
        assert name in reason
