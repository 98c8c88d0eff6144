"""The async driver of our own pool: aiohttp, spoken to directly.

Why aiohttp: with many requests in flight httpcore's pool (plain ``httpx.AsyncClient``) scans every
connection per request, 0.05x raw aiohttp in bench/RESULTS.md. Why directly: going through httpx's
transport interface (the ``httpx-aiohttp`` package, which this replaced) cost ~170 us of client CPU per call
over raw aiohttp: the URL re-parsed, the headers decoded and re-encoded, the timeout rebuilt, the body read
through an async byte stream and an ``httpx.Response`` built around it. Here the URL, headers and timeout are
prepared once per pool, and a whole answer comes back as a :class:`Whole` (status, raw headers, body).
Streams still come back as an ``httpx.Response`` so the client reads every stream the same way.

Every aiohttp error leaves as the httpx error that says the same thing, so the client maps errors in one
place for all its transports. aiohttp is imported on first use; redirects are never followed; proxies come
from the environment as httpx reads them (``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``, ``NO_PROXY``); the
session belongs to the event loop it was opened on.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.request
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from ._http import Call, Whole

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AiohttpPool", "aiohttp_available"]


def aiohttp_available() -> bool:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def _mapped(exc: BaseException) -> httpx.TransportError:
    """aiohttp's error as the httpx error that says the same thing (most specific classes first)."""
    import aiohttp

    _drop_request_headers(exc)  # it is chained under the error we raise
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, getattr(aiohttp, "ConnectionTimeoutError", ())):  # aiohttp >= 3.10
        return httpx.ConnectTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, unreachable, DNS, TLS handshake
        return httpx.ConnectError(message)
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return httpx.ReadTimeout(message)
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError)):
        return httpx.ReadError(message)  # cut mid-body, server disconnected, connection reset
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    return httpx.RemoteProtocolError(message)  # a malformed HTTP answer, or any other aiohttp.ClientError


def _drop_request_headers(exc: BaseException) -> None:
    """aiohttp's response errors (a malformed answer, say) keep the request they answer, headers and key
    included, and print it in their repr: blank those headers, in the error and in its args."""
    info = getattr(exc, "request_info", None)
    if isinstance(info, tuple) and hasattr(info, "_replace"):
        from multidict import CIMultiDict, CIMultiDictProxy

        clean = info._replace(headers=CIMultiDictProxy(CIMultiDict()))
        exc.request_info = clean  # type: ignore[attr-defined]
        exc.args = tuple(clean if arg is info else arg for arg in exc.args)


def _is_aiohttp_error(exc: BaseException) -> bool:
    import aiohttp

    return isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError))


class _AsHttpxErrors:
    """Re-raises aiohttp's errors as httpx's (``_mapped``); anything else passes. Stateless: one instance
    serves every request."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is not None and _is_aiohttp_error(exc):
            raise _mapped(exc) from exc


_AS_HTTPX_ERRORS = _AsHttpxErrors()


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url``, by the rules httpx and urllib follow."""
    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(url)
    bypass: Any = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009 (not in typeshed)
    if not proxies or bypass(parts.hostname or "", proxies):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


class _Body(httpx.AsyncByteStream):
    """A streamed answer's body as httpx reads it; closing it hands the connection back (or drops it if the
    body was not read to the end)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _AS_HTTPX_ERRORS:
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


async def _closes_at_loop_shutdown(pool: AiohttpPool) -> AsyncIterator[None]:
    """Waits, suspended, for as long as the pool's event loop runs. ``asyncio.run`` (and every runner) closes
    each live async generator while it shuts its loop down, so this closes the session in time: a script
    calling ``asyncio.run(llm.ainvoke(...))`` twice would otherwise leave the first session to be collected
    later, and aiohttp prints "Unclosed client session" for it."""
    try:
        yield
    finally:
        await pool.aclose()


def _finish_without_loop(transport: Any) -> None:
    """Close ``transport`` although its event loop is closed. asyncio can only finish closing a transport on
    its loop (``close()`` schedules the last step, which closes the socket), and aiohttp gives up on a closed
    loop's connections, so the socket would stay open until the transport is collected ("unclosed
    transport"). This takes that last step here. It reads asyncio's private names, and does nothing where
    they are absent (uvloop closes its handles with the loop)."""
    inner = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)  # TLS: the socket's own
    with contextlib.suppress(Exception):
        transport.close()  # marks it closing, then fails to schedule the rest on the closed loop
    if inner is not None:
        _finish_without_loop(inner)
        return
    finish = getattr(transport, "_call_connection_lost", None)
    if callable(finish) and getattr(transport, "_sock", None) is not None:
        with contextlib.suppress(Exception):  # the protocol may fail to wake futures of the closed loop
            finish(None)


def _close_connector_now(connector: Any, loop_closed: bool) -> None:
    """Close ``connector`` and its connections, idle and in use, without running its loop: on a live loop
    each transport's close is scheduled there; on a closed one the sockets are closed here."""
    protocols = [proto for conns in getattr(connector, "_conns", {}).values() for proto, _ in conns]
    protocols += list(getattr(connector, "_acquired", ()))
    close = getattr(connector, "_close", None)  # the sync part of close(), without a task on the loop
    if callable(close):
        close()
    if loop_closed:
        for proto in protocols:
            if proto.transport is not None:
                _finish_without_loop(proto.transport)


class AiohttpPool:
    """One aiohttp session for one base URL and one set of headers (the client's, the key included), on one
    event loop (``loop``)."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: httpx.Timeout,
                 max_connections: int = 200, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop
        self._headers = list(headers.items())
        self._timeout_settings = timeout
        self._max_connections = max_connections
        self._proxy = env_proxy(base_url)
        self._session: aiohttp.ClientSession | None = None
        self._closer: AsyncIterator[None] | None = None
        self._targets: dict[int, tuple[httpx.URL, Any]] = {}  # id(httpx URL) -> (it, its yarl URL)

    def __repr__(self) -> str:
        return f"AiohttpPool(open={not self.is_closed})"

    @property
    def is_closed(self) -> bool:
        return self._session is None or self._session.closed

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        given = self._timeout_settings
        # where asyncio can leak the socket of a TLS connection closed mid-answer (an abandoned stream), aiohttp
        # keeps such transports and aborts them when the session closes; elsewhere it refuses the option
        cleanup = bool(getattr(aiohttp.connector, "NEEDS_CLEANUP_CLOSED", False))
        connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=httpx.create_ssl_context(),
                                         enable_cleanup_closed=cleanup)
        self._session = aiohttp.ClientSession(
            connector=connector, headers=self._headers,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=given.connect, sock_read=given.read,
                                          connect=given.pool),
        )
        return self._session

    def _target(self, url: httpx.URL) -> Any:
        """The yarl URL for ``url``; the client reuses one httpx URL per (model, method), so by identity."""
        known = self._targets.get(id(url))
        if known is None:
            import yarl

            if len(self._targets) >= 64:
                self._targets.clear()
            known = self._targets[id(url)] = (url, yarl.URL(str(url), encoded=True))
        return known[1]

    async def _start(self, call: Call) -> aiohttp.ClientResponse:
        session = self._session
        if session is None:
            session = self._open()  # before any await: concurrent first calls share it
            self._closer = _closes_at_loop_shutdown(self)
            await self._closer.__anext__()
        with _AS_HTTPX_ERRORS:
            return await session.request(call.method, self._target(call.url), data=call.body,
                                         headers=call.headers or None, allow_redirects=False, proxy=self._proxy)

    async def fetch(self, call: Call) -> Whole:
        """Send ``call`` (with the pool's headers) and read the whole answer."""
        response = await self._start(call)
        try:
            with _AS_HTTPX_ERRORS:
                content = await response.read()
        except Exception:
            response.close()
            raise
        finally:
            response.release()
        return Whole(response.status, response.raw_headers, content)

    async def open_stream(self, call: Call) -> httpx.Response:
        """Send ``call`` and return as soon as the headers are in; the body streams (closing the response
        releases the connection)."""
        response = await self._start(call)
        # aiohttp decodes gzip/deflate itself: httpx must not decode it again
        headers = [(k, v) for k, v in response.raw_headers if k.lower() != b"content-encoding"]
        return httpx.Response(response.status, headers=headers, stream=_Body(response),
                              extensions={"http_version": b"HTTP/1.1"})

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def close_now(self) -> None:
        """Close the session without running its loop (a closed loop, or one that cannot run from here)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            _close_connector_now(session.connector, self.loop is not None and self.loop.is_closed())
