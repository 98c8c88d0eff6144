"""Gemini 3 tool combination in LangChain: built-in tools next to functions, replayed from the recordings.

Turn 1's recorded answer becomes the AIMessage; the turn-2 request we then build carries exactly the recorded
turn-2 contents (signature encoding and ``tool_type`` casing aside: the same bytes and the same field to the
API), after the history went through ``messages_to_dict``, JSON, pickle and ``dumps``/``loads``.
"""

from __future__ import annotations

import copy
import itertools
import json
import pickle
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.load import dumpd, dumps, loads
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    messages_from_dict,
    messages_to_dict,
)
from langchain_core.tools import tool

from cometgemini._streaming import StreamAccumulator
from cometgemini._types import GenerateContentResponse, to_wire
from langchain_cometgemini._messages import StreamConverter, chat_result, to_contents
from tests._fixtures import fixture_path, load_json
from tests._replay import CityLocation, as_sent, contents_as_sent, recorded
from tests.langchain._mock import Recorder, make_llm, text_response

SEARCH = {"google_search": {}}
pytestmark = pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression."""
    return "4"


@tool
def get_user_country() -> str:
    """The user's country."""
    return "Mexico"


@tool
def final_result(city: str, country: str) -> str:
    """The final response which ends this conversation."""
    return city


def round_trips(messages: list[BaseMessage]) -> list[BaseMessage]:
    """Through ``messages_to_dict`` + JSON, pickle, and LangChain's own ``dumps``/``loads``."""
    messages = messages_from_dict(json.loads(json.dumps(messages_to_dict(messages))))
    messages = pickle.loads(pickle.dumps(messages))
    return list(loads(dumps(messages), allowed_objects="messages"))


def steps(message: BaseMessage) -> list[dict[str, Any]]:
    return [b for b in message.content if isinstance(b, dict)
            and b.get("type") in ("server_tool_call", "server_tool_result")]


def replayed(message: BaseMessage) -> list[dict[str, Any]]:
    _, contents = to_contents([HumanMessage("q"), message])
    return [to_wire(p) for p in contents[1].parts] if len(contents) > 1 else []


# ------------------------------------------------------------------------------------------ the recordings


@pytest.mark.parametrize("version", ["v0", "v1"])
def test_search_plus_function_exchange_replays_part_for_part(version: str) -> None:
    request1 = recorded("googleSearch_plus_function", "turn1.request")
    request2 = recorded("googleSearch_plus_function", "turn2.request")
    answer1 = recorded("googleSearch_plus_function", "turn1.response")
    rec = Recorder().json(answer1).json(recorded("googleSearch_plus_function", "turn2.response"))
    llm = make_llm(rec, output_version=version).bind_tools([calculator, SEARCH])
    prompt = request1["contents"][0]["parts"][0]["text"]

    first = llm.invoke(prompt)
    assert rec.body["toolConfig"] == request1["toolConfig"] == {"includeServerSideToolInvocations": True}
    assert [(c["name"], c["id"], c["args"]) for c in first.tool_calls] == [("calculator", "oqeiriep",
                                                                           {"expression": "2+2"})]
    call, result = steps(first)
    assert call["name"] == "web_search" and call["args"] == {"queries": ["current weather in Tokyo"]}
    assert result["tool_call_id"] == call["id"] == "93z4z1x3" and "search_suggestions" in result["output"]
    assert call["extras"]["tool_type"] == "GOOGLE_SEARCH_WEB" and call["extras"]["function_calls_before"] == 1

    history = round_trips([HumanMessage(prompt), first, ToolMessage('{"return_value": "4"}',
                                                                    tool_call_id="oqeiriep")])
    second = llm.invoke(history)
    assert contents_as_sent(rec.body["contents"]) == contents_as_sent(request2["contents"])
    assert as_sent(replayed(history[1])) == as_sent(answer1["candidates"][0]["content"]["parts"])
    assert second.text.startswith("2 + 2 is **4**")


def test_auto_exchange_steps_come_before_the_final_call() -> None:
    request1 = recorded("auto_googleSearch_plus_function", "turn1.request")
    request2 = recorded("auto_googleSearch_plus_function", "turn2.request")
    answer2 = recorded("auto_googleSearch_plus_function", "turn2.response")
    rec = Recorder().json(recorded("auto_googleSearch_plus_function", "turn1.response")).json(answer2)
    llm = make_llm(rec).bind_tools([get_user_country, final_result, SEARCH],
                                   tool_choice=["get_user_country", "final_result"])
    prompt = request1["contents"][0]["parts"][0]["text"]
    first = llm.invoke(prompt)
    assert rec.body["toolConfig"] == request1["toolConfig"]  # ANY with names, and the flag: as Google took it
    history = round_trips([HumanMessage(prompt), first,
                           ToolMessage('{"return_value": "Mexico"}', tool_call_id=first.tool_calls[0]["id"])])
    second = llm.invoke(history)
    assert contents_as_sent(rec.body["contents"]) == contents_as_sent(request2["contents"])
    assert [c["name"] for c in second.tool_calls] == ["final_result"]  # only the functions the user runs
    assert [b["type"] for b in steps(second)] == ["server_tool_call", "server_tool_result"]
    assert as_sent(replayed(round_trips([second])[0])) == as_sent(answer2["candidates"][0]["content"]["parts"])


def test_structured_output_on_a_tool_bound_model_replays_the_json_schema_exchange() -> None:
    request1 = recorded("jsonSchema_googleSearch_plus_function", "turn1.request")
    request2 = recorded("jsonSchema_googleSearch_plus_function", "turn2.request")
    answer2 = recorded("jsonSchema_googleSearch_plus_function", "turn2.response")
    rec = Recorder().json(recorded("jsonSchema_googleSearch_plus_function", "turn1.response")).json(answer2)
    structured = make_llm(rec).bind_tools([get_user_country, SEARCH]).with_structured_output(
        CityLocation, include_raw=True)
    prompt = request1["contents"][0]["parts"][0]["text"]
    first = structured.invoke(prompt)
    body = rec.body
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert body["generationConfig"]["responseJsonSchema"]["required"] == ["city", "country"]
    assert {"googleSearch": {}} in body["tools"] and body["tools"][0]["functionDeclarations"][0]["name"] == (
        "get_user_country")
    assert body["toolConfig"] == request1["toolConfig"]
    raw = first["raw"]
    assert first["parsed"] is None and raw.tool_calls[0]["name"] == "get_user_country"
    history = round_trips([HumanMessage(prompt), raw,
                           ToolMessage('{"return_value": "Mexico"}', tool_call_id=raw.tool_calls[0]["id"])])
    second = structured.invoke(history)
    assert contents_as_sent(rec.body["contents"]) == contents_as_sent(request2["contents"])
    assert second["parsed"] == CityLocation(city="Mexico City", country="Mexico")
    assert as_sent(replayed(second["raw"])) == as_sent(answer2["candidates"][0]["content"]["parts"])


def test_merged_stream_equals_invoke_for_the_recorded_search_stream() -> None:
    name = "streamGenerateContent_sse_toolCombination_jsonSchema_googleSearch_gemini-3-flash-preview"
    request = load_json(f"{name}.request.json")
    rec = Recorder().sse(f"{name}.sse")
    llm = make_llm(rec).bind_tools([SEARCH], tool_config={"include_server_side_tool_invocations": True})
    chunks = list(llm.with_structured_output(CityLocation).stream(request["contents"][0]["parts"][0]["text"]))
    assert chunks[-1] == CityLocation(city="Mexico City", country="Mexico")
    assert rec.body["toolConfig"] == request["toolConfig"] and rec.body["tools"] == request["tools"]
    assert rec.body["generationConfig"]["responseMimeType"] == "application/json"
    raw = [json.loads(line[6:]) for line in fixture_path(f"{name}.sse").read_text().splitlines()
           if line.startswith("data: ")]
    merged: Any = None
    converter, accumulator = StreamConverter("gemini-3-flash-preview"), StreamAccumulator()
    for event in raw:
        parsed = GenerateContentResponse.model_validate(event)
        accumulator.add(parsed)
        chunk = converter.convert(parsed).message
        merged = chunk if merged is None else merged + chunk
    single = chat_result(accumulator.result(), "gemini-3-flash-preview").generations[0].message
    assert _without_index(merged.content) == single.content
    assert merged.additional_kwargs == single.additional_kwargs and merged.tool_calls == single.tool_calls
    accumulated = accumulator.result().candidates[0].content.parts
    assert replayed(merged) == replayed(single) == [to_wire(p) for p in accumulated]
    assert [p for p in replayed(single) if "toolCall" in p or "toolResponse" in p] == [
        p for e in raw for p in e["candidates"][0]["content"]["parts"] if "toolCall" in p or "toolResponse" in p]


def _without_index(content: Any) -> Any:
    return [{k: v for k, v in b.items() if k != "index"} if isinstance(b, dict) else b for b in content]


# ------------------------------------------------------------------------------------------ what goes back


def _answer(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}, "modelVersion": "gemini-3-flash-preview"}


def test_media_processing_steps_are_shown_but_not_sent_back() -> None:
    media_call = {"toolCall": {"id": "m1", "toolType": "MEDIA_PROCESSING", "args": {}}, "thoughtSignature": "QUJD"}
    media_result = {"toolResponse": {"id": "m1", "toolType": "MEDIA_PROCESSING", "response": {}},
                    "thoughtSignature": "REVG"}
    text = {"text": "A cat.", "thoughtSignature": "R0hJ"}
    rec = Recorder().json(_answer([media_call, media_result, text])).json(text_response())
    llm = make_llm(rec)
    message = llm.invoke("Describe the video.")
    assert [b["name"] for b in steps(message) if b["type"] == "server_tool_call"] == ["media_processing"]
    llm.invoke([HumanMessage("Describe the video."), message, HumanMessage("And?")])
    assert rec.body["contents"][1]["parts"] == [text]


def test_another_providers_server_tool_blocks_are_not_sent_to_gemini() -> None:
    foreign = AIMessage(content=[
        {"type": "server_tool_call", "id": "s1", "name": "web_search", "args": {"query": "x"}},
        {"type": "server_tool_result", "tool_call_id": "s1", "status": "success"}, {"type": "text", "text": "hi"}],
        response_metadata={"model_provider": "anthropic"})
    assert replayed(foreign) == [{"text": "hi"}]


def test_unknown_wire_fields_of_a_step_go_back_too() -> None:
    call = {"toolCall": {"id": "a", "toolType": "GOOGLE_SEARCH_WEB", "args": {"queries": ["q"]}, "newField": 1},
            "thoughtSignature": "QUJD"}
    rec = Recorder().json(_answer([call, {"text": "ok"}]))
    message = make_llm(rec).invoke("x")
    assert replayed(round_trips([message])[0]) == [call, {"text": "ok"}]


def test_v1_content_holds_the_real_search_step_not_one_made_from_grounding() -> None:
    answer = copy.deepcopy(recorded("jsonSchema_googleSearch_plus_function", "turn2.response"))
    message = make_llm(Recorder().json(answer), output_version="v1").invoke("x")
    kinds = [b["type"] for b in message.content]
    assert kinds == ["server_tool_call", "server_tool_result", "text"]
    assert message.content[2]["annotations"]  # the grounding still gives citations
    assert as_sent(replayed(round_trips([message])[0])) == as_sent(answer["candidates"][0]["content"]["parts"])


# ------------------------------------------------------------------------------------------ request settings


def test_tool_choice_and_tool_config_are_merged_with_the_flag() -> None:
    rec = Recorder().json(text_response())
    llm = make_llm(rec, model_kwargs={"toolConfig": {"retrievalConfig": {"languageCode": "de"}}})
    llm.bind_tools([calculator, SEARCH], tool_choice="any",
                   tool_config={"functionCallingConfig": {"allowedFunctionNames": ["calculator"]}}).invoke("x")
    assert rec.body["toolConfig"] == {
        "functionCallingConfig": {"allowedFunctionNames": ["calculator"], "mode": "ANY"},
        "retrievalConfig": {"languageCode": "de"}, "includeServerSideToolInvocations": True}
    llm.bind_tools([SEARCH]).invoke("x", tool_config={"includeServerSideToolInvocations": True})
    assert rec.body["toolConfig"] == {"retrievalConfig": {"languageCode": "de"},
                                      "includeServerSideToolInvocations": True}  # asked for, without functions
    make_llm(rec).bind_tools([calculator], tool_choice="auto").invoke("x")
    assert rec.body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}  # no built-in: no flag


def test_models_that_cannot_combine_fail_before_sending() -> None:
    rec = Recorder().json(text_response())
    with pytest.raises(ValueError, match=r"gemini-2.5-flash cannot combine built-in tools \(googleSearch\)"):
        make_llm(rec, model="gemini-2.5-flash").bind_tools([calculator, SEARCH]).invoke("x")
    with pytest.raises(ValueError, match="include_server_side_tool_invocations=False"):
        make_llm(rec).bind_tools([calculator, SEARCH],
                                 tool_config={"includeServerSideToolInvocations": False}).invoke("x")
    with pytest.raises(ValueError, match="unknown keys"):
        make_llm(rec).bind_tools([calculator], tool_config={"mode": "ANY"})
    assert rec.requests == []


def test_structured_output_keeps_the_built_in_tools_in_one_request() -> None:
    answer = text_response('{"city": "Lima", "country": "Peru"}')
    rec = Recorder().json(answer)
    llm = make_llm(rec)
    for structured in (llm.bind_tools([SEARCH]).with_structured_output(CityLocation),
                       llm.with_structured_output(CityLocation, tools=[SEARCH])):
        assert structured.invoke("Largest city of Peru?") == CityLocation(city="Lima", country="Peru")
        assert rec.body["tools"] == [{"googleSearch": {}}] and "toolConfig" not in rec.body
        assert rec.body["generationConfig"]["responseJsonSchema"]["properties"].keys() == {"city", "country"}


def test_function_calling_structured_output_on_a_tool_bound_model_adds_and_forces_the_schema() -> None:
    rec = Recorder().json(_answer([{"functionCall": {"name": "CityLocation", "args": {"city": "Lima",
                                                                                       "country": "Peru"}}}]))
    bound = make_llm(rec).bind_tools([get_user_country, SEARCH], tool_choice="auto")
    result = bound.with_structured_output(CityLocation, method="function_calling").invoke("x")
    assert result == CityLocation(city="Lima", country="Peru")
    names = [d["name"] for d in rec.body["tools"][0]["functionDeclarations"]]
    assert names == ["get_user_country", "CityLocation"] and {"googleSearch": {}} in rec.body["tools"]
    assert rec.body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [
        "CityLocation"]}, "includeServerSideToolInvocations": True}


def test_a_tool_bound_model_still_serializes_as_a_runnable_binding() -> None:
    bound = make_llm(Recorder().json(text_response())).bind_tools([calculator, SEARCH])
    assert dumpd(bound)["id"] == ["langchain", "schema", "runnable", "RunnableBinding"]


# ------------------------------------------------------------------------------------------ property


_sigs = st.from_regex(r"(?:[A-Za-z0-9+/]{4}){1,2}", fullmatch=True)


@st.composite
def _answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Text, function calls and search steps in any order Gemini may send them (steps whole, in pairs)."""
    pieces: list[list[dict[str, Any]]] = []
    for i in range(draw(st.integers(0, 2))):
        step = {"id": f"s{i}", "toolType": draw(st.sampled_from(["GOOGLE_SEARCH_WEB", "URL_CONTEXT"]))}
        pieces.append([{"toolCall": {**step, "args": {"queries": [f"q{i}"]}}, "thoughtSignature": draw(_sigs)},
                       {"toolResponse": {**step, "response": {"r": i}}, "thoughtSignature": draw(_sigs)}])
    if draw(st.booleans()):
        pieces.insert(draw(st.integers(0, len(pieces))), [{"text": "Let me see.", "thoughtSignature": draw(_sigs)}])
    calls = [{"functionCall": {"name": f"f{i}", "args": {}, "id": f"c{i}"}} for i in range(draw(st.integers(0, 2)))]
    if calls:
        calls[0]["thoughtSignature"] = draw(_sigs)
    for call in calls:  # calls never split a step from its result, and text comes before them
        slots = [j for j in range(len(pieces) + 1) if all("text" not in p[0] for p in pieces[j:])]
        pieces.insert(draw(st.sampled_from(slots)), [call])
    return [part for piece in pieces for part in piece]


@settings(max_examples=200, deadline=None)
@given(_answers(), st.lists(st.integers(0, 20), max_size=4), st.sampled_from(["v0", "v1"]))
def test_steps_replay_in_place_however_the_answer_is_streamed(parts: list[dict[str, Any]], cuts: list[int],
                                                               version: str) -> None:
    bounds = sorted({0, len(parts), *[c % (len(parts) + 1) for c in cuts]})
    chunks = [parts[a:b] for a, b in itertools.pairwise(bounds)] or [[]]
    rec = Recorder().json(_answer(parts))
    events = [_answer(chunk) if i == len(chunks) - 1 else {"candidates": [{"content": {"parts": chunk}}]}
              for i, chunk in enumerate(chunks)]
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)
    rec.replies.append(lambda _: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    llm = make_llm(rec, output_version=version)
    single = llm.invoke("q")
    merged: Any = None
    for chunk in llm.stream("q"):
        merged = chunk if merged is None else merged + chunk
    for message in (single, merged):
        assert replayed(round_trips([message])[0]) == parts
        assert [c["id"] for c in message.tool_calls] == [p["functionCall"]["id"] for p in parts
                                                         if "functionCall" in p]
