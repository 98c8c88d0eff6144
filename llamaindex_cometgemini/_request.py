"""Pure request pieces: the settings (``cometgemini._settings``'s table) as ``generationConfig`` and top-level
request fields, with thinking checked against the model family first.

A call's keyword arguments are settings (any spelling in the table), the escape hatch ``generation_config``
(also ``additional_kwargs``), or one of ``FRAMEWORK_KWARGS``: what LlamaIndex itself passes to ``chat`` (the
tool-calling helpers' ``tools``, ``tool_choice``, ``tool_required``, ``allow_parallel_tool_calls``, our own
``tool_config``, and the flags that reach ``chat``/``complete`` through them). Anything else is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cometgemini._catalog import ModelInfo
from cometgemini._settings import split_extra, wire_fields
from cometgemini._types import GenerationConfig, ThinkingConfig

__all__ = ["FRAMEWORK_KWARGS", "request_settings", "thinking_config"]

FRAMEWORK_KWARGS = frozenset({
    "tools", "tool_choice", "tool_required", "allow_parallel_tool_calls", "tool_config", "verbose", "formatted",
    "stream", "chat_history", "user_msg", "error_on_no_tool_call", "error_on_tool_error",
})  # fmt: skip
"""Keyword arguments of LlamaIndex's own that may reach ``chat``; they are not settings of the API."""


def thinking_config(
    info: ModelInfo, level: str | None, budget: int | None, include_thoughts: bool | None
) -> ThinkingConfig | None:
    """``thinkingConfig`` for ``info``'s family; ``ValueError`` for a setting the family does not take."""
    if level is None and budget is None and include_thoughts is None:
        return None
    if level is not None and budget is not None:
        raise ValueError("set thinking_level (Gemini 3) or thinking_budget (Gemini 2.5), not both")
    if level is not None:
        level = level.upper()
        if info.thinking in ("budget", "none"):
            hint = "use thinking_budget instead" if info.thinking == "budget" else "it does not think"
            raise ValueError(f"{info.model} does not take thinking_level ({hint})")
        if info.thinking_levels and level not in info.thinking_levels:
            raise ValueError(
                f"thinking_level {level!r} is not supported by {info.model}; choose one of "
                f"{', '.join(info.thinking_levels)}"
            )
    if budget is not None:
        _check_budget(info, budget)
    if include_thoughts and info.thinking == "none":
        raise ValueError(f"{info.model} does not think, so include_thoughts cannot be set")
    return ThinkingConfig(include_thoughts=include_thoughts, thinking_budget=budget, thinking_level=level)


def _check_budget(info: ModelInfo, budget: int) -> None:
    if info.thinking in ("level", "none"):
        hint = "use thinking_level instead" if info.thinking == "level" else "it does not think"
        raise ValueError(f"{info.model} does not take thinking_budget ({hint})")
    if info.thinking != "budget" or budget == -1:
        return
    if budget == 0 and not info.can_disable_thinking:
        raise ValueError(f"{info.model} always thinks: thinking_budget=0 is refused (use -1 or a positive budget)")
    if budget and info.max_thinking_budget and not info.min_thinking_budget <= budget <= info.max_thinking_budget:
        raise ValueError(
            f"thinking_budget {budget} is out of range for {info.model}: use 0 (off), -1 (dynamic) or "
            f"{info.min_thinking_budget}..{info.max_thinking_budget}"
        )


def request_settings(
    settings: Mapping[str, Any], extra: Mapping[str, Any], info: ModelInfo
) -> tuple[GenerationConfig | None, dict[str, Any]]:
    """``(generationConfig, top-level request fields)`` for settings by canonical name plus the escape hatch's
    fields (sent as given, over the settings)."""
    thinking = thinking_config(
        info, settings.get("thinking_level"), settings.get("thinking_budget"), settings.get("include_thoughts")
    )
    generation, top = wire_fields(settings)
    extra_generation, extra_top = split_extra(extra)
    generation.update(extra_generation)
    top.update(extra_top)
    if thinking is not None:
        generation["thinkingConfig"] = thinking
    return (GenerationConfig(**generation) if generation else None), top
