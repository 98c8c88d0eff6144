"""``create_context_cache``: a Gemini context cache made from LangChain messages and tools, for ``cached_content=``.

System messages become the cache's ``systemInstruction``, the other messages its ``contents`` (converted as
``invoke`` converts them), ``tools`` become its ``tools`` as ``bind_tools`` converts them, and ``tool_choice``
its ``toolConfig``. The cache is made for ``llm.model`` through ``llm``'s own client (same base URL and key).

Then ``ChatCometGemini(..., cached_content=name)`` (or ``llm.bind(cached_content=name)``) sends only the new
turns: a system message or bound tools equal to what the cache holds are left out of each request, and
different ones are a ``ValueError`` before sending (Gemini refuses both at once). Errors are the core's: a
gateway that does not serve caches raises ``cometgemini.ResourceNotSupportedError`` saying to use Google's
base URL for them; a cache below the model's minimum size (1,024 tokens on Flash, 4,096 on Pro) is Google's
400 ``BadRequestError``.

::

    name = create_context_cache(llm, [SystemMessage(rules), HumanMessage(long_document)], ttl=600)
    cached = llm.model_copy(update={"cached_content": name})
    cached.invoke([SystemMessage(rules), HumanMessage("What does section 2 say?")])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages
from langchain_core.prompt_values import PromptValue

from cometgemini._caches import DEFAULT_TTL
from cometgemini._catalog import model_info

from ._messages import to_contents
from ._tools import convert_tools, declared_names, tool_config

__all__ = ["acreate_context_cache", "create_context_cache"]


def _cache_request(llm: Any, messages: LanguageModelInput, tools: Sequence[Any] | None,
                   tool_choice: Any) -> dict[str, Any]:
    from .chat_models import ChatCometGemini

    if not isinstance(llm, ChatCometGemini):
        raise TypeError(f"create_context_cache needs a ChatCometGemini, got {type(llm).__name__}")
    chat: list[BaseMessage]
    if isinstance(messages, PromptValue):
        chat = messages.to_messages()
    elif isinstance(messages, str):
        chat = [HumanMessage(messages)]
    else:
        chat = convert_to_messages(messages)
    system, contents = to_contents(chat, placeholder_signatures=model_info(llm.model).thinking == "level")
    if not contents and system is None:
        raise ValueError("nothing to cache: the messages hold no text, media or tool turn")
    wire_tools = convert_tools(tools) if tools else None
    config = tool_config(tool_choice, declared_names(wire_tools)) if tool_choice is not None else None
    return {"contents": contents or None, "system_instruction": system, "tools": wire_tools, "tool_config": config}


def create_context_cache(llm: Any, messages: LanguageModelInput, *, ttl: float | timedelta = DEFAULT_TTL,
                         tools: Sequence[Any] | None = None, display_name: str | None = None,
                         tool_choice: Any = None) -> str:
    """A context cache of ``messages`` (and ``tools``) for ``llm``'s model; returns its name
    (``cachedContents/…``) for ``cached_content=``. ``ttl``: seconds or a ``timedelta`` (one hour unless
    told). ``tool_choice`` as in ``bind_tools``, kept in the cache as its ``toolConfig``."""
    request = _cache_request(llm, messages, tools, tool_choice)
    return str(llm.client.caches.create(llm.model, ttl=ttl, display_name=display_name, **request).name)


async def acreate_context_cache(llm: Any, messages: LanguageModelInput, *, ttl: float | timedelta = DEFAULT_TTL,
                                tools: Sequence[Any] | None = None, display_name: str | None = None,
                                tool_choice: Any = None) -> str:
    """``create_context_cache`` without blocking the event loop."""
    request = _cache_request(llm, messages, tools, tool_choice)
    return str((await llm.client.caches.acreate(llm.model, ttl=ttl, display_name=display_name, **request)).name)
