"""SSE decoding under any chunking, error events, cut-off streams, and accumulation of recorded streams."""

from __future__ import annotations

import json
import random

import pytest

from cometgemini import APIConnectionError, MalformedResponseError, RateLimitError, StreamAccumulator
from cometgemini._streaming import SSEDecoder, StreamParser
from cometgemini._types import GenerateContentResponse
from tests._fixtures import fixture_names, fixture_path

SSE_FILES = fixture_names("streamGenerateContent_sse_*.sse")
JSONL_FILES = [n for n in fixture_names("streamGenerateContent_*.chunks.jsonl")]


def _sse_bytes(name: str) -> bytes:
    if name.endswith(".sse"):
        return fixture_path(name).read_bytes()
    lines = fixture_path(name).read_text(encoding="utf-8").splitlines()
    return b"".join(b"data: " + line.encode() + b"\r\n\r\n" for line in lines if line.strip())


def _decode(data: bytes, cuts: list[int]) -> list[bytes]:
    decoder = SSEDecoder()
    events: list[bytes] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        events.extend(decoder.feed(data[start:cut]))
        start = cut
    leftover = decoder.close()
    assert leftover is None
    return events


def _accumulate(data: bytes) -> GenerateContentResponse:
    decoder, parser, acc = SSEDecoder(), StreamParser(), StreamAccumulator()
    for payload in decoder.feed(data):
        acc.add(parser.parse(payload))
    parser.finish(decoder.close())
    return acc.result()


def test_sse_fixtures_present() -> None:
    assert len(SSE_FILES) >= 6 and len(JSONL_FILES) >= 3


@pytest.mark.parametrize("name", SSE_FILES + JSONL_FILES)
def test_every_recorded_stream_decodes_the_same_under_any_chunking(name: str) -> None:
    data = _sse_bytes(name)
    whole = _decode(data, [])
    assert whole and all(json.loads(e) for e in whole)
    rng = random.Random(name)
    for _ in range(25):
        cuts = rng.sample(range(1, len(data)), k=min(len(data) - 1, rng.randint(1, 40)))
        assert _decode(data, cuts) == whole
    assert _decode(data, list(range(1, len(data)))) == whole  # one byte at a time


EVENT_SHAPES = [
    b'data: {"a": 1}\r\n\r\n', b'data: {"b": 2}\n\n', b"data: \n\n", b'data:{"c": 3}\n\n',
    b'data: {"d":\ndata: 4}\n\n', b': keep-alive\n\n', b'event: x\r\ndata: {"e": 5}\r\n\r\n',
    b'data: {"f": 6}\n\r\n', b'data: {"g": 7}\r\r', b'data: {"h": 8}\n\ndata: {"i": 9}\n\n',
]


def test_one_event_per_chunk_decodes_as_byte_by_byte() -> None:
    """Whole events arriving one per network chunk (the decoder's shortcut) against the same bytes fed one at
    a time, in every order of the shapes above."""
    rng = random.Random(7)
    for _ in range(200):
        chunks = rng.choices(EVENT_SHAPES, k=rng.randint(1, 8))
        decoder = SSEDecoder()
        by_chunk = [event for chunk in chunks for event in decoder.feed(chunk)]
        data = b"".join(chunks)
        assert by_chunk == _decode(data, list(range(1, len(data)))), chunks


def test_lf_cr_and_crlf_line_ends_and_multiline_data() -> None:
    data = b'data: {"a":\ndata: 1}\n\n: comment\rdata: {"b": 2}\r\rid: 7\r\nevent: x\r\ndata: {"c": 3}\r\n\r\n'
    assert [json.loads(e) for e in _decode(data, [])] == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [json.loads(e) for e in _decode(data, [5, 19, 30, 31, 50])] == [{"a": 1}, {"b": 2}, {"c": 3}]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"x": 1}\r') == []
    assert decoder.feed(b"\n\r") == [b'{"x": 1}']
    assert decoder.feed(b"\ndata: 2\r\n\r\n") == [b"2"]


def test_multibyte_character_split_across_chunks() -> None:
    payload = '{"candidates":[{"content":{"parts":[{"text":"€ and 漢字"}]},"finishReason":"STOP"}]}'.encode()
    data = b"data: " + payload + b"\r\n\r\n"
    euro = data.index("€".encode())
    events = _decode(data, [euro + 1, euro + 2])
    chunk = StreamParser().parse(events[0])
    assert chunk.text == "€ and 漢字"


def test_text_fixture_accumulates_to_the_whole_answer_with_last_usage() -> None:
    data = _sse_bytes("streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse")
    events = [json.loads(e) for e in _decode(data, [])]
    result = _accumulate(data)
    expected_text = "".join(p.get("text", "") for e in events for c in e.get("candidates", [])
                            for p in c["content"].get("parts", []))
    assert result.text == expected_text
    assert result.usage_metadata is not None
    assert result.usage_metadata.model_dump(by_alias=True, exclude_unset=True) == events[-1]["usageMetadata"]
    assert result.candidates[0].finish_reason == "STOP"
    assert len(result.candidates[0].content.parts) == 1  # deltas merged into one part


def test_thoughts_stay_apart_and_the_signature_stays_on_its_part() -> None:
    data = _sse_bytes("streamGenerateContent_sse_thought_parts_gemini-2.5-pro.sse")
    events = [json.loads(e) for e in _decode(data, [])]
    signed = [p for e in events for p in e["candidates"][0]["content"]["parts"] if "thoughtSignature" in p]
    result = _accumulate(data)
    parts = result.candidates[0].content.parts
    assert parts[0].thought is True
    assert [p.thought_signature for p in parts if p.thought_signature] == [s["thoughtSignature"] for s in signed]
    signed_part = next(p for p in parts if p.thought_signature)
    assert signed_part.text == signed[0]["text"]  # a signed part is never merged with other text
    assert result.text.startswith(signed[0]["text"])
    assert not any(p.thought for p in parts[parts.index(signed_part):])


def test_trailing_empty_part_keeps_its_signature() -> None:
    data = _sse_bytes("streamGenerateContent_reasoning_empty_text_thoughtSignature_gemini-3-pro-preview.chunks.jsonl")
    result = _accumulate(data)
    parts = result.candidates[0].content.parts
    assert parts[-1].text == "" and parts[-1].thought_signature
    assert result.text.startswith("There are **3**")


def test_function_call_stream_keeps_call_and_signature() -> None:
    data = _sse_bytes("streamGenerateContent_sse_functionCall_thoughtSignature_turn1_gemini-3-pro-preview.sse")
    result = _accumulate(data)
    calls = [p for p in result.candidates[0].content.parts if p.function_call]
    assert calls and calls[0].thought_signature and calls[0].function_call is not None
    assert calls[0].function_call.name


def test_grounding_comes_from_the_last_event() -> None:
    data = _sse_bytes("streamGenerateContent_sse_googleSearch_groundingMetadata_gemini-2.5-pro.sse")
    events = [json.loads(e) for e in _decode(data, [])]
    result = _accumulate(data)
    grounding = result.candidates[0].grounding_metadata
    assert grounding is not None and grounding.grounding_chunks
    assert grounding.model_dump(by_alias=True, exclude_unset=True) == events[-1]["candidates"][0]["groundingMetadata"]


def test_blocked_stream_is_a_final_event() -> None:
    data = _sse_bytes("streamGenerateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash"
                      ".chunks.jsonl")
    result = _accumulate(data)
    assert result.prompt_feedback is not None and result.prompt_feedback.block_reason == "PROHIBITED_CONTENT"


def test_stream_cut_before_the_final_event_is_an_error() -> None:
    data = _sse_bytes("streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse")
    last = data.rstrip(b"\r\n").rfind(b"data: ")
    decoder, parser = SSEDecoder(), StreamParser()
    for payload in decoder.feed(data[:last]):
        parser.parse(payload)
    with pytest.raises(APIConnectionError, match="without its final event"):
        parser.finish(decoder.close())


def test_stream_cut_in_the_middle_of_an_event_is_an_error() -> None:
    data = _sse_bytes("streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse")
    decoder, parser = SSEDecoder(), StreamParser()
    for payload in decoder.feed(data[: len(data) - 40]):
        parser.parse(payload)
    with pytest.raises(APIConnectionError, match="cut off"):
        parser.finish(decoder.close())


def test_error_event_is_raised_as_its_typed_error() -> None:
    payload = json.dumps({"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}).encode()
    with pytest.raises(RateLimitError, match="slow down"):
        StreamParser().parse(payload)


def test_malformed_event_is_a_typed_error() -> None:
    with pytest.raises(MalformedResponseError, match="event 1"):
        StreamParser().parse(b"{not json")
