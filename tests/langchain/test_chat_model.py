"""ChatCometGemini through a real client over ``httpx.MockTransport``: requests on the wire, messages back."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ContextOverflowError, ModelRateLimitError, ModelRefusalError
from langchain_core.load import dumps, loads
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage, messages_from_dict, messages_to_dict
from pydantic import BaseModel, Field

import cometgemini
from langchain_cometgemini import ChatCometGemini
from tests._fixtures import fixture_path, load_json
from tests.langchain._mock import Recorder, make_llm, text_response


def merged(chunks: list[Any]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


# ------------------------------------------------------------------------------------- request building


def test_invoke_sends_settings_and_returns_text() -> None:
    rec = Recorder().json(text_response("Hi there"))
    llm = make_llm(rec, temperature=0.3, max_tokens=50, stop=["END"], top_p=0.9, top_k=4, seed=7,
                   thinking_level="low", safety_settings={"HARASSMENT": "BLOCK_NONE"})
    msg = llm.invoke([SystemMessage("sys"), HumanMessage("hello")])
    assert msg.content == "Hi there"
    assert msg.id == "resp-1"
    assert msg.usage_metadata == {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}
    assert msg.response_metadata["model_provider"] == "cometgemini"
    assert msg.response_metadata["finish_reason"] == "STOP"
    request = rec.requests[-1]
    assert request.url.path == "/v1beta/models/gemini-3-flash-preview:generateContent"
    assert request.headers["x-goog-api-key"] == "test-key"
    assert rec.body == {
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        "generationConfig": {"temperature": 0.3, "topP": 0.9, "topK": 4, "maxOutputTokens": 50,
                             "stopSequences": ["END"], "seed": 7, "thinkingConfig": {"thinkingLevel": "LOW"}},
    }


def test_every_setting_overridable_per_call_model_included() -> None:
    rec = Recorder().json(text_response())
    llm = make_llm(rec, temperature=0.3)
    llm.invoke("hi", model="gemini-2.5-flash", temperature=0.0, max_output_tokens=9, thinking_budget=0,
               stop_sequences=["x"])
    assert rec.requests[-1].url.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert rec.body["generationConfig"] == {"temperature": 0.0, "maxOutputTokens": 9, "stopSequences": ["x"],
                                            "thinkingConfig": {"thinkingBudget": 0}}
    llm.bind(reasoning_effort="high").invoke("hi")
    assert rec.body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "HIGH"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "gemini-2.5-flash", "thinking_level": "high"}, "takes thinking_budget"),
        ({"model": "gemini-3-flash-preview", "thinking_budget": 100}, "takes thinking_level"),
        ({"model": "gemini-3-pro-preview", "thinking_level": "minimal"}, "thinking_level in"),
        ({"model": "gemini-2.0-flash", "include_thoughts": True}, "does not think"),
        ({"model": "gemini-2.5-pro", "thinking_budget": 0}, "thinking_budget"),
    ],
)
def test_thinking_settings_the_model_does_not_take_fail_before_sending(kwargs: dict[str, Any], match: str) -> None:
    rec = Recorder().json(text_response())
    with pytest.raises(ValueError, match=match):
        make_llm(rec, **kwargs)
    llm = make_llm(rec)
    with pytest.raises(ValueError, match=match):
        llm.invoke("hi", **kwargs)
    assert rec.requests == []


def test_unknown_call_argument_is_an_error() -> None:
    with pytest.raises(TypeError, match="temprature"):
        make_llm(Recorder().json(text_response())).invoke("hi", temprature=1)


# ------------------------------------------------------------------------------------- responses


def test_function_call_with_id_and_signature_round_trips_through_json() -> None:
    rec = Recorder().fixture("generateContent_functionCall_with_id_thoughtSignature_gemini-3.6-flash.response.json")
    llm = make_llm(rec).bind_tools([{"name": "load_capability", "description": "d",
                                     "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}])
    first = llm.invoke("refunds?")
    call = first.tool_calls[0]
    assert call["id"] == "g98os1Jf" and call["name"] == "load_capability" and call["args"] == {"id": "refunds"}
    history = [HumanMessage("refunds?"), first]
    from langchain_core.messages import ToolMessage

    history.append(ToolMessage("ok", tool_call_id="g98os1Jf"))
    restored = messages_from_dict(json.loads(json.dumps(messages_to_dict(history))))
    restored = pickle.loads(pickle.dumps(restored))
    rec.json(text_response("done"))
    llm.invoke(restored)
    raw = load_json("generateContent_functionCall_with_id_thoughtSignature_gemini-3.6-flash.response.json")
    sent_model_turn = rec.body["contents"][1]
    assert sent_model_turn["parts"] == [
        {k: v for k, v in part.items()} for part in raw["candidates"][0]["content"]["parts"]
    ]
    assert rec.body["contents"][2]["parts"][0]["functionResponse"] == {
        "name": "load_capability", "response": {"result": "ok"}, "id": "g98os1Jf"}


def test_streamed_function_call_turn2_matches_the_recorded_echo() -> None:
    rec = Recorder().sse("streamGenerateContent_sse_functionCall_thoughtSignature_turn1_gemini-3-pro-preview.sse")
    llm = make_llm(rec, model="gemini-3-pro-preview")
    chunks = list(llm.stream("What is the capital of the user country? Call the tool"))
    full = merged(chunks)
    assert [c["name"] for c in full.tool_calls] == ["get_country"]
    assert full.tool_calls[0]["id"].startswith("cgx_")  # no id from the API: ours, never sent
    from langchain_core.messages import ToolMessage

    rec.json(text_response("Paris"))
    llm.invoke([HumanMessage("What is the capital of the user country? Call the tool"), full,
                ToolMessage('{"country": "France"}', tool_call_id=full.tool_calls[0]["id"])])
    echo = load_json("streamGenerateContent_sse_functionCall_thoughtSignature_turn2_echo.request.json")
    sent, recorded = rec.body["contents"][1]["parts"][0], echo["contents"][1]["parts"][0]
    # the recording sent URL-safe base64 (google-genai re-encodes); we send back the exact text we received
    assert sent["thoughtSignature"].replace("+", "-").replace("/", "_") == recorded["thoughtSignature"]
    assert "id" not in sent["functionCall"]
    assert "id" not in rec.body["contents"][2]["parts"][0]["functionResponse"]


def test_stream_usage_deltas_sum_to_final_and_metadata_only_on_last_chunk() -> None:
    rec = Recorder().sse("streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse")
    chunks = list(make_llm(rec, model="gemini-2.5-flash").stream("hi"))
    with_meta = [c for c in chunks if set(c.response_metadata) - {"model_provider"}]
    assert with_meta == [chunks[-1]] or with_meta[-1] is chunks[-1]
    assert len([c for c in chunks if c.response_metadata.get("finish_reason")]) == 1
    full = merged(chunks)
    text = fixture_path("streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse").read_text()
    lines = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    final = lines[-1]["usageMetadata"]
    assert full.usage_metadata is not None
    assert full.usage_metadata["total_tokens"] == final["totalTokenCount"]
    assert full.usage_metadata["input_tokens"] == final["promptTokenCount"] + final.get("toolUsePromptTokenCount", 0)
    assert full.usage_metadata["output_tokens"] == final.get("candidatesTokenCount", 0) + final.get(
        "thoughtsTokenCount", 0)


def test_stream_usage_travels_on_the_final_chunk_only() -> None:
    # every event of the recording carries usageMetadata; the chunks LangChain keeps should not
    rec = Recorder().sse("streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse")
    chunks = list(make_llm(rec, model="gemini-2.5-flash").stream("hi"))
    assert len(chunks) > 1
    assert [c.usage_metadata is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert chunks[-1].usage_metadata == merged(chunks).usage_metadata


def test_streamed_thoughts_give_list_content_and_reasoning_blocks() -> None:
    rec = Recorder().sse("streamGenerateContent_sse_thought_parts_gemini-2.5-pro.sse")
    full = merged(list(make_llm(rec, model="gemini-2.5-pro", include_thoughts=True).stream("hi")))
    assert isinstance(full.content, list)
    kinds = [b["type"] for b in full.content if isinstance(b, dict)]
    assert kinds[0] == "thinking" and "text" in kinds
    blocks = full.content_blocks
    assert blocks[0]["type"] == "reasoning" and blocks[0]["reasoning"]
    assert any(b["type"] == "text" for b in blocks)


def test_trailing_empty_part_signature_survives_streaming_and_goes_back_last() -> None:
    rec = Recorder().sse(
        "streamGenerateContent_reasoning_empty_text_thoughtSignature_gemini-3-pro-preview.chunks.jsonl")
    llm = make_llm(rec, model="gemini-3-pro-preview")
    full = merged(list(llm.stream("How many r in strawberry?")))
    assert isinstance(full.content, str) and "strawberry" in full.content
    sigs = full.additional_kwargs["thought_signatures"]
    (key,) = sigs
    assert key == f"text:{len(full.content)}:{len(full.content)}"
    rec.json(text_response())
    llm.invoke([HumanMessage("q"), full, HumanMessage("and?")])
    parts = rec.body["contents"][1]["parts"]
    assert parts[0] == {"text": full.content}
    assert parts[-1] == {"text": "", "thoughtSignature": sigs[key]}


def test_text_signature_from_generate_content() -> None:
    raw = load_json("generateContent_text_thoughtSignature_gemini-3-pro-preview.response.json")
    rec = Recorder().json(raw)
    llm = make_llm(rec, model="gemini-3-pro-preview")
    msg = llm.invoke("hi")
    assert isinstance(msg.content, str)
    rec.json(text_response())
    llm.invoke([HumanMessage("hi"), msg, HumanMessage("more")])
    assert rec.body["contents"][1]["parts"] == raw["candidates"][0]["content"]["parts"]


def test_grounding_gives_snake_case_metadata_and_citations() -> None:
    rec = Recorder().fixture("generateContent_googleSearch_groundingMetadata_gemini-2.5-pro.response.json")
    llm = make_llm(rec, model="gemini-2.5-pro").bind_tools([{"google_search": {}}])
    msg = llm.invoke("weather in SF")
    assert rec.body["tools"] == [{"googleSearch": {}}]
    grounding = msg.response_metadata["grounding_metadata"]
    assert "grounding_chunks" in grounding and "web_search_queries" in grounding
    assert "rendered_content" in grounding["search_entry_point"]
    blocks = msg.content_blocks
    assert blocks[0]["type"] == "server_tool_call" and blocks[0]["name"] == "web_search"
    text = next(b for b in blocks if b["type"] == "text")
    assert text["annotations"] and text["annotations"][0]["type"] == "citation"
    v1 = make_llm(Recorder().fixture("generateContent_googleSearch_groundingMetadata_gemini-2.5-pro.response.json"),
                  model="gemini-2.5-pro", output_version="v1").invoke("weather")
    assert isinstance(v1.content, list) and any(b.get("annotations") for b in v1.content if isinstance(b, dict))


def test_code_execution_blocks() -> None:
    rec = Recorder().fixture(
        "generateContent_codeExecution_executableCode_codeExecutionResult_gemini-3-flash-preview.response.json")
    msg = make_llm(rec).bind_tools([{"code_execution": {}}]).invoke("compute")
    assert rec.body["tools"] == [{"codeExecution": {}}]
    assert isinstance(msg.content, list)
    kinds = [b["type"] for b in msg.content if isinstance(b, dict)]
    assert "executable_code" in kinds and "code_execution_result" in kinds
    v1_kinds = [b["type"] for b in msg.content_blocks]
    assert "server_tool_call" in v1_kinds and "server_tool_result" in v1_kinds


def test_image_output_is_an_image_block() -> None:
    reply = text_response()
    reply["candidates"][0]["content"]["parts"] = [{"text": "Here"},
                                                  {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]
    msg = make_llm(Recorder().json(reply), model="gemini-2.5-flash-image").invoke("draw", response_modalities=[
        "TEXT", "IMAGE"])
    assert msg.content == [{"type": "text", "text": "Here"},
                           {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}]


# ------------------------------------------------------------------------------------- errors


def test_blocked_prompt_names_the_reason() -> None:
    rec = Recorder().fixture(
        "generateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.response.json")
    with pytest.raises(ModelRefusalError, match="PROHIBITED_CONTENT") as info:
        make_llm(rec).invoke("bad")
    assert isinstance(info.value, cometgemini.ResponseBlockedError)


def test_blocked_prompt_in_a_stream() -> None:
    rec = Recorder().sse(
        "streamGenerateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.chunks.jsonl")
    with pytest.raises(ModelRefusalError, match="PROHIBITED_CONTENT"):
        list(make_llm(rec).stream("bad"))


def test_http_errors_inherit_core_and_langchain_classes() -> None:
    rec = Recorder().fixture("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.response.json")
    rec.replies = [lambda _: httpx.Response(429, json=load_json(
        "error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.response.json"))]
    with pytest.raises(ModelRateLimitError) as info:
        make_llm(rec).invoke("hi")
    assert isinstance(info.value, cometgemini.RateLimitError) and info.value.status_code == 429
    overflow = {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                          "message": "The input token count (2000000) exceeds the maximum number of tokens allowed"}}
    with pytest.raises(ContextOverflowError) as info2:
        make_llm(Recorder().json(overflow, status=400)).invoke("hi")
    assert isinstance(info2.value, cometgemini.ContextOverflowError)


async def test_async_errors_are_converted_too() -> None:
    rec = Recorder().json({"error": {"code": 503, "status": "UNAVAILABLE", "message": "overloaded"}}, status=503)
    from langchain_core.exceptions import ModelAPIError

    with pytest.raises(ModelAPIError):
        await make_llm(rec).ainvoke("hi")


def test_safety_finish_is_a_refusal_in_structured_output() -> None:
    reply = {"candidates": [{"content": {}, "finishReason": "SAFETY", "index": 0}],
             "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}, "responseId": "r"}

    class Out(BaseModel):
        x: int

    with pytest.raises(ModelRefusalError, match="SAFETY"):
        make_llm(Recorder().json(reply)).with_structured_output(Out).invoke("hi")


# ------------------------------------------------------------------------------------- tools & structured output


def get_weather(city: str, days: int = 1) -> str:
    """Weather forecast.

    Args:
        city: the city
        days: how many days
    """
    return "sunny"


class Person(BaseModel):
    """A person."""

    name: str = Field(description="full name")
    age: int = Field(ge=0, le=150)


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"functionCallingConfig": {"mode": "AUTO"}}),
        ("any", {"functionCallingConfig": {"mode": "ANY"}}),
        ("required", {"functionCallingConfig": {"mode": "ANY"}}),
        (True, {"functionCallingConfig": {"mode": "ANY"}}),
        ("none", {"functionCallingConfig": {"mode": "NONE"}}),
        ("validated", {"functionCallingConfig": {"mode": "VALIDATED"}}),
        ("Person", {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["Person"]}}),
        (["get_weather", "Person"],
         {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather", "Person"]}}),
        ({"type": "function", "function": {"name": "get_weather"}},
         {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}),
    ],
)
def test_bind_tools_forms_and_tool_choice(choice: Any, config: dict[str, Any]) -> None:
    rec = Recorder().json(text_response())
    anthropic_tool = {"name": "lookup", "description": "Look up", "input_schema": {
        "type": "object", "properties": {"q": {"type": "string", "minLength": 2}}, "required": ["q"]}}
    llm = make_llm(rec).bind_tools([get_weather, Person, anthropic_tool, {"url_context": {}}], tool_choice=choice)
    llm.invoke("hi")
    declarations = rec.body["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declarations] == ["get_weather", "Person", "lookup"]
    assert declarations[1]["parametersJsonSchema"]["properties"]["age"] == {
        "type": "integer", "minimum": 0, "maximum": 150}
    assert declarations[2]["parametersJsonSchema"]["properties"]["q"]["minLength"] == 2
    assert rec.body["tools"][1] == {"urlContext": {}}
    assert rec.body["toolConfig"] == {**config, "includeServerSideToolInvocations": True}  # a built-in with functions


def test_tool_choice_unknown_name_fails_at_bind() -> None:
    with pytest.raises(ValueError, match="nope"):
        make_llm(Recorder().json(text_response())).bind_tools([get_weather], tool_choice="nope")


def test_structured_output_json_schema_default() -> None:
    rec = Recorder().json(text_response('{"name": "Ada", "age": 36}'))
    result = make_llm(rec).with_structured_output(Person).invoke("who?")
    assert result == Person(name="Ada", age=36)
    config = rec.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["properties"]["age"]["maximum"] == 150
    assert "tools" not in rec.body


def test_structured_output_function_calling_and_include_raw() -> None:
    reply = text_response()
    call = {"functionCall": {"name": "Person", "args": {"name": "Bo", "age": 3}}}
    reply["candidates"][0]["content"]["parts"] = [call]
    rec = Recorder().json(reply)
    out = make_llm(rec).with_structured_output(Person, method="function_calling", include_raw=True).invoke("x")
    assert out["parsed"] == Person(name="Bo", age=3) and out["parsing_error"] is None
    assert rec.body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["Person"]}}
    assert "responseMimeType" not in rec.body.get("generationConfig", {})


def test_structured_output_json_mode_and_typed_dict_streamed() -> None:
    from typing_extensions import TypedDict

    class Pet(TypedDict):
        kind: str

    rec = Recorder().sse("streamGenerateContent_sse_text_gemini-2.0-flash-exp.sse")
    rec.replies[0] = (lambda _: httpx.Response(200, content=(
        b'data: {"candidates":[{"content":{"parts":[{"text":"{\\"kind\\": "}],"role":"model"}}]}\r\n\r\n'
        b'data: {"candidates":[{"content":{"parts":[{"text":"\\"cat\\"}"}],"role":"model"},"finishReason":"STOP"}],'
        b'"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":2,"totalTokenCount":3}}\r\n\r\n'),
        headers={"content-type": "text/event-stream"}))
    parts = list(make_llm(rec).with_structured_output(Pet).stream("pet?"))
    assert parts[-1] == {"kind": "cat"}
    assert rec.body["generationConfig"]["responseJsonSchema"]["properties"] == {"kind": {"type": "string"}}
    rec.json(text_response('{"kind": "dog"}'))
    assert make_llm(rec).with_structured_output(None, method="json_mode").invoke("x") == {"kind": "dog"}
    assert rec.body["generationConfig"] == {"responseMimeType": "application/json"}


def test_the_exact_count_is_one_count_tokens_call() -> None:
    rec = Recorder().json({"totalTokens": 42})
    n = make_llm(rec).get_num_tokens_from_messages([SystemMessage("s"), HumanMessage("hi")], tools=[get_weather],
                                                   exact=True)
    assert n == 42 and len(rec.requests) == 1
    assert rec.requests[0].url.path.endswith(":countTokens")
    inner = rec.body["generateContentRequest"]
    assert inner["systemInstruction"] == {"parts": [{"text": "s"}]}
    assert inner["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
    assert make_llm(Recorder().json({"totalTokens": 3})).get_num_tokens("abc") == 3


# ------------------------------------------------------------------------------------- serialization & concurrency


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_dumps_loads_without_the_key_and_pickling() -> None:
    llm = ChatCometGemini(api_key="sk-secret-123", temperature=0.5, thinking_level="low")
    text = dumps(llm)
    assert "sk-secret-123" not in text and "COMETAPI_KEY" in text
    restored = loads(text, secrets_map={"COMETAPI_KEY": "sk-secret-123"}, allowed_objects=[ChatCometGemini],
                     valid_namespaces=["langchain_cometgemini"])
    assert isinstance(restored, ChatCometGemini) and restored.temperature == 0.5
    assert restored.api_key is not None and restored.api_key.get_secret_value() == "sk-secret-123"
    _ = llm.client  # a live client with pools must not stop pickling
    clone = pickle.loads(pickle.dumps(make_llm(Recorder().json(text_response()))))
    assert clone.http_client is None and clone.thinking_level is None
    assert "sk-secret-123" not in repr(llm)


async def test_abatch_one_instance_many_concurrent_calls() -> None:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["contents"][0]["parts"][0]["text"]
        seen.append(prompt)
        await asyncio.sleep(0.001)
        return httpx.Response(200, json=text_response(f"echo {prompt}"))

    llm = ChatCometGemini(api_key="k", http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    results = await llm.abatch([f"p{i}" for i in range(200)], config={"max_concurrency": 100})
    assert [r.content for r in results] == [f"echo p{i}" for i in range(200)]
    assert llm.client is llm.client  # one shared client


def test_threads_share_one_instance() -> None:
    rec = Recorder().json(text_response("ok"))
    llm = make_llm(rec)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                assert llm.invoke("hi").content == "ok"
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(rec.requests) == 80


async def test_astream_and_ainvoke() -> None:
    rec = Recorder().sse("streamGenerateContent_sse_text_gemini-2.0-flash-exp.sse")
    chunks = [c async for c in make_llm(rec, model="gemini-2.0-flash").astream("hi")]
    assert len(chunks) > 1 and merged(chunks).content
    assert rec.requests[-1].url.path.endswith(":streamGenerateContent")
    rec.json(text_response("async"))
    assert (await make_llm(rec).ainvoke("hi")).content == "async"


def test_streaming_field_uses_the_stream_endpoint() -> None:
    rec = Recorder().sse("streamGenerateContent_sse_text_gemini-2.0-flash-exp.sse")
    msg = make_llm(rec, model="gemini-2.0-flash", streaming=True).invoke("hi")
    assert msg.content and rec.requests[-1].url.path.endswith(":streamGenerateContent")


def test_response_format_from_create_agent_provider_strategy() -> None:
    rec = Recorder().json(text_response('{"name": "A", "age": 1}'))
    llm = make_llm(rec).bind_tools([get_weather], strict=True, response_format={
        "type": "json_schema", "json_schema": {"name": "Person", "schema": Person.model_json_schema()}})
    llm.invoke("hi")
    assert rec.body["generationConfig"]["responseMimeType"] == "application/json"
    assert rec.body["generationConfig"]["responseJsonSchema"]["properties"]["age"]["minimum"] == 0
    assert rec.body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"


def test_forced_call_with_json_mime_is_a_clear_error_before_sending() -> None:
    rec = Recorder().json(text_response())
    with pytest.raises(ValueError, match="function_calling"):
        make_llm(rec).bind_tools([get_weather], tool_choice="any").invoke("x", response_mime_type="application/json")
    assert rec.requests == []


def test_output_version_v1_streams_standard_blocks() -> None:
    rec = Recorder().sse("streamGenerateContent_sse_thought_parts_gemini-2.5-pro.sse")
    llm = make_llm(rec, model="gemini-2.5-pro", include_thoughts=True, output_version="v1")
    full = merged(list(llm.stream("hi")))
    types = [b["type"] for b in full.content if isinstance(b, dict)]
    assert types[0] == "reasoning" and "text" in types
    assert len([t for t in types if t == "text"]) == 1  # deltas merged into one block
    rec.sse("streamGenerateContent_sse_functionCall_thoughtSignature_turn1_gemini-3-pro-preview.sse")
    calls = merged(list(make_llm(rec, model="gemini-3-pro-preview", output_version="v1").stream("x")))
    assert calls.tool_calls and calls.tool_calls[0]["name"] == "get_country"


def test_url_context_metadata_logprobs_and_media_settings() -> None:
    rec = Recorder().fixture("generateContent_urlContext_urlContextMetadata_gemini-2.5-flash.response.json")
    msg = make_llm(rec, model="gemini-2.5-flash", media_resolution="low", response_modalities=["text"]).bind_tools(
        [{"url_context": {}}]).invoke("summarize https://example.com")
    assert rec.body["generationConfig"] == {"mediaResolution": "MEDIA_RESOLUTION_LOW", "responseModalities": ["TEXT"]}
    assert msg.response_metadata["url_context_metadata"]["url_metadata"][0]["retrieved_url"]
    rec.fixture("generateContent_text_avgLogprobs_gemini-2.0-flash.response.json")
    msg = make_llm(rec, model="gemini-2.0-flash").invoke("hi")
    assert isinstance(msg.response_metadata["avg_logprobs"], float)


def test_v1_stream_with_text_and_parallel_calls_keeps_blocks_apart() -> None:
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Let me check."}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "a", "args": {"x": 1}, "id": "i1"}, "thoughtSignature": "SIG"},
            {"functionCall": {"name": "b", "args": {}, "id": "i2"}}]}, "finishReason": "STOP"}],
         "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6, "totalTokenCount": 10}},
    ]
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)
    rec = Recorder()
    rec.replies.append(lambda _: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    for version in ("v0", "v1"):
        full = merged(list(make_llm(rec, output_version=version).stream("x")))
        assert [(c["name"], c["id"], c["args"]) for c in full.tool_calls] == [("a", "i1", {"x": 1}), ("b", "i2", {})]
        assert full.text == "Let me check."
        assert full.additional_kwargs["thought_signatures"] == {"call:i1": "SIG"}
    rec.json(text_response())
    make_llm(rec).invoke([HumanMessage("x"), full])
    assert rec.body["contents"][1]["parts"] == [
        {"text": "Let me check."},
        {"functionCall": {"name": "a", "args": {"x": 1}, "id": "i1"}, "thoughtSignature": "SIG"},
        {"functionCall": {"name": "b", "args": {}, "id": "i2"}},
    ]


def test_model_copy_with_new_connection_settings_gets_its_own_client() -> None:
    llm = make_llm(Recorder().json(text_response()))
    client = llm.client
    assert llm.model_copy(update={"temperature": 0.1}).client is client
    assert llm.model_copy(update={"base_url": "https://other.test"}).client is not client


def test_tools_passed_straight_to_invoke_are_converted() -> None:
    rec = Recorder().json(text_response())
    make_llm(rec).invoke("x", tools=[get_weather, {"google_search": {}}], tool_choice="get_weather")
    assert rec.body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
    assert rec.body["tools"][1] == {"googleSearch": {}}
    assert rec.body["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"] == ["get_weather"]


def test_a_signature_only_part_is_kept_and_sent_back() -> None:
    reply = text_response("Hi")
    reply["candidates"][0]["content"]["parts"].append({"thoughtSignature": "ONLY"})
    rec = Recorder().json(reply)
    llm = make_llm(rec)
    msg = llm.invoke("x")
    assert msg.content == "Hi" and msg.additional_kwargs["thought_signatures"] == {"text:2:2": "ONLY"}
    rec.json(text_response())
    llm.invoke([HumanMessage("x"), msg])
    assert rec.body["contents"][1]["parts"] == [{"text": "Hi"}, {"text": "", "thoughtSignature": "ONLY"}]


@pytest.mark.parametrize("settings", [{"base_url": "http://api.example.com"}, {"max_retries": -1},
                                      {"thinking_level": "turbo"}, {"default_headers": {"x-goog-api-key": "x"}}])
def test_configuration_errors_never_echo_the_key(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as info:
        ChatCometGemini(api_key="sk-SECRET-canary-123", **settings)
    assert "sk-SECRET" not in str(info.value) and "canary" not in repr(info.value)


def test_model_kwargs_go_to_generation_config_or_the_request() -> None:
    rec = Recorder().json(text_response())
    make_llm(rec, model_kwargs={"audioTimestamp": True, "store": False, "serviceTier": "flex"}).invoke("x")
    assert rec.body["generationConfig"] == {"audioTimestamp": True}
    assert rec.body["serviceTier"] == "flex" and rec.body["store"] is False
