"""The Files API, in memory per emulator: Google's resumable upload protocol, files/{id} metadata, and the
file check generateContent makes on ``fileData`` URIs.

Upload: ``POST /upload/v1beta/files`` with ``X-Goog-Upload-Protocol: resumable``, ``X-Goog-Upload-Command:
start``, ``X-Goog-Upload-Header-Content-Length`` and ``-Content-Type`` answers 200 with ``x-goog-upload-url``
(the same path plus ``?upload_id=...&upload_protocol=resumable``, on the emulator's own base URL) and
``x-goog-upload-chunk-granularity: 262144``. Then each ``POST`` to that URL carries ``X-Goog-Upload-Offset``
(must equal the bytes received so far) and ``X-Goog-Upload-Command: upload`` (a multiple of the granularity)
or ``upload, finalize`` (the total must then be the declared size), answered ``x-goog-upload-status: active``
or ``final`` with ``{"file": File}``. ``query`` reports ``x-goog-upload-size-received``; ``cancel`` drops the
session. Chunks need no key: the upload id is the capability, as at Google.

A video or audio file is ``PROCESSING`` for ``EmulatorConfig.file_processing_seconds`` after its upload, then
``ACTIVE``; other files are ``ACTIVE`` at once. Unknown files get Google's 403 "You do not have permission to
access the File ... or it may not exist."; a file still processing used in a request gets 400
FAILED_PRECONDITION "The File ... is not in an ACTIVE state and usage is not allowed."
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .._files import is_file_reference
from ._errors import ApiError, pretty

__all__ = ["GRANULARITY", "JSON_TYPE", "FileStore", "StoredFile", "file_id_of", "json_response", "page_of", "rfc3339"]

JSON_TYPE = "application/json; charset=UTF-8"

GRANULARITY = 256 * 1024
MAX_FILE_BYTES = 2 * 1024**3
_RETENTION = timedelta(hours=48)
_SLOW_KINDS = ("video/", "audio/")


def json_response(obj: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(pretty(obj), 200, headers=headers, media_type=JSON_TYPE)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def page_of(items: list[dict[str, Any]], key: str, request: Request, default_size: int) -> dict[str, Any]:
    """One page of ``items`` (``pageSize`` capped at 100, ``pageToken`` an opaque base64 offset)."""
    try:
        size = int(request.query_params.get("pageSize") or default_size)
        token = request.query_params.get("pageToken") or ""
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise ApiError(400, "Invalid pageSize or pageToken.") from None
    size = min(max(size, 1), 100)
    out: dict[str, Any] = {key: items[start:start + size]} if items[start:start + size] else {}
    if start + size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return out


def file_id_of(uri: str) -> str | None:
    """The id of a Files API reference (``files/abc``, or any host's ``.../v1beta/files/abc``), else None."""
    return uri.strip().rpartition("files/")[2] if is_file_reference(uri) else None


@dataclass
class StoredFile:
    id: str
    display_name: str | None
    mime_type: str
    data: bytes
    created: datetime
    ready_at: float
    """``time.monotonic()`` when it becomes ACTIVE."""
    uri: str
    source: str = "UPLOADED"

    def state(self) -> str:
        return "ACTIVE" if time.monotonic() >= self.ready_at else "PROCESSING"

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": f"files/{self.id}"}
        if self.display_name:
            out["displayName"] = self.display_name
        out.update({
            "mimeType": self.mime_type, "sizeBytes": str(len(self.data)), "createTime": rfc3339(self.created),
            "updateTime": rfc3339(self.created), "expirationTime": rfc3339(self.created + _RETENTION),
            "sha256Hash": base64.b64encode(hashlib.sha256(self.data).digest()).decode(), "uri": self.uri,
            "state": self.state(), "source": self.source,
        })
        if self.source == "GENERATED":
            out["downloadUri"] = self.uri.replace("/v1beta/", "/download/v1beta/", 1) + ":download?alt=media"
        return out


@dataclass
class _Session:
    size: int
    mime_type: str
    display_name: str | None
    base: str
    received: bytearray = field(default_factory=bytearray)


def _headers(**values: str) -> dict[str, str]:
    return {"x-goog-" + k.replace("_", "-"): v for k, v in values.items()}


class FileStore:
    """The files of one emulator, and its open upload sessions."""

    def __init__(self, processing_seconds: float, new_id: Callable[[str], str]) -> None:
        self.processing_seconds = processing_seconds
        self._new_id = new_id
        self.files: dict[str, StoredFile] = {}
        self._sessions: dict[str, _Session] = {}
        self._counter = itertools.count(1)

    # ------------------------------------------------------------------------------------------ files

    def add(self, data: bytes, mime_type: str, display_name: str | None, base: str, *,
            source: str = "UPLOADED") -> StoredFile:
        file_id = self._new_id(f"file:{next(self._counter)}")
        slow = source == "UPLOADED" and mime_type.startswith(_SLOW_KINDS)
        stored = StoredFile(file_id, display_name, mime_type, data, datetime.now(timezone.utc),
                            time.monotonic() + (self.processing_seconds if slow else 0),
                            f"{base.rstrip('/')}/v1beta/files/{file_id}", source)
        self.files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(403, f"You do not have permission to access the File {file_id} or it may not exist.")
        return stored

    def listing(self, request: Request) -> dict[str, Any]:
        return page_of([f.resource() for f in self.files.values()], "files", request, 10)

    def check_parts(self, contents: Iterator[dict[str, Any]]) -> None:
        """Every ``fileData`` that names a file of the Files API must name an ACTIVE one; its ``mimeType``,
        when left out, is the file's (as Google reads it from the file)."""
        for part in contents:
            data = part.get("fileData")
            file_id = file_id_of(str(data.get("fileUri", ""))) if isinstance(data, dict) else None
            if data is None or file_id is None:
                continue
            stored = self.get(file_id)
            if stored.state() != "ACTIVE":
                raise ApiError(400, f"The File {file_id} is not in an ACTIVE state and usage is not allowed.",
                               "FAILED_PRECONDITION")
            data.setdefault("mimeType", stored.mime_type)

    # ------------------------------------------------------------------------------------------ upload

    def start(self, request: Request, body: dict[str, Any]) -> Response:
        headers = request.headers
        if headers.get("x-goog-upload-protocol", "").lower() != "resumable":
            raise ApiError(400, "Only the resumable upload protocol is emulated: send X-Goog-Upload-Protocol: "
                                "resumable.")
        if headers.get("x-goog-upload-command", "").lower() != "start":
            raise ApiError(400, "The first call of an upload must say X-Goog-Upload-Command: start.")
        meta: dict[str, Any] = body["file"] if isinstance(body.get("file"), dict) else {}
        mime = headers.get("x-goog-upload-header-content-type") or meta.get("mimeType") or meta.get("mime_type")
        try:
            size = int(headers.get("x-goog-upload-header-content-length", ""))
        except ValueError:
            raise ApiError(400, "X-Goog-Upload-Header-Content-Length must give the file's size in bytes.") from None
        if not mime:
            raise ApiError(400, "Upload has no MIME type: send X-Goog-Upload-Header-Content-Type.")
        if not 0 <= size <= MAX_FILE_BYTES:
            raise ApiError(400, f"File size {size} is outside 0..2 GB.")
        upload_id = self._new_id(f"upload:{next(self._counter)}")
        base = str(request.base_url).rstrip("/")
        self._sessions[upload_id] = _Session(size, mime, meta.get("displayName") or meta.get("display_name"), base)
        url = f"{base}/upload/v1beta/files?upload_id={upload_id}&upload_protocol=resumable"
        return Response(b"", 200, headers=_headers(upload_url=url, upload_status="active",
                                                   upload_chunk_granularity=str(GRANULARITY)))

    def chunk(self, request: Request, upload_id: str, data: bytes) -> Response:
        session = self._sessions.get(upload_id)
        if session is None:
            raise ApiError(404, "No such upload session (it was finalized, cancelled, or never started).")
        command = {c.strip() for c in request.headers.get("x-goog-upload-command", "").lower().split(",")}
        if command == {"query"}:
            return Response(b"", 200, headers=_headers(upload_status="active",
                                                       upload_size_received=str(len(session.received))))
        if command == {"cancel"}:
            del self._sessions[upload_id]
            return Response(b"", 200, headers=_headers(upload_status="cancelled"))
        if not command <= {"upload", "finalize"} or not command:
            raise ApiError(400, f"Unknown X-Goog-Upload-Command {request.headers.get('x-goog-upload-command')!r}.")
        offset = request.headers.get("x-goog-upload-offset", "")
        if offset != str(len(session.received)):
            raise ApiError(400, f"X-Goog-Upload-Offset is {offset or 'missing'}, but {len(session.received)} bytes "
                                "were received so far.")
        if "finalize" not in command and len(data) % GRANULARITY:
            raise ApiError(400, f"A chunk that does not finalize must be a multiple of {GRANULARITY} bytes.")
        session.received += data
        if len(session.received) > session.size:
            raise ApiError(400, f"More bytes arrived than the declared size ({session.size}).")
        if "finalize" not in command:
            return Response(b"", 200, headers=_headers(upload_status="active"))
        if len(session.received) != session.size:
            raise ApiError(400, f"The upload was finalized after {len(session.received)} of {session.size} bytes.")
        del self._sessions[upload_id]
        stored = self.add(bytes(session.received), session.mime_type, session.display_name, session.base)
        return json_response({"file": stored.resource()}, _headers(upload_status="final"))
