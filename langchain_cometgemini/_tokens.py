"""Token counts for ``ChatCometGemini``: exact, or per message and remembered.

Gemini counts tokens only on the server (``countTokens``): there is no local tokenizer to ask. Two counts:

* **exact** (``exact=True``): the conversation as it would be sent (system instruction, turns, tools), in one
  ``countTokens`` request. What the model will read, to the token.
* **per message** (the default, and what ``trim_messages(token_counter=llm)`` uses): the sum of each message's
  own count plus the tools'. Each distinct message is counted once per model and client, then remembered (by
  its wire form), so trimming a long conversation costs one request per message never seen before, instead of
  one per prefix the trimmer tries, every turn; the ones not yet known are counted concurrently. A message is
  counted on its own: a tool result does not need its tool call in the same list (trimmers cut anywhere).
  The sum can differ from the exact count by the few tokens Gemini may add where turns meet, and leaves out
  the ``cached_content`` the exact count includes.

Nothing to count (``[]``, empty text) is 0 without a request; a conversation of system messages alone is
counted as the system instruction it becomes.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, FunctionMessage, SystemMessage, ToolMessage

from cometgemini._catalog import model_info
from cometgemini._client import CometGeminiClient
from cometgemini._types import Content, GenerateContentRequest

from ._messages import _tool_result, to_contents
from ._tools import convert_tools

if TYPE_CHECKING:
    from .chat_models import ChatCometGemini

__all__ = ["acount_exact", "acount_per_message", "count_exact", "count_per_message"]

Key = tuple[str, str]  # (model, a message's wire form)
# per core client (one server, one set of credentials): what it has counted
_REMEMBERED: weakref.WeakKeyDictionary[CometGeminiClient, OrderedDict[Key, int]] = weakref.WeakKeyDictionary()
_LIMIT = 16_384
_LOCK = threading.Lock()
_IN_FLIGHT = 8


def _exact_request(llm: ChatCometGemini, messages: Sequence[BaseMessage], tools: Sequence[Any] | None,
                   ) -> GenerateContentRequest:
    system, contents = to_contents(messages, placeholder_signatures=model_info(llm.model).thinking == "level")
    return GenerateContentRequest(contents=contents, system_instruction=system,
                                  tools=convert_tools(tools) if tools else None, cached_content=llm.cached_content)


def _alone(message: BaseMessage, names: dict[str, str], signatures: bool) -> GenerateContentRequest:
    """``message`` as a request of its own (a system message as the system instruction)."""
    if isinstance(message, (ToolMessage, FunctionMessage)):
        call_id = str(getattr(message, "tool_call_id", ""))
        part, media = _tool_result(message, message.name or names.get(call_id) or "function")
        return GenerateContentRequest(contents=[Content(role="user", parts=[part, *media])])
    system, contents = to_contents([message], placeholder_signatures=signatures)
    return GenerateContentRequest(contents=contents, system_instruction=system)


def _per_message_requests(llm: ChatCometGemini, messages: Sequence[BaseMessage], tools: Sequence[Any] | None,
                          ) -> list[GenerateContentRequest]:
    names = {str(call.get("id")): call["name"] for m in messages if isinstance(m, AIMessage) for call in m.tool_calls}
    signatures = model_info(llm.model).thinking == "level"
    requests = [_alone(m, names, signatures) for m in messages if not _empty_system(m)]
    if tools:
        requests.append(GenerateContentRequest(contents=[], tools=convert_tools(tools)))
    return requests


def _empty_system(message: BaseMessage) -> bool:
    return isinstance(message, SystemMessage) and not message.content


def _keys(llm: ChatCometGemini, requests: list[GenerateContentRequest]) -> list[Key]:
    return [(llm.model, r.model_dump_json(exclude_none=True)) for r in requests]


def _known(client: CometGeminiClient, keys: list[Key]) -> tuple[int, dict[Key, int]]:
    """(sum of the remembered counts, ``{key: index}`` of the ones to ask for)."""
    total, missing = 0, {}
    with _LOCK:
        remembered = _REMEMBERED.setdefault(client, OrderedDict())
        for i, key in enumerate(keys):
            count = remembered.get(key)
            if count is None:
                missing.setdefault(key, i)
            else:
                remembered.move_to_end(key)
                total += count
    return total, missing


def _remember(client: CometGeminiClient, keys: list[Key], missing: dict[Key, int], counts: list[int]) -> int:
    """Remember the new counts; the sum over ``keys`` of those not known before."""
    new = dict(zip(missing, counts, strict=True))
    with _LOCK:
        remembered = _REMEMBERED.setdefault(client, OrderedDict())
        remembered.update(new)
        while len(remembered) > _LIMIT:
            remembered.popitem(last=False)
    return sum(new[key] for key in keys if key in new)


def count_exact(llm: ChatCometGemini, messages: Sequence[BaseMessage], tools: Sequence[Any] | None) -> int:
    return llm.client.count_tokens(llm.model, _exact_request(llm, messages, tools)).total_tokens


async def acount_exact(llm: ChatCometGemini, messages: Sequence[BaseMessage], tools: Sequence[Any] | None) -> int:
    return (await llm.client.acount_tokens(llm.model, _exact_request(llm, messages, tools))).total_tokens


def count_per_message(llm: ChatCometGemini, messages: Sequence[BaseMessage], tools: Sequence[Any] | None) -> int:
    requests = _per_message_requests(llm, messages, tools)
    keys, client = _keys(llm, requests), llm.client
    total, missing = _known(client, keys)
    if not missing:
        return total

    def one(index: int) -> int:
        return client.count_tokens(llm.model, requests[index]).total_tokens

    if len(missing) == 1:
        counts = [one(index) for index in missing.values()]
    else:
        with ThreadPoolExecutor(min(_IN_FLIGHT, len(missing)), thread_name_prefix="cometgemini-count") as pool:
            counts = list(pool.map(one, missing.values()))
    return total + _remember(client, keys, missing, counts)


async def acount_per_message(llm: ChatCometGemini, messages: Sequence[BaseMessage],
                             tools: Sequence[Any] | None) -> int:
    requests = _per_message_requests(llm, messages, tools)
    keys, client = _keys(llm, requests), llm.client
    total, missing = _known(client, keys)
    if not missing:
        return total
    gate = asyncio.Semaphore(_IN_FLIGHT)

    async def one(index: int) -> int:
        async with gate:
            return (await client.acount_tokens(llm.model, requests[index])).total_tokens

    counts = list(await asyncio.gather(*(one(index) for index in missing.values())))
    return total + _remember(client, keys, missing, counts)
