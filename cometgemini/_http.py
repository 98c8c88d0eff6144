"""The client's two HTTP value types, shared by its drivers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import httpx

__all__ = ["Call", "Whole"]


class Call(NamedTuple):
    """One HTTP request as the client means it: the headers are the client's (every request carries the
    same), so each driver adds them in the form it needs, once per pool where it can."""

    method: str
    url: httpx.URL  # the client reuses one object per (model, method), so drivers may cache by identity
    body: bytes | None


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
