"""Built-in tools with functions in one request: the flag, the merge of tool configs, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from cometgemini._tool_combination import (
    apply_tool_combination,
    can_combine_tools,
    merge_tool_configs,
    parse_tool_config,
)
from cometgemini._types import GenerateContentRequest, ToolConfig, to_wire
from tests._fixtures import load_json

SEARCH_AND_FUNCTION = [{"googleSearch": {}}, {"functionDeclarations": [{"name": "calculator"}]}]


def _request(tools: list[dict[str, Any]], tool_config: dict[str, Any] | None = None) -> GenerateContentRequest:
    return GenerateContentRequest.model_validate(
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "tools": tools, "toolConfig": tool_config})


@pytest.mark.parametrize("built_in", ["googleSearch", "urlContext", "googleMaps", "codeExecution", "fileSearch"])
def test_gemini_3_gets_the_flag_for_every_built_in_next_to_functions(built_in: str) -> None:
    request = _request([{built_in: {}}, {"functionDeclarations": [{"name": "f"}]}])
    apply_tool_combination("gemini-3-flash-preview", request)
    assert to_wire(request)["toolConfig"] == {"includeServerSideToolInvocations": True}


def test_the_flag_joins_the_calling_mode_and_changes_nothing_else() -> None:
    request = _request(SEARCH_AND_FUNCTION, {"functionCallingConfig": {"mode": "ANY",
                                                                      "allowedFunctionNames": ["calculator"]}})
    apply_tool_combination("gemini-3-pro-preview", request)
    assert to_wire(request)["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["calculator"]},
        "includeServerSideToolInvocations": True}


def test_the_recorded_turn_1_requests_are_what_we_build() -> None:
    """What Google accepted: the flag, and the mode exactly as the caller gave it (none, ANY), not VALIDATED."""
    for name in ("generateContent_toolCombination_googleSearch_plus_function_gemini-3-flash-preview.turn1",
                 "generateContent_toolCombination_auto_googleSearch_plus_function_gemini-3-flash-preview.turn1"):
        recorded = load_json(f"{name}.request.json")
        mine = dict(recorded, toolConfig={k: v for k, v in recorded["toolConfig"].items()
                                          if k != "includeServerSideToolInvocations"} or None)
        request = GenerateContentRequest.model_validate(mine)
        apply_tool_combination("gemini-3-flash-preview", request)
        assert to_wire(request)["toolConfig"] == recorded["toolConfig"]


@pytest.mark.parametrize("tools", [[{"googleSearch": {}}], [{"functionDeclarations": [{"name": "f"}]}], []])
def test_no_flag_without_both_kinds(tools: list[dict[str, Any]]) -> None:
    request = _request(tools)
    apply_tool_combination("gemini-3-flash-preview", request)
    assert request.tool_config is None


def test_an_explicit_flag_is_kept_even_without_functions() -> None:
    request = _request([{"googleSearch": {}}], {"includeServerSideToolInvocations": True})
    apply_tool_combination("gemini-3-flash-preview", request)
    assert to_wire(request)["toolConfig"] == {"includeServerSideToolInvocations": True}


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.0-flash", "gemini-1.5-pro"])
def test_models_that_cannot_combine_are_refused_with_what_to_do(model: str) -> None:
    with pytest.raises(ValueError, match=rf"{model} cannot combine built-in tools \(googleSearch\) with function "
                                         r"declarations \(calculator\).*Gemini 3.*separate requests"):
        apply_tool_combination(model, _request(SEARCH_AND_FUNCTION))


def test_turning_the_flag_off_for_a_combination_is_refused() -> None:
    with pytest.raises(ValueError, match="include_server_side_tool_invocations=False"):
        apply_tool_combination("gemini-3-flash-preview",
                               _request(SEARCH_AND_FUNCTION, {"include_server_side_tool_invocations": False}))


def test_which_models_combine() -> None:
    assert can_combine_tools("gemini-3-flash-preview") and can_combine_tools("models/gemini-3.7-flash")
    assert can_combine_tools("gemini-3-pro-image-preview") and can_combine_tools("my-gateway-alias")
    assert not can_combine_tools("gemini-2.5-pro")


def test_merge_keeps_every_setting_and_the_later_one_wins() -> None:
    user = {"include_server_side_tool_invocations": True, "retrievalConfig": {"languageCode": "de"},
            "functionCallingConfig": {"allowedFunctionNames": ["a"]}}
    choice = ToolConfig.model_validate({"functionCallingConfig": {"mode": "ANY"}})
    merged = merge_tool_configs(None, user, choice)
    assert merged is not None and to_wire(merged) == {
        "functionCallingConfig": {"allowedFunctionNames": ["a"], "mode": "ANY"},
        "retrievalConfig": {"languageCode": "de"}, "includeServerSideToolInvocations": True}
    assert merge_tool_configs(None, {}) is None


def test_an_unknown_tool_config_key_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"unknown keys \['includeServerSideTools'\]"):
        parse_tool_config({"includeServerSideTools": True})
    with pytest.raises(ValueError, match="dict or a ToolConfig"):
        parse_tool_config("AUTO")  # type: ignore[arg-type]


def test_the_accumulated_recorded_stream_keeps_the_steps_in_order_with_their_signatures() -> None:
    from cometgemini._streaming import SSEDecoder, StreamAccumulator, StreamParser
    from tests._fixtures import fixture_path

    data = fixture_path("streamGenerateContent_sse_toolCombination_jsonSchema_googleSearch_gemini-3-flash-preview"
                        ".sse").read_bytes()
    decoder, parser, accumulator = SSEDecoder(), StreamParser(), StreamAccumulator()
    events = [parser.parse(payload) for payload in decoder.feed(data)]
    for event in events:
        accumulator.add(event)
    parser.finish(decoder.close())
    parts = accumulator.result().candidates[0].content.parts
    sent = [p for e in events for p in e.candidates[0].content.parts]
    assert [p for p in parts if p.tool_call or p.tool_response] == [p for p in sent if p.tool_call or p.tool_response]
    call, response, text, end = parts
    assert call.tool_call is not None and call.tool_call.tool_type == "GOOGLE_SEARCH_WEB" and call.thought_signature
    assert response.tool_response is not None and response.tool_response.id == call.tool_call.id
    assert response.thought_signature and len(response.thought_signature) > 40_000
    assert text.text == '{\n  "city": "Mexico City",\n  "country": "Mexico"\n} ' and end.thought_signature
    assert accumulator.result().candidates[0].grounding_metadata is not None
