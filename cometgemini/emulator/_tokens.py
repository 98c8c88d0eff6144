"""The one deterministic token counter behind ``usageMetadata`` and ``countTokens``.

Text: ``max(words, ceil(chars / 4))`` (whitespace-separated words). Any media part (``inlineData`` or
``fileData``) costs a flat ``MEDIA_TOKENS``; function calls and responses, code parts and server-side tool steps
are counted on their compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["AUDIO_OUTPUT_TOKENS", "IMAGE_OUTPUT_TOKENS", "MEDIA_TOKENS", "count_parts", "count_request",
           "count_text", "details"]

MEDIA_TOKENS = 258
IMAGE_OUTPUT_TOKENS = 1290
AUDIO_OUTPUT_TOKENS = 8
"""One spoken answer (``_tools.AUDIO_SECONDS``, a quarter second) at Gemini's 32 audio tokens a second."""


def count_text(text: str) -> int:
    if not text:
        return 0
    return max(len(text.split()), (len(text) + 3) // 4)


def _modality(mime: str) -> str:
    head = mime.split("/", 1)[0].upper()
    if head in ("IMAGE", "AUDIO", "VIDEO"):
        return head
    return "TEXT" if head == "TEXT" else "DOCUMENT"


def _count_part(part: dict[str, Any], acc: dict[str, int]) -> None:
    text = part.get("text")
    if isinstance(text, str):
        acc["TEXT"] = acc.get("TEXT", 0) + count_text(text)
        return
    blob = part.get("inlineData") or part.get("fileData")
    if isinstance(blob, dict):
        modality = _modality(str(blob.get("mimeType") or "application/octet-stream"))
        acc[modality] = acc.get(modality, 0) + MEDIA_TOKENS
        return
    for key in ("functionCall", "functionResponse", "executableCode", "codeExecutionResult", "toolCall",
                "toolResponse"):
        value = part.get(key)
        if value is not None:
            dumped = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            acc["TEXT"] = acc.get("TEXT", 0) + count_text(dumped.replace(",", ", "))
            return


def count_parts(parts: list[dict[str, Any]], acc: dict[str, int]) -> None:
    for part in parts:
        _count_part(part, acc)


def count_request(req: dict[str, Any]) -> dict[str, int]:
    """Prompt tokens per modality of a (normalized, camelCase) GenerateContentRequest."""
    acc: dict[str, int] = {}
    system = req.get("systemInstruction")
    if isinstance(system, dict):
        count_parts(system.get("parts") or [], acc)
    for content in req.get("contents") or []:
        count_parts(content.get("parts") or [], acc)
    tools = req.get("tools")
    if tools:
        dumped = json.dumps(tools, separators=(", ", ": "), ensure_ascii=False)
        acc["TEXT"] = acc.get("TEXT", 0) + count_text(dumped)
    if not acc:
        acc["TEXT"] = 0
    return acc


def details(acc: dict[str, int]) -> list[dict[str, Any]]:
    return [{"modality": k, "tokenCount": v} for k, v in acc.items()]
