"""What the emulator reads out of a (validated, camelCase) GenerateContentRequest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .._catalog import ModelInfo

__all__ = ["Context", "read_context", "short"]


def short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Context:
    model: str
    info: ModelInfo
    req: dict[str, Any]
    gen: dict[str, Any]
    prompt: str
    """Text of the last user turn that has text."""
    system: str
    media: list[str]
    """MIME types of the media parts of the last user turn."""
    responses: list[dict[str, Any]]
    """The functionResponse parts when the last turn is a user turn of function results."""
    called: list[str]
    """Names of the functions called in the current turn."""
    tools: set[str] = field(default_factory=set)
    digest: str = ""
    secret: str = ""
    server_steps: bool = False
    """``toolConfig.includeServerSideToolInvocations``: built-in tools answer with ``toolCall``/``toolResponse``."""
    searched: bool = False
    """A server-side search step is already in the current turn (sent back in the history)."""


def _texts(content: dict[str, Any]) -> list[str]:
    return [p["text"] for p in content.get("parts") or []
            if isinstance(p.get("text"), str) and not p.get("thought")]


def read_context(model: str, info: ModelInfo, req: dict[str, Any], secret: str) -> Context:
    contents: list[dict[str, Any]] = req.get("contents") or []
    prompt, media, start = "", [], 0
    for i in range(len(contents) - 1, -1, -1):
        content = contents[i]
        texts = _texts(content)
        if content.get("role", "user") == "user" and texts:
            prompt, start = "\n".join(texts), i + 1
            for part in content.get("parts") or []:
                blob = part.get("inlineData") or part.get("fileData")
                if isinstance(blob, dict):
                    media.append(str(blob.get("mimeType") or "application/octet-stream"))
            break
    last = contents[-1] if contents else {}
    responses = [p["functionResponse"] for p in last.get("parts") or [] if isinstance(p.get("functionResponse"), dict)]
    called = [str(p["functionCall"].get("name")) for c in contents[start:] for p in c.get("parts") or []
              if isinstance(p.get("functionCall"), dict)]
    searched = any(isinstance(p.get("toolCall"), dict) for c in contents[start:] for p in c.get("parts") or [])
    system = "\n".join(_texts(req.get("systemInstruction") or {}))
    tools: set[str] = set()
    for tool in req.get("tools") or []:
        tools.update(k for k, v in tool.items() if v is not None)
    digest = hashlib.sha256(f"{model}\x00{prompt}\x00{len(contents)}".encode()).hexdigest()
    flag = (req.get("toolConfig") or {}).get("includeServerSideToolInvocations") is True
    return Context(model, info, req, req.get("generationConfig") or {}, prompt, system, media, responses,
                   called, tools, digest, secret, flag, searched)
