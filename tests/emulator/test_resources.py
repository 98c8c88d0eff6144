"""The emulator's Files API and Batch mode, driven through the public client (``client.files``,
``client.batches``) and, where the protocol itself is the point, with raw HTTP.

Timings are made deterministic, never raced: a state that must be seen is held for an hour
(``batch_pending_seconds=3600``), and a state that must be passed takes no time at all."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from cometgemini import (
    BadRequestError,
    BatchNotSucceededError,
    BatchState,
    CometGeminiClient,
    PermissionDeniedError,
    ResponseBlockedError,
    batch_jsonl,
)
from cometgemini._files import file_uri
from cometgemini.emulator import EmulatorServer, serve

KEY = "emu-key"
MODEL = "gemini-2.5-flash"
KiB = 1024


@pytest.fixture(scope="module")
def quick() -> Iterator[EmulatorServer]:
    """Files are ACTIVE and batches done at once."""
    with serve(api_key=KEY, file_processing_seconds=0, batch_pending_seconds=0, batch_running_seconds=0) as emu:
        yield emu


@pytest.fixture(scope="module")
def slow() -> Iterator[EmulatorServer]:
    """Videos stay PROCESSING and batches PENDING for an hour."""
    with serve(api_key=KEY, file_processing_seconds=3600, batch_pending_seconds=3600) as emu:
        yield emu


def _client(emu: EmulatorServer) -> CometGeminiClient:
    return CometGeminiClient(KEY, base_url=emu.base_url, max_retries=0)


def _user(text: str, *parts: dict[str, object]) -> dict[str, object]:
    return {"contents": [{"role": "user", "parts": [{"text": text}, *parts]}]}


def test_a_chunked_upload_becomes_a_file_that_generate_content_can_use(quick: EmulatorServer) -> None:
    client = _client(quick)
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(600 * KiB)
    sent: list[int] = []
    file = client.files.upload(data, mime_type="video/mp4", display_name="clip", chunk_size=256 * KiB,
                               progress=lambda done, total: sent.append(done))
    assert sent == [256 * KiB, 512 * KiB, len(data)]
    assert (file.state, file.size_bytes, file.display_name) == ("ACTIVE", len(data), "clip")
    assert file.uri == f"{quick.base_url}/v1beta/{file.name}" and file.sha256_hash

    for uri in (file.uri, file.name, file_uri(file.name)):  # the emulator's, the short name, Google's form
        answer = client.generate(MODEL, _user("Describe it", {"fileData": {"fileUri": uri, "mimeType": "video/mp4"}}))
        assert "[received video/mp4]" in answer.text

    assert [f.name for f in client.files.list()] == [file.name]
    assert client.files.get(file.name).state == "ACTIVE"
    client.files.delete(file.name)
    with pytest.raises(PermissionDeniedError, match="may not exist"):
        client.files.get(file.name)
    with pytest.raises(PermissionDeniedError, match="may not exist"):
        client.generate(MODEL, _user("Describe it", {"fileData": {"fileUri": file.uri}}))


def test_a_video_processes_before_it_can_be_used(slow: EmulatorServer) -> None:
    client = _client(slow)
    video = client.files.upload(b"\x00" * 100, mime_type="video/mp4")
    image = client.files.upload(b"\x89PNG....", mime_type="image/png")
    assert (video.state, image.state) == ("PROCESSING", "ACTIVE")
    with pytest.raises(BadRequestError, match="not in an ACTIVE state"):
        client.generate(MODEL, _user("Describe it", {"fileData": {"fileUri": video.uri}}))
    answer = client.generate(MODEL, _user("And this?", {"fileData": {"fileUri": image.uri}}))
    assert "[received image/png]" in answer.text


def test_the_upload_protocol_checks_offsets_granularity_and_size(quick: EmulatorServer) -> None:
    with httpx.Client(base_url=quick.base_url, headers={"x-goog-api-key": KEY}) as http:
        start = http.post("/upload/v1beta/files", json={"file": {"displayName": "x"}}, headers={
            "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(300 * KiB), "X-Goog-Upload-Header-Content-Type": "text/plain"})
        assert start.status_code == 200 and start.content == b""
        url = start.headers["x-goog-upload-url"]
        assert url.startswith(f"{quick.base_url}/upload/v1beta/files?upload_id=")
        assert start.headers["x-goog-upload-chunk-granularity"] == str(256 * KiB)

        def chunk(data: bytes, offset: int, command: str = "upload") -> httpx.Response:
            return httpx.post(url, content=data, headers={"X-Goog-Upload-Command": command,
                                                          "X-Goog-Upload-Offset": str(offset)})

        assert "multiple of 262144" in chunk(b"a" * 1000, 0).json()["error"]["message"]
        assert chunk(b"a" * 256 * KiB, 0).headers["x-goog-upload-status"] == "active"
        wrong = chunk(b"b" * 44 * KiB, 0, "upload, finalize")
        assert wrong.status_code == 400 and "262144 bytes were received" in wrong.json()["error"]["message"]
        query = httpx.post(url, headers={"X-Goog-Upload-Command": "query"})
        assert query.headers["x-goog-upload-size-received"] == str(256 * KiB)
        short = chunk(b"b" * 10, 256 * KiB, "upload, finalize")
        assert "finalized after" in short.json()["error"]["message"]

    with httpx.Client(base_url=quick.base_url) as http:  # the start needs the key, as every call does
        assert http.post("/upload/v1beta/files", headers={"X-Goog-Upload-Protocol": "resumable"}).status_code == 401


def test_an_inline_batch_runs_each_request_through_generate_content(quick: EmulatorServer) -> None:
    client = _client(quick)
    requests = {
        "sky": _user("Why is the sky blue?"),
        "blocked": _user("[[block]] nope"),
        "bad": {**_user("x"), "generationConfig": {"thinkingConfig": {"thinkingLevel": "LOW", "thinkingBudget": 9}}},
    }
    job = client.batches.create(MODEL, requests, display_name="three")
    assert job.name.startswith("batches/") and job.display_name == "three" and job.model == f"models/{MODEL}"
    done = client.batches.wait(job.name, poll_interval=0.01)
    assert done.state == BatchState.SUCCEEDED and done.done
    stats = done.batch_stats
    assert (stats.request_count, stats.successful_request_count, stats.failed_request_count) == (3, 2, 1)

    sky, blocked, bad = client.batches.results(job.name)
    assert [r.key for r in (sky, blocked, bad)] == ["sky", "blocked", "bad"]
    assert sky.unwrap().text.startswith("Emulated answer to: Why is the sky blue?")
    with pytest.raises(ResponseBlockedError):
        blocked.unwrap()
    assert bad.error is not None and bad.error.code == 3  # INVALID_ARGUMENT, as a gRPC code
    with pytest.raises(BadRequestError, match="only set only one of thinking budget and thinking level"):
        bad.unwrap()
    assert job.name in [j.name for j in client.batches.list()]
    client.batches.delete(job.name)
    assert job.name not in [j.name for j in client.batches.list()]


async def test_a_batch_from_an_uploaded_jsonl_file_answers_in_a_results_file(quick: EmulatorServer) -> None:
    client = _client(quick)
    source = await client.files.aupload(batch_jsonl([_user("first"), _user("second")]),
                                        mime_type="application/jsonl", display_name="requests.jsonl")
    job = await client.batches.acreate(MODEL, source.name)
    assert job.input_config == {"fileName": source.name}
    done = await client.batches.await_(job.name, poll_interval=0.01)
    assert done.output is not None and done.output.responses_file
    generated = await client.files.aget(done.output.responses_file)
    assert (generated.source, generated.mime_type) == ("GENERATED", "application/jsonl") and generated.download_uri
    results = await client.batches.aresults(job.name)
    assert [(r.key, r.unwrap().text.split(".")[0]) for r in results] == [
        ("0", "Emulated answer to: first"), ("1", "Emulated answer to: second")]
    lines = (await client.files.adownload(done.output.responses_file)).decode().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["0", "1"]


def test_batches_wait_pending_and_can_be_cancelled(slow: EmulatorServer) -> None:
    client = _client(slow)
    job = client.batches.create(MODEL, [_user("later")])
    assert client.batches.get(job.name).state == BatchState.PENDING
    assert client.batches.get(job.name).batch_stats.pending_request_count == 1
    with pytest.raises(BatchNotSucceededError, match="BATCH_STATE_PENDING"):
        client.batches.results(job.name)
    client.batches.cancel(job.name)
    cancelled = client.batches.wait(job.name, poll_interval=0)
    assert cancelled.state == BatchState.CANCELLED and cancelled.ended and cancelled.end_time
    with pytest.raises(BatchNotSucceededError, match="have no results"):
        client.batches.results(job.name)


def test_a_running_batch_and_bad_create_requests() -> None:
    with serve(batch_pending_seconds=0, batch_running_seconds=3600) as emu:
        client = _client(emu)
        job = client.batches.create(MODEL, [_user("hi")])
        assert client.batches.get(job.name).state == BatchState.RUNNING
        with pytest.raises(BadRequestError, match="does not exist"):
            client.batches.create(MODEL, "files/nothere")
        with httpx.Client(base_url=emu.base_url) as http:
            unknown = http.post(f"/v1beta/models/{MODEL}:batchGenerateContent",
                                json={"batch": {"inputConfig": {"requests": {"requests": [
                                    {"request": {"contents": [], "bogus": 1}}]}}}})
            assert unknown.status_code == 400 and 'Unknown name "bogus"' in unknown.json()["error"]["message"]
            assert http.get("/v1beta/batches/nope").status_code == 404


def test_the_timings_are_command_line_flags() -> None:
    from cometgemini.emulator.__main__ import parse_args

    config, host, port = parse_args(["--port", "9000", "--file-processing-seconds", "0.5",
                                     "--batch-pending-seconds", "2", "--batch-running-seconds", "30"])
    assert (host, port) == ("127.0.0.1", 9000)
    assert (config.file_processing_seconds, config.batch_pending_seconds, config.batch_running_seconds) == (0.5, 2, 30)
