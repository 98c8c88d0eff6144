"""Routes of the API's resources (files, uploads, downloads, batches); the state lives in ``_filestore`` and
``_batchstore``, one of each per emulator. ``batchGenerateContent`` itself is a model method, routed in
``_app``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._errors import ApiError, google_error
from ._filestore import json_response

if TYPE_CHECKING:
    from ._app import Emulator

__all__ = ["resource_routes"]

_VERSIONS = frozenset({"v1beta", "v1"})
Handler = Callable[[Request, Any], Awaitable[Response]]


def _guarded(emulator: Emulator, handler: Handler, *, auth: bool = True, raw: bool = False) -> Callable[
        [Request], Awaitable[Response]]:
    """Record, check the version and the key, parse a JSON body, and answer an ``ApiError`` in Google's
    envelope. ``raw``: the body is bytes (an upload chunk), passed on as is and not recorded."""

    async def route(request: Request) -> Response:
        data = await request.body()
        body: Any = data
        if not raw:
            try:
                body = json.loads(data) if data.strip() else {}
            except ValueError:
                emulator._record(request, None)
                return emulator._error(ApiError(400, "Invalid JSON payload received. Unexpected token."))
        emulator._record(request, None if raw else body)
        if request.path_params["version"] not in _VERSIONS:
            return json_response(google_error(404, "Not Found"))
        if auth and not emulator._authorized(request):
            return emulator._unauthorized(request)
        try:
            return await handler(request, body)
        except ApiError as err:
            return emulator._error(err)

    return route


class _Handlers:
    """The handlers, each given the parsed body by ``_guarded``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.files = emulator.files
        self.batches = emulator.batches

    async def upload_route(self, request: Request) -> Response:
        # chunks need no key (the upload id is the capability, as at Google); the start does
        chunk = bool(request.query_params.get("upload_id"))
        return await _guarded(self.emulator, self.upload, auth=not chunk, raw=True)(request)

    async def upload(self, request: Request, body: Any) -> Response:
        upload_id = request.query_params.get("upload_id")
        if upload_id:
            return self.files.chunk(request, upload_id, body)
        try:
            start = json.loads(body) if body.strip() else {}
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
        return self.files.start(request, start if isinstance(start, dict) else {})

    async def file_list(self, request: Request, body: Any) -> Response:
        return json_response(self.files.listing(request))

    async def file_one(self, request: Request, body: Any) -> Response:
        stored = self.files.get(request.path_params["rest"])
        if request.method == "DELETE":
            del self.files.files[stored.id]
            return json_response({})
        return json_response(stored.resource())

    async def download(self, request: Request, body: Any) -> Response:
        file_id, _, verb = request.path_params["rest"].partition(":")
        if verb != "download" or request.query_params.get("alt") != "media":
            raise ApiError(400, "Download a file with GET /download/v1beta/files/{id}:download?alt=media.")
        stored = self.files.get(file_id)
        return Response(stored.data, 200, media_type=stored.mime_type)

    async def batch_list(self, request: Request, body: Any) -> Response:
        return json_response(self.batches.listing(request))

    async def batch_one(self, request: Request, body: Any) -> Response:
        job_id, _, verb = request.path_params["rest"].partition(":")
        if request.method == "POST" and verb == "cancel":
            self.batches.cancel(job_id)
            return json_response({})
        if request.method == "DELETE" and not verb:
            self.batches.delete(job_id)
            return json_response({})
        if request.method == "GET" and not verb:
            return json_response(self.batches.operation(self.batches.get(job_id), str(request.base_url)))
        raise ApiError(404, f"Method not found: {request.method} batches/{request.path_params['rest']}", "NOT_FOUND")


def resource_routes(emulator: Emulator) -> list[Route]:
    h = _Handlers(emulator)
    return [
        Route("/upload/{version}/files", h.upload_route, methods=["POST"]),
        Route("/download/{version}/files/{rest:path}", _guarded(emulator, h.download), methods=["GET"]),
        Route("/{version}/files", _guarded(emulator, h.file_list), methods=["GET"]),
        Route("/{version}/files/{rest:path}", _guarded(emulator, h.file_one), methods=["GET", "DELETE"]),
        Route("/{version}/batches", _guarded(emulator, h.batch_list), methods=["GET"]),
        Route("/{version}/batches/{rest:path}", _guarded(emulator, h.batch_one), methods=["GET", "POST", "DELETE"]),
    ]
