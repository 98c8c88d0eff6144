"""Comparing Gemini parts the way the API does: a thought signature is bytes (standard and URL-safe base64
of the same bytes are the same signature), and ``tool_type`` is ``toolType`` (proto-JSON takes both casings,
and the recorded turn-2 requests send snake_case)."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel

from tests._fixtures import load_json

TOOL_COMBINATION = "generateContent_toolCombination_{}_gemini-3-flash-preview.{}.json"


class CityLocation(BaseModel):
    """The schema of the recorded ``jsonSchema`` tool-combination exchange."""

    city: str
    country: str


def recorded(kind: str, name: str) -> Any:
    """A recorded tool-combination file: ``recorded("auto_googleSearch_plus_function", "turn1.request")``."""
    return load_json(TOOL_COMBINATION.format(kind, name))


def _signature(text: str) -> bytes:
    body = text.rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(body + "=" * (-len(body) % 4))


def as_sent(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``parts`` with signatures decoded and server-side steps' keys in camelCase."""
    out = []
    for original in parts:
        part = dict(original)
        if "thoughtSignature" in part:
            part["thoughtSignature"] = _signature(part["thoughtSignature"])
        for kind in ("toolCall", "toolResponse"):
            if kind in part:
                step = dict(part[kind])
                if "tool_type" in step:
                    step["toolType"] = step.pop("tool_type")
                part[kind] = step
        out.append(part)
    return out


def contents_as_sent(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"role": c.get("role"), "parts": as_sent(c.get("parts", []))} for c in contents]
