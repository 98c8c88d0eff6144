"""A request that uses a context cache, made to fit it: what the cache holds is left out, a clash is an error.

Google refuses ``cachedContent`` next to ``systemInstruction``, ``tools`` or ``toolConfig`` (400 "CachedContent
can not be used with GenerateContent request setting system_instruction, tools or tool_config"): those belong
in the cache. Frameworks put them on every call (a system message, tools bound once, an agent's tools), so
``fit_to_cache`` decides, before anything is sent:

* a field the cache holds with the **same** value is dropped from the request (the cache supplies it);
* a field the cache does not hold, or holds with another value, is a ``ValueError`` that says which and how
  to fix it;
* a cache made with another model is a ``ValueError`` (Google answers 400 for it).

What a cache holds is known for the caches created by this process (``client.caches.create``, and the
adapters' ``create_context_cache``, which goes through it): Google never returns a cache's contents, system
instruction or tools. A cache made elsewhere (another process, the console) is taken to hold nothing we can
compare, so any of the three fields next to it is an error. A ``toolConfig`` of mode ``AUTO`` without names is
Gemini's default and counts as none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ._catalog import normalize_model
from ._types import Content, GenerateContentRequest, Tool, ToolConfig, to_wire

__all__ = ["CacheHolds", "fit_to_cache", "forget", "held", "holds_of", "remember"]

_LIMIT = 4096
_HELD: OrderedDict[str, CacheHolds] = OrderedDict()
_LOCK = threading.Lock()
_FIELDS = (("system_instruction", "a system instruction (system message)"), ("tools", "tools"),
           ("tool_config", "a tool config (tool_choice)"))


@dataclass(frozen=True)
class CacheHolds:
    """What one cache holds, in comparable (wire) form; ``None`` for a field it does not hold."""

    model: str
    system_instruction: Any = None
    tools: Any = None
    tool_config: Any = None


def _system(value: Content | None) -> Any:
    return None if value is None or not value.parts else [to_wire(p) for p in value.parts]  # the role is moot


def _tools(value: list[Tool] | None) -> Any:
    return [to_wire(t) for t in value] if value else None


def _tool_config(value: ToolConfig | None) -> Any:
    wire = to_wire(value) if value is not None else {}
    if wire in ({}, {"functionCallingConfig": {"mode": "AUTO"}}):
        return None
    return wire


def holds_of(model: str, system_instruction: Content | None, tools: list[Tool] | None,
             tool_config: ToolConfig | None) -> CacheHolds:
    return CacheHolds(normalize_model(model), _system(system_instruction), _tools(tools), _tool_config(tool_config))


def remember(name: str, holds: CacheHolds) -> None:
    """Note what cache ``name`` holds (its creator calls this); the oldest of 4096 are forgotten."""
    with _LOCK:
        _HELD[name] = holds
        _HELD.move_to_end(name)
        while len(_HELD) > _LIMIT:
            _HELD.popitem(last=False)


def forget(name: str) -> None:
    with _LOCK:
        _HELD.pop(name, None)


def held(name: str) -> CacheHolds | None:
    return _HELD.get(name)


def _present(request: GenerateContentRequest) -> dict[str, Any]:
    values = {"system_instruction": _system(request.system_instruction), "tools": _tools(request.tools),
              "tool_config": _tool_config(request.tool_config)}
    return {name: value for name, value in values.items() if value is not None}


def fit_to_cache(request: GenerateContentRequest, model: str) -> GenerateContentRequest:
    """``request`` without what its cache holds; ``ValueError`` for anything Gemini would refuse next to it."""
    name = str(request.cached_content)
    present = _present(request)
    holds = held(name)
    if holds is not None and holds.model != normalize_model(model):
        raise ValueError(f"the context cache {name} was created for {holds.model}, and this call uses "
                         f"{normalize_model(model)}: Gemini only uses a cache with its own model")
    if holds is None:
        if present:
            raise ValueError(
                f"Gemini refuses cached_content together with {_named(present)} in the request: they must be "
                f"in the cache. What {name} holds is unknown here (it was not created by this process), so "
                "drop them from this call if the cache already holds them, or create the cache with them "
                "(create_context_cache(llm, messages, tools=...) or client.caches.create(...))"
            )
        return _without_held(request)
    differing = [(label, getattr(holds, field) is not None) for field, label in _FIELDS
                 if field in present and getattr(holds, field) != present[field]]
    if differing:
        reasons = "; ".join(f"{label} {'other than the one in the cache' if held_one else 'the cache does not hold'}"
                            for label, held_one in differing)
        raise ValueError(
            f"this call sets {reasons}: Gemini refuses them next to the context cache {name}. Drop them from "
            "this call (the cache supplies its own), or create a cache that holds exactly these "
            "(create_context_cache(llm, messages, tools=...))"
        )
    return _without_held(request)


def _without_held(request: GenerateContentRequest) -> GenerateContentRequest:
    """The request less the three fields (each one absent, held by the cache, or an ``AUTO`` default)."""
    if request.system_instruction is None and request.tools is None and request.tool_config is None:
        return request
    return request.model_copy(update={"system_instruction": None, "tools": None, "tool_config": None})


def _named(fields: dict[str, Any]) -> str:
    return " and ".join(label for field, label in _FIELDS if field in fields)
