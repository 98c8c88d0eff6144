"""``create_context_cache``: a Gemini context cache made from LlamaIndex chat messages and tools.

System messages become the cache's ``systemInstruction``, the other messages its ``contents`` (converted as
``chat`` converts them), and ``tools`` (LlamaIndex tools, ``{"googleSearch": {}}`` dicts) together with the
model's own ``built_in_tools`` become its ``tools``, as ``chat_with_tools`` converts them. The cache is made for
``llm.model`` through ``llm``'s client (same base URL and key).

Then ``CometGemini(..., cached_content=name)`` (or ``chat(..., cached_content=name)``) sends only the new turns:
a system message or tools equal to what the cache holds are left out of each request, different ones are a
``ValueError`` before sending (Gemini refuses both at once). Cached tokens are reported in
``additional_kwargs["cached_content_token_count"]`` (and inside ``prompt_tokens``, as Gemini counts them).
A gateway that does not serve caches raises ``cometgemini.ResourceNotSupportedError``.

::

    name = create_context_cache(llm, [ChatMessage(role="system", content=rules),
                                      ChatMessage(role="user", content=long_document)], ttl=600)
    cached = CometGemini(model=llm.model, cached_content=name)
    cached.chat([ChatMessage(role="system", content=rules), ChatMessage(role="user", content="Section 2?")])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from cometgemini._caches import DEFAULT_TTL

from ._messages import to_contents
from ._tools import tool_config_for, wire_tools

__all__ = ["acreate_context_cache", "create_context_cache"]


def _cache_request(llm: Any, messages: Sequence[ChatMessage] | str, tools: Sequence[Any] | None,
                   tool_choice: Any) -> dict[str, Any]:
    from .base import CometGemini, model_info

    if not isinstance(llm, CometGemini):
        raise TypeError(f"create_context_cache needs a CometGemini, got {type(llm).__name__}")
    chat = [ChatMessage(role=MessageRole.USER, content=messages)] if isinstance(messages, str) else list(messages)
    system, contents = to_contents(chat, function_response_parts=model_info(llm.model).family == "3")
    if not contents and system is None:
        raise ValueError("nothing to cache: the messages hold no text, media or tool turn")
    cached_tools = wire_tools([*(llm.built_in_tools or ()), *(tools or ())])
    config = tool_config_for(tool_choice) if cached_tools else None
    return {"contents": contents or None, "system_instruction": system, "tools": cached_tools, "tool_config": config}


def create_context_cache(llm: Any, messages: Sequence[ChatMessage] | str, *, ttl: float | timedelta = DEFAULT_TTL,
                         tools: Sequence[Any] | None = None, display_name: str | None = None,
                         tool_choice: Any = None) -> str:
    """A context cache of ``messages`` (and ``tools``) for ``llm``'s model; returns its name
    (``cachedContents/…``) for ``cached_content=``. ``ttl``: seconds or a ``timedelta`` (one hour unless
    told). ``tool_choice`` as in ``chat_with_tools``, kept in the cache as its ``toolConfig``."""
    request = _cache_request(llm, messages, tools, tool_choice)
    return str(llm.client.caches.create(llm.model, ttl=ttl, display_name=display_name, **request).name)


async def acreate_context_cache(llm: Any, messages: Sequence[ChatMessage] | str, *,
                                ttl: float | timedelta = DEFAULT_TTL, tools: Sequence[Any] | None = None,
                                display_name: str | None = None, tool_choice: Any = None) -> str:
    """``create_context_cache`` without blocking the event loop."""
    request = _cache_request(llm, messages, tools, tool_choice)
    return str((await llm.client.caches.acreate(llm.model, ttl=ttl, display_name=display_name, **request)).name)
