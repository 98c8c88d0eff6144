"""Property: however a Gemini answer is cut into stream events, the message we build (streamed and merged,
or from one ``generateContent``), saved to JSON and sent back, replays exactly the parts the core's
``StreamAccumulator`` keeps: same text, same thought parts, every signature on the part it came on."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, messages_from_dict, messages_to_dict

from cometgemini._streaming import StreamAccumulator
from cometgemini._types import GenerateContentResponse, to_wire
from langchain_cometgemini._messages import StreamConverter, chat_result, to_contents

words = st.text(alphabet="ab €\n", max_size=6)
sigs = st.one_of(st.none(), st.from_regex(r"(?:[A-Za-z0-9+/]{4}){1,2}", fullmatch=True))  # valid base64


def part(text: str, sig: str | None, thought: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"text": text}
    if thought:
        out["thought"] = True
    if sig:
        out["thoughtSignature"] = sig
    return out


@st.composite
def answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Parts in the order Gemini sends them: thoughts, answer text, calls, a trailing empty signed part."""
    parts = [part(draw(words), draw(sigs), thought=True) for _ in range(draw(st.integers(0, 3)))]
    parts += [part(draw(words), draw(sigs)) for _ in range(draw(st.integers(0, 4)))]
    for i in range(draw(st.integers(0, 3))):
        call: dict[str, Any] = {"functionCall": {"name": f"f{i}", "args": {"n": i}, "id": f"id{i}"}}
        if i == 0 and draw(st.booleans()):
            call["thoughtSignature"] = draw(sigs.filter(bool))
        parts.append(call)
    if draw(st.booleans()):
        parts.append(part("", draw(sigs.filter(bool))))
    return parts


def events(parts: list[dict[str, Any]], cuts: list[int]) -> list[GenerateContentResponse]:
    bounds = sorted({0, len(parts), *[c % (len(parts) + 1) for c in cuts]})
    chunks = [parts[a:b] for a, b in itertools.pairwise(bounds)] or [[]]
    out = []
    for i, chunk in enumerate(chunks):
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": chunk}}
        if i == len(chunks) - 1:
            candidate["finishReason"] = "STOP"
        out.append(GenerateContentResponse.model_validate(
            {"candidates": [candidate], "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3 + i}}))
    return out


def replayed(message: Any) -> list[dict[str, Any]]:
    restored = messages_from_dict(json.loads(json.dumps(messages_to_dict([HumanMessage("q"), message]))))
    _, contents = to_contents(restored)
    return [to_wire(p) for p in contents[1].parts] if len(contents) > 1 else []


@settings(max_examples=300, deadline=None)
@given(answers(), st.lists(st.integers(0, 20), max_size=4))
def test_replay_matches_the_accumulated_parts(parts: list[dict[str, Any]], cuts: list[int]) -> None:
    stream = events(parts, cuts)
    accumulator = StreamAccumulator()
    converter = StreamConverter("gemini-3-flash-preview")
    merged: Any = None
    for event in stream:
        accumulator.add(event)
        chunk = converter.convert(event).message
        merged = chunk if merged is None else merged + chunk
    expected = [to_wire(p) for p in accumulator.result().candidates[0].content.parts]
    assert replayed(merged) == expected
    single = chat_result(accumulator.result(), "gemini-3-flash-preview").generations[0].message
    assert replayed(single) == expected
    assert merged.usage_metadata["total_tokens"] == 3 + len(stream) - 1
