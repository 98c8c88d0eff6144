"""Offline stand-ins for the media langchain-tests downloads with ``httpx.get`` (a PNG, a WAV, a PDF);
any other download fails the test, so no test reaches the internet for media."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _wav() -> bytes:
    frames = b"\x00\x00" * 800
    return (b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000,
            16000, 2, 16) + b"data" + struct.pack("<I", len(frames)) + frames)


_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _offline_get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
    text = str(url).lower()
    if text.endswith(".pdf"):
        body, kind = _PDF, "application/pdf"
    elif text.endswith(".wav"):
        body, kind = _wav(), "audio/wav"
    elif text.endswith((".png", ".jpg", ".jpeg")):
        body, kind = _png(), "image/png"
    else:
        raise AssertionError(f"test tried to download {url!r}; no test may reach the internet")
    return httpx.Response(200, content=body, headers={"content-type": kind}, request=httpx.Request("GET", url))


@pytest.fixture(autouse=True)
def offline_media(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(httpx, "get", _offline_get)
    monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "cometgemini-tests (offline)")
    yield
