"""``client.files`` over a scripted server (MockTransport): the resumable upload protocol byte for byte (start,
chunks at the right offsets, finalize), sources (path, bytes, file object), progress, the upload URL's origin
check, metadata calls, waiting until ACTIVE, and a gateway that serves no files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cometgemini import (
    CometGeminiClient,
    FileProcessingError,
    MalformedResponseError,
    ResourceNotFoundError,
    WaitTimeoutError,
)

BASE = "https://gw.example"
KiB = 1024


class FakeFiles:
    """Just enough of Google's Files API to check what the client sends."""

    def __init__(self, *, upload_host: str = BASE, granularity: int = 256 * KiB,
                 states: list[str] | None = None) -> None:
        self.upload_host = upload_host
        self.granularity = granularity
        self.states = states or ["ACTIVE"]
        self.requests: list[httpx.Request] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.stored: dict[str, bytes] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/upload/v1beta/files":
            return self._start(request)
        if path == "/resumable":
            return self._chunk(request)
        if path.startswith("/v1beta/files/") and request.method == "GET":
            state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
            body: dict[str, Any] = {"name": path.removeprefix("/v1beta/"), "state": state}
            if state == "FAILED":
                body["error"] = {"code": 3, "message": "unsupported codec"}
            return httpx.Response(200, json=body)
        raise AssertionError(f"unexpected {request.method} {request.url}")

    def _start(self, request: httpx.Request) -> httpx.Response:
        upload_id = f"u{len(self.sessions)}"
        self.sessions[upload_id] = {
            "size": int(request.headers["x-goog-upload-header-content-length"]),
            "mime": request.headers["x-goog-upload-header-content-type"],
            "meta": json.loads(request.content)["file"], "data": b"",
        }
        url = f"{self.upload_host}/resumable?upload_id={upload_id}"
        return httpx.Response(200, headers={"x-goog-upload-url": url, "x-goog-upload-status": "active",
                                            "x-goog-upload-chunk-granularity": str(self.granularity)})

    def _chunk(self, request: httpx.Request) -> httpx.Response:
        session = self.sessions[request.url.params["upload_id"]]
        command = request.headers["x-goog-upload-command"]
        assert int(request.headers["x-goog-upload-offset"]) == len(session["data"])
        if command == "upload":
            assert len(request.content) % self.granularity == 0
        session["data"] += request.content
        if command != "upload, finalize":
            return httpx.Response(200, headers={"x-goog-upload-status": "active"})
        assert len(session["data"]) == session["size"]
        name = f"files/f{len(self.stored)}"
        self.stored[name] = session["data"]
        file = {"name": name, "displayName": session["meta"].get("displayName"), "mimeType": session["mime"],
                "sizeBytes": str(session["size"]), "state": "PROCESSING", "uri": f"{BASE}/v1beta/{name}"}
        return httpx.Response(200, headers={"x-goog-upload-status": "final"}, json={"file": file})


def _clients(handler: Any) -> tuple[CometGeminiClient, CometGeminiClient]:
    transport = httpx.MockTransport(handler)
    sync = CometGeminiClient("k", base_url=BASE, max_retries=1, http_client=httpx.Client(transport=transport))
    async_ = CometGeminiClient("k", base_url=BASE, max_retries=1,
                               http_async_client=httpx.AsyncClient(transport=transport))
    return sync, async_


def test_upload_speaks_the_resumable_protocol_chunk_by_chunk(tmp_path: Path) -> None:
    server = FakeFiles()
    sync, _ = _clients(server)
    data = bytes(range(256)) * 2400  # 600 KiB: three chunks of 256 KiB at most
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    seen: list[tuple[int, int]] = []
    file = sync.files.upload(path, chunk_size=256 * KiB, progress=lambda sent, total: seen.append((sent, total)))

    assert (file.name, file.mime_type, file.size_bytes, file.state) == ("files/f0", "video/mp4", len(data),
                                                                        "PROCESSING")
    assert file.display_name == "clip.mp4" and file.uri == f"{BASE}/v1beta/files/f0"
    assert server.stored["files/f0"] == data
    start, *chunks = server.requests
    assert start.url == f"{BASE}/upload/v1beta/files"
    assert start.headers["x-goog-upload-protocol"] == "resumable"
    assert start.headers["x-goog-upload-command"] == "start"
    assert start.headers["x-goog-upload-header-content-length"] == str(len(data))
    assert json.loads(start.content) == {"file": {"displayName": "clip.mp4"}}
    assert [c.headers["x-goog-upload-command"] for c in chunks] == ["upload", "upload", "upload, finalize"]
    assert [c.headers["x-goog-upload-offset"] for c in chunks] == ["0", str(256 * KiB), str(512 * KiB)]
    assert all(c.headers["x-goog-api-key"] == "k" for c in server.requests)
    assert seen == [(256 * KiB, len(data)), (512 * KiB, len(data)), (len(data), len(data))]


async def test_upload_from_bytes_and_from_a_file_object_async() -> None:
    server = FakeFiles()
    _, async_ = _clients(server)
    one = await async_.files.aupload(b"%PDF-1.4 tiny", mime_type="application/pdf", display_name="tiny")
    handle = io.BytesIO(b"skip:" + b"x" * 10)
    handle.name = "notes.txt"
    handle.seek(5)  # read from where the object stands, as Google's SDK does
    two = await async_.files.aupload(handle)
    assert (one.mime_type, one.display_name) == ("application/pdf", "tiny")
    assert (two.mime_type, two.display_name, two.size_bytes) == ("text/plain", "notes.txt", 10)
    assert server.stored == {"files/f0": b"%PDF-1.4 tiny", "files/f1": b"x" * 10}
    assert [r.headers["x-goog-upload-command"] for r in server.requests[1::2]] == ["upload, finalize"] * 2


def test_jsonl_gets_its_type_and_the_servers_granularity_wins(tmp_path: Path) -> None:
    server = FakeFiles(granularity=512 * KiB)
    sync, _ = _clients(server)
    path = tmp_path / "requests.jsonl"
    path.write_bytes(b"{}\n" * (400 * KiB))  # 1.2 MiB
    sync.files.upload(path, chunk_size=256 * KiB)
    assert server.sessions["u0"]["mime"] == "application/jsonl"
    assert [len(r.content) for r in server.requests[1:]] == [512 * KiB, 512 * KiB, 176 * KiB]


@pytest.mark.parametrize(
    ("source", "options", "error", "words"),
    [
        (b"abc", {}, ValueError, "mime_type="),
        ("/no/such/file.pdf", {}, FileNotFoundError, "no file to upload"),
        (io.StringIO("text"), {"mime_type": "text/plain"}, ValueError, "text mode"),
        (b"abc", {"mime_type": "text/plain", "chunk_size": 1000}, ValueError, "multiple of 256 KiB"),
        (42, {}, TypeError, "path, bytes or a binary file object"),
    ],
)
def test_bad_sources_fail_before_anything_is_sent(source: Any, options: dict[str, Any], error: type,
                                                  words: str) -> None:
    server = FakeFiles()
    sync, _ = _clients(server)
    with pytest.raises(error, match=words):
        sync.files.upload(source, **options)
    assert server.requests == []


def test_an_upload_url_naming_the_default_port_is_the_same_origin() -> None:
    server = FakeFiles(upload_host=BASE + ":443")
    sync, _ = _clients(server)
    assert sync.files.upload(b"data", mime_type="text/plain").name == "files/f0"


def test_an_upload_url_on_another_host_is_refused_before_the_key_goes_there() -> None:
    server = FakeFiles(upload_host="https://elsewhere.example")
    sync, _ = _clients(server)
    with pytest.raises(MalformedResponseError, match="another host") as raised:
        sync.files.upload(b"data", mime_type="text/plain")
    assert "'k'" not in str(raised.value)
    assert [r.url.host for r in server.requests] == ["gw.example"]


def test_metadata_list_delete_and_download() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.method == "DELETE":
            return httpx.Response(200, json={})
        if request.url.path == "/download/v1beta/files/out:download":
            assert request.url.params["alt"] == "media"
            return httpx.Response(200, content=b'{"key": "a"}\n')
        if request.url.path == "/v1beta/files":
            token = request.url.params.get("pageToken")
            page = {None: {"files": [{"name": "files/a", "sizeBytes": "12"}], "nextPageToken": "p2"},
                    "p2": {"files": [{"name": "files/b", "state": "ACTIVE"}]}}[token]
            return httpx.Response(200, json=page)
        return httpx.Response(200, json={"name": "files/a", "state": "ACTIVE",
                                         "expirationTime": "2026-01-02T00:00:00Z"})

    sync, _ = _clients(handler)
    assert sync.files.get("a").expiration_time == "2026-01-02T00:00:00Z"
    assert [(f.name, f.size_bytes) for f in sync.files.list()] == [("files/a", 12), ("files/b", None)]
    sync.files.delete("files/a")
    assert sync.files.download("files/out") == b'{"key": "a"}\n'
    assert [(r.method, r.url.path) for r in calls] == [
        ("GET", "/v1beta/files/a"), ("GET", "/v1beta/files"), ("GET", "/v1beta/files"),
        ("DELETE", "/v1beta/files/a"), ("GET", "/download/v1beta/files/out:download")]
    with pytest.raises(ValueError, match="not a files name"):
        sync.files.get("batches/x")


async def test_wait_active_polls_until_active_and_says_why_not() -> None:
    server = FakeFiles(states=["PROCESSING", "PROCESSING", "ACTIVE"])
    sync, async_ = _clients(server)
    assert sync.files.wait_active("files/v", poll_interval=0).state == "ACTIVE"
    assert len(server.requests) == 3

    server.states = ["PROCESSING", "FAILED"]
    with pytest.raises(FileProcessingError, match="unsupported codec") as failed:
        await async_.files.await_active("v", poll_interval=0)
    assert failed.value.file.state == "FAILED"

    server.states = ["PROCESSING"]
    with pytest.raises(WaitTimeoutError, match="files/v is PROCESSING") as late:
        sync.files.wait_active("v", timeout=0, poll_interval=0)
    assert isinstance(late.value, TimeoutError) and late.value.last.state == "PROCESSING"


def test_a_gateway_without_the_files_api_says_so() -> None:
    sync, _ = _clients(lambda request: httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(ResourceNotFoundError, match=r"files is not served at https://gw\.example") as raised:
        sync.files.upload(b"x", mime_type="text/plain")
    assert "generativelanguage.googleapis.com" in str(raised.value)
