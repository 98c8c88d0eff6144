"""Batch mode for ``CometGemini``: submit many chats as one Gemini batch job (half the price, answered within
24 hours) and collect ``ChatResponse``s later, from the same or another process.

Requests are built by the model's own ``_build_request`` (the live path's settings, tools and checks) and
answers go through the live path's ``_chat_response``, so a collected response is what ``chat`` would have
returned. A request that failed inside the batch becomes the error ``chat`` would have raised, raised or (with
``return_exceptions=True``) put in its place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole

from cometgemini._batches import BatchJob, BatchRequests, BatchResult
from cometgemini._types import GenerateContentRequest

if TYPE_CHECKING:
    from .base import CometGemini

__all__ = ["ChatInput", "batch_requests", "collected"]

ChatInput = str | Sequence[ChatMessage]
"""One batch input: a prompt, or the messages of a chat."""


def _messages(value: ChatInput) -> Sequence[ChatMessage]:
    if isinstance(value, str):
        return [ChatMessage(role=MessageRole.USER, content=value)]
    if isinstance(value, ChatMessage):
        return [value]
    return value


def batch_requests(llm: CometGemini, inputs: Sequence[ChatInput] | Mapping[str, ChatInput],
                   kwargs: dict[str, Any]) -> BatchRequests:
    """One wire request per input, built as ``chat`` builds them; a mapping keeps its keys."""
    if isinstance(inputs, (str, ChatMessage)):
        raise TypeError("submit_batch takes a list of inputs (each a prompt or a list of ChatMessage)")
    if isinstance(inputs, Mapping):
        return {str(key): llm._build_request(_messages(value), dict(kwargs)) for key, value in inputs.items()}
    requests: list[GenerateContentRequest] = [llm._build_request(_messages(value), dict(kwargs)) for value in inputs]
    if not requests:
        raise ValueError("submit_batch needs at least one input")
    return requests


def collected(llm: CometGemini, job: BatchJob, results: Sequence[BatchResult],
              return_exceptions: bool) -> list[ChatResponse | Exception]:
    """Each result as the ``ChatResponse`` ``chat`` would return, or the error it would raise."""
    out: list[ChatResponse | Exception] = []
    for result in results:
        try:
            response = result.unwrap()
        except Exception as exc:
            if not return_exceptions:
                raise
            out.append(exc)
            continue
        out.append(llm._chat_response(response))
    return out
