"""Gemini's server-side tool steps on a LlamaIndex ``ChatMessage``, and back, without I/O.

With ``toolConfig.includeServerSideToolInvocations`` (sent for you when built-in tools and functions share a
request on Gemini 3), the answer holds each built-in tool's step as parts of their own, each with its own
thought signature. LlamaIndex has no block type for them, and a ``ToolCallBlock`` would make agents run a
search themselves, so they ride in ``message.additional_kwargs["server_tool_steps"]``: a list of the parts as
Gemini sent them (camelCase, signature included), each with the ``position`` among ``message.blocks`` it
came at::

    {"position": 1, "toolCall": {"id": "93z4z1x3", "toolType": "GOOGLE_SEARCH_WEB",
                                 "args": {"queries": ["current weather in Tokyo"]}}, "thoughtSignature": "..."}
    {"position": 1, "toolResponse": {"id": "93z4z1x3", "toolType": "GOOGLE_SEARCH_WEB",
                                     "response": {"search_suggestions": "<html>"}}, "thoughtSignature": "..."}

Plain JSON, so it survives ``model_dump_json``, memory and agent workflows, and reads as what the model did
(``step["toolCall"]["args"]["queries"]``); what a search found stays in the ``CitationBlock``s. Replayed, each
step goes back before the block at its position, so every part is sent back in the order it came.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cometgemini._types import Part

__all__ = ["STEPS_KEY", "drop_block", "is_step", "step_entry", "step_parts"]

STEPS_KEY = "server_tool_steps"
# The API refuses a replayed MEDIA_PROCESSING step ("Tool type of tool_call part does not match with tool call
# context"): the server redoes media processing itself, so those steps are kept for reading but not sent back.
_NOT_REPLAYED = frozenset({"MEDIA_PROCESSING"})


def is_step(part: Part) -> bool:
    return part.tool_call is not None or part.tool_response is not None


def step_entry(part: Part, position: int) -> dict[str, Any]:
    """The stored form of a ``toolCall`` / ``toolResponse`` part that came before block ``position``."""
    return {"position": position, **part.model_dump(by_alias=True, exclude_none=True, mode="json")}


def _replayable(entry: Any) -> Part | None:
    if not isinstance(entry, Mapping):
        return None
    try:
        part = Part.model_validate({k: v for k, v in entry.items() if k != "position"})
    except ValueError:
        return None  # damaged by hand or by a lossy store: not sent to a certain 400
    step = part.tool_call or part.tool_response
    if step is None or (step.tool_type or "").upper() in _NOT_REPLAYED:
        return None
    return part


def _position(entry: Any) -> int:
    value = entry.get("position") if isinstance(entry, Mapping) else None
    return value if isinstance(value, int) and value >= 0 else 0


def step_parts(steps: Any, block_count: int) -> Iterator[tuple[int, Part]]:
    """``(position, part)`` for every stored step that goes back, in order; a position past the last block
    means after all of them."""
    if not isinstance(steps, Sequence):
        return
    for entry in steps:
        part = _replayable(entry)
        if part is not None:
            yield min(_position(entry), block_count), part


def drop_block(steps: Any, index: int) -> Any:
    """The stored steps once block ``index`` is removed from the message: later positions move up one."""
    if not isinstance(steps, list):
        return steps
    return [{**e, "position": _position(e) - 1} if isinstance(e, Mapping) and _position(e) > index else e
            for e in steps]
