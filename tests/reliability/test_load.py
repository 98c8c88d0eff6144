"""Load through both adapters against an emulator (child process) that fails 2% of requests with 503:
1,000 ``ainvoke``/``achat`` calls with 100 in flight, then 300 concurrent streams. Every call is answered,
each answer is its own (the emulator echoes the prompt, and each prompt holds a unique token), nothing is
lost or duplicated, and after ``aclose()`` the sockets, file descriptors, live responses and RSS are back
near where they started.

Figures are printed (run with ``-s`` to see them); ``tests/reliability/RESULTS.md`` quotes them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from tests.reliability._load import Snapshot, child_emulator, counting_retries, drive, settle, snapshot
from tests.reliability._surfaces import KEY, MODEL

CALLS = 1000
IN_FLIGHT = 100
STREAMS = 300
WARM_UP = 200
RSS_SLACK_MB = 20.0
"""After a warm-up run of the same kind, RSS may still grow a little (allocator arenas, caches that fill
once); a per-call leak of 20 KB would show as 20 MB over 1,000 calls."""

TOKEN = re.compile(r"\bt\d{4}x[0-9a-f]{8}\b")


@pytest.fixture(scope="module")
def flaky() -> Iterator[str]:
    with child_emulator(KEY, fault="503", fault_rate=0.02, fault_seed=1) as url:
        yield url


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def tokens(n: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"t{i:04d}x{run}" for i in range(n)]


class Adapter:
    """One adapter's async entry points, answering ``(text, finish_reason)`` for a token's prompt."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        if name == "langchain":
            from langchain_cometgemini import ChatCometGemini

            self.llm: Any = ChatCometGemini(model=MODEL, api_key=KEY, base_url=url, timeout=30)
        else:
            from llamaindex_cometgemini import CometGemini

            self.llm = CometGemini(model=MODEL, api_key=KEY, base_url=url, timeout=30)

    async def invoke(self, token: str) -> tuple[str, Any]:
        prompt = f"Please echo {token}"
        if self.name == "langchain":
            message = await self.llm.ainvoke(prompt)
            return message.text, message.response_metadata.get("finish_reason")
        from llama_index.core.llms import ChatMessage

        response = await self.llm.achat([ChatMessage(role="user", content=prompt)])
        return response.message.content, response.additional_kwargs.get("finish_reason")

    async def stream(self, token: str) -> tuple[str, Any]:
        prompt = f"Please echo {token}"
        if self.name == "langchain":
            full = None
            async for chunk in self.llm.astream(prompt):
                full = chunk if full is None else full + chunk
            assert full is not None
            return full.text, full.response_metadata.get("finish_reason")
        from llama_index.core.llms import ChatMessage

        last = None
        deltas: list[str] = []
        async for last in await self.llm.astream_chat([ChatMessage(role="user", content=prompt)]):
            deltas.append(last.delta or "")
        assert last is not None
        assert "".join(deltas) == last.message.content, "deltas do not add up to the final message"
        return last.message.content, last.additional_kwargs.get("finish_reason")

    @property
    def http(self) -> Any:
        # only read, to check that aclose() closed the pool; the socket counts are the public evidence
        return getattr(self.llm.client, "_apool", None)

    async def aclose(self) -> None:
        if self.name == "langchain":
            await self.llm.aclose()
        else:
            await self.llm.client.aclose()


def check_answers(results: list[tuple[str, Any]], expected: int) -> None:
    assert len(results) == expected
    assert len({token for token, _ in results}) == expected, "a request was answered twice"
    for token, (text, finish) in results:
        assert TOKEN.findall(text) == [token], f"{token} got someone else's answer: {text[:120]!r}"
        assert finish == "STOP"


async def measured(adapter: Adapter, port: int, ask: Callable[[str], Awaitable[Any]], asked: list[str],
                   in_flight: int, warm_up: int) -> tuple[Any, Snapshot, Snapshot, Snapshot]:
    """A warm-up run of the same kind (imports, pools, caches, allocator arenas), ``aclose()``, then the
    measured run, from a closed start to a closed end."""
    check_answers((await drive(ask, tokens(warm_up), in_flight)).results, warm_up)
    await adapter.aclose()
    before = await settle(port)
    result = await drive(ask, asked, in_flight)
    during = snapshot(port)
    client = adapter.http
    await adapter.aclose()
    assert client is None or client.is_closed
    after = await settle(port)
    return result, before, during, after


def check_no_leak(name: str, before: Snapshot, during: Snapshot, after: Snapshot) -> None:
    print(f"\n{name}: before {before.line()}\n{name}: open   {during.line()}\n{name}: after  {after.line()}")
    assert before.sockets == 0 and after.sockets == 0, "aclose() left connections open"
    assert 0 < during.sockets <= 200, "the pool is bounded at 200 connections"
    assert after.fds <= before.fds + 2
    assert after.responses <= before.responses
    assert after.rss_mb - before.rss_mb < RSS_SLACK_MB


@pytest.mark.parametrize("name", ["langchain", "llamaindex"])
async def test_1000_calls_100_in_flight_with_2pct_503(flaky: str, name: str) -> None:
    adapter = Adapter(name, flaky)
    port = port_of(flaky)
    with counting_retries() as retries:
        run, before, during, after = await measured(adapter, port, adapter.invoke, tokens(CALLS), IN_FLIGHT,
                                                    WARM_UP)
    check_answers(run.results, CALLS)
    print(f"{name}: {CALLS} calls, {IN_FLIGHT} in flight: {run.seconds:.2f}s, {run.rate:.0f} calls/s, "
          f"{retries.count} retries after injected 503s (warm-up included)")
    assert retries.count > 0, "no 503 was injected: the fault rate is not in effect"
    check_no_leak(name, before, during, after)


@pytest.mark.parametrize("name", ["langchain", "llamaindex"])
async def test_300_concurrent_streams_with_2pct_503(flaky: str, name: str) -> None:
    adapter = Adapter(name, flaky)
    port = port_of(flaky)
    asked = tokens(STREAMS)
    with counting_retries() as retries:
        run, before, during, after = await measured(adapter, port, adapter.stream, asked, STREAMS, STREAMS)
    check_answers(run.results, STREAMS)
    print(f"{name}: {STREAMS} concurrent streams: {run.seconds:.2f}s, {run.rate:.0f} streams/s, "
          f"{retries.count} retries (warm-up included)")
    check_no_leak(name, before, during, after)
    # each stream, joined, is exactly the non-streamed answer to the same prompt (the emulator is
    # deterministic): no chunk lost, repeated or taken from another stream
    whole = await drive(adapter.invoke, asked, IN_FLIGHT)
    await adapter.aclose()
    assert [text for _, (text, _) in whole.results] == [text for _, (text, _) in run.results]


@pytest.mark.parametrize("name", ["langchain", "llamaindex"])
def test_sync_pool_is_closed(flaky: str, name: str) -> None:
    """The sync side: 100 calls from 10 threads share one pool; ``close()`` releases every socket."""
    from concurrent.futures import ThreadPoolExecutor

    adapter = Adapter(name, flaky)
    port = port_of(flaky)
    before = snapshot(port)
    if name == "langchain":
        def ask(token: str) -> tuple[str, Any]:
            message = adapter.llm.invoke(f"Please echo {token}")
            return token, (message.text, message.response_metadata.get("finish_reason"))
    else:
        from llama_index.core.llms import ChatMessage

        def ask(token: str) -> tuple[str, Any]:
            response = adapter.llm.chat([ChatMessage(role="user", content=f"Please echo {token}")])
            return token, (response.message.content, response.additional_kwargs.get("finish_reason"))

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(ask, tokens(100)))
    check_answers(results, 100)
    during = snapshot(port)
    client = getattr(adapter.llm.client, "_http", None)  # only read, to check that close() closed it
    if name == "langchain":
        adapter.llm.close()
    else:
        adapter.llm.client.close()
    after = snapshot(port)
    print(f"\n{name} sync: before {before.line()}\n{name} sync: open   {during.line()}\n"
          f"{name} sync: after  {after.line()}")
    assert 0 < during.sockets <= 10
    assert client is None or client.is_closed
    assert after.sockets == before.sockets == 0 and after.fds <= before.fds
