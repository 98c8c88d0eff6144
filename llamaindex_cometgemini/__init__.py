"""LlamaIndex integration for Gemini's native API via CometAPI: ``CometGemini`` and ``CometGeminiEmbedding``.

Names are imported on first use, so ``import llamaindex_cometgemini`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llamaindex_cometgemini._blocks import CodeExecutionResultBlock, ExecutableCodeBlock
    from llamaindex_cometgemini._caching import acreate_context_cache, create_context_cache
    from llamaindex_cometgemini.base import CometGemini
    from llamaindex_cometgemini.embeddings import CometGeminiEmbedding

__all__ = [
    "CodeExecutionResultBlock",
    "CometGemini",
    "CometGeminiEmbedding",
    "ExecutableCodeBlock",
    "acreate_context_cache",
    "create_context_cache",
]

_WHERE = {
    "CodeExecutionResultBlock": "llamaindex_cometgemini._blocks",
    "ExecutableCodeBlock": "llamaindex_cometgemini._blocks",
    "CometGemini": "llamaindex_cometgemini.base",
    "CometGeminiEmbedding": "llamaindex_cometgemini.embeddings",
    "acreate_context_cache": "llamaindex_cometgemini._caching",
    "create_context_cache": "llamaindex_cometgemini._caching",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'llamaindex_cometgemini' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
