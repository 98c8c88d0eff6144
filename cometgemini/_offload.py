"""Large local media through the Files API instead of inline: the adapters' opt-in ``file_mode``.

Google takes inline media up to about 20 MB per request; past that a file must be uploaded and referenced by
``fileData``. The adapters convert messages to wire contents first (pure), then, if ``file_mode`` asks, hand
them here: each ``inlineData`` part of a user turn that qualifies is uploaded (resumable, with a progress bar),
awaited until ``ACTIVE``, and replaced by ``fileData{fileUri, mimeType}``, its other fields (video metadata,
media resolution) kept. Model turns are left alone: their parts may carry thought signatures.

``file_mode``: ``"inline"`` (the default: nothing is uploaded), ``"hybrid"`` (parts larger than the threshold,
20 MB by default, as llama-index-llms-google-genai does), ``"fileapi"`` (every inline media part).

Unlike llama-index-llms-google-genai, which uploads and deletes the file around every call, an
``Offloader`` remembers what it uploaded (by SHA-256, until an hour before the file expires): a conversation
that replays a large video on every turn uploads it once. Files expire by themselves after 48 hours.

The progress bar is tqdm's when tqdm is installed (it is never required), else a log line per quarter at INFO
on the ``cometgemini`` logger.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.util import find_spec
from typing import Any, Literal

from ._files import DEFAULT_CHUNK_SIZE, Files, Progress, _source
from ._resources import Flow
from ._types import Content, FileData, Part

__all__ = ["DEFAULT_UPLOAD_THRESHOLD", "FILE_MODES", "FileMode", "Offloader", "check_file_mode", "progress_bar"]

FileMode = Literal["inline", "fileapi", "hybrid"]
FILE_MODES = ("inline", "fileapi", "hybrid")
DEFAULT_UPLOAD_THRESHOLD = 20 * 1024 * 1024
_MARGIN = 3600.0  # a remembered file is reused only if it has at least an hour left
logger = logging.getLogger("cometgemini")
ProgressFactory = Callable[[str, int], "tuple[Progress, Callable[[], None]]"]


def check_file_mode(mode: str, threshold: int) -> None:
    """A clear ``ValueError`` for a bad setting, when the model is built."""
    if mode not in FILE_MODES:
        raise ValueError(f"file_mode must be one of {FILE_MODES}, got {mode!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ValueError(f"file_upload_threshold must be a number of bytes >= 0, got {threshold!r}")


def progress_bar(label: str, total: int) -> tuple[Progress, Callable[[], None]]:
    """``(progress, close)`` for one upload: a tqdm bar if tqdm is installed (a notebook widget where
    ipywidgets is, else text on stderr) unless ``TQDM_DISABLE=1``, else INFO log lines."""
    bar = _tqdm(label, total)
    if bar is None:
        marks = [total * q // 4 for q in (1, 2, 3, 4)]

        def log(sent: int, size: int) -> None:
            while marks and sent >= marks[0]:
                marks.pop(0)
                logger.info("uploading %s: %d of %d bytes", label, sent, size)

        return log, lambda: None

    def update(sent: int, size: int) -> None:
        bar.update(sent - bar.n)

    return update, bar.close


def _tqdm(label: str, total: int) -> Any:
    """A tqdm bar, or None without tqdm. The notebook widget only where ipywidgets is installed: elsewhere
    ``tqdm.auto`` would warn on every first upload and draw the console bar anyway."""
    if find_spec("tqdm") is None or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes"):
        return None  # tqdm reads TQDM_DISABLE once, at its import; this honours it set later too
    if find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=f"uploading {label}", leave=False)


def _expiry(text: str | None) -> float:
    """Seconds from now until an RFC 3339 ``expirationTime`` (48 h if the server did not say)."""
    try:
        moment = datetime.strptime((text or "")[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return 48 * 3600.0
    return moment.timestamp() - time.time()


class Offloader:
    """Uploads an adapter's large inline media and remembers them (per model object). Picklable: only the
    memory of past uploads travels, and it is dropped on purpose (another process may use another key)."""

    def __init__(self, progress: ProgressFactory = progress_bar) -> None:
        self.progress = progress
        self._uploaded: dict[str, tuple[str, float]] = {}  # sha256 -> (uri, monotonic deadline)

    def __getstate__(self) -> dict[str, object]:
        return {"progress": self.progress}

    def __setstate__(self, state: dict[str, ProgressFactory]) -> None:
        self.progress = state["progress"]
        self._uploaded = {}

    def _picked(self, contents: list[Content], mode: str, threshold: int) -> list[tuple[Part, bytes]]:
        if mode == "inline":
            return []
        picked = []
        for content in contents:
            if content.role not in (None, "user"):
                continue
            for part in content.parts:
                blob = part.inline_data
                if blob is None or (mode == "hybrid" and len(blob.data) * 3 // 4 <= threshold):
                    continue
                try:
                    picked.append((part, base64.b64decode(blob.data + "==", altchars=_altchars(blob.data))))
                except (binascii.Error, ValueError):
                    continue  # not base64: left as is, for the server to refuse
        return picked

    def _flow(self, files: Files, contents: list[Content], picked: list[tuple[Part, bytes]]) -> Flow[list[Content]]:
        """Upload the ``picked`` parts' bytes and point the parts at the files (in place)."""
        for part, data in picked:
            assert part.inline_data is not None
            mime = part.inline_data.mime_type
            digest = hashlib.sha256(data).hexdigest()
            known = self._uploaded.get(digest)
            if known is None or known[1] < time.monotonic():
                update, close = self.progress(f"{mime} ({len(data)} bytes)", len(data))
                try:
                    source = _source(data, mime, f"cometgemini-{digest[:12]}")  # findable in files.list()
                    file = yield from files._upload(source, DEFAULT_CHUNK_SIZE, update)
                finally:
                    close()
                if file.state != "ACTIVE":
                    file = yield from files._wait_active(file.name, 600.0, 1.0)
                known = (file.uri or file.name, time.monotonic() + _expiry(file.expiration_time) - _MARGIN)
                self._uploaded[digest] = known
            part.inline_data = None
            part.file_data = FileData(file_uri=known[0], mime_type=mime)
        return contents

    def offload(self, files: Files, contents: list[Content], mode: str, threshold: int) -> list[Content]:
        """``contents`` with the media ``mode`` picks uploaded and referenced by ``fileData`` (in place)."""
        picked = self._picked(contents, mode, threshold)
        return files.run(self._flow(files, contents, picked)) if picked else contents

    async def aoffload(self, files: Files, contents: list[Content], mode: str, threshold: int) -> list[Content]:
        picked = self._picked(contents, mode, threshold)
        return await files.arun(self._flow(files, contents, picked)) if picked else contents


def _altchars(data: str) -> bytes | None:
    return b"-_" if "-" in data or "_" in data else None
