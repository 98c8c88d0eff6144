"""Built-in tools with functions in one request, as Google answers it: the flag is required, the answer holds
signed ``toolCall`` / ``toolResponse`` parts next to the calls, and the next turn must send them back unchanged
(checked in strict-signature mode)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cometgemini.emulator import serve

from .conftest import check_response, check_stream, generate, stream, user

MODEL = "gemini-3-flash-preview"
WEATHER = {"name": "get_weather", "parametersJsonSchema": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
TOOLS = [{"googleSearch": {}}, {"functionDeclarations": [WEATHER]}]
FLAG = {"includeServerSideToolInvocations": True}
GOOGLE_MESSAGE = ("Please enable tool_config.include_server_side_tool_invocations to use Built-in tools with "
                  "Function calling.")


@pytest.fixture(scope="module")
def strict_client() -> Iterator[httpx.Client]:
    with serve(strict_signatures=True) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


def _parts(data: dict[str, Any]) -> list[dict[str, Any]]:
    return list(data["candidates"][0]["content"]["parts"])


def _kinds(parts: list[dict[str, Any]]) -> list[str]:
    return [next(k for k in ("functionCall", "toolCall", "toolResponse", "text") if k in p) for p in parts]


def _turn(prompt: str, tools: list[dict[str, Any]] = TOOLS) -> dict[str, Any]:
    return {"contents": [user(prompt)], "tools": tools, "toolConfig": FLAG}


def _answered(body: dict[str, Any], model_parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The next request: the model turn as given, then the result of every call in it."""
    calls = [p["functionCall"] for p in model_parts if "functionCall" in p]
    results = [{"functionResponse": {"name": c["name"], "id": c["id"], "response": {"result": "sunny"}}}
               for c in calls]
    return {**body, "contents": [*body["contents"], {"role": "model", "parts": model_parts},
                                 {"role": "user", "parts": results}]}


@pytest.mark.parametrize("built_in", ["googleSearch", "google_search", "urlContext", "codeExecution", "googleMaps"])
def test_built_in_with_functions_without_the_flag_is_googles_400(client: httpx.Client, built_in: str) -> None:
    body = {"contents": [user("Weather in Paris?")], "tools": [{built_in: {}}, {"functionDeclarations": [WEATHER]}]}
    for response in (generate(client, MODEL, body),
                     client.post(f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse", json=body)):
        assert response.status_code == 400
        assert response.json()["error"] == {"code": 400, "message": GOOGLE_MESSAGE, "status": "INVALID_ARGUMENT"}
    assert generate(client, MODEL, {**body, "toolConfig": FLAG}).status_code == 200


def test_snake_case_flag_is_read(client: httpx.Client) -> None:
    body = {"contents": [user("hi")], "tools": TOOLS,
            "tool_config": {"include_server_side_tool_invocations": True}}
    assert generate(client, MODEL, body).status_code == 200


def test_a_model_that_cannot_combine_is_refused(client: httpx.Client) -> None:
    response = generate(client, "gemini-2.5-flash", _turn("Weather in Paris?"))
    assert response.status_code == 400 and "Gemini 3" in response.json()["error"]["message"]


def test_calls_then_a_search_step_then_a_grounded_answer(strict_client: httpx.Client) -> None:
    body = _turn("Call get_weather for Paris. Also search the web for news about Paris.")
    first = generate(strict_client, MODEL, body).json()
    check_response(first)
    parts = _parts(first)
    assert _kinds(parts) == ["functionCall", "toolCall", "toolResponse"]  # the recorded order
    assert all(p.get("thoughtSignature") for p in parts)
    call, response = parts[1]["toolCall"], parts[2]["toolResponse"]
    assert call["toolType"] == response["toolType"] == "GOOGLE_SEARCH_WEB" and call["id"] == response["id"]
    assert call["args"]["queries"] and "search_suggestions" in response["response"]
    second = generate(strict_client, MODEL, _answered(body, parts))
    assert second.status_code == 200, second.text
    assert _kinds(_parts(second.json())) == ["text"]  # searched already in this turn
    assert second.json()["candidates"][0]["groundingMetadata"]["groundingChunks"]


def test_a_text_answer_searches_first(client: httpx.Client) -> None:
    data = generate(client, MODEL, _turn("What happened in Tokyo today?")).json()
    assert _kinds(_parts(data)) == ["toolCall", "toolResponse", "text"]
    assert data["candidates"][0]["groundingMetadata"]["webSearchQueries"]
    only_search = generate(client, MODEL, _turn("What happened in Tokyo today?", [{"googleSearch": {}}])).json()
    assert _kinds(_parts(only_search)) == ["toolCall", "toolResponse", "text"]
    no_flag = generate(client, MODEL, {"contents": [user("What happened in Tokyo today?")],
                                       "tools": [{"googleSearch": {}}]}).json()
    assert _kinds(_parts(no_flag)) == ["text"]  # without the flag the steps stay hidden, as before


def test_the_stream_carries_the_same_steps(client: httpx.Client) -> None:
    body = _turn("What happened in Tokyo today?")
    events = stream(client, MODEL, body)
    check_stream(events)
    streamed = [p for e in events for p in e["candidates"][0]["content"].get("parts", [])]
    whole = _parts(generate(client, MODEL, body).json())
    assert [p for p in streamed if "toolCall" in p or "toolResponse" in p] == whole[:2]
    assert streamed[-1]["text"] == "" and streamed[-1]["thoughtSignature"]


def test_the_echo_must_be_complete_and_unchanged_in_strict_mode(strict_client: httpx.Client) -> None:
    body = _turn("Call get_weather for Paris and search for it.")
    parts = _parts(generate(strict_client, MODEL, body).json())
    assert _kinds(parts) == ["functionCall", "toolCall", "toolResponse"]

    def status(model_parts: list[dict[str, Any]]) -> int:
        return generate(strict_client, MODEL, _answered(body, model_parts)).status_code

    assert status(parts) == 200
    snake = copy.deepcopy(parts)
    for part in snake[1:]:  # the recorded turn 2 sends tool_type in snake_case: same step
        step = part.get("toolCall") or part["toolResponse"]
        step["tool_type"] = step.pop("toolType")
    assert status(snake) == 200
    assert status(parts[:1]) == 400  # steps dropped: the call's signature no longer matches
    assert status(parts[:2]) == 400  # a toolCall without its toolResponse
    assert status([parts[0], parts[2], parts[1]]) == 400  # response before its call
    changed = copy.deepcopy(parts)
    changed[1]["toolCall"]["args"]["queries"] = ["something else"]
    assert status(changed) == 400
    unsigned = copy.deepcopy(parts)
    del unsigned[2]["thoughtSignature"]
    assert status(unsigned) == 200  # as with text parts, a missing signature is not checked; a wrong one is


def test_media_processing_steps_cannot_be_replayed(client: httpx.Client) -> None:
    media = {"toolCall": {"id": "m1", "toolType": "MEDIA_PROCESSING", "args": {}}}
    body = {"contents": [user("Describe the video."), {"role": "model", "parts": [media, {"text": "ok"}]},
                         user("And now?")], "tools": [{"googleSearch": {}}], "toolConfig": FLAG}
    response = generate(client, MODEL, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Tool type of tool_call part does not match with tool call context"


def test_code_execution_parts_get_a_shared_id_with_the_flag(client: httpx.Client) -> None:
    tools = [{"codeExecution": {}}, {"functionDeclarations": [WEATHER]}]
    parts = _parts(generate(client, MODEL, _turn("Compute 12*7 with code.", tools)).json())
    code = next(p["executableCode"] for p in parts if "executableCode" in p)
    result = next(p["codeExecutionResult"] for p in parts if "codeExecutionResult" in p)
    assert code["id"] and code["id"] == result["id"]
