"""``CometGeminiClient``: the one HTTP client behind both framework adapters.

Sync and async are written once. Everything that does no I/O (URLs, headers, bodies, the retry decision,
error mapping, SSE decoding, stream completeness) lives in pure helpers shared by both; the two drivers
below differ only where they must: ``send`` versus ``await send``, ``time.sleep`` versus
``asyncio.sleep``.

Connections are pooled: the httpx clients are created on first use and reused. An async pool is bound
to the event loop it was created on (aiohttp sessions cannot move between loops), so a client used from
several loops keeps one pool per loop instead of failing with "Event loop is closed", and closes each as
its loop allows (``_loops``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx
from pydantic import SecretStr

from ._aiohttp import AiohttpPool, aiohttp_available
from ._batches import Batches
from ._cache_fit import fit_to_cache
from ._catalog import normalize_model
from ._config import ClientConfig, ConnectionSettings, resolve_config
from ._continuation import DEFAULT_MAX_CONTINUATIONS, StreamHops, check_limit, follow, merge, with_token
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    MalformedResponseError,
    ResponseBlockedError,
    error_from_response,
)
from ._files import Files
from ._http import Answer, Call, parse_answer
from ._loops import LoopPools
from ._resources import Flow, adrive, drive
from ._retry import RetryPolicy, retry_after_from_headers
from ._streaming import SSEDecoder, StreamParser
from ._types import (
    BatchEmbedContentsResponse,
    Content,
    CountTokensResponse,
    EmbedContentRequest,
    GenerateContentRequest,
    GenerateContentResponse,
    Model,
    Part,
)

if TYPE_CHECKING:
    from ._caches import Caches

__all__ = ["CometGeminiClient", "client_for"]

logger = logging.getLogger("cometgemini")
EMBED_BATCH_LIMIT = 100


# ------------------------------------------------------------------------------------------- pure helpers


class _TransportErrors:
    """httpx's network errors as ours (the key is never in them: httpx does not print headers). Stateless, so
    one instance serves every request (no per-request context-manager objects alive while it waits)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(exc, httpx.TransportError):
            if isinstance(exc, httpx.TimeoutException) and not _refused_in_disguise(exc):
                raise APITimeoutError(f"request timed out ({type(exc).__name__}); raise timeout= if needed") from exc
            raise APIConnectionError(f"connection failed: {type(exc).__name__}: {exc}") from exc


_MAPPED = _TransportErrors()


def _mapped_transport_errors() -> _TransportErrors:
    return _MAPPED


def _refused_in_disguise(exc: httpx.TimeoutException) -> bool:
    """On a client you pass in with the ``httpx-aiohttp`` transport, every aiohttp connection error, a refused
    connection included, arrives as ConnectTimeout; only a real timeout underneath makes it one."""
    cause = exc.__cause__
    return (isinstance(exc, httpx.ConnectTimeout) and cause is not None
            and type(cause).__module__.startswith("aiohttp")
            and not isinstance(cause, (TimeoutError, asyncio.TimeoutError)))  # two classes before Python 3.11


def _give_up(policy: RetryPolicy, error: APIError, attempt: int) -> None:
    note = policy.give_up_note(error, attempt)
    if note is not None:
        error.explain(note)


def _status_error(response: Answer) -> APIStatusError:
    retry_after = retry_after_from_headers(response.headers)
    return error_from_response(response.status_code, response.headers, response.content, retry_after)


def _unblocked(response: GenerateContentResponse) -> GenerateContentResponse:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason and not response.candidates:
        raise ResponseBlockedError(feedback.block_reason, feedback.block_reason_message, response)
    return response


def _answered(response: GenerateContentResponse) -> GenerateContentResponse:
    """A whole (non-streamed) answer: blocked prompts raise, and an answer with neither candidates nor a
    block reason is not passed off as an empty reply."""
    response = _unblocked(response)
    if not response.candidates:
        raise MalformedResponseError(
            "the server answered 200 with no candidates and no promptFeedback.blockReason: there is no answer "
            "to return. Retry, or check that base_url serves the Gemini native API."
        )
    return response


def _generate_body(model: str, request: GenerateContentRequest | Mapping[str, Any]) -> bytes:
    wire = request if isinstance(request, GenerateContentRequest) else GenerateContentRequest.model_validate(request)
    if wire.cached_content is not None:
        wire = fit_to_cache(wire, model)
    return wire.model_dump_json(by_alias=True, exclude_none=True).encode()


_NOTHING = [{"role": "user", "parts": [{"text": ""}]}]


def _count_tokens_body(model: str, request: GenerateContentRequest | Sequence[Content]) -> bytes | None:
    """The countTokens body for ``request``, or ``None`` when there is nothing to count (0 tokens).

    Google requires ``contents`` even to count only a system instruction, tools or a cache, and counts an
    empty text part as nothing: such a request gets one, so the count is exactly theirs."""
    if not isinstance(request, GenerateContentRequest):
        request = GenerateContentRequest(contents=list(request))
    if request.cached_content is not None:
        request = fit_to_cache(request, model)
    wire = request.model_dump(by_alias=True, exclude_none=True, mode="json")
    if request.system_instruction is None and not request.tools and request.cached_content is None:
        return json.dumps({"contents": wire["contents"]}).encode() if wire.get("contents") else None
    wire.pop("generationConfig", None)  # countTokens refuses generation settings it cannot use
    wire["model"] = f"models/{model}"
    wire["contents"] = wire.get("contents") or _NOTHING
    return json.dumps({"generateContentRequest": wire}).encode()


def _embed_batches(
    model: str, contents: Sequence[str | Content], task_type: str | None, title: str | Sequence[str | None] | None,
    output_dimensionality: int | None,
) -> list[tuple[bytes, int]]:
    """``(body, how many inputs it holds)`` per batchEmbedContents request, at most 100 inputs each. ``title``
    is one title for every input, or one per input."""
    titles = [title] * len(contents) if title is None or isinstance(title, str) else list(title)
    if len(titles) != len(contents):
        raise ValueError(f"got {len(titles)} titles for {len(contents)} inputs: give one title per input (None "
                         "for none)")
    requests: list[EmbedContentRequest] = []
    for i, item in enumerate(contents):
        if isinstance(item, str) and not item.strip():
            raise ValueError(f"cannot embed an empty string (input {i}): drop it or replace it with text")
        content = Content(parts=[Part(text=item)]) if isinstance(item, str) else item
        requests.append(EmbedContentRequest(model=f"models/{model}", content=content, task_type=task_type,
                                            title=titles[i], output_dimensionality=output_dimensionality))
    return [
        (
            b'{"requests":['
            + b",".join(r.model_dump_json(by_alias=True, exclude_none=True).encode() for r in batch)
            + b"]}",
            len(batch),
        )
        for batch in (requests[i : i + EMBED_BATCH_LIMIT] for i in range(0, len(requests), EMBED_BATCH_LIMIT))
    ]


def _vectors(response: Answer, expected: int) -> list[list[float]]:
    parsed = parse_answer(BatchEmbedContentsResponse, response)
    if len(parsed.embeddings) != expected:
        raise MalformedResponseError(
            f"asked for {expected} embeddings, the server returned {len(parsed.embeddings)}"
        )
    return [e.values for e in parsed.embeddings]


def _encoded(response: httpx.Response) -> bool:
    """Whether the body needs httpx's reader: encoded, or already read (a response built with its content).
    Otherwise reading it raw skips a per-chunk pass-through layer."""
    return response.is_stream_consumed or "content-encoding" in response.headers


def _transport_for(client: httpx.Client | httpx.AsyncClient, url: httpx.URL) -> Any:
    """The transport ``client.send`` would use for ``url``: its pool, or the proxy its environment names.
    Every request of ours goes to one host, so this is decided once per pool. This reads a private httpx
    method; where a future httpx lacks it, the answer is None and requests go through ``send`` as before."""
    pick = getattr(client, "_transport_for_url", None)
    return pick(url) if callable(pick) else None


class _HttpxAsyncPool:
    """An ``httpx.AsyncClient`` with the interface of ``AiohttpPool``: yours (through ``send``, redirects never
    followed), or ours when aiohttp is not installed (straight to the transport ``send`` would pick)."""

    def __init__(self, client: httpx.AsyncClient, build: Callable[[Call], httpx.Request], base_url: str | None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop  # None: yours, used from any loop
        self.client = client
        self._build = build
        self._transport = None if base_url is None else _transport_for(client, httpx.URL(base_url))

    @property
    def is_closed(self) -> bool:
        return self.client.is_closed

    async def _send(self, call: Call, stream: bool) -> httpx.Response:
        request = self._build(call)
        if self._transport is None:
            # never follow, even on a user's client: httpx would carry x-goog-api-key to the other host
            return await self.client.send(request, stream=stream, follow_redirects=False)
        response: httpx.Response = await self._transport.handle_async_request(request)
        response.request = request
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response

    async def fetch(self, call: Call) -> httpx.Response:
        return await self._send(call, stream=False)

    async def open_stream(self, call: Call) -> httpx.Response:
        return await self._send(call, stream=True)

    async def aclose(self) -> None:
        await self.client.aclose()

    def close_now(self) -> None:
        """httpx closes only by awaiting on the pool's loop; where that loop is gone, the sockets go with it."""


def _close_opened(opened: list[httpx.Client], pools: LoopPools[Any] | None = None) -> None:
    """Close the sync pool in ``opened``, and the async ``pools`` as their loops allow."""
    while opened:
        opened.pop().close()
    if pools is not None:
        pools.close_all()


def _new_async_pool(config: ClientConfig, timeout: httpx.Timeout, build: Callable[[Call], httpx.Request],
                    loop: asyncio.AbstractEventLoop) -> AiohttpPool | _HttpxAsyncPool:
    """aiohttp's pool when installed (many times faster with requests in flight; see bench/RESULTS.md),
    else httpx's own."""
    if aiohttp_available():
        return AiohttpPool(config.base_url, config.headers(), timeout, loop=loop)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    return _HttpxAsyncPool(httpx.AsyncClient(timeout=timeout, limits=limits), build, config.base_url, loop)


# ------------------------------------------------------------------------------------------- the client


class CometGeminiClient:
    """Gemini's native REST API (``generateContent``, ``streamGenerateContent?alt=sse``, ``countTokens``,
    ``batchEmbedContents``) through CometAPI, Google, or the bundled emulator.

    Args:
        api_key: the key; else ``COMETAPI_KEY``. Optional only for a loopback base URL (the emulator).
        base_url: else ``COMETAPI_BASE_URL``, else ``https://api.cometapi.com``. Google's
            ``https://generativelanguage.googleapis.com`` works too.
        api_version: path version, ``v1beta``.
        auth: ``"x-goog-api-key"`` (header) or ``"bearer"`` (``Authorization: Bearer``).
        timeout: seconds per request (``None``: no limit).
        max_retries: retries after the first attempt; 0 disables.
        default_headers: extra headers on every request.
        http_client / http_async_client: your own httpx clients (proxies, ``MockTransport`` in tests).
        allow_insecure_http: allow ``http://`` to a non-loopback host (the key would travel in clear text).
        max_continuations: how many ``finishReason: "CONTINUATION"`` hops ``generate``/``stream`` follow to
            complete a long answer (0 turns following off; see ``_continuation``). Per call too.
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        base_url: str | None = None,
        api_version: str = "v1beta",
        auth: str = "x-goog-api-key",
        timeout: float | None = 120.0,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        allow_insecure_http: bool = False,
        max_continuations: int = DEFAULT_MAX_CONTINUATIONS,
    ) -> None:
        self._config = resolve_config(api_key, base_url, api_version, auth, timeout, max_retries,
                                      default_headers, allow_insecure_http)
        self._max_continuations = check_limit(max_continuations)
        self._init_runtime(http_client, http_async_client)

    def _init_runtime(self, http_client: httpx.Client | None, http_async_client: httpx.AsyncClient | None) -> None:
        self._policy = RetryPolicy(max_retries=self._config.max_retries)
        headers = httpx.Headers(self._config.headers())  # parsed once, and Host with them
        host = [] if "host" in headers else [(b"Host", httpx.URL(self._config.base_url).netloc)]
        self._head: list[tuple[bytes, bytes]] = [*host, *headers.raw]
        self._sized = "content-length" not in headers
        self._urls: dict[tuple[str, str], httpx.URL] = {}  # (model, method) -> parsed URL
        self._timeout = httpx.Timeout(self._config.timeout, connect=min(self._config.timeout or 10.0, 10.0))
        self._timeout_ext = self._timeout.as_dict()  # read-only for the transports; shared by every request
        self._lock = threading.Lock()
        self._http = http_client
        self._own_http = http_client is None
        self._transport: httpx.BaseTransport | None = None  # of our own pool, for our host
        self._apool: AiohttpPool | _HttpxAsyncPool | None = (  # the pool the last async call used
            None if http_async_client is None else _HttpxAsyncPool(http_async_client, self._request, None))
        self._pools: LoopPools[AiohttpPool | _HttpxAsyncPool] = LoopPools()  # ours, one per event loop
        self._opened: list[httpx.Client] = []  # the sync pool, once we open it
        # what we opened is closed with us: when we are collected, or at exit (else every socket still open
        # then is reported unclosed, and an aiohttp session as "Unclosed client session")
        weakref.finalize(self, _close_opened, self._opened, self._pools)
        self._caches: Caches | None = None

    @property
    def config(self) -> ClientConfig:
        return self._config

    @property
    def caches(self) -> Caches:
        """Context caches (``cachedContents``): ``create``, ``get``, ``list``, ``update``, ``delete`` and their
        ``a``-prefixed async twins."""
        if self._caches is None:
            from ._caches import Caches  # on first use: most programs never touch a cache

            self._caches = Caches(self)
        return self._caches

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def __repr__(self) -> str:
        return f"CometGeminiClient(base_url={self._config.base_url!r}, auth={self._config.auth!r})"

    @property
    def files(self) -> Files:
        """The Files API: upload (resumable, chunked), get, list, delete, download, wait_active."""
        return Files(self)

    @property
    def batches(self) -> Batches:
        """Batch mode: create, get, list, cancel, delete, wait, results."""
        return Batches(self)

    # pickling: settings travel, connections and locks do not (process pools, Ray workers)
    def __getstate__(self) -> dict[str, Any]:
        return {"config": self._config, "max_continuations": self._max_continuations}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config = state["config"]
        self._max_continuations = state.get("max_continuations", DEFAULT_MAX_CONTINUATIONS)
        self._init_runtime(None, None)

    # ---------------------------------------------------------------- connection pools

    def _sync_client(self) -> httpx.Client:
        if self._http is None:
            with self._lock:
                if self._http is None:
                    client = httpx.Client(timeout=self._timeout)
                    self._transport = _transport_for(client, httpx.URL(self._config.base_url))
                    self._opened.append(client)
                    self._http = client
        return self._http

    def _async_pool(self) -> AiohttpPool | _HttpxAsyncPool:
        pool = self._apool  # one read: another thread may swap it meanwhile
        if pool is not None and (pool.loop is None or pool.loop is asyncio.get_running_loop()):
            return pool
        return self._pool_for_this_loop()

    def _pool_for_this_loop(self) -> AiohttpPool | _HttpxAsyncPool:
        """A new loop: its own pool (pools of loops closed since are closed now)."""
        config, timeout, build = self._config, self._timeout, self._request
        pool = self._pools.for_loop(asyncio.get_running_loop(),
                                    lambda loop: _new_async_pool(config, timeout, build, loop))
        self._apool = pool
        return pool

    def _forget_opened(self) -> None:
        if self._own_http:
            self._http, self._transport = None, None
        if self._apool is not None and self._apool.loop is not None:  # yours (loop None) stays yours
            self._apool = None

    def close(self) -> None:
        """Close the connection pools this client opened (each reopens on the next call): the sync one, and
        the async ones as their event loops allow (see ``cometgemini._loops``)."""
        self._forget_opened()
        _close_opened(self._opened, self._pools)

    async def aclose(self) -> None:
        self._forget_opened()
        _close_opened(self._opened)
        await self._pools.aclose_all()

    def __enter__(self) -> CometGeminiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> CometGeminiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---------------------------------------------------------------- the two drivers

    def _url(self, model: str, method: str) -> httpx.URL:
        url = self._urls.get((model, method))
        if url is None:
            if len(self._urls) >= 64:  # model ids come from users: keep the cache bounded
                self._urls.clear()
            url = self._urls[(model, method)] = httpx.URL(self._config.url(normalize_model(model), method))
        return url

    def _model_url(self, model: str) -> httpx.URL:
        return httpx.URL(f"{self._config.base_url}/{self._config.api_version}/models/{normalize_model(model)}")

    def _request(self, call: Call) -> httpx.Request:
        """The request httpx would build from ``content=body``, given whole (Host and Content-Length included),
        so httpx does not re-derive its headers on every call: two thirds of the cost of building it."""
        method, url, body, extra = call
        headers = self._head
        if extra:
            names = {name.lower().encode() for name, _ in extra}
            headers = [h for h in headers if h[0].lower() not in names]
            headers += [(name.encode(), value.encode()) for name, value in extra]
        if body is not None and self._sized:
            headers = [*headers, (b"Content-Length", b"%d" % len(body))]
        request = httpx.Request(method, url, headers=headers, stream=httpx.ByteStream(body or b""),
                                extensions={"timeout": self._timeout_ext})
        request.read()
        return request

    def _send(self, call: Call, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            try:
                return self._send_once(call, stream)
            except APIError as error:
                wait = self._policy.wait_before_retry(error, attempt)
                if wait is None:
                    _give_up(self._policy, error, attempt)
                    raise
                logger.info("retrying %s in %.2fs after: %s", call.url.path, wait, error.message)
            attempt += 1
            time.sleep(wait)

    def _send_once(self, call: Call, stream: bool) -> httpx.Response:
        request = self._request(call)
        with _mapped_transport_errors():
            client = self._sync_client()
            if self._own_http and self._transport is not None:
                # our own pool: straight to its transport, past the cookie, auth, redirect and event-hook
                # handling of Client.send that we never use (a third of a call's client CPU)
                response = self._transport.handle_request(request)
                response.request = request
                if not stream:
                    try:
                        response.read()
                    except BaseException:
                        response.close()
                        raise
            else:
                # never follow, even on a user's client: httpx would carry x-goog-api-key to the other host
                response = client.send(request, stream=stream, follow_redirects=False)
            if response.is_success:
                return response
            response.read()
            response.close()
        raise _status_error(response)

    @overload
    async def _asend(self, call: Call, stream: Literal[True]) -> httpx.Response: ...

    @overload
    async def _asend(self, call: Call, stream: Literal[False] = ...) -> Answer: ...

    async def _asend(self, call: Call, stream: bool = False) -> Answer:
        attempt = 0
        while True:
            try:
                return await self._asend_once(call, stream)
            except APIError as error:
                wait = self._policy.wait_before_retry(error, attempt)
                if wait is None:
                    _give_up(self._policy, error, attempt)
                    raise
                logger.info("retrying %s in %.2fs after: %s", call.url.path, wait, error.message)
            attempt += 1
            await asyncio.sleep(wait)

    async def _asend_once(self, call: Call, stream: bool) -> Answer:
        with _mapped_transport_errors():
            pool = self._async_pool()
            response: Answer = await (pool.open_stream(call) if stream else pool.fetch(call))
            if response.is_success:
                return response
            if isinstance(response, httpx.Response):
                await response.aread()
                await response.aclose()
        raise _status_error(response)

    # ---------------------------------------------------------------- generateContent

    def _generate_call(self, model: str, request: GenerateContentRequest | Mapping[str, Any], method: str) -> Call:
        return Call("POST", self._url(model, method), _generate_body(model, request))

    def _limit(self, max_continuations: int | None) -> int:
        return self._max_continuations if max_continuations is None else check_limit(max_continuations)

    def _continued(self, model: str, request: GenerateContentRequest | Mapping[str, Any],
                   first: GenerateContentResponse, limit: int) -> Flow[GenerateContentResponse]:
        """The rest of a long answer, hop after hop, merged with ``first`` (see ``_continuation``)."""
        hops = [first]
        while (token := follow(hops[-1], len(hops) - 1, limit)) is not None:
            answer = yield self._generate_call(model, with_token(request, token), "generateContent")
            hops.append(_answered(parse_answer(GenerateContentResponse, answer)))
        return merge(hops)

    def generate(self, model: str, request: GenerateContentRequest | Mapping[str, Any], *,
                 max_continuations: int | None = None) -> GenerateContentResponse:
        """One ``generateContent`` call, plus the hops of an answer that ends in ``CONTINUATION`` (up to
        ``max_continuations``, default the client's), merged. Raises ``ResponseBlockedError`` if the prompt
        was refused."""
        limit = self._limit(max_continuations)
        response = self._send(self._generate_call(model, request, "generateContent"))
        answer = _answered(parse_answer(GenerateContentResponse, response))
        if answer.candidates[0].finish_reason != "CONTINUATION":
            return answer
        return drive(self, self._continued(model, request, answer, limit))

    async def agenerate(self, model: str, request: GenerateContentRequest | Mapping[str, Any], *,
                        max_continuations: int | None = None) -> GenerateContentResponse:
        limit = self._limit(max_continuations)
        response = await self._asend(self._generate_call(model, request, "generateContent"))
        answer = _answered(parse_answer(GenerateContentResponse, response))
        if answer.candidates[0].finish_reason != "CONTINUATION":
            return answer
        return await adrive(self, self._continued(model, request, answer, limit))

    def stream(
        self, model: str, request: GenerateContentRequest | Mapping[str, Any], *, max_continuations: int | None = None
    ) -> Iterator[GenerateContentResponse]:
        """``streamGenerateContent?alt=sse``: each chunk holds only the new parts (fold them with
        ``StreamAccumulator``). An answer that ends in ``CONTINUATION`` streams on through its next hops as one
        stream. Raises ``APIConnectionError`` if a stream ends before its final event."""
        hops = StreamHops(self._limit(max_continuations))
        body: GenerateContentRequest | Mapping[str, Any] | None = request
        while body is not None:
            response = self._send(self._generate_call(model, body, "streamGenerateContent?alt=sse"), stream=True)
            decoder, parser = SSEDecoder(), StreamParser()
            try:
                with _mapped_transport_errors():
                    for data in response.iter_bytes() if _encoded(response) else response.iter_raw():
                        for payload in decoder.feed(data):
                            yield hops.feed(_unblocked(parser.parse(payload)))
                last = parser.finish(decoder.close(), decoder.head)
                if last is not None:
                    yield hops.feed(_unblocked(last))
            finally:
                response.close()
            body = hops.next_request(request)

    async def astream(
        self, model: str, request: GenerateContentRequest | Mapping[str, Any], *, max_continuations: int | None = None
    ) -> AsyncIterator[GenerateContentResponse]:
        hops = StreamHops(self._limit(max_continuations))
        body: GenerateContentRequest | Mapping[str, Any] | None = request
        while body is not None:
            call = self._generate_call(model, body, "streamGenerateContent?alt=sse")
            response = await self._asend(call, stream=True)
            decoder, parser = SSEDecoder(), StreamParser()
            try:
                with _mapped_transport_errors():
                    async for data in response.aiter_bytes() if _encoded(response) else response.aiter_raw():
                        for payload in decoder.feed(data):
                            yield hops.feed(_unblocked(parser.parse(payload)))
                last = parser.finish(decoder.close(), decoder.head)
                if last is not None:
                    yield hops.feed(_unblocked(last))
            finally:
                await response.aclose()
            body = hops.next_request(request)

    # ---------------------------------------------------------------- countTokens

    def count_tokens(self, model: str, request: GenerateContentRequest | Sequence[Content]) -> CountTokensResponse:
        """Tokens of ``request``; system instruction and tools count too when the request has them. Nothing
        to count (no contents, system instruction, tools or cache) is 0, without a request."""
        name = normalize_model(model)
        body = _count_tokens_body(name, request)
        if body is None:
            return CountTokensResponse(total_tokens=0)
        return parse_answer(CountTokensResponse, self._send(Call("POST", self._url(name, "countTokens"), body)))

    async def acount_tokens(
        self, model: str, request: GenerateContentRequest | Sequence[Content]
    ) -> CountTokensResponse:
        name = normalize_model(model)
        body = _count_tokens_body(name, request)
        if body is None:
            return CountTokensResponse(total_tokens=0)
        return parse_answer(CountTokensResponse, await self._asend(Call("POST", self._url(name, "countTokens"), body)))

    # ---------------------------------------------------------------- embeddings

    def embed(
        self,
        model: str,
        contents: Sequence[str | Content],
        *,
        task_type: str | None = None,
        title: str | Sequence[str | None] | None = None,
        output_dimensionality: int | None = None,
        max_concurrency: int = 4,
    ) -> list[list[float]]:
        """Vectors for ``contents``, in order, through ``batchEmbedContents`` (100 per request). ``title``: one
        for every input, or a sequence of one per input (``RETRIEVAL_DOCUMENT`` only). With more than one
        batch, up to ``max_concurrency`` requests are in flight, from threads sharing the pool; if one fails,
        its error is raised once the requests already in flight are done."""
        name = normalize_model(model)
        batches = _embed_batches(name, contents, task_type, title, output_dimensionality)
        url = self._url(name, "batchEmbedContents")

        def one(batch: tuple[bytes, int]) -> list[list[float]]:
            return _vectors(self._send(Call("POST", url, batch[0])), batch[1])

        workers = min(max(1, max_concurrency), len(batches))
        if workers == 1:
            results = [one(batch) for batch in batches]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cometgemini-embed") as pool:
                results = list(pool.map(one, batches))
        return [vector for result in results for vector in result]

    async def aembed(
        self,
        model: str,
        contents: Sequence[str | Content],
        *,
        task_type: str | None = None,
        title: str | Sequence[str | None] | None = None,
        output_dimensionality: int | None = None,
        max_concurrency: int | asyncio.Semaphore = 4,
    ) -> list[list[float]]:
        """As ``embed``, with up to ``max_concurrency`` batches in flight; results stay in input order.
        Pass a semaphore instead of a number to share one bound between concurrent calls."""
        name = normalize_model(model)
        batches = _embed_batches(name, contents, task_type, title, output_dimensionality)
        url = self._url(name, "batchEmbedContents")
        gate = (max_concurrency if isinstance(max_concurrency, asyncio.Semaphore)
                else asyncio.Semaphore(max(1, max_concurrency)))

        async def one(body: bytes, size: int) -> list[list[float]]:
            async with gate:
                return _vectors(await self._asend(Call("POST", url, body)), size)

        results = await asyncio.gather(*(one(body, size) for body, size in batches))
        return [vector for result in results for vector in result]

    # ---------------------------------------------------------------- models

    def get_model(self, model: str) -> Model:
        return parse_answer(Model, self._send(Call("GET", self._model_url(model), None)))

    async def aget_model(self, model: str) -> Model:
        return parse_answer(Model, await self._asend(Call("GET", self._model_url(model), None)))


def client_for(s: ConnectionSettings, http_client: httpx.Client | None = None,
               http_async_client: httpx.AsyncClient | None = None) -> CometGeminiClient:
    """The client for an adapter: its connection fields, and the httpx clients it was handed (if any)."""
    return CometGeminiClient(s.api_key, base_url=s.base_url, api_version=s.api_version, auth=s.auth, timeout=s.timeout,
                             max_retries=s.max_retries, default_headers=s.default_headers, http_client=http_client,
                             http_async_client=http_async_client, allow_insecure_http=s.allow_insecure_http)
