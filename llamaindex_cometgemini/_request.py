"""Pure request pieces: settings to ``generationConfig`` (thinking checked against the model family first),
``safetySettings``, and the per-call overrides ``chat(..., temperature=...)`` accepts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cometgemini._catalog import ModelInfo
from cometgemini._types import GenerationConfig, SafetySetting, ThinkingConfig

__all__ = ["OVERRIDABLE", "generation_config", "safety_settings", "thinking_config"]

OVERRIDABLE = frozenset({
    "temperature", "top_p", "top_k", "max_tokens", "stop", "seed", "thinking_level", "thinking_budget",
    "include_thoughts", "response_modalities", "safety_settings", "cached_content", "presence_penalty",
    "frequency_penalty", "media_resolution",
})  # fmt: skip
"""Fields a single call may override as keyword arguments."""


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


def generation_config(settings: Mapping[str, Any], info: ModelInfo) -> GenerationConfig | None:
    """``generationConfig`` from the model's settings (field names as on ``CometGemini``)."""
    thinking = thinking_config(
        info, settings.get("thinking_level"), settings.get("thinking_budget"), settings.get("include_thoughts")
    )
    stop = settings.get("stop")
    values = {
        "temperature": settings.get("temperature"),
        "top_p": settings.get("top_p"),
        "top_k": settings.get("top_k"),
        "max_output_tokens": settings.get("max_tokens"),
        "stop_sequences": [stop] if isinstance(stop, str) else (list(stop) if stop else None),
        "seed": settings.get("seed"),
        "presence_penalty": settings.get("presence_penalty"),
        "frequency_penalty": settings.get("frequency_penalty"),
        "media_resolution": settings.get("media_resolution"),
        "response_modalities": [m.upper() for m in settings.get("response_modalities") or []] or None,
        "thinking_config": thinking,
    }
    present = {k: v for k, v in values.items() if v is not None}
    return GenerationConfig(**present) if present else None


def safety_settings(value: Mapping[str, str] | Sequence[Any] | None) -> list[SafetySetting] | None:
    """``{category: threshold}`` or a list of ``{category, threshold}`` / ``SafetySetting``."""
    if not value:
        return None
    if isinstance(value, Mapping):
        return [SafetySetting(category=_category(k), threshold=str(v).upper()) for k, v in value.items()]
    return [v if isinstance(v, SafetySetting) else SafetySetting.model_validate(v) for v in value]


def _category(name: str) -> str:
    name = str(name).upper()
    return name if name.startswith("HARM_CATEGORY_") else "HARM_CATEGORY_" + name
