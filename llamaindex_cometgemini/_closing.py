"""Closing an abandoned async stream at once, through LlamaIndex's callback wrapper.

``llm_chat_callback`` / ``llm_completion_callback`` wrap the async generator ``astream_chat`` returns in one of
their own, which iterates ours but never closes it; its exception event then keeps ours in a reference cycle.
A stream the user leaves after a few chunks (``break``, then ``aclose()``) would hold its connection until the
garbage collector happens on that cycle, or for good if an event handler keeps the exception. So the public
method notes the generators it made (``made``) while the decorated one runs, and hands the user a generator
that closes the wrapper and then each of ours (``owning``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
G = TypeVar("G", bound=AsyncGenerator[Any, None])

_MADE: ContextVar[list[AsyncGenerator[Any, None]] | None] = ContextVar("cometgemini_made", default=None)


def made(gen: G) -> G:
    """``gen``, noted for the ``owning`` call running around it (if any) to close."""
    into = _MADE.get()
    if into is not None:
        into.append(gen)
    return gen


async def owning(reported: Awaitable[AsyncGenerator[T, None]]) -> AsyncGenerator[T, None]:
    """Await the decorated method's call ``reported``; its stream, closing ours as soon as it is closed."""
    ours: list[AsyncGenerator[Any, None]] = []
    token = _MADE.set(ours)
    try:
        outer = await reported
    finally:
        _MADE.reset(token)
    return _closing(outer, ours)


async def _closing(outer: AsyncGenerator[T, None], ours: list[AsyncGenerator[Any, None]]) -> AsyncGenerator[T, None]:
    try:
        async for item in outer:
            yield item
    finally:
        try:
            await outer.aclose()
        finally:
            for gen in ours:
                await gen.aclose()
