"""Rough throughput of the emulator: ``python -m cometgemini.emulator._throughput [--seconds 5]``.

Starts the emulator in a child process (so the client's CPU use does not slow the server down) and
measures, with httpx's async client and a few requests in flight, non-streaming generateContent
requests per second and SSE events per second for a 500-word streamed answer.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

import httpx

__all__ = ["main"]

_BODY = {"contents": [{"role": "user", "parts": [{"text": "Hello, how are you today?"}]}]}
_STREAM_BODY = {"contents": [{"role": "user", "parts": [{"text": "Tell me a story [[words:500]]"}]}]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _non_stream(client: httpx.AsyncClient, seconds: float, concurrency: int) -> float:
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            response = await client.post("/v1beta/models/gemini-2.5-flash:generateContent", json=_BODY)
            response.raise_for_status()
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - start)


async def _stream(client: httpx.AsyncClient, seconds: float, concurrency: int) -> tuple[float, float]:
    events = streams = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal events, streams
        while time.perf_counter() < deadline:
            async with client.stream("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                                     json=_STREAM_BODY) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        events += 1
            streams += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return events / elapsed, streams / elapsed


def _client(base_url: str, concurrency: int) -> tuple[httpx.AsyncClient, str]:
    # a handful of requests in flight: httpx's own pool is not the bottleneck here (it is with a hundred)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30), "httpx"


async def _measure(base_url: str, seconds: float, concurrency: int) -> None:
    client, kind = _client(base_url, concurrency)
    print(f"client: {kind}")
    async with client:
        for _ in range(50):
            try:
                await client.get("/v1beta/models/gemini-2.5-flash")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        rps = await _non_stream(client, seconds, concurrency)
        eps, sps = await _stream(client, seconds, concurrency)
    print(f"non-streaming generateContent: {rps:,.0f} requests/s (concurrency {concurrency})")
    print(f"streamGenerateContent (500-word answers): {eps:,.0f} events/s, {sps:,.1f} streams/s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "cometgemini.emulator", "--port", str(port)],
                              stdout=subprocess.DEVNULL)
    try:
        asyncio.run(_measure(f"http://127.0.0.1:{port}", args.seconds, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
