"""Load-test plumbing: an emulator in a child process (so the measured process holds only the client), and
snapshots of what a leak would grow: client sockets, file descriptors, RSS, live response objects."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psutil

_CHILD = """
import sys
from cometgemini.emulator import serve
with serve(api_key=sys.argv[1], fault=sys.argv[2] or None, fault_rate=float(sys.argv[3]),
           fault_seed=int(sys.argv[4]), max_recorded=10) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
"""


@contextmanager
def child_emulator(api_key: str, fault: str = "", fault_rate: float = 1.0, fault_seed: int = 0) -> Iterator[str]:
    """``serve(...)`` in a child process; yields its base URL. It exits when we close its stdin."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, api_key, fault, str(fault_rate), str(fault_seed)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Snapshot:
    sockets: int
    """TCP connections from this process to the emulator's port."""
    fds: int
    rss_mb: float
    responses: int
    """Live ``httpx.Response`` objects."""

    def line(self) -> str:
        return f"sockets={self.sockets} fds={self.fds} rss={self.rss_mb:.1f}MB live_responses={self.responses}"


def snapshot(port: int) -> Snapshot:
    import httpx

    gc.collect()
    proc = psutil.Process()
    sockets = sum(1 for c in proc.net_connections(kind="tcp") if c.raddr and c.raddr.port == port)
    return Snapshot(
        sockets=sockets,
        fds=len(os.listdir("/proc/self/fd")),
        rss_mb=proc.memory_info().rss / 2**20,
        responses=sum(1 for o in gc.get_objects() if isinstance(o, httpx.Response)),
    )


async def settle(port: int) -> Snapshot:
    """A snapshot once closed sockets are gone (aiohttp closes transports on the next loop iterations)."""
    for _ in range(50):
        await asyncio.sleep(0.02)
        snap = snapshot(port)
        if snap.sockets == 0:
            return snap
    return snapshot(port)


@dataclass
class Run:
    results: list[tuple[str, Any]]
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.results) / self.seconds


async def drive(ask: Callable[[str], Awaitable[Any]], tokens: Sequence[str], in_flight: int) -> Run:
    """``ask(token)`` for every token with at most ``in_flight`` running; results in token order."""
    gate = asyncio.Semaphore(in_flight)

    async def one(token: str) -> tuple[str, Any]:
        async with gate:
            return token, await ask(token)

    start = time.perf_counter()
    results = await asyncio.gather(*(one(t) for t in tokens))
    return Run(list(results), time.perf_counter() - start)


class RetryCounter(logging.Handler):
    """Counts the core client's "retrying ..." log lines (one per retry after an injected 503)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("retrying"):
            self.count += 1


@contextmanager
def counting_retries() -> Iterator[RetryCounter]:
    logger = logging.getLogger("cometgemini")
    counter = RetryCounter()
    old_level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
