"""Strict request validation, as Google does it: unknown fields and contradictory settings give 400.

The walk is driven by the pydantic models of ``cometgemini._types``: every key must be a field of the model
in lowerCamelCase or snake_case. Free-form values (schemas, ``args``, ``response``) are not walked. The walk
returns a copy of the request with every key in camelCase, so the rest of the emulator reads one casing.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel
from pydantic.alias_generators import to_camel, to_snake

from .. import _types as t
from .._catalog import ModelInfo
from ._errors import ApiError
from ._sig import check_signature, step_ids

__all__ = ["normalize", "spec_for", "validate_generate"]

# key -> (camelCase name, snake_case name, child) where child is None for a free-form value, else
# (spec of the child model, whether the value is a list of them).
Spec = dict[str, tuple[str, str, "tuple[Spec, bool] | None"]]

# Fields Google accepts that the client models leave out.
_EXTRA: dict[type[BaseModel], tuple[str, ...]] = {
    t.GenerateContentRequest: ("store", "labels", "model"),
    t.Tool: ("mcpServers", "googleSearchRetrieval"),
    t.GenerationConfig: ("audioTimestamp", "responseLogprobs"),
    t.EmbedContentRequest: (),
}
_MODEL_TYPES = (types.UnionType, Union)


def _inner_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    origin = typing.get_origin(annotation)
    if origin in _MODEL_TYPES:
        for arg in typing.get_args(annotation):
            model, is_list = _inner_model(arg)
            if model is not None:
                return model, is_list
        return None, False
    if origin is list:
        model, _ = _inner_model(typing.get_args(annotation)[0])
        return model, model is not None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _build(model: type[BaseModel], cache: dict[type[BaseModel], Spec]) -> Spec:
    if model in cache:
        return cache[model]
    spec: Spec = {}
    cache[model] = spec
    for name, field in model.model_fields.items():
        camel = to_camel(name)
        inner, is_list = _inner_model(field.annotation)
        child = (_build(inner, cache), is_list) if inner is not None else None
        spec[camel] = (camel, name, child)
        spec[name] = (camel, name, child)
    for camel in _EXTRA.get(model, ()):
        spec.setdefault(camel, (camel, to_snake(camel), None))
        spec.setdefault(to_snake(camel), (camel, to_snake(camel), None))
    return spec


_CACHE: dict[type[BaseModel], Spec] = {}
REQUEST_SPEC = _build(t.GenerateContentRequest, _CACHE)
CONTENT_SPEC = _build(t.Content, _CACHE)
EMBED_SPEC = _build(t.EmbedContentRequest, _CACHE)


def spec_for(model: type[BaseModel]) -> Spec:
    """The walk spec of another wire model (e.g. a resource's body)."""
    return _build(model, _CACHE)


def normalize(value: Any, spec: Spec, path: str = "") -> dict[str, Any]:
    """A camelCase copy of ``value``; 400 on an unknown key or a wrong container type."""
    if not isinstance(value, dict):
        where = f" at '{path}'" if path else ""
        raise ApiError(400, f"Invalid JSON payload received. Expected an object{where}.")
    out: dict[str, Any] = {}
    for key, item in value.items():
        entry = spec.get(key)
        if entry is None:
            where = f" at '{path}'" if path else ""
            raise ApiError(400, f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.')
        camel, snake, child = entry
        if child is None or item is None:
            out[camel] = item
            continue
        sub, is_list = child
        sub_path = f"{path}.{snake}" if path else snake
        if is_list:
            if not isinstance(item, list):
                raise ApiError(400, f"Invalid JSON payload received. Expected a list at '{sub_path}'.")
            out[camel] = [normalize(x, sub, f"{sub_path}[{i}]") for i, x in enumerate(item)]
        else:
            out[camel] = normalize(item, sub, sub_path)
    return out


# --------------------------------------------------------------------------------------------- semantics

_SIG_MESSAGE = (
    "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
    "correctly, and missing thought_signature may lead to degraded model performance. Additional data, "
    "function call `default_api:{name}` , position {pos}. Please refer to "
    "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)


def validate_generate(req: dict[str, Any], info: ModelInfo, secret: str, strict_sigs: bool) -> dict[str, int]:
    """Semantic checks of a normalized GenerateContentRequest; returns signature counts by kind."""
    contents = req.get("contents") or []
    if not contents:
        raise ApiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
    _check_tools(req.get("tools") or [])
    _check_tool_combination(req.get("tools") or [], req.get("toolConfig") or {}, info)
    _check_generation(req.get("generationConfig") or {}, req.get("toolConfig") or {}, info)
    _check_function_responses(contents)
    _check_server_steps(contents, strict_sigs)
    return _check_signatures(contents, info, secret, strict_sigs)


def _check_tools(tools: list[dict[str, Any]]) -> None:
    for i, tool in enumerate(tools):
        for j, decl in enumerate(tool.get("functionDeclarations") or []):
            where = f"tools[{i}].function_declarations[{j}]"
            if not decl.get("name"):
                raise ApiError(400, f"* GenerateContentRequest.{where}.name: Name cannot be empty.\n")
            if decl.get("parameters") is not None and decl.get("parametersJsonSchema") is not None:
                raise ApiError(400, f"* GenerateContentRequest.{where}: parameters and parameters_json_schema "
                                    "cannot both be set. Use only one of them.\n")
            if decl.get("response") is not None and decl.get("responseJsonSchema") is not None:
                raise ApiError(400, f"* GenerateContentRequest.{where}: response and response_json_schema "
                                    "cannot both be set. Use only one of them.\n")


_BUILT_INS = ("googleSearch", "urlContext", "googleMaps", "codeExecution", "fileSearch")
_COMBINATION_MESSAGE = ("Please enable tool_config.include_server_side_tool_invocations to use Built-in tools with "
                        "Function calling.")


def _check_tool_combination(tools: list[dict[str, Any]], tool_config: dict[str, Any], info: ModelInfo) -> None:
    """Built-in tools next to function declarations need the flag (Google's recorded message), and only the
    Gemini 3 family takes them together (our wording: not recorded)."""
    built_in = any(tool.get(name) is not None for tool in tools for name in _BUILT_INS)
    functions = any(tool.get("functionDeclarations") for tool in tools)
    if not (built_in and functions):
        return
    if tool_config.get("includeServerSideToolInvocations") is not True:
        raise ApiError(400, _COMBINATION_MESSAGE)
    if info.family not in ("3", "unknown") and not info.family.startswith("3."):
        raise ApiError(400, f"Built-in tools with Function calling is not supported for models/{info.model}; "
                            "use a Gemini 3 model.")


def _check_server_steps(contents: list[dict[str, Any]], strict: bool) -> None:
    """``MEDIA_PROCESSING`` steps cannot be replayed (Google's message). In strict mode, every ``toolResponse``
    must follow the ``toolCall`` with its id in the same content, and every ``toolCall`` have its response."""
    for i, content in enumerate(contents):
        open_calls: dict[str, int] = {}
        for j, part in enumerate(content.get("parts") or []):
            step = part.get("toolCall") or part.get("toolResponse")
            if not isinstance(step, dict):
                continue
            if str(step.get("toolType") or "").upper() == "MEDIA_PROCESSING":
                raise ApiError(400, "Tool type of tool_call part does not match with tool call context")
            if not strict:
                continue
            step_id = str(step.get("id"))
            if "toolCall" in part:
                open_calls[step_id] = j
            elif open_calls.pop(step_id, None) is None:
                raise ApiError(400, f"* GenerateContentRequest.contents[{i}].parts[{j}].tool_response: no tool_call "
                                    f"with id '{step_id}' before it in the same content.\n")
        if open_calls:
            step_id, j = next(iter(open_calls.items()))
            raise ApiError(400, f"* GenerateContentRequest.contents[{i}].parts[{j}].tool_call: its tool_response "
                                f"(id '{step_id}') is missing from the same content.\n")


def _check_generation(gen: dict[str, Any], tool_config: dict[str, Any], info: ModelInfo) -> None:
    if gen.get("responseSchema") is not None and gen.get("responseJsonSchema") is not None:
        raise ApiError(400, "* GenerateContentRequest.generation_config: response_schema and "
                            "response_json_schema cannot both be set. Use only one of them.\n")
    mode = str((tool_config.get("functionCallingConfig") or {}).get("mode") or "AUTO").upper()
    if mode == "ANY" and gen.get("responseMimeType") == "application/json":
        raise ApiError(400, "Forced function calling (ANY mode) with a response mime type: "
                            "'application/json' is unsupported")
    count = gen.get("candidateCount")
    if count is not None and (not isinstance(count, int) or not 1 <= count <= 8):
        raise ApiError(400, "* GenerateContentRequest.generation_config.candidate_count: "
                            "must be between 1 and 8.\n")
    _check_thinking(gen.get("thinkingConfig") or {}, info)
    _check_penalties(gen, info)


def _check_penalties(gen: dict[str, Any], info: ModelInfo) -> None:
    # Only the 2.0 family takes penalties; later models refuse any value but 0, which is not checked
    # (recorded for gemini-2.5-flash; the same reported for 2.5 Pro and the 3 family).
    if info.family in ("2.0", "unknown"):
        return
    if any(gen.get(key) not in (None, 0) for key in ("presencePenalty", "frequencyPenalty")):
        raise ApiError(400, f"Penalty is not enabled for models/{info.model}")


def _check_thinking(thinking: dict[str, Any], info: ModelInfo) -> None:
    level, budget = thinking.get("thinkingLevel"), thinking.get("thinkingBudget")
    if level is not None and budget is not None:
        raise ApiError(400, "You can only set only one of thinking budget and thinking level.")
    if level is not None:
        if info.thinking not in ("level", "unknown"):
            raise ApiError(400, "Thinking level is not supported for this model.")
        if info.thinking_levels and str(level).upper() not in info.thinking_levels:
            raise ApiError(400, f"Thinking level {level} is not supported for this model. "
                                "Please retry with other thinking level.")
    if budget is not None and info.thinking == "budget":
        if budget == 0 and not info.can_disable_thinking:
            raise ApiError(400, "Budget 0 is invalid. This model only works in thinking mode.")
        if budget not in (0, -1) and info.max_thinking_budget and not (
                info.min_thinking_budget <= budget <= info.max_thinking_budget):
            raise ApiError(400, f"The thinking budget {budget} is invalid. Please choose a value between "
                                f"{info.min_thinking_budget} and {info.max_thinking_budget}.")


def _check_function_responses(contents: list[dict[str, Any]]) -> None:
    called: set[str] = set()
    for i, content in enumerate(contents):
        for j, part in enumerate(content.get("parts") or []):
            call = part.get("functionCall")
            if isinstance(call, dict):
                called.add(str(call.get("name")))
            response = part.get("functionResponse")
            if isinstance(response, dict) and response.get("name") not in called:
                raise ApiError(400, f"* GenerateContentRequest.contents[{i}].parts[{j}].function_response.name: "
                                    f"function response name '{response.get('name')}' does not match any "
                                    "function call in the previous turns.\n")


def _current_turn_start(contents: list[dict[str, Any]]) -> int:
    for i in range(len(contents) - 1, -1, -1):
        content = contents[i]
        if content.get("role", "user") == "user" and any(
                isinstance(p.get("text"), str) for p in content.get("parts") or []):
            return i + 1
    return 0


def _check_signatures(contents: list[dict[str, Any]], info: ModelInfo, secret: str,
                      strict: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    start = _current_turn_start(contents)
    for i, content in enumerate(contents):
        first_call_seen = False
        steps = step_ids(content.get("parts") or [])
        for part in content.get("parts") or []:
            sig = part.get("thoughtSignature")
            is_call = isinstance(part.get("functionCall"), dict)
            if sig is not None:
                kind = check_signature(secret, sig, part, steps)
                if kind == "invalid":
                    raise ApiError(400, "Invalid thought signature: it is not valid base64.")
                if kind == "foreign" and strict:
                    raise ApiError(400, "Invalid thought signature.")
                counts[kind] = counts.get(kind, 0) + 1
            if is_call and not first_call_seen:
                first_call_seen = True
                if (info.family == "3" and i >= start and sig is None
                        and content.get("role") == "model"):
                    name = str(part["functionCall"].get("name"))
                    raise ApiError(400, _SIG_MESSAGE.format(name=name, pos=i + 1))
    return counts
