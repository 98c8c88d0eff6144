"""``client.files``: the Files API (upload once, use the file in many requests for 48 hours).

**Upload** is Google's resumable protocol, two steps, each written once as a flow:

1. ``POST {base}/upload/v1beta/files`` with ``X-Goog-Upload-Protocol: resumable``, ``X-Goog-Upload-Command:
   start``, ``X-Goog-Upload-Header-Content-Length: <size>``, ``X-Goog-Upload-Header-Content-Type: <mime>`` and
   the body ``{"file": {"displayName": ...}}``. The answer's ``x-goog-upload-url`` header is where the bytes go
   (and ``x-goog-upload-chunk-granularity``, 256 KiB at Google, divides every chunk but the last).
2. ``POST <upload url>`` per chunk, ``X-Goog-Upload-Command: upload`` and ``X-Goog-Upload-Offset: <bytes sent
   so far>``; the last chunk says ``upload, finalize``. Google answers ``x-goog-upload-status: active`` until
   the last one, then ``final`` with the body ``{"file": File}``.

Every call carries the API key, so an upload URL on another origin than ``base_url`` is refused: the key would
go to a host the user never named.

**File** (``GET /v1beta/files/{id}``): ``name`` (``files/{id}``), ``displayName``, ``mimeType``,
``sizeBytes`` (an int64, so a JSON string), ``createTime``, ``updateTime``, ``expirationTime``, ``sha256Hash``
(base64), ``uri`` (what ``fileData.fileUri`` takes), ``downloadUri`` (generated files only), ``state``
(``PROCESSING`` → ``ACTIVE``, or ``FAILED`` with ``error``), ``source`` (``UPLOADED``, ``GENERATED``...).
Lists are ``GET /v1beta/files?pageSize&pageToken`` → ``{"files": [...], "nextPageToken"}``;
``DELETE /v1beta/files/{id}`` → ``{}``; generated files (a batch's results) download from
``GET {base}/download/v1beta/files/{id}:download?alt=media``.
"""

from __future__ import annotations

import builtins
import io
import mimetypes
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import httpx
from pydantic import BaseModel, Field

from ._exceptions import CometGeminiError, MalformedResponseError
from ._http import Answer, Call, parse_answer
from ._resources import Flow, Resource, poll, resource_name
from ._types import WireModel

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "GOOGLE_FILES_PREFIX",
    "File",
    "FileProcessingError",
    "FileSource",
    "Files",
    "Progress",
    "Status",
    "file_uri",
    "guess_mime_type",
    "is_file_reference",
]

DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
"""Bytes per upload request, as Google's SDK sends them."""
GRANULARITY = 256 * 1024
"""Google's ``x-goog-upload-chunk-granularity``: every chunk but the last is a multiple of it."""
GOOGLE_FILES_PREFIX = "https://generativelanguage.googleapis.com/v1beta/"
_EXTRA_TYPES = {".jsonl": "application/jsonl", ".md": "text/markdown", ".webp": "image/webp"}

FileSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""What ``upload`` takes: a path, the bytes themselves, or a binary file object (read from where it stands)."""
Progress = Callable[[int, int], None]
"""``progress(sent, total)``, called after each chunk the server acknowledged."""


class Status(WireModel):
    """``google.rpc.Status``: a failed file's or batch request's error. ``code`` is a gRPC code (3 is
    INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 13 INTERNAL...), not an HTTP status."""

    code: int = 0
    message: str = ""
    details: list[dict[str, Any]] | None = None


class File(WireModel):
    name: str = ""
    display_name: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    create_time: str | None = None
    update_time: str | None = None
    expiration_time: str | None = None
    sha256_hash: str | None = None
    uri: str | None = None
    """The value ``fileData.fileUri`` takes."""
    download_uri: str | None = None
    state: str = "STATE_UNSPECIFIED"
    """``PROCESSING``, ``ACTIVE`` (usable) or ``FAILED`` (see ``error``)."""
    source: str | None = None
    error: Status | None = None
    video_metadata: dict[str, Any] | None = None


class _UploadAnswer(BaseModel):
    file: File = Field(default_factory=File)


class FileProcessingError(CometGeminiError):
    """The server could not process an uploaded file (state ``FAILED``): it cannot be used in a request."""

    def __init__(self, file: File) -> None:
        reason = file.error.message if file.error is not None and file.error.message else "no reason given"
        super().__init__(f"{file.name} failed processing ({reason}); upload it again, perhaps in another format")
        self.file = file


# ------------------------------------------------------------------------------------------- pure helpers


def guess_mime_type(name: str) -> str | None:
    """The MIME type for a file name (``.jsonl`` included, which ``mimetypes`` does not know)."""
    extension = os.path.splitext(name)[1].lower()
    return _EXTRA_TYPES.get(extension) or mimetypes.guess_type(name)[0]


def file_uri(name_or_uri: str) -> str:
    """What ``fileData.fileUri`` should hold for a Files API reference: a bare ``files/abc`` becomes Google's
    full URI (the form the API documents); full URIs and other URLs are returned unchanged."""
    value = name_or_uri.strip()
    if value.startswith("files/") and "/" not in value[len("files/"):]:
        return GOOGLE_FILES_PREFIX + value
    return value


def is_file_reference(uri: str) -> bool:
    """Whether ``uri`` names a file of the Files API (``files/abc``, or ``https://host/v1beta/files/abc``)."""
    head, sep, rest = uri.strip().partition("files/")
    return bool(sep and rest and "/" not in rest and (not head or head.endswith(("/v1beta/", "/v1/"))))


@dataclass
class _Source:
    """A validated upload source. Paths are opened only when the flow runs (and closed by it)."""

    path: str | None
    data: IO[bytes] | None
    size: int
    mime_type: str
    display_name: str | None

    @contextmanager
    def reader(self) -> Iterator[IO[bytes]]:
        if self.data is not None:
            yield self.data
            return
        assert self.path is not None
        with open(self.path, "rb") as handle:
            yield handle


def _source(file: FileSource, mime_type: str | None, display_name: str | None) -> _Source:
    """Check ``file`` and work out its size, type and name before anything is sent."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        if not mime_type:
            raise ValueError("uploading bytes needs mime_type= (e.g. 'application/pdf', 'video/mp4'): "
                             "raw bytes carry no file name to guess it from")
        data = bytes(file)
        return _Source(None, io.BytesIO(data), len(data), mime_type, display_name)
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no file to upload at {path!r}")
        mime = mime_type or guess_mime_type(path)
        if not mime:
            raise ValueError(f"cannot guess the MIME type of {path!r} from its name: pass mime_type=")
        return _Source(path, None, os.path.getsize(path), mime, display_name or os.path.basename(path))
    return _stream_source(file, mime_type, display_name)


def _stream_source(file: Any, mime_type: str | None, display_name: str | None) -> _Source:
    if not callable(getattr(file, "read", None)):
        raise TypeError(f"upload takes a path, bytes or a binary file object, not {type(file).__name__}")
    if isinstance(file, io.TextIOBase) or "b" not in str(getattr(file, "mode", "b")):
        raise ValueError("the file object is open in text mode: open it with 'rb'")
    if not (callable(getattr(file, "seekable", None)) and file.seekable()):
        raise ValueError("the file object cannot seek, so its size is unknown: read it and upload the bytes")
    start = file.tell()
    size = file.seek(0, io.SEEK_END) - start
    file.seek(start)
    name = getattr(file, "name", None)
    name = os.path.basename(name) if isinstance(name, str) else None
    mime = mime_type or (guess_mime_type(name) if name else None)
    if not mime:
        raise ValueError("cannot guess the MIME type of a file object without a file name: pass mime_type=")
    return _Source(None, file, size, mime, display_name or name)


def _chunk_size(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < GRANULARITY or value % GRANULARITY:
        raise ValueError(f"chunk_size must be a positive multiple of 256 KiB ({GRANULARITY} bytes), got {value!r}")
    return value


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or {"http": 80, "https": 443}.get(url.scheme)


def _upload_url(answer: Answer, base_url: str) -> httpx.URL:
    """The upload URL the start call answered, if it is on ``base_url``'s origin (our key goes with it)."""
    raw = answer.headers.get("x-goog-upload-url")
    if not raw:
        raise MalformedResponseError("the upload start answer has no x-goog-upload-url header: this server does "
                                     "not speak Google's resumable upload protocol")
    url = httpx.URL(raw)
    if _origin(url) != _origin(httpx.URL(base_url)):
        raise MalformedResponseError(
            f"the server sent an upload URL on another host ({url.scheme}://{url.host}) than base_url "
            f"({base_url}); refusing to send the API key there. Upload through a client whose base_url is "
            "the host that stores the files."
        )
    return url


def _granularity(answer: Answer, chunk_size: int) -> int:
    """``chunk_size`` cut down to a multiple of the granularity the server announced (if it did)."""
    try:
        step = int(answer.headers.get("x-goog-upload-chunk-granularity") or 0)
    except ValueError:
        step = 0
    return max(step, chunk_size - chunk_size % step) if step > 0 else chunk_size


def _file_done(file: File) -> bool:
    if file.state == "FAILED":
        raise FileProcessingError(file)
    return file.state == "ACTIVE"


# ------------------------------------------------------------------------------------------- the resource


class Files(Resource):
    """``client.files``: upload, get, list, delete, download and wait until ACTIVE (each with an ``a`` twin)."""

    collection = "files"

    # -------------------------------------------------------------- upload

    def upload(self, file: FileSource, *, mime_type: str | None = None, display_name: str | None = None,
               chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Progress | None = None) -> File:
        """Upload ``file`` (a path, bytes or a binary file object) by the resumable protocol, ``chunk_size``
        bytes per request (a multiple of 256 KiB). The MIME type is guessed from a path; bytes need
        ``mime_type``. ``progress(sent, total)`` follows each chunk. Videos and long audio come back
        ``PROCESSING``: ``wait_active`` before using them."""
        return self.run(self._upload(_source(file, mime_type, display_name), _chunk_size(chunk_size), progress))

    async def aupload(self, file: FileSource, *, mime_type: str | None = None, display_name: str | None = None,
                      chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Progress | None = None) -> File:
        return await self.arun(self._upload(_source(file, mime_type, display_name), _chunk_size(chunk_size),
                                            progress))

    def _upload(self, source: _Source, chunk_size: int, progress: Progress | None) -> Flow[File]:
        headers = {
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(source.size),
            "X-Goog-Upload-Header-Content-Type": source.mime_type,
        }
        metadata = {"displayName": source.display_name} if source.display_name else {}
        started = yield self.call("POST", "files", {"file": metadata}, headers=headers, prefix="upload")
        url = _upload_url(started, self._client.base_url)
        chunk_size = _granularity(started, chunk_size)
        with source.reader() as reader:
            answer = yield from self._chunks(reader, url, source.size, chunk_size, progress)
        if answer.headers.get("x-goog-upload-status", "").lower() != "final":
            raise MalformedResponseError("the last chunk was sent but the server did not finalize the upload")
        return parse_answer(_UploadAnswer, answer).file

    def _chunks(self, reader: IO[bytes], url: httpx.URL, size: int, chunk_size: int,
                progress: Progress | None) -> Flow[Answer]:
        offset = 0
        while True:
            chunk = reader.read(chunk_size)
            last = offset + len(chunk) >= size
            if not chunk and not last:
                raise ValueError(f"the file ended after {offset} of its {size} bytes: it changed while uploading")
            headers = (("X-Goog-Upload-Command", "upload, finalize" if last else "upload"),
                       ("X-Goog-Upload-Offset", str(offset)), ("Content-Type", "application/octet-stream"))
            answer: Answer = yield Call("POST", url, chunk, headers)
            offset += len(chunk)
            if progress is not None:
                progress(offset, size)
            if last:
                return answer
            if answer.headers.get("x-goog-upload-status", "").lower() != "active":
                raise MalformedResponseError(
                    f"the upload stopped at byte {offset} of {size}: the server answered "
                    f"x-goog-upload-status={answer.headers.get('x-goog-upload-status')!r}, not 'active'"
                )

    # -------------------------------------------------------------- metadata

    def _get(self, name: str) -> Flow[File]:
        answer = yield self.call("GET", resource_name(name, "files"))
        return parse_answer(File, answer)

    def get(self, name: str) -> File:
        """The file's metadata (``state``, ``uri``, ``expiration_time``...)."""
        return self.run(self._get(name))

    async def aget(self, name: str) -> File:
        return await self.arun(self._get(name))

    def _list(self, page_size: int) -> Flow[builtins.list[File]]:
        return self.pages("files", {"pageSize": page_size}, "files", File)

    def list(self, *, page_size: int = 100) -> builtins.list[File]:
        """Every file of the project (the key's), all pages (``page_size`` per request, at most 100)."""
        return self.run(self._list(page_size))

    async def alist(self, *, page_size: int = 100) -> builtins.list[File]:
        return await self.arun(self._list(page_size))

    def _delete(self, name: str) -> Flow[None]:
        yield self.call("DELETE", resource_name(name, "files"))

    def delete(self, name: str) -> None:
        """Delete the file now (it would expire 48 hours after the upload anyway)."""
        self.run(self._delete(name))

    async def adelete(self, name: str) -> None:
        await self.arun(self._delete(name))

    def _download(self, name: str) -> Flow[bytes]:
        answer: Answer = yield self.call("GET", resource_name(name, "files") + ":download", query={"alt": "media"},
                                         prefix="download")
        return answer.content

    def download(self, name: str) -> bytes:
        """The bytes of a generated file (a batch's results); files you uploaded cannot be downloaded."""
        return self.run(self._download(name))

    async def adownload(self, name: str) -> bytes:
        return await self.arun(self._download(name))

    # -------------------------------------------------------------- waiting

    def _wait_active(self, name: str, timeout: float | None, poll_interval: float) -> Flow[File]:
        return poll(lambda: self._get(name), _file_done, lambda f: f"{f.name} is {f.state}",
                    interval=poll_interval, max_interval=10.0, timeout=timeout)

    def wait_active(self, name: str, *, timeout: float | None = 600.0, poll_interval: float = 1.0) -> File:
        """Poll until the file is ``ACTIVE`` (usable in requests) and return it. ``FAILED`` raises
        ``FileProcessingError``; still processing after ``timeout`` seconds raises ``WaitTimeoutError``."""
        return self.run(self._wait_active(name, timeout, poll_interval))

    async def await_active(self, name: str, *, timeout: float | None = 600.0, poll_interval: float = 1.0) -> File:
        return await self.arun(self._wait_active(name, timeout, poll_interval))
