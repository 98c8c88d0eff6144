"""Pure conversions: LlamaIndex tools and ``tool_choice`` to Gemini ``tools`` / ``toolConfig``.

A ``BaseTool`` becomes a ``functionDeclaration`` with ``parametersJsonSchema`` (plain JSON Schema, ``$ref``
inlined by ``cometgemini._schema``). Wire objects (``Tool``) and dicts (``{"googleSearch": {}}``) pass through,
so built-in tools mix with functions. Declarations are cached per tool: FunctionAgent asks for them on every
step, and building a pydantic JSON Schema costs far more than the rest of the request.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from cometgemini._schema import check_function_name
from cometgemini._types import FunctionCallingConfig, FunctionDeclaration, Tool, ToolConfig

__all__ = ["declaration_for", "tool_config_for", "wire_tools"]

_DECLARATIONS: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], FunctionDeclaration]] = (
    weakref.WeakKeyDictionary()
)


def declaration_for(tool: Any) -> FunctionDeclaration:
    """The ``functionDeclaration`` of a LlamaIndex ``BaseTool`` (anything with a ``metadata: ToolMetadata``)."""
    meta = tool.metadata
    key = (meta.name, meta.description, meta.fn_schema)
    try:
        cached = _DECLARATIONS.get(tool)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is not None and cached[0] == key:
        return cached[1]
    if not meta.name:
        raise ValueError(f"tool {tool!r} has no name: give its ToolMetadata a name")
    from cometgemini._schema import to_json_schema  # on first use: it costs ~50 ms of imports

    schema = to_json_schema(meta.get_parameters_dict())
    declaration = FunctionDeclaration(
        name=meta.name, description=meta.description or None, parameters_json_schema=schema
    )
    with contextlib.suppress(TypeError):  # not weak-referenceable: just not cached
        _DECLARATIONS[tool] = (key, declaration)
    return declaration


def wire_tools(tools: Sequence[Any] | None) -> list[Tool] | None:
    """``tools`` entries (LlamaIndex tools, wire ``Tool``s, ``{"googleSearch": {}}`` dicts) as the request's
    ``tools``: every function in one ``Tool`` entry first, then each built-in as given."""
    if not tools:
        return None
    functions: list[FunctionDeclaration] = []
    others: list[Tool] = []
    for tool in tools:
        if isinstance(tool, Tool):
            others.append(tool)
        elif isinstance(tool, FunctionDeclaration):
            functions.append(tool)
        elif isinstance(tool, Mapping):
            others.append(Tool.model_validate(tool))
        elif hasattr(tool, "metadata"):
            functions.append(declaration_for(tool))
        else:
            raise TypeError(
                f"unsupported tool {tool!r}: pass a LlamaIndex tool (FunctionTool, QueryEngineTool, ...), "
                "a cometgemini Tool or a dict such as {'googleSearch': {}}"
            )
    for declaration in functions:
        _check_name(declaration.name)
    result = [Tool(function_declarations=functions)] if functions else []
    return result + others


def _check_name(name: str) -> None:
    check_function_name(name, "Rename the tool (ToolMetadata.name).")


def _name_of_choice(choice: Mapping[str, Any]) -> str | None:
    function = choice.get("function")
    if isinstance(function, Mapping) and function.get("name"):
        return str(function["name"])
    if choice.get("name"):
        return str(choice["name"])
    return None


def _config_from_mapping(choice: Mapping[str, Any]) -> ToolConfig:
    if "functionCallingConfig" in choice or "function_calling_config" in choice:
        return ToolConfig.model_validate(choice)
    if "mode" in choice:
        return ToolConfig(function_calling_config=FunctionCallingConfig.model_validate(choice))
    name = _name_of_choice(choice)
    if name is None:
        raise ValueError(
            f"tool_choice {dict(choice)!r} names no function: use {{'type': 'function', 'function': "
            "{'name': ...}}, {'name': ...} or {'mode': 'ANY', 'allowedFunctionNames': [...]}"
        )
    return _forced([name])


def _forced(names: list[str] | None = None) -> ToolConfig:
    return ToolConfig(function_calling_config=FunctionCallingConfig(mode="ANY", allowed_function_names=names))


_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "any": "ANY", "validated": "VALIDATED"}


def tool_config_for(
    tool_choice: str | Mapping[str, Any] | ToolConfig | None, tool_required: bool = False
) -> ToolConfig | None:
    """``tool_choice`` ("auto", "none", "required"/"any", "validated", a function name, an OpenAI-style or
    Gemini-style dict, or a ``ToolConfig``) as ``toolConfig``; ``tool_required`` forces a call (``ANY``)."""
    if isinstance(tool_choice, ToolConfig):
        return tool_choice
    if isinstance(tool_choice, Mapping):
        return _config_from_mapping(tool_choice)
    if isinstance(tool_choice, str) and tool_choice:
        mode = _MODES.get(tool_choice.lower())
        if mode is None:
            return _forced([tool_choice])
        if mode == "AUTO" and tool_required:
            mode = "ANY"
        return ToolConfig(function_calling_config=FunctionCallingConfig(mode=mode))
    if tool_required:
        return _forced()
    return None
