"""Every recorded fixture parses; request fixtures round-trip to the same JSON; responses keep unknowns."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cometgemini._types import (
    CountTokensResponse,
    GenerateContentRequest,
    GenerateContentResponse,
    Part,
    to_wire,
)
from tests._fixtures import fixture_names, fixture_path, load_json

RESPONSES = [n for n in fixture_names("generateContent_*.response.json")]
REQUESTS = [n for n in fixture_names("*generateContent*.request.json")]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


_FREE_FORM = {"args", "response", "parameters", "parametersJsonSchema", "responseSchema", "responseJsonSchema",
              "properties"}


def _normalize(value: Any, free: bool = False) -> Any:
    """Proto-JSON accepts snake_case; we always send camelCase. Compare with keys in camelCase,
    except inside free-form objects (schemas, function args) whose keys are data."""
    if isinstance(value, dict):
        return {(k if free else _camel(k)): _normalize(v, free or _camel(k) in _FREE_FORM) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v, free) for v in value]
    return value


def test_fixtures_are_present() -> None:
    assert len(RESPONSES) >= 10 and len(REQUESTS) >= 5


@pytest.mark.parametrize("name", RESPONSES)
def test_every_response_fixture_parses_and_round_trips(name: str) -> None:
    raw = load_json(name)
    parsed = GenerateContentResponse.model_validate(raw)
    assert parsed.model_dump(by_alias=True, exclude_unset=True, mode="json") == raw


@pytest.mark.parametrize("name", REQUESTS)
def test_every_request_fixture_round_trips(name: str) -> None:
    raw = load_json(name)
    parsed = GenerateContentRequest.model_validate(raw)
    assert to_wire(parsed) == _normalize(raw)


def test_snake_case_request_fields_are_read_and_sent_as_camel_case() -> None:
    raw = load_json("generateContent_thought_parts_includeThoughts.request.json")
    parsed = GenerateContentRequest.model_validate(raw)
    assert parsed.generation_config is not None
    assert parsed.generation_config.thinking_config is not None
    assert parsed.generation_config.thinking_config.include_thoughts is True
    assert "includeThoughts" in json.dumps(to_wire(parsed))


def test_thought_signature_text_is_kept_byte_for_byte() -> None:
    raw = load_json("streamGenerateContent_sse_functionCall_thoughtSignature_turn2_echo.request.json")
    parsed = GenerateContentRequest.model_validate(raw)
    sent = [p for c in raw["contents"] for p in c["parts"] if "thoughtSignature" in p]
    kept = [p.thought_signature for c in parsed.contents for p in c.parts if p.thought_signature]
    assert sent and kept == [p["thoughtSignature"] for p in sent]
    assert any("-" in s or "_" in s for s in kept)  # URL-safe base64 stays URL-safe


def test_unknown_fields_and_enum_values_are_accepted_and_kept() -> None:
    raw = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "hi", "newPartField": 1}]},
                        "finishReason": "SOMETHING_NEW_IN_2027", "brandNew": {"x": 1}}],
        "modelStatus": {"stage": "GA"},
        "surprise": True,
    }
    parsed = GenerateContentResponse.model_validate(raw)
    assert parsed.candidates[0].finish_reason == "SOMETHING_NEW_IN_2027"
    assert to_wire(parsed)["surprise"] is True
    assert to_wire(parsed)["candidates"][0]["brandNew"] == {"x": 1}


def test_missing_fields_default() -> None:
    parsed = GenerateContentResponse.model_validate(load_json(
        "generateContent_finishReason_MAX_TOKENS_no_parts_gemini-2.5-pro.response.json"))
    assert parsed.candidates[0].content.parts == []
    assert parsed.candidates[0].finish_reason == "MAX_TOKENS"
    assert parsed.text == ""


def test_blocked_prompt_has_no_candidates() -> None:
    parsed = GenerateContentResponse.model_validate(load_json(
        "generateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.response.json"))
    assert parsed.candidates == []
    assert parsed.prompt_feedback is not None
    assert parsed.prompt_feedback.block_reason == "PROHIBITED_CONTENT"


def test_text_leaves_out_thoughts() -> None:
    parsed = GenerateContentResponse.model_validate(load_json(
        "generateContent_thought_parts_includeThoughts_gemini-3-pro-preview.response.json"))
    thoughts = [p for p in parsed.candidates[0].content.parts if p.thought]
    assert thoughts
    assert all(t.text and t.text not in parsed.text for t in thoughts)


def test_usage_totals_include_thoughts_and_tool_use() -> None:
    parsed = GenerateContentResponse.model_validate(load_json(
        "generateContent_googleSearch_groundingMetadata_gemini-2.5-pro.response.json"))
    usage = parsed.usage_metadata
    assert usage is not None
    assert usage.total_token_count == (usage.prompt_token_count + usage.candidates_token_count
                                       + usage.thoughts_token_count + usage.tool_use_prompt_token_count)


def test_count_tokens_fixture_parses() -> None:
    parsed = CountTokensResponse.model_validate_json(fixture_path("countTokens_gemini-2.5-flash.response.json")
                                                     .read_bytes())
    assert parsed.total_tokens > 0


def test_schema_dicts_are_not_recased() -> None:
    part = Part.model_validate({"functionCall": {"name": "f", "args": {"snake_key": 1, "camelKey": 2}}})
    assert to_wire(part) == {"functionCall": {"name": "f", "args": {"snake_key": 1, "camelKey": 2}}}
