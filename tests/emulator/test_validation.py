"""Strict validation: each bad request gets 400 INVALID_ARGUMENT with the recorded (or documented) message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import generate, user

_FN = {"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}


def _error(response: httpx.Response, code: int = 400) -> str:
    assert response.status_code == code, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["status"] == {400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}[code]
    assert response.text.startswith('{\n  "error": {\n    "code"')
    return str(body["error"]["message"])


@pytest.mark.parametrize(("body", "message"), [
    ({"contents": [user("hi")], "foo": 1}, 'Unknown name "foo": Cannot find field.'),
    ({"contents": [user("hi")], "generationConfig": {"temprature": 1}},
     "Unknown name \"temprature\" at 'generation_config': Cannot find field."),
    ({"contents": [{"role": "user", "parts": [{"txt": "hi"}]}]},
     "Unknown name \"txt\" at 'contents[0].parts[0]': Cannot find field."),
    ({"contents": [user("hi")], "tools": [{"functionDeclarations": [{"name": "f", "bogus": {}}]}]},
     "Unknown name \"bogus\" at 'tools[0].function_declarations[0]'"),
    ({"contents": []}, "contents is not specified"),
])
def test_unknown_fields_and_missing_contents(client: httpx.Client, body: dict[str, Any], message: str) -> None:
    assert message in _error(generate(client, "gemini-2.5-flash", body))


def test_snake_case_accepted(client: httpx.Client) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "system_instruction": {"parts": [{"text": "Be brief"}]},
            "generation_config": {"max_output_tokens": 50, "thinking_config": {"include_thoughts": True}},
            "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object"}}]}],
            "tool_config": {"function_calling_config": {"mode": "AUTO"}}}
    response = generate(client, "gemini-2.5-flash", body)
    assert response.status_code == 200, response.text
    assert "Be brief" in response.json()["candidates"][0]["content"]["parts"][-1]["text"]


def _with(**gen: Any) -> dict[str, Any]:
    return {"contents": [user("hi")], "generationConfig": gen}


@pytest.mark.parametrize(("model", "body", "message"), [
    ("gemini-2.5-flash", {"contents": [user("x")], "tools": [{"functionDeclarations": [
        dict(_FN, parametersJsonSchema={"type": "object"})]}]}, "parameters and parameters_json_schema"),
    ("gemini-2.5-flash", _with(responseMimeType="application/json", responseSchema={"type": "OBJECT"},
                               responseJsonSchema={"type": "object"}), "response_schema and response_json_schema"),
    ("gemini-3.1-pro-preview", _with(thinkingConfig={"thinkingLevel": "LOW", "thinkingBudget": 100}),
     "You can only set only one of thinking budget and thinking level."),
    ("gemini-3.1-pro-preview", _with(thinkingConfig={"thinkingLevel": "MINIMAL"}),
     "Thinking level MINIMAL is not supported for this model. Please retry with other thinking level."),
    ("gemini-2.5-flash", _with(thinkingConfig={"thinkingLevel": "LOW"}),
     "Thinking level is not supported for this model."),
    ("gemini-2.5-pro", _with(thinkingConfig={"thinkingBudget": 0}),
     "Budget 0 is invalid. This model only works in thinking mode."),
    ("gemini-2.5-flash", {"contents": [user("x")], "tools": [{"functionDeclarations": [_FN]}],
                          "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
                          "generationConfig": {"responseMimeType": "application/json"}},
     "Forced function calling (ANY mode) with a response mime type: 'application/json' is unsupported"),
    ("gemini-2.5-flash", {"contents": [user("x"), {"role": "user", "parts": [
        {"functionResponse": {"name": "nope", "response": {}}}]}]}, "function response name 'nope'"),
])
def test_semantic_errors(client: httpx.Client, model: str, body: dict[str, Any], message: str) -> None:
    assert message in _error(generate(client, model, body))


def test_accepted_thinking_settings(client: httpx.Client) -> None:
    ok = [("gemini-3-pro-preview", {"thinkingBudget": 1024}), ("gemini-3-flash-preview", {"thinkingLevel": "MINIMAL"}),
          ("gemini-2.5-flash", {"thinkingBudget": 0}), ("gemini-2.5-pro", {"thinkingBudget": -1})]
    for model, thinking in ok:
        response = generate(client, model, _with(thinkingConfig=thinking))
        assert response.status_code == 200, (model, response.text)
    off = generate(client, "gemini-2.5-flash", _with(thinkingConfig={"thinkingBudget": 0})).json()
    assert "thoughtsTokenCount" not in off["usageMetadata"]


def test_unknown_model_and_wrong_method(client: httpx.Client) -> None:
    message = _error(generate(client, "gpt-4o", {"contents": [user("x")]}), 404)
    assert message.startswith("models/gpt-4o is not found for API version v1beta, or is not supported for "
                              "generateContent.")
    assert "embedContent" in _error(client.post("/v1beta/models/gemini-2.5-flash:embedContent",
                                                json={"content": {"parts": [{"text": "x"}]}}), 404)
    assert "generateContent" in _error(generate(client, "gemini-embedding-001", {"contents": [user("x")]}), 404)
    assert "countTokens" in _error(client.post("/v1beta/models/nonexistent-model:countTokens",
                                               json={"contents": [user("x")]}), 404)


def test_batch_embed_limits(client: httpx.Client) -> None:
    one = {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "x"}]}}
    url = "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert _error(client.post(url, json={"requests": [one] * 101})) == (
        "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n")
    assert client.post(url, json={"requests": [one] * 100}).status_code == 200
    no_model = {"content": {"parts": [{"text": "x"}]}}
    assert "requests[0].model" in _error(client.post(url, json={"requests": [no_model]}))


def test_invalid_json_body(client: httpx.Client) -> None:
    response = client.post("/v1beta/models/gemini-2.5-flash:generateContent", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert "Invalid JSON payload" in _error(response)
