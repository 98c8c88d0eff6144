"""What answers look like in each framework: speech as a playable audio block, code execution as structured
LlamaIndex blocks, and a merged LangChain stream whose ``content`` is the same as ``invoke``'s. Against the
loopback emulator (its recorded requests show the wire) and the recorded code-execution answer."""

from __future__ import annotations

import base64
import io
import json
import wave
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage
from llama_index.core.base.llms.types import AudioBlock, TextBlock
from llama_index.core.llms import ChatMessage

from langchain_cometgemini import ChatCometGemini
from llamaindex_cometgemini import CodeExecutionResultBlock, CometGemini, ExecutableCodeBlock
from tests._fixtures import load_json

TTS = "gemini-2.5-flash-preview-tts"
CODE = "generateContent_codeExecution_executableCode_codeExecutionResult_gemini-3-flash-preview.response.json"


def _lc(emulator: Any, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(api_key="test-key", base_url=emulator.base_url, max_retries=0, **kwargs)


def _li(emulator: Any, **kwargs: Any) -> CometGemini:
    return CometGemini(api_key="test-key", base_url=emulator.base_url, max_retries=0, **kwargs)


def _wav(data: bytes) -> tuple[int, int, int]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnchannels(), w.getnframes()


def _last_body(emulator: Any) -> dict[str, Any]:
    return dict(emulator.requests[-1]["json"])


def _unindexed(content: Any) -> Any:
    return content if isinstance(content, str) else [
        {k: v for k, v in block.items() if k != "index"} if isinstance(block, dict) else block for block in content]


def _merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


# ------------------------------------------------------------------------------------------- speech


def test_langchain_speech_is_a_playable_audio_block(emulator: Any) -> None:
    llm = _lc(emulator, model=TTS, response_modalities=["AUDIO"], speech_config="Kore")
    message = llm.invoke("Say cheerfully: have a wonderful day!")
    body = _last_body(emulator)
    assert body["generationConfig"] == {"responseModalities": ["AUDIO"], "speechConfig": {
        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}}
    (block,) = message.content
    assert isinstance(block, dict) and block["type"] == "audio" and block["mime_type"] == "audio/wav"
    assert _wav(base64.b64decode(block["base64"])) == (24_000, 1, 6_000)
    assert message.content_blocks[0]["type"] == "audio"
    assert message.usage_metadata is not None and message.usage_metadata["output_token_details"] == {"audio": 8}
    streamed = _merged(list(llm.stream("Say cheerfully: have a wonderful day!")))
    assert _unindexed(streamed.content) == message.content
    # the spoken answer goes back into the history as audio input, which Gemini accepts
    llm.invoke([HumanMessage("Say hi"), message, HumanMessage("Again")])
    sent = _last_body(emulator)["contents"][1]["parts"][0]["inlineData"]
    assert sent["mimeType"] == "audio/wav"


def test_llamaindex_speech_is_an_audio_block(emulator: Any) -> None:
    llm = _li(emulator, model=TTS, response_modalities=["AUDIO"], speech_config={"voice_config": {
        "prebuilt_voice_config": {"voice_name": "Puck"}}})
    response = llm.chat([ChatMessage(role="user", content="Say: good morning")])
    assert _last_body(emulator)["generationConfig"]["speechConfig"] == {
        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}}
    audio = [b for b in response.message.blocks if isinstance(b, AudioBlock)]
    assert len(audio) == 1 and audio[0].format == "wav"
    assert _wav(audio[0].resolve_audio().read()) == (24_000, 1, 6_000)
    final = list(llm.stream_chat([ChatMessage(role="user", content="Say: good morning")]))[-1]
    assert [b.format for b in final.message.blocks if isinstance(b, AudioBlock)] == ["wav"]


# ------------------------------------------------------------------------------------------- stream = invoke


@pytest.mark.parametrize(
    ("settings", "tools", "kinds"),
    [
        ({"model": "gemini-2.5-flash-image", "response_modalities": ["TEXT", "IMAGE"]}, None, ["text", "image"]),
        ({"model": "gemini-3-flash-preview"}, [{"code_execution": {}}],
         ["executable_code", "code_execution_result", "text"]),
        ({"model": "gemini-2.5-flash", "include_thoughts": True}, None, ["thinking", "text"]),
    ],
)
async def test_a_merged_langchain_stream_has_the_content_of_invoke(emulator: Any, settings: dict[str, Any],
                                                                  tools: Any, kinds: list[str]) -> None:
    llm: Any = _lc(emulator, **settings)
    if tools:
        llm = llm.bind_tools(tools)
    prompt = "Draw a cat and compute 6*7"
    whole = llm.invoke(prompt)
    assert [b["type"] for b in whole.content] == kinds
    assert _unindexed(_merged(list(llm.stream(prompt))).content) == whole.content
    assert _unindexed(_merged([c async for c in llm.astream(prompt)]).content) == whole.content


def test_a_text_only_answer_stays_a_string_in_both(emulator: Any) -> None:
    llm = _lc(emulator, model="gemini-2.5-flash")
    assert llm.invoke("hello").content == _merged(list(llm.stream("hello"))).content
    assert isinstance(llm.invoke("hello").content, str)


# ------------------------------------------------------------------------------------------- code execution


def _recorded_code(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=load_json(CODE))


def test_llamaindex_code_execution_comes_as_structured_blocks() -> None:
    bodies: list[dict[str, Any]] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return _recorded_code(request)

    llm = CometGemini(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(server)),
                      built_in_tools=[{"codeExecution": {}}])
    message = llm.chat([ChatMessage(role="user", content="run it")]).message
    code, ok, failed, text = message.blocks
    assert isinstance(code, ExecutableCodeBlock)
    assert (code.code, code.language) == ("print('ok')\nprint(1/0)", "PYTHON")
    assert isinstance(ok, CodeExecutionResultBlock) and (ok.outcome, ok.output) == ("OUTCOME_OK", "ok\n")
    assert isinstance(failed, CodeExecutionResultBlock) and failed.outcome == "OUTCOME_FAILED"
    assert "ZeroDivisionError" in failed.output
    assert type(text) is TextBlock
    assert all(isinstance(b, TextBlock) for b in message.blocks)  # still readable as text
    assert "```python\nprint('ok')" in (message.content or "")
    # sent back exactly as the parts came, signatures included, also after a JSON round trip
    for history in (message, ChatMessage.model_validate_json(message.model_dump_json())):
        llm.chat([ChatMessage(role="user", content="run it"), history, ChatMessage(role="user", content="why?")])
        assert bodies[-1]["contents"][1]["parts"] == load_json(CODE)["candidates"][0]["content"]["parts"]
