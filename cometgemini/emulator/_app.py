"""The Starlette app: routes, auth, faults, replay and response framing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .._catalog import ModelInfo, model_info
from ._batchstore import BatchStore
from ._behaviour import Candidate, Plan, plan_answer
from ._caches import CacheStore
from ._config import EmulatorConfig
from ._context import read_context
from ._continuation import continuation_hop, split_plan
from ._embed import DEFAULT_DIMENSIONS, embed_text, embedding_input
from ._errors import ApiError, comet_auth_body, google_auth_error, google_error, not_found_message, pretty
from ._faults import HTML_PAGE, Fault, FaultState, error_for
from ._filestore import FileStore
from ._models import is_embedding, is_known, list_page, model_resource
from ._render import Usage, prompt_usage, render_events, render_response
from ._replay import Replay
from ._resources import resource_routes
from ._tokens import details
from ._validate import EMBED_SPEC, REQUEST_SPEC, Spec, normalize, validate_generate

__all__ = ["DroppedConnection", "Emulator", "create_app"]

JSON_TYPE = "application/json; charset=UTF-8"
_REDACTED = "REDACTED"
_SECRET_HEADERS = frozenset({"x-goog-api-key", "authorization"})
_VERSIONS = frozenset({"v1beta", "v1"})
_STREAM_FAULTS = frozenset({"drop", "malformed", "error-event"})
COUNT_SPEC: Spec = {
    "contents": REQUEST_SPEC["contents"],
    "generateContentRequest": ("generateContentRequest", "generate_content_request", (REQUEST_SPEC, False)),
    "generate_content_request": ("generateContentRequest", "generate_content_request", (REQUEST_SPEC, False)),
}
BATCH_SPEC: Spec = {"requests": ("requests", "requests", (EMBED_SPEC, True))}


class DroppedConnection(Exception):
    """Raised inside a response body to cut the connection on purpose (fault ``drop``)."""


def _sse(event: Any) -> bytes:
    # Google escapes < and > inside stream events (recorded); both can only occur inside JSON strings.
    text = json.dumps(event, separators=(",", ": "), ensure_ascii=False)
    return b"data: " + text.replace("<", "\\u003c").replace(">", "\\u003e").encode() + b"\r\n\r\n"


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(pretty(obj), status, headers=headers, media_type=JSON_TYPE)


class Emulator:
    """State of one emulator app: config, recorded requests, fault counters, replay cursor, caches."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.requests: deque[dict[str, Any]] = deque(maxlen=max(1, config.max_recorded))
        self.faults = FaultState(config.fault, config.fault_rate, config.fault_seed)
        self.replay = Replay(config.replay_dir) if config.replay_dir else None
        self.caches = CacheStore(config.clock, config.cache_min_tokens)
        self._counter = itertools.count(1)
        self.files = FileStore(config.file_processing_seconds, self._resource_id)
        self.batches = BatchStore(self.files, self.answer, self._resource_id, config.batch_pending_seconds,
                                  config.batch_running_seconds)

    # ------------------------------------------------------------------------------------------ plumbing

    def _record(self, request: Request, body: Any) -> None:
        headers = {k: (_REDACTED if k in _SECRET_HEADERS else v) for k, v in request.headers.items()}
        query = {k: (_REDACTED if k == "key" else v) for k, v in request.query_params.items()}
        self.requests.append({"method": request.method, "path": request.url.path, "query": query,
                              "headers": headers, "json": body})

    def _authorized(self, request: Request) -> bool:
        expected = self.config.api_key
        if expected is None:
            return True
        key = _key_of(request)
        return key is not None and hmac.compare_digest(key.encode(), expected.encode())

    def _request_id(self, seed: str) -> str:
        raw = hashlib.sha256(f"{seed}:{next(self._counter)}".encode()).digest()[:16]
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _resource_id(self, seed: str) -> str:
        """A resource id as Google writes them: lowercase letters and digits."""
        return hashlib.sha256(f"{seed}:{self._request_id(seed)}".encode()).hexdigest()[:16]

    def _unauthorized(self, request: Request | None = None) -> Response:
        if self.config.auth_errors == "google" and request is not None:
            return self._error(google_auth_error(_key_of(request) is not None))
        return _json(comet_auth_body(self._request_id("auth")[:20]), 401)

    @staticmethod
    def _error(err: ApiError, array: bool = False) -> Response:
        if not array:
            return _json(err.body(), err.code)
        return Response(b"[" + pretty(err.body()) + b"\n]", err.code, media_type=JSON_TYPE)

    # ------------------------------------------------------------------------------------------ routes

    async def requests_route(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.requests.clear()
            return _json({})
        return _json({"requests": list(self.requests)})

    async def list_route(self, request: Request) -> Response:
        self._record(request, None)
        if request.path_params["version"] not in _VERSIONS:
            return _json(google_error(404, "Not Found"), 404)
        if not self._authorized(request):
            return self._unauthorized(request)
        try:
            size = int(request.query_params.get("pageSize", "50"))
        except ValueError:
            return _json(google_error(400, "Invalid value for pageSize."), 400)
        return _json(list_page(size, request.query_params.get("pageToken", "")))

    async def _admit(self, request: Request) -> tuple[Any, Response | None]:
        """Read and record a request: its JSON body, and the answer that refuses it (bad JSON, unknown API
        version, no key), if any."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self._record(request, None)
            return None, self._error(ApiError(400, "Invalid JSON payload received. Unexpected token."))
        self._record(request, body if request.method in ("POST", "PATCH") else None)
        if request.path_params["version"] not in _VERSIONS:
            return body, _json(google_error(404, "Not Found"), 404)
        if not self._authorized(request):
            return body, self._unauthorized(request)
        return body, None

    async def model_route(self, request: Request) -> Response:
        body, refused = await self._admit(request)
        if refused is not None:
            return refused
        model, _, method = request.path_params["rest"].rpartition(":")
        if request.method == "GET" or not model:
            model, method = request.path_params["rest"], "get"
        model = model.removeprefix("models/")
        array = method == "streamGenerateContent" and request.query_params.get("alt") != "sse"
        try:
            return await self._dispatch(request, model, method, body)
        except ApiError as err:
            return self._error(err, array)

    async def cache_route(self, request: Request) -> Response:
        """``/cachedContents`` (POST, GET list) and ``/cachedContents/{id}`` (GET, PATCH, DELETE)."""
        body, refused = await self._admit(request)
        if refused is not None:
            return refused
        cache_id = request.path_params.get("id")
        try:
            if self.config.latency_ms:
                await asyncio.sleep(self.config.latency_ms / 1000)
            early = await self._picked_fault(request, "createCachedContent")
            if early is not None:
                return early
            if self.replay is not None:
                return self._replayed_cache("delete" if request.method == "DELETE" else "resource")
            return _json(self._cache_call(request, None if cache_id is None else f"cachedContents/{cache_id}", body))
        except ApiError as err:
            return self._error(err)

    def _cache_call(self, request: Request, name: str | None, body: Any) -> Any:
        store, method = self.caches, request.method
        if name is None:
            if method == "POST":
                return store.create(body)
            return store.page(request.query_params.get("pageSize"), request.query_params.get("pageToken", ""))
        if method == "GET":
            return store.resource(name)
        if method == "PATCH":
            mask = request.query_params.get("updateMask") or request.query_params.get("update_mask") or ""
            return store.update(name, mask, body)
        return store.delete(name)

    async def _picked_fault(self, request: Request, method: str) -> Response | None:
        """The answer of a requested fault that is a plain error (other kinds do not apply to resources)."""
        try:
            fault = self.faults.pick(request.headers.get("x-emulator-fault"),
                                     request.headers.get("x-emulator-fault-key", ""))
        except ValueError as exc:
            raise ApiError(400, f"Bad x-emulator-fault header: {exc}") from None
        if fault is None or fault.kind in ("slow", "drop", "malformed", "empty", "max-tokens", "error-event"):
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(fault.arg or 0)
            return None
        return await self._fault_response(fault, "", method, False, False)

    def _replayed_cache(self, kind: str) -> Response:
        assert self.replay is not None
        entry = self.replay.next_cache(kind)
        if entry is None:
            raise ApiError(404, "The replay directory holds no recording for this method.")
        return Response(entry.body, entry.status, headers={"x-emulator-replay": entry.name}, media_type=JSON_TYPE)

    async def _dispatch(self, request: Request, model: str, method: str, body: Any) -> Response:
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        try:
            fault = self.faults.pick(request.headers.get("x-emulator-fault"),
                                     request.headers.get("x-emulator-fault-key", ""))
        except ValueError as exc:
            raise ApiError(400, f"Bad x-emulator-fault header: {exc}") from None
        stream = method == "streamGenerateContent"
        sse = request.query_params.get("alt") == "sse"
        if fault is not None:
            early = await self._fault_response(fault, model, method, stream, stream and not sse)
            if early is not None:
                return early
        if method == "get":
            if not is_known(model, self.config.any_model):
                raise ApiError(404, not_found_message(model, "get"))
            return _json(model_resource(model))
        if self.replay is not None and method in ("generateContent", "streamGenerateContent"):
            if not stream and isinstance(body, dict) and body.get("cachedContent") and self.replay.caches["generate"]:
                return self._replayed_cache("generate")
            return self._replayed(stream, sse)
        if method in ("generateContent", "streamGenerateContent"):
            return self._generate(model, body, stream, sse, fault)
        if method == "countTokens":
            return self._count_tokens(model, body)
        if method in ("embedContent", "batchEmbedContents"):
            return self._embed(model, body, method == "batchEmbedContents")
        if method == "batchGenerateContent":
            self._model_info(model, method)
            return _json(self.batches.create(model, body, str(request.base_url)))
        raise ApiError(404, f"Method not found: {method}", "NOT_FOUND")

    # ------------------------------------------------------------------------------------------ faults

    async def _fault_response(self, fault: Fault, model: str, method: str, stream: bool,
                              array: bool) -> Response | None:
        kind = fault.kind
        if kind == "slow":
            await asyncio.sleep(fault.arg or 0)
            return None
        if kind == "401":
            return self._unauthorized()
        if kind == "html":
            return Response(HTML_PAGE, 502, media_type="text/html")
        if kind == "nonjson":
            return Response(b"upstream said: this is not JSON", 200, media_type=JSON_TYPE)
        err = error_for(fault, model, method)
        if err is not None:
            return self._error(err, array)
        if stream or (method == "generateContent" and kind in ("empty", "max-tokens")):
            return None  # handled while generating
        if kind == "empty":
            return _json({})
        if kind == "drop":
            return StreamingResponse(_dropping(pretty({"candidates": []})), media_type=JSON_TYPE)
        if kind == "malformed":
            return Response(b'{"candidates": [{"content": {"parts": [{"text": "trunc', 200, media_type=JSON_TYPE)
        if kind == "error-event":
            return self._error(error_for(Fault("500"), model, method) or ApiError(500, "internal"))
        return None

    # ------------------------------------------------------------------------------------------ methods

    def _model_info(self, model: str, method: str) -> ModelInfo:
        if not is_known(model, self.config.any_model) or is_embedding(model):
            raise ApiError(404, not_found_message(model, method))
        return model_info(model)

    def _planned(self, model: str, body: Any) -> tuple[Plan, Usage, dict[str, int]]:
        """The answer to a generateContent request, before framing (shared with Batch mode)."""
        info = self._model_info(model, "generateContent")
        req = normalize(body, REQUEST_SPEC)
        cached, cache_details = 0, None
        if req.get("cachedContent"):
            req, cached, cache_details = self.caches.apply(req, model)
        config = self.config
        signatures = validate_generate(req, info, config.secret, config.strict_signatures)
        self.files.check_parts(p for c in req.get("contents") or [] for p in c.get("parts") or [])
        ctx = read_context(model, info, req, config.secret)
        plan = plan_answer(ctx)
        acc = prompt_usage(req)
        hop = continuation_hop(req, ctx.prompt, config.secret)
        if hop is not None:
            plan, reread = split_plan(plan, hop, req, config.secret, info.family == "3")
            acc["TEXT"] = acc.get("TEXT", 0) + reread
        usage = Usage(acc, cached, model, self._request_id(ctx.digest), info.family == "3", cache_details)
        return plan, usage, signatures

    def answer(self, model: str, body: Any) -> dict[str, Any]:
        """generateContent's JSON answer (``ApiError`` for a request it refuses)."""
        plan, usage, _ = self._planned(model, body)
        return render_response(plan, usage)

    def _generate(self, model: str, body: Any, stream: bool, sse: bool, fault: Fault | None) -> Response:
        plan, usage, signatures = self._planned(model, body)
        config = self.config
        kind = fault.kind if fault is not None else ""
        if kind == "max-tokens":
            plan = Plan([Candidate([], "MAX_TOKENS")], thoughts=plan.thoughts)
        headers = {"x-emulator-signatures": ",".join(f"{k}={v}" for k, v in sorted(signatures.items()))}
        if not signatures:
            headers = {}
        if not stream:
            return _json({} if kind == "empty" else render_response(plan, usage), headers=headers)
        events: Iterator[Any] = iter([{}]) if kind == "empty" else render_events(
            plan, usage, max(1, config.max_stream_events))
        if sse:
            headers["content-disposition"] = "attachment"
            return StreamingResponse(_sse_body(events, kind), media_type="text/event-stream", headers=headers)
        return StreamingResponse(_array_body(events, kind), media_type=JSON_TYPE, headers=headers)

    def _replayed(self, stream: bool, sse: bool) -> Response:
        assert self.replay is not None
        entry = self.replay.next(stream)
        if entry is None:
            raise ApiError(404, "The replay directory holds no recording for this method.")
        headers = {"x-emulator-replay": entry.name}
        if entry.sse:
            return Response(entry.body, entry.status, headers=headers, media_type="text/event-stream")
        return Response(entry.body, entry.status, headers=headers, media_type=JSON_TYPE)

    def _count_tokens(self, model: str, body: Any) -> Response:
        if not is_known(model, self.config.any_model):
            raise ApiError(404, not_found_message(model, "countTokens"))
        data = normalize(body, COUNT_SPEC)
        inner = data.get("generateContentRequest")
        if inner is not None and "contents" in data:
            raise ApiError(400, "* CountTokensRequest: contents and generate_content_request cannot both be set.\n")
        if inner is None and not data.get("contents"):
            raise ApiError(400, "CountTokens requires generate_content_request or contents to be set.")
        if isinstance(inner, dict) and not inner.get("contents"):  # Google: even to count only the rest
            raise ApiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
        req = inner if isinstance(inner, dict) else {"contents": data.get("contents") or []}
        cached, cache_details = 0, None
        if req.get("cachedContent"):
            req, cached, cache_details = self.caches.apply(req, model)
        acc = prompt_usage(req)
        out: dict[str, Any] = {"totalTokens": sum(acc.values())}
        if cached:
            out["cachedContentTokenCount"] = cached
        out["promptTokensDetails"] = details(acc)
        if cache_details:
            out["cacheTokensDetails"] = details(cache_details)
        return _json(out)

    def _embed(self, model: str, body: Any, batch: bool) -> Response:
        if not is_embedding(model) or not is_known(model, self.config.any_model):
            raise ApiError(404, not_found_message(model, "embedContent"))
        if not batch:
            one = normalize(body, EMBED_SPEC)
            return _json({"embedding": {"values": _embed_one(one, "EmbedContentRequest")}})
        data = normalize(body, BATCH_SPEC)
        requests = data.get("requests") or []
        if len(requests) > 100:
            raise ApiError(400, "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n")
        for i, one in enumerate(requests):
            name = one.get("model")
            if not isinstance(name, str) or not name.startswith("models/"):
                raise ApiError(400, f"* BatchEmbedContentsRequest.requests[{i}].model: unexpected model name "
                                    "format\n")
        return _json({"embeddings": [{"values": _embed_one(r, f"requests[{i}]")} for i, r in enumerate(requests)]})


def _key_of(request: Request) -> str | None:
    key = request.headers.get("x-goog-api-key")
    if key is None:
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else request.query_params.get("key")
    return key


def _embed_one(request: dict[str, Any], where: str) -> list[float]:
    if not isinstance(request.get("content"), dict):
        raise ApiError(400, f"* {where}.content: content is required\n")
    dims = request.get("outputDimensionality") or DEFAULT_DIMENSIONS
    if not isinstance(dims, int) or not 1 <= dims <= 3072:
        raise ApiError(400, f"* {where}.output_dimensionality: must be between 1 and 3072\n")
    return embed_text(embedding_input(request), dims)


async def _dropping(body: bytes) -> AsyncIterator[bytes]:
    yield body[: len(body) // 2]
    raise DroppedConnection("emulator fault: connection dropped")


async def _sse_body(events: Iterator[Any], fault: str) -> AsyncIterator[bytes]:
    """SSE frames: the first one at once, then in writes of ~8 KB (clients must not rely on chunking).

    Each write is followed by a turn of the event loop: writing never waits on its own, so without that turn
    the server would not notice a client that has gone (uvicorn's ``connection_lost``, then Starlette's
    disconnect) until the whole answer had been written into the dead socket, each write logging
    "socket.send() raised exception."; with it, the stream is cancelled at its next write."""
    buffer = b""
    for number, event in enumerate(events):
        if number == 1 and fault in _STREAM_FAULTS:
            yield buffer
            await asyncio.sleep(0)
            buffer = b""
            if fault == "drop":
                raise DroppedConnection("emulator fault: connection dropped mid-stream")
            if fault == "malformed":
                buffer = b'data: {"candidates": [{"content": {"parts": [{"text": \r\n\r\n'
            else:
                yield _sse(google_error(500, "An internal error has occurred. Please retry or report in "
                                             "https://developers.generativeai.google/guide/troubleshooting"))
                return
        buffer += _sse(event)
        if number == 0 or len(buffer) >= 8192:
            yield buffer
            await asyncio.sleep(0)
            buffer = b""
    if buffer:
        yield buffer


async def _array_body(events: Iterator[Any], fault: str) -> AsyncIterator[bytes]:
    separator = b"["
    for number, event in enumerate(events):
        if number == 1 and fault == "drop":
            raise DroppedConnection("emulator fault: connection dropped mid-stream")
        yield separator + pretty(event)
        await asyncio.sleep(0)  # see _sse_body
        separator = b",\r\n"
    yield b"]" if separator != b"[" else b"[]"


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """The emulator as an ASGI app; its state is ``app.state.emulator`` (an ``Emulator``)."""
    emulator = Emulator(config or EmulatorConfig())
    routes = [
        Route("/_emulator/requests", emulator.requests_route, methods=["GET", "DELETE"]),
        *resource_routes(emulator),
        Route("/{version}/models", emulator.list_route, methods=["GET"]),
        Route("/{version}/models/{rest:path}", emulator.model_route, methods=["GET", "POST"]),
        Route("/{version}/cachedContents", emulator.cache_route, methods=["GET", "POST"]),
        Route("/{version}/cachedContents/{id}", emulator.cache_route, methods=["GET", "PATCH", "DELETE"]),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    return app
