"""``--replay DIR``: recorded bodies served in file-name order (wrapping around at the end).

``*.response.json`` holding a GenerateContentResponse answers ``generateContent``; ``*.sse`` (verbatim bytes)
and ``*.chunks.jsonl`` (one JSON per line, framed as SSE here) answer ``streamGenerateContent``; ``error_*``
bodies answer either kind of request, with their ``error.code`` as HTTP status. A recorded cache exchange
(``cachedContents_*.response.json``) answers the cache routes and the ``generateContent`` calls that name a
cache: the CachedContent (``"name"``) answers ``POST``/``GET``/``PATCH``, ``{}`` answers ``DELETE``, and its
responses with candidates answer ``generateContent`` with ``cachedContent``. Other files are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Recorded", "Replay"]


@dataclass(frozen=True)
class Recorded:
    name: str
    status: int
    body: bytes
    sse: bool


def _error_status(data: Any) -> int | None:
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        code = data["error"].get("code")
        return code if isinstance(code, int) else 500
    return None


def _frame_chunks(text: str) -> bytes:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return b"".join(b"data: " + line.encode() + b"\r\n\r\n" for line in lines)


class Replay:
    def __init__(self, directory: str) -> None:
        self.generate: list[Recorded] = []
        self.stream: list[Recorded] = []
        self.caches: dict[str, list[Recorded]] = {"resource": [], "delete": [], "generate": []}
        self._next = {"generate": 0, "stream": 0, "resource": 0, "delete": 0, "cache-generate": 0}
        root = Path(directory)
        if not root.is_dir():
            raise ValueError(f"replay directory {directory!r} does not exist")
        for path in sorted(root.iterdir()):
            self._load(path)
        if not self.generate and not self.stream and not any(self.caches.values()):
            raise ValueError(f"replay directory {directory!r} holds no recorded responses")

    def _load(self, path: Path) -> None:
        name = path.name
        if name.endswith(".sse"):
            self.stream.append(Recorded(name, 200, path.read_bytes(), True))
        elif name.endswith(".chunks.jsonl"):
            self.stream.append(Recorded(name, 200, _frame_chunks(path.read_text("utf-8")), True))
        elif name.startswith("cachedContents_") and name.endswith(".response.json"):
            raw = path.read_bytes()
            data = json.loads(raw)
            kind = ("resource" if isinstance(data, dict) and "name" in data else
                    "generate" if isinstance(data, dict) and "candidates" in data else
                    "delete" if data == {} else None)
            if kind is not None:
                self.caches[kind].append(Recorded(name, 200, raw, False))
        elif name.endswith(".response.json"):
            raw = path.read_bytes()
            data = json.loads(raw)
            status = _error_status(data)
            if status is not None:
                entry = Recorded(name, status, raw, False)
                self.generate.append(entry)
                self.stream.append(entry)
            elif isinstance(data, dict) and ("candidates" in data or "promptFeedback" in data):
                self.generate.append(Recorded(name, 200, raw, False))

    def next(self, stream: bool) -> Recorded | None:
        return self._take("stream" if stream else "generate", self.stream if stream else self.generate)

    def next_cache(self, kind: str) -> Recorded | None:
        """The next recording of a cache exchange: ``resource``, ``delete`` or ``generate``."""
        return self._take("cache-generate" if kind == "generate" else kind, self.caches[kind])

    def _take(self, cursor: str, queue: list[Recorded]) -> Recorded | None:
        if not queue:
            return None
        index = self._next[cursor]
        self._next[cursor] = index + 1
        return queue[index % len(queue)]
