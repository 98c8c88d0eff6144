"""``[[continue:N]]``: the emulator ends an answer in ``CONTINUATION`` N times, and the client follows the hops."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest

from cometgemini import CometGeminiClient, StreamAccumulator
from cometgemini.emulator import EmulatorServer

from .conftest import check_response, check_stream, generate, stream, user

LONG = {"contents": [user("Count for me [[words:30]] [[continue:2]]")]}


def _text(data: dict[str, Any]) -> str:
    return "".join(p.get("text", "") for p in data["candidates"][0]["content"].get("parts", [])
                   if not p.get("thought"))


def test_hops_over_raw_http(client: httpx.Client) -> None:
    texts, prompts, body = [], [], dict(LONG)
    for hop in range(3):
        data = generate(client, "gemini-2.5-flash", body).json()
        check_response(data)
        candidate = data["candidates"][0]
        texts.append(_text(data))
        prompts.append(data["usageMetadata"]["promptTokenCount"])
        if hop < 2:
            assert candidate["finishReason"] == "CONTINUATION" and candidate["continuationToken"]
            body = dict(LONG, continuationToken=candidate["continuationToken"])
        else:
            assert candidate["finishReason"] == "STOP" and "continuationToken" not in candidate
    assert len("".join(texts).split()) == 30 and all(t.strip() for t in texts)
    assert prompts[0] < prompts[1] < prompts[2]  # each hop re-reads what came before
    assert "thoughtsTokenCount" in generate(client, "gemini-2.5-flash", LONG).json()["usageMetadata"]


def test_hops_over_raw_sse_with_gemini_3_signatures(client: httpx.Client) -> None:
    events = stream(client, "gemini-3-flash-preview", LONG)
    check_stream(events)
    last = events[-1]["candidates"][0]
    assert last["finishReason"] == "CONTINUATION" and last["continuationToken"]
    signed = [p for e in events for p in e["candidates"][0]["content"].get("parts", []) if p.get("thoughtSignature")]
    assert signed
    nxt = stream(client, "gemini-3-flash-preview", dict(LONG, continuationToken=last["continuationToken"]))
    check_stream(nxt)
    assert nxt[-1]["candidates"][0]["finishReason"] == "CONTINUATION"


@pytest.mark.parametrize("token", ["bm9wZQ", "MTpkZWFkYmVlZg", "not base64 !"])
def test_a_made_up_token_is_refused(client: httpx.Client, token: str) -> None:
    response = generate(client, "gemini-2.5-flash", dict(LONG, continuationToken=token))
    assert response.status_code == 400 and response.json()["error"]["message"] == "Invalid continuation token."


def test_a_token_only_continues_its_own_request(client: httpx.Client) -> None:
    token = generate(client, "gemini-2.5-flash", LONG).json()["candidates"][0]["continuationToken"]
    other = {"contents": [user("Something else [[words:30]] [[continue:2]]")], "continuationToken": token}
    assert generate(client, "gemini-2.5-flash", other).status_code == 400


async def test_the_client_follows_the_hops(emu: EmulatorServer) -> None:
    client = CometGeminiClient(base_url=emu.base_url)
    whole = client.generate("gemini-3-flash-preview", LONG)
    assert len(whole.text.split()) == 30 and whole.candidates[0].finish_reason == "STOP"
    assert sum(bool(p.thought_signature) for p in whole.candidates[0].content.parts) == 3
    streamed = StreamAccumulator()
    for chunk in client.stream("gemini-3-flash-preview", LONG):
        streamed.add(chunk)
    assert streamed.result().text == whole.text
    assert streamed.result().usage_metadata == whole.usage_metadata
    awaited = await client.agenerate("gemini-3-flash-preview", LONG)
    assert awaited.text == whole.text and awaited.usage_metadata == whole.usage_metadata
    chunks = [c async for c in client.astream("gemini-3-flash-preview", LONG)]
    assert "".join(c.text for c in chunks) == whole.text


def test_a_pickled_client_keeps_its_bound(emu: EmulatorServer) -> None:
    client = pickle.loads(pickle.dumps(CometGeminiClient(base_url=emu.base_url, max_continuations=1)))
    answer = client.generate("gemini-2.5-flash", LONG)
    assert answer.candidates[0].finish_reason == "CONTINUATION" and answer.candidates[0].continuation_token
    assert 0 < len(answer.text.split()) < 30
