"""The client's two HTTP value types, shared by its drivers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._exceptions import MalformedResponseError

__all__ = ["Answer", "Call", "Whole", "parse_answer"]

M = TypeVar("M", bound=BaseModel)


class Call(NamedTuple):
    """One HTTP request as the client means it: the headers are the client's (every request carries the
    same), so each driver adds them in the form it needs, once per pool where it can."""

    method: str
    url: httpx.URL  # the client reuses one object per (model, method), so drivers may cache by identity
    body: bytes | None
    headers: tuple[tuple[str, str], ...] = ()
    """Headers of this call only, over the client's (the resumable upload protocol's ``X-Goog-Upload-*``,
    a chunk's ``Content-Type``). Generation calls have none."""


class Whole:
    """A whole answer as read off the wire: what the client reads of a response, without the ~20 us an
    ``httpx.Response`` costs to build and read. The body is already decoded (gzip/deflate)."""

    __slots__ = ("content", "raw_headers", "status_code")

    def __init__(self, status_code: int, raw_headers: Sequence[tuple[bytes, bytes]], content: bytes) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.content = content

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def headers(self) -> httpx.Headers:
        return httpx.Headers(list(self.raw_headers))


def parse_answer(model: type[M], response: httpx.Response | Whole) -> M:
    """The body of a successful answer as ``model``, or a ``MalformedResponseError`` that says what came."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        snippet = " ".join(response.content[:200].decode("utf-8", "replace").split())
        raise MalformedResponseError(
            f"the server answered {response.status_code} with a body that is not a {model.__name__}: "
            f"{snippet!r}. Check base_url: it must serve the Gemini native API."
        ) from exc


Answer = httpx.Response | Whole
"""A read answer, as the drivers hand it back: ``status_code``, ``headers``, ``content``, ``is_success``."""
