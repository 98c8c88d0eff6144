"""The SSE decoder and the accumulator, fed every recorded stream cut at random byte positions (the cut lists
drawn by hypothesis), give exactly what they give for the stream in one piece; a stream cut short is an
error, never a shorter answer; CR, LF and CRLF framings read alike; a multibyte character split anywhere is
reassembled."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cometgemini import APIConnectionError, MalformedResponseError, StreamAccumulator
from cometgemini._exceptions import APIStatusError
from cometgemini._streaming import SSEDecoder, StreamParser
from tests._fixtures import fixture_names, fixture_path

STREAMS = fixture_names("*.sse") + fixture_names("*.chunks.jsonl")
CUTS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stream_bytes(name: str) -> bytes:
    raw = fixture_path(name).read_bytes()
    if name.endswith(".sse"):
        return raw
    lines = [line for line in raw.splitlines() if line.strip()]
    return b"".join(b"data: " + line + b"\r\n\r\n" for line in lines)


def pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def outcome(chunks: list[bytes]) -> tuple[Any, ...]:
    """``read``'s result, or the error it raised (type and message), for comparing runs."""
    try:
        return read(chunks)
    except (APIConnectionError, MalformedResponseError, APIStatusError) as exc:
        return type(exc).__name__, str(exc)


def read(chunks: list[bytes]) -> tuple[list[bytes], dict[str, Any]]:
    """Payloads and the accumulated response (as a dict); raises what a cut-off stream raises."""
    decoder, parser, acc = SSEDecoder(), StreamParser(), StreamAccumulator()
    payloads: list[bytes] = []
    for chunk in chunks:
        for payload in decoder.feed(chunk):
            payloads.append(payload)
            acc.add(parser.parse(payload))
    leftover = decoder.close()
    last = parser.finish(leftover)
    if last is not None:
        payloads.append(leftover or b"")
        acc.add(last)
    return payloads, acc.result().model_dump(exclude_none=True)


@pytest.fixture(scope="module", params=STREAMS)
def recorded(request: pytest.FixtureRequest) -> tuple[bytes, tuple[Any, ...]]:
    data = stream_bytes(request.param)
    whole = outcome([data])
    if request.param.startswith("VERTEX_"):
        # Vertex-only argument streaming (functionCall parts without a name) is not the Gemini API: a
        # MalformedResponseError naming the event, the same wherever the stream is cut
        assert whole[0] == "MalformedResponseError" and "stream event 4" in whole[1], whole
    else:
        payloads, result = whole
        assert payloads and (result["candidates"] or result.get("prompt_feedback"))
    return data, whole


def test_every_recorded_stream_is_covered() -> None:
    assert len(STREAMS) >= 10, STREAMS


@CUTS
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40))
def test_cut_anywhere_same_result(recorded: tuple[bytes, tuple[Any, ...]], cuts: list[int]) -> None:
    data, whole = recorded
    assert outcome(pieces(data, cuts)) == whole


@CUTS
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=20),
       line_end=st.sampled_from([b"\n", b"\r", b"\r\n"]))
def test_any_line_ending(recorded: tuple[bytes, tuple[Any, ...]], cuts: list[int], line_end: bytes) -> None:
    data, whole = recorded
    relined = line_end.join(data.replace(b"\r\n", b"\n").split(b"\n"))
    assert outcome(pieces(relined, cuts)) == whole


@CUTS
@given(cut=st.integers(min_value=0, max_value=1 << 20), cuts=st.lists(st.integers(0, 1 << 20), max_size=10))
def test_a_stream_cut_short_is_an_error_or_complete(recorded: tuple[bytes, tuple[Any, ...]], cut: int,
                                                    cuts: list[int]) -> None:
    """A prefix of the stream: either it holds the final event (then the answer is the whole answer) or
    reading it raises; it never yields a shorter answer quietly."""
    data, whole = recorded
    prefix = data[: cut % (len(data) + 1)]
    try:
        partial = read(pieces(prefix, cuts))
    except (APIConnectionError, MalformedResponseError):
        return
    assert partial[1] == whole[1]


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"])
def test_multibyte_characters_split_at_every_byte(line_end: bytes) -> None:
    texts = ["€uro ", "日本語 ", "🚀🧪 ", "naïve"]
    events = [b'{"candidates":[{"content":{"parts":[{"text":"' + t.encode() + b'"}]},"index":0}]}' for t in texts]
    events[-1] = events[-1].replace(b'"index":0', b'"index":0,"finishReason":"STOP"')
    data = b"".join(b"data: " + e + line_end + line_end for e in events)
    whole = read([data])
    assert whole[1]["candidates"][0]["content"]["parts"][0]["text"] == "".join(texts)
    for i in range(len(data) + 1):
        assert read([data[:i], data[i:]]) == whole, i
    assert read([bytes([b]) for b in data]) == whole


def test_multi_line_data_fields_are_joined() -> None:
    data = b'data: {"candidates":[{"content":{"parts":[{"text":"a"}]},\r\ndata: "finishReason":"STOP"}]}\r\n\r\n'
    _, result = read([data])
    assert result["candidates"][0]["finish_reason"] == "STOP"


def test_comments_and_other_fields_are_ignored() -> None:
    data = (b": keep-alive\r\nevent: message\r\nid: 1\r\nretry: 10\r\n"
            b'data: {"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}]}\r\n\r\n')
    _, result = read([data])
    assert result["candidates"][0]["content"]["parts"][0]["text"] == "a"


def test_an_error_event_is_raised_typed() -> None:
    data = (b'data: {"candidates":[{"content":{"parts":[{"text":"a"}]}}]}\r\n\r\n'
            b'data: {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}\r\n\r\n')
    with pytest.raises(APIStatusError) as info:
        read([data])
    assert info.value.status_code == 503
