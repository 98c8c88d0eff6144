"""A client's async connection pools: one per event loop, each closed wherever its loop is.

An aiohttp session (like any asyncio transport) belongs to the event loop it was opened on and cannot move.
A client used from several loops (``asyncio.run`` twice, LlamaIndex's ``asyncio_run`` on the thread's default
loop and then ``asyncio.run``, ``loop.run_until_complete`` then ``loop.close()``, one model shared by threads
that each run a loop) therefore keeps one pool per loop, and each pool is closed in the one way its loop
still allows:

* its loop is the running one here: awaited (``aclose``), or handed to it as a task from sync code;
* its loop runs in another thread: handed to that loop (``run_coroutine_threadsafe``);
* its loop is idle (neither running nor closed) and no loop runs here: run on it until closed;
* its loop is closed, or idle while another loop runs here: ``close_now``, which closes the sockets
  without the loop.

``asyncio.run`` closes its loop's pool itself as the loop shuts down (see ``_aiohttp``). Pools of closed
loops are closed as soon as the client next meets a new loop, and every pool left is closed when the client
is closed, collected, or the interpreter exits. None of this is on the per-request path: a request reads one
attribute and compares one loop (``CometGeminiClient._async_pool``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["AsyncPool", "LoopPools", "close_anywhere"]

_BACKGROUND: set[Any] = set()  # closings handed to a loop, kept alive until done (a loop holds its tasks weakly)


class AsyncPool(Protocol):
    """What ``LoopPools`` needs of a pool."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop the pool belongs to (``None``: any loop, a client you passed in)."""

    @property
    def is_closed(self) -> bool: ...

    async def aclose(self) -> None: ...

    def close_now(self) -> None:
        """Close without running the pool's loop (for a closed loop, or one that cannot run from here)."""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _keep(future: asyncio.Future[None] | concurrent.futures.Future[None]) -> None:
    _BACKGROUND.add(future)
    future.add_done_callback(_BACKGROUND.discard)


def close_anywhere(pool: AsyncPool) -> None:
    """Close ``pool`` from sync code, in whatever thread and loop state (see the module docstring)."""
    loop = pool.loop
    if pool.is_closed or loop is None:
        return
    if loop.is_closed():
        pool.close_now()
        return
    here = _running_loop()
    if loop.is_running():
        if loop is here:
            _keep(loop.create_task(pool.aclose()))
        else:
            _keep(asyncio.run_coroutine_threadsafe(pool.aclose(), loop))
        return
    if here is None:
        try:
            loop.run_until_complete(pool.aclose())
            return
        except RuntimeError:  # its own thread started it meanwhile
            pass
    pool.close_now()


P = TypeVar("P", bound=AsyncPool)


class LoopPools(Generic[P]):
    """The pools of one client, one per event loop. Holds no reference to the client, so that the client's
    finalizer can close them."""

    def __init__(self) -> None:
        self._pools: list[P] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pools)

    def for_loop(self, loop: asyncio.AbstractEventLoop, new: Callable[[asyncio.AbstractEventLoop], P]) -> P:
        """The pool of ``loop``, made with ``new`` the first time. Pools of loops closed since are closed."""
        with self._lock:
            stale = [pool for pool in self._pools if pool.loop is None or pool.loop.is_closed()]
            for pool in stale:
                self._pools.remove(pool)
                pool.close_now()
            for pool in self._pools:
                if pool.loop is loop:
                    return pool
            pool = new(loop)
            self._pools.append(pool)
            return pool

    def _take_all(self) -> list[P]:
        with self._lock:
            pools, self._pools = self._pools, []
        return pools

    def close_all(self) -> None:
        """Close every pool, from sync code (``close()``, the client's finalizer, interpreter exit)."""
        for pool in self._take_all():
            with contextlib.suppress(Exception):  # one pool's failure must not keep the others open
                close_anywhere(pool)

    async def aclose_all(self) -> None:
        """Close every pool: the running loop's awaited, the others as ``close_all`` does."""
        here = asyncio.get_running_loop()
        for pool in self._take_all():
            if pool.loop is here:
                await pool.aclose()
            else:
                close_anywhere(pool)
