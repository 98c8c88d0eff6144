"""What ``CometGemini`` sends: messages, media, tool results, settings, tools and tool_choice (MockTransport)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool

from tests.llamaindex._mock import Recorder, make_llm

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"sunny in {city}"


def get_time(city: str) -> str:
    """Local time in a city."""
    return "12:00"


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


def _send(messages: list[ChatMessage], **llm_kwargs: Any) -> dict[str, Any]:
    rec = Recorder()
    make_llm(rec, **llm_kwargs).chat(messages)
    return rec.last


def test_system_and_developer_messages_go_to_system_instruction() -> None:
    body = _send([
        ChatMessage(role=MessageRole.SYSTEM, content="Be brief."),
        ChatMessage(role=MessageRole.USER, content="Hi"),
        ChatMessage(role=MessageRole.DEVELOPER, content="Answer in French."),
    ])
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert "generationConfig" not in body and "tools" not in body


def test_only_a_system_message_becomes_a_user_turn() -> None:
    body = _send([ChatMessage(role=MessageRole.SYSTEM, content="Say hi.")])
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Say hi."}]}]
    assert "systemInstruction" not in body


def test_assistant_text_is_a_model_turn() -> None:
    body = _send([
        ChatMessage(role="user", content="Hi"),
        ChatMessage(role="assistant", content="Hello!"),
        ChatMessage(role="user", content="Bye"),
    ])
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][1]["parts"] == [{"text": "Hello!"}]


def test_media_blocks(tmp_path: Path) -> None:
    image_file = tmp_path / "dot.png"
    image_file.write_bytes(PNG)
    body = _send([
        ChatMessage(role="user", blocks=[
            TextBlock(text="What is this?"),
            ImageBlock(image=PNG),
            ImageBlock(url="https://example.com/cat.jpg"),
            ImageBlock(path=image_file),
            AudioBlock(audio=b"ID3\x00\x01fake", format="mp3"),
            VideoBlock(url="https://example.com/clip.mp4", fps=2),
            DocumentBlock(data=b"%PDF-1.4 fake", document_mimetype="application/pdf"),
            ImageBlock(url="data:image/png;base64," + base64.b64encode(PNG).decode()),
        ])
    ])
    parts = body["contents"][0]["parts"]
    b64 = base64.b64encode(PNG).decode()
    assert parts[0] == {"text": "What is this?"}
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": b64}}
    assert parts[2] == {"fileData": {"fileUri": "https://example.com/cat.jpg", "mimeType": "image/jpeg"}}
    assert parts[3] == {"inlineData": {"mimeType": "image/png", "data": b64}}
    assert parts[4]["inlineData"]["mimeType"] == "audio/mpeg"
    assert base64.b64decode(parts[4]["inlineData"]["data"]) == b"ID3\x00\x01fake"
    assert parts[5] == {"fileData": {"fileUri": "https://example.com/clip.mp4", "mimeType": "video/mp4"},
                        "videoMetadata": {"fps": 2.0}}
    assert parts[6]["inlineData"]["mimeType"] == "application/pdf"
    assert base64.b64decode(parts[6]["inlineData"]["data"]) == b"%PDF-1.4 fake"
    assert parts[7] == {"inlineData": {"mimeType": "image/png", "data": b64}}


def _history_with_calls(ids: tuple[str | None, str | None]) -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="Weather and time in Paris?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ToolCallBlock(tool_call_id=ids[0], tool_name="get_weather", tool_kwargs={"city": "Paris"}),
                ToolCallBlock(tool_call_id=ids[1], tool_name="get_time", tool_kwargs='{"city": "Paris"}'),
            ],
            additional_kwargs={"thought_signatures": {ids[0]: "c2lnMQ=="}} if ids[0] else {},
        ),
        ChatMessage(role="tool", content="sunny", additional_kwargs={"tool_call_id": ids[0]}),
        ChatMessage(role="tool", content="12:00", additional_kwargs={"tool_call_id": ids[1]}),
    ]


def test_tool_results_become_one_user_turn_of_function_responses_with_name_and_id() -> None:
    body = _send(_history_with_calls(("abc123", "def456")))
    model, results = body["contents"][1], body["contents"][2]
    assert model == {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "abc123"},
         "thoughtSignature": "c2lnMQ=="},
        {"functionCall": {"name": "get_time", "args": {"city": "Paris"}, "id": "def456"}},
    ]}
    assert results == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}, "id": "abc123"}},
        {"functionResponse": {"name": "get_time", "response": {"result": "12:00"}, "id": "def456"}},
    ]}


def test_generated_call_ids_are_never_sent() -> None:
    body = _send(_history_with_calls(("cg-x-1", "cg-x-2")))
    for part in body["contents"][1]["parts"]:
        assert "id" not in part["functionCall"]
    for part in body["contents"][2]["parts"]:
        assert "id" not in part["functionResponse"]
        assert part["functionResponse"]["name"] in ("get_weather", "get_time")


def test_tool_results_match_calls_by_id_else_by_name_else_stay_text() -> None:
    body = _send([
        ChatMessage(role="user", content="go"),
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id=None, tool_name="answer", tool_kwargs={})]),
        ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "x", "name": "answer"}),
        ChatMessage(role="tool", content="lost", additional_kwargs={"tool_call_id": "gone"}),
        ChatMessage(role="tool", content="who?", additional_kwargs={"tool_call_id": "g2", "name": "unknown"}),
    ])
    parts = body["contents"][2]["parts"]
    assert parts[0] == {"functionResponse": {"name": "answer", "response": {"result": "42"}}}
    assert parts[1] == {"text": "Result of tool call gone: lost"}
    assert parts[2] == {"text": "Result of tool call g2: who?"}


@pytest.mark.parametrize("messages", [
    [],
    [ChatMessage(role="system", content="")],
    [ChatMessage(role="user", content="")],
    [ChatMessage(role="assistant", blocks=[])],
])
def test_nothing_to_send_fails_before_sending(messages: list[ChatMessage]) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="nothing to send"):
        make_llm(rec).chat(messages)
    assert rec.requests == []


@pytest.mark.parametrize("name", ["my tool", "naïve", "1abc", "a" * 65, "get-weather!"])
def test_invalid_tool_names_fail_before_sending(name: str) -> None:
    from llama_index.core.tools import ToolMetadata

    rec = Recorder()
    tool = FunctionTool(fn=lambda **kwargs: None, metadata=ToolMetadata(name=name, description="d"))
    with pytest.raises(ValueError, match="invalid tool name"):
        make_llm(rec).chat_with_tools([tool], user_msg="hi")
    assert rec.requests == []


@pytest.mark.parametrize("stored", [
    {"thought_signatures": [None]},
    {"thought_signatures": {"k1": "not base64!"}},
    {"thought_signatures": {"k1": "0"}},
    {"thought_signatures": {"k1": 42}},
    {"text_signatures": {"x": "y"}, "code_execution_parts": ["z"]},
])
def test_damaged_signature_records_are_dropped_not_sent(stored: dict[str, Any]) -> None:
    body = _send([
        ChatMessage(role="user", content="go"),
        ChatMessage(role="assistant", blocks=[TextBlock(text="ok"),
                                              ToolCallBlock(tool_call_id="k1", tool_name="f", tool_kwargs={})],
                    additional_kwargs=stored),
    ])
    assert body["contents"][1]["parts"] == [{"text": "ok"}, {"functionCall": {"name": "f", "args": {}, "id": "k1"}}]


def test_damaged_text_layout_is_ignored() -> None:
    from llamaindex_cometgemini._messages import text_key

    for layout in ([[1, "c2ln"]], [["a", "c2ln"]], "oops", [[2, "c2ln", 3]]):
        body = _send([
            ChatMessage(role="user", content="go"),
            ChatMessage(role="assistant", content="ok",
                        additional_kwargs={"text_signatures": {text_key("ok"): layout}}),
            ChatMessage(role="user", content="again"),
        ])
        assert body["contents"][1]["parts"] == [{"text": "ok"}]


@pytest.mark.parametrize(("model", "inside"), [("gemini-3-flash-preview", True), ("gemini-2.5-flash", False)])
def test_tool_result_media_is_kept(model: str, inside: bool) -> None:
    history = [
        ChatMessage(role="user", content="Show me the chart"),
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="k1", tool_name="chart", tool_kwargs={})],
                    additional_kwargs={"thought_signatures": {"k1": "c2ln"}}),
        ChatMessage(role="tool", blocks=[TextBlock(text="here"), ImageBlock(image=PNG)],
                    additional_kwargs={"tool_call_id": "k1"}),
    ]
    parts = _send(history, model=model)["contents"][2]["parts"]
    image = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}}
    if inside:
        assert parts == [{"functionResponse": {"name": "chart", "response": {"result": "here"}, "id": "k1",
                                               "parts": [image]}}]
    else:
        assert parts[0]["functionResponse"]["name"] == "chart"
        assert parts[1] == image


def test_generation_settings() -> None:
    body = _send(
        [ChatMessage(role="user", content="Hi")],
        temperature=0.2, top_p=0.9, top_k=20, max_tokens=100, stop=["END"], seed=7,
        thinking_level="low", include_thoughts=True, response_modalities=["text", "image"],
        safety_settings={"HARASSMENT": "BLOCK_ONLY_HIGH"}, cached_content="cachedContents/abc",
        presence_penalty=0.1, frequency_penalty=0.2, media_resolution="MEDIA_RESOLUTION_LOW",
    )
    assert body["generationConfig"] == {
        "temperature": 0.2, "topP": 0.9, "topK": 20, "maxOutputTokens": 100, "stopSequences": ["END"],
        "seed": 7, "responseModalities": ["TEXT", "IMAGE"], "presencePenalty": 0.1, "frequencyPenalty": 0.2,
        "mediaResolution": "MEDIA_RESOLUTION_LOW",
        "thinkingConfig": {"includeThoughts": True, "thinkingLevel": "LOW"},
    }
    assert body["safetySettings"] == [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]
    assert body["cachedContent"] == "cachedContents/abc"


def test_per_call_overrides_do_not_stick() -> None:
    rec = Recorder()
    llm = make_llm(rec, temperature=0.5)
    llm.chat([ChatMessage(role="user", content="Hi")], temperature=0.0, max_tokens=5)
    assert rec.last["generationConfig"] == {"temperature": 0.0, "maxOutputTokens": 5}
    llm.chat([ChatMessage(role="user", content="Hi")])
    assert rec.last["generationConfig"] == {"temperature": 0.5}


def test_thinking_budget_on_25() -> None:
    body = _send([ChatMessage(role="user", content="Hi")], model="gemini-2.5-flash", thinking_budget=0)
    assert body["generationConfig"] == {"thinkingConfig": {"thinkingBudget": 0}}


@pytest.mark.parametrize(
    ("model", "settings", "match"),
    [
        ("gemini-2.5-flash", {"thinking_level": "LOW"}, "thinking_budget instead"),
        ("gemini-3-flash-preview", {"thinking_budget": 1024}, "thinking_level instead"),
        ("gemini-3-pro-preview", {"thinking_level": "MINIMAL"}, "LOW, MEDIUM, HIGH"),
        ("gemini-3-flash-preview", {"thinking_level": "LOW", "thinking_budget": 10}, "not both"),
        ("gemini-2.5-pro", {"thinking_budget": 0}, "always thinks"),
        ("gemini-2.0-flash", {"include_thoughts": True}, "does not think"),
    ],
)
def test_thinking_settings_the_model_does_not_take_fail_before_sending(
    model: str, settings: dict[str, Any], match: str
) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match=match):
        make_llm(rec, model=model, **settings)
    llm = make_llm(rec, model=model)
    with pytest.raises(ValueError, match=match):
        llm.chat([ChatMessage(role="user", content="Hi")], **settings)
    assert rec.requests == []


def test_tools_are_function_declarations_with_json_schema() -> None:
    rec = Recorder()
    make_llm(rec).chat_with_tools(TOOLS, user_msg="weather?")
    tools = rec.last["tools"]
    assert len(tools) == 1
    weather = tools[0]["functionDeclarations"][0]
    assert weather["name"] == "get_weather"
    assert "Current weather in a city." in weather["description"]
    assert weather["parametersJsonSchema"]["properties"]["city"]["type"] == "string"
    assert weather["parametersJsonSchema"]["required"] == ["city"]
    assert "toolConfig" not in rec.last  # AUTO is the default: nothing to send


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {"mode": "AUTO"}),
        ({"tool_choice": "auto"}, {"mode": "AUTO"}),
        ({"tool_choice": "none"}, {"mode": "NONE"}),
        ({"tool_choice": "required"}, {"mode": "ANY"}),
        ({"tool_required": True}, {"mode": "ANY"}),
        ({"tool_choice": "get_time"}, {"mode": "ANY", "allowedFunctionNames": ["get_time"]}),
        ({"tool_choice": {"type": "function", "function": {"name": "get_time"}}},
         {"mode": "ANY", "allowedFunctionNames": ["get_time"]}),
        ({"tool_choice": {"mode": "VALIDATED"}}, {"mode": "VALIDATED"}),
    ],
)
def test_tool_choice(kwargs: dict[str, Any], expected: dict[str, Any]) -> None:
    rec = Recorder()
    make_llm(rec).chat_with_tools(TOOLS, user_msg="weather?", **kwargs)
    config = rec.last.get("toolConfig", {"functionCallingConfig": {"mode": "AUTO"}})
    assert config == {"functionCallingConfig": expected}


def test_built_in_tools_join_function_tools() -> None:
    rec = Recorder()
    make_llm(rec, built_in_tools=[{"googleSearch": {}}]).chat_with_tools(TOOLS, user_msg="weather?")
    assert rec.last["tools"][1] == {"googleSearch": {}}
    assert [d["name"] for d in rec.last["tools"][0]["functionDeclarations"]] == ["get_weather", "get_time"]


def test_chat_history_is_not_mutated() -> None:
    history = [ChatMessage(role="user", content="Hi"), ChatMessage(role="assistant", content="Hello")]
    before = [m.model_dump() for m in history]
    rec = Recorder()
    llm = make_llm(rec)
    llm.chat_with_tools(TOOLS, user_msg="weather?", chat_history=history)
    llm.chat(history)
    assert [m.model_dump() for m in history] == before
    assert len(rec.requests[0]["contents"]) == 3


def test_headers_and_url() -> None:
    rec = Recorder()
    make_llm(rec, model="models/gemini-2.5-flash", default_headers={"x-extra": "1"}).chat(
        [ChatMessage(role="user", content="Hi")]
    )
    assert rec.paths[-1] == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert rec.headers[-1]["x-goog-api-key"] == "test-key"
    assert rec.headers[-1]["x-extra"] == "1"
    make_llm(rec, auth="bearer").chat([ChatMessage(role="user", content="Hi")])
    assert rec.headers[-1]["authorization"] == "Bearer test-key"


def test_count_tokens_is_one_count_tokens_call_with_system_and_tools() -> None:
    rec = Recorder(reply={"totalTokens": 42})
    llm = make_llm(rec)
    messages = [ChatMessage(role=MessageRole.SYSTEM, content="s"), ChatMessage(role=MessageRole.USER, content="hi")]
    assert llm.count_tokens(messages, tools=TOOLS) == 42
    assert rec.paths == [f"/v1beta/models/{llm.model}:countTokens"]
    inner = rec.last["generateContentRequest"]
    assert inner["systemInstruction"] == {"parts": [{"text": "s"}]}
    assert [d["name"] for d in inner["tools"][0]["functionDeclarations"]] == ["get_weather", "get_time"]
    assert inner["model"] == f"models/{llm.model}" and "generationConfig" not in inner
    assert llm.count_tokens("abc") == 42
    assert rec.last == {"contents": [{"role": "user", "parts": [{"text": "abc"}]}]}


async def test_acount_tokens() -> None:
    rec = Recorder(reply={"totalTokens": 7})
    assert await make_llm(rec, temperature=0.2).acount_tokens([ChatMessage(role=MessageRole.USER, content="x")]) == 7
    assert rec.last == {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}  # no generation settings
