"""``client.caches``: Gemini's context caches (``cachedContents``), created, read, listed, extended and deleted.

A cache holds a prefix of prompts (``contents``, ``systemInstruction``, ``tools``, ``toolConfig``) for one model
for a while; a ``generateContent`` that names it (``"cachedContent": "cachedContents/…"``) pays the cached tokens
at a lower rate (``usageMetadata.cachedContentTokenCount``). On the wire (README §8c, recorded)::

    POST   /v1beta/cachedContents                     {"model": "models/…", "contents", "systemInstruction",
                                                       "tools", "toolConfig", "ttl": "120s" | "expireTime",
                                                       "displayName"}                 → CachedContent
    GET    /v1beta/cachedContents/{id}                                                 → CachedContent
    GET    /v1beta/cachedContents?pageSize=&pageToken=    → {"cachedContents": [...], "nextPageToken"}
    PATCH  /v1beta/cachedContents/{id}?updateMask=ttl  {"ttl": "…"}   (or updateMask=expireTime)
    DELETE /v1beta/cachedContents/{id}                                                 → {}

A CachedContent answer is metadata only: ``name``, ``model``, ``displayName``, ``createTime``, ``updateTime``,
``expireTime`` (RFC 3339 text, nanoseconds included, kept as it came) and ``usageMetadata.totalTokenCount``;
Google never sends back what a cache holds. So each cache created here is remembered (``_cache_fit``), and a
request that names it later leaves out what it holds instead of being refused.

Every operation is a flow (``_resources``), written once and run sync or async (``create`` / ``acreate`` ...).
Bad input is a ``ValueError`` before anything is sent; a gateway that does not serve caches (CometAPI
documents none) gives a ``ResourceNotSupportedError`` that says to use Google's base URL for them. An unknown
or expired cache is Google's own error (403 "CachedContent not found (or permission denied)").
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import Field

from ._cache_fit import forget, holds_of, remember
from ._catalog import normalize_model
from ._http import parse_answer
from ._resources import Flow, Resource, duration, resource_name
from ._types import Content, Part, Tool, ToolConfig, WireModel, to_wire

__all__ = [
    "DEFAULT_TTL",
    "CachedContent",
    "CachedContentUsageMetadata",
    "Caches",
    "create_body",
    "expire_time_text",
    "parse_time",
]

COLLECTION = "cachedContents"
DEFAULT_TTL = timedelta(hours=1)
"""What ``create_context_cache`` asks for unless told otherwise (Google's own default, sent explicitly)."""
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


class CachedContentUsageMetadata(WireModel):
    total_token_count: int = 0
    """Tokens the cache holds: what a request that uses it reports as ``cachedContentTokenCount``."""


class CachedContent(WireModel):
    """A context cache as the API describes it (metadata only: its contents are never sent back)."""

    name: str
    """``cachedContents/{id}``: pass it as ``cached_content=``."""
    model: str | None = None
    display_name: str | None = None
    create_time: str | None = None
    update_time: str | None = None
    expire_time: str | None = None
    """RFC 3339 text as the server sent it (``expires_at`` parses it)."""
    ttl: str | None = None
    usage_metadata: CachedContentUsageMetadata = Field(default_factory=CachedContentUsageMetadata)
    contents: list[Content] | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None

    @property
    def expires_at(self) -> datetime | None:
        """``expire_time`` as an aware ``datetime`` (to the microsecond)."""
        return None if self.expire_time is None else parse_time(self.expire_time)


# ------------------------------------------------------------------------------------------- pure request pieces


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset, any number of fraction digits) as an aware ``datetime``."""
    match = _RFC3339.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 time such as '2026-05-28T14:47:16Z'")
    head, fraction, zone = match.groups()
    stamp = f"{head}.{(fraction or '0')[:6].ljust(6, '0')}{'+00:00' if zone == 'Z' else zone}"
    return datetime.fromisoformat(stamp)


def expire_time_text(value: datetime | str, now: datetime | None = None) -> str:
    """An expiry as Google's RFC 3339 UTC text; it must be timezone-aware and in the future."""
    when = parse_time(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise ValueError(f"expire_time must be a datetime or an RFC 3339 string, got {type(value).__name__}")
    if when.tzinfo is None:
        raise ValueError("expire_time must be timezone-aware, e.g. datetime.now(timezone.utc) + timedelta(hours=1)")
    if when <= (now or datetime.now(timezone.utc)):
        raise ValueError(f"expire_time {when.isoformat()} is in the past: a cache must expire in the future")
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ttl_text(ttl: float | timedelta) -> str:
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float, timedelta)):
        raise ValueError(f"ttl must be seconds (a number) or a timedelta, got {ttl!r}")
    try:
        return duration(ttl)
    except ValueError:
        raise ValueError(f"ttl must be positive, got {ttl!r}: how long the cache lives, e.g. ttl=3600") from None


def _expiry(ttl: float | timedelta | None, expire_time: datetime | str | None, *, required: bool) -> dict[str, str]:
    if ttl is not None and expire_time is not None:
        raise ValueError("pass ttl (how long the cache lives) or expire_time (when it ends), not both")
    if ttl is not None:
        return {"ttl": _ttl_text(ttl)}
    if expire_time is not None:
        return {"expireTime": expire_time_text(expire_time)}
    if required:
        raise ValueError("pass ttl= (seconds or a timedelta) or expire_time= (an aware datetime) to update a cache")
    return {}


def _content(value: Content | Mapping[str, Any] | str, where: str) -> Content:
    content = Content(role="user", parts=[Part(text=value)]) if isinstance(value, str) else (
        value if isinstance(value, Content) else Content.model_validate(value))
    if not content.parts or all(p.text is not None and not p.text.strip() and len(p.model_fields_set) == 1
                                for p in content.parts):
        raise ValueError(f"{where} is empty: a cached turn needs text, media or other parts")
    return content


def _contents(value: Any) -> list[Content] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, (str, Content, Mapping)) else list(value)
    if not items:
        raise ValueError("contents is empty: pass the turns to cache (or leave contents out and cache only a "
                         "system_instruction)")
    return [_content(item, f"contents[{i}]") for i, item in enumerate(items)]


def _system(value: Content | Mapping[str, Any] | str | None) -> Content | None:
    if value is None:
        return None
    content = _content(value, "system_instruction")
    return content.model_copy(update={"role": None}) if isinstance(value, str) else content


def create_body(model: str, *, contents: Any = None,
                system_instruction: Content | Mapping[str, Any] | str | None = None,
                tools: Sequence[Tool | Mapping[str, Any]] | None = None,
                tool_config: ToolConfig | Mapping[str, Any] | None = None, ttl: float | timedelta | None = None,
                expire_time: datetime | str | None = None, display_name: str | None = None) -> dict[str, Any]:
    """The body of ``POST cachedContents`` (camelCase), or a ``ValueError`` naming what is wrong."""
    cached = _contents(contents)
    system = _system(system_instruction)
    if cached is None and system is None:
        raise ValueError("nothing to cache: pass contents= (the turns to cache) and/or system_instruction=")
    wire_tools = [t if isinstance(t, Tool) else Tool.model_validate(t) for t in tools or ()]
    config = tool_config if tool_config is None or isinstance(tool_config, ToolConfig) else (
        ToolConfig.model_validate(tool_config))
    if display_name is not None and len(display_name) > 128:
        raise ValueError(f"display_name is {len(display_name)} characters long; Gemini allows 128")
    body: dict[str, Any] = {"model": f"models/{normalize_model(model)}"}
    if display_name is not None:
        body["displayName"] = display_name
    if cached is not None:
        body["contents"] = [to_wire(c) for c in cached]
    if system is not None:
        body["systemInstruction"] = to_wire(system)
    if wire_tools:
        body["tools"] = [to_wire(t) for t in wire_tools]
    if config is not None:
        body["toolConfig"] = to_wire(config)
    body.update(_expiry(ttl, expire_time, required=False))
    return body


# ------------------------------------------------------------------------------------------- the resource


class Caches(Resource):
    """``client.caches``: context caches. Each method has an async twin prefixed with ``a``."""

    collection = COLLECTION

    # ---------------------------------------------------------------- create

    def _create(self, model: str, options: dict[str, Any]) -> Flow[CachedContent]:
        body = create_body(model, **options)
        answer = yield self.call("POST", COLLECTION, body)
        cache = parse_answer(CachedContent, answer)
        system = Content.model_validate(body["systemInstruction"]) if "systemInstruction" in body else None
        tools = [Tool.model_validate(t) for t in body.get("tools", ())] or None
        config = ToolConfig.model_validate(body["toolConfig"]) if "toolConfig" in body else None
        remember(cache.name, holds_of(model, system, tools, config))
        return cache

    def create(self, model: str, *, contents: Any = None,
               system_instruction: Content | Mapping[str, Any] | str | None = None,
               tools: Sequence[Tool | Mapping[str, Any]] | None = None,
               tool_config: ToolConfig | Mapping[str, Any] | None = None, ttl: float | timedelta | None = None,
               expire_time: datetime | str | None = None, display_name: str | None = None) -> CachedContent:
        """A new cache for ``model``. ``contents``: turns (``Content``, dicts, or strings taken as user text);
        ``ttl`` (seconds or a ``timedelta``) or ``expire_time`` (an aware ``datetime``), not both; neither
        means Google's default of one hour. Google refuses caches below a model's minimum size (1,024
        tokens on Flash, 4,096 on Pro) with a 400."""
        return self.run(self._create(model, dict(
            contents=contents, system_instruction=system_instruction, tools=tools, tool_config=tool_config,
            ttl=ttl, expire_time=expire_time, display_name=display_name)))

    async def acreate(self, model: str, *, contents: Any = None,
                      system_instruction: Content | Mapping[str, Any] | str | None = None,
                      tools: Sequence[Tool | Mapping[str, Any]] | None = None,
                      tool_config: ToolConfig | Mapping[str, Any] | None = None, ttl: float | timedelta | None = None,
                      expire_time: datetime | str | None = None, display_name: str | None = None) -> CachedContent:
        return await self.arun(self._create(model, dict(
            contents=contents, system_instruction=system_instruction, tools=tools, tool_config=tool_config,
            ttl=ttl, expire_time=expire_time, display_name=display_name)))

    # ---------------------------------------------------------------- get, list

    def _get(self, name: str) -> Flow[CachedContent]:
        answer = yield self.call("GET", resource_name(name, COLLECTION))
        return parse_answer(CachedContent, answer)

    def get(self, name: str) -> CachedContent:
        """The cache's metadata (``expire_time``, ``usage_metadata.total_token_count`` ...)."""
        return self.run(self._get(name))

    async def aget(self, name: str) -> CachedContent:
        return await self.arun(self._get(name))

    def _list(self, page_size: int | None) -> Flow[builtins.list[CachedContent]]:
        if page_size is not None and (isinstance(page_size, bool) or not 1 <= page_size <= 1000):
            raise ValueError(f"page_size must be 1..1000, got {page_size!r}")
        query: dict[str, str | int] = {} if page_size is None else {"pageSize": page_size}
        return self.pages(COLLECTION, query, COLLECTION, CachedContent)

    def list(self, *, page_size: int | None = None) -> builtins.list[CachedContent]:
        """Every live cache of this key, all pages walked (``page_size`` per request)."""
        return self.run(self._list(page_size))

    async def alist(self, *, page_size: int | None = None) -> builtins.list[CachedContent]:
        return await self.arun(self._list(page_size))

    # ---------------------------------------------------------------- update, delete

    def _update(self, name: str, ttl: float | timedelta | None, expire_time: datetime | str | None,
                ) -> Flow[CachedContent]:
        body = _expiry(ttl, expire_time, required=True)
        mask = next(iter(body))  # "ttl" or "expireTime": only the expiry of a cache can change
        answer = yield self.call("PATCH", resource_name(name, COLLECTION), body, query={"updateMask": mask})
        return parse_answer(CachedContent, answer)

    def update(self, name: str, *, ttl: float | timedelta | None = None,
               expire_time: datetime | str | None = None) -> CachedContent:
        """A new expiry: ``ttl`` from now, or ``expire_time``; nothing else of a cache can change."""
        return self.run(self._update(name, ttl, expire_time))

    async def aupdate(self, name: str, *, ttl: float | timedelta | None = None,
                      expire_time: datetime | str | None = None) -> CachedContent:
        return await self.arun(self._update(name, ttl, expire_time))

    def _delete(self, name: str) -> Flow[None]:
        full = resource_name(name, COLLECTION)
        yield self.call("DELETE", full)
        forget(full)

    def delete(self, name: str) -> None:
        """Delete the cache now (it stops costing storage)."""
        self.run(self._delete(name))

    async def adelete(self, name: str) -> None:
        await self.arun(self._delete(name))
