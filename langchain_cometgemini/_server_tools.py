"""Pure conversions: Gemini's server-side tool steps ⇄ LangChain's standard server tool blocks.

With ``toolConfig.includeServerSideToolInvocations`` (sent for you when built-in tools and functions share a
request on Gemini 3), the answer holds each built-in tool's step as parts of their own, each with its own
thought signature::

    {"toolCall": {"id": "93z4z1x3", "toolType": "GOOGLE_SEARCH_WEB", "args": {"queries": [...]}},
     "thoughtSignature": ...}
    {"toolResponse": {"id": "93z4z1x3", "toolType": "GOOGLE_SEARCH_WEB", "response": {"search_suggestions": ...}},
     "thoughtSignature": ...}

They become langchain-core v1's ``server_tool_call`` / ``server_tool_result`` content blocks, in both output
versions (the v1 translator passes them through), while ``tool_calls`` keep only the functions you run::

    {"type": "server_tool_call", "id": "93z4z1x3", "name": "web_search", "args": {"queries": [...]},
     "extras": {"tool_type": "GOOGLE_SEARCH_WEB", "signature": ..., "function_calls_before": 1}}
    {"type": "server_tool_result", "tool_call_id": "93z4z1x3", "status": "success",
     "output": {"search_suggestions": ...}, "extras": {"tool_type": "GOOGLE_SEARCH_WEB", "signature": ...}}

``extras`` holds what the replay needs to put each part back exactly as it came: the wire ``tool_type``, the
signature, unknown wire fields (``fields``), and ``function_calls_before``, the number of ``functionCall``
parts that came before the step (``tool_calls`` are replayed from ``message.tool_calls``, after the content,
so a step that followed a call is put back after it). Plain dicts: they survive ``messages_to_dict``, JSON,
pickle and LangGraph checkpointers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cometgemini._types import Part, ToolCall, ToolResponse

__all__ = ["CALLS_BEFORE", "calls_before", "is_step", "step_block", "step_part"]

CALLS_BEFORE = "function_calls_before"
_NAMES = {"GOOGLE_SEARCH_WEB": "web_search", "GOOGLE_SEARCH_IMAGE": "image_search", "URL_CONTEXT": "url_context",
          "GOOGLE_MAPS": "google_maps", "FILE_SEARCH": "file_search", "MEDIA_PROCESSING": "media_processing"}
# The API refuses a replayed MEDIA_PROCESSING step ("Tool type of tool_call part does not match with tool call
# context"): the server redoes media processing itself, so those steps are shown but never sent back.
_NOT_REPLAYED = frozenset({"MEDIA_PROCESSING"})


def is_step(part: Part) -> bool:
    return part.tool_call is not None or part.tool_response is not None


def step_block(part: Part, function_calls_before: int) -> dict[str, Any]:
    """The content block of a ``toolCall`` or ``toolResponse`` part."""
    step: ToolCall | ToolResponse = part.tool_call if part.tool_call is not None else part.tool_response  # type: ignore[assignment]
    tool_type = step.tool_type or ""
    extras: dict[str, Any] = {"tool_type": tool_type}
    if part.thought_signature:
        extras["signature"] = part.thought_signature
    if step.model_extra:
        extras["fields"] = dict(step.model_extra)
    if function_calls_before:
        extras[CALLS_BEFORE] = function_calls_before
    if isinstance(step, ToolCall):
        return {"type": "server_tool_call", "id": step.id or "", "name": _NAMES.get(tool_type, tool_type.lower()),
                "args": step.args, "extras": extras}
    return {"type": "server_tool_result", "tool_call_id": step.id or "", "status": "success",
            "output": step.response, "extras": extras}


def _extras(block: Mapping[str, Any]) -> Mapping[str, Any]:
    extras = block.get("extras")
    return extras if isinstance(extras, Mapping) else {}


def calls_before(block: Mapping[str, Any]) -> int:
    """How many function calls came before the step this block holds (0 for any other block)."""
    value = _extras(block).get(CALLS_BEFORE)
    return value if isinstance(value, int) and value > 0 else 0


def step_part(block: Mapping[str, Any]) -> Part | None:
    """The part a ``server_tool_call`` / ``server_tool_result`` block of ours came from; ``None`` for a block
    that holds no Gemini step (another provider's, or a search summary made from grounding metadata) and for
    steps the API refuses to take back."""
    extras = _extras(block)
    tool_type = extras.get("tool_type")
    if not isinstance(tool_type, str) or not tool_type or tool_type.upper() in _NOT_REPLAYED:
        return None
    fields: Mapping[str, Any] = extras["fields"] if isinstance(extras.get("fields"), Mapping) else {}
    signature = extras.get("signature") if isinstance(extras.get("signature"), str) else None
    if block.get("type") == "server_tool_call":
        call = ToolCall(id=block.get("id") or None, tool_type=tool_type, args=dict(block.get("args") or {}),
                        **fields)
        return Part(tool_call=call, thought_signature=signature)
    output = block.get("output")
    response = ToolResponse(id=block.get("tool_call_id") or None, tool_type=tool_type,
                            response=dict(output) if isinstance(output, Mapping) else {"output": output}, **fields)
    return Part(tool_response=response, thought_signature=signature)
