"""Models moved between event loops, and streams left half way, leave nothing open: no aiohttp "Unclosed client
session" / "Unclosed connector", no unclosed transport or socket, with ``ResourceWarning`` as an error.

aiohttp and asyncio report what was left open from ``__del__``, when it is collected or at interpreter exit, so
the user scripts run in a fresh interpreter (``_loop_scenarios.py``) and their stderr is read whole. The suite's
own ``ignore::ResourceWarning`` does not reach them; the in-process tests below turn it back into an error."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import uvicorn

import cometgemini as cg
from cometgemini.emulator import create_app
from langchain_cometgemini import ChatCometGemini
from tests.transport import _loop_scenarios as scenarios

ROOT = Path(__file__).resolve().parents[2]
TLS = Path(__file__).resolve().parent / "tls"
MODEL = "gemini-2.5-flash"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
LONG = {"contents": [{"role": "user", "parts": [{"text": "[[words:3000]]"}]}]}
# LlamaIndex's own ``asyncio_run`` runs on the thread's default loop (``asyncio.get_event_loop()``) and never
# closes it; ``asyncio.run`` later drops it. That loop (with its self-pipe, two AF_UNIX sockets) is reported
# when collected. It is not ours: our pool on it is closed before then. (Python 3.10 writes the family as
# ``AddressFamily.AF_UNIX``, later versions as ``1``.)
_LLAMAINDEX_LOOP = re.compile(r"ResourceWarning: unclosed (event loop <_UnixSelectorEventLoop running=False "
                              r"closed=False|<socket\.socket fd=\d+, family=(1|AddressFamily\.AF_UNIX),)")


def _reported(stderr: str, allow_llamaindex_loop: bool) -> str:
    """stderr without the blocks reporting LlamaIndex's own default loop (see above)."""
    blocks = re.split(r"(?m)^(?=Exception ignored in)", stderr)
    return "".join(b for b in blocks if not (allow_llamaindex_loop and _LLAMAINDEX_LOOP.search(b)))


def _run(case: str, base_url: str, **env: str) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", str(Path(scenarios.__file__)), case, base_url],
        check=False, capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},  # this tree's code, as the tests around it
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert len(lines) > 1 and lines[-1] == "end", done.stdout  # answers, then the end
    assert _reported(done.stderr, case.startswith("llamaindex")) == "", done.stderr


@pytest.mark.parametrize("case", sorted(scenarios.CASES))
def test_a_script_moving_between_loops_leaves_nothing_open(case: str, emulator: Any) -> None:
    _run(case, emulator.base_url)


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[str]:
    """The emulator over TLS (a test-only certificate for 127.0.0.1, in ``tls/``): a TLS connection closes in
    more steps, and on a closed loop its socket sits one transport further down."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(), log_level="warning", lifespan="off", ssl_keyfile=str(TLS / "key.pem"),
                            ssl_certfile=str(TLS / "cert.pem"))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started:
                break
            time.sleep(0.01)
        assert server.started, "the TLS emulator did not start"
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.mark.parametrize("case", ["loop_closed_then_asyncio_run", "loop_closed_at_exit", "abandoned_streams",
                                  "stream_abandoned_on_a_loop_then_closed"])
def test_over_tls_too(case: str, tls_emulator: str) -> None:
    _run(case, tls_emulator, SSL_CERT_FILE=str(TLS / "cert.pem"))


def test_the_report_filter_only_lets_llamaindex_own_loop_through() -> None:
    """The allowance above is narrow: an unclosed session, connector, transport or TCP socket still shows."""
    loop_block = ("Exception ignored in: <function BaseEventLoop.__del__ at 0x1>\nTraceback (most recent call "
                  "last):\nResourceWarning: unclosed event loop <_UnixSelectorEventLoop running=False closed=False "
                  "debug=False>\n")
    ours = ("Exception ignored in: <socket.socket fd=11, family=2, type=1, proto=6>\nResourceWarning: unclosed "
            "<socket.socket fd=11, family=2, type=1, proto=6>\n")
    self_pipe_310 = ("Exception ignored in: <socket.socket fd=4, family=AddressFamily.AF_UNIX, type=SocketKind"
                     ".SOCK_STREAM, proto=0>\nResourceWarning: unclosed <socket.socket fd=4, family=AddressFamily"
                     ".AF_UNIX, type=SocketKind.SOCK_STREAM, proto=0>\n")
    ours_310 = ours.replace("family=2, type=1", "family=AddressFamily.AF_INET, type=SocketKind.SOCK_STREAM")
    assert _reported(loop_block, allow_llamaindex_loop=True) == ""
    assert _reported(loop_block + self_pipe_310, allow_llamaindex_loop=True) == ""
    assert _reported(loop_block + ours, allow_llamaindex_loop=True) == ours
    assert _reported(self_pipe_310 + ours_310, allow_llamaindex_loop=True) == ours_310
    assert _reported(loop_block, allow_llamaindex_loop=False) == loop_block


@pytest.fixture(scope="module")
def own_emulator() -> Iterator[Any]:
    """An emulator for the socket-counting tests alone: on the session's, other tests' clients may still hold
    connections of their own, and the counts would be theirs too."""
    from cometgemini.emulator import serve

    with serve(api_key="test-key") as server:
        yield server


def _sockets_to(port: int) -> int:
    return sum(1 for c in psutil.Process().net_connections("tcp")
               if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED)


@pytest.mark.filterwarnings("error::ResourceWarning")
def test_a_service_moving_between_loops_keeps_one_pool_open(own_emulator: Any) -> None:
    """A worker that runs each job on a new loop and closes it: the pools of closed loops are closed as the
    client meets the next loop, so sockets do not pile up, and nothing is left after ``close()``."""
    port = int(own_emulator.base_url.rsplit(":", 1)[1])
    llm = ChatCometGemini(model=MODEL, api_key="test-key", base_url=own_emulator.base_url)
    open_counts = []
    for _ in range(8):
        loop = asyncio.new_event_loop()
        assert loop.run_until_complete(llm.ainvoke("job")).content
        loop.close()
        open_counts.append(_sockets_to(port))
    assert max(open_counts) <= 1, open_counts  # the last closed loop's connection, until the next loop
    llm.close()
    gc.collect()
    assert _sockets_to(port) == 0


@pytest.mark.filterwarnings("error::ResourceWarning")
def test_threads_sharing_a_model_each_keep_their_own_pool(own_emulator: Any) -> None:
    """Two threads, each running its own loop at the same time with one shared client: each keeps its pool
    (no swapping one out while the other is mid-request), and closing the client closes both."""
    port = int(own_emulator.base_url.rsplit(":", 1)[1])
    client = cg.CometGeminiClient("test-key", base_url=own_emulator.base_url)
    ready, answers, errors = threading.Barrier(2), [], []

    async def four() -> list[Any]:
        return list(await asyncio.gather(*(client.agenerate(MODEL, BODY) for _ in range(4))))

    def worker() -> None:
        loop = asyncio.new_event_loop()
        try:
            for _ in range(5):
                ready.wait(timeout=30)
                answers.extend(loop.run_until_complete(four()))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(answers) == 40 and all(a.text for a in answers)
    client.close()
    gc.collect()
    assert _sockets_to(port) == 0


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_aclose_closes_the_pools_of_other_loops_too(own_emulator: Any) -> None:
    """A pool opened on a loop that is idle now (a user's loop run with run_until_complete from a thread)
    is closed by ``aclose()`` on another loop, through that loop."""
    port = int(own_emulator.base_url.rsplit(":", 1)[1])
    client = cg.CometGeminiClient("test-key", base_url=own_emulator.base_url)
    other = asyncio.new_event_loop()
    try:
        await asyncio.to_thread(lambda: other.run_until_complete(client.agenerate(MODEL, BODY)))
        assert (await client.agenerate(MODEL, BODY)).text
        assert _sockets_to(port) == 2
        await client.aclose()
        await asyncio.to_thread(lambda: other.run_until_complete(asyncio.sleep(0)))  # its closing finishes
        assert _sockets_to(port) == 0
        assert (await client.agenerate(MODEL, BODY)).text  # and the client still serves
        await client.aclose()
    finally:
        other.close()


async def _settled_sockets_to(port: int, steps: int = 10) -> int:
    """Open sockets to ``port`` once at most ``steps`` loop steps have run (no garbage collection), or as soon
    as no more than one is open. One may stay open in the pool: the whole answer can be in before ``break``
    (loopback is fast), and then its connection is reused, not closed."""
    for _ in range(steps):
        if _sockets_to(port) <= 1:
            break
        await asyncio.sleep(0)
    return _sockets_to(port)


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_an_abandoned_stream_hands_back_its_connection(own_emulator: Any) -> None:
    """Streams left after their first chunk: closing one closes its connection (if the answer was not all in)
    in a few loop steps, down through every generator of ours, so sockets do not pile up. LangChain's
    ``astream`` does not close our ``_astream``; the loop's finalizer hook does, once it is dropped, and ours
    then close the client's stream at once. They used to leave that to a dropped generator in a reference
    cycle, open until a garbage collection (CI once saw two sockets open here)."""
    port = int(own_emulator.base_url.rsplit(":", 1)[1])
    llm = ChatCometGemini(model=MODEL, api_key="test-key", base_url=own_emulator.base_url)
    for _ in range(5):
        stream = llm.astream("[[words:3000]]")
        async for chunk in stream:
            assert chunk.content
            break
        await stream.aclose()  # as ``async with aclosing(...)`` or the loop's shutdown would
        assert await _settled_sockets_to(port) <= 1
    assert (await llm.ainvoke("after")).content
    await llm.aclose()
    assert _sockets_to(port) == 0


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_an_abandoned_llamaindex_stream_hands_back_its_connection(own_emulator: Any) -> None:
    """LlamaIndex's callback wrapper around ``astream_chat`` / ``astream_complete`` never closes the generator
    it wraps, and its exception event keeps it in a reference cycle; the stream the user gets closes ours too,
    so the connection closes in a loop step, not at the next garbage collection (sockets do not pile up)."""
    from llama_index.core.llms import ChatMessage

    from llamaindex_cometgemini import CometGemini

    port = int(own_emulator.base_url.rsplit(":", 1)[1])
    llm = CometGemini(model=MODEL, api_key="test-key", base_url=own_emulator.base_url)
    for _ in range(3):
        for stream in (await llm.astream_chat([ChatMessage(role="user", content="[[words:3000]]")]),
                       await llm.astream_complete("[[words:3000]]")):
            async for chunk in stream:
                assert chunk.delta
                break
            await stream.aclose()
            assert await _settled_sockets_to(port, steps=1) <= 1
    assert (await llm.acomplete("after")).text
    await llm.aclose()
    assert _sockets_to(port) == 0
