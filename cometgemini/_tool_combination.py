"""Built-in tools and your own functions in one request (Gemini 3 "tool combination"), without I/O.

A request holding a built-in tool (``googleSearch``, ``urlContext``, ``googleMaps``, ``codeExecution``,
``fileSearch``) **and** ``functionDeclarations`` must carry ``toolConfig.includeServerSideToolInvocations:
true``; Google refuses it otherwise (400 "Please enable tool_config.include_server_side_tool_invocations to use
Built-in tools with Function calling."). Only the Gemini 3 family can combine them. With the flag, the answer
holds the built-in tools' steps as ``toolCall`` / ``toolResponse`` parts, each with its own thought signature,
and the next turn must send every one of them back unchanged.

The calling mode is left as the caller set it: Google's docs say combining implies ``VALIDATED``, but the
recorded requests Google accepted with search and functions sent no mode at all, or ``ANY`` with
``allowedFunctionNames`` (and ``AUTO`` with the flag and search alone;
``tests/fixtures/gemini-api/*toolCombination*``), so nothing is forced.

``tool_choice`` (a mode and allowed names) and a user's own ``toolConfig`` are *merged*: each setting the
later source gives wins, the others are kept, so a forced call never drops the flag or a ``retrievalConfig``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._catalog import model_info
from ._types import FunctionCallingConfig, GenerateContentRequest, Tool, ToolConfig, to_wire

__all__ = [
    "BUILT_IN_TOOL_FIELDS",
    "apply_tool_combination",
    "can_combine_tools",
    "forced_mode",
    "merge_tool_configs",
    "parse_tool_config",
]

BUILT_IN_TOOL_FIELDS = ("google_search", "url_context", "google_maps", "code_execution", "file_search")
"""The server-side tools that need the flag next to function declarations (``Tool`` field names)."""

_CONFIG_KEYS = frozenset({
    "functionCallingConfig", "function_calling_config", "retrievalConfig", "retrieval_config",
    "includeServerSideToolInvocations", "include_server_side_tool_invocations",
})  # fmt: skip
_FLAG = "include_server_side_tool_invocations"


def parse_tool_config(value: ToolConfig | Mapping[str, Any]) -> ToolConfig:
    """A ``ToolConfig`` from a wire object or a dict (camelCase or snake_case keys); a key the API does not
    know is a ``ValueError`` here rather than a 400 later."""
    if isinstance(value, ToolConfig):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"tool_config must be a dict or a ToolConfig, got {type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in _CONFIG_KEYS)
    if unknown:
        raise ValueError(
            f"tool_config has unknown keys {unknown}: Gemini's toolConfig takes functionCallingConfig "
            "{mode, allowedFunctionNames}, retrievalConfig {latLng, languageCode} and "
            "includeServerSideToolInvocations"
        )
    return ToolConfig.model_validate(dict(value))


def merge_tool_configs(*configs: ToolConfig | Mapping[str, Any] | None) -> ToolConfig | None:
    """One ``ToolConfig`` from several, later ones winning setting by setting (``functionCallingConfig`` is
    merged field by field too); ``None`` when none has anything."""
    merged: dict[str, Any] = {}
    for config in configs:
        if config is None:
            continue
        wire = to_wire(parse_tool_config(config))
        calling = wire.pop("functionCallingConfig", None)
        merged.update(wire)
        if calling:
            merged["functionCallingConfig"] = {**merged.get("functionCallingConfig", {}), **calling}
    return ToolConfig.model_validate(merged) if merged else None


def can_combine_tools(model: str) -> bool:
    """Whether ``model`` takes built-in tools and function declarations in one request: the Gemini 3 family
    (image models of 3.x too), and ids the catalog does not know (never refuse what the server may accept)."""
    family = model_info(model).family
    return family in ("3", "unknown") or family.startswith("3.")


def _built_ins(tools: Sequence[Tool]) -> list[str]:
    return [name for tool in tools for name in BUILT_IN_TOOL_FIELDS if getattr(tool, name) is not None]


def _functions(tools: Sequence[Tool]) -> list[str]:
    return [d.name for tool in tools for d in tool.function_declarations or ()]


def apply_tool_combination(model: str, request: GenerateContentRequest) -> None:
    """Set ``toolConfig.includeServerSideToolInvocations`` when ``request`` combines built-in tools with
    function declarations on a model that can combine them; a ``ValueError`` (before anything is sent) when it
    cannot, or when the caller turned the flag off for such a request."""
    tools = request.tools or []
    built_ins = _built_ins(tools)
    functions = _functions(tools)
    if not built_ins or not functions:
        return
    wire_names = ", ".join(sorted({_camel(n) for n in built_ins}))
    if not can_combine_tools(model):
        raise ValueError(
            f"{model} cannot combine built-in tools ({wire_names}) with function declarations "
            f"({', '.join(functions)}) in one request: only Gemini 3 models can (e.g. gemini-3-flash-preview). "
            "Use a Gemini 3 model, or send the built-in tool and the functions in separate requests."
        )
    config = request.tool_config or ToolConfig()
    flag = getattr(config, _FLAG)
    if flag is False:
        raise ValueError(
            f"include_server_side_tool_invocations=False, but the request combines built-in tools ({wire_names}) "
            "with function declarations, which Gemini refuses without it. Leave it unset (it is turned on for "
            "you) or set it to True."
        )
    if flag is None:
        config = config.model_copy(update={_FLAG: True})
    request.tool_config = config


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def forced_mode(config: ToolConfig | None) -> str | None:
    """The ``functionCallingConfig.mode`` of ``config``, upper-cased (``None`` when unset)."""
    calling = config.function_calling_config if config is not None else None
    mode = calling.mode if isinstance(calling, FunctionCallingConfig) else None
    return mode.upper() if mode else None
