"""ChatCometGemini with the API's resources, against the loopback emulator: uploaded files in content blocks,
the opt-in ``file_mode`` that uploads large media itself, and Batch mode (``submit_batch`` /
``collect_batch``) giving back the messages ``invoke`` gives."""

from __future__ import annotations

import base64
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.exceptions import ModelRefusalError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from cometgemini.emulator import EmulatorServer, serve
from langchain_cometgemini import ChatCometGemini

KEY = "test-key"
GOOGLE_FILES = "https://generativelanguage.googleapis.com/v1beta/files/"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                       "AAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve(api_key=KEY, file_processing_seconds=0, batch_pending_seconds=0, batch_running_seconds=0) as server:
        yield server


def _llm(emu: EmulatorServer, **settings: Any) -> ChatCometGemini:
    return ChatCometGemini(model="gemini-2.5-flash", api_key=KEY, base_url=emu.base_url, max_retries=0,
                           **settings)


def _image(data: bytes = PNG) -> HumanMessage:
    image = {"type": "image", "base64": base64.b64encode(data).decode(), "mime_type": "image/png"}
    return HumanMessage(content=[{"type": "text", "text": "What is this?"}, image])


def _sent_parts(emu: EmulatorServer) -> list[dict[str, Any]]:
    body = [r for r in emu.requests if r["path"].endswith(":generateContent")][-1]["json"]
    return body["contents"][-1]["parts"]


def _starts(emu: EmulatorServer) -> int:
    return sum(1 for r in emu.requests if r["path"] == "/upload/v1beta/files" and "upload_id" not in r["query"])


def test_an_uploaded_file_goes_in_by_file_id_name_or_uri(emu: EmulatorServer) -> None:
    llm = _llm(emu)
    file = llm.client.files.upload(b"%PDF-1.4 a tiny pdf", mime_type="application/pdf")
    blocks = [{"type": "file", "file_id": file.name},  # LangChain's v1 standard block
              {"type": "file", "url": file.name},
              {"type": "file", "url": file.uri}]
    for block in blocks:
        reply = llm.invoke([HumanMessage(content=[{"type": "text", "text": "Summarize"}, block])])
        assert "[received application/pdf]" in reply.text
    first = llm.invoke([HumanMessage(content=[{"type": "text", "text": "Summarize"}, blocks[0]])])
    assert first.text and _sent_parts(emu)[1] == {"fileData": {"fileUri": GOOGLE_FILES + file.name[6:]}}


def test_file_mode_fileapi_uploads_media_once_and_sends_a_file_reference(emu: EmulatorServer) -> None:
    llm = _llm(emu, file_mode="fileapi")
    before = _starts(emu)
    reply = llm.invoke([_image()])
    assert "[received image/png]" in reply.text
    part = _sent_parts(emu)[1]
    assert set(part) == {"fileData"} and part["fileData"]["mimeType"] == "image/png"
    assert part["fileData"]["fileUri"].startswith(f"{emu.base_url}/v1beta/files/")
    llm.invoke([_image(), reply, HumanMessage("And again?")])  # the history replays the image: no new upload
    assert _starts(emu) == before + 1


async def test_file_mode_hybrid_uploads_only_what_is_over_the_threshold(emu: EmulatorServer) -> None:
    llm = _llm(emu, file_mode="hybrid", file_upload_threshold=1000)
    big = PNG + b"\x00" * 4000
    await llm.ainvoke([HumanMessage(content=[
        {"type": "text", "text": "Compare"},
        {"type": "image", "base64": base64.b64encode(PNG).decode(), "mime_type": "image/png"},
        {"type": "image", "base64": base64.b64encode(big).decode(), "mime_type": "image/png"}])])
    small, large = _sent_parts(emu)[1:]
    assert "inlineData" in small and "fileData" in large
    stored = [r for r in emu.requests if r["path"] == "/upload/v1beta/files"][-2]["headers"]
    assert stored["x-goog-upload-header-content-length"] == str(len(big))


def test_without_tqdm_an_upload_logs_its_progress(emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    with caplog.at_level(logging.INFO, logger="cometgemini"):
        _llm(emu, file_mode="fileapi").invoke([_image(PNG + b"log me")])
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("uploading image/png")]
    assert len(lines) == 4 and lines[-1].endswith(f"{len(PNG) + 6} of {len(PNG) + 6} bytes")


def test_with_tqdm_an_upload_draws_a_bar_unless_disabled(emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    _llm(emu, file_mode="fileapi").invoke([_image(PNG + b"bar")])
    assert "uploading image/png" in capsys.readouterr().err
    monkeypatch.setenv("TQDM_DISABLE", "1")
    _llm(emu, file_mode="fileapi").invoke([_image(PNG + b"no bar")])
    assert "uploading" not in capsys.readouterr().err


def test_a_bad_file_mode_is_refused_when_the_model_is_built() -> None:
    with pytest.raises(ValueError, match=r"file_mode(.|\n)*'inline', 'fileapi' or 'hybrid'") as raised:
        ChatCometGemini(api_key=KEY, base_url="http://127.0.0.1:1", file_mode="upload")
    assert KEY not in str(raised.value)
    with pytest.raises(ValueError, match="file_upload_threshold must be a number of bytes"):
        ChatCometGemini(api_key=KEY, base_url="http://127.0.0.1:1", file_upload_threshold=-1)


def test_a_batch_gives_back_what_invoke_gives(emu: EmulatorServer) -> None:
    llm = _llm(emu)
    inputs = ["Why is the sky blue?", [SystemMessage("Be brief."), HumanMessage("Name a colour.")]]
    name = llm.submit_batch(inputs, temperature=0.2, display_name="lc-batch")
    assert name.startswith("batches/")
    created = [r for r in emu.requests if r["path"].endswith(":batchGenerateContent")][-1]["json"]["batch"]
    assert created["displayName"] == "lc-batch"
    first = created["inputConfig"]["requests"]["requests"][0]["request"]
    assert first["generationConfig"] == {"temperature": 0.2}
    collected = llm.collect_batch(name, poll_interval=0.01)
    live = [llm.invoke(i, temperature=0.2) for i in inputs]
    assert all(isinstance(m, AIMessage) for m in collected)
    assert [m.content for m in collected] == [m.content for m in live]
    assert [m.usage_metadata for m in collected] == [m.usage_metadata for m in live]
    assert collected[0].response_metadata["model_name"] == "gemini-2.5-flash"


async def test_a_keyed_async_batch_with_a_refused_request(emu: EmulatorServer) -> None:
    llm = _llm(emu)
    name = await llm.asubmit_batch({"ok": "Say hi", "no": "[[block]] nope"})
    created = [r for r in emu.requests if r["path"].endswith(":batchGenerateContent")][-1]["json"]["batch"]
    assert [i["metadata"] for i in created["inputConfig"]["requests"]["requests"]] == [{"key": "ok"}, {"key": "no"}]
    ok, refused = await llm.acollect_batch(name, poll_interval=0.01, return_exceptions=True)
    assert isinstance(ok, AIMessage) and ok.text.startswith("Emulated answer to: Say hi")
    assert isinstance(refused, ModelRefusalError)
    with pytest.raises(ModelRefusalError):
        await llm.acollect_batch(name, poll_interval=0.01)


def test_batch_inputs_must_share_one_model(emu: EmulatorServer) -> None:
    with pytest.raises(TypeError, match="list of inputs"):
        _llm(emu).submit_batch("just one string")
    with pytest.raises(ValueError, match="at least one input"):
        _llm(emu).submit_batch([])
