"""What ``CometGemini`` returns, from recorded responses and streams (MockTransport)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    CitationBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from cometgemini import APIConnectionError, ResponseBlockedError
from tests._fixtures import load_json
from tests.llamaindex._mock import Recorder, make_llm, sse_of, text_response

USER = [ChatMessage(role="user", content="Hi")]


def test_text_response_usage_and_raw() -> None:
    rec = Recorder("generateContent_text_gemini-2.5-flash.response.json")
    response = make_llm(rec, model="gemini-2.5-flash").chat(USER)
    wire = load_json("generateContent_text_gemini-2.5-flash.response.json")
    usage = wire["usageMetadata"]
    assert response.message.role == "assistant"
    assert response.message.content == wire["candidates"][0]["content"]["parts"][0]["text"]
    kwargs = response.additional_kwargs
    assert kwargs["prompt_tokens"] == usage["promptTokenCount"]
    assert kwargs["completion_tokens"] == usage["candidatesTokenCount"] + usage.get("thoughtsTokenCount", 0)
    assert kwargs["total_tokens"] == usage["totalTokenCount"]
    assert kwargs["thoughts_token_count"] == usage.get("thoughtsTokenCount", 0)
    assert kwargs["cached_content_token_count"] == 0
    assert kwargs["finish_reason"] == "STOP"
    raw = response.raw.model_dump(by_alias=True, exclude_none=True)
    assert raw["candidates"] == [{**wire["candidates"][0], "index": 0}]
    assert raw["usageMetadata"]["totalTokenCount"] == usage["totalTokenCount"]
    assert dict(response.raw)["usage"] == raw["usage"] == {
        "prompt_tokens": kwargs["prompt_tokens"], "completion_tokens": kwargs["completion_tokens"],
        "total_tokens": kwargs["total_tokens"],
    }


def test_function_call_with_id_and_signature() -> None:
    name = "generateContent_functionCall_with_id_thoughtSignature_gemini-3.6-flash.response.json"
    wire = load_json(name)["candidates"][0]["content"]["parts"][0]
    response = make_llm(Recorder(name)).chat(USER)
    [call] = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert call.tool_call_id == wire["functionCall"]["id"]
    assert call.tool_name == wire["functionCall"]["name"]
    assert call.tool_kwargs == wire["functionCall"]["args"]
    assert response.message.additional_kwargs["thought_signatures"] == {call.tool_call_id: wire["thoughtSignature"]}
    [selection] = make_llm(Recorder()).get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        call.tool_call_id, call.tool_name, call.tool_kwargs
    )


def test_function_call_without_id_gets_one_that_is_never_sent() -> None:
    rec = Recorder("generateContent_functionCall_toolConfig_ANY_turn1_gemini-2.0-flash.response.json")
    llm = make_llm(rec, model="gemini-2.0-flash")
    response = llm.chat(USER)
    [call] = llm.get_tool_calls_from_response(response)
    assert call.tool_id.startswith("cg-") and call.tool_name == "get_user_country"
    llm.chat([*USER, response.message,
              ChatMessage(role="tool", content="France", additional_kwargs={"tool_call_id": call.tool_id})])
    model_turn, results = rec.last["contents"][1:]
    assert model_turn == {"role": "model", "parts": [{"functionCall": {"name": "get_user_country", "args": {}}}]}
    assert results == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_user_country", "response": {"result": "France"}}}
    ]}


def test_no_tool_call_raises_only_when_asked() -> None:
    llm = make_llm(Recorder())
    response = llm.chat(USER)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="at least one tool call"):
        llm.get_tool_calls_from_response(response)


def test_thought_parts_and_text_signature_round_trip() -> None:
    name = "generateContent_thought_parts_includeThoughts_gemini-3-pro-preview.response.json"
    wire = load_json(name)
    rec = Recorder(name)
    llm = make_llm(rec, model="gemini-3-pro-preview", include_thoughts=True)
    response = llm.chat(USER)
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and thinking[0].content.startswith("**A Safe Street-Crossing Guide")  # type: ignore[union-attr]
    assert sum(b.num_tokens or 0 for b in thinking) == wire["usageMetadata"]["thoughtsTokenCount"]
    answer = "".join(p["text"] for p in wire["candidates"][0]["content"]["parts"] if not p.get("thought"))
    assert response.message.content == answer
    # through JSON, as agent memory stores it, then back on the wire part for part
    restored = ChatMessage.model_validate_json(response.message.model_dump_json())
    llm.chat([*USER, restored, ChatMessage(role="user", content="Thanks")])
    assert rec.last["contents"][1] == {"role": "model", "parts": wire["candidates"][0]["content"]["parts"]}


def test_edited_text_goes_back_without_its_signature() -> None:
    name = "generateContent_text_thoughtSignature_gemini-3-pro-preview.response.json"
    rec = Recorder(name)
    llm = make_llm(rec, model="gemini-3-pro-preview")
    message = llm.chat(USER).message
    llm.chat([*USER, message, ChatMessage(role="user", content="more")])
    assert rec.last["contents"][1]["parts"] == load_json(name)["candidates"][0]["content"]["parts"]
    message.blocks[0] = TextBlock(text="edited")
    llm.chat([*USER, message, ChatMessage(role="user", content="more")])
    assert rec.last["contents"][1]["parts"] == [{"text": "edited"}]


def test_grounding_becomes_citations() -> None:
    name = "generateContent_googleSearch_groundingMetadata_gemini-2.5-pro.response.json"
    grounding = load_json(name)["candidates"][0]["groundingMetadata"]
    response = make_llm(Recorder(name), model="gemini-2.5-pro").chat(USER)
    citations = [b for b in response.message.blocks if isinstance(b, CitationBlock)]
    support = grounding["groundingSupports"][0]
    chunk = grounding["groundingChunks"][support["groundingChunkIndices"][0]]["web"]
    assert citations[0].source == chunk["uri"] and citations[0].title == chunk["title"]
    assert citations[0].cited_content == TextBlock(text=support["segment"]["text"])
    assert citations[0].additional_location_info == {
        "start_index": support["segment"]["startIndex"], "end_index": support["segment"]["endIndex"]
    }
    assert response.additional_kwargs["grounding_metadata"]["webSearchQueries"] == grounding["webSearchQueries"]
    assert "Residents and visitors" in (response.message.content or "")  # citations stay out of the text


def test_max_tokens_with_no_parts_returns_what_came() -> None:
    response = make_llm(Recorder("generateContent_finishReason_MAX_TOKENS_no_parts_gemini-2.5-pro.response.json"),
                        model="gemini-2.5-pro").chat(USER)
    assert response.message.content == ""
    assert response.additional_kwargs["finish_reason"] == "MAX_TOKENS"


def test_safety_finish() -> None:
    response = make_llm(Recorder("generateContent_finishReason_SAFETY_gemini-1.5-flash.response.json"),
                        model="gemini-1.5-flash").chat(USER)
    assert response.additional_kwargs["finish_reason"] == "SAFETY"
    assert response.additional_kwargs["safety_ratings"]


def test_blocked_prompt_raises_naming_the_reason() -> None:
    name = "generateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.response.json"
    llm = make_llm(Recorder(name), model="gemini-3.7-flash")
    with pytest.raises(ResponseBlockedError, match="PROHIBITED_CONTENT"):
        llm.chat(USER)


def test_blocked_prompt_raises_when_streaming() -> None:
    name = "streamGenerateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.chunks.jsonl"
    llm = make_llm(Recorder(stream=name))
    with pytest.raises(ResponseBlockedError, match="PROHIBITED_CONTENT"):
        list(llm.stream_chat(USER))


def test_image_output() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    reply = text_response("Here it is.")
    reply["candidates"][0]["content"]["parts"].append({"inlineData": {"mimeType": "image/png", "data": png}})
    response = make_llm(Recorder(reply), response_modalities=["TEXT", "IMAGE"]).chat(USER)
    [image] = [b for b in response.message.blocks if isinstance(b, ImageBlock)]
    assert image.image == png.encode() and image.image_mimetype == "image/png"
    assert response.message.content == "Here it is."


# ----------------------------------------------------------------------------------------------- streaming


def test_stream_text_deltas_and_cumulative_messages() -> None:
    name = "streamGenerateContent_sse_text_gemini-2.0-flash-exp.sse"
    chunks = list(make_llm(Recorder(stream=name), model="gemini-2.0-flash-exp").stream_chat(USER))
    assert len(chunks) > 1
    text = ""
    for chunk in chunks:
        text += chunk.delta or ""
        assert chunk.message.content == text
    assert chunks[-1].additional_kwargs["finish_reason"] == "STOP"
    assert chunks[-1].additional_kwargs["total_tokens"] > 0
    assert len({id(c.message) for c in chunks}) == len(chunks)  # fresh messages


def test_stream_thoughts_go_to_thinking_delta() -> None:
    name = "streamGenerateContent_sse_thought_parts_gemini-2.5-pro.sse"
    chunks = list(make_llm(Recorder(stream=name), model="gemini-2.5-pro", include_thoughts=True).stream_chat(USER))
    thinking = "".join(c.additional_kwargs.get("thinking_delta", "") for c in chunks)
    answer = "".join(c.delta or "" for c in chunks)
    final = chunks[-1].message
    blocks = [b for b in final.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and "".join(b.content or "" for b in blocks) == thinking
    assert final.content == answer


def test_stream_function_call_signature_replayed_as_recorded() -> None:
    turn1 = "streamGenerateContent_sse_functionCall_thoughtSignature_turn1_gemini-3-pro-preview.sse"
    rec = Recorder(stream=turn1)
    llm = make_llm(rec, model="gemini-3-pro-preview")
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="What is the capital of the user country?")]))
    final = chunks[-1].message
    [call] = [b for b in final.blocks if isinstance(b, ToolCallBlock)]
    assert call.tool_name == "get_country"
    memory = ChatMessage.model_validate_json(final.model_dump_json())
    tool = ChatMessage(role="tool", content="Mexico", additional_kwargs={"tool_call_id": call.tool_call_id})
    list(llm.stream_chat([ChatMessage(role="user", content="What is the capital?"), memory, tool]))
    echo = load_json("streamGenerateContent_sse_functionCall_thoughtSignature_turn2_echo.request.json")
    sent = rec.last["contents"][1]["parts"][0]
    recorded = echo["contents"][1]["parts"][0]
    assert sent["functionCall"]["name"] == recorded["functionCall"]["name"]
    standard = recorded["thoughtSignature"].replace("-", "+").replace("_", "/")
    assert sent["thoughtSignature"] == standard


def test_stream_trailing_empty_part_keeps_its_signature() -> None:
    name = "streamGenerateContent_reasoning_empty_text_thoughtSignature_gemini-3-pro-preview.chunks.jsonl"
    rec = Recorder(stream=name)
    llm = make_llm(rec, model="gemini-3-pro-preview")
    final = list(llm.stream_chat(USER))[-1].message
    lines = [json.loads(line) for line in _path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
    signature = lines[-1]["candidates"][0]["content"]["parts"][-1]["thoughtSignature"]
    text = "".join(p.get("text", "") for line in lines for p in line["candidates"][0]["content"].get("parts", []))
    assert final.content == text
    llm.chat([*USER, ChatMessage.model_validate_json(final.model_dump_json()), ChatMessage(role="user", content="ok")])
    assert rec.last["contents"][1]["parts"] == [{"text": text}, {"text": "", "thoughtSignature": signature}]


def _path(name: str) -> Any:
    from tests._fixtures import fixture_path

    return fixture_path(name)


def test_stream_parallel_calls_arrive_whole_in_the_final_chunk() -> None:
    calls = [{"functionCall": {"name": "a", "args": {"x": 1}, "id": "i1"}, "thoughtSignature": "c2ln"},
             {"functionCall": {"name": "b", "args": {}, "id": "i2"}}]
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "thinking aloud", "thought": True}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [calls[0]]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [calls[1]]}, "finishReason": "STOP"}],
         "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6, "thoughtsTokenCount": 3,
                           "totalTokenCount": 13}},
    ]
    chunks = list(make_llm(Recorder(stream=sse_of(events)), include_thoughts=True).stream_chat(USER))
    assert chunks[0].additional_kwargs["thinking_delta"] == "thinking aloud"
    assert [b.tool_name for b in chunks[1].message.blocks if isinstance(b, ToolCallBlock)] == ["a"]
    final = chunks[-1]
    assert [b.tool_call_id for b in final.message.blocks if isinstance(b, ToolCallBlock)] == ["i1", "i2"]
    assert final.message.additional_kwargs["thought_signatures"] == {"i1": "c2ln"}
    [thinking] = [b for b in final.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking.num_tokens == 3
    assert dict(final.raw)["usage"] == {"prompt_tokens": 4, "completion_tokens": 9, "total_tokens": 13}


def test_stream_max_tokens_returns_what_came() -> None:
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Once upon"}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": " a"}]}, "finishReason": "MAX_TOKENS"}]},
    ]
    chunks = list(make_llm(Recorder(stream=sse_of(events))).stream_chat(USER))
    assert chunks[-1].message.content == "Once upon a"
    assert chunks[-1].additional_kwargs["finish_reason"] == "MAX_TOKENS"


def test_stream_cut_off_raises() -> None:
    events = [{"candidates": [{"content": {"role": "model", "parts": [{"text": "Once upon"}]}}]}]
    with pytest.raises(APIConnectionError):
        list(make_llm(Recorder(stream=sse_of(events))).stream_chat(USER))


# ----------------------------------------------------------------------------------------------- completion, async


def test_complete_and_stream_complete() -> None:
    rec = Recorder(text_response("Done."), stream="streamGenerateContent_sse_text_gemini-2.0-flash-exp.sse")
    llm = make_llm(rec)
    completion = llm.complete("Say done")
    assert completion.text == "Done." and completion.additional_kwargs["total_tokens"] == 5
    assert rec.last["contents"] == [{"role": "user", "parts": [{"text": "Say done"}]}]
    pieces = list(llm.stream_complete("Tell me"))
    assert pieces[-1].text == "".join(p.delta or "" for p in pieces)


async def test_async_variants() -> None:
    rec = Recorder(text_response("Async."), stream="streamGenerateContent_sse_text_gemini-2.0-flash-exp.sse")
    llm = make_llm(rec)
    assert (await llm.achat(USER)).message.content == "Async."
    assert (await llm.acomplete("x")).text == "Async."
    chunks = [c async for c in await llm.astream_chat(USER)]
    assert chunks[-1].message.content == "".join(c.delta or "" for c in chunks)
    pieces = [c async for c in await llm.astream_complete("x")]
    assert pieces[-1].text == chunks[-1].message.content


async def test_sync_chat_works_inside_a_running_event_loop() -> None:
    assert make_llm(Recorder(text_response("Sync."))).chat(USER).message.content == "Sync."


def test_code_execution_parts_read_as_markdown_and_go_back_as_they_came() -> None:
    name = "generateContent_codeExecution_executableCode_codeExecutionResult_gemini-3-flash-preview.response.json"
    wire = load_json(name)["candidates"][0]["content"]["parts"]
    rec = Recorder(name)
    llm = make_llm(rec, built_in_tools=[{"codeExecution": {}}])
    message = llm.chat(USER).message
    assert "```python\nprint('ok')" in (message.content or "")
    assert "division by zero" in (message.content or "")
    assert rec.last["tools"] == [{"codeExecution": {}}]
    restored = ChatMessage.model_validate_json(message.model_dump_json())
    llm.chat([*USER, restored, ChatMessage(role="user", content="and now?")])
    assert rec.last["contents"][1]["parts"] == wire


def test_stream_grounding_and_tool_use_prompt_tokens() -> None:
    name = "streamGenerateContent_googleSearch_usage_toolUsePromptTokenCount_gemini-2.5-flash.chunks.jsonl"
    lines = [json.loads(line) for line in _path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
    usage = lines[-1]["usageMetadata"]
    final = list(make_llm(Recorder(stream=name), model="gemini-2.5-flash").stream_chat(USER))[-1]
    kwargs = final.additional_kwargs
    assert kwargs["tool_use_prompt_token_count"] == usage.get("toolUsePromptTokenCount", 0) > 0
    assert kwargs["prompt_tokens"] == usage["promptTokenCount"] + usage["toolUsePromptTokenCount"]
    assert kwargs["prompt_tokens"] + kwargs["completion_tokens"] == usage["totalTokenCount"]
    if any(c["candidates"][0].get("groundingMetadata", {}).get("groundingSupports") for c in lines):
        assert any(isinstance(b, CitationBlock) for b in final.message.blocks)
        assert kwargs["grounding_metadata"]["groundingSupports"]


def test_stream_grounding_citations_come_with_the_final_chunk() -> None:
    name = "streamGenerateContent_sse_googleSearch_groundingMetadata_gemini-2.5-pro.sse"
    chunks = list(make_llm(Recorder(stream=name), model="gemini-2.5-pro").stream_chat(USER))
    assert not any(isinstance(b, CitationBlock) for c in chunks[:-1] for b in c.message.blocks)
    assert any(isinstance(b, CitationBlock) for b in chunks[-1].message.blocks)


def test_url_context_metadata() -> None:
    name = "generateContent_urlContext_urlContextMetadata_gemini-2.5-flash.response.json"
    wire = load_json(name)["candidates"][0]["urlContextMetadata"]
    response = make_llm(Recorder(name), model="gemini-2.5-flash").chat(USER)
    assert response.additional_kwargs["url_context_metadata"] == wire


def test_signed_image_output_goes_back_with_its_signature() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    reply = text_response("A dot.")
    image_part = {"inlineData": {"mimeType": "image/png", "data": png}, "thoughtSignature": "aW1n"}
    reply["candidates"][0]["content"]["parts"].append(image_part)
    rec = Recorder(reply)
    llm = make_llm(rec, model="gemini-3-pro-image-preview", response_modalities=["TEXT", "IMAGE"])
    message = ChatMessage.model_validate_json(llm.chat(USER).message.model_dump_json())
    llm.chat([*USER, message, ChatMessage(role="user", content="Make it red")])
    assert rec.last["contents"][1]["parts"] == [{"text": "A dot."}, image_part]
