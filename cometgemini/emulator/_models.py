"""``GET /v1beta/models`` and ``GET /v1beta/models/{model}``: a small fixed catalog.

As on Google's server, a model id that is not in the catalog is 404 NOT_FOUND on every method. The catalog
holds the ids this project's tests, notebooks, docs and recorded traffic use, one or more per family. To try an
id that is not listed (a model released after this emulator), start it with ``any_model=True``
(``--any-model``): then any ``gemini-*`` id is served, with the capabilities its name gives away
(``cometgemini.model_info``).
"""

from __future__ import annotations

import base64
from typing import Any

from .._catalog import model_info

__all__ = ["KNOWN_MODELS", "is_embedding", "is_known", "list_page", "model_resource"]

KNOWN_MODELS = (
    "gemini-3.7-flash", "gemini-3.6-flash", "gemini-3.1-pro-preview", "gemini-3-pro-preview",
    "gemini-3-flash-preview", "gemini-3-pro-image-preview",
    "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-flash-image",
    "gemini-2.5-flash-image-preview", "gemini-2.5-flash-preview-tts", "gemini-2.5-pro-preview-tts",
    "gemini-2.0-flash", "gemini-2.0-flash-001", "gemini-2.0-flash-exp", "gemini-2.0-flash-lite",
    "gemini-2.0-flash-lite-001", "gemini-1.5-flash", "gemini-1.5-pro",
    "gemini-flash-latest", "gemini-flash-lite-latest", "gemini-pro-latest",
    "gemini-embedding-001", "gemini-embedding-2-preview", "text-embedding-004",
)
_KNOWN = frozenset(KNOWN_MODELS)
_GENERATE = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
_EMBED = ["embedContent", "batchEmbedContents", "countTokens"]


def is_embedding(model: str) -> bool:
    return "embedding" in model


def is_known(model: str, any_model: bool = False) -> bool:
    """In the catalog; with ``any_model``, also any ``gemini-*`` (or embedding) id."""
    return model in _KNOWN or (any_model and (model.startswith("gemini-") or is_embedding(model)))


def model_resource(model: str) -> dict[str, Any]:
    info = model_info(model)
    embedding = is_embedding(model)
    out: dict[str, Any] = {  # no baseModelId: Google's list answers leave it out (recorded)
        "name": f"models/{model}",
        "version": "001",
        "displayName": model.replace("-", " ").title(),
        "description": f"{model} served by the cometgemini emulator",
        "inputTokenLimit": info.context_window,
        "outputTokenLimit": info.output_limit or 1,
        "supportedGenerationMethods": _EMBED if embedding else _GENERATE,
    }
    if not embedding:
        out.update({"temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2,
                    "thinking": info.is_thinking_model})
    return out


_RESOURCES = [model_resource(m) for m in KNOWN_MODELS]


def list_page(page_size: int, page_token: str) -> dict[str, Any]:
    """One page of the catalog (``pageToken`` is an opaque base64 offset)."""
    size = page_size if 0 < page_size <= 1000 else 50
    try:
        start = int(base64.urlsafe_b64decode(page_token.encode()).decode()) if page_token else 0
    except ValueError:
        start = 0
    out: dict[str, Any] = {"models": _RESOURCES[start:start + size]}
    if start + size < len(_RESOURCES):
        out["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return out
