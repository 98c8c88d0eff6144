"""Context caches (``/v1beta/cachedContents``), in memory, per emulator instance.

A cache is created with ``POST cachedContents`` and lives until its ``expireTime`` (``ttl`` from now, an
``expireTime``, or one hour), on the emulator's clock (``EmulatorConfig.clock``, so tests expire caches without
sleeping). What Google does, as recorded or reported:

* below the model's minimum size → 400 "Cached content is too small. total_token_count=N,
  min_total_token_count=M" (1,024 tokens, 4,096 on Pro models; ``EmulatorConfig.cache_min_tokens`` overrides);
* an unknown, deleted or expired cache → 403 PERMISSION_DENIED "CachedContent not found (or permission
  denied)", on every method and on ``generateContent`` (as client code written against Google sees it);
* a ``generateContent`` naming a cache may not set ``systemInstruction``, ``tools`` or ``toolConfig`` → 400
  "CachedContent can not be used with GenerateContent request setting system_instruction, tools or
  tool_config. …", and must use the cache's model;
* a CachedContent answer is metadata only (``name``, ``model``, ``displayName``, ``createTime``, ``updateTime``,
  ``expireTime``, ``usageMetadata.totalTokenCount``); contents are never sent back; ``DELETE`` answers ``{}``;
  a list with nothing in it is ``{}``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .._caches import CachedContent, parse_time
from ._errors import ApiError, not_found_message
from ._models import is_embedding, is_known
from ._tokens import count_request
from ._validate import normalize, spec_for

__all__ = ["CONFLICT_MESSAGE", "CacheEntry", "CacheStore", "min_cache_tokens"]

CONFLICT_MESSAGE = ("CachedContent can not be used with GenerateContent request setting system_instruction, tools "
                    "or tool_config. Proposed fix: move those values to CachedContent from GenerateContent request.")
NOT_FOUND_MESSAGE = "CachedContent not found (or permission denied)"
DEFAULT_TTL = 3600.0
_SPEC = spec_for(CachedContent)
_DURATION = re.compile(r"^(\d+)(?:\.(\d{1,9}))?s$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_HELD = ("systemInstruction", "tools", "toolConfig")


def min_cache_tokens(model: str) -> int:
    """Google's smallest explicit cache for a model (its caching docs: 1,024 on Flash, 4,096 on Pro)."""
    return 4096 if "-pro" in model else 1024


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seconds(text: Any, field: str) -> float:
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ApiError(400, f"Invalid value at 'cached_content.{field}' (type.googleapis.com/google.protobuf."
                            f"Duration), Field '{field}', Illegal duration format; duration must end with 's'")
    return int(match.group(1)) + float(f"0.{match.group(2) or '0'}")


def _expiry(data: dict[str, Any], now: float) -> float | None:
    ttl, expire = data.get("ttl"), data.get("expireTime")
    if ttl is not None and expire is not None:
        raise ApiError(400, "* CachedContent: only one of ttl and expire_time can be set.\n")
    if ttl is not None:
        seconds = _seconds(ttl, "ttl")
        if seconds <= 0:
            raise ApiError(400, "* CachedContent.ttl: ttl must be positive.\n")
        return now + seconds
    if expire is not None:
        try:
            when = parse_time(str(expire)).timestamp()
        except ValueError:
            raise ApiError(400, f"Invalid value at 'cached_content.expire_time' (type.googleapis.com/google."
                                f"protobuf.Timestamp), Field 'expireTime', Invalid time format: {expire}") from None
        if when <= now:
            raise ApiError(400, "* CachedContent.expire_time: expire_time must be in the future.\n")
        return when
    return None


@dataclass
class CacheEntry:
    name: str
    model: str
    display_name: str
    held: dict[str, Any]
    """What the cache adds to a request: contents, systemInstruction, tools, toolConfig (camelCase)."""
    tokens: dict[str, int]
    """Its tokens per modality."""
    created: float
    updated: float
    expires: float

    @property
    def total(self) -> int:
        return sum(self.tokens.values())

    def resource(self) -> dict[str, Any]:
        return {"createTime": _stamp(self.created), "displayName": self.display_name,
                "expireTime": _stamp(self.expires), "model": f"models/{self.model}", "name": self.name,
                "updateTime": _stamp(self.updated), "usageMetadata": {"totalTokenCount": self.total}}


class CacheStore:
    """The caches of one emulator, keyed by name."""

    def __init__(self, clock: Callable[[], float] | None, min_tokens: int | None) -> None:
        self._clock = clock or time.time
        self._min_tokens = min_tokens
        self._entries: dict[str, CacheEntry] = {}
        self._counter = itertools.count(1)

    def _name(self, seed: str) -> str:
        # unique across emulators, as Google's are: clients remember caches by name
        digest = hashlib.sha512(f"{seed}:{next(self._counter)}:{secrets.token_hex(8)}".encode()).digest()
        return "cachedContents/" + "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:40])

    def _live(self, now: float) -> list[CacheEntry]:
        for name in [n for n, e in self._entries.items() if e.expires <= now]:
            del self._entries[name]
        return list(self._entries.values())

    def get(self, name: str) -> CacheEntry:
        """The live cache ``name`` (``cachedContents/{id}``); 403 as Google answers for one that is gone."""
        entry = self._entries.get(name)
        if entry is None or entry.expires <= self._clock():
            self._entries.pop(name, None)
            raise ApiError(403, NOT_FOUND_MESSAGE)
        return entry

    def create(self, body: Any) -> dict[str, Any]:
        data = normalize(body, _SPEC)
        model = str(data.get("model") or "")
        if not model.startswith("models/"):
            raise ApiError(400, "* CachedContent.model: model is required and must be of the form 'models/{model}'.\n")
        model = model.removeprefix("models/")
        if not is_known(model) or is_embedding(model):
            raise ApiError(404, not_found_message(model, "createCachedContent"))
        held = {key: data[key] for key in ("contents", *_HELD) if data.get(key)}
        if not held.get("contents") and not held.get("systemInstruction"):
            raise ApiError(400, "* CachedContent: contents or system_instruction must be set.\n")
        now = self._clock()
        expires = _expiry(data, now) or now + DEFAULT_TTL
        tokens = count_request(held)
        least = self._min_tokens if self._min_tokens is not None else min_cache_tokens(model)
        if sum(tokens.values()) < least:
            raise ApiError(400, f"Cached content is too small. total_token_count={sum(tokens.values())}, "
                                f"min_total_token_count={least}")
        name = self._name(repr(sorted(held)) + model)
        entry = CacheEntry(name, model, str(data.get("displayName") or ""), held, tokens, now, now, expires)
        self._entries[name] = entry
        return entry.resource()

    def resource(self, name: str) -> dict[str, Any]:
        return self.get(name).resource()

    def page(self, size_text: str | None, token: str) -> dict[str, Any]:
        try:
            size = int(size_text) if size_text else 100
            start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except ValueError:
            raise ApiError(400, "Invalid pageSize or pageToken.") from None
        size = min(max(size, 1), 1000)
        live = sorted(self._live(self._clock()), key=lambda e: (e.created, e.name))
        out: dict[str, Any] = {}
        if live[start:start + size]:
            out["cachedContents"] = [e.resource() for e in live[start:start + size]]
        if start + size < len(live):
            out["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return out

    def update(self, name: str, mask: str, body: Any) -> dict[str, Any]:
        entry = self.get(name)
        fields = {f.strip() for f in mask.split(",") if f.strip()}
        allowed = {"ttl": "ttl", "expireTime": "expireTime", "expire_time": "expireTime"}
        if not fields or not fields <= set(allowed):
            raise ApiError(400, f"Invalid update mask {mask!r}: only ttl or expire_time of a CachedContent can be "
                                "updated.")
        data = normalize(body, _SPEC)
        wanted = {allowed[f] for f in fields}
        now = self._clock()
        expires = _expiry({k: v for k, v in data.items() if k in wanted}, now)
        if expires is None:
            raise ApiError(400, f"* CachedContent: the update mask names {mask} but the body does not set it.\n")
        entry.expires, entry.updated = expires, now
        return entry.resource()

    def delete(self, name: str) -> dict[str, Any]:
        self.get(name)
        del self._entries[name]
        return {}

    def apply(self, req: dict[str, Any], model: str) -> tuple[dict[str, Any], int, dict[str, int]]:
        """A (normalized) generateContent request that names a cache, with what the cache holds put in, plus
        the cached token count and its modalities; Google's refusals raised."""
        entry = self.get(str(req["cachedContent"]))
        if any(req.get(key) for key in _HELD):
            raise ApiError(400, CONFLICT_MESSAGE)
        if entry.model != model:
            raise ApiError(400, f"Model used by GenerateContent request (models/{model}) and CachedContent "
                                f"(models/{entry.model}) has to be the same.")
        merged = dict(req)
        merged.update({key: entry.held[key] for key in _HELD if key in entry.held})
        merged["contents"] = [*(entry.held.get("contents") or []), *(req.get("contents") or [])]
        return merged, entry.total, entry.tokens
