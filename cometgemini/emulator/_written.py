"""JSON written inside prose: the schemas, examples and tool lists that prompts spell out.

``blocks`` finds every JSON object or array in a text, strict JSON or the loose notation prompts use for
examples (bare keys, a trailing ``...`` item, trailing commas): ``[{choice: 1, reason: "<insert reason>"}, ...]``
reads as ``[{"choice": 1, "reason": "<insert reason>"}]``, and a template's escaped braces left doubled
(``{{"type": "object"}}``) read as single ones. Empty ones (``{}``) and anything that does not read as JSON even
loosely are skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Block", "blocks", "is_schema", "without_blocks"]

_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_][\w-]*)(\s*:)")
_ELLIPSIS_ITEM = re.compile(r",\s*\.\.\.(?=\s*[\]}])|(?<=[\[{])\s*\.\.\.\s*,?")
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_LIMIT = 200_000  # prompts longer than this are not searched (an emulator, not a parser of books)


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    value: Any


def _closing(text: str, start: int) -> int | None:
    """The index just past the bracket closing the one at ``start`` (strings respected), else None."""
    depth, quoted, escaped = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _loose(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    if "{{" in text:  # a template's escaped braces, left doubled in the prompt (LlamaIndex's format strings)
        text = text.replace("{{", "{").replace("}}", "}")
    repaired = _TRAILING_COMMA.sub(r"\1", _BARE_KEY.sub(r'\1"\2"\3', _ELLIPSIS_ITEM.sub("", text)))
    try:
        return json.loads(repaired)
    except ValueError:
        return None


def blocks(text: str) -> list[Block]:
    """Every JSON object or array written in ``text``, outermost only, in order."""
    found: list[Block] = []
    i, size = 0, min(len(text), _LIMIT)
    while i < size:
        if text[i] in "{[":
            end = _closing(text, i)
            if end is not None:
                value = _loose(text[i:end])
                if isinstance(value, (dict, list)) and value:
                    found.append(Block(i, end, value))
                    i = end
                    continue
        i += 1
    return found


def without_blocks(text: str, found: list[Block]) -> str:
    """``text`` with the blocks cut out (what is left is the prose around them)."""
    pieces, last = [], 0
    for block in found:
        pieces.append(text[last:block.start])
        last = block.end
    pieces.append(text[last:])
    return " ".join(pieces)


def is_schema(value: Any) -> bool:
    """A JSON Schema of an object or array (what a prompt asks an answer to follow)."""
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("properties"), dict):
        return value.get("type") in (None, "object")
    return value.get("type") == "array" and isinstance(value.get("items"), dict)
