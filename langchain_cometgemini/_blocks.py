"""Standard (v1) content blocks for our messages: the translator behind ``message.content_blocks`` and
``output_version="v1"``, registered for ``model_provider="cometgemini"``.

reasoning (signature in ``extras``), text (citations from grounding as annotations), tool calls, images,
and server tool call/result pairs for Google Search and code execution. Gemini 3's own server-side steps
(``_server_tools``) are already standard blocks and pass through; when an answer has them, no search pair is
made up from its grounding metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types

__all__ = ["register", "translate_content", "translate_content_chunk"]

_REFUSALS = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"})


def _citations(grounding: Mapping[str, Any]) -> list[types.Annotation]:
    chunks = grounding.get("grounding_chunks") or []
    citations: list[types.Annotation] = []
    for support in grounding.get("grounding_supports") or []:
        segment = support.get("segment") or {}
        for index in support.get("grounding_chunk_indices") or []:
            if not 0 <= index < len(chunks):
                continue
            source = chunks[index].get("web") or chunks[index].get("maps") or {}
            citation = types.create_citation(
                url=source.get("uri"), title=source.get("title"), start_index=segment.get("start_index", 0),
                end_index=segment.get("end_index"), cited_text=segment.get("text"),
            )
            citations.append(citation)
    return citations


def _search_blocks(grounding: Mapping[str, Any], message_id: str | None) -> list[types.ContentBlock]:
    queries = grounding.get("web_search_queries")
    if not queries:
        return []
    call_id = f"search_{message_id or 0}"
    call = {"type": "server_tool_call", "name": "web_search", "id": call_id, "args": {"queries": list(queries)}}
    sources = [c.get("web") for c in grounding.get("grounding_chunks") or [] if c.get("web")]
    result = {"type": "server_tool_result", "tool_call_id": call_id, "status": "success", "output": sources}
    return [cast(types.ContentBlock, call), cast(types.ContentBlock, result)]


def _block(item: Any, code_ids: list[str]) -> types.ContentBlock:
    if isinstance(item, str):
        return cast(types.ContentBlock, {"type": "text", "text": item})
    kind = item.get("type")
    out: dict[str, Any]
    if kind == "thinking":
        out = {"type": "reasoning", "reasoning": item.get("thinking", "")}
        if item.get("signature"):
            out["extras"] = {"signature": item["signature"]}
    elif kind == "executable_code":
        code_ids.append(item.get("id") or f"code_{len(code_ids)}")
        out = {"type": "server_tool_call", "name": "code_interpreter", "id": code_ids[-1],
               "args": {"code": item.get("executable_code", ""), "language": item.get("language", "PYTHON")}}
        if item.get("signature") or item.get("id"):
            out["extras"] = _code_extras(item)
    elif kind == "code_execution_result":
        outcome = item.get("outcome", "OUTCOME_OK")
        out = {"type": "server_tool_result", "tool_call_id": item.get("id") or (code_ids[-1] if code_ids else ""),
               "status": "success" if outcome == "OUTCOME_OK" else "error",
               "output": item.get("code_execution_result", ""), "extras": {"outcome": outcome, **_code_extras(item)}}
    else:
        return cast(types.ContentBlock, dict(item))  # text, image, audio, file, non_standard: already standard
    if "index" in item:
        out["index"] = item["index"]
    return cast(types.ContentBlock, out)


def _code_extras(item: Mapping[str, Any]) -> dict[str, Any]:
    """The signature and the wire id (set with server-side tool steps) of a code execution part."""
    return {key: item[name] for key, name in (("signature", "signature"), ("id", "id")) if item.get(name)}


def _has_search_steps(blocks: list[types.ContentBlock]) -> bool:
    return any(b["type"] == "server_tool_call" and str(b.get("extras", {}).get("tool_type", "")).startswith(
        "GOOGLE_SEARCH") for b in blocks)


def _translate(message: AIMessage, chunk: bool) -> list[types.ContentBlock]:
    items = [message.content] if isinstance(message.content, str) else list(message.content)
    if isinstance(message.content, str) and not message.content:
        items = []
    code_ids: list[str] = []
    blocks = [_block(item, code_ids) for item in items]
    if chunk and isinstance(message.content, str) and blocks:
        blocks[0] = cast(types.ContentBlock, {**blocks[0], "index": 0})
    meta = message.response_metadata
    grounding = meta.get("grounding_metadata")
    if isinstance(grounding, Mapping):
        citations = _citations(grounding)
        for i, block in enumerate(blocks):
            if block["type"] == "text" and citations:
                blocks[i] = cast(types.TextContentBlock, {**block, "annotations": citations})
                break
        if not _has_search_steps(blocks):
            blocks = _search_blocks(grounding, message.id) + blocks
    calls = message.tool_call_chunks if isinstance(message, AIMessageChunk) and chunk else None
    if calls:
        for c in calls:  # a string index never collides with the content blocks' integer ones
            blocks.append(cast(types.ContentBlock, {**c, "type": "tool_call_chunk", "index": f"lc_tc_{c['index']}"}))
    else:
        for call in message.tool_calls:
            tool_call = {"type": "tool_call", "id": call.get("id"), "name": call["name"], "args": call["args"]}
            blocks.append(cast(types.ContentBlock, tool_call))
    finish = meta.get("finish_reason")
    if finish in _REFUSALS:
        refusal = {"type": "refusal", "refusal": meta.get("finish_message") or "", "extras": {"finish_reason": finish}}
        blocks.append(cast(types.ContentBlock, refusal))
    return blocks


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    return _translate(message, chunk=False)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    return _translate(message, chunk=message.chunk_position != "last")


def register() -> None:
    from langchain_core.messages.block_translators import register_translator

    register_translator("cometgemini", translate_content, translate_content_chunk)
