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
from ._behaviour import Candidate, Plan, plan_answer
from ._config import EmulatorConfig
from ._context import read_context
from ._embed import DEFAULT_DIMENSIONS, embed_text, embedding_input
from ._errors import ApiError, comet_auth_body, google_auth_error, google_error, not_found_message, pretty
from ._faults import HTML_PAGE, Fault, FaultState, error_for
from ._models import is_embedding, is_known, list_page, model_resource
from ._render import Usage, prompt_usage, render_events, render_response
from ._replay import Replay
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
    """State of one emulator app: config, recorded requests, fault counters, replay cursor."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.requests: deque[dict[str, Any]] = deque(maxlen=max(1, config.max_recorded))
        self.faults = FaultState(config.fault, config.fault_rate, config.fault_seed)
        self.replay = Replay(config.replay_dir) if config.replay_dir else None
        self._counter = itertools.count(1)

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

    async def model_route(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self._record(request, None)
            return self._error(ApiError(400, "Invalid JSON payload received. Unexpected token."))
        self._record(request, body if request.method == "POST" else None)
        if request.path_params["version"] not in _VERSIONS:
            return _json(google_error(404, "Not Found"), 404)
        if not self._authorized(request):
            return self._unauthorized(request)
        model, _, method = request.path_params["rest"].rpartition(":")
        if request.method == "GET" or not model:
            model, method = request.path_params["rest"], "get"
        model = model.removeprefix("models/")
        array = method == "streamGenerateContent" and request.query_params.get("alt") != "sse"
        try:
            return await self._dispatch(request, model, method, body)
        except ApiError as err:
            return self._error(err, array)

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
            if not is_known(model):
                raise ApiError(404, not_found_message(model, "get"))
            return _json(model_resource(model))
        if self.replay is not None and method in ("generateContent", "streamGenerateContent"):
            return self._replayed(stream, sse)
        if method in ("generateContent", "streamGenerateContent"):
            return self._generate(model, body, stream, sse, fault)
        if method == "countTokens":
            return self._count_tokens(model, body)
        if method in ("embedContent", "batchEmbedContents"):
            return self._embed(model, body, method == "batchEmbedContents")
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
        if not is_known(model) or is_embedding(model):
            raise ApiError(404, not_found_message(model, method))
        return model_info(model)

    def _generate(self, model: str, body: Any, stream: bool, sse: bool, fault: Fault | None) -> Response:
        info = self._model_info(model, "generateContent")
        req = normalize(body, REQUEST_SPEC)
        config = self.config
        signatures = validate_generate(req, info, config.secret, config.strict_signatures)
        ctx = read_context(model, info, req, config.secret)
        plan = plan_answer(ctx)
        kind = fault.kind if fault is not None else ""
        if kind == "max-tokens":
            plan = Plan([Candidate([], "MAX_TOKENS")], thoughts=plan.thoughts)
        acc, cached = prompt_usage(req)
        usage = Usage(acc, cached, model, self._request_id(ctx.digest), info.family == "3")
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
        if not is_known(model):
            raise ApiError(404, not_found_message(model, "countTokens"))
        data = normalize(body, COUNT_SPEC)
        inner = data.get("generateContentRequest")
        if inner is not None and "contents" in data:
            raise ApiError(400, "* CountTokensRequest: contents and generate_content_request cannot both be set.\n")
        acc, cached = prompt_usage(inner if isinstance(inner, dict) else {"contents": data.get("contents") or []})
        out: dict[str, Any] = {"totalTokens": sum(acc.values())}
        if cached:
            out["cachedContentTokenCount"] = cached
        out["promptTokensDetails"] = details(acc)
        if cached:
            out["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
        return _json(out)

    def _embed(self, model: str, body: Any, batch: bool) -> Response:
        if not is_embedding(model):
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
    """SSE frames: the first one at once, then in writes of ~8 KB (clients must not rely on chunking)."""
    buffer = b""
    for number, event in enumerate(events):
        if number == 1 and fault in _STREAM_FAULTS:
            yield buffer
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
            buffer = b""
    if buffer:
        yield buffer


async def _array_body(events: Iterator[Any], fault: str) -> AsyncIterator[bytes]:
    separator = b"["
    for number, event in enumerate(events):
        if number == 1 and fault == "drop":
            raise DroppedConnection("emulator fault: connection dropped mid-stream")
        yield separator + pretty(event)
        separator = b",\r\n"
    yield b"]" if separator != b"[" else b"[]"


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """The emulator as an ASGI app; its state is ``app.state.emulator`` (an ``Emulator``)."""
    emulator = Emulator(config or EmulatorConfig())
    routes = [
        Route("/_emulator/requests", emulator.requests_route, methods=["GET", "DELETE"]),
        Route("/{version}/models", emulator.list_route, methods=["GET"]),
        Route("/{version}/models/{rest:path}", emulator.model_route, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    return app
