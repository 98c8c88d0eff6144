"""When the emulated model calls functions, which ones, and with which arguments."""

from __future__ import annotations

import re
from typing import Any

from ._schema import PromptValues, instance

__all__ = ["Call", "declarations", "plan_calls"]

Call = tuple[str, dict[str, Any]]
_ASKS = re.compile(r"\b(call|calls|invoke|use (a|the|your|some) (tool|function)s?|use tools?|run the tool)\b")
_GENERIC = frozenset({"get", "set", "fetch", "find", "lookup", "look", "up", "search", "query", "do", "run", "make",
                      "tool", "function", "info", "data", "current", "the", "a", "an", "of", "for", "by", "to",
                      "and", "or", "with", "from", "list", "all", "new", "value", "result"})
_ARITHMETIC = re.compile(r"\d\s*[-+*/×]\s*\d")
_MATH_WORDS = frozenset({"calculator", "calculate", "calc", "math", "arithmetic", "compute", "evaluate", "add",
                         "sum", "multiply"})
_REPEAT = {"twice": 2, "two times": 2, "2 times": 2, "three times": 3, "thrice": 3, "3 times": 3}


def declarations(req: dict[str, Any]) -> dict[str, dict[str, Any]]:
    decls: dict[str, dict[str, Any]] = {}
    for tool in req.get("tools") or []:
        for decl in tool.get("functionDeclarations") or []:
            decls[str(decl.get("name"))] = decl
    return decls


def _args(decl: dict[str, Any], values: PromptValues) -> dict[str, Any]:
    schema = decl.get("parameters")
    if schema is None:
        schema = decl.get("parametersJsonSchema")
    if not isinstance(schema, dict):
        return {}
    value = instance(schema, values)
    return value if isinstance(value, dict) else {}


def _mentions(prompt: str, names: list[str]) -> list[tuple[int, str, str | None]]:
    """(position, name, text inside ``name(...)`` or None) for every mention of a declared name."""
    found: list[tuple[int, str, str | None]] = []
    for name in names:
        pattern = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])(\(([^)]*)\))?", re.IGNORECASE)
        for match in pattern.finditer(prompt):
            found.append((match.start(), name, match.group(2)))
    found.sort(key=lambda m: m[0])
    with_parens = {name for _, name, inner in found if inner is not None}
    seen: set[str] = set()
    result = []
    for pos, name, inner in found:
        if inner is None and (name in with_parens or name in seen):
            continue
        seen.add(name)
        result.append((pos, name, inner))
    return result


def _topic_words(name: str) -> set[str]:
    """The distinctive words of a function name: ``get_weather`` → {"weather"}, ``lookUpCity`` → {"city"}."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ").lower().split()
    return {w for w in words if len(w) > 2 and w not in _GENERIC}


def _on_topic(prompt: str, names: list[str]) -> list[str]:
    """Declared functions whose distinctive words the prompt uses (a real model calls ``get_weather`` when
    asked about the weather, without being told its name, and a ``calculator`` when asked for 2+2)."""
    words = set(re.findall(r"[a-z0-9]+", prompt.lower()))
    if _ARITHMETIC.search(prompt):
        words |= _MATH_WORDS
    return [n for n in names if _topic_words(n) & words]


def plan_calls(req: dict[str, Any], prompt: str, after_response: bool, called: list[str]) -> list[Call]:
    """The calls of this answer ([] for a text answer)."""
    decls = declarations(req)
    if not decls:
        return []
    config = (req.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = str(config.get("mode") or "AUTO").upper()
    if mode == "NONE":
        return []
    allowed = [n for n in config.get("allowedFunctionNames") or decls if n in decls] or list(decls)
    if after_response:
        if mode != "ANY":
            return []
        pending = [n for n in allowed if n not in called] or allowed
        return [(pending[0], _args(decls[pending[0]], PromptValues(prompt)))]
    lower = prompt.lower()
    mentions = [m for m in _mentions(prompt, allowed)]
    if not mentions and mode not in ("ANY", "VALIDATED") and not _ASKS.search(lower):
        topical = _on_topic(prompt, allowed)
        if not topical:
            return []
        mentions = [(0, topical[0], None)]
    shared = PromptValues(prompt)
    if not mentions:
        names = allowed if "parallel" in lower else allowed[:1]
        mentions = [(0, n, None) for n in names]
    repeat = next((n for word, n in _REPEAT.items() if word in lower), 1)
    if len(mentions) == 1 and mentions[0][2] is None:
        mentions = mentions * repeat
    calls: list[Call] = []
    for _, name, inner in mentions:
        values = PromptValues(inner) if inner is not None else shared
        calls.append((name, _args(decls[name], values)))
    return calls
