"""Deterministic answers: text, magic prompts, tools, structured output, thinking, usage, embeddings."""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib
from typing import Any

import httpx
import jsonschema
import pytest

from .conftest import check_response, check_stream, generate, stream, user

_WEATHER = {"name": "get_weather", "description": "Weather of a city",
            "parameters": {"type": "OBJECT", "properties": {
                "city": {"type": "STRING"}, "days": {"type": "INTEGER"},
                "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}
_TIME = {"name": "get_time", "parametersJsonSchema": {
    "type": "object", "properties": {"zone": {"type": "string"}, "precise": {"type": "boolean"},
                                     "offset": {"anyOf": [{"type": "number"}, {"type": "null"}]}},
    "required": ["zone"], "additionalProperties": False}}
_TOOLS = [{"functionDeclarations": [_WEATHER, _TIME]}]


def _parts(data: dict[str, Any], index: int = 0) -> list[dict[str, Any]]:
    return list(data["candidates"][index]["content"].get("parts", []))


def _text(data: dict[str, Any]) -> str:
    return "".join(p.get("text", "") for p in _parts(data) if not p.get("thought"))


def test_text_answer_is_deterministic_and_mentions_inputs(client: httpx.Client) -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    body = {"contents": [{"role": "user", "parts": [{"text": "Describe this picture"},
                                                    {"inlineData": {"mimeType": "image/png", "data": png}}]}],
            "systemInstruction": {"parts": [{"text": "You are a pirate."}]}}
    first = generate(client, "gemini-2.0-flash", body).json()
    second = generate(client, "gemini-2.0-flash", body).json()
    check_response(first)
    text = _text(first)
    assert text == _text(second)
    assert "Describe this picture" in text and "You are a pirate." in text and "[received image/png]" in text
    assert first["usageMetadata"]["promptTokensDetails"] == [
        {"modality": "TEXT", "tokenCount": first["usageMetadata"]["promptTokenCount"] - 258},
        {"modality": "IMAGE", "tokenCount": 258}]
    assert "thoughtsTokenCount" not in first["usageMetadata"]


def test_words_magic_streams_one_word_per_event(client: httpx.Client) -> None:
    body = {"contents": [user("Count for me [[words:500]]")]}
    events = stream(client, "gemini-2.5-flash", body)
    assert len(events) == 500
    text = check_stream(events)
    assert len(text.split()) == 500
    assert len(_text(generate(client, "gemini-2.5-flash", body).json()).split()) == 500
    gemini3 = stream(client, "gemini-3-flash-preview", body)
    assert len(gemini3) == 501
    last = gemini3[-1]["candidates"][0]
    (trailing,) = last["content"]["parts"]
    assert trailing["text"] == "" and trailing["thoughtSignature"]
    assert last["finishReason"] == "STOP"


def test_max_tokens_stop_sequences_candidate_count(client: httpx.Client) -> None:
    body = {"contents": [user("Say a lot [[words:50]]")], "generationConfig": {"maxOutputTokens": 10}}
    data = generate(client, "gemini-2.0-flash", body).json()
    assert data["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert data["usageMetadata"]["candidatesTokenCount"] <= 10
    full = _text(generate(client, "gemini-2.0-flash", {"contents": [user("Say a lot [[words:50]]")]}).json())
    stop_word = full.split()[5]
    body = {"contents": [user("Say a lot [[words:50]]")], "generationConfig": {"stopSequences": [stop_word]}}
    cut = generate(client, "gemini-2.0-flash", body).json()
    assert _text(cut) == full[: full.index(stop_word)]
    assert cut["candidates"][0]["finishReason"] == "STOP"
    many = generate(client, "gemini-2.0-flash", {"contents": [user("hi")],
                                                 "generationConfig": {"candidateCount": 3}}).json()
    check_response(many)
    assert [c.get("index", 0) for c in many["candidates"]] == [0, 1, 2]  # 2.0 omits a zero index
    assert len({_text({"candidates": [c]}) for c in many["candidates"]}) == 3


def test_function_call_values_from_prompt(client: httpx.Client) -> None:
    body = {"contents": [user("What is the weather in 'Zürich' for 3 days in fahrenheit? use get_weather")],
            "tools": _TOOLS}
    data = generate(client, "gemini-2.5-flash", body).json()
    check_response(data)
    parts = _parts(data)
    assert parts == [{"functionCall": {"name": "get_weather",
                                       "args": {"city": "Zürich", "days": 3, "unit": "fahrenheit"}}}]
    assert data["candidates"][0]["finishMessage"] == "Model generated function call(s)."


def test_parallel_calls_with_parens_and_jsonschema(client: httpx.Client) -> None:
    body = {"contents": [user('Call get_time("Europe/Paris") and get_weather("Oslo", 2) in parallel')],
            "tools": _TOOLS}
    data = generate(client, "gemini-3-flash-preview", body).json()
    parts = _parts(data)
    assert [p["functionCall"]["name"] for p in parts] == ["get_time", "get_weather"]
    assert parts[0]["functionCall"]["args"]["zone"] == "Europe/Paris"
    assert parts[1]["functionCall"]["args"]["city"] == "Oslo" and parts[1]["functionCall"]["args"]["days"] == 2
    jsonschema.validate(parts[0]["functionCall"]["args"], _TIME["parametersJsonSchema"])
    assert "thoughtSignature" in parts[0] and "thoughtSignature" not in parts[1]
    ids = [p["functionCall"]["id"] for p in parts]
    assert all(len(i) == 8 for i in ids) and len(set(ids)) == 2
    assert generate(client, "gemini-3-flash-preview", body).json()["candidates"] == data["candidates"]
    twice = _parts(generate(client, "gemini-2.5-flash", {"contents": [user("call get_time twice for 'UTC'")],
                                                         "tools": _TOOLS}).json())
    assert [p["functionCall"]["name"] for p in twice] == ["get_time", "get_time"]
    assert all("id" not in p["functionCall"] and "thoughtSignature" not in p for p in twice)


def test_modes_and_allowed_names(client: httpx.Client) -> None:
    def call(mode: str, prompt: str, allowed: list[str] | None = None) -> list[dict[str, Any]]:
        config: dict[str, Any] = {"mode": mode}
        if allowed:
            config["allowedFunctionNames"] = allowed
        body = {"contents": [user(prompt)], "tools": _TOOLS, "toolConfig": {"functionCallingConfig": config}}
        return _parts(generate(client, "gemini-2.5-flash", body).json())

    assert "text" in call("NONE", "use get_weather for Paris")[0]
    assert "text" in call("AUTO", "Hello there")[0]
    assert call("ANY", "Hello there")[0]["functionCall"]["name"] == "get_weather"
    assert call("ANY", "Hello there", ["get_time"])[0]["functionCall"]["name"] == "get_time"
    assert call("VALIDATED", "use get_weather", ["get_time"])[0]["functionCall"]["name"] == "get_time"


def _round_trip(client: httpx.Client, model: str) -> tuple[dict[str, Any], dict[str, Any]]:
    turn1 = {"contents": [user("Weather in 'Lima'? use get_weather")], "tools": _TOOLS}
    parts = _parts(generate(client, model, turn1).json())
    responses = [{"functionResponse": {"name": p["functionCall"]["name"], "response": {"temp": 19},
                                       **({"id": p["functionCall"]["id"]} if "id" in p["functionCall"] else {})}}
                 for p in parts]
    turn2 = dict(turn1, contents=[*turn1["contents"], {"role": "model", "parts": parts},
                                  {"role": "user", "parts": responses}])
    return turn2, parts[0]


def test_signature_round_trip_gemini3(client: httpx.Client) -> None:
    turn2, first = _round_trip(client, "gemini-3-flash-preview")
    response = generate(client, "gemini-3-flash-preview", turn2)
    assert response.status_code == 200, response.text
    assert response.headers["x-emulator-signatures"] == "valid=1"
    assert '{"temp": 19}' in _text(response.json())
    url_safe = json.loads(json.dumps(turn2))
    sig = first["thoughtSignature"]
    url_safe["contents"][1]["parts"][0]["thoughtSignature"] = sig.replace("+", "-").replace("/", "_").rstrip("=")
    assert generate(client, "gemini-3-flash-preview", url_safe).headers["x-emulator-signatures"] == "valid=1"
    url_safe["contents"][1]["parts"][0]["thoughtSignature"] = "skip_thought_signature_validator"
    assert generate(client, "gemini-3-flash-preview", url_safe).status_code == 200
    url_safe["contents"][1]["parts"][0]["thoughtSignature"] = "QUJD" + sig[4:]  # tampered: accepted, flagged
    assert generate(client, "gemini-3-flash-preview", url_safe).headers["x-emulator-signatures"] == "foreign=1"
    url_safe["contents"][1]["parts"][0]["thoughtSignature"] = "not base64!!"
    bad = generate(client, "gemini-3-flash-preview", url_safe)
    assert bad.status_code == 400 and "not valid base64" in bad.json()["error"]["message"]
    del turn2["contents"][1]["parts"][0]["thoughtSignature"]
    missing = generate(client, "gemini-3-flash-preview", turn2)
    assert missing.status_code == 400
    assert missing.json()["error"]["message"].startswith(
        "Function call is missing a thought_signature in functionCall parts.")
    assert "`default_api:get_weather` , position 2." in missing.json()["error"]["message"]
    turn2["contents"].append({"role": "model", "parts": [{"text": "ok"}]})
    turn2["contents"].append(user("next question"))
    assert generate(client, "gemini-3-flash-preview", turn2).status_code == 200  # earlier turns not checked


def test_signature_not_required_on_25(client: httpx.Client) -> None:
    turn2, first = _round_trip(client, "gemini-2.5-flash")
    assert "thoughtSignature" not in first
    response = generate(client, "gemini-2.5-flash", turn2)
    assert response.status_code == 200
    check_stream(stream(client, "gemini-2.5-flash", turn2))


def _openapi_to_jsonschema(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _openapi_to_jsonschema(v) for k, v in schema.items() if k not in ("nullable", "propertyOrdering")}
        if isinstance(schema.get("type"), str):
            out["type"] = schema["type"].lower()
            if schema.get("nullable"):
                out["type"] = [out["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_openapi_to_jsonschema(s) for s in schema]
    return schema


_RECIPE = {"type": "object", "properties": {
    "name": {"type": "string"}, "servings": {"type": "integer", "minimum": 1},
    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
    "difficulty": {"type": "string", "enum": ["easy", "hard"]},
    "author": {"type": "object", "properties": {"email": {"type": "string", "format": "email"},
                                                "ref": {"$ref": "#/$defs/Ref"}}, "required": ["email"]},
    "note": {"anyOf": [{"type": "null"}, {"type": "string"}]}},
    "required": ["name", "servings"], "$defs": {"Ref": {"type": "object", "properties": {
        "id": {"type": "integer"}}, "required": ["id"]}}}


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-flash-preview"])
def test_structured_output(client: httpx.Client, model: str) -> None:
    body = {"contents": [user("A hard recipe for 4 people called 'Pão de queijo'")],
            "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": _RECIPE}}
    value = json.loads(_text(generate(client, model, body).json()))
    jsonschema.validate(value, _RECIPE)
    assert value["name"] == "Pão de queijo" and value["servings"] == 4 and value["difficulty"] == "hard"
    assert json.loads(check_stream(stream(client, model, body))) == value
    openapi = {"type": "OBJECT", "properties": {
        "title": {"type": "STRING"}, "score": {"type": "NUMBER", "nullable": True},
        "items": {"type": "ARRAY", "items": {"type": "OBJECT", "properties": {"n": {"type": "INTEGER"}}}}},
        "required": ["title"], "propertyOrdering": ["score", "title", "items"]}
    body["generationConfig"] = {"responseMimeType": "application/json", "responseSchema": openapi}
    value = json.loads(_text(generate(client, model, body).json()))
    jsonschema.validate(value, _openapi_to_jsonschema(openapi))
    assert list(value) == ["score", "title", "items"]
    body["generationConfig"] = {"responseMimeType": "application/json"}
    assert isinstance(json.loads(_text(generate(client, model, body).json())), dict)
    body["generationConfig"] = {"responseMimeType": "text/x.enum",
                                "responseSchema": {"type": "STRING", "enum": ["easy", "medium", "hard"]}}
    assert _text(generate(client, model, body).json()) == "hard"


def test_thinking_parts_and_signatures(client: httpx.Client) -> None:
    body = {"contents": [user("How do I cross the street?")],
            "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    data = generate(client, "gemini-3-pro-preview", body).json()
    parts = _parts(data)
    assert parts[0]["thought"] is True and parts[0]["text"].startswith("**Thinking about")
    assert "thoughtSignature" in parts[1] and "thought" not in parts[1]
    assert data["usageMetadata"]["thoughtsTokenCount"] > 0
    events = stream(client, "gemini-2.5-pro", body)
    assert events[0]["candidates"][0]["content"]["parts"][0]["thought"] is True
    check_stream(events)
    low = generate(client, "gemini-3-pro-preview", {"contents": [user("hi")], "generationConfig": {
        "thinkingConfig": {"thinkingLevel": "LOW"}}}).json()["usageMetadata"]["thoughtsTokenCount"]
    high = generate(client, "gemini-3-pro-preview", {"contents": [user("hi")], "generationConfig": {
        "thinkingConfig": {"thinkingLevel": "HIGH"}}}).json()["usageMetadata"]["thoughtsTokenCount"]
    assert 0 < low < high
    assert "thought" not in json.dumps(_parts(generate(client, "gemini-3-pro-preview",
                                                       {"contents": [user("hi")]}).json())).replace(
        "thoughtSignature", "")


def _check_supports(metadata: dict[str, Any], text: str) -> None:
    raw = text.encode()
    assert metadata["groundingSupports"]
    for support in metadata["groundingSupports"]:
        segment = support["segment"]
        assert raw[segment.get("startIndex", 0): segment["endIndex"]].decode() == segment["text"]
        assert all(i < len(metadata["groundingChunks"]) for i in support["groundingChunkIndices"])


def test_google_search_grounding(client: httpx.Client) -> None:
    body = {"contents": [user("Qué tiempo hace en Málaga hoy? Dímelo.")], "tools": [{"google_search": {}}]}
    data = generate(client, "gemini-2.5-flash", body).json()
    check_response(data)
    metadata = data["candidates"][0]["groundingMetadata"]
    _check_supports(metadata, _text(data))
    assert metadata["webSearchQueries"] and "<style>" in metadata["searchEntryPoint"]["renderedContent"]
    assert metadata["groundingChunks"][0]["web"]["uri"].startswith("https://vertexaisearch.cloud.google.com/")
    assert data["usageMetadata"]["toolUsePromptTokenCount"] > 0
    events = stream(client, "gemini-2.5-flash", body)
    text = check_stream(events)
    assert all(e["candidates"][0]["groundingMetadata"] == {} for e in events[:-1])
    assert events[-1]["candidates"][0]["groundingMetadata"] == metadata
    _check_supports(events[-1]["candidates"][0]["groundingMetadata"], text)


def test_maps_url_context_code_execution(client: httpx.Client) -> None:
    maps = generate(client, "gemini-2.5-flash", {"contents": [user("Good cafés near the Louvre museum, please.")],
                                                 "tools": [{"googleMaps": {}}]}).json()
    chunks = maps["candidates"][0]["groundingMetadata"]["groundingChunks"]
    assert "maps" in chunks[0] and chunks[0]["maps"]["uri"].startswith("https://maps.google.com/")
    _check_supports(maps["candidates"][0]["groundingMetadata"], _text(maps))
    body = {"contents": [user("Summarize https://ai.pydantic.dev and https://example.com/x.")],
            "tools": [{"urlContext": {}}]}
    urls = generate(client, "gemini-2.5-flash", body).json()["candidates"][0]["urlContextMetadata"]["urlMetadata"]
    assert urls == [{"retrievedUrl": u, "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"}
                    for u in ("https://ai.pydantic.dev", "https://example.com/x")]
    code = generate(client, "gemini-3-flash-preview", {"contents": [user("What is 12*7+1?")],
                                                       "tools": [{"codeExecution": {}}]}).json()
    parts = _parts(code)
    assert parts[0]["executableCode"] == {"language": "PYTHON", "code": "print(12*7+1)"}
    assert parts[1]["codeExecutionResult"] == {"outcome": "OUTCOME_OK", "output": "85\n"}
    assert "85" in parts[2]["text"]
    check_stream(stream(client, "gemini-3-flash-preview", {"contents": [user("What is 12*7+1?")],
                                                          "tools": [{"codeExecution": {}}]}))


def test_image_output_is_a_png(client: httpx.Client) -> None:
    body = {"contents": [user("A red fox")], "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}
    data = generate(client, "gemini-2.5-flash-image", body).json()
    blob = next(p["inlineData"] for p in _parts(data) if "inlineData" in p)
    assert blob["mimeType"] == "image/png"
    png = base64.b64decode(blob["data"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (8, 8)
    length = struct.unpack(">I", png[33:37])[0]
    assert len(zlib.decompress(png[41:41 + length])) == 8 * (1 + 3 * 8)
    assert any(d["modality"] == "IMAGE" for d in data["usageMetadata"]["candidatesTokensDetails"])
    check_stream(stream(client, "gemini-2.5-flash-image", body))


def test_block_and_safety_triggers(client: httpx.Client) -> None:
    blocked = generate(client, "gemini-2.5-flash", {"contents": [user("bad [[block]]")]}).json()
    assert "candidates" not in blocked
    assert blocked["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"}
    assert blocked["usageMetadata"]["totalTokenCount"] == blocked["usageMetadata"]["promptTokenCount"]
    assert set(blocked) == {"promptFeedback", "usageMetadata", "modelVersion", "responseId"}
    assert stream(client, "gemini-2.5-flash", {"contents": [user("bad [[block]]")]})[0]["promptFeedback"]
    safety = generate(client, "gemini-2.5-flash", {"contents": [user("bad [[safety]]")]}).json()
    cand = safety["candidates"][0]
    assert cand["content"] == {} and cand["finishReason"] == "SAFETY"
    assert [r for r in cand["safetyRatings"] if r.get("blocked")] == [
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "HIGH", "blocked": True}]
    check_stream(stream(client, "gemini-2.5-flash", {"contents": [user("bad [[safety]]")]}))


def test_count_tokens_matches_prompt_tokens(client: httpx.Client) -> None:
    contents = [user("The quick brown fox jumps over the lazy dog."), {"role": "model", "parts": [{"text": "ok"}]},
                {"role": "user", "parts": [{"text": "And then?"},
                                           {"inlineData": {"mimeType": "image/jpeg", "data": "AAAA"}}]}]
    counted = client.post("/v1beta/models/gemini-2.5-flash:countTokens", json={"contents": contents}).json()
    usage = generate(client, "gemini-2.5-flash", {"contents": contents}).json()["usageMetadata"]
    assert counted["totalTokens"] == usage["promptTokenCount"]
    assert counted["promptTokensDetails"] == usage["promptTokensDetails"]
    cache = client.post("/v1beta/cachedContents", json={
        "model": "models/gemini-2.5-flash", "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "tools": _TOOLS, "contents": [user("The quick brown fox. " * 300)]}).json()
    full = {"contents": contents, "cachedContent": cache["name"]}
    counted = client.post("/v1beta/models/gemini-2.5-flash:countTokens",
                          json={"generateContentRequest": {"model": "models/gemini-2.5-flash", **full}}).json()
    usage = generate(client, "gemini-2.5-flash", dict(full, contents=[*contents])).json()["usageMetadata"]
    assert counted["totalTokens"] == usage["promptTokenCount"]
    assert counted["cachedContentTokenCount"] == usage["cachedContentTokenCount"] > 0


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings(client: httpx.Client) -> None:
    docs = ["The cat sat on the warm mat", "Stock markets fell sharply on Monday",
            "Photosynthesis turns sunlight into chemical energy in plants"]
    query = "where did the cats sit?"
    requests = [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": t}]},
                 "taskType": "RETRIEVAL_DOCUMENT"} for t in [*docs, query]]
    vectors = [e["values"] for e in client.post("/v1beta/models/gemini-embedding-001:batchEmbedContents",
                                                json={"requests": requests}).json()["embeddings"]]
    assert all(len(v) == 768 and math.isclose(math.sqrt(sum(x * x for x in v)), 1.0) for v in vectors)
    scores = [_cos(vectors[-1], v) for v in vectors[:-1]]
    assert scores.index(max(scores)) == 0
    one = client.post("/v1beta/models/text-embedding-004:embedContent",
                      json={"content": {"parts": [{"text": docs[0]}]}, "outputDimensionality": 64}).json()
    values = one["embedding"]["values"]
    assert len(values) == 64 and math.isclose(sum(x * x for x in values), 1.0)
    again = client.post("/v1beta/models/text-embedding-004:embedContent",
                        json={"content": {"parts": [{"text": docs[0]}]}, "outputDimensionality": 64}).json()
    assert again == one


def test_models_list_and_get(client: httpx.Client) -> None:
    first = client.get("/v1beta/models", params={"pageSize": 5}).json()
    assert len(first["models"]) == 5 and first["nextPageToken"]
    names = [m["name"] for m in first["models"]]
    token = first["nextPageToken"]
    while token:
        page = client.get("/v1beta/models", params={"pageSize": 5, "pageToken": token}).json()
        names += [m["name"] for m in page["models"]]
        token = page.get("nextPageToken")
    assert len(names) == len(set(names)) and "models/gemini-2.5-flash" in names
    model = client.get("/v1beta/models/gemini-2.5-pro").json()
    assert model["name"] == "models/gemini-2.5-pro" and model["inputTokenLimit"] == 1_048_576
    assert model["thinking"] is True and "generateContent" in model["supportedGenerationMethods"]
    assert client.get("/v1beta/models/llama-3").status_code == 404
    assert client.get("/v1/models/gemini-2.0-flash").json()["thinking"] is False


def test_non_sse_stream_is_a_json_array(client: httpx.Client) -> None:
    body = {"contents": [user("hello [[words:5]]")]}
    response = client.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent", json=body)
    events = response.json()
    assert isinstance(events, list) and len(events) == 5
    error = client.post("/v1beta/models/gemini-3-flash-preview:streamGenerateContent", json={
        "contents": [user("x"), {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]}]})
    assert error.status_code == 400
    assert error.json()[0]["error"]["status"] == "INVALID_ARGUMENT"


def test_a_prompt_on_a_function_topic_calls_it_without_naming_it(client: httpx.Client) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "What is the weather in San Francisco?"}]}],
        "tools": [{"functionDeclarations": [
            {"name": "get_weather", "parametersJsonSchema": {"type": "object", "properties": {
                "city": {"type": "string"}}, "required": ["city"]}},
            {"name": "get_stock_price", "parametersJsonSchema": {"type": "object", "properties": {}}},
        ]}],
    }
    data = generate(client, "gemini-2.5-flash", body).json()
    calls = [p["functionCall"] for p in data["candidates"][0]["content"]["parts"] if "functionCall" in p]
    assert [c["name"] for c in calls] == ["get_weather"]
    assert calls[0]["args"]["city"]


def test_json_mode_without_schema_uses_the_keys_the_prompt_asks_for(client: httpx.Client) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "Tell me a joke. Return JSON with 'setup' and "
                                                          "'punchline' keys."}]}],
        "generationConfig": {"responseMimeType": "application/json"},
    }
    data = generate(client, "gemini-2.5-flash", body).json()
    assert set(json.loads(data["candidates"][0]["content"]["parts"][0]["text"])) == {"setup", "punchline"}


def test_older_families_as_recorded(client: httpx.Client) -> None:
    """2.0: no zero index, avgLogprobs, candidate tokens only in each candidate's last stream event."""
    body = {"contents": [user("hi there")], "generationConfig": {"candidateCount": 2}}
    answer = generate(client, "gemini-2.0-flash", body).json()
    assert "index" not in answer["candidates"][0] and answer["candidates"][1]["index"] == 1
    assert all(c["avgLogprobs"] < 0 for c in answer["candidates"])
    assert answer["usageMetadata"]["candidatesTokensDetails"]
    events = stream(client, "gemini-2.0-flash", body)
    totals = [e["usageMetadata"].get("candidatesTokenCount", 0) for e in events]
    assert totals == sorted(totals)
    counted = [("finishReason" in e["candidates"][0], "candidatesTokenCount" in e["usageMetadata"]) for e in events]
    first_end = counted.index((True, True))
    assert all(not has for _, has in counted[:first_end])  # nothing counted before the first candidate ends
    assert all(has for _, has in counted[first_end:])  # the finished one stays counted
    assert all("avgLogprobs" not in e["candidates"][0] for e in events)
    later = generate(client, "gemini-2.5-flash", {"contents": [user("hi")]}).json()
    assert later["candidates"][0]["index"] == 0 and "candidatesTokensDetails" not in later["usageMetadata"]


def test_signed_code_steps_come_back_valid() -> None:
    """Gemini 3 signs its executableCode part (recorded); sent back unchanged, strict mode accepts it."""
    from cometgemini.emulator import serve

    body = {"contents": [user("What is 6 * 7?")], "tools": [{"codeExecution": {}}]}
    with serve(strict_signatures=True) as emu, httpx.Client(base_url=emu.base_url) as client:
        parts = generate(client, "gemini-3-flash-preview", body).json()["candidates"][0]["content"]["parts"]
        assert parts[0]["executableCode"] and parts[0]["thoughtSignature"]
        history = {**body, "contents": [*body["contents"], {"role": "model", "parts": parts}, user("Thanks!")]}
        again = generate(client, "gemini-3-flash-preview", history)
        assert again.status_code == 200 and again.headers["x-emulator-signatures"] == "valid=2"


def test_gemini_3_streams_ground_only_the_last_event(client: httpx.Client) -> None:
    """Recorded: 2.5 sends ``groundingMetadata: {}`` before the last event, Gemini 3 leaves it out."""
    body = {"contents": [user("Who won the last World Cup? Tell me more.")], "tools": [{"googleSearch": {}}]}
    events = stream(client, "gemini-3-flash-preview", body)
    assert len(events) > 2
    assert all("groundingMetadata" not in e["candidates"][0] for e in events[:-1])
    assert events[-1]["candidates"][0]["groundingMetadata"]["groundingChunks"]
