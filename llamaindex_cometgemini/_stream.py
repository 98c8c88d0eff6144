"""Streamed chunks to ``ChatResponse``s, without I/O, so ``stream_chat`` and ``astream_chat`` share it.

Every yielded response carries a fresh cumulative message and the chunk's ``delta`` (thought text in
``additional_kwargs["thinking_delta"]``). Intermediate messages are cheap previews (thinking so far, text so far,
calls so far); the final chunk's message is built from the whole accumulated response exactly as a
non-streaming call would build it, so it holds every tool call, thinking block, signature and citation.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from cometgemini._streaming import StreamAccumulator, is_final_chunk
from cometgemini._types import GenerateContentResponse

from ._messages import CallIds, message_from_response, raw_response, response_kwargs, usage_kwargs

__all__ = ["ChatStream"]


class ChatStream:
    """Feed it the chunks of one stream, in order; each ``feed`` returns the response to yield."""

    __slots__ = ("_acc", "_calls", "_ids", "_text", "_thinking")

    def __init__(self) -> None:
        self._acc = StreamAccumulator()
        self._ids = CallIds()
        self._text = ""  # grown by concatenation: each preview needs the whole text anyway
        self._thinking = ""
        self._calls: list[ToolCallBlock] = []

    def feed(self, chunk: GenerateContentResponse) -> ChatResponse:
        self._acc.add(chunk)
        delta, thinking_delta = self._take_parts(chunk)
        if is_final_chunk(chunk):
            return self._final(delta, thinking_delta)
        blocks: list[Any] = []
        if self._thinking:
            blocks.append(ThinkingBlock(content=self._thinking))
        blocks.append(TextBlock(text=self._text))
        blocks.extend(self._calls)
        usage = usage_kwargs(chunk.usage_metadata)
        kwargs: dict[str, Any] = dict(usage)
        if thinking_delta:
            kwargs["thinking_delta"] = thinking_delta
        message = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
        return ChatResponse(message=message, delta=delta, raw=raw_response(chunk, usage), additional_kwargs=kwargs)

    def _take_parts(self, chunk: GenerateContentResponse) -> tuple[str, str]:
        if not chunk.candidates:
            return "", ""
        delta: list[str] = []
        thinking: list[str] = []
        for part in chunk.candidates[0].content.parts:
            if part.text:
                (thinking if part.thought else delta).append(part.text)
            elif part.function_call is not None:
                call = part.function_call
                call_id = call.id or self._ids.next()
                self._calls.append(ToolCallBlock(tool_call_id=call_id, tool_name=call.name, tool_kwargs=call.args))
        text, thought = "".join(delta), "".join(thinking)
        self._text += text
        self._thinking += thought
        return text, thought

    def _final(self, delta: str, thinking_delta: str) -> ChatResponse:
        response = self._acc.result()
        self._ids.restart()
        message = message_from_response(response, self._ids)
        kwargs = response_kwargs(response)
        if thinking_delta:
            kwargs["thinking_delta"] = thinking_delta
        return ChatResponse(message=message, delta=delta, raw=raw_response(response, kwargs),
                            additional_kwargs=kwargs)
