"""Pure conversions between LangChain messages and Gemini wire ``Content`` (no I/O, no client).

Inputs: ``to_contents`` turns a message list into ``(systemInstruction, contents)``. Outputs:
``chat_result`` turns a ``generateContent`` response into a ``ChatResult``; ``StreamConverter`` turns
each streamed event into one ``ChatGenerationChunk``. Both output paths share ``_PartBuilder``, so a
merged stream and a single call give the same message.

Thought signatures live in ``additional_kwargs["thought_signatures"]``, a flat mapping that survives
``messages_to_dict``, JSON and pickling, and merges cleanly across stream chunks (keys never repeat):

* ``"call:<tool_call_id>"``: the signature of that ``functionCall`` part;
* ``"text:<start>:<end>"``: the signature of the answer-text part covering characters ``start:end`` of the
  message's text (``start == end`` for an empty part); ``"text:<start>:<end>:tail"`` when the part came after
  the function calls (the trailing empty part of a stream), so it goes back after them. A further ``:<n>``
  keeps two signed parts at the same place apart.

Signatures on thought, code and media parts stay inside their content block (``signature`` or
``extras.signature``). Signatures are only sent back from messages whose ``model_provider`` is ours.

Server-side tool steps (``toolCall`` / ``toolResponse`` parts, Gemini 3 tool combination) are
``server_tool_call`` / ``server_tool_result`` blocks: see ``_server_tools``.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata as LCUsage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from cometgemini._audio import playable_audio
from cometgemini._files import file_uri, is_file_reference
from cometgemini._streaming import is_final_chunk, only_text
from cometgemini._types import (
    Blob,
    Candidate,
    CodeExecutionResult,
    Content,
    ExecutableCode,
    FileData,
    FunctionCall,
    FunctionResponse,
    GenerateContentRequest,
    GenerateContentResponse,
    Part,
    UsageMetadata,
    is_base64_text,
)

from ._server_tools import calls_before, is_step, step_block, step_part

__all__ = [
    "LOCAL_ID_PREFIX",
    "PLACEHOLDER_SIGNATURE",
    "PROVIDER",
    "SIGNATURES_KEY",
    "StreamConverter",
    "chat_result",
    "expects_blocks",
    "response_metadata",
    "to_contents",
    "usage_metadata",
]

PROVIDER = "cometgemini"
SIGNATURES_KEY = "thought_signatures"
LOCAL_ID_PREFIX = "cgx_"
"""Tool-call ids we made up for calls that came without one (2.x models); never sent to the API."""
PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"

_MEDIA_TYPES = ("image", "audio", "video", "file")
_DEFAULT_MIME = {"image": "image/png", "audio": "audio/wav", "video": "video/mp4", "file": "application/pdf"}
_MAGIC = (("JVBERi", "application/pdf"), ("iVBORw0KGgo", "image/png"), ("/9j/", "image/jpeg"),
          ("R0lGOD", "image/gif"), ("UklGR", "image/webp"), ("SUQz", "audio/mpeg"), ("//u", "audio/mpeg"))
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,(?P<data>.*)$", re.DOTALL)


# =========================================================================================== input


def _mime_for(kind: str, data: str | None, url: str | None = None) -> str | None:
    if data is not None:
        for prefix, mime in _MAGIC:
            if data.startswith(prefix):
                if mime == "image/webp" and kind == "audio":
                    return "audio/wav"
                return mime
        return _DEFAULT_MIME.get(kind)
    if url:
        guessed, _ = mimetypes.guess_type(url.split("?", 1)[0])
        return guessed
    return None


def _url_part(url: str, mime: str | None, kind: str = "image") -> Part:
    """A ``data:`` URL as ``inlineData``; any other URL as ``fileData`` (never downloaded)."""
    match = _DATA_URL.match(url)
    if match:
        data = match.group("data")
        return Part(inline_data=Blob(mime_type=mime or match.group("mime") or _mime_for(kind, data) or "", data=data))
    if is_file_reference(url):  # a Files API name or URI: Gemini knows the file's type
        return Part(file_data=FileData(file_uri=file_uri(url), mime_type=mime))
    return Part(file_data=FileData(file_uri=url, mime_type=mime or _mime_for(kind, None, url)))


def _b64(data: Any) -> str:
    return base64.b64encode(data).decode() if isinstance(data, (bytes, bytearray)) else str(data)


def _media_part(block: Mapping[str, Any]) -> Part:
    """Standard (v1 and v0) media blocks, and Anthropic-style ``source`` blocks."""
    kind = str(block.get("type"))
    mime: str | None = block.get("mime_type") or block.get("mimeType")
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic: {"type": "base64"|"url", "media_type", "data"|"url"}
        mime = mime or source.get("media_type")
        if source.get("type") == "url":
            return _url_part(str(source["url"]), mime, kind)
        data = _b64(source.get("data", ""))
        return Part(inline_data=Blob(mime_type=mime or _mime_for(kind, data) or "", data=data))
    raw = block.get("base64")
    if raw is None and block.get("source_type") == "base64":
        raw = block.get("data")
    if raw is not None:
        data = _b64(raw)
        return Part(inline_data=Blob(mime_type=mime or _mime_for(kind, data) or "", data=data))
    url = block.get("url") or (block.get("data") if block.get("source_type") == "url" else None)
    if url:
        return _url_part(str(url), mime, kind)
    file_id = block.get("file_id") or (block.get("id") if block.get("source_type") == "id" else None)
    if file_id:  # a Files API name (files/abc) or URI
        return Part(file_data=FileData(file_uri=file_uri(str(file_id)), mime_type=mime))
    raise ValueError(f"a {kind!r} content block needs 'base64', 'url' or 'file_id': {sorted(block)}")


def _block_part(block: Mapping[str, Any]) -> Part | None:
    """One input content block as a part; ``None`` for blocks that carry nothing for the API."""
    kind = block.get("type")
    if kind in ("text", "text-plain"):
        return Part(text=str(block.get("text", ""))) if block.get("text") else None
    if kind == "image_url":
        image = block.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        return _url_part(str(url), None, "image")
    if kind in _MEDIA_TYPES:
        return _media_part(block)
    if kind == "media":  # langchain-google-genai's own block
        if block.get("file_uri"):
            return Part(file_data=FileData(file_uri=file_uri(str(block["file_uri"])), mime_type=block.get("mime_type")))
        data = _b64(block.get("data", ""))
        mime = block.get("mime_type") or _mime_for("media", data)
        if not mime:
            raise ValueError("a {'type': 'media'} block needs its 'mime_type' (e.g. 'image/png') next to 'data'")
        return Part(inline_data=Blob(mime_type=str(mime), data=data))
    if kind in ("tool_call", "tool_call_chunk", "invalid_tool_call", "thinking", "reasoning", "non_standard",
                "server_tool_call", "server_tool_result", "server_tool_call_chunk", "refusal"):
        return None
    raise ValueError(f"unsupported content block type {kind!r} in a message to Gemini")


def _content_parts(content: str | list[Any]) -> list[Part]:
    if isinstance(content, str):
        return [Part(text=content)] if content else []
    parts: list[Part] = []
    for block in content:
        part = Part(text=block) if isinstance(block, str) else _block_part(block)
        if part is not None and not (part.text is not None and not part.text):
            parts.append(part)
    return parts


def _signatures(message: AIMessage) -> dict[str, str]:
    if message.response_metadata.get("model_provider") != PROVIDER:
        return {}
    sigs = message.additional_kwargs.get(SIGNATURES_KEY)
    return {str(k): str(v) for k, v in sigs.items()} if isinstance(sigs, Mapping) else {}


_Span = tuple[int, int, str, bool]
"""start, end, signature, whether the part came after the function calls"""


def _text_spans(sigs: Mapping[str, str]) -> list[_Span]:
    spans = []
    for key, sig in sigs.items():
        if key.startswith("text:"):
            _, start, end, *rest = key.split(":")
            spans.append((int(start), int(end), sig, "tail" in rest))
    return sorted(spans, key=lambda span: span[:2])  # stable: equal spans keep the order they came in


def _split_text(text: str, base: int, spans: list[_Span], used: set[int]) -> list[Part]:
    """``text`` (at ``base`` in the message's answer text) cut so each signature covers its own span."""
    pos, end, parts = base, base + len(text), []
    for i, (start, stop, sig, tail) in enumerate(spans):
        if i in used or (tail and start == stop) or start < pos or stop > end:
            continue  # used, an empty part sent after the calls, not in this block, or overlapping
        if start > pos:
            parts.append(Part(text=text[pos - base:start - base]))
        parts.append(Part(text=text[start - base:stop - base], thought_signature=sig))
        used.add(i)
        pos = stop
    if pos < end:
        parts.append(Part(text=text[pos - base:]))
    return parts


def _ai_block_part(block: Mapping[str, Any], ours: bool) -> Part | None:
    """An output content block replayed as the part it came from (thoughts only from our own messages)."""
    kind = block.get("type")
    extras: Mapping[str, Any] = block["extras"] if isinstance(block.get("extras"), Mapping) else {}
    if kind in ("server_tool_call", "server_tool_result") and "tool_type" in extras:
        return step_part(block) if ours else None  # a Gemini step goes back only to Gemini, signature and all
    sig = (block.get("signature") or extras.get("signature")) if ours else None
    if kind in ("thinking", "reasoning"):
        text = block.get("thinking") if kind == "thinking" else block.get("reasoning")
        return Part(text=str(text or ""), thought=True, thought_signature=sig) if ours and (text or sig) else None
    if kind == "executable_code":
        code = ExecutableCode(language=str(block.get("language") or "PYTHON"), code=str(block.get("executable_code")),
                              id=block.get("id"))
        return Part(executable_code=code, thought_signature=sig)
    if kind == "code_execution_result":
        result = CodeExecutionResult(outcome=str(block.get("outcome") or "OUTCOME_OK"),
                                     output=block.get("code_execution_result"), id=block.get("id"))
        return Part(code_execution_result=result, thought_signature=sig)
    if kind == "server_tool_call" and block.get("name") == "code_interpreter":
        args = block.get("args") or {}
        code = ExecutableCode(language=str(args.get("language") or "PYTHON"), code=str(args.get("code", "")),
                              id=extras.get("id"))
        return Part(executable_code=code, thought_signature=sig)
    if kind == "server_tool_result" and "outcome" in extras:
        result = CodeExecutionResult(outcome=str(extras["outcome"]), output=block.get("output"), id=extras.get("id"))
        return Part(code_execution_result=result, thought_signature=sig)
    if kind in _MEDIA_TYPES or kind == "image_url":
        part = _block_part(block)
        if part is not None and sig:
            part.thought_signature = sig
        return part
    return None  # tool calls come from ``tool_calls``; other providers' blocks carry nothing for Gemini


def _model_parts(message: AIMessage, placeholder: bool) -> list[Part]:
    sigs = _signatures(message)
    ours = message.response_metadata.get("model_provider") == PROVIDER
    spans = _text_spans(sigs)
    items: list[Any] = [message.content] if isinstance(message.content, str) else list(message.content)
    parts: list[Part] = []
    after_calls: dict[int, list[Part]] = {}  # server-side steps that came after the n-th function call
    offset, used = 0, set[int]()
    for item in items:
        if isinstance(item, str) or item.get("type") == "text":
            text = item if isinstance(item, str) else str(item.get("text", ""))
            parts.extend(_split_text(text, offset, spans, used))
            offset += len(text)
        else:
            part = _ai_block_part(item, ours)
            if part is not None:
                n = calls_before(item) if is_step(part) else 0
                (after_calls.setdefault(n, []) if n else parts).append(part)
    parts.extend(_split_text("", offset, spans, used))  # signed empty parts of an answer without text
    for i, call in enumerate(message.tool_calls):
        call_id = call.get("id")
        sig = sigs.get(f"call:{call_id}")
        if sig is None and placeholder and i == 0:
            sig = PLACEHOLDER_SIGNATURE
        wire_id = call_id if call_id and not call_id.startswith(LOCAL_ID_PREFIX) else None
        parts.append(Part(function_call=FunctionCall(name=call["name"], args=call["args"], id=wire_id),
                          thought_signature=sig))
        parts.extend(after_calls.pop(i + 1, ()))
    for n in sorted(after_calls):  # more calls counted than the message has: keep the steps, in order
        parts.extend(after_calls[n])
    parts.extend(Part(text="", thought_signature=sig) for start, stop, sig, tail in spans if tail and start == stop)
    for part in parts:  # a damaged signature is dropped, not sent to a certain 400
        if part.thought_signature is not None and not is_base64_text(part.thought_signature):
            part.thought_signature = None
    return parts


def _tool_result(message: ToolMessage | FunctionMessage, name: str) -> tuple[Part, list[Part]]:
    """The ``functionResponse`` part of a tool result, plus any media it returned (sent after it)."""
    content = message.content
    media: list[Part] = []
    if isinstance(content, str):
        text = content
    else:
        pieces = []
        for block in content:
            if isinstance(block, str) or block.get("type") == "text":
                pieces.append(block if isinstance(block, str) else str(block.get("text", "")))
            else:
                part = _block_part(block)
                if part is not None:
                    media.append(part)
        text = "".join(pieces)
    value: Any = text
    if text[:1] in ("{", "[", '"') or text in ("true", "false", "null") or text[:1].isdigit():
        try:
            value = json.loads(text)
        except ValueError:
            value = text
    if getattr(message, "status", "success") == "error":
        response = {"error": value}
    else:
        response = value if isinstance(value, dict) else {"result": value}
    call_id = getattr(message, "tool_call_id", None)
    wire_id = call_id if call_id and not call_id.startswith(LOCAL_ID_PREFIX) else None
    return Part(function_response=FunctionResponse(name=name, response=response, id=wire_id)), media


def _append(contents: list[Content], role: str, parts: list[Part]) -> None:
    if not parts:
        return
    if contents and contents[-1].role == role:
        contents[-1].parts.extend(parts)
    else:
        contents.append(Content(role=role, parts=parts))


@dataclass
class _Results:
    """Tool results waiting to go out as one user turn, in the order the model called them."""

    order: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    pending: list[tuple[int, Part, list[Part]]] = field(default_factory=list)

    def expect(self, message: AIMessage) -> None:
        self.order = {str(c.get("id")): i for i, c in enumerate(message.tool_calls)}
        self.names.update({str(c.get("id")): c["name"] for c in message.tool_calls})

    def add(self, message: ToolMessage | FunctionMessage) -> None:
        call_id = str(getattr(message, "tool_call_id", ""))
        name = message.name or self.names.get(call_id)
        if not name:
            raise ValueError(f"ToolMessage {call_id!r} answers no earlier tool call; set its name=")
        if call_id not in self.names and (call_id or name not in self.names.values()):
            # Gemini refuses a functionResponse that follows no functionCall (400 INVALID_ARGUMENT)
            raise ValueError(
                f"tool result {call_id or name!r} answers no tool call earlier in the conversation: keep the "
                "AIMessage with its tool_calls together with its ToolMessages (e.g. when trimming history)"
            )
        part, media = _tool_result(message, name)
        self.pending.append((self.order.get(call_id, len(self.order) + len(self.pending)), part, media))

    def flush(self, contents: list[Content]) -> None:
        if self.pending:
            ordered = sorted(self.pending, key=lambda item: item[0])
            parts = [p for _, p, _ in ordered] + [m for _, _, media in ordered for m in media]
            _append(contents, "user", parts)
            self.pending = []


def to_contents(messages: Sequence[BaseMessage], *, placeholder_signatures: bool = False
                ) -> tuple[Content | None, list[Content]]:
    """``(systemInstruction, contents)`` for a LangChain conversation.

    Every system message (wherever it is) goes into the system instruction; consecutive turns of one role
    are merged; tool results go back in one user turn, in call order. ``placeholder_signatures`` (Gemini 3)
    gives a call that has no signature of its own (another provider's, or a hand-written one) Google's
    documented placeholder, so the turn is not refused.
    """
    system: list[Part] = []
    contents: list[Content] = []
    results = _Results()
    for message in messages:
        if isinstance(message, SystemMessage):
            system.extend(_content_parts(message.content))
        elif isinstance(message, (ToolMessage, FunctionMessage)):
            results.add(message)
        elif isinstance(message, AIMessage):
            results.flush(contents)
            _append(contents, "model", _model_parts(message, placeholder_signatures))
            results.expect(message)
        elif isinstance(message, (HumanMessage, ChatMessage)):
            results.flush(contents)
            role = "model" if isinstance(message, ChatMessage) and message.role in ("assistant", "model") else "user"
            if isinstance(message, ChatMessage) and message.role == "system":
                system.extend(_content_parts(message.content))
                continue
            _append(contents, role, _content_parts(message.content))
        else:
            raise ValueError(f"unsupported message type {type(message).__name__} for Gemini")
    results.flush(contents)
    return (Content(parts=system) if system else None), contents


# =========================================================================================== output


@dataclass
class _Delta:
    items: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    sigs: dict[str, str] = field(default_factory=dict)


@dataclass
class _PartBuilder:
    """Wire parts → content blocks, tool calls and signatures; keeps state across a stream's events."""

    text_len: int = 0
    list_mode: bool = False
    block: int = -1
    kind: str | None = None
    last_signed: bool = False
    calls_seen: int = 0
    keys: set[str] = field(default_factory=set)

    def _index(self, kind: str | None, signed: bool = False) -> int:
        if kind is None or kind != self.kind or signed or self.last_signed:
            self.block += 1
        self.kind, self.last_signed = kind, signed
        return self.block

    def convert(self, parts: Sequence[Part]) -> _Delta:
        delta = _Delta()
        for part in parts:
            if part.function_call is not None:
                self._call(part, delta)
            elif _is_textual(part):
                self._text(part, delta)
            else:
                self.list_mode = True
                block = step_block(part, self.calls_seen) if is_step(part) else _other_block(part)
                block["index"] = self._index(None)
                delta.items.append(block)
        return delta

    def add_text(self, text: str) -> int:
        """A non-empty unsigned answer-text delta; returns its block index."""
        self.text_len += len(text)
        return self._index("text")

    def _text(self, part: Part, delta: _Delta) -> None:
        text, sig = part.text or "", part.thought_signature
        if part.thought:
            self.list_mode = True
            if not text and not sig:
                return
            block: dict[str, Any] = {"type": "thinking", "thinking": text, "index": self._index("thinking", bool(sig))}
            if sig:
                block["signature"] = sig
            delta.items.append(block)
            return
        if sig:
            key = f"text:{self.text_len}:{self.text_len + len(text)}{':tail' if self.calls_seen else ''}"
            if key in self.keys:  # two signed parts at one place: keys must stay unique to merge cleanly
                key = f"{key}:{len(self.keys)}"
            self.keys.add(key)
            delta.sigs[key] = sig
        if text:
            delta.items.append({"type": "text", "text": text, "index": self.add_text(text)})

    def _call(self, part: Part, delta: _Delta) -> None:
        call = cast(FunctionCall, part.function_call)
        call_id = call.id or f"{LOCAL_ID_PREFIX}{uuid.uuid4().hex[:24]}"
        if part.thought_signature:
            delta.sigs[f"call:{call_id}"] = part.thought_signature
        delta.calls.append((call_id, call.name, call.args or {}))
        self.kind = None
        self.calls_seen += 1


def _is_textual(part: Part) -> bool:
    """Text, or a part carrying nothing but a signature (kept as an empty text part)."""
    return (part.inline_data is None and part.file_data is None and part.executable_code is None
            and part.code_execution_result is None and part.function_response is None and not is_step(part))


def _other_block(part: Part) -> dict[str, Any]:
    sig = part.thought_signature
    block: dict[str, Any]
    if part.executable_code is not None:
        block = {"type": "executable_code", "executable_code": part.executable_code.code,
                 "language": part.executable_code.language}
        if part.executable_code.id:
            block["id"] = part.executable_code.id
    elif part.code_execution_result is not None:
        block = {"type": "code_execution_result", "code_execution_result": part.code_execution_result.output or "",
                 "outcome": part.code_execution_result.outcome}
        if part.code_execution_result.id:
            block["id"] = part.code_execution_result.id
    elif part.inline_data is not None:
        mime, data = playable_audio(part.inline_data.mime_type, part.inline_data.data)  # raw PCM as WAV
        kind = mime.split("/", 1)[0] if mime.split("/", 1)[0] in ("image", "audio", "video") else "file"
        block = {"type": kind, "base64": data, "mime_type": mime}
        if sig:
            block["extras"] = {"signature": sig}
        return block
    elif part.file_data is not None:
        block = {"type": "file", "url": part.file_data.file_uri}
        if part.file_data.mime_type:
            block["mime_type"] = part.file_data.mime_type
        if sig:
            block["extras"] = {"signature": sig}
        return block
    else:
        block = {"type": "non_standard", "value": part.model_dump(by_alias=True, exclude_none=True, mode="json")}
        return block
    if sig:
        block["signature"] = sig
    return block


def _merged_items(items: list[dict[str, Any]], keep_index: bool = False) -> list[dict[str, Any]]:
    """Consecutive pieces of one block (same ``index``) joined; the ``index`` dropped unless ``keep_index``."""
    out: list[dict[str, Any]] = []
    last_index = None
    for item in items:
        index = item.get("index") if keep_index else item.pop("index", None)
        if out and index is not None and index == last_index:
            key = "text" if item["type"] == "text" else "thinking"
            out[-1][key] += item[key]
            if item.get("signature"):
                out[-1]["signature"] = item["signature"]
        else:
            out.append(item)
        last_index = index
    return out


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {_CAMEL.sub(r"_\1", k).lower(): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def response_metadata(response: GenerateContentResponse, candidate: Candidate | None, model: str) -> dict[str, Any]:
    """The final ``response_metadata``: snake_case keys, as langchain-google-genai gives them."""
    meta: dict[str, Any] = {"model_name": response.model_version or model, "model_provider": PROVIDER}
    if candidate is not None:
        for name in ("finish_reason", "finish_message", "avg_logprobs", "continuation_token"):
            value = getattr(candidate, name)
            if value is not None:
                meta[name] = value
        meta["safety_ratings"] = [_snake(r.model_dump(by_alias=True, exclude_none=True))
                                  for r in candidate.safety_ratings or ()]
        for name in ("grounding_metadata", "citation_metadata", "url_context_metadata"):
            value = getattr(candidate, name)
            if value is not None and (dumped := value.model_dump(by_alias=True, exclude_none=True, mode="json")):
                meta[name] = _snake(dumped)
        if candidate.logprobs_result is not None:
            meta["logprobs_result"] = _snake(candidate.logprobs_result)
    if response.prompt_feedback is not None:
        meta["prompt_feedback"] = _snake(response.prompt_feedback.model_dump(by_alias=True, exclude_none=True))
    if response.response_id:
        meta["response_id"] = response.response_id
    return meta


def _modality(details: Sequence[Any] | None, modality: str) -> int:
    return sum(d.token_count for d in details or () if (d.modality or "").upper() == modality)


_Counts = tuple[int, int, int, int, int, int, int]
"""input, output, total, cache_read, input audio, reasoning, output audio"""


def _counts(usage: UsageMetadata) -> _Counts:
    input_tokens = usage.prompt_token_count + usage.tool_use_prompt_token_count
    output_tokens = usage.candidates_token_count + usage.thoughts_token_count
    return (input_tokens, output_tokens, usage.total_token_count or input_tokens + output_tokens,
            usage.cached_content_token_count,
            _modality(usage.prompt_tokens_details, "AUDIO") if usage.prompt_tokens_details else 0,
            usage.thoughts_token_count,
            _modality(usage.candidates_tokens_details, "AUDIO") if usage.candidates_tokens_details else 0)


def _usage_dict(c: _Counts) -> LCUsage:
    result: dict[str, Any] = {"input_tokens": c[0], "output_tokens": c[1], "total_tokens": c[2]}
    if c[3] or c[4]:
        result["input_token_details"] = {k: v for k, v in (("cache_read", c[3]), ("audio", c[4])) if v}
    if c[5] or c[6]:
        result["output_token_details"] = {k: v for k, v in (("reasoning", c[5]), ("audio", c[6])) if v}
    return cast(LCUsage, result)


def usage_metadata(usage: UsageMetadata | None) -> LCUsage | None:
    """Gemini's counts in LangChain's shape (thoughts count as output, tool-use prompt as input)."""
    return None if usage is None else _usage_dict(_counts(usage))


def expects_blocks(request: GenerateContentRequest) -> bool:
    """Whether answers to ``request`` may hold more than text (thoughts, media, code): then ``content`` is a
    list of blocks from the start, whether streamed or not, so a merged stream equals the whole answer (a
    stream cannot turn the plain string it began with into a block once an image arrives)."""
    config = request.generation_config
    if config is not None:
        if any(str(m).upper() != "TEXT" for m in config.response_modalities or ()):
            return True
        if config.thinking_config is not None and config.thinking_config.include_thoughts:
            return True
    return any(tool.code_execution is not None for tool in request.tools or ())


def _generation(response: GenerateContentResponse, candidate: Candidate | None, model: str,
                blocks: bool) -> ChatGeneration:
    builder = _PartBuilder(list_mode=blocks)
    delta = builder.convert(candidate.content.parts if candidate else [])
    items = _merged_items(delta.items)
    content: str | list[Any] = items if builder.list_mode else "".join(i["text"] for i in items)
    meta = response_metadata(response, candidate, model)
    message = AIMessage(
        content=content,
        tool_calls=[{"id": i, "name": n, "args": a, "type": "tool_call"} for i, n, a in delta.calls],
        additional_kwargs={SIGNATURES_KEY: delta.sigs} if delta.sigs else {},
        response_metadata=meta,
        usage_metadata=usage_metadata(response.usage_metadata),
        id=response.response_id,
    )
    return ChatGeneration(message=message, generation_info={"finish_reason": meta.get("finish_reason")})


def chat_result(response: GenerateContentResponse, model: str, blocks: bool = False) -> ChatResult:
    """A ``generateContent`` response as a ``ChatResult``: one generation per candidate (``n`` /
    ``candidate_count``), each message carrying the response's usage, as langchain-openai does with ``n``.
    ``blocks``: content as a list of blocks even for a text-only answer (see ``expects_blocks``)."""
    generations = [_generation(response, c, model, blocks) for c in response.candidates or [None]]
    return ChatResult(generations=generations,
                      llm_output={"model_name": generations[0].message.response_metadata["model_name"]})


class StreamConverter:
    """One ``ChatGenerationChunk`` per streamed event: content deltas and, on the final event, the usage and
    the ``response_metadata``. Usage travels on the final chunk (and on any event after it) only, as the change
    since the last usage sent: the sum over all chunks is the final usage exactly, and the intermediate chunks
    LangChain keeps and merges stay small."""

    __slots__ = ("_builder", "_calls", "_finished", "_model", "_seen", "_sent")

    def __init__(self, model: str, blocks: bool = False) -> None:
        self._builder = _PartBuilder(list_mode=blocks)
        self._model = model
        self._seen: UsageMetadata | None = None  # the latest usage snapshot
        self._sent: _Counts = (0, 0, 0, 0, 0, 0, 0)  # the usage the chunks so far add up to
        self._finished = False
        self._calls = 0

    def convert(self, chunk: GenerateContentResponse) -> ChatGenerationChunk:
        if chunk.usage_metadata is not None:
            self._seen = chunk.usage_metadata
        final = is_final_chunk(chunk)
        self._finished = self._finished or final
        candidate = chunk.candidates[0] if chunk.candidates else None
        parts = candidate.content.parts if candidate else ()
        if not self._finished and not self._builder.list_mode and _plain_text(parts):
            # the common event, a bare text delta: no usage, no metadata beyond the provider
            text = "".join([p.text for p in parts if p.text])
            if text:
                self._builder.add_text(text)
            message = AIMessageChunk(content=text, response_metadata={"model_provider": PROVIDER},
                                     id=chunk.response_id)
            return ChatGenerationChunk(message=message)
        return self._convert(chunk, candidate, parts, final)

    def _convert(self, chunk: GenerateContentResponse, candidate: Candidate | None, parts: Sequence[Part],
                 final: bool) -> ChatGenerationChunk:
        delta = self._builder.convert(parts)
        content: str | list[Any] = (
            _merged_items(delta.items, keep_index=True) if self._builder.list_mode
            else "".join(i["text"] for i in delta.items)
        )
        call_chunks = []
        for call_id, name, args in delta.calls:
            call_chunks.append({"id": call_id, "name": name, "args": json.dumps(args), "index": self._calls,
                                "type": "tool_call_chunk"})
            self._calls += 1
        usage_delta = None
        if self._finished and self._seen is not None:
            counts = _counts(self._seen)
            change = tuple(now - before for now, before in zip(counts, self._sent, strict=True))
            self._sent = counts
            if any(change):
                usage_delta = _usage_dict(cast(_Counts, change))
        message = AIMessageChunk(
            content=content,
            tool_call_chunks=call_chunks,
            additional_kwargs={SIGNATURES_KEY: delta.sigs} if delta.sigs else {},
            response_metadata=(response_metadata(chunk, candidate, self._model) if final
                               else {"model_provider": PROVIDER}),
            usage_metadata=usage_delta,
            id=chunk.response_id,
            chunk_position="last" if final else None,
        )
        info = {"finish_reason": candidate.finish_reason} if final and candidate is not None else None
        return ChatGenerationChunk(message=message, generation_info=info)


def _plain_text(parts: Sequence[Part]) -> bool:
    """Only answer text (no thought, signature, call, media or unknown field): LangChain's plain-string case."""
    for part in parts:
        if part.model_fields_set == _TEXT_ONLY and part.text is not None and not part.model_extra:
            continue  # a parsed text delta, ``{"text": ...}`` and nothing else: one set comparison
        if part.text is None or part.thought or part.thought_signature is not None or not only_text(part):
            return False
    return True


_TEXT_ONLY = frozenset({"text"})
