"""``countTokens`` with nothing to count, and with a system instruction, tools or a cache but no turn."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import cometgemini as cg
from cometgemini._types import Content, GenerateContentRequest, Part, Tool
from cometgemini.emulator import EmulatorServer

MODEL = "gemini-2.5-flash"


def recording() -> tuple[cg.CometGeminiClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"totalTokens": 5})

    transport = httpx.MockTransport(answer)
    client = cg.CometGeminiClient("k", http_client=httpx.Client(transport=transport),
                                  http_async_client=httpx.AsyncClient(transport=transport))
    return client, seen


async def test_nothing_to_count_is_zero_without_a_request() -> None:
    client, seen = recording()
    assert client.count_tokens(MODEL, []).total_tokens == 0
    assert client.count_tokens(MODEL, GenerateContentRequest(contents=[])).total_tokens == 0
    assert (await client.acount_tokens(MODEL, [])).total_tokens == 0
    assert seen == []


@pytest.mark.parametrize("request_fields", [
    {"system_instruction": Content(parts=[Part(text="Be brief.")])},
    {"tools": [Tool(google_search={})]},
    {"cached_content": "cachedContents/abc"},
])
def test_without_a_turn_an_empty_text_part_stands_in(request_fields: dict[str, Any]) -> None:
    """Google requires ``contents`` in a ``generateContentRequest`` even to count only the rest."""
    client, seen = recording()
    assert client.count_tokens(MODEL, GenerateContentRequest(contents=[], **request_fields)).total_tokens == 5
    [sent] = seen
    inner = httpx.Response(200, content=sent.content).json()["generateContentRequest"]
    assert inner["contents"] == [{"role": "user", "parts": [{"text": ""}]}]
    assert inner["model"] == f"models/{MODEL}"


def test_the_emulator_refuses_what_google_refuses(emulator: EmulatorServer) -> None:
    with httpx.Client(base_url=emulator.base_url, headers={"x-goog-api-key": "test-key"}) as http:
        url = f"/v1beta/models/{MODEL}:countTokens"
        assert http.post(url, json={}).status_code == 400
        assert http.post(url, json={"contents": []}).status_code == 400
        refused = http.post(url, json={"generateContentRequest": {
            "model": f"models/{MODEL}", "systemInstruction": {"parts": [{"text": "Be brief."}]}}})
        assert refused.status_code == 400 and "contents" in refused.json()["error"]["message"]
    client = cg.CometGeminiClient("test-key", base_url=emulator.base_url)
    system = Content(parts=[Part(text="Be brief and kind.")])
    alone = client.count_tokens(MODEL, GenerateContentRequest(contents=[], system_instruction=system))
    hi = [Content(role="user", parts=[Part(text="hi")])]
    both = client.count_tokens(MODEL, GenerateContentRequest(contents=hi, system_instruction=system))
    assert alone.total_tokens > 0 and alone.total_tokens + client.count_tokens(MODEL, hi).total_tokens == (
        both.total_tokens)
    client.close()
