"""The async driver over real loopback sockets: what goes on the wire, compressed answers, proxies from the
environment, abandoned streams, and httpx's pool when aiohttp is not installed."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import cometgemini as cg
import cometgemini._aiohttp as driver
import cometgemini._client as client_module

MODEL = "gemini-2.5-flash"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "zipped hello"}]},
                          "finishReason": "STOP"}],
          "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2, "totalTokenCount": 3}}


def _sse(*texts: str) -> bytes:
    events = [{"candidates": [{"content": {"role": "model", "parts": [{"text": t}]}}]} for t in texts]
    events.append({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}],
                   "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 3, "totalTokenCount": 4}})
    return b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)


class _Gzip(http.server.BaseHTTPRequestHandler):
    """Answers every generate call gzip-compressed, and records each request line and its headers."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, str]]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.seen.append({"target": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        streamed = "streamGenerateContent" in self.path
        raw = _sse("one ", "two ", "three") if streamed else json.dumps(ANSWER).encode()
        body = gzip.compress(raw)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream" if streamed else "application/json")
        self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gzip_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Gzip,), {"seen": seen}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


async def test_a_compressed_answer_is_decoded_and_the_headers_are_ours(
    gzip_server: tuple[str, list[dict[str, str]]],
) -> None:
    url, seen = gzip_server
    async with cg.CometGeminiClient("k-123", base_url=url) as client:
        response = await client.agenerate(MODEL, BODY)
    assert response.text == "zipped hello"
    assert response.usage_metadata is not None and response.usage_metadata.total_token_count == 3
    [request] = seen
    assert request["target"] == f"/v1beta/models/{MODEL}:generateContent"
    assert request["x-goog-api-key"] == "k-123"
    assert request["content-type"] == "application/json"
    assert request["user-agent"].startswith("cometgemini/")
    assert "gzip" in request["accept-encoding"]
    assert "authorization" not in request


async def test_a_compressed_stream_is_decoded(gzip_server: tuple[str, list[dict[str, str]]]) -> None:
    url, _ = gzip_server
    async with cg.CometGeminiClient("k", base_url=url, auth="bearer") as client:
        chunks = [chunk async for chunk in client.astream(MODEL, BODY)]
    assert "".join(c.text or "" for c in chunks) == "one two three"
    assert chunks[-1].candidates[0].finish_reason == "STOP"


async def test_the_proxy_named_by_the_environment_is_used(
    gzip_server: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``HTTP_PROXY`` as httpx reads it: the request reaches the proxy in absolute form."""
    proxy, seen = gzip_server
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    async with cg.CometGeminiClient("k", base_url="http://gemini.invalid", allow_insecure_http=True) as client:
        response = await client.agenerate(MODEL, BODY)
    assert response.text == "zipped hello"
    assert seen[0]["target"] == f"http://gemini.invalid/v1beta/models/{MODEL}:generateContent"


@pytest.mark.parametrize(("env", "url", "expected"), [
    ({}, "https://api.cometapi.com", None),
    ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.cometapi.com", "http://proxy:3128"),
    ({"HTTPS_PROXY": "http://proxy:3128"}, "http://127.0.0.1:8000", None),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "127.0.0.1"}, "http://127.0.0.1:8000", None),
    ({"ALL_PROXY": "http://p:2"}, "https://api.cometapi.com", "http://p:2"),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": ".cometapi.com"}, "https://api.cometapi.com", None),
])
def test_env_proxy_follows_the_usual_rules(env: dict[str, str], url: str, expected: str | None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert driver.env_proxy(url) == expected


async def test_an_abandoned_stream_does_not_spoil_the_pool(emulator: Any) -> None:
    """Leaving streams after their first event, many times over: every later call still gets its answer."""
    async with cg.CometGeminiClient("test-key", base_url=emulator.base_url, timeout=10) as client:
        for _ in range(30):
            stream = client.astream(MODEL, {"contents": [{"role": "user", "parts": [{"text": "[[words:300]]"}]}]})
            async for _chunk in stream:
                break
            await stream.aclose()
        answers = await asyncio.gather(*(client.agenerate(MODEL, BODY) for _ in range(10)))
    assert all(a.text for a in answers)


async def test_without_aiohttp_the_httpx_pool_serves(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*args: Any) -> Any:
        raise AssertionError("the aiohttp driver was used")

    monkeypatch.setattr(client_module, "aiohttp_available", lambda: False)
    monkeypatch.setattr(driver.AiohttpPool, "fetch", refuse)
    monkeypatch.setattr(driver.AiohttpPool, "open_stream", refuse)
    async with cg.CometGeminiClient("test-key", base_url=emulator.base_url) as client:
        answer = await client.agenerate(MODEL, BODY)
        chunks = [c async for c in client.astream(MODEL, {"contents": [{"role": "user",
                                                                          "parts": [{"text": "[[words:5]]"}]}]})]
        tokens = await client.acount_tokens(MODEL, BODY["contents"])  # type: ignore[arg-type]
    assert answer.text and len(chunks) >= 5 and tokens.total_tokens > 0
    with pytest.raises(cg.AuthenticationError):
        async with cg.CometGeminiClient("wrong", base_url=emulator.base_url, max_retries=0) as client:
            await client.agenerate(MODEL, BODY)


@pytest.fixture
def garbled_server() -> Iterator[str]:
    """Answers every request with a malformed status line (aiohttp raises ClientResponseError)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 2x0 WHAT\r\nfoo\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


async def test_a_malformed_answer_leaves_no_key_anywhere_in_the_error_chain(garbled_server: str) -> None:
    """aiohttp's ClientResponseError keeps the request's headers and shows them in its repr; chained under
    our error, it must not carry the key there."""
    secret = "sk-canary-0123456789abcdefghij"
    async with cg.CometGeminiClient(secret, base_url=garbled_server, max_retries=0) as client:
        with pytest.raises(cg.APIConnectionError) as info:
            await client.agenerate(MODEL, BODY)
    chain: list[BaseException] = []
    error: BaseException | None = info.value
    while error is not None and len(chain) < 20:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(type(e).__name__ == "ClientResponseError" for e in chain)  # the case this test is about
    for error in chain:
        assert secret not in repr(error) and secret not in str(error)
        assert secret not in repr(vars(error)) and secret not in repr(error.args)


def test_asyncio_run_again_and_again_leaves_no_unclosed_session(emulator: Any) -> None:
    """The script pattern ``asyncio.run(...)`` per call: each run's pool is closed as its loop shuts down, so
    aiohttp has no "Unclosed client session" to print (it did, once per earlier run)."""
    script = f"""
import asyncio, gc
import cometgemini as cg
client = cg.CometGeminiClient("test-key", base_url={emulator.base_url!r})
body = {BODY!r}
for _ in range(3):
    print(bool(asyncio.run(client.agenerate("{MODEL}", body)).text))
gc.collect()
"""
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"] * 3
    assert "Unclosed" not in done.stderr, done.stderr
