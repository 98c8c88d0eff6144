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
            return emulator._unauthorized()
        try:
            return await handler(request, body)
        except ApiError as err:
            return emulator._error(err)

    return route


def resource_routes(emulator: Emulator) -> list[Route]:
    files, batches = emulator.files, emulator.batches

    async def upload(request: Request, body: Any) -> Response:
        upload_id = request.query_params.get("upload_id")
        if upload_id:
            return files.chunk(request, upload_id, body)
        try:
            start = json.loads(body) if body.strip() else {}
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
        return files.start(request, start if isinstance(start, dict) else {})

    async def upload_route(request: Request) -> Response:
        # chunks need no key (the upload id is the capability, as at Google); the start does
        chunk = bool(request.query_params.get("upload_id"))
        return await _guarded(emulator, upload, auth=not chunk, raw=True)(request)

    async def file_list(request: Request, body: Any) -> Response:
        return json_response(files.listing(request))

    async def file_one(request: Request, body: Any) -> Response:
        file_id = request.path_params["rest"]
        stored = files.get(file_id)
        if request.method == "DELETE":
            del files.files[stored.id]
            return json_response({})
        return json_response(stored.resource())

    async def download(request: Request, body: Any) -> Response:
        file_id, _, verb = request.path_params["rest"].partition(":")
        if verb != "download" or request.query_params.get("alt") != "media":
            raise ApiError(400, "Download a file with GET /download/v1beta/files/{id}:download?alt=media.")
        stored = files.get(file_id)
        return Response(stored.data, 200, media_type=stored.mime_type)

    async def batch_list(request: Request, body: Any) -> Response:
        return json_response(batches.listing(request))

    async def batch_one(request: Request, body: Any) -> Response:
        job_id, _, verb = request.path_params["rest"].partition(":")
        if request.method == "POST" and verb == "cancel":
            batches.cancel(job_id)
            return json_response({})
        if request.method == "DELETE" and not verb:
            batches.delete(job_id)
            return json_response({})
        if request.method == "GET" and not verb:
            return json_response(batches.operation(batches.get(job_id), str(request.base_url)))
        raise ApiError(404, f"Method not found: {request.method} batches/{request.path_params['rest']}", "NOT_FOUND")

    return [
        Route("/upload/{version}/files", upload_route, methods=["POST"]),
        Route("/download/{version}/files/{rest:path}", _guarded(emulator, download), methods=["GET"]),
        Route("/{version}/files", _guarded(emulator, file_list), methods=["GET"]),
        Route("/{version}/files/{rest:path}", _guarded(emulator, file_one), methods=["GET", "DELETE"]),
        Route("/{version}/batches", _guarded(emulator, batch_list), methods=["GET"]),
        Route("/{version}/batches/{rest:path}", _guarded(emulator, batch_one), methods=["GET", "POST", "DELETE"]),
    ]
