"""What each Gemini model family supports, known without a network call.

Figures are Google's published limits for the Gemini API. An unknown model id gets the defaults of its
family when its name gives the family away (``gemini-3.7-flash`` is a Gemini 3 model), else conservative
defaults that never refuse a setting the server might accept.

Besides limits and thinking, each entry says what goes in and out (``inputs``/``outputs``: ``text``,
``image``, ``audio``, ``video``, ``pdf``) and whether the model calls functions and follows a response
schema: the adapters describe the model to their frameworks from it (LangChain's ``profile``, LlamaIndex's
``metadata``). Chat models take every input kind and answer in text; ``*-image*`` models draw, ``*-tts``
models speak, and neither calls functions nor follows a schema.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["ModelInfo", "model_info", "normalize_model"]

ThinkingStyle = Literal["level", "budget", "none", "unknown"]
_EVERY_INPUT = frozenset({"text", "image", "audio", "video", "pdf"})
_TEXT = frozenset({"text"})


@dataclass(frozen=True)
class ModelInfo:
    model: str
    family: str
    """``"3"``, ``"2.5"``, ``"2.0"``, ``"1.5"``, ``"embedding"`` or ``"unknown"``."""
    context_window: int
    output_limit: int
    thinking: ThinkingStyle
    """``level``: takes ``thinkingLevel`` (Gemini 3); ``budget``: ``thinkingBudget`` (2.5); ``none``: neither."""
    thinking_levels: tuple[str, ...] = ()
    can_disable_thinking: bool = True
    """False where ``thinkingBudget: 0`` is refused (2.5 Pro always thinks)."""
    min_thinking_budget: int = 0
    max_thinking_budget: int = 0
    inputs: frozenset[str] = _EVERY_INPUT
    """What the model reads: ``text``, ``image``, ``audio``, ``video``, ``pdf``."""
    outputs: frozenset[str] = _TEXT
    """What it answers with: ``text``, ``image``, ``audio``."""
    tool_calling: bool = True
    """Function declarations and ``toolConfig`` (function calling modes)."""
    structured_output: bool = True
    """``responseJsonSchema`` with ``responseMimeType: application/json``."""

    @property
    def is_thinking_model(self) -> bool:
        return self.thinking in ("level", "budget")


def normalize_model(model: str) -> str:
    """The bare model id: ``models/gemini-2.5-flash`` and ``gemini-2.5-flash`` both give the latter."""
    model = model.strip()
    if model.startswith("models/"):
        model = model[len("models/"):]
    if not model or "/" in model:
        raise ValueError(
            f"invalid model id {model!r}: use a bare id such as 'gemini-2.5-flash' or 'models/gemini-2.5-flash'"
        )
    return model


_LEVELS_FULL = ("MINIMAL", "LOW", "MEDIUM", "HIGH")
_LEVELS_PRO = ("LOW", "MEDIUM", "HIGH")
_FAMILY = re.compile(r"^gemini-(\d+(?:\.\d+)?)")


@functools.lru_cache(maxsize=256)  # a pure function of the id, asked on every call by the adapters
def model_info(model: str) -> ModelInfo:
    """Limits and thinking style of ``model``; never raises for an unknown id."""
    name = normalize_model(model).lower()
    if "embedding" in name:
        return ModelInfo(name, "embedding", 2048, 0, "none", outputs=frozenset(), tool_calling=False,
                         structured_output=False)
    if "image" in name or "tts" in name:
        return _info_for_media(name)
    match = _FAMILY.match(name)
    version = float(match.group(1)) if match else 0.0
    if version >= 3:
        pro = "-pro" in name
        return ModelInfo(name, "3", 1_048_576, 65_536, "level", _LEVELS_PRO if pro else _LEVELS_FULL)
    if version >= 2.5:
        return _info_for_25(name)
    if version >= 2:
        return ModelInfo(name, "2.0", 1_048_576, 8_192, "none")
    if version >= 1.5:
        window = 2_097_152 if "pro" in name else 1_048_576
        return ModelInfo(name, "1.5", window, 8_192, "none", structured_output=False)  # responseSchema only
    return ModelInfo(name, "unknown", 1_048_576, 65_536, "unknown")


def _info_for_25(name: str) -> ModelInfo:
    if "pro" in name:
        return ModelInfo(name, "2.5", 1_048_576, 65_536, "budget", can_disable_thinking=False,
                         min_thinking_budget=128, max_thinking_budget=32_768)
    if "lite" in name:
        return ModelInfo(name, "2.5", 1_048_576, 65_536, "budget", min_thinking_budget=512,
                         max_thinking_budget=24_576)
    return ModelInfo(name, "2.5", 1_048_576, 65_536, "budget", max_thinking_budget=24_576)


def _info_for_media(name: str) -> ModelInfo:
    match = _FAMILY.match(name)
    family = match.group(1) if match else "unknown"
    thinking: ThinkingStyle = "level" if family.startswith("3") else "none"
    levels = ("LOW", "HIGH") if thinking == "level" else ()
    speaks = "tts" in name
    window, output = (8_192, 16_384) if speaks else (65_536 if family.startswith("3") else 32_768, 32_768)
    return ModelInfo(name, family, window, output, thinking, levels,
                     inputs=_TEXT if speaks else frozenset({"text", "image"}),
                     outputs=frozenset({"audio"}) if speaks else frozenset({"text", "image"}),
                     tool_calling=False, structured_output=False)
