"""The optimised account-state bookkeeping behaves exactly like its straightforward form."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.models.account_state import AccountLayout, AccountState
from distillguard.models.config import AccountConfig

_LAYOUT = AccountLayout(AccountConfig())
_KEYS = st.integers(min_value=0, max_value=6)  # few values: zeros, repeats and overwrites are common


def reference_remember_template(templates: list[int], cursor: int, keys: tuple[int, ...]) -> tuple[bool, int]:
    repeated = any(key and key in templates for key in keys)
    for key in keys:
        if key and key not in templates:
            templates[cursor] = key
            cursor = (cursor + 1) % len(templates)
    return bool(repeated), cursor


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_KEYS, min_size=_LAYOUT.templates, max_size=_LAYOUT.templates),
    st.integers(min_value=0, max_value=_LAYOUT.templates - 1),
    st.lists(st.tuples(_KEYS, _KEYS, _KEYS, _KEYS), max_size=20),
)
def test_template_ring_matches_the_reference(ring: list[int], cursor: int, requests: list) -> None:
    state = AccountState.new(_LAYOUT)
    state.templates, state.template_cursor = list(ring), cursor
    expected_ring, expected_cursor = list(ring), cursor
    for keys in requests:
        expected, expected_cursor = reference_remember_template(expected_ring, expected_cursor, keys)
        assert state._remember_template(keys) == expected
        assert state.templates == expected_ring and state.template_cursor == expected_cursor


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=24, max_size=24))
def test_hour_flatness_matches_the_reference(hours: list[int]) -> None:
    state = AccountState.new(_LAYOUT)
    state.hours = hours
    total = sum(hours)
    expected = 0.0
    if total >= 24:
        expected = -sum((c / total) * math.log(c / total) for c in hours if c) / math.log(24)
    assert state.hour_flatness() == expected
