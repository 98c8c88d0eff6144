"""Every recorded exchange in ``tests/fixtures/gemini-api``, as turns to send to the emulator.

Where the recording has its request, that request is sent as recorded. Where it has only the response,
a request of the same kind is derived (``why`` says how). Recorded errors are provoked the way the
emulator allows: the same mistake in the request (unknown model, missing signature, 101 embeddings,
thinking settings, ANY mode with JSON output, penalties), no key or a wrong key (with Google's auth
errors switched on), or a fault switch (429, 503). The emulator's own triggers stand in for Google's
safety classifier (``[[safety]]``, ``[[block]]``): a test cannot make Google's model refuse a prompt.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from cometgemini.emulator._conformance import Report
from cometgemini.emulator._exchanges import AuthMode, Exchange, Turn, answer_from_file
from tests._fixtures import fixture_path, load_json

_MODEL = re.compile(r"(gemini-[\w.-]+?)(\.turn\d+)?\.(response\.json|sse|chunks\.jsonl)$")


@dataclass
class Spec:
    """One turn: the response fixture, the request (a fixture name or a derived body) and how to send it."""

    response: str
    request: str | dict[str, Any] | None = None
    path: str = ""
    method: str = "POST"
    query: dict[str, str] = field(default_factory=dict)
    auth: AuthMode = "key"
    headers: dict[str, str] = field(default_factory=dict)
    trigger: str = ""
    why: str = ""


@dataclass
class Recorded:
    name: str
    specs: list[Spec]
    google_auth: bool = False
    """Send to an emulator answering auth failures as Google does (400 API_KEY_INVALID, 403 no key)."""
    vertex: bool = False
    """A Vertex AI capture: the emulator (Gemini API) must not send what only Vertex sends."""

    def exchange(self) -> Exchange:
        return Exchange(self.name, [_turn(spec) for spec in self.specs])

    def files(self) -> set[str]:
        return {name for spec in self.specs for name in (spec.response, spec.request) if isinstance(name, str)}


def model_of(name: str) -> str:
    match = _MODEL.search(name)
    if not match:
        raise ValueError(f"no model id in fixture name {name}")
    return match.group(1)


def _default_path(response: str) -> tuple[str, dict[str, str]]:
    model = model_of(response)
    for method in ("streamGenerateContent", "generateContent", "countTokens", "batchEmbedContents"):
        if response.startswith(method) or response.startswith("VERTEX_" + method):
            query = {"alt": "sse"} if method == "streamGenerateContent" else {}
            return f"/v1beta/models/{model}:{method}", query
    raise ValueError(f"say how {response} is requested")


def _with_trigger(body: dict[str, Any], trigger: str) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    body["contents"][-1]["parts"].append({"text": trigger})
    return body


def _turn(spec: Spec) -> Turn:
    path, query = (spec.path, spec.query) if spec.path else _default_path(spec.response)
    body = load_json(spec.request) if isinstance(spec.request, str) else spec.request
    if spec.trigger and isinstance(body, dict):
        body = _with_trigger(body, spec.trigger)
    recorded = answer_from_file(fixture_path(spec.response))
    return Turn(spec.response, spec.method, path, body, dict(query), spec.auth, dict(spec.headers), recorded)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def _ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"contents": [user(text)], **extra}


def _function(name: str, **properties: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {k: {"type": v} for k, v in properties.items()},
              "required": list(properties)}
    return {"functionDeclarations": [{"name": name, "description": f"{name} tool", "parametersJsonSchema": schema}]}


def _call(name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"role": "model", "parts": [{"functionCall": {"name": name, "args": args or {}}}]}


def _result(name: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"functionResponse": {"name": name, "response": {"ok": True}}}]}


def _unsigned_call_at_position_30() -> dict[str, Any]:
    """29 turns of chat, then (content 30) an unsigned task_complete call in the current turn."""
    chat = [user(f"message {i}") if i % 2 == 0 else {"role": "model", "parts": [{"text": f"reply {i}"}]}
            for i in range(29)]
    return {"contents": [*chat, _call("task_complete"), _result("task_complete")],
            "tools": [_function("task_complete")]}


_CACHE = "cachedContents_create_use_delete_gemini-2.5-flash"
_RECORDED_CACHE = load_json(f"{_CACHE}.turn1.response.json")["name"]
_GEN_25 = "/v1beta/models/gemini-2.5-flash:generateContent"
_GEN_31_PRO = "/v1beta/models/gemini-3.1-pro-preview:generateContent"


def _pairs() -> list[Recorded]:
    """Exchanges recorded with their requests."""
    single = [
        ("batchEmbedContents.request.json", "batchEmbedContents_gemini-embedding-2-preview.response.json"),
        ("countTokens.request.json", "countTokens_gemini-2.5-flash.response.json"),
        ("generateContent_googleSearch.request.json",
         "generateContent_googleSearch_groundingMetadata_gemini-2.5-pro.response.json"),
        ("generateContent_text_gemini-2.5-flash.request.json", "generateContent_text_gemini-2.5-flash.response.json"),
        ("generateContent_thought_parts_includeThoughts.request.json",
         "generateContent_thought_parts_includeThoughts_gemini-3-pro-preview.response.json"),
        ("generateContent_urlContext.request.json",
         "generateContent_urlContext_urlContextMetadata_gemini-2.5-flash.response.json"),
        ("streamGenerateContent_sse_text_gemini-2.0-flash-exp.request.json",
         "streamGenerateContent_sse_text_gemini-2.0-flash-exp.sse"),
        ("streamGenerateContent_sse_thought_parts.request.json",
         "streamGenerateContent_sse_thought_parts_gemini-2.5-pro.sse"),
        ("streamGenerateContent_sse_toolCombination_jsonSchema_googleSearch_gemini-3-flash-preview.request.json",
         "streamGenerateContent_sse_toolCombination_jsonSchema_googleSearch_gemini-3-flash-preview.sse"),
        ("generateContent_toolCombination_thinking_wire_contract_gemini-3-flash-preview.request.json",
         "generateContent_toolCombination_thinking_wire_contract_gemini-3-flash-preview.response.json"),
    ]
    out = [Recorded(response.split(".", 1)[0], [Spec(response, request)]) for request, response in single]
    safety = "generateContent_finishReason_SAFETY_gemini-1.5-flash"
    out.append(Recorded(safety, [Spec(f"{safety}.response.json", "generateContent_safetySettings.request.json",
                                      trigger="[[safety]]", why="the emulator's safety classifier is the trigger")]))
    for stem in ("auto_googleSearch_plus_function", "googleSearch_plus_function",
                 "jsonSchema_googleSearch_plus_function"):
        name = f"generateContent_toolCombination_{stem}_gemini-3-flash-preview"
        out.append(Recorded(name, [Spec(f"{name}.turn{n}.response.json", f"{name}.turn{n}.request.json",
                                        path="/v1beta/models/gemini-3-flash-preview:generateContent")
                                   for n in (1, 2)]))
    out.append(Recorded("generateContent_functionCall_toolConfig_ANY_gemini-2.0-flash", [
        Spec("generateContent_functionCall_toolConfig_ANY_turn1_gemini-2.0-flash.response.json",
             "generateContent_functionCall_toolConfig_ANY_turn1.request.json"),
        Spec("generateContent_functionCall_toolConfig_ANY_turn2_gemini-2.0-flash.response.json",
             "generateContent_functionCall_toolConfig_ANY_turn2_functionResponse.request.json")]))
    out.append(Recorded("streamGenerateContent_sse_functionCall_thoughtSignature_gemini-3-pro-preview", [
        Spec("streamGenerateContent_sse_functionCall_thoughtSignature_turn1_gemini-3-pro-preview.sse",
             "streamGenerateContent_sse_functionCall_thoughtSignature_turn1.request.json"),
        Spec("streamGenerateContent_sse_functionCall_thoughtSignature_turn2_gemini-3-pro-preview.sse",
             "streamGenerateContent_sse_functionCall_thoughtSignature_turn2_echo.request.json")]))
    out.append(Recorded(_CACHE, [
        Spec(f"{_CACHE}.turn1.response.json", f"{_CACHE}.turn1.request.json", path="/v1beta/cachedContents"),
        Spec(f"{_CACHE}.turn2.response.json", f"{_CACHE}.turn2.request.json", path=_GEN_25),
        Spec(f"{_CACHE}.turn3.response.json", f"{_CACHE}.turn3.request.json", path=_GEN_25),
        Spec(f"{_CACHE}.turn4.response.json", None, path=f"/v1beta/{_RECORDED_CACHE}", method="DELETE",
             why="the recorded DELETE of the cache made in turn 1 (no body)")]))
    return out


def _derived() -> list[Recorded]:
    """Responses recorded without their request: a request of the same kind stands in."""
    strawberry = _ask("How many r's are in the word strawberry?")
    table: list[tuple[str, dict[str, Any] | None, str]] = [
        ("generateContent_codeExecution_executableCode_codeExecutionResult_gemini-3-flash-preview.response.json",
         _ask("Run this code: print('ok') then print(1/0)", tools=[{"codeExecution": {}}]),
         "code execution asked for a computation"),
        ("generateContent_finishReason_MAX_TOKENS_no_parts_gemini-2.5-pro.response.json",
         _ask("Write a long essay about rivers.", generationConfig={"maxOutputTokens": 1}),
         "maxOutputTokens too small for a single word"),
        ("generateContent_functionCall_thoughtSignature_finishMessage_gemini-3-pro-preview.response.json",
         _ask("What is the weather in San Francisco?", tools=[_function("weather", location="string")]),
         "a prompt on the declared function's topic"),
        ("generateContent_functionCall_with_id_thoughtSignature_gemini-3.6-flash.response.json",
         _ask("Load the refunds capability.", tools=[_function("load_capability", id="string")]),
         "a prompt on the declared function's topic"),
        ("generateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.response.json",
         _ask("[[block]] a prompt Google refuses"), "the [[block]] trigger"),
        ("generateContent_text_avgLogprobs_gemini-2.0-flash.response.json", _ask("What is the capital of France?"),
         "a plain question"),
        ("generateContent_text_thoughtSignature_gemini-3-pro-preview.response.json", strawberry, "a plain question"),
        ("streamGenerateContent_googleSearch_usage_toolUsePromptTokenCount_gemini-2.5-flash.chunks.jsonl",
         _ask("What is the date today?", tools=[{"googleSearch": {}}]), "a search-grounded question"),
        ("streamGenerateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.chunks.jsonl",
         _ask("[[block]] a prompt Google refuses"), "the [[block]] trigger"),
        ("streamGenerateContent_reasoning_empty_text_thoughtSignature_gemini-3-pro-preview.chunks.jsonl", strawberry,
         "a plain question"),
        ("streamGenerateContent_sse_googleSearch_groundingMetadata_gemini-2.5-pro.sse",
         load_json("generateContent_googleSearch.request.json"),
         "the non-streamed googleSearch request of the same recorded test suite"),
        ("streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse", _ask("Count from 1 to 80, one per line."),
         "a plain question"),
        ("streamGenerateContent_text_gemini-3-pro-preview.chunks.jsonl", strawberry, "a plain question"),
    ]
    out = [Recorded(response.split(".", 1)[0], [Spec(response, body, why=why)]) for response, body, why in table]
    out.append(Recorded("models_list_v1beta_subset", [Spec("models_list_v1beta_subset.response.json",
                                                           path="/v1beta/models", method="GET")]))
    vertex = "VERTEX_streamGenerateContent_thought_and_partialArgs_gemini-3-flash-preview.chunks.jsonl"
    body = _ask("Read the theme, then screens A, B and C in parallel.",
                tools=[_function("read_theme"), _function("read_screen", id="string")],
                generationConfig={"thinkingConfig": {"includeThoughts": True}})
    out.append(Recorded(vertex.split(".", 1)[0], [Spec(vertex, body, why="a streamed call with thoughts")],
                        vertex=True))
    return out


def _errors() -> list[Recorded]:
    signed = {"role": "model", "parts": [{"functionCall": {"name": "terminal", "args": {}}}]}
    stream_no_sse = "/v1beta/models/gemini-3-pro-preview:streamGenerateContent"
    table: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = [
        ("ANY_mode_with_json_mime_type", _GEN_25,
         _ask("Hi", tools=[_function("f")], toolConfig={"functionCallingConfig": {"mode": "ANY"}},
              generationConfig={"responseMimeType": "application/json"}), {}),
        ("batchEmbedContents_over_100", "/v1beta/models/gemini-embedding-001:batchEmbedContents",
         {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": f"t{i}"}]}}
                       for i in range(101)]}, {}),
        ("missing_thought_signature", "/v1beta/models/gemini-3-flash-preview:generateContent",
         _unsigned_call_at_position_30(), {}),
        ("penalty_not_enabled_gemini-2.5-flash", _GEN_25, _ask("Hi", generationConfig={"frequencyPenalty": 0.5}), {}),
        ("thinkingLevel_MINIMAL_unsupported_gemini-3.1-pro-preview", _GEN_31_PRO,
         _ask("Hi", generationConfig={"thinkingConfig": {"thinkingLevel": "MINIMAL"}}), {}),
        ("thinkingLevel_and_thinkingBudget_both_set_gemini-3.1-pro-preview", _GEN_31_PRO,
         _ask("Hi", generationConfig={"thinkingConfig": {"thinkingLevel": "LOW", "thinkingBudget": 1024}}), {}),
    ]
    out = [Recorded(f"error_400_INVALID_ARGUMENT_{what}", [Spec(
        f"error_400_INVALID_ARGUMENT_{what}.response.json", body, path=path, headers=headers,
        why="the same mistake in the request")]) for what, path, body, headers in table]
    array = "error_400_missing_thought_signature_non_sse_stream_ARRAY_form.response.json"
    out.append(Recorded(array.split(".", 1)[0], [Spec(array, {"contents": [user("Run ls"), signed, _result("terminal")],
                                                           "tools": [_function("terminal")]},
                                                   path=stream_no_sse, why="streamGenerateContent without alt=sse")]))
    out.append(Recorded("error_400_INVALID_ARGUMENT_API_KEY_INVALID", [Spec(
        "error_400_INVALID_ARGUMENT_API_KEY_INVALID.response.json", _ask("Hi"), path=_GEN_25, auth="invalid")],
        google_auth=True))
    out.append(Recorded("error_403_PERMISSION_DENIED_no_api_key", [Spec(
        "error_403_PERMISSION_DENIED_no_api_key.response.json", _ask("Hi"), path=_GEN_25, auth="none")],
        google_auth=True))
    for name, path, body in (
            ("error_404_NOT_FOUND_batchEmbedContents", "/v1beta/models/nonexistent-model:batchEmbedContents",
             load_json("batchEmbedContents.request.json")),
            ("error_404_NOT_FOUND_countTokens", "/v1beta/models/nonexistent-model:countTokens",
             load_json("countTokens.request.json")),
            ("error_404_NOT_FOUND_generateContent_unknown_model", "/v1beta/models/gemini-3.6-flahs:generateContent",
             _ask("Hi"))):
        out.append(Recorded(name, [Spec(f"{name}.response.json", body, path=path, why="an unknown model id")]))
    for name, fault in (("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo", "429"),
                        ("error_503_UNAVAILABLE_model_overloaded", "503")):
        out.append(Recorded(name, [Spec(f"{name}.response.json", _ask("Hi"), path=_GEN_25,
                                        headers={"x-emulator-fault": fault}, why="the emulator's fault switch")]))
    return out


RECORDED: list[Recorded] = [*_pairs(), *_derived(), *_errors()]

REPORTS: list[Report] = []
"""Reports of this run's conformance tests, written out at the end of the session (``conftest.py``)."""
