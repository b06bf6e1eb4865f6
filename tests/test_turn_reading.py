"""When the gateway sends no ``conversation_turns``, the turn is read from the input tokens: an API bills
the whole conversation as input, so a later turn's input is well beyond what the request shows."""

from __future__ import annotations

from distillguard.models.config import DetectionConfig
from distillguard.models.features import FeatureExtractor
from tests.test_core import event

PROMPT = "Prove that the square root of two is irrational, step by step."  # ~16 tokens


def _turns(**fields: object) -> int | None:
    return FeatureExtractor(DetectionConfig()).extract(event(0, "a", PROMPT, **fields)).conversation_turns


def test_a_reported_turn_is_used_as_sent() -> None:
    assert _turns(conversation_turns=5, input_tokens=20) == 5
    assert _turns(conversation_turns=1, input_tokens=4000) == 1


def test_without_a_reported_turn_the_input_tokens_tell_an_opening_from_a_later_turn() -> None:
    assert _turns(input_tokens=20) == 1  # what the prompt accounts for
    assert _turns(input_tokens=1500) == 2  # a history the request does not show
    # a system prompt and declared tools are input the request shows: still an opening
    system = "You are a careful assistant for a university mathematics department. " * 8
    assert _turns(input_tokens=200, system_prompt=system, tools=["search", "calculator"]) == 1


def test_a_request_read_as_an_opening_counts_towards_the_one_shot_share() -> None:
    extractor = FeatureExtractor(DetectionConfig())
    assert extractor.extract(event(0, "a", PROMPT, input_tokens=20)).opens_conversation
    assert not extractor.extract(event(1, "a", PROMPT, input_tokens=1500)).opens_conversation


def test_the_reading_is_dropped_when_a_gateways_input_tokens_never_carry_a_history() -> None:
    config = DetectionConfig.model_validate({"features": {"turn_reading_warmup": 10}})
    flat = FeatureExtractor(config)
    turns = [flat.extract(event(i, "a", PROMPT, input_tokens=20)).conversation_turns for i in range(12)]
    assert turns[:9] == [1] * 9 and turns[-1] is None  # every request an opening: the tokens say nothing
    mixed = FeatureExtractor(config)
    tokens = [20, 20, 20, 1500] * 4
    turns = [
        mixed.extract(event(i, "a", PROMPT, input_tokens=n)).conversation_turns for i, n in enumerate(tokens)
    ]
    assert turns[-4:] == [1, 1, 1, 2]
    off = DetectionConfig.model_validate({"features": {"read_turns_from_tokens": False}})
    assert FeatureExtractor(off).extract(event(0, "a", PROMPT, input_tokens=20)).conversation_turns is None
