"""Messages → wire contents (pure conversions), checked on the wire JSON."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from cometgemini._types import to_wire
from langchain_cometgemini._messages import PLACEHOLDER_SIGNATURE, to_contents

PNG_B64 = "iVBORw0KGgoAAAANSUhEUg=="
PDF_B64 = "JVBERi0xLjQK"


def wire(messages: list[Any], **kwargs: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    system, contents = to_contents(messages, **kwargs)
    return (to_wire(system) if system else None), [to_wire(c) for c in contents]


def ours(**kwargs: Any) -> AIMessage:
    kwargs.setdefault("response_metadata", {})["model_provider"] = "cometgemini"
    return AIMessage(**kwargs)


def test_system_messages_anywhere_go_to_system_instruction() -> None:
    system, contents = wire([SystemMessage("a"), HumanMessage("hi"), SystemMessage("b"), AIMessage("yo")])
    assert system == {"parts": [{"text": "a"}, {"text": "b"}]}
    assert contents == [{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"text": "yo"}]}]


def test_consecutive_turns_of_one_role_are_merged() -> None:
    _, contents = wire([HumanMessage("a"), HumanMessage("b"), AIMessage("c"), AIMessage("d")])
    assert [c["role"] for c in contents] == ["user", "model"]
    assert contents[0]["parts"] == [{"text": "a"}, {"text": "b"}]


def test_tool_results_in_one_user_turn_in_call_order_with_ids() -> None:
    ai = ours(content="", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "id1"},
                                      {"name": "g", "args": {}, "id": "id2"}])
    _, contents = wire([HumanMessage("go"), ai, ToolMessage('{"ok": true}', tool_call_id="id2"),
                        ToolMessage("boom", tool_call_id="id1", status="error")])
    assert contents[1]["parts"] == [{"functionCall": {"name": "f", "args": {"x": 1}, "id": "id1"}},
                                    {"functionCall": {"name": "g", "args": {}, "id": "id2"}}]
    assert contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "f", "response": {"error": "boom"}, "id": "id1"}},
        {"functionResponse": {"name": "g", "response": {"ok": True}, "id": "id2"}},
    ]}


def test_local_ids_are_never_sent() -> None:
    ai = ours(content="", tool_calls=[{"name": "f", "args": {}, "id": "cgx_abc"}])
    _, contents = wire([HumanMessage("go"), ai, ToolMessage("3", tool_call_id="cgx_abc")])
    assert contents[1]["parts"] == [{"functionCall": {"name": "f", "args": {}}}]
    assert contents[2]["parts"] == [{"functionResponse": {"name": "f", "response": {"result": 3}}}]


def test_signatures_go_back_on_their_parts() -> None:
    ai = ours(content="Hello there", tool_calls=[{"name": "f", "args": {}, "id": "a"},
                                                 {"name": "f", "args": {}, "id": "b"}],
              additional_kwargs={"thought_signatures": {"text:0:5": "S1", "call:a": "S2", "text:11:11:tail": "S3"}})
    _, contents = wire([HumanMessage("x"), ai])
    assert contents[1]["parts"] == [
        {"text": "Hello", "thoughtSignature": "S1"},
        {"text": " there"},
        {"functionCall": {"name": "f", "args": {}, "id": "a"}, "thoughtSignature": "S2"},
        {"functionCall": {"name": "f", "args": {}, "id": "b"}},
        {"text": "", "thoughtSignature": "S3"},
    ]


def test_other_providers_signatures_and_thoughts_are_never_sent() -> None:
    ai = AIMessage(content=[{"type": "thinking", "thinking": "hm", "signature": "ANTHROPIC"},
                            {"type": "text", "text": "ok"}],
                   additional_kwargs={"thought_signatures": {"text:0:2": "X"}},
                   response_metadata={"model_provider": "anthropic"})
    _, contents = wire([HumanMessage("x"), ai])
    assert contents[1]["parts"] == [{"text": "ok"}]


def test_placeholder_signature_for_an_unsigned_first_call_on_gemini_3() -> None:
    ai = AIMessage(content="", tool_calls=[{"name": "f", "args": {}, "id": "a"}, {"name": "f", "args": {}, "id": "b"}],
                   response_metadata={"model_provider": "openai"})
    _, contents = wire([HumanMessage("x"), ai], placeholder_signatures=True)
    assert contents[1]["parts"][0]["thoughtSignature"] == PLACEHOLDER_SIGNATURE
    assert "thoughtSignature" not in contents[1]["parts"][1]


def test_thinking_blocks_replayed_as_thought_parts() -> None:
    ai = ours(content=[{"type": "thinking", "thinking": "plan", "signature": "VA=="}, {"type": "text", "text": "ans"}])
    _, contents = wire([HumanMessage("x"), ai])
    assert contents[1]["parts"] == [{"text": "plan", "thought": True, "thoughtSignature": "VA=="}, {"text": "ans"}]


def test_v1_reasoning_and_code_blocks_replayed() -> None:
    ai = ours(content=[
        {"type": "reasoning", "reasoning": "r", "extras": {"signature": "Ug=="}},
        {"type": "server_tool_call", "name": "code_interpreter", "id": "c", "args": {"code": "print(1)"}},
        {"type": "server_tool_result", "tool_call_id": "c", "status": "success", "output": "1\n",
         "extras": {"outcome": "OUTCOME_OK"}},
        {"type": "text", "text": "done"},
    ])
    _, contents = wire([HumanMessage("x"), ai])
    assert contents[1]["parts"] == [
        {"text": "r", "thought": True, "thoughtSignature": "Ug=="},
        {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
        {"text": "done"},
    ]


@pytest.mark.parametrize(
    ("block", "part"),
    [
        ({"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
         {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}),
        ({"type": "image", "base64": PNG_B64}, {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}),
        ({"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"},
         {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}}),
        ({"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
         {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}),
        ({"type": "image", "url": "https://x.test/a.jpg"},
         {"fileData": {"fileUri": "https://x.test/a.jpg", "mimeType": "image/jpeg"}}),
        ({"type": "file", "url": "https://x.test/doc.pdf"},
         {"fileData": {"fileUri": "https://x.test/doc.pdf", "mimeType": "application/pdf"}}),
        ({"type": "video", "file_id": "files/abc", "mime_type": "video/mp4"},
         {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc",
                       "mimeType": "video/mp4"}}),
        ({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
         {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}),
        ({"type": "image_url", "image_url": {"url": "https://x.test/cat.png"}},
         {"fileData": {"fileUri": "https://x.test/cat.png", "mimeType": "image/png"}}),
        ({"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/png"},
         {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}),
        ({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
         {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}),
    ],
)
def test_multimodal_blocks(block: dict[str, Any], part: dict[str, Any]) -> None:
    _, contents = wire([HumanMessage(content=[{"type": "text", "text": "look"}, block])])
    assert contents[0]["parts"] == [{"text": "look"}, part]


def test_image_in_tool_message_follows_the_function_response() -> None:
    ai = ours(content="", tool_calls=[{"name": "shot", "args": {}, "id": "s"}])
    tool = ToolMessage([{"type": "text", "text": "here"}, {"type": "image", "base64": PNG_B64}], tool_call_id="s")
    _, contents = wire([HumanMessage("x"), ai, tool])
    assert contents[2]["parts"] == [{"functionResponse": {"name": "shot", "response": {"result": "here"}, "id": "s"}},
                                    {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]


def test_unknown_block_type_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported content block type 'hologram'"):
        to_contents([HumanMessage(content=[{"type": "hologram"}])])


def test_a_damaged_signature_is_dropped_not_sent() -> None:
    ai = ours(content=[{"type": "thinking", "thinking": "plan", "signature": "not base64!"},
                       {"type": "text", "text": "ans"}])
    _, contents = wire([HumanMessage("x"), ai])
    assert contents[1]["parts"] == [{"text": "plan", "thought": True}, {"text": "ans"}]
