"""One way to drive every user-facing surface (core client, LangChain, LlamaIndex; sync and async; invoke and
stream) and describe what the user got, so the fault matrix asserts the same thing everywhere.

A call either returns an ``Outcome`` (the answer text, the finish reason the user can see, and how many stream
chunks arrived) or raises what the user would catch. Chunks received before a stream error are kept in the
``Outcome`` passed in, so a test can assert "one chunk, then an error".
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from cometgemini import CometGeminiClient, StreamAccumulator

SURFACES = ("core", "langchain", "llamaindex")
MODES = ("invoke", "ainvoke", "stream", "astream")
MODEL = "gemini-2.5-flash"
KEY = "test-key"


@dataclass
class Outcome:
    text: str = ""
    finish_reason: str | None = None
    chunks: int = 0
    elapsed: float = 0.0
    """Seconds the call took (client construction excluded), set even when it raised."""
    safety_ratings: list[Any] = field(default_factory=list)


def fault_headers(spec: str | None, key: str | None = None) -> dict[str, str]:
    """Headers that make the emulator inject ``spec``; ``key`` isolates counted faults (``*N``)."""
    if spec is None:
        return {"x-emulator-fault-key": key or uuid.uuid4().hex}
    return {"x-emulator-fault": spec, "x-emulator-fault-key": key or uuid.uuid4().hex}


def make(surface: str, base_url: str, *, headers: dict[str, str] | None = None, max_retries: int = 2,
         timeout: float | None = 10.0, api_key: str = KEY) -> Any:
    """A fresh client of ``surface`` pointed at ``base_url``."""
    if surface == "core":
        return CometGeminiClient(api_key, base_url=base_url, max_retries=max_retries, timeout=timeout,
                                 default_headers=headers)
    if surface == "langchain":
        from langchain_cometgemini import ChatCometGemini

        return ChatCometGemini(model=MODEL, api_key=api_key, base_url=base_url, max_retries=max_retries,
                               timeout=timeout, default_headers=headers)
    from llamaindex_cometgemini import CometGemini

    return CometGemini(model=MODEL, api_key=api_key, base_url=base_url, max_retries=max_retries,
                       timeout=timeout, default_headers=headers)


def core_client(llm: Any) -> CometGeminiClient:
    return llm if isinstance(llm, CometGeminiClient) else llm.client


def _request(prompt: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}


def _li_messages(prompt: str) -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content=prompt)]


def _from_core(response: Any, out: Outcome) -> Outcome:
    candidate = response.candidates[0] if response.candidates else None
    if candidate is not None:
        out.text = "".join(p.text or "" for p in candidate.content.parts if not p.thought)
        out.finish_reason = candidate.finish_reason
        out.safety_ratings = list(candidate.safety_ratings or [])
    return out


def _from_lc(message: Any, out: Outcome) -> Outcome:
    out.text = message.text if isinstance(message.text, str) else message.text()
    out.finish_reason = message.response_metadata.get("finish_reason")
    out.safety_ratings = list(message.response_metadata.get("safety_ratings") or [])
    return out


def _from_li(response: Any, out: Outcome) -> Outcome:
    out.text = response.message.content or ""
    out.finish_reason = response.additional_kwargs.get("finish_reason")
    out.safety_ratings = list(response.additional_kwargs.get("safety_ratings") or [])
    return out


def call_sync(surface: str, llm: Any, mode: str, prompt: str, out: Outcome) -> Outcome:
    if surface == "core":
        if mode == "invoke":
            return _from_core(llm.generate(MODEL, _request(prompt)), out)
        acc = StreamAccumulator()
        for chunk in llm.stream(MODEL, _request(prompt)):
            out.chunks += 1
            acc.add(chunk)
        return _from_core(acc.result(), out)
    if surface == "langchain":
        if mode == "invoke":
            return _from_lc(llm.invoke(prompt), out)
        full = None
        for chunk in llm.stream(prompt):
            out.chunks += 1
            full = chunk if full is None else full + chunk
        return _from_lc(full, out)
    if mode == "invoke":
        return _from_li(llm.chat(_li_messages(prompt)), out)
    last = None
    for last in llm.stream_chat(_li_messages(prompt)):  # noqa: B007
        out.chunks += 1
    return _from_li(last, out)


async def call_async(surface: str, llm: Any, mode: str, prompt: str, out: Outcome) -> Outcome:
    if surface == "core":
        if mode == "ainvoke":
            return _from_core(await llm.agenerate(MODEL, _request(prompt)), out)
        acc = StreamAccumulator()
        async for chunk in llm.astream(MODEL, _request(prompt)):
            out.chunks += 1
            acc.add(chunk)
        return _from_core(acc.result(), out)
    if surface == "langchain":
        if mode == "ainvoke":
            return _from_lc(await llm.ainvoke(prompt), out)
        full = None
        async for chunk in llm.astream(prompt):
            out.chunks += 1
            full = chunk if full is None else full + chunk
        return _from_lc(full, out)
    if mode == "ainvoke":
        return _from_li(await llm.achat(_li_messages(prompt)), out)
    last = None
    async for last in await llm.astream_chat(_li_messages(prompt)):  # noqa: B007
        out.chunks += 1
    return _from_li(last, out)


def run(surface: str, mode: str, base_url: str, prompt: str = "hello", out: Outcome | None = None,
        **settings: Any) -> Outcome:
    """One call through ``surface`` in ``mode`` with a fresh client that is closed afterwards (async modes
    run on their own event loop, so the pool is closed on the loop that opened it)."""
    out = out if out is not None else Outcome()
    llm = make(surface, base_url, **settings)
    start = time.perf_counter()
    if mode in ("invoke", "stream"):
        try:
            return call_sync(surface, llm, mode, prompt, out)
        finally:
            out.elapsed = time.perf_counter() - start
            core_client(llm).close()

    async def go() -> Outcome:
        try:
            return await call_async(surface, llm, mode, prompt, out)
        finally:
            out.elapsed = time.perf_counter() - start
            await core_client(llm).aclose()

    return asyncio.run(go())


def count_requests(server: Any, key: str) -> int:
    """Requests the emulator received carrying fault key ``key``."""
    return sum(1 for r in server.requests if r["headers"].get("x-emulator-fault-key") == key)
