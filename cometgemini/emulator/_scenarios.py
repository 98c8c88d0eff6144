"""The fixed catalog of requests ``python -m cometgemini.emulator.record`` sends to a live endpoint.

A ``Scenario`` is one exchange of one or more turns. Each step gets the answers of the earlier turns and
returns the next ``Turn`` (or ``None`` to stop: a later turn that needs an earlier answer is not sent when
that answer is an error). Models are named by role (``MODELS``) so that a retired model id is one
``--model role=id`` away from a fresh recording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._conformance import Answer
from ._exchanges import AuthMode, Turn

__all__ = ["MODELS", "SCENARIOS", "Scenario"]

MODELS: dict[str, str] = {
    "flash": "gemini-2.5-flash",
    "gemini3": "gemini-3-flash-preview",
    "gemini3_pro": "gemini-3.1-pro-preview",
    "image": "gemini-2.5-flash-image",
    "embedding": "gemini-embedding-001",
}
"""Role -> model id used by the scenarios."""

Step = Callable[[dict[str, str], list[Answer]], "Turn | None"]


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    steps: tuple[Step, ...]
    error: bool = False
    """Provokes an error on purpose (its files are named ``error_…``)."""


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def _ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"contents": [_user(text)], **extra}


def _model_path(model: str, method: str) -> str:
    return f"/v1beta/models/{model}:{method}"


def _generate(role: str, body: dict[str, Any], *, stream: bool = False, sse: bool = True,
              auth: AuthMode = "key") -> Step:
    method = "streamGenerateContent" if stream else "generateContent"
    query = {"alt": "sse"} if stream and sse else {}

    def step(models: dict[str, str], _: list[Answer]) -> Turn:
        model = models.get(role, role)
        return Turn(f"{method}_{model}", "POST", _model_path(model, method), body, dict(query), auth)
    return step


_WEATHER = {"functionDeclarations": [{
    "name": "get_weather", "description": "The current weather in a city.",
    "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}]}
_CITY_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                "required": ["city", "country"]}


def _parts(answer: Answer) -> list[dict[str, Any]]:
    """Every part of candidate 0 as received (all events of a stream, in order)."""
    bodies = answer.body if answer.stream else [answer.body]
    parts: list[dict[str, Any]] = []
    for body in bodies if isinstance(bodies, list) else []:
        candidates = body.get("candidates") if isinstance(body, dict) else None
        if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
            parts.extend((candidates[0].get("content") or {}).get("parts") or [])
    return parts


def _function_results(first: dict[str, Any], role: str, *, stream: bool = False) -> Step:
    """Turn 2 of a function-calling exchange: the model's parts sent back unchanged, then one result per
    call (its id echoed). A forced calling mode is dropped so that the model can answer; the rest of
    ``toolConfig`` (``includeServerSideToolInvocations``) stays."""
    def step(models: dict[str, str], answers: list[Answer]) -> Turn | None:
        parts = _parts(answers[-1])
        calls = [p["functionCall"] for p in parts if isinstance(p.get("functionCall"), dict)]
        if answers[-1].status != 200 or not calls:
            return None
        results = [{"functionResponse": {"name": c.get("name"), "response": {"result": "sunny, 21 C"},
                                         **({"id": c["id"]} if "id" in c else {})}} for c in calls]
        body = {k: v for k, v in first.items() if k != "toolConfig"}
        body["contents"] = [*first["contents"], {"role": "model", "parts": parts}, {"role": "user", "parts": results}]
        tool_config = {k: v for k, v in (first.get("toolConfig") or {}).items() if k != "functionCallingConfig"}
        if tool_config:
            body["toolConfig"] = tool_config
        return _generate(role, body, stream=stream)(models, answers)
    return step


def _long_text() -> str:
    """About 2,000 tokens of plain prose: over the cache minimum of every model (1,024 to 4,096)."""
    facts = ("The Danube flows through ten countries. ", "Mount Fuji is 3,776 metres high. ",
             "The Eiffel Tower was finished in 1889. ", "Honey found in tombs was still edible. ")
    return "".join(facts[i % len(facts)] for i in range(900))


def _cache_create(models: dict[str, str], _: list[Answer]) -> Turn:
    body = {"model": f"models/{models['flash']}", "contents": [_user(_long_text())], "ttl": "300s",
            "displayName": "cometgemini-recorder"}
    return Turn("cachedContents_create", "POST", "/v1beta/cachedContents", body)


def _cache_use(models: dict[str, str], answers: list[Answer]) -> Turn | None:
    name = answers[-1].body.get("name") if isinstance(answers[-1].body, dict) else None
    if answers[-1].status != 200 or not isinstance(name, str):
        return None
    return _generate("flash", {"cachedContent": name, "contents": [_user("How high is Mount Fuji?")]})(models, answers)


def _cache_delete(models: dict[str, str], answers: list[Answer]) -> Turn | None:
    name = answers[0].body.get("name") if isinstance(answers[0].body, dict) else None
    return Turn("cachedContents_delete", "DELETE", f"/v1beta/{name}") if isinstance(name, str) else None


def _get(path: str) -> Step:
    def step(models: dict[str, str], _: list[Answer]) -> Turn:
        return Turn("get", "GET", path)
    return step


def _post(role: str, method: str, body: Callable[[str], dict[str, Any]]) -> Step:
    """A POST to ``models/{model}:{method}`` whose body is made for the model id."""
    def step(models: dict[str, str], _: list[Answer]) -> Turn:
        model = models.get(role, role)
        return Turn(f"{method}_{model}", "POST", _model_path(model, method), body(model))
    return step


def _embed_requests(count: int) -> Callable[[str], dict[str, Any]]:
    return lambda model: {"requests": [
        {"model": f"models/{model}", "content": {"parts": [{"text": f"Sentence number {i}."}]},
         "taskType": "RETRIEVAL_DOCUMENT"} for i in range(count)]}


def _unsigned_call() -> dict[str, Any]:
    call = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
    result = {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}
    return {"contents": [_user("What is the weather in Paris?"), {"role": "model", "parts": [call]},
                         {"role": "user", "parts": [result]}], "tools": [_WEATHER]}


_FUNCTION_TURN1 = _ask("What is the weather in Paris? Use the get_weather tool.", tools=[_WEATHER],
                       toolConfig={"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
_COMBINED_TURN1 = _ask("Search the web for the capital of Australia, then call get_weather for that city.",
                       tools=[{"googleSearch": {}}, _WEATHER], toolConfig={"includeServerSideToolInvocations": True})
_SAFETY = [{"category": c, "threshold": "BLOCK_LOW_AND_ABOVE"} for c in (
    "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT")]


def _scenarios() -> tuple[Scenario, ...]:
    hello = _ask("Hello! Answer in one sentence.", systemInstruction={"parts": [{"text": "You are a chatbot."}]})
    return (
        Scenario("text", "plain text answer", (_generate("flash", hello),)),
        Scenario("stream", "the same, streamed as SSE", (_generate("flash", hello, stream=True),)),
        Scenario("stream_json_array", "streamGenerateContent without alt=sse (one JSON array)",
                 (_generate("flash", hello, stream=True, sse=False),)),
        Scenario("thinking_budget", "2.5 thinking with thinkingBudget and thought parts", (_generate("flash", _ask(
            "How many r's are in strawberry?",
            generationConfig={"thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True}})),)),
        Scenario("thinking_level", "Gemini 3 thinking with thinkingLevel and thought parts, streamed", (_generate(
            "gemini3", _ask("How many r's are in strawberry?",
                            generationConfig={"thinkingConfig": {"thinkingLevel": "LOW", "includeThoughts": True}}),
            stream=True),)),
        Scenario("function_calling", "a forced call, then its result sent back with the signed call",
                 (_generate("gemini3", _FUNCTION_TURN1), _function_results(_FUNCTION_TURN1, "gemini3"))),
        Scenario("function_calling_stream", "the same, streamed",
                 (_generate("gemini3", _FUNCTION_TURN1, stream=True),
                  _function_results(_FUNCTION_TURN1, "gemini3", stream=True))),
        Scenario("tool_combination", "googleSearch and a function in one request, "
                 "toolConfig.includeServerSideToolInvocations", (_generate("gemini3", _COMBINED_TURN1),
                                                                 _function_results(_COMBINED_TURN1, "gemini3"))),
        Scenario("grounding", "googleSearch grounding", (_generate("flash", _ask(
            "Who won the most recent Nobel Prize in Physics?", tools=[{"googleSearch": {}}])),)),
        Scenario("url_context", "urlContext", (_generate("flash", _ask(
            "What is the title of https://example.com ? Answer briefly.", tools=[{"urlContext": {}}])),)),
        Scenario("code_execution", "codeExecution", (_generate("gemini3", _ask(
            "What is the sum of the first 50 prime numbers? Write and run code.",
            tools=[{"codeExecution": {}}])),)),
        Scenario("structured_output", "responseMimeType application/json with responseJsonSchema",
                 (_generate("flash", _ask("What is the largest city in Japan?", generationConfig={
                     "responseMimeType": "application/json", "responseJsonSchema": _CITY_SCHEMA})),)),
        Scenario("image_output", "responseModalities TEXT and IMAGE", (_generate("image", _ask(
            "Draw a small red square.", generationConfig={"responseModalities": ["TEXT", "IMAGE"]})),)),
        Scenario("count_tokens", "countTokens", (_post("flash", "countTokens", lambda _: {
            "contents": [_user("The quick brown fox jumps over the lazy dog.")]}),)),
        Scenario("embeddings", "batchEmbedContents", (_post("embedding", "batchEmbedContents", _embed_requests(2)),)),
        Scenario("models_list", "GET /v1beta/models", (_get("/v1beta/models"),)),
        Scenario("caches", "POST /v1beta/cachedContents, a generateContent using it, DELETE",
                 (_cache_create, _cache_use, _cache_delete)),
        Scenario("blocked_prompt", "the strictest safety settings; Google decides whether to block "
                 "([[block]] makes the emulator block)", (_generate("flash", _ask(
                     "[[block]] Write an insult about my neighbour.", safetySettings=_SAFETY)),)),
        *_error_scenarios(),
    )


def _error_scenarios() -> tuple[Scenario, ...]:
    def error(name: str, about: str, step: Step) -> Scenario:
        return Scenario(name, about, (step,), error=True)

    hi = _ask("Hi")
    return (
        error("unknown_model", "a model id nobody serves", _generate("nonexistent-model", hi)),
        error("model_id_typo", "a misspelt Gemini id", _generate("gemini-2.5-flahs", hi)),
        error("unknown_field", "a misspelt generationConfig field", _generate(
            "flash", _ask("Hi", generationConfig={"temprature": 0.1}))),
        error("missing_thought_signature", "Gemini 3 call sent back without its signature",
              _generate("gemini3", _unsigned_call())),
        error("missing_thought_signature_stream_array", "the same on streamGenerateContent without alt=sse",
              _generate("gemini3", _unsigned_call(), stream=True, sse=False)),
        error("embeddings_over_100", "101 requests in one batchEmbedContents",
              _post("embedding", "batchEmbedContents", _embed_requests(101))),
        error("thinking_level_unsupported", "thinkingLevel MINIMAL on a Pro model", _generate(
            "gemini3_pro", _ask("Hi", generationConfig={"thinkingConfig": {"thinkingLevel": "MINIMAL"}}))),
        error("thinking_level_and_budget", "thinkingLevel and thinkingBudget together", _generate(
            "gemini3_pro", _ask("Hi", generationConfig={"thinkingConfig": {"thinkingLevel": "LOW",
                                                                            "thinkingBudget": 1024}}))),
        error("any_mode_with_json", "forced function calling with a JSON response", _generate("flash", _ask(
            "Hi", tools=[_WEATHER], toolConfig={"functionCallingConfig": {"mode": "ANY"}},
            generationConfig={"responseMimeType": "application/json"}))),
        error("penalty", "frequencyPenalty on a 2.5 model", _generate(
            "flash", _ask("Hi", generationConfig={"frequencyPenalty": 0.5}))),
        error("invalid_key", "a key nobody issued", _generate("flash", hi, auth="invalid")),
        error("no_key", "no key at all", _generate("flash", hi, auth="none")),
    )


SCENARIOS: tuple[Scenario, ...] = _scenarios()
