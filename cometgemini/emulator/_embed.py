"""Deterministic embeddings from hashed word features: texts sharing words get close vectors."""

from __future__ import annotations

import math
import re
import zlib
from functools import lru_cache
from typing import Any

__all__ = ["DEFAULT_DIMENSIONS", "embed_text", "embedding_input"]

DEFAULT_DIMENSIONS = 768
_WORD = re.compile(r"\w+")
_SUFFIXES = ("ing", "ed", "es", "s")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def _feature(word: str) -> int:
    return zlib.crc32(word.encode())


def embed_text(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit vector of ``dimensions`` floats: each stemmed lowercase word adds ±1 to two hashed slots."""
    dimensions = max(1, dimensions)
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        h = _feature(_stem(word))
        vector[h % dimensions] += 1.0 if h & 0x80000000 else -1.0
        vector[(h >> 11) % dimensions] += 0.5 if h & 0x40000000 else -0.5
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        vector[0], norm = 1.0, 1.0
    return [v / norm for v in vector]


def embedding_input(request: dict[str, Any]) -> str:
    """The text an EmbedContentRequest embeds: its title and its text parts."""
    parts = (request.get("content") or {}).get("parts") or []
    texts = [p["text"] for p in parts if isinstance(p.get("text"), str)]
    title = request.get("title")
    return "\n".join(([title] if isinstance(title, str) else []) + texts)
