"""JSON Schema for Gemini: build it from Python types, then fit it to what the API accepts.

Gemini reads a schema in two dialects:

* ``parametersJsonSchema`` / ``responseJsonSchema`` take plain JSON Schema, of which the API documents a subset
  (type, format, title, description, enum, items, prefixItems, min/maxItems, minimum, maximum, anyOf, oneOf read
  as anyOf, properties, additionalProperties, required, propertyOrdering). ``to_json_schema`` produces it.
* ``parameters`` / ``responseSchema`` take Google's older OpenAPI 3.0 subset: upper-case types, ``nullable``
  instead of a ``null`` type, string-only enums, no ``$ref`` and no ``additionalProperties``.
  ``to_openapi_schema`` produces it.

Both inline every ``$ref``. The API unrolls cyclic references only "to a limited degree", gateways such as
CometAPI may forward to backends with less support, and an inlined schema reads the same to every model
version. A recursive schema has no finite inline form, so it raises ``ValueError`` asking to flatten it.

``json_schema_of`` and ``function_declaration_parts`` build the schema from a pydantic model, a TypedDict, a
dataclass, any other type pydantic understands, or a plain function (signature, type hints, Google-style
docstring).

Every error is a ``ValueError`` saying where (a path such as ``properties.address.items``), what is wrong and
how to fix it. The functions are pure: inputs are never mutated and outputs share no objects with them.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import typing
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import pydantic
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema

__all__ = [
    "check_function_name",
    "function_declaration_parts",
    "json_schema_of",
    "to_json_schema",
    "to_openapi_schema",
]

_MAX_DEPTH = 64
"""Nesting levels a schema may have. Deeper ones are almost always a generator bug, and the limit keeps the
recursive walk far from Python's own recursion limit."""

_MAX_NODES = 10_000
"""Sub-schemas one conversion may produce. Inlining shared ``$ref``s can grow a schema exponentially."""

_JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")

_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "example"})
"""Keys that describe rather than constrain: when two schemas are combined, the outer one's win."""

_JSON_KEYS = frozenset(
    {
        "type", "format", "title", "description", "default", "enum", "const", "anyOf",
        "properties", "required", "additionalProperties", "propertyOrdering", "minProperties", "maxProperties",
        "items", "prefixItems", "minItems", "maxItems",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
    }
)  # fmt: skip
"""What ``to_json_schema`` keeps. Everything else (``$schema``, ``$id``, ``$comment``, ``examples``,
``discriminator``, ``deprecated``, ``readOnly``, ``writeOnly``, ``contentEncoding``, ``not``, ...) is dropped:
Gemini ignores or refuses it, and it costs prompt tokens."""

_OPENAPI_KEYS = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
        "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf",
        "propertyOrdering", "default", "items", "minimum", "maximum",
    }
)  # fmt: skip
"""The fields of Google's ``Schema`` message that ``to_openapi_schema`` may emit."""

_OPENAPI_FORMATS = {
    "STRING": frozenset({"enum", "date-time"}),
    "NUMBER": frozenset({"float", "double"}),
    "INTEGER": frozenset({"int32", "int64"}),
}
"""Formats the OpenAPI dialect accepts per type. Others ("email", "uri", ...) once gave 400 "only 'enum' and
'date-time' are supported for STRING type", so they are dropped there (JSON Schema output keeps them)."""

_TYPE_KEYS = {
    "string": ("format", "minLength", "maxLength", "pattern", "enum", "const"),
    "number": ("format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "const"),
    "integer": ("format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "const"),
    "boolean": ("enum", "const"),
    "array": ("items", "prefixItems", "minItems", "maxItems"),
    "object": ("properties", "required", "propertyOrdering", "minProperties", "maxProperties"),
}
"""Which keys belong to which type, to split ``type: ["string", "integer"]`` into one anyOf branch per type."""


# --------------------------------------------------------------------------------------------------------------
# Where we are in a schema, and how errors say so


@dataclass(frozen=True)
class _At:
    """A position: the path in the input document, the output nesting depth and the ``$ref``s being inlined."""

    path: tuple[str, ...] = ()
    depth: int = 0
    refs: tuple[str, ...] = ()

    def child(self, *segments: str) -> _At:
        return _At((*self.path, *segments), self.depth + 1, self.refs)

    def key(self, name: str) -> _At:
        """The position of a keyword's value (not a sub-schema: the depth stays)."""
        return _At((*self.path, name), self.depth, self.refs)

    def __str__(self) -> str:
        path = self.path if len(self.path) <= 16 else (*self.path[:6], "…", *self.path[-8:])
        return ".".join(path) or "(root)"


@dataclass
class _Walk:
    """What one conversion shares: the root document (``$ref`` targets), the keys to keep, the node budget."""

    root: Mapping[str, Any]
    keep: frozenset[str]
    nodes: int = 0


def _fail(at: _At, problem: str, fix: str) -> NoReturn:
    raise ValueError(f"Invalid schema at {at}: {problem}. {fix}")


# --------------------------------------------------------------------------------------------------------------
# JSON values and keyword values


def _json_value(value: object, at: _At) -> Any:
    """A deep copy of ``value`` once it is known to be plain JSON (enum, const, default, examples)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            _fail(at, f"{value!r} is not a JSON number", "Use a finite number")
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(item, at) for item in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _json_value(v, at) for k, v in value.items()}
    return _fail(
        at,
        f"{value!r} ({type(value).__name__}) is not a JSON value",
        "Use str, int, float, bool, None, lists or dicts with string keys",
    )


def _string(value: object, at: _At) -> str:
    if not isinstance(value, str):
        _fail(at, f"expected a string, got {value!r}", "Use a string")
    return value


def _number(value: object, at: _At) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(at, f"expected a number, got {value!r}", "Use a finite number")
    return value


def _count(value: object, at: _At) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(at, f"expected a non-negative integer, got {value!r}", "Use an integer >= 0")
    return value


def _names(value: object, at: _At) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        _fail(at, f"expected a list of property names, got {value!r}", "Use a list of strings")
    return list(dict.fromkeys(value))


def _schema_list(value: object, at: _At) -> list[Any]:
    if not isinstance(value, (list, tuple)) or not value:
        _fail(at, f"expected a non-empty list of schemas, got {value!r}", "Use a list such as [{'type': 'string'}]")
    return list(value)


def _type(value: object, at: _At) -> str | list[str]:
    """Lower-cases and checks ``type``; OpenAPI-style ``"STRING"`` is accepted too."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) for n in names):
        _fail(
            at,
            f"'type' must be a string or a non-empty list of strings, got {value!r}",
            f"Use one of {', '.join(_JSON_TYPES)}",
        )
    lowered: list[str] = []
    for name in names:
        if name.lower() not in _JSON_TYPES:
            _fail(at, f"unknown type {name!r}", f"Use one of {', '.join(_JSON_TYPES)}")
        if name.lower() not in lowered:
            lowered.append(name.lower())
    return lowered[0] if len(lowered) == 1 else lowered


# --------------------------------------------------------------------------------------------------------------
# Normalising: validate, inline $ref, merge allOf, drop what Gemini doesn't take


def _normalize_root(schema: object, keep: frozenset[str]) -> dict[str, Any]:
    if not isinstance(schema, Mapping):
        _fail(
            _At(),
            f"expected a JSON Schema dict, got {type(schema).__name__}",
            "Pass a dict such as {'type': 'object', 'properties': {...}}",
        )
    return _normalize(schema, _Walk(root=schema, keep=keep), _At())


def _normalize(node: object, walk: _Walk, at: _At) -> dict[str, Any]:
    if node is True:
        return {}
    if node is False:
        _fail(at, "the schema is `false`, which no value matches", "Remove it or give it a real schema")
    if not isinstance(node, Mapping):
        _fail(at, f"expected a schema (dict or bool), got {node!r}", "Use a dict such as {'type': 'string'}")
    if at.depth > _MAX_DEPTH:
        _fail(at, f"the schema is nested more than {_MAX_DEPTH} levels deep", "Flatten it")
    walk.nodes += 1
    if walk.nodes > _MAX_NODES:
        _fail(
            at,
            f"the schema has more than {_MAX_NODES} sub-schemas once its $refs are inlined",
            "Simplify it, or reuse fewer large definitions",
        )
    for key in node:
        if not isinstance(key, str):
            _fail(at, f"key {key!r} is not a string", "Use string keys only")
    if "$ref" in node:
        return _inline_ref(node, walk, at)
    if "allOf" in node:
        return _merge_all_of(node, walk, at)
    out: dict[str, Any] = {}
    for key, value in node.items():
        for new_key, new_value in _keyword(key, value, walk, at).items():
            if new_key in out:
                _fail(at, f"both {key!r} and another keyword give {new_key!r}", "Keep only one of them")
            out[new_key] = new_value
    return _tidy(out, walk, at)


def _keyword(key: str, value: object, walk: _Walk, at: _At) -> dict[str, Any]:
    """One keyword of the input as zero or more keywords of the output."""
    here = at.key(key)
    if key == "type":
        return {key: _type(value, here)}
    if key in ("properties", "items", "prefixItems", "anyOf", "oneOf", "additionalProperties"):
        return _sub_schemas(key, value, walk, at)
    if key in ("enum", "examples"):
        if not isinstance(value, (list, tuple)) or (key == "enum" and not value):
            _fail(here, f"'{key}' must be a non-empty list, got {value!r}", "Use a list of values")
        return {key: _json_value(value, here)}
    if key in ("const", "default", "example"):
        return {key: _json_value(value, here)}
    if key in ("minimum", "maximum"):
        return {key: _number(value, here)}
    if key in ("exclusiveMinimum", "exclusiveMaximum"):  # draft 4 spells them as booleans
        return {key: value if isinstance(value, bool) else _number(value, here)}
    if key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        return {key: _count(value, here)}
    if key in ("title", "description", "pattern", "format"):
        return {key: _string(value, here)}
    if key in ("required", "propertyOrdering"):
        return {key: _names(value, here)}
    if key == "additionalItems":  # draft 4: what follows the positional items
        return _sub_schemas("items", value, walk, at) if isinstance(value, (Mapping, bool)) else {}
    if key == "nullable":
        return {key: value is True}
    if key in ("$defs", "definitions") and not isinstance(value, Mapping):
        _fail(here, f"'{key}' must be a dict of named schemas", "Use {'Name': {...}}")
    return {}


def _sub_schemas(key: str, value: object, walk: _Walk, at: _At) -> dict[str, Any]:
    here = at.key(key)
    if key == "properties":
        if not isinstance(value, Mapping):
            _fail(here, f"'properties' must be a dict, got {value!r}", "Use {'name': {'type': ...}}")
        for name in value:
            if not isinstance(name, str):
                _fail(here, f"property name {name!r} is not a string", "Use string property names")
        return {key: {name: _normalize(sub, walk, at.child(key, name)) for name, sub in value.items()}}
    if key == "additionalProperties":
        return {key: value if isinstance(value, bool) else _normalize(value, walk, here.child())}
    if key == "items":
        if isinstance(value, (list, tuple)):  # draft 4 tuples
            return _sub_schemas("prefixItems", value, walk, at)
        return {key: False if value is False else _normalize(value, walk, here.child())}
    branches = _schema_list(value, here)
    if key == "prefixItems":
        return {key: [_normalize(b, walk, at.child(key, str(i))) for i, b in enumerate(branches)]}
    kept = [_normalize(b, walk, at.child(key, str(i))) for i, b in enumerate(branches) if b is not False]
    if not kept:
        _fail(here, "every branch is `false`, so no value matches", "Give at least one branch a real schema")
    return {"anyOf": kept}  # Gemini reads oneOf as anyOf anyway


def _tidy(out: dict[str, Any], walk: _Walk, at: _At) -> dict[str, Any]:
    """Folds the spellings that have a simpler equivalent, then keeps only the wanted keys."""
    if out.pop("nullable", False):
        kind = out.get("type")
        if isinstance(kind, str) and kind != "null":
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
    if out.get("items") is False:  # no items beyond prefixItems
        del out["items"]
        closed = len(out.get("prefixItems", ()))
        out["maxItems"] = min(out.get("maxItems", closed), closed)
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool) and out.pop(bound) and plain in out:
            out[bound] = out.pop(plain)
    branches = out.get("anyOf")
    if branches is not None and len(branches) == 1 and not set(out) - _ANNOTATIONS - {"anyOf"}:
        del out["anyOf"]
        out = _merge(branches[0], out, at)
    return {key: value for key, value in out.items() if key in walk.keep}


def _inline_ref(node: Mapping[str, Any], walk: _Walk, at: _At) -> dict[str, Any]:
    ref = node["$ref"]
    if not isinstance(ref, str):
        _fail(at.key("$ref"), f"'$ref' must be a string, got {ref!r}", "Use a reference such as '#/$defs/Name'")
    if ref in at.refs:
        chain = " → ".join((*at.refs[at.refs.index(ref) :], ref))
        name = ref.rsplit("/", 1)[-1] if ref != "#" else "the root schema"
        _fail(
            at,
            f"the schema is recursive: definition {urllib.parse.unquote(name)!r} refers back to itself ({chain})",
            "Gemini needs a finite schema once $refs are inlined. Flatten it: replace the recursive field "
            "with a fixed number of nesting levels (one model per level) or a JSON-encoded string",
        )
    target, path = _resolve(walk.root, ref, at)
    inner = _normalize(target, walk, _At(path, at.depth + 1, (*at.refs, ref)))
    siblings = {key: value for key, value in node.items() if key != "$ref"}
    return _merge(inner, _normalize(siblings, walk, at), at) if siblings else inner


def _resolve(root: Mapping[str, Any], ref: str, at: _At) -> tuple[object, tuple[str, ...]]:
    """Follows a local JSON-pointer reference (``#/$defs/Name``, ``#/definitions/Name``, ``#/properties/x``)."""
    if not ref.startswith("#"):
        _fail(
            at,
            f"'$ref' {ref!r} points outside this schema",
            "Only local references such as '#/$defs/Name' can be inlined: copy the target under $defs",
        )
    pointer = urllib.parse.unquote(ref[1:])
    if pointer and not pointer.startswith("/"):
        _fail(at, f"'$ref' {ref!r} uses an anchor", "Use a JSON pointer such as '#/$defs/Name' instead")
    node: object = root
    path: list[str] = []
    for raw in pointer.split("/")[1:]:
        segment = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            _fail(
                at,
                f"'$ref' {ref!r} points to a missing definition",
                "Add the definition under $defs or fix the reference",
            )
        path.append(segment)
    return node, tuple(path)


def _merge_all_of(node: Mapping[str, Any], walk: _Walk, at: _At) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for i, branch in enumerate(_schema_list(node["allOf"], at.key("allOf"))):
        merged = _merge(merged, _normalize(branch, walk, at.child("allOf", str(i))), at)
    own = _normalize({key: value for key, value in node.items() if key != "allOf"}, walk, at)
    return _merge(merged, own, at)


def _merge(base: dict[str, Any], extra: dict[str, Any], at: _At) -> dict[str, Any]:
    """Both schemas at once (``allOf``, ``$ref`` with siblings); ``extra``'s annotations win."""
    out = dict(base)
    for key, value in extra.items():
        if key not in out or key in _ANNOTATIONS or out[key] == value:
            out[key] = value
        elif key == "properties":
            names = dict.fromkeys([*out[key], *value])
            out[key] = {
                name: _merge(out[key].get(name, {}), value.get(name, {}), at.child(key, name)) for name in names
            }
        elif key in ("required", "propertyOrdering"):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        else:
            _fail(
                at,
                f"combined schemas (allOf, or $ref with siblings) disagree on {key!r}: {out[key]!r} vs {value!r}",
                "Merge them into one schema by hand",
            )
    return out


# --------------------------------------------------------------------------------------------------------------
# OpenAPI subset


def _openapi(node: dict[str, Any], at: _At) -> dict[str, Any]:
    """One normalised JSON Schema node as Google's OpenAPI-subset ``Schema``."""
    node, nullable = _split_null(node)
    kind = node.get("type")
    out = _split_types(node, kind, at) if isinstance(kind, list) else _openapi_single(node, kind, at)
    if nullable:
        out["nullable"] = True
    return out


def _is_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" and not set(schema) - _ANNOTATIONS - {"type"}


def _split_null(node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Moves every way of saying "or null" into one flag, since the OpenAPI subset has no null type."""
    out = dict(node)
    nullable = False
    kind = out.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        nullable = True
        rest = [k for k in kind if k != "null"] if isinstance(kind, list) else []
        if rest:
            out["type"] = rest[0] if len(rest) == 1 else rest
        else:
            del out["type"]
    if "const" in out and out["const"] is None:
        nullable = True
        del out["const"]
    if None in out.get("enum", ()):
        nullable = True
        values = [v for v in out.pop("enum") if v is not None]
        if values:
            out["enum"] = values
    branches = out.get("anyOf", [])
    kept = [b for b in branches if not _is_null(b)]
    if len(kept) < len(branches):
        nullable = True
        del out["anyOf"]
        if len(kept) == 1:
            inner, _ = _split_null(kept[0])
            return {**inner, **out}, True
        if kept:
            out["anyOf"] = kept
    return out, nullable


def _split_types(node: dict[str, Any], kinds: list[str], at: _At) -> dict[str, Any]:
    """``type: ["string", "integer"]`` as anyOf, each branch with the keys that apply to its type."""
    if "anyOf" in node:
        _fail(at, "the schema has both a list of types and anyOf", "Move the types into the anyOf branches")
    out = _openapi_annotations(node)
    branches = []
    for kind in kinds:
        branch = {"type": kind, **{k: node[k] for k in _TYPE_KEYS.get(kind, ()) if k in node}}
        branches.append(_openapi_single(branch, kind, at.key("type")))
    out["anyOf"] = branches
    return out


def _openapi_single(node: dict[str, Any], kind: str | None, at: _At) -> dict[str, Any]:
    if "enum" in node or "const" in node:
        return _openapi_enum(node)
    if kind is None and ("properties" in node or "additionalProperties" in node):
        kind = "object"
    elif kind is None and ("items" in node or "prefixItems" in node):
        kind = "array"
    out: dict[str, Any] = {"type": kind.upper()} if kind else {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _openapi(sub, at.child(key, name)) for name, sub in value.items()}
        elif key == "items":
            out[key] = _openapi(value, at.child(key))
        elif key == "anyOf":
            out[key] = [_openapi(branch, at.child(key, str(i))) for i, branch in enumerate(value)]
        elif key == "format":
            if value in _OPENAPI_FORMATS.get(out.get("type", ""), ()):
                out[key] = value
        elif key == "examples":
            if value and "example" not in node:
                out["example"] = value[0]
        elif key in _OPENAPI_KEYS and key not in ("type", "minimum", "maximum"):
            out[key] = value
    out.update(_bounds(node, kind))
    if "prefixItems" in node:
        out["items"] = _tuple_items(node, at)
    return out


def _openapi_enum(node: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI subset takes enums of strings only ("enum only allowed for STRING type"), so numbers and
    booleans become their JSON text (``1`` → ``"1"``), which pydantic parses back in lax mode."""
    values = [node["const"]] if "const" in node else node["enum"]
    out: dict[str, Any] = {"type": "STRING", "format": "enum", "enum": list(dict.fromkeys(map(_enum_text, values)))}
    out.update(_openapi_annotations(node))
    if "default" in node:
        out["default"] = _enum_text(node["default"])
    return out


def _openapi_annotations(node: dict[str, Any]) -> dict[str, Any]:
    """title, description, default and example (JSON Schema's ``examples`` list gives its first entry)."""
    out: dict[str, Any] = {key: node[key] for key in ("title", "description", "default", "example") if key in node}
    if "example" not in out and node.get("examples"):
        out["example"] = node["examples"][0]
    return out


def _enum_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _bounds(node: dict[str, Any], kind: str | None) -> dict[str, Any]:
    """minimum/maximum, with exclusive bounds folded in: exact for integers, one value looser for numbers."""
    out: dict[str, Any] = {}
    rules = (("minimum", "exclusiveMinimum", 1, max, math.ceil), ("maximum", "exclusiveMaximum", -1, min, math.floor))
    for plain, exclusive, step, pick, rounding in rules:
        candidates = [node[plain]] if plain in node else []
        if exclusive in node:
            bound = node[exclusive]
            if kind == "integer":
                bound = int(bound) + step if float(bound).is_integer() else rounding(bound)
            candidates.append(bound)
        if candidates:
            out[plain] = pick(candidates)
    return out


def _tuple_items(node: dict[str, Any], at: _At) -> dict[str, Any]:
    """The subset has no tuples: items may be any of the positional schemas; min/maxItems keep the length."""
    branches = [*node["prefixItems"], *([node["items"]] if "items" in node else [])]
    unique = [b for i, b in enumerate(branches) if b not in branches[:i]]
    converted = [_openapi(b, at.child("prefixItems", str(i))) for i, b in enumerate(unique)]
    return converted[0] if len(converted) == 1 else {"anyOf": converted}


# --------------------------------------------------------------------------------------------------------------
# Public conversions


def to_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` as JSON Schema for ``parametersJsonSchema`` / ``responseJsonSchema``.

    ``$ref`` is inlined (recursion raises ``ValueError``), ``allOf`` merged, ``oneOf`` becomes ``anyOf``, a
    ``true`` sub-schema becomes ``{}``, OpenAPI's ``nullable`` becomes a ``"null"`` type, and only the keys in
    ``_JSON_KEYS`` are kept, constraints included.
    """
    return _normalize_root(schema, _JSON_KEYS)


def to_openapi_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` (JSON Schema) as Google's OpenAPI-subset ``Schema`` for ``parameters`` / ``responseSchema``.

    On top of ``to_json_schema``: upper-case types; every "or null" as ``nullable: true``; several types as
    ``anyOf``; ``const`` and enums as string enums with ``format: "enum"``; exclusive bounds folded into
    ``minimum``/``maximum``; tuples as ``items``; ``additionalProperties`` and unsupported formats dropped.
    """
    return _openapi(_normalize_root(schema, _JSON_KEYS | {"examples", "example"}), _At())


# --------------------------------------------------------------------------------------------------------------
# From Python


class _GenerateSchema(GenerateJsonSchema):
    """pydantic's generator without the titles it derives from field names ("User Id" for ``user_id``): they
    cost prompt tokens and tell the model nothing the property name doesn't."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def json_schema_of(obj: object) -> dict[str, Any]:
    """A cleaned JSON Schema (see ``to_json_schema``) for a pydantic model class, TypedDict, dataclass, any
    type pydantic understands, a plain function's parameters, or a JSON Schema dict."""
    if isinstance(obj, Mapping):
        return to_json_schema(obj)
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        return function_declaration_parts(obj)[2]
    try:
        if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
            raw = obj.model_json_schema(schema_generator=_GenerateSchema)
        else:
            raw = pydantic.TypeAdapter(typing.cast(Any, obj)).json_schema(schema_generator=_GenerateSchema)
    except pydantic.PydanticUserError as exc:
        raise ValueError(
            f"Cannot build a JSON Schema for {obj!r}: {_first_sentence(exc)} Pass a pydantic model, "
            "TypedDict, dataclass, function or JSON Schema dict whose fields have JSON-compatible types."
        ) from exc
    return to_json_schema(raw)


_FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")


def check_function_name(name: object, how_to_fix: str = "Rename the function.") -> str:
    """``name`` if Gemini accepts it as a function name, else a ``ValueError``: a name outside the rule is a
    400 at call time, so it is refused before anything is sent."""
    if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
        raise ValueError(
            f"invalid tool name {name!r}: Gemini function names start with a letter or '_', then use only "
            f"letters, digits, '_', '.', ':' or '-', 64 characters at most. {how_to_fix}"
        )
    return name


def function_declaration_parts(func: Callable[..., Any]) -> tuple[str, str, dict[str, Any]]:
    """``(name, description, parametersJsonSchema)`` for a Gemini ``functionDeclaration`` from a function.

    The description is the docstring's first paragraph; each parameter's description comes from an
    ``Annotated[..., Field(description=...)]`` or else the docstring's ``Args:`` section (Google style; Sphinx
    ``:param x:`` lines work too). ``self``/``cls``, ``*args`` and ``**kwargs`` are left out.
    """
    name = check_function_name(getattr(func, "__name__", ""), "Use a def with such a name, not a lambda.")
    summary, arg_docs = _parse_docstring(inspect.getdoc(func) or "")
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError) as exc:
        raise ValueError(f"Cannot resolve the type hints of {name}: {exc}. Import the types it names.") from exc
    fields: dict[str, Any] = {}
    for i, (param_name, param) in enumerate(inspect.signature(func).parameters.items()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or (i == 0 and param_name in ("self", "cls")):
            continue
        annotation = hints.get(param_name, Any)
        default = ... if param.default is param.empty else param.default
        # Internal names avoid clashes with BaseModel attributes ("json", "schema", "model_config", "_x").
        if _has_description(annotation) or param_name not in arg_docs:
            fields[f"p{i}"] = (annotation, pydantic.Field(default, alias=param_name))
        else:
            fields[f"p{i}"] = (annotation, pydantic.Field(default, alias=param_name, description=arg_docs[param_name]))
    try:
        model = pydantic.create_model(name, **fields)
        raw = model.model_json_schema(by_alias=True, schema_generator=_GenerateSchema)
    except pydantic.PydanticUserError as exc:
        raise ValueError(
            f"Cannot build a JSON Schema for the parameters of {name}: "
            f"{_first_sentence(exc)} Give every parameter a JSON-compatible type."
        ) from exc
    raw.pop("title", None)
    return name, summary, to_json_schema(raw)


def _first_sentence(exc: Exception) -> str:
    """pydantic's own advice (``arbitrary_types_allowed``...) is about models, not about us: keep its verdict."""
    return str(exc).split(". ")[0].splitlines()[0].rstrip(".") + "."


def _has_description(annotation: object) -> bool:
    if typing.get_origin(annotation) is not typing.Annotated:
        return False
    return any(isinstance(m, FieldInfo) and m.description for m in getattr(annotation, "__metadata__", ()))


_SECTION = re.compile(
    r"^(args|arguments|parameters|params|keyword args|keyword arguments|other parameters|returns?|yields?|"
    r"raises|examples?|notes?|attributes|see also|warnings?|references|todo)\s*:\s*$",
    re.IGNORECASE,
)
_ARG_SECTIONS = ("args", "arguments", "parameters", "params", "keyword args", "keyword arguments")
_ARG_ENTRY = re.compile(r"^\**(?P<name>[A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:(?P<text>.*)$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(?P<name>[A-Za-z_]\w*)\s*:(?P<text>.*)$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The first paragraph, and parameter descriptions (Google-style ``Args:``, or Sphinx ``:param x:``)."""
    lines = doc.splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line.strip()) or line.strip().startswith(":"):
            break
        summary.append(line.strip())
    return " ".join(summary), {**_sphinx_args(lines), **_google_args(lines)}


def _google_args(lines: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    in_args, entry_indent, current = False, -1, ""
    for line in lines:
        stripped, indent = line.strip(), len(line) - len(line.lstrip())
        header = _SECTION.match(stripped)
        if header and (entry_indent < 0 or indent < entry_indent):
            in_args, entry_indent, current = header[1].lower() in _ARG_SECTIONS, -1, ""
            continue
        if not in_args or not stripped:
            continue
        entry = _ARG_ENTRY.match(stripped)
        if entry and (entry_indent < 0 or indent == entry_indent):
            entry_indent, current = indent, entry["name"]
            args[current] = entry["text"].strip()
        elif current and indent > entry_indent:
            args[current] = f"{args[current]} {stripped}".strip()
        elif indent < entry_indent:  # dedented text ends the section
            in_args = False
    return {name: text for name, text in args.items() if text}


def _sphinx_args(lines: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    current, entry_indent = "", -1
    for line in lines:
        stripped, indent = line.strip(), len(line) - len(line.lstrip())
        entry = _SPHINX_PARAM.match(stripped)
        if entry:
            current, entry_indent = entry["name"], indent
            args[current] = entry["text"].strip()
        elif current and stripped and indent > entry_indent and not stripped.startswith(":"):
            args[current] = f"{args[current]} {stripped}".strip()
        elif stripped:
            current = ""
    return {name: text for name, text in args.items() if text}
