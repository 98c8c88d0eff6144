"""Pure conversions between LlamaIndex chat messages and Gemini wire contents.

Inbound (``to_contents``): system and developer messages become ``systemInstruction``; user blocks become
parts (bytes and paths as ``inlineData``, URLs as ``fileData``); assistant messages are replayed part for part
with their thought signatures; tool messages become ``functionResponse`` parts, consecutive ones in one user
turn, named after the call they answer (a result whose call is not in the conversation stays text). Stored
signature records that are damaged (not a dict, not base64) are dropped, never sent to a certain 400.

Outbound (``message_from_response``, ``response_kwargs``, ``raw_response``): parts become ``ThinkingBlock``,
``TextBlock``, ``ToolCallBlock``, ``ImageBlock``/``AudioBlock`` and, from grounding, ``CitationBlock``.

Where thought signatures live, so that they survive ``ChatMessage`` JSON round trips and agent memory, and go
back on exactly the part they came on:

* a function call's: ``additional_kwargs["thought_signatures"][tool_call_id]``;
* a thought part's: ``ThinkingBlock.additional_information["thought_signature"]``;
* text parts': answer text is one ``TextBlock`` per run of text parts (a ``TextBlock`` per part would make
  ``message.content`` join them with newlines). When a part of the run was signed,
  ``additional_kwargs["text_signatures"][<hash of the block's text>]`` holds the run's layout, a list of
  ``[length, signature or None]``, so the block is split back into the very parts that came. The key is the
  text's hash: an edited text no longer matches and goes back unsigned rather than with a signature that no
  longer covers it;
* an image part's: ``additional_kwargs["thought_signatures"]["image:<hash>"]``;
* code execution parts are ``ExecutableCodeBlock`` / ``CodeExecutionResultBlock`` (``TextBlock``s that read
  as Markdown, with the code, language, outcome and output as fields); the wire part itself (signature
  included) is kept in ``additional_kwargs["code_execution_parts"][<hash of the block's text>]`` and sent back
  instead of the text;
* an empty signed text part with no text before it (the last streaming event after a function call):
  ``additional_kwargs["thought_signatures"]["<end>"]``, sent back as an empty part at the end of the turn;
* server-side tool steps (``toolCall`` / ``toolResponse`` parts, Gemini 3 tool combination), whole with their
  signatures: ``additional_kwargs["server_tool_steps"]`` (see ``_server_tools``).

Calls without an id (Gemini 2.x) get one for LlamaIndex, prefixed ``GENERATED_ID_PREFIX``; such ids are never
sent back as ``functionCall.id`` / ``functionResponse.id``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import uuid
from collections.abc import Iterable, Sequence
from io import IOBase
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from cometgemini._audio import playable_audio
from cometgemini._files import file_uri, is_file_reference
from cometgemini._types import (
    Blob,
    Content,
    FileData,
    FunctionCall,
    FunctionResponse,
    GenerateContentResponse,
    GroundingMetadata,
    Part,
    UsageMetadata,
    VideoMetadata,
    is_base64_text,
)

from ._blocks import code_block
from ._server_tools import STEPS_KEY, is_step, step_entry, step_parts

__all__ = [
    "END_KEY",
    "GENERATED_ID_PREFIX",
    "CallIds",
    "message_from_response",
    "raw_response",
    "response_kwargs",
    "text_key",
    "to_contents",
    "usage_kwargs",
]

GENERATED_ID_PREFIX = "cg-"
END_KEY = "<end>"
_SYSTEM_ROLES = (MessageRole.SYSTEM, MessageRole.DEVELOPER)
_MODEL_ROLES = (MessageRole.ASSISTANT, MessageRole.MODEL, MessageRole.CHATBOT)
_TOOL_ROLES = (MessageRole.TOOL, MessageRole.FUNCTION)


def text_key(text: str) -> str:
    """The key of a text's signature layout: a short hash of the exact text."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _data_key(data: str) -> str:
    return "image:" + hashlib.blake2b(data.encode("ascii", "replace"), digest_size=12).hexdigest()


# ============================================================================================ inbound


def to_contents(
    messages: Sequence[ChatMessage], *, function_response_parts: bool = True
) -> tuple[Content | None, list[Content]]:
    """``(systemInstruction, contents)`` for ``messages``.

    ``function_response_parts``: media in a tool result goes into ``functionResponse.parts`` (Gemini 3);
    otherwise it follows the ``functionResponse`` as ordinary parts of the same user turn.
    """
    system: list[Part] = []
    contents: list[Content] = []
    call_names = _Calls()
    for message in messages:
        role = message.role
        if role in _SYSTEM_ROLES:
            system.extend(_user_parts(message.blocks))
            continue
        if role in _MODEL_ROLES:
            wire_role, parts = "model", _model_parts(message, call_names)
        elif role in _TOOL_ROLES:
            wire_role, parts = "user", _tool_result_parts(message, call_names, function_response_parts)
        else:
            wire_role, parts = "user", _user_parts(message.blocks)
        if not parts:
            continue
        if contents and contents[-1].role == wire_role:
            contents[-1].parts.extend(parts)
        else:
            contents.append(Content(role=wire_role, parts=parts))
    return (Content(parts=system) if system else None), contents


def _user_parts(blocks: Iterable[Any]) -> list[Part]:
    parts: list[Part] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            if block.text:
                parts.append(Part(text=block.text))
        elif isinstance(block, ImageBlock):
            parts.append(_media_part(block.image, block.path, block.url, block.image_mimetype, "image/png"))
        elif isinstance(block, AudioBlock):
            parts.append(_media_part(block.audio, block.path, block.url, _audio_mime(block.format), "audio/mpeg"))
        elif isinstance(block, VideoBlock):
            part = _media_part(block.video, block.path, block.url, block.video_mimetype, "video/mp4")
            if block.fps:
                part.video_metadata = VideoMetadata(fps=block.fps)
            parts.append(part)
        elif isinstance(block, DocumentBlock):
            parts.append(_media_part(block.data, block.path, block.url, block.document_mimetype, "application/pdf"))
        elif isinstance(block, CitableBlock):
            parts.extend(_user_parts(block.content))
        # CachePoint, CitationBlock, ThinkingBlock and ToolCallBlock carry nothing a user turn can send
    return parts


def _audio_mime(audio_format: str | None) -> str | None:
    if not audio_format:
        return None
    if "/" in audio_format:
        return audio_format
    return mimetypes.types_map.get("." + audio_format.lower(), f"audio/{audio_format.lower()}")


def _media_part(data: Any, path: Any, url: Any, mime: str | None, default_mime: str) -> Part:
    if isinstance(data, IOBase):
        data.seek(0)
        data = data.read()
    if isinstance(data, bytes) and data:
        return Part(inline_data=Blob(mime_type=mime or default_mime, data=_as_base64(data)))
    if path is not None:
        raw = _read_path(path)
        guessed = mime or mimetypes.guess_type(str(path))[0] or default_mime
        return Part(inline_data=Blob(mime_type=guessed, data=base64.b64encode(raw).decode("ascii")))
    if url is not None:
        return _url_part(str(url), mime, default_mime)
    raise ValueError("a media block has no data, path or url: give it one of them")


def _read_path(path: Any) -> bytes:
    from pathlib import Path

    return Path(path).read_bytes()


def _as_base64(data: bytes) -> str:
    """LlamaIndex keeps block bytes base64-encoded after validation; raw bytes are encoded here."""
    try:
        base64.b64decode(data, validate=True)
    except ValueError:
        return base64.b64encode(data).decode("ascii")
    return data.decode("ascii")


def _url_part(url: str, mime: str | None, default_mime: str) -> Part:
    if url.startswith("data:"):
        header, _, payload = url[5:].partition(",")
        media_type = header.split(";", 1)[0] or mime or default_mime
        if ";base64" not in header:
            from urllib.parse import unquote_to_bytes

            payload = base64.b64encode(unquote_to_bytes(payload)).decode("ascii")
        return Part(inline_data=Blob(mime_type=mime or media_type, data=payload))
    if is_file_reference(url):  # a Files API name or URI: Gemini knows the file's type
        return Part(file_data=FileData(file_uri=file_uri(url), mime_type=mime))
    guessed = mime or mimetypes.guess_type(url.split("?", 1)[0])[0] or default_mime
    return Part(file_data=FileData(file_uri=url, mime_type=guessed))


def _is_generated(call_id: str | None) -> bool:
    return not call_id or call_id.startswith(GENERATED_ID_PREFIX)


class _Calls:
    """The calls made so far in the conversation: tool results may only answer one of them."""

    __slots__ = ("by_id", "names")

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}
        self.names: set[str] = set()

    def add(self, call_id: str | None, name: str) -> None:
        if call_id:
            self.by_id[call_id] = name
        self.names.add(name)




def _signature(value: Any) -> str | None:
    """A stored signature if it can be one (base64 text); anything else (a lossy round trip, a hand-made
    message) is dropped rather than sent to a certain 400."""
    if isinstance(value, str) and is_base64_text(value):
        return value
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _model_parts(message: ChatMessage, calls: _Calls) -> list[Part]:
    kwargs = message.additional_kwargs
    signatures = _mapping(kwargs.get("thought_signatures"))
    layouts = _mapping(kwargs.get("text_signatures"))
    code = _mapping(kwargs.get("code_execution_parts"))
    steps = list(step_parts(kwargs.get(STEPS_KEY), len(message.blocks)))
    parts: list[Part] = []
    for i, block in enumerate(message.blocks):
        parts.extend(part for position, part in steps if position == i)
        if isinstance(block, TextBlock):
            parts.extend(_text_parts(block.text, layouts, code))
        elif isinstance(block, ToolCallBlock):
            parts.append(_call_part(block, signatures, calls))
        elif isinstance(block, ThinkingBlock):
            signature = _signature(block.additional_information.get("thought_signature"))
            if block.content or signature:
                parts.append(Part(text=block.content or "", thought=True, thought_signature=signature))
        elif isinstance(block, (ImageBlock, AudioBlock, VideoBlock, DocumentBlock)):
            part = _user_parts([block])[0]
            if part.inline_data is not None:
                part.thought_signature = _signature(signatures.get(_data_key(part.inline_data.data)))
            parts.append(part)
    parts.extend(part for position, part in steps if position == len(message.blocks))
    end = _signature(signatures.get(END_KEY))
    if end is not None:
        parts.append(Part(text="", thought_signature=end))
    return parts


def _text_parts(text: str, layouts: dict[str, Any], code: dict[str, Any]) -> list[Part]:
    key = text_key(text) if layouts or code else ""
    wire = code.get(key) if code else None
    if isinstance(wire, dict):
        try:
            return [Part.model_validate(wire)]
        except ValueError:
            pass  # not a part any more: send the text
    layout = _layout(layouts.get(key), text) if layouts else None
    if not layout:
        return [Part(text=text)] if text else []
    parts: list[Part] = []
    start = 0
    for length, signature in layout:
        parts.append(Part(text=text[start : start + length], thought_signature=signature))
        start += length
    return parts


def _layout(value: Any, text: str) -> list[tuple[int, str | None]] | None:
    """A stored ``[[length, signature], ...]`` layout, if it is well formed and covers ``text`` exactly."""
    if not isinstance(value, list):
        return None
    layout: list[tuple[int, str | None]] = []
    for entry in value:
        if not (isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[0], int)
                and entry[0] >= 0):
            return None
        layout.append((entry[0], _signature(entry[1])))
    return layout if sum(length for length, _ in layout) == len(text) else None


def _call_part(block: ToolCallBlock, signatures: dict[str, Any], calls: _Calls) -> Part:
    args = block.tool_kwargs
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            args = {"input": args}
    if not isinstance(args, dict):
        args = {"input": args}
    call_id = block.tool_call_id
    calls.add(call_id, block.tool_name)
    wire_id = None if _is_generated(call_id) else call_id
    return Part(
        function_call=FunctionCall(name=block.tool_name, args=args, id=wire_id),
        thought_signature=_signature(signatures.get(call_id)) if call_id else None,
    )


def _tool_result_parts(message: ChatMessage, calls: _Calls, media_inside: bool) -> list[Part]:
    """A ``functionResponse`` answering a call made earlier in the conversation (by id, else by name); a
    result whose call is not there (memory truncated it) stays readable as text instead of a 400."""
    kwargs = message.additional_kwargs
    call_id = kwargs.get("tool_call_id")
    call_id = str(call_id) if call_id else None
    name = calls.by_id.get(call_id) if call_id else None
    if name is None:
        named = kwargs.get("name") or kwargs.get("tool_name")
        name = named if isinstance(named, str) and named in calls.names else None
        call_id = None  # the id matched no call: never send it
    text = "\n".join(b.text for b in message.blocks if isinstance(b, TextBlock))
    media = _user_parts(b for b in message.blocks if not isinstance(b, TextBlock))
    if name is None:
        label = kwargs.get("tool_call_id") or kwargs.get("name") or "a tool"
        return [Part(text=f"Result of tool call {label}: {text}"), *media]
    response = FunctionResponse(
        name=name, response={"result": text}, id=None if _is_generated(call_id) else call_id
    )
    if media and media_inside:
        response.parts = media
        return [Part(function_response=response)]
    return [Part(function_response=response), *media]


# ============================================================================================ outbound


class CallIds:
    """Ids for calls that came without one, the same for a stream's previews and its final message."""

    __slots__ = ("_count", "_seed")

    def __init__(self) -> None:
        self._seed = uuid.uuid4().hex[:12]
        self._count = 0

    def restart(self) -> None:
        self._count = 0

    def next(self) -> str:
        self._count += 1
        return f"{GENERATED_ID_PREFIX}{self._seed}-{self._count}"


class _Builder:
    """Folds one candidate's parts into blocks and the signature records of the message."""

    def __init__(self, ids: CallIds) -> None:
        self.ids = ids
        self.blocks: list[Any] = []
        self.signatures: dict[str, str] = {}
        self.layouts: dict[str, list[list[Any]]] = {}
        self.tool_calls: list[dict[str, Any]] = []
        self.code_parts: dict[str, dict[str, Any]] = {}
        self.steps: list[dict[str, Any]] = []
        self.run: list[Part] = []

    def add(self, part: Part) -> None:
        if part.text is not None and not part.thought and part.executable_code is None:
            if part.text or part.thought_signature is not None:
                if part.text or self.run:
                    self.run.append(part)
                else:
                    self.signatures[END_KEY] = part.thought_signature  # type: ignore[assignment]
            return
        self.flush()
        if is_step(part):
            self.steps.append(step_entry(part, len(self.blocks)))
        elif part.thought:
            info = {"thought_signature": part.thought_signature} if part.thought_signature else {}
            self.blocks.append(ThinkingBlock(content=part.text, additional_information=info))
        elif part.function_call is not None:
            self._call(part)
        elif part.inline_data is not None:
            self._media(part)
        elif part.executable_code is not None or part.code_execution_result is not None:
            self._code(part)

    def _code(self, part: Part) -> None:
        """Code execution parts as structured blocks that read as Markdown; the wire part is kept to be sent
        back as it came."""
        block = code_block(part.executable_code, part.code_execution_result)
        self.code_parts[text_key(block.text)] = part.model_dump(by_alias=True, exclude_none=True)
        self.blocks.append(block)

    def _call(self, part: Part) -> None:
        call = part.function_call
        assert call is not None
        call_id = call.id or self.ids.next()
        if part.thought_signature:
            self.signatures[call_id] = part.thought_signature
        self.blocks.append(ToolCallBlock(tool_call_id=call_id, tool_name=call.name, tool_kwargs=call.args))
        self.tool_calls.append({"id": call_id, "name": call.name, "args": call.args})

    def _media(self, part: Part) -> None:
        blob = part.inline_data
        assert blob is not None
        if part.thought_signature:
            self.signatures[_data_key(blob.data)] = part.thought_signature
        if blob.mime_type.startswith("audio/"):
            mime, data = playable_audio(blob.mime_type, blob.data)  # raw PCM as WAV, so it plays
            audio_format = "wav" if mime == "audio/wav" else mime.split("/", 1)[1]
            self.blocks.append(AudioBlock(audio=data.encode("ascii"), format=audio_format))
        else:
            self.blocks.append(ImageBlock(image=blob.data.encode("ascii"), image_mimetype=blob.mime_type))

    def flush(self) -> None:
        if not self.run:
            return
        text = "".join(p.text or "" for p in self.run)
        if any(p.thought_signature for p in self.run):
            self.layouts[text_key(text)] = [[len(p.text or ""), p.thought_signature] for p in self.run]
        self.blocks.append(TextBlock(text=text))
        self.run = []


def message_from_response(
    response: GenerateContentResponse, ids: CallIds | None = None, index: int = 0
) -> ChatMessage:
    """The assistant message of candidate ``index``, the first by default (see the module docstring for
    signatures)."""
    builder = _Builder(ids or CallIds())
    candidate = response.candidates[index] if len(response.candidates) > index else None
    if candidate is not None:
        for part in candidate.content.parts:
            builder.add(part)
    builder.flush()
    blocks = builder.blocks
    usage = response.usage_metadata
    _spread_thought_tokens(blocks, usage.thoughts_token_count if usage else 0)
    if candidate is not None and candidate.grounding_metadata is not None:
        blocks.extend(_citations(candidate.grounding_metadata))
    if not any(isinstance(b, (TextBlock, ToolCallBlock)) for b in blocks):
        blocks.append(TextBlock(text=""))
    kwargs: dict[str, Any] = {}
    if builder.signatures:
        kwargs["thought_signatures"] = builder.signatures
    if builder.layouts:
        kwargs["text_signatures"] = builder.layouts
    if builder.tool_calls:
        kwargs["tool_calls"] = builder.tool_calls
    if builder.code_parts:
        kwargs["code_execution_parts"] = builder.code_parts
    if builder.steps:
        kwargs[STEPS_KEY] = builder.steps
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)


def _spread_thought_tokens(blocks: list[Any], total: int) -> None:
    """``thoughtsTokenCount`` shared among the thinking blocks by length (the API gives one figure)."""
    thinking = [b for b in blocks if isinstance(b, ThinkingBlock)]
    if not thinking or not total:
        return
    lengths = [len(b.content or "") for b in thinking]
    if not sum(lengths):
        lengths = [1] * len(thinking)
    whole = sum(lengths)
    given = 0
    for block, length in zip(thinking[:-1], lengths[:-1], strict=True):
        block.num_tokens = total * length // whole
        given += block.num_tokens
    thinking[-1].num_tokens = total - given


def _citations(grounding: GroundingMetadata) -> list[CitationBlock]:
    chunks = grounding.grounding_chunks or []
    blocks: list[CitationBlock] = []
    for support in grounding.grounding_supports or []:
        segment = support.segment
        if segment is None:
            continue
        location = {"start_index": segment.start_index or 0, "end_index": segment.end_index or 0}
        if segment.part_index is not None:
            location["part_index"] = segment.part_index
        for index in support.grounding_chunk_indices:
            if not 0 <= index < len(chunks):
                continue
            chunk = chunks[index]
            source = chunk.web or chunk.retrieved_context or chunk.maps or {}
            uri = str(source.get("uri") or "")
            blocks.append(
                CitationBlock(
                    cited_content=TextBlock(text=segment.text or ""),
                    source=uri,
                    title=str(source.get("title") or uri),
                    additional_location_info=location,
                )
            )
    return blocks


def usage_kwargs(usage: UsageMetadata | None) -> dict[str, int]:
    """Token counts as LlamaIndex names them. ``prompt_tokens`` includes the tool-use prompt and
    ``completion_tokens`` the thoughts, so that prompt + completion = ``totalTokenCount``."""
    if usage is None:
        return {}
    prompt = usage.prompt_token_count + usage.tool_use_prompt_token_count
    completion = usage.candidates_token_count + usage.thoughts_token_count
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": usage.total_token_count or prompt + completion,
        "thoughts_token_count": usage.thoughts_token_count,
        "cached_content_token_count": usage.cached_content_token_count,
        "tool_use_prompt_token_count": usage.tool_use_prompt_token_count,
    }


def response_kwargs(response: GenerateContentResponse) -> dict[str, Any]:
    """``ChatResponse.additional_kwargs``: usage, finish reason, grounding and the response's ids."""
    kwargs: dict[str, Any] = usage_kwargs(response.usage_metadata)
    if response.candidates:
        candidate = response.candidates[0]
        kwargs["finish_reason"] = candidate.finish_reason
        if candidate.finish_message:
            kwargs["finish_message"] = candidate.finish_message
        if candidate.continuation_token:
            kwargs["continuation_token"] = candidate.continuation_token
        if candidate.grounding_metadata is not None:
            kwargs["grounding_metadata"] = candidate.grounding_metadata.model_dump(by_alias=True, exclude_none=True)
        if candidate.url_context_metadata is not None:
            kwargs["url_context_metadata"] = candidate.url_context_metadata.model_dump(
                by_alias=True, exclude_none=True
            )
        if candidate.safety_ratings:
            kwargs["safety_ratings"] = [r.model_dump(by_alias=True, exclude_none=True)
                                        for r in candidate.safety_ratings]
    if response.model_version:
        kwargs["model_version"] = response.model_version
    if response.response_id:
        kwargs["response_id"] = response.response_id
    return kwargs


def raw_response(
    response: GenerateContentResponse, usage: dict[str, int] | None = None
) -> GenerateContentResponse:
    """``ChatResponse.raw``: the wire response itself (typed; ``.model_dump(by_alias=True, exclude_none=True)``
    gives its JSON), plus an extra ``usage`` field in the shape ``TokenCountingHandler`` reads
    (``dict(raw)["usage"]``). Set through ``__pydantic_extra__``: per streamed event, a dump or a validated
    ``setattr`` would cost more than the rest of the event's conversion."""
    usage = usage if usage is not None else usage_kwargs(response.usage_metadata)
    extra = response.__pydantic_extra__
    if extra is None:
        extra = response.__pydantic_extra__ = {}
    extra["usage"] = {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens") if k in usage}
    return response
