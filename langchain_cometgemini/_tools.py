"""Pure conversions: LangChain tools and ``tool_choice`` → Gemini ``tools`` / ``toolConfig`` (wire dicts).

Functions, ``BaseTool``s, pydantic models, TypedDicts and OpenAI / Anthropic tool dicts become
``functionDeclarations`` with a ``parametersJsonSchema`` that keeps its constraints; built-in tools
(``{"google_search": {}}`` ...) become their own ``tools`` entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from cometgemini._schema import check_function_name, to_json_schema

__all__ = ["BUILTIN_TOOLS", "convert_tools", "declared_names", "ensure_wire_tools", "tool_config"]

BUILTIN_TOOLS: dict[str, str] = {
    "google_search": "googleSearch",
    "google_search_retrieval": "googleSearchRetrieval",
    "code_execution": "codeExecution",
    "url_context": "urlContext",
    "google_maps": "googleMaps",
    "file_search": "fileSearch",
    "computer_use": "computerUse",
}
_BUILTIN_WIRE = {wire: wire for wire in BUILTIN_TOOLS.values()} | BUILTIN_TOOLS


def _builtin(tool: Any) -> dict[str, Any] | None:
    """``{"googleSearch": {...}}`` for a one-key built-in tool dict, else ``None``."""
    if isinstance(tool, Mapping) and len(tool) == 1:
        (key, value), = tool.items()
        if key in _BUILTIN_WIRE:
            return {_BUILTIN_WIRE[key]: dict(value or {})}
    return None


_RENAME = "Rename the tool (the function's or BaseTool's name, or the dict's 'name')."


def _declaration(tool: Any) -> dict[str, Any]:
    if isinstance(tool, Mapping) and "functionDeclarations" in tool:
        raise ValueError("pass the function declarations themselves, not a Gemini 'tools' entry")
    if isinstance(tool, Mapping) and "parametersJsonSchema" in tool:  # already a Gemini declaration
        check_function_name(tool.get("name"), _RENAME)
        return dict(tool)
    from langchain_core.utils.function_calling import convert_to_openai_tool

    try:
        function = convert_to_openai_tool(tool)["function"]
    except (AttributeError, KeyError, TypeError) as exc:  # langchain-core's own message is often a bare KeyError
        raise ValueError(
            f"cannot turn {tool!r:.120} into a function declaration ({type(exc).__name__}: {exc}). Pass a "
            "function, a BaseTool, a pydantic model, a TypedDict, or an OpenAI/Anthropic tool dict whose "
            "parameters are a JSON Schema object."
        ) from exc
    declaration: dict[str, Any] = {"name": check_function_name(function["name"], _RENAME)}
    if function.get("description"):
        declaration["description"] = function["description"]
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    declaration["parametersJsonSchema"] = to_json_schema(parameters)
    return declaration


def convert_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """Gemini ``tools`` entries: one holding every function declaration, then one per built-in."""
    declarations: list[dict[str, Any]] = []
    builtins: list[dict[str, Any]] = []
    for tool in tools:
        builtin = _builtin(tool)
        if builtin is not None:
            builtins.append(builtin)
        else:
            declarations.append(_declaration(tool))
    entries: list[dict[str, Any]] = [{"functionDeclarations": declarations}] if declarations else []
    return entries + builtins


def _is_declarations_entry(tool: Any) -> bool:
    return isinstance(tool, Mapping) and "functionDeclarations" in tool


def ensure_wire_tools(tools: Sequence[Any] | None) -> list[dict[str, Any]] | None:
    """``tools`` as Gemini entries, whether they already are (from ``bind_tools``) or are LangChain tools
    passed straight to ``invoke(..., tools=[...])``."""
    if not tools:
        return None
    if not all(_is_declarations_entry(t) or _builtin(t) is not None for t in tools):
        return convert_tools(tools)
    return [dict(t) if _is_declarations_entry(t) else cast(dict[str, Any], _builtin(t)) for t in tools]


def declared_names(tools: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Names of the functions declared in Gemini ``tools`` entries."""
    return [d["name"] for entry in tools or () for d in entry.get("functionDeclarations") or ()]


def _choice_names(tool_choice: Any) -> list[str] | None:
    """The function names a ``tool_choice`` forces, ``None`` if it is not a name-based choice."""
    if isinstance(tool_choice, str):
        return [tool_choice]
    if isinstance(tool_choice, Mapping):
        if isinstance(tool_choice.get("function"), Mapping):  # OpenAI: {"type": "function", "function": {...}}
            return [str(tool_choice["function"]["name"])]
        if tool_choice.get("name"):  # Anthropic: {"type": "tool", "name": ...}
            return [str(tool_choice["name"])]
    if isinstance(tool_choice, (list, tuple)) and all(isinstance(n, str) for n in tool_choice):
        return list(tool_choice)
    return None


_MODES = {"auto": "AUTO", "none": "NONE", "any": "ANY", "required": "ANY", "validated": "VALIDATED"}


def tool_config(tool_choice: Any, names: Sequence[str]) -> dict[str, Any] | None:
    """The ``toolConfig`` for a LangChain ``tool_choice``; raises ``ValueError`` for an unknown name."""
    if tool_choice is None:
        return None
    if isinstance(tool_choice, Mapping) and (
        "functionCallingConfig" in tool_choice or "function_calling_config" in tool_choice
    ):
        return dict(tool_choice)  # a Gemini toolConfig, as is
    if tool_choice is True:
        return {"functionCallingConfig": {"mode": "ANY"}}
    if tool_choice is False:
        return {"functionCallingConfig": {"mode": "NONE"}}
    if isinstance(tool_choice, str) and tool_choice.lower() in _MODES:
        return {"functionCallingConfig": {"mode": _MODES[tool_choice.lower()]}}
    if isinstance(tool_choice, Mapping) and tool_choice.get("type") in ("auto", "any", "none"):
        return {"functionCallingConfig": {"mode": _MODES[str(tool_choice["type"])]}}
    wanted = _choice_names(tool_choice)
    if wanted is None:
        raise ValueError(
            f"unsupported tool_choice {tool_choice!r}: use 'auto', 'any', 'required', 'none', 'validated', "
            "True, a tool name, a list of names, or {'type': 'function', 'function': {'name': ...}}"
        )
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise ValueError(f"tool_choice names {unknown} but the bound tools are {list(names)}")
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": wanted}}
