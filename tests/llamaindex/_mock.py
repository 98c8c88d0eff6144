"""A recording ``httpx.MockTransport`` that answers with recorded Gemini traffic, and a ``CometGemini`` on it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from llamaindex_cometgemini import CometGemini
from tests._fixtures import fixture_path, load_json


def sse_body(name: str) -> bytes:
    """An SSE body: a verbatim ``.sse`` fixture, or a ``.chunks.jsonl`` one framed as events."""
    raw = fixture_path(name).read_bytes()
    if name.endswith(".sse"):
        return raw
    lines = [line for line in raw.splitlines() if line.strip()]
    return b"".join(b"data: " + line + b"\r\n\r\n" for line in lines)


def sse_of(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks)


def text_response(text: str = "Hi.", **usage: int) -> dict[str, Any]:
    meta = {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5, **usage}
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
        "usageMetadata": meta,
        "modelVersion": "gemini-3-flash-preview",
        "responseId": "r1",
    }


class Recorder:
    """Answers every request with ``reply`` (a dict, a fixture name, bytes, or a callable) and keeps the
    JSON bodies it received."""

    def __init__(self, reply: Any = None, stream: Any = None) -> None:
        self.reply = reply if reply is not None else text_response()
        self.stream = stream
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[httpx.Headers] = []

    @property
    def last(self) -> dict[str, Any]:
        return self.requests[-1]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        self.paths.append(request.url.path)
        self.headers.append(request.headers)
        if "streamGenerateContent" in request.url.path:
            return httpx.Response(200, content=self._body(self.stream), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, content=self._body(self.reply), headers={"content-type": "application/json"})

    def _body(self, reply: Any) -> bytes:
        if callable(reply):
            reply = reply(self)
        if isinstance(reply, bytes):
            return reply
        if isinstance(reply, str):
            if reply.endswith((".sse", ".jsonl")):
                return sse_body(reply)
            return json.dumps(load_json(reply)).encode()
        return json.dumps(reply).encode()


def make_llm(recorder: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> CometGemini:
    transport = httpx.MockTransport(recorder)
    kwargs.setdefault("api_key", "test-key")
    return CometGemini(
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        max_retries=0,
        **kwargs,
    )
