"""A fake ``batchEmbedContents`` endpoint behind ``httpx.MockTransport``, shared by the embeddings tests.

Each text gets a vector computed from the text alone (``vector_for``), so a test can tell whether results
come back in input order. Scripted responses (errors, HTML pages) are answered first, one per request; a
``None`` in the script means "answer normally".
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zlib
from typing import Any

import httpx

API_KEY = "sk-test-secret-0123456789"
PATH = "/v1beta/models/gemini-embedding-001:batchEmbedContents"
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Gateway</title></head><body>Not here</body></html>"


def vector_for(text: str) -> list[float]:
    return [float(zlib.crc32(text.encode()) % 100_000), float(len(text))]


class FakeGemini:
    def __init__(self, *scripted: httpx.Response | None, delay: float = 0.0) -> None:
        self.scripted = list(scripted)
        self.delay = delay
        self.requests: list[httpx.Request] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    @property
    def inner(self) -> list[dict[str, Any]]:
        """Every inner EmbedContentRequest sent, in order."""
        return [inner for body in self.bodies for inner in body["requests"]]

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        canned = self.scripted.pop(0) if self.scripted else None
        if canned is not None:  # a fresh copy: a response's stream is tied to sync or async use
            return httpx.Response(canned.status_code, headers=canned.headers, content=canned.content)
        texts = [r["content"]["parts"][0]["text"] for r in json.loads(request.content)["requests"]]
        return httpx.Response(200, json={"embeddings": [{"values": vector_for(t)} for t in texts]})

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.delay)
            with self._lock:
                return self._answer(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return self._answer(request)
        finally:
            self.in_flight -= 1

    def clients(self) -> dict[str, Any]:
        """Keyword arguments that route both clients of an embeddings object here."""
        return {
            "api_key": API_KEY,
            "http_client": httpx.Client(transport=httpx.MockTransport(self.handle)),
            "http_async_client": httpx.AsyncClient(transport=httpx.MockTransport(self.ahandle)),
        }


def overloaded() -> httpx.Response:
    """A 503 that asks for a 1 ms wait, so the retry test does not sleep through backoff."""
    body = {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    return httpx.Response(503, json=body, headers={"retry-after-ms": "1"})


def html(status: int) -> httpx.Response:
    return httpx.Response(status, content=HTML_PAGE, headers={"content-type": "text/html; charset=utf-8"})


# Five short documents, one per topic, and a query per document that shares words only with it.
RAG_DOCS = [
    "Photosynthesis lets green plants turn sunlight water and carbon dioxide into sugar.",
    "The Eiffel Tower is a wrought iron lattice tower in Paris France.",
    "Python lists keep items in order and grow when you append new items.",
    "Mount Everest is the highest mountain above sea level in the Himalayas.",
    "Espresso coffee is brewed by forcing hot water through finely ground beans.",
]
RAG_QUERIES = [
    ("How do plants use sunlight to make sugar?", 0),
    ("Which iron tower stands in Paris?", 1),
    ("How do I append items to a Python list?", 2),
    ("What is the highest mountain in the Himalayas?", 3),
    ("How is espresso coffee brewed?", 4),
]
