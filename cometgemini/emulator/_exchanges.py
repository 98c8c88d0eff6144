"""Recorded exchanges: requests with the answers they got, sent again to a server and compared by shape.

An ``Exchange`` is one or more ``Turn``s sent in order (``turnN`` in fixture names): each turn is a method,
a path (``/v1beta/models/gemini-2.5-flash:generateContent``), a query, a JSON body, how it authenticates
(``key``: the caller's key; ``none``: no key at all; ``invalid``: ``INVALID_KEY``) and, for the emulator
only, extra headers such as ``x-emulator-fault``. ``recorded`` is the ``Answer`` the turn got when it was
recorded.

A recording directory written by ``python -m cometgemini.emulator.record`` holds the fixtures
(``<stem>.request.json`` and ``<stem>.response.json`` / ``<stem>.sse`` / ``<stem>.response.txt`` for a
body that is not JSON) and ``exchanges.json``, which says how they were sent::

    {"base_url": "https://api.cometapi.com", "recorded_at": "2026-12-01T10:00:00Z",
     "auth_header": "x-goog-api-key", "exchanges": [{"name": "text", "turns": [
        {"name": "generateContent_text_gemini-2.5-flash", "method": "POST",
         "path": "/v1beta/models/gemini-2.5-flash:generateContent", "query": {}, "auth": "key",
         "request": "generateContent_text_gemini-2.5-flash.request.json",
         "response": "generateContent_text_gemini-2.5-flash.response.json",
         "status": 200, "media_type": "application/json"}]}]}

Resource names made by one turn (a cache's ``cachedContents/…``) are carried into the next turns: when the
recorded and the new answer both have a top-level ``name``, the recorded name is replaced by the new one in
the later requests and paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from ._conformance import Answer, Report, compare_answers, parse_sse

__all__ = [
    "INVALID_KEY",
    "MANIFEST",
    "AuthMode",
    "Exchange",
    "Turn",
    "answer_from_file",
    "answer_from_response",
    "check_exchange",
    "load_exchanges",
    "send",
]

AuthMode = Literal["key", "none", "invalid"]
INVALID_KEY = "invalid-key-for-conformance-recording"
"""The key sent by ``auth: invalid`` turns: well formed, known to nobody."""
MANIFEST = "exchanges.json"


@dataclass
class Turn:
    name: str
    method: str
    path: str
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    auth: AuthMode = "key"
    headers: dict[str, str] = field(default_factory=dict)
    recorded: Answer | None = None


@dataclass
class Exchange:
    name: str
    turns: list[Turn]


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower() or "application/octet-stream"


def answer_from_response(status: int, content_type: str, raw: bytes) -> Answer:
    """An ``Answer`` from what came over the wire: SSE parsed into events, JSON parsed, else the text."""
    media = _media_type(content_type)
    if media == "text/event-stream":
        return Answer(status, parse_sse(raw)[0], media, raw)
    try:
        return Answer(status, json.loads(raw), media, raw)
    except ValueError:
        return Answer(status, raw.decode("utf-8", errors="replace"), media, raw)


def _status_of(body: Any) -> int:
    first = body[0] if isinstance(body, list) and body else body
    if isinstance(first, dict) and isinstance(first.get("error"), dict):
        code = first["error"].get("code")
        return code if isinstance(code, int) else 500
    return 200


def answer_from_file(path: Path, status: int | None = None, media_type: str | None = None) -> Answer:
    """A recorded answer: ``.sse`` (verbatim), ``.chunks.jsonl`` (one event per line, framing not kept),
    ``.response.json`` (status from ``error.code`` unless given) or ``.response.txt``."""
    raw = path.read_bytes()
    name = path.name
    if name.endswith(".sse"):
        return Answer(status or 200, parse_sse(raw)[0], "text/event-stream", raw)
    if name.endswith(".chunks.jsonl"):
        events = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
        return Answer(status or 200, events, "text/event-stream", None)
    if name.endswith(".json"):
        body = json.loads(raw)
        return Answer(status or _status_of(body), body, media_type or "application/json", raw)
    return Answer(status or 200, raw.decode("utf-8", errors="replace"), media_type or "text/plain", raw)


def _headers(turn: Turn, api_key: str | None, auth_header: str) -> dict[str, str]:
    headers = dict(turn.headers)
    key = {"key": api_key, "none": None, "invalid": INVALID_KEY}[turn.auth]
    if key is not None:
        if auth_header == "bearer":
            headers["authorization"] = f"Bearer {key}"
        else:
            headers["x-goog-api-key"] = key
    return headers


def send(client: httpx.Client, turn: Turn, api_key: str | None, auth_header: str = "x-goog-api-key") -> Answer:
    """Send ``turn`` (its key per ``turn.auth``, in ``auth_header`` or as a bearer token) and read the answer."""
    content = None if turn.body is None else json.dumps(turn.body, ensure_ascii=False).encode()
    headers = _headers(turn, api_key, auth_header)
    if content is not None:
        headers["content-type"] = "application/json"
    response = client.request(turn.method, turn.path, params=turn.query, content=content, headers=headers)
    return answer_from_response(response.status_code, response.headers.get("content-type", ""), response.content)


def _carried(value: Any, names: dict[str, str]) -> Any:
    if not names:
        return value
    text = json.dumps(value, ensure_ascii=False)
    for old, new in names.items():
        text = text.replace(old, new)
    return json.loads(text)


def check_exchange(client: httpx.Client, exchange: Exchange, api_key: str | None,
                   auth_header: str = "x-goog-api-key") -> list[Report]:
    """Send every turn of ``exchange`` in order and compare each answer with its recording."""
    names: dict[str, str] = {}
    reports = []
    for turn in exchange.turns:
        sent = Turn(turn.name, turn.method, _carried(turn.path, names), _carried(turn.body, names),
                    dict(turn.query), turn.auth, dict(turn.headers), turn.recorded)
        answer = send(client, sent, api_key, auth_header)
        if turn.recorded is None:
            raise ValueError(f"turn {turn.name} has no recorded answer to compare with")
        reports.append(compare_answers(turn.name, turn.recorded, answer))
        old, new = turn.recorded.body, answer.body
        if isinstance(old, dict) and isinstance(new, dict) and isinstance(old.get("name"), str) \
                and isinstance(new.get("name"), str):
            names[old["name"]] = new["name"]
    return reports


def _turn_from_manifest(directory: Path, entry: dict[str, Any]) -> Turn:
    request = entry.get("request")
    body = json.loads((directory / request).read_text("utf-8")) if request else None
    recorded = answer_from_file(directory / entry["response"], entry.get("status"), entry.get("media_type"))
    return Turn(entry["name"], entry["method"], entry["path"], body, dict(entry.get("query") or {}),
                entry.get("auth", "key"), {}, recorded)


def load_exchanges(directory: str | Path) -> tuple[dict[str, Any], list[Exchange]]:
    """The manifest's metadata and the exchanges of a recording directory."""
    root = Path(directory)
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} is missing: --check reads recordings made by "
                                "`python -m cometgemini.emulator.record`")
    data = json.loads(manifest.read_text("utf-8"))
    exchanges = [Exchange(item["name"], [_turn_from_manifest(root, t) for t in item["turns"]])
                 for item in data.get("exchanges", [])]
    meta = {k: v for k, v in data.items() if k != "exchanges"}
    return meta, exchanges
