"""Gemini 3 tool combination in LlamaIndex: ``built_in_tools`` next to function tools, replayed from the
recordings (MockTransport). Turn 1's recorded answer becomes the ``ChatMessage``; after ``model_dump_json`` and
memory, the turn-2 request carries exactly the recorded turn-2 model parts (signature encoding and
``tool_type`` casing aside: the same bytes and the same field to the API)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, CitationBlock, TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool

from cometgemini._streaming import StreamAccumulator
from cometgemini._types import GenerateContentResponse, to_wire
from llamaindex_cometgemini._messages import to_contents
from tests._fixtures import load_json
from tests._replay import CityLocation, as_sent, contents_as_sent, recorded
from tests.llamaindex._mock import Recorder, make_llm, sse_body

SEARCH = [{"googleSearch": {}}]


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression."""
    return "4"


def get_user_country() -> str:
    """The user's country."""
    return "Mexico"


def final_result(city: str, country: str) -> str:
    """The final response which ends this conversation."""
    return city


def answers(*replies: Any) -> Any:
    """A reply per request, in order (the last one repeated)."""
    return lambda rec: replies[min(len(rec.requests), len(replies)) - 1]


def through_json(messages: list[ChatMessage]) -> list[ChatMessage]:
    return [ChatMessage.model_validate_json(m.model_dump_json()) for m in messages]


def replayed(message: ChatMessage) -> list[dict[str, Any]]:
    _, contents = to_contents([ChatMessage(role="user", content="q"), message])
    return [to_wire(p) for p in contents[1].parts] if len(contents) > 1 else []


def tool_result(call: ToolCallBlock, text: str) -> ChatMessage:
    return ChatMessage(role="tool", content=text, additional_kwargs={"tool_call_id": call.tool_call_id,
                                                                     "name": call.tool_name})


def steps(message: ChatMessage) -> list[dict[str, Any]]:
    return list(message.additional_kwargs.get("server_tool_steps", []))


# ------------------------------------------------------------------------------------------ the recordings


def test_search_plus_function_exchange_replays_part_for_part() -> None:
    request1 = recorded("googleSearch_plus_function", "turn1.request")
    request2 = recorded("googleSearch_plus_function", "turn2.request")
    answer1 = recorded("googleSearch_plus_function", "turn1.response")
    rec = Recorder(answers(answer1, recorded("googleSearch_plus_function", "turn2.response")))
    llm = make_llm(rec, built_in_tools=SEARCH)
    tools = [FunctionTool.from_defaults(calculator)]
    prompt = request1["contents"][0]["parts"][0]["text"]

    first = llm.chat_with_tools(tools, user_msg=prompt)
    assert rec.last["toolConfig"] == request1["toolConfig"] == {"includeServerSideToolInvocations": True}
    assert [(s.tool_name, s.tool_id) for s in llm.get_tool_calls_from_response(first)] == [("calculator",
                                                                                            "oqeiriep")]
    call, response = steps(first.message)
    assert call["toolCall"]["args"] == {"queries": ["current weather in Tokyo"]} and call["position"] == 1
    assert response["toolResponse"]["id"] == call["toolCall"]["id"] == "93z4z1x3"
    assert "search_suggestions" in response["toolResponse"]["response"]

    [block] = [b for b in first.message.blocks if isinstance(b, ToolCallBlock)]
    history = through_json([ChatMessage(role="user", content=prompt), first.message, tool_result(block, "4")])
    second = llm.chat_with_tools(tools, chat_history=history)
    assert contents_as_sent(rec.last["contents"][:2]) == contents_as_sent(request2["contents"][:2])
    assert rec.last["contents"][2]["parts"][0]["functionResponse"]["id"] == "oqeiriep"
    assert as_sent(replayed(history[1])) == as_sent(answer1["candidates"][0]["content"]["parts"])
    assert (second.message.content or "").startswith("2 + 2 is **4**")
    assert [b.source for b in second.message.blocks if isinstance(b, CitationBlock)]  # citations as before


def test_auto_exchange_steps_come_back_before_the_final_call() -> None:
    request1 = recorded("auto_googleSearch_plus_function", "turn1.request")
    request2 = recorded("auto_googleSearch_plus_function", "turn2.request")
    answer2 = recorded("auto_googleSearch_plus_function", "turn2.response")
    rec = Recorder(answers(recorded("auto_googleSearch_plus_function", "turn1.response"), answer2))
    llm = make_llm(rec, built_in_tools=SEARCH,
                   tool_config={"functionCallingConfig": {"allowedFunctionNames": ["get_user_country",
                                                                                   "final_result"]}})
    tools = [FunctionTool.from_defaults(get_user_country), FunctionTool.from_defaults(final_result)]
    prompt = request1["contents"][0]["parts"][0]["text"]
    first = llm.chat_with_tools(tools, user_msg=prompt, tool_required=True)
    assert rec.last["toolConfig"] == request1["toolConfig"]  # ANY, the names, the flag: as Google took it
    [block] = [b for b in first.message.blocks if isinstance(b, ToolCallBlock)]
    history = through_json([ChatMessage(role="user", content=prompt), first.message, tool_result(block, "Mexico")])
    second = llm.chat_with_tools(tools, chat_history=history, tool_required=True)
    assert contents_as_sent(rec.last["contents"][:2]) == contents_as_sent(request2["contents"][:2])
    assert [s.tool_name for s in llm.get_tool_calls_from_response(second)] == ["final_result"]
    assert [s["position"] for s in steps(second.message)] == [0, 0]
    assert as_sent(replayed(through_json([second.message])[0])) == as_sent(
        answer2["candidates"][0]["content"]["parts"])


def test_structured_predict_with_built_in_tools_is_one_request() -> None:
    answer = recorded("jsonSchema_googleSearch_plus_function", "turn2.response")
    rec = Recorder(answer)
    llm = make_llm(rec, built_in_tools=SEARCH)
    city = llm.structured_predict(CityLocation, PromptTemplate("Largest city of {country}? Search the web."),
                                  country="Mexico")
    assert city == CityLocation(city="Mexico City", country="Mexico")
    assert len(rec.requests) == 1 and rec.last["tools"] == SEARCH
    assert rec.last["generationConfig"]["responseMimeType"] == "application/json"
    assert rec.last["generationConfig"]["responseJsonSchema"]["required"] == ["city", "country"]
    message = llm.chat([ChatMessage(role="user", content="x")]).message
    assert as_sent(replayed(through_json([message])[0])) == as_sent(answer["candidates"][0]["content"]["parts"])


def test_structured_predict_with_a_function_tool_and_search_sends_the_flag() -> None:
    reply = {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {
        "name": "CityLocation", "args": {"city": "Lima", "country": "Peru"}}}]}, "finishReason": "STOP"}]}
    rec = Recorder(reply)
    llm = make_llm(rec, built_in_tools=SEARCH)
    city = llm.structured_predict(CityLocation, PromptTemplate("x"),
                                  llm_kwargs={"tools": [FunctionTool.from_defaults(get_user_country)]})
    assert city == CityLocation(city="Lima", country="Peru")
    assert rec.last["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [
        "CityLocation"]}, "includeServerSideToolInvocations": True}


def test_thought_parts_around_a_step_keep_their_order() -> None:
    name = "generateContent_toolCombination_thinking_wire_contract_gemini-3-flash-preview"
    answer = load_json(f"{name}.response.json")
    message = make_llm(Recorder(answer), built_in_tools=SEARCH).chat([ChatMessage(role="user", content="x")]).message
    assert [type(b) for b in message.blocks if not isinstance(b, CitationBlock)] == [ThinkingBlock, ThinkingBlock,
                                                                                      TextBlock]
    assert [s["position"] for s in steps(message)] == [1, 1]
    assert as_sent(replayed(through_json([message])[0])) == as_sent(answer["candidates"][0]["content"]["parts"])


def test_the_final_streamed_message_is_the_one_chat_gives() -> None:
    name = "streamGenerateContent_sse_toolCombination_jsonSchema_googleSearch_gemini-3-flash-preview"
    events = [json.loads(line[6:]) for line in sse_body(f"{name}.sse").decode().splitlines()
              if line.startswith("data: ")]
    accumulator = StreamAccumulator()
    for event in events:
        accumulator.add(GenerateContentResponse.model_validate(event))
    whole = to_wire(accumulator.result())  # what one generateContent call gives
    llm = make_llm(Recorder(whole, stream=f"{name}.sse"), built_in_tools=SEARCH)
    streamed = list(llm.stream_chat([ChatMessage(role="user", content="x")]))[-1].message
    single = llm.chat([ChatMessage(role="user", content="x")]).message
    assert steps(streamed) == steps(single) and len(steps(single)) == 2
    assert replayed(streamed) == replayed(single)


# ------------------------------------------------------------------------------------------ what goes back


def _answer(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}}


def test_media_processing_steps_are_kept_for_reading_but_not_sent_back() -> None:
    media = [{"toolCall": {"id": "m1", "toolType": "MEDIA_PROCESSING", "args": {}}, "thoughtSignature": "QUJD"},
             {"toolResponse": {"id": "m1", "toolType": "MEDIA_PROCESSING", "response": {}}, "thoughtSignature": "REVG"}]
    text = {"text": "A cat.", "thoughtSignature": "R0hJ"}
    message = make_llm(Recorder(_answer([*media, text]))).chat([ChatMessage(role="user", content="x")]).message
    assert [s.get("toolCall", s.get("toolResponse"))["toolType"] for s in steps(message)] == ["MEDIA_PROCESSING"] * 2
    assert replayed(message) == [text]


def test_parallel_calls_dropped_by_the_agent_leave_the_steps_in_place() -> None:
    step = {"id": "s", "toolType": "GOOGLE_SEARCH_WEB"}
    parts = [{"functionCall": {"name": "calculator", "args": {"expression": "1"}, "id": "c1"},
              "thoughtSignature": "QUJD"},
             {"functionCall": {"name": "calculator", "args": {"expression": "2"}, "id": "c2"}},
             {"toolCall": {**step, "args": {"queries": ["q"]}}, "thoughtSignature": "REVG"},
             {"toolResponse": {**step, "response": {}}, "thoughtSignature": "R0hJ"}]
    llm = make_llm(Recorder(_answer(parts)), built_in_tools=SEARCH)
    response = llm.chat_with_tools([FunctionTool.from_defaults(calculator)], user_msg="x",
                                   allow_parallel_tool_calls=False)
    assert [b.tool_call_id for b in response.message.blocks if isinstance(b, ToolCallBlock)] == ["c1"]
    assert replayed(response.message) == [parts[0], parts[2], parts[3]]


def test_damaged_step_records_are_dropped_not_sent() -> None:
    message = ChatMessage(role="assistant", content="hi", additional_kwargs={"server_tool_steps": [
        "junk", {"position": 0, "toolCall": "not a step"}, {"position": "x"}]})
    assert replayed(message) == [{"text": "hi"}]


# ------------------------------------------------------------------------------------------ settings


def test_tool_config_at_construction_and_per_call_are_merged_with_tool_choice() -> None:
    rec = Recorder()
    llm = make_llm(rec, built_in_tools=SEARCH, tool_config={"retrieval_config": {"languageCode": "de"}})
    tools = [FunctionTool.from_defaults(calculator)]
    llm.chat_with_tools(tools, user_msg="x", tool_choice="calculator",
                        tool_config={"functionCallingConfig": {"mode": "VALIDATED"}})
    assert rec.last["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["calculator"]},
        "retrievalConfig": {"languageCode": "de"}, "includeServerSideToolInvocations": True}
    llm.chat([ChatMessage(role="user", content="x")], tool_config={"includeServerSideToolInvocations": True})
    assert rec.last["toolConfig"] == {"retrievalConfig": {"languageCode": "de"},
                                      "includeServerSideToolInvocations": True}
    make_llm(rec).chat_with_tools(tools, user_msg="x")
    assert "toolConfig" not in rec.last  # no built-in, no choice: nothing to say
    assert json.loads(llm.model_dump_json())["tool_config"] == {"retrievalConfig": {"languageCode": "de"}}


def test_models_that_cannot_combine_and_bad_configs_fail_before_sending() -> None:
    rec = Recorder()
    tools = [FunctionTool.from_defaults(calculator)]
    with pytest.raises(ValueError, match=r"gemini-2.5-flash cannot combine built-in tools \(googleSearch\)"):
        make_llm(rec, model="gemini-2.5-flash", built_in_tools=SEARCH).chat_with_tools(tools, user_msg="x")
    with pytest.raises(ValueError, match="include_server_side_tool_invocations=False"):
        make_llm(rec, built_in_tools=SEARCH, tool_config={"includeServerSideToolInvocations": False}
                 ).chat_with_tools(tools, user_msg="x")
    with pytest.raises(ValueError, match="unknown keys"):
        make_llm(rec, tool_config={"mode": "ANY"})
    assert rec.requests == []
