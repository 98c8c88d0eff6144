"""CometGemini with the API's resources, against the loopback emulator: uploaded files in blocks, the opt-in
``file_mode``, and Batch mode (``submit_batch`` / ``collect_batch``) giving back what ``chat`` gives."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, DocumentBlock, ImageBlock, TextBlock

from cometgemini import ResponseBlockedError
from cometgemini.emulator import EmulatorServer, serve
from llamaindex_cometgemini import CometGemini

KEY = "test-key"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                       "AAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve(api_key=KEY, file_processing_seconds=0, batch_pending_seconds=0, batch_running_seconds=0) as server:
        yield server


def _llm(emu: EmulatorServer, **settings: Any) -> CometGemini:
    return CometGemini(model="gemini-2.5-flash", api_key=KEY, base_url=emu.base_url, max_retries=0, **settings)


def _sent_parts(emu: EmulatorServer) -> list[dict[str, Any]]:
    body = [r for r in emu.requests if r["path"].endswith(":generateContent")][-1]["json"]
    return body["contents"][-1]["parts"]


def test_an_uploaded_file_goes_in_by_name_or_uri(emu: EmulatorServer) -> None:
    llm = _llm(emu)
    pdf = llm.client.files.upload(b"%PDF-1.4 tiny", mime_type="application/pdf")
    image = llm.client.files.upload(PNG, mime_type="image/png")
    by_name = ChatMessage(role="user", blocks=[TextBlock(text="Read"), DocumentBlock(url=pdf.name)])
    by_uri = ChatMessage(role="user", blocks=[TextBlock(text="Look"), ImageBlock(url=image.uri)])
    assert "[received application/pdf]" in llm.chat([by_name]).message.content
    assert _sent_parts(emu)[1] == {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/"
                                                           + pdf.name}}
    assert "[received image/png]" in llm.chat([by_uri]).message.content
    assert _sent_parts(emu)[1] == {"fileData": {"fileUri": image.uri}}  # no guessed type: the file has one


async def test_file_mode_uploads_media_and_reuses_the_upload(emu: EmulatorServer) -> None:
    llm = _llm(emu, file_mode="hybrid", file_upload_threshold=10)
    message = ChatMessage(role="user", blocks=[TextBlock(text="What is this?"), ImageBlock(image=PNG,
                                                                                           image_mimetype="image/png")])
    starts = len([r for r in emu.requests if r["path"] == "/upload/v1beta/files"])
    reply = await llm.achat([message])
    assert "[received image/png]" in reply.message.content and "fileData" in _sent_parts(emu)[1]
    chunks = [c async for c in await llm.astream_chat([message, reply.message, ChatMessage(role="user",
                                                                                            content="More?")])]
    assert chunks[-1].message.content
    assert len([r for r in emu.requests if r["path"] == "/upload/v1beta/files"]) == starts + 2  # start + 1 chunk


def test_a_batch_gives_back_what_chat_gives(emu: EmulatorServer) -> None:
    llm = _llm(emu)
    inputs = ["Why is the sky blue?", [ChatMessage(role="system", content="Be brief."),
                                       ChatMessage(role="user", content="Name a colour.")]]
    name = llm.submit_batch(inputs, temperature=0.3)
    collected = llm.collect_batch(name, poll_interval=0.01)
    live = [llm.chat([ChatMessage(role="user", content=inputs[0])], temperature=0.3),
            llm.chat(inputs[1], temperature=0.3)]
    assert all(isinstance(r, ChatResponse) for r in collected)
    assert [r.message.content for r in collected] == [r.message.content for r in live]
    assert [r.additional_kwargs["total_tokens"] for r in collected] == [r.additional_kwargs["total_tokens"]
                                                                        for r in live]


async def test_a_keyed_async_batch_with_a_refused_request(emu: EmulatorServer) -> None:
    llm = _llm(emu)
    name = await llm.asubmit_batch({"ok": "Say hi", "no": "[[block]] nope"})
    ok, refused = await llm.acollect_batch(name, poll_interval=0.01, return_exceptions=True)
    assert isinstance(ok, ChatResponse) and ok.message.content.startswith("Emulated answer to: Say hi")
    assert isinstance(refused, ResponseBlockedError)
    with pytest.raises(ResponseBlockedError):
        llm.collect_batch(name, wait=False)
