"""A ChatCometGemini wired to an ``httpx.MockTransport`` that records requests and replays fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from langchain_cometgemini import ChatCometGemini
from tests._fixtures import fixture_path


def sse_from_jsonl(name: str) -> bytes:
    lines = fixture_path(name).read_text(encoding="utf-8").splitlines()
    return b"".join(b"data: " + line.encode() + b"\r\n\r\n" for line in lines if line.strip())


@dataclass
class Recorder:
    """Answers each request with the next queued reply, and keeps every request."""

    replies: list[Callable[[httpx.Request], httpx.Response]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    used: int = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The next unused reply; the last one again once all were used."""
        self.requests.append(request)
        reply = self.replies[min(self.used, len(self.replies) - 1)]
        self.used += 1
        return reply(request)

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)

    def json(self, payload: Any, status: int = 200) -> Recorder:
        self.replies.append(lambda _: httpx.Response(status, json=payload))
        return self

    def fixture(self, name: str) -> Recorder:
        return self.json(json.loads(fixture_path(name).read_text(encoding="utf-8")))

    def sse(self, name: str) -> Recorder:
        path = fixture_path(name)
        body = sse_from_jsonl(name) if name.endswith(".jsonl") else path.read_bytes()
        self.replies.append(lambda _: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        return self


def text_response(text: str = "Hello!", **extra: Any) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2, "totalTokenCount": 7},
        "modelVersion": "gemini-3-flash-preview",
        "responseId": "resp-1",
        **extra,
    }


def make_llm(recorder: Recorder, **kwargs: Any) -> ChatCometGemini:
    transport = httpx.MockTransport(recorder.handler)
    return ChatCometGemini(
        api_key="test-key",
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        max_retries=0,
        **kwargs,
    )
