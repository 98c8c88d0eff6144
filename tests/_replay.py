"""Comparing Gemini parts the way the API does: a thought signature is bytes (standard and URL-safe base64
of the same bytes are the same signature), and ``tool_type`` is ``toolType`` (proto-JSON takes both casings,
and the recorded turn-2 requests send snake_case)."""

from __future__ import annotations

import base64
from typing import Any

TOOL_COMBINATION = "generateContent_toolCombination_{}_gemini-3-flash-preview.{}.json"


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
