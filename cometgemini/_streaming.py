"""Server-sent events without I/O: bytes in, GenerateContentResponse chunks out, and their accumulation.

``SSEDecoder`` works on bytes, not text. Line ends (CR, LF, CRLF) are single bytes that never occur inside a
UTF-8 multibyte sequence, so a character split across two network chunks is reassembled for free, and each
event's JSON goes to pydantic as bytes without a decode step. A CRLF split across chunks is handled too.

``StreamParser`` turns event payloads into responses, raises an ``{"error": ...}`` event as the typed error,
and refuses a stream that ends before its final event (no ``finishReason`` and no ``blockReason``):
a partial stream is never passed off as complete.

``StreamAccumulator`` folds chunks into one response as the protocol requires: every part kept (consecutive
text deltas merged only where neither side carries a ``thoughtSignature``, so each signature stays on the
part it came on), the last usage snapshot, grounding and finish data from the last event that has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ._exceptions import APIConnectionError, MalformedResponseError, error_from_payload
from ._types import (
    Candidate,
    CitationMetadata,
    Content,
    GenerateContentResponse,
    Part,
)

__all__ = ["SSEDecoder", "StreamAccumulator", "StreamParser", "is_final_chunk", "only_text"]

_LINE_END = (b"\n", b"\r")
_ONE_EVENT_END = (b"\n\n", b"\r\n\r\n")


class SSEDecoder:
    """Incremental SSE framing: ``feed(bytes)`` returns the ``data`` payloads of the events it completed."""

    __slots__ = ("_data", "_pending", "_skip_lf", "head")

    def __init__(self) -> None:
        self._pending: list[bytes] = []  # an unfinished line, in pieces (no quadratic re-joining)
        self._data: list[bytes] = []  # data lines of the event being read
        self._skip_lf = False  # the last chunk ended in CR: a leading LF belongs to it
        self.head = b""
        """The first bytes of the body, to say what came instead of events."""

    def feed(self, chunk: bytes) -> list[bytes]:
        if len(self.head) < 200:
            self.head += chunk[: 200 - len(self.head)]
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = False
        if not chunk:
            return []
        if not self._pending and not self._data and chunk.startswith(b"data: ") and chunk.endswith(_ONE_EVENT_END):
            # the usual network chunk: exactly one event with one data line (checked, not assumed)
            payload = chunk[6:].rstrip(b"\r\n")
            if b"\n" not in payload and b"\r" not in payload and chunk[6 + len(payload):] in _ONE_EVENT_END:
                return [payload]
        if b"\n" not in chunk and b"\r" not in chunk:
            self._pending.append(chunk)
            return []
        if self._pending:
            self._pending.append(chunk)
            chunk = b"".join(self._pending)
            self._pending = []
        lines = chunk.splitlines(keepends=True)
        if not lines[-1].endswith(_LINE_END):
            self._pending.append(lines.pop())
        self._skip_lf = chunk.endswith(b"\r")
        events: list[bytes] = []
        for line in lines:
            self._line(line.rstrip(b"\r\n"), events)
        return events

    def _line(self, line: bytes, events: list[bytes]) -> None:
        if not line:
            if self._data:
                events.append(b"\n".join(self._data))
                self._data = []
            return
        name, _, value = line.partition(b":")
        if name == b"data":
            self._data.append(value[1:] if value[:1] == b" " else value)
        # comments (":..."), event:, id: and retry: carry nothing we use

    def close(self) -> bytes | None:
        """At end of stream: the payload of an event left without its closing blank line, if any."""
        if self._pending:
            self._line(b"".join(self._pending).rstrip(b"\r\n"), [])
            self._pending = []
        data, self._data = self._data, []
        return b"\n".join(data) if data else None


def is_final_chunk(chunk: GenerateContentResponse) -> bool:
    """True for the event that ends a stream: a finish reason, or a blocked prompt."""
    if chunk.prompt_feedback is not None and chunk.prompt_feedback.block_reason:
        return True
    return any(c.finish_reason for c in chunk.candidates)


@dataclass
class StreamParser:
    """Event payloads to responses; raises error events, malformed events and cut-off streams."""

    finished: bool = False
    events: int = 0

    def parse(self, payload: bytes) -> GenerateContentResponse:
        if payload.startswith(b'{"error"') or b'"error"' in payload[:64]:
            self._raise_if_error(payload)
        try:
            chunk = GenerateContentResponse.model_validate_json(payload)
        except ValidationError as exc:
            snippet = payload[:200].decode("utf-8", "replace")
            raise MalformedResponseError(
                f"stream event {self.events + 1} is not a valid GenerateContentResponse: {snippet!r}"
            ) from exc
        self.events += 1
        if is_final_chunk(chunk):
            self.finished = True
        return chunk

    @staticmethod
    def _raise_if_error(payload: bytes) -> None:
        import json

        try:
            data = json.loads(payload)
        except ValueError:
            return
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            code = data["error"].get("code")
            raise error_from_payload(code if isinstance(code, int) else 500, data)

    def finish(self, leftover: bytes | None, head: bytes = b"") -> GenerateContentResponse | None:
        """Call at end of stream with ``SSEDecoder.close()`` (and its ``head``); raises if the final event
        never came, or if the body was not an event stream at all."""
        if self.events == 0 and leftover is None and head.strip():
            snippet = " ".join(head.decode("utf-8", "replace").split())
            raise MalformedResponseError(
                f"the server answered 200 with something that is not an event stream: {snippet!r}. "
                "Check base_url: it must serve the Gemini native API."
            )
        chunk = None
        if leftover is not None:
            try:
                chunk = self.parse(leftover)
            except MalformedResponseError as exc:
                raise APIConnectionError("the stream was cut off in the middle of an event") from exc
        if not self.finished:
            raise APIConnectionError(
                f"the stream ended after {self.events} event(s) without its final event "
                "(no finishReason): the answer is incomplete"
            )
        return chunk


_FINISH_FIELDS = ("finish_reason", "finish_message", "safety_ratings", "grounding_metadata",
                  "url_context_metadata", "avg_logprobs", "logprobs_result", "token_count", "continuation_token")


@dataclass
class _TextRun:
    """Consecutive signature-free text deltas of one kind (thought or answer), joined once at the end."""

    thought: bool
    pieces: list[str]

    def part(self) -> Part:
        return Part(text="".join(self.pieces), thought=True if self.thought else None)


@dataclass
class _CandidateBuilder:
    index: int
    parts: list[Part | _TextRun] = field(default_factory=list)
    finish: dict[str, Any] = field(default_factory=dict)
    citations: list[Any] = field(default_factory=list)

    def add(self, candidate: Candidate) -> None:
        for part in candidate.content.parts:
            self._add_part(part)
        for name in _FINISH_FIELDS:
            value = getattr(candidate, name)
            if value is not None and not _is_empty_grounding(name, value):
                self.finish[name] = value
        if candidate.citation_metadata is not None:
            self.citations.extend(candidate.citation_metadata.citation_sources)

    def _add_part(self, part: Part) -> None:
        if part.text is None or part.thought_signature is not None or not only_text(part):
            self.parts.append(part)  # signed or non-text parts stay exactly as they came
            return
        thought = bool(part.thought)
        last = self.parts[-1] if self.parts else None
        if isinstance(last, _TextRun) and last.thought == thought:
            last.pieces.append(part.text)
        elif part.text:  # an empty delta with no signature carries nothing
            self.parts.append(_TextRun(thought, [part.text]))

    def build(self) -> Candidate:
        parts = [p.part() if isinstance(p, _TextRun) else p for p in self.parts]
        candidate = Candidate(content=Content(role="model", parts=parts), index=self.index, **self.finish)
        if self.citations:
            candidate.citation_metadata = CitationMetadata(citation_sources=self.citations)
        return candidate


_NON_TEXT = ("inline_data", "file_data", "function_call", "function_response", "executable_code",
             "code_execution_result", "tool_call", "tool_response", "video_metadata", "part_metadata")
_NON_TEXT_SET = frozenset(_NON_TEXT)


def only_text(part: Part) -> bool:
    """No data beside ``text`` (and its metadata ``thought``, ``thought_signature``): no call, media, code or
    unknown field."""
    if part.model_extra:
        return False
    if _NON_TEXT_SET.isdisjoint(part.model_fields_set):  # a parsed delta: one set lookup, not eight getattrs
        return True
    return all(getattr(part, name) is None for name in _NON_TEXT)


def _is_empty_grounding(name: str, value: Any) -> bool:
    # intermediate stream events carry "groundingMetadata": {}; only the last one is complete
    return name == "grounding_metadata" and not value.model_dump(exclude_none=True)


class StreamAccumulator:
    """Folds streamed chunks into the one response a non-streaming call would have returned."""

    def __init__(self) -> None:
        self._candidates: dict[int, _CandidateBuilder] = {}
        self._last: GenerateContentResponse | None = None
        self._prompt_feedback: Any = None

    def add(self, chunk: GenerateContentResponse) -> None:
        self._last = chunk
        if chunk.prompt_feedback is not None:
            self._prompt_feedback = chunk.prompt_feedback
        for candidate in chunk.candidates:
            builder = self._candidates.get(candidate.index)
            if builder is None:
                builder = self._candidates[candidate.index] = _CandidateBuilder(candidate.index)
            builder.add(candidate)

    def result(self) -> GenerateContentResponse:
        last = self._last or GenerateContentResponse()
        return GenerateContentResponse(
            candidates=[self._candidates[i].build() for i in sorted(self._candidates)],
            prompt_feedback=self._prompt_feedback,
            usage_metadata=last.usage_metadata,
            model_version=last.model_version,
            response_id=last.response_id,
        )

