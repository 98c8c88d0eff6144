"""Deterministic instances of a schema (Google's OpenAPI subset or plain JSON Schema), fed from the prompt.

Rules: objects get every property (required ones first in declaration order); arrays get ``minItems`` items
or 1 (2 when the schema says ``minItems: 2``); enums their value named in the prompt or else the first;
``anyOf``/``oneOf`` the first non-null branch; numbers and strings are taken from the ``PromptValues``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["PromptValues", "instance"]

_QUOTED = re.compile(r"""(?<!\w)(?:"([^"]+)"|'([^']+)'|“([^”]+)”)(?!\w)""")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_WORD = re.compile(r"[^\W\d_][\w-]*(?:'\w+)?")
_STOP_TEXT = (
    "a an the is are was be to of in on at for and or with what which who how why when where please use call "
    "tool tools function functions me my you your it this that can could would should do does i we our "
    "twice parallel")
_STOP = frozenset(_STOP_TEXT.split())


class PromptValues:
    """Values found in the prompt, handed out in order: numbers, quoted strings and notable words."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lower = text.lower()
        self.numbers = [m.group(0) for m in _NUMBER.finditer(text)]
        self.quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
        words = [w for w in _WORD.findall(text) if w.lower() not in _STOP]
        self.words = words or ["emulated"]
        capital = [w for w in words[1:] if w[:1].isupper() or not w.isascii()]
        self.names = capital or words[-1:] or ["emulated"]
        self._n = 0
        self._s = 0
        self._w = 0

    def number(self, integer: bool) -> int | float:
        if self.numbers:
            raw = self.numbers[self._n % len(self.numbers)]
            self._n += 1
            value = float(raw)
            return int(value) if integer or value.is_integer() else value
        self._n += 1
        return self._n

    def string(self, key: str) -> str:
        named = re.search(rf"\b{re.escape(key)}\s*[=:]\s*([^\s,;)]+)", self.text) if key else None
        if named:
            return str(named.group(1)).strip("'\"")
        if self._s < len(self.quoted):
            self._s += 1
            return self.quoted[self._s - 1]
        value = self.names[self._w % len(self.names)]
        self._w += 1
        return str(value)

    def word(self) -> str:
        value = self.words[self._w % len(self.words)]
        self._w += 1
        return str(value)


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    if kind:
        return str(kind).lower()
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if "enum" in schema:
        return "string"
    return "string"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    for _ in range(20):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = root
        for piece in ref[2:].split("/"):
            target = target.get(piece, {}) if isinstance(target, dict) else {}
        schema = target if isinstance(target, dict) else {}
    return schema


def instance(schema: Any, values: PromptValues, root: Any = None, key: str = "", depth: int = 0) -> Any:
    """A value valid against ``schema``."""
    if not isinstance(schema, dict) or depth > 12:
        return values.word()
    root = root if isinstance(root, dict) else schema
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    for branch_key in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(branch_key)
        if isinstance(branches, list) and branches:
            usable = [b for b in branches if isinstance(b, dict) and _type_of(_resolve(b, root)) != "null"]
            return instance((usable or branches)[0], values, root, key, depth + 1)
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return next((e for e in enum if isinstance(e, str) and e.lower() in values.lower), enum[0])
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, values, root, depth)
    if kind == "array":
        count = max(1, min(int(schema.get("minItems") or 1), 2))
        return [instance(schema.get("items") or {}, values, root, key, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, values, kind == "integer")
    if kind == "boolean":
        return not re.search(rf"\b{re.escape(key)}\s*[=:]\s*(false|no)\b", values.lower) if key else True
    if kind == "null":
        return None
    return _string(schema, values, key)


def _object(schema: dict[str, Any], values: PromptValues, root: dict[str, Any], depth: int) -> dict[str, Any]:
    props = schema.get("properties") or {}
    required = [k for k in schema.get("required") or [] if k in props]
    order = required + [k for k in props if k not in required]
    ordering = schema.get("propertyOrdering")
    if isinstance(ordering, list):
        order = [k for k in ordering if k in props] + [k for k in order if k not in ordering]
    return {k: instance(props[k], values, root, k, depth + 1) for k in order}


def _number(schema: dict[str, Any], values: PromptValues, integer: bool) -> int | float:
    value = values.number(integer)
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, (int, float)) and value < low:
        value = low
    if isinstance(high, (int, float)) and value > high:
        value = high
    return int(value) if integer else value


def _string(schema: dict[str, Any], values: PromptValues, key: str) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-01-01T00:00:00Z"
    if fmt == "date":
        return "2026-01-01"
    if fmt == "email":
        return "user@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com/"
    text = values.string(key)
    min_len, max_len = schema.get("minLength"), schema.get("maxLength")
    if isinstance(min_len, int) and len(text) < min_len:
        text = text + "x" * (min_len - len(text))
    if isinstance(max_len, int) and len(text) > max_len:
        text = text[:max_len]
    return text
