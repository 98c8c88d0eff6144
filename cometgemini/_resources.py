"""What the API's resources (``cachedContents``, ``files``, ``batches``) share: flows, URLs, paging, and a clear
error when a gateway does not serve them.

**Flows.** An operation on a resource may take several HTTP calls (a resumable upload: start, chunks,
finalize; a batch polled until done; a list walked page by page). Each operation is written once, as a
generator that yields what it needs done, a :class:`~cometgemini._http.Call` (it is sent the answer) or a
:class:`Sleep` (it is sent ``None``), and returns its result. :func:`drive` runs a flow with the client's
sync sender and ``time.sleep``; :func:`adrive` with its async sender and ``asyncio.sleep``. This is httpx's
``Auth.auth_flow`` pattern: the logic has one copy, only the send differs. Every call still goes through the
client's retry policy and error mapping. A one-call operation is a one-yield flow::

    def _get(self, name: str) -> Flow[CachedContent]:
        answer = yield self.call("GET", resource_name(name, "cachedContents"))
        return parse(CachedContent, answer)

**Not served.** Google serves every resource; CometAPI documents none of them (``README §8c``). A gateway that
does not route a path answers a redirect, a 404/405 that is not Google's JSON envelope, or an HTML page
(with an error status or with 200). :func:`unserved_error` turns exactly those into a
:class:`ResourceNotSupportedError` that names the resource and says to point ``base_url`` at Google for it,
and that still is the core class it replaces (``except NotFoundError`` keeps working)::

    ResourceNotSupportedError (marker)
    ├── ResourceNotFoundError            also NotFoundError (404 that is not Google's NOT_FOUND)
    ├── ResourceEndpointError            also APIStatusError (3xx, 405, or an HTML page on another 4xx)
    └── ResourceMalformedResponseError   also MalformedResponseError (200 with an HTML page)

A Google 404 (``{"error": {"status": "NOT_FOUND", ...}}``, "the cache you named does not exist") stays a
plain ``NotFoundError``.

**Waiting.** :func:`poll` is the flow of "get it again until it is done": a file until it is ACTIVE, a batch
until it ends. The wait between two looks grows by half each time up to a ceiling, and a deadline ends it with
a :class:`WaitTimeoutError` (also a ``TimeoutError``) that names what was awaited and its last state.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ._exceptions import APIError, APIStatusError, CometGeminiError, MalformedResponseError, NotFoundError
from ._http import Answer, Call, parse_answer

if TYPE_CHECKING:
    from ._client import CometGeminiClient

__all__ = [
    "GOOGLE_BASE_URL",
    "Flow",
    "Resource",
    "ResourceEndpointError",
    "ResourceMalformedResponseError",
    "ResourceNotFoundError",
    "ResourceNotSupportedError",
    "Sleep",
    "WaitTimeoutError",
    "adrive",
    "drive",
    "duration",
    "explain_unserved",
    "html_in_place_of_json",
    "is_html",
    "parse_answer",
    "poll",
    "resource_name",
    "unserved_error",
]

GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com"
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Sleep:
    """A flow step: wait this many seconds (``time.sleep`` or ``asyncio.sleep``, by driver)."""

    seconds: float


Flow = Generator["Call | Sleep", Any, T]
"""A resource operation: yields calls and sleeps, is sent each call's answer, returns the result."""


def drive(client: CometGeminiClient, flow: Flow[T]) -> T:
    """Run ``flow`` with the client's sync sender (retries and error mapping included)."""
    reply: Any = None
    try:
        while True:
            step = flow.send(reply)
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                reply = None
            else:
                reply = client._send(step)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def adrive(client: CometGeminiClient, flow: Flow[T]) -> T:
    """Run ``flow`` with the client's async sender."""
    reply: Any = None
    try:
        while True:
            step = flow.send(reply)
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                reply = None
            else:
                reply = await client._asend(step)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        flow.close()


# ------------------------------------------------------------------------------------------- names and values


def resource_name(name: str, collection: str) -> str:
    """``collection/id`` from either the full name or the bare id (``"abc"`` → ``"cachedContents/abc"``)."""
    name = name.strip()
    if not name:
        raise ValueError(f"empty {collection} name: pass the name the API returned, such as '{collection}/abc123'")
    if "/" not in name:
        return f"{collection}/{name}"
    head, _, rest = name.partition("/")
    if head != collection or not rest or "/" in rest:
        raise ValueError(f"{name!r} is not a {collection} name: expected '{collection}/<id>' or just the id")
    return name


def duration(seconds: float | timedelta) -> str:
    """A protobuf Duration string (``"3600s"``, ``"1.5s"``) from seconds or a ``timedelta``."""
    value = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
    if value <= 0:
        raise ValueError(f"a duration must be positive, got {value} s")
    return f"{value:.9f}".rstrip("0").rstrip(".") + "s"


# ------------------------------------------------------------------------------------------- the base class


class Resource:
    """Base of ``client.caches`` / ``client.files`` / ``client.batches``: the client, its URLs, and the two
    drivers with the "not served here" explanation around them. Subclasses write each operation once, as a
    flow, and expose it as a sync method and its ``a``-prefixed async twin (two one-line methods)."""

    collection: str = ""
    """The path segment and name prefix, e.g. ``"cachedContents"``; named in "not served" errors."""

    def __init__(self, client: CometGeminiClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._client.base_url!r})"

    def url(self, path: str, query: Mapping[str, str | int] | None = None, *, prefix: str = "") -> httpx.URL:
        """``{base_url}/{prefix/}{api_version}/{path}?query``; ``prefix`` is ``"upload"`` or ``"download"``."""
        config = self._client.config
        head = f"{config.base_url}/{prefix + '/' if prefix else ''}{config.api_version}/{path}"
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        return httpx.URL(head, params=params) if params else httpx.URL(head)

    def call(self, method: str, path: str, body: BaseModel | Mapping[str, Any] | bytes | None = None, *,
             query: Mapping[str, str | int] | None = None, headers: Mapping[str, str] | None = None,
             prefix: str = "") -> Call:
        """One call to this API's ``path``; a model or mapping body is sent as camelCase JSON."""
        if isinstance(body, BaseModel):
            data: bytes | None = body.model_dump_json(by_alias=True, exclude_none=True).encode()
        elif isinstance(body, Mapping):
            data = json.dumps(body).encode()
        else:
            data = body
        return Call(method, self.url(path, query, prefix=prefix), data, tuple((headers or {}).items()))

    def pages(self, path: str, query: Mapping[str, str | int], key: str, model: type[M]) -> Flow[list[M]]:
        """Every item of the paged list at ``path`` (``{key: [...], "nextPageToken": ...}``), page after page:
        each page is asked with ``query`` and the token the page before gave. A page that is not a JSON object
        (an HTML page from a gateway) is a ``MalformedResponseError``, as any other answer would be."""
        items: list[M] = []
        token: str | None = None
        while True:
            answer: Answer = yield self.call("GET", path, query={**query, **({"pageToken": token} if token else {})})
            page = parse_answer(_Page, answer) if answer.content.strip() else _Page()
            items.extend(model.model_validate(item) for item in (page.model_extra or {}).get(key) or [])
            token = page.nextPageToken
            if not token:
                return items

    def run(self, flow: Flow[T]) -> T:
        with explain_unserved(self.collection, self._client.base_url):
            return drive(self._client, flow)

    async def arun(self, flow: Flow[T]) -> T:
        with explain_unserved(self.collection, self._client.base_url):
            return await adrive(self._client, flow)


class _Page(BaseModel):
    """One page of a list: its items under the list's own key (kept as an extra field), and the next token."""

    model_config = ConfigDict(extra="allow")
    nextPageToken: str | None = None


class WaitTimeoutError(CometGeminiError, TimeoutError):
    """A wait for a resource (a file to become ACTIVE, a batch to end) ran out of time; the resource is as it
    was: wait again, or cancel it."""

    def __init__(self, message: str, last: Any = None) -> None:
        super().__init__(message)
        self.last = last
        """The resource as last seen."""


def poll(fetch: Callable[[], Flow[T]], done: Callable[[T], bool], describe: Callable[[T], str], *,
         interval: float, max_interval: float, timeout: float | None) -> Flow[T]:
    """``fetch()`` again until ``done``; waits start at ``interval`` and grow by half up to ``max_interval``.
    Past ``timeout`` seconds: :class:`WaitTimeoutError`, whose message ends with ``describe(last)``."""
    if interval < 0 or max_interval < 0 or (timeout is not None and timeout < 0):
        raise ValueError("poll intervals and timeout must be >= 0 seconds")
    deadline = None if timeout is None else time.monotonic() + timeout
    wait = interval
    while True:
        item = yield from fetch()
        if done(item):
            return item
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise WaitTimeoutError(f"still not done after {timeout:g} s: {describe(item)}", item)
        yield Sleep(wait if left is None else min(wait, left))
        wait = min(wait * 1.5, max(max_interval, interval))


# ------------------------------------------------------------------------------------------- not served here


class ResourceNotSupportedError(CometGeminiError):
    """The gateway does not serve this resource (caches, files, batches). Catch this to fall back."""


class ResourceNotFoundError(ResourceNotSupportedError, NotFoundError):
    """404 that is not Google's ``NOT_FOUND`` envelope: the path is not routed here."""


class ResourceEndpointError(ResourceNotSupportedError, APIStatusError):
    """A redirect, 405, or an HTML page instead of a JSON error on another 4xx."""


class ResourceMalformedResponseError(ResourceNotSupportedError, MalformedResponseError):
    """A 200 whose body is an HTML page (a gateway's web front-end) instead of the resource."""


def is_html(data: object) -> bool:
    """Whether a body (bytes or text) is an HTML page, as the core decides it: it starts with ``<``."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data[:200]).decode("utf-8", "replace")
    return isinstance(data, str) and data.lstrip().startswith("<")


def _google_not_found(error: APIStatusError) -> bool:
    body = error.body
    inner = body.get("error") if isinstance(body, Mapping) else None
    return isinstance(inner, Mapping) and inner.get("status") == "NOT_FOUND"


def html_in_place_of_json(error: MalformedResponseError) -> bool:
    """Whether ``error`` is a 200 whose body was an HTML page where JSON was due."""
    cause = error.__cause__
    if not isinstance(cause, ValidationError):
        return False
    return any(e["type"] == "json_invalid" and is_html(e.get("input")) for e in cause.errors())


def _advice(collection: str, base_url: str) -> str:
    return (
        f"{collection} is not served at {base_url}: this gateway does not offer the API's {collection} resource "
        f"(CometAPI documents none of the resources). Use a client whose base_url is Google's, "
        f"base_url={GOOGLE_BASE_URL!r}, with a Google API key (api_key=...), for {collection}."
    )


def unserved_error(error: APIError, collection: str, base_url: str) -> ResourceNotSupportedError | None:
    """The clearer error for ``error`` raised by a resource call, or None when it means something else."""
    if isinstance(error, APIStatusError):
        redirect_or_405 = 300 <= error.status_code < 400 or error.status_code == 405
        html_4xx = type(error) is APIStatusError and 400 <= error.status_code < 500 and is_html(error.body)
        routed_404 = type(error) is NotFoundError and not _google_not_found(error)
        if not (redirect_or_405 or html_4xx or routed_404):
            return None
        cls = ResourceNotFoundError if isinstance(error, NotFoundError) else ResourceEndpointError
        return cls(f"{_advice(collection, base_url)} Server said: {error.message}", status_code=error.status_code,
                   status=error.status, body=error.body, retry_after=error.retry_after, quota_ids=error.quota_ids)
    if type(error) is MalformedResponseError and html_in_place_of_json(error):
        return ResourceMalformedResponseError(f"{_advice(collection, base_url)} The server answered 200 with an "
                                              "HTML page.")
    return None


@contextmanager
def explain_unserved(collection: str, base_url: str) -> Iterator[None]:
    try:
        yield
    except APIError as error:
        better = unserved_error(error, collection, base_url)
        if better is None:
            raise
        raise better from error
