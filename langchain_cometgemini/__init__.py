"""LangChain integration for Gemini's native API via CometAPI: ``ChatCometGemini`` and ``CometGeminiEmbeddings``.

Names are imported on first use, so ``import langchain_cometgemini`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_cometgemini._caching import acreate_context_cache, create_context_cache
    from langchain_cometgemini.chat_models import ChatCometGemini
    from langchain_cometgemini.embeddings import CometGeminiEmbeddings

__all__ = ["ChatCometGemini", "CometGeminiEmbeddings", "acreate_context_cache", "create_context_cache"]

_WHERE = {
    "ChatCometGemini": "langchain_cometgemini.chat_models",
    "CometGeminiEmbeddings": "langchain_cometgemini.embeddings",
    "acreate_context_cache": "langchain_cometgemini._caching",
    "create_context_cache": "langchain_cometgemini._caching",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'langchain_cometgemini' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
