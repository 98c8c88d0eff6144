"""JSON Schema building and conversion for Gemini's two schema dialects (cometgemini._schema)."""

from __future__ import annotations

import copy
import dataclasses
import enum
import urllib.parse
from typing import Annotated, Any, Literal, Optional

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typing_extensions import NotRequired, TypedDict

from cometgemini._schema import function_declaration_parts, json_schema_of, to_json_schema, to_openapi_schema

OPENAPI_KEYS = {
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
    "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf",
    "propertyOrdering", "default", "items", "minimum", "maximum",
}  # fmt: skip
OPENAPI_TYPES = {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"}


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(pydantic.BaseModel):
    """A postal address."""

    street: str
    zip_code: str = pydantic.Field(pattern=r"^\d{5}$", description="Five digits.")


class User(pydantic.BaseModel):
    """Someone who uses the app."""

    name: str = pydantic.Field(min_length=1, max_length=50)
    age: int = pydantic.Field(ge=0, le=150)
    score: float = pydantic.Field(gt=0, lt=1)
    home: Address
    previous: list[Address] = []
    nickname: Optional[str] = None  # noqa: UP045 - the spelling under test
    kind: Literal["admin", "guest"]
    color: Color = Color.RED


class Node(pydantic.BaseModel):
    value: int
    children: list[Node] = []


def sub_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema-valued children of a schema (not property names or JSON values)."""
    found = list(schema.get("properties", {}).values()) + list(schema.get("anyOf", []))
    found += list(schema.get("prefixItems", []))
    found += [schema[k] for k in ("items", "additionalProperties") if isinstance(schema.get(k), dict)]
    return found


def walk(schema: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [schema]
    for sub in sub_schemas(schema):
        nodes += walk(sub)
    return nodes


# --------------------------------------------------------------------------------------------------------------
# json_schema_of


def test_pydantic_model_with_nested_models_is_inlined_with_constraints() -> None:
    schema = json_schema_of(User)

    assert schema["type"] == "object"
    assert schema["description"] == "Someone who uses the app."
    assert schema["required"] == ["name", "age", "score", "home", "kind"]
    props = schema["properties"]
    assert props["name"] == {"type": "string", "minLength": 1, "maxLength": 50}
    assert props["age"] == {"type": "integer", "minimum": 0, "maximum": 150}
    assert props["score"] == {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
    assert props["home"]["properties"]["zip_code"] == {
        "type": "string",
        "pattern": r"^\d{5}$",
        "description": "Five digits.",
    }
    assert props["previous"]["items"] == props["home"]
    assert props["nickname"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["kind"] == {"type": "string", "enum": ["admin", "guest"]}
    assert props["color"]["enum"] == ["red", "blue"]
    assert props["color"]["default"] == "red"
    assert all("$ref" not in node and "$defs" not in node for node in walk(schema))


def test_field_titles_are_left_out_but_model_titles_kept() -> None:
    schema = json_schema_of(User)

    assert schema["title"] == "User"
    assert "title" not in schema["properties"]["name"]
    assert schema["properties"]["home"]["title"] == "Address"


def test_recursive_model_raises_naming_the_definition() -> None:
    with pytest.raises(ValueError, match=r"recursive: definition 'Node'.*[Ff]latten"):
        json_schema_of(Node)


def test_typeddict_and_dataclass() -> None:
    class Movie(TypedDict):
        """A film."""

        title: str
        year: NotRequired[int]

    @dataclasses.dataclass
    class Point:
        x: float
        tags: list[str] = dataclasses.field(default_factory=list)

    movie = json_schema_of(Movie)
    assert movie["properties"] == {"title": {"type": "string"}, "year": {"type": "integer"}}
    assert movie["required"] == ["title"]
    assert movie["description"] == "A film."

    point = json_schema_of(Point)
    assert point["properties"] == {"x": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}}}
    assert point["required"] == ["x"]


def test_plain_types_and_dict_passthrough() -> None:
    assert json_schema_of(Optional[int]) == {"anyOf": [{"type": "integer"}, {"type": "null"}]}  # noqa: UP045
    raw = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string", "examples": ["a"]}
    assert json_schema_of(raw) == {"type": "string"}


def test_unsupported_object_raises_value_error() -> None:
    with pytest.raises(ValueError, match="Cannot build a JSON Schema for 42"):
        json_schema_of(42)


# --------------------------------------------------------------------------------------------------------------
# function_declaration_parts


def get_weather(
    city: str,
    unit: Literal["celsius", "fahrenheit"] = "celsius",
    days: Annotated[int, pydantic.Field(ge=1, le=7, description="How many days ahead.")] = 1,
    json: bool = False,
    *args: Any,
    **kwargs: Any,
) -> str:
    """Get the weather forecast
    for a city.

    Uses the national weather service.

    Args:
        city: The city name,
            for example "Paris".
        unit (str): Temperature unit.
        days: Ignored: the Annotated description wins.

    Returns:
        The forecast as text.
    """
    return ""


def test_function_name_description_and_parameters() -> None:
    name, description, params = function_declaration_parts(get_weather)

    assert name == "get_weather"
    assert description == "Get the weather forecast for a city."
    assert params == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": 'The city name, for example "Paris".'},
            "unit": {
                "type": "string",
                "enum": ["celsius", "fahrenheit"],
                "default": "celsius",
                "description": "Temperature unit.",
            },
            "days": {
                "type": "integer",
                "minimum": 1,
                "maximum": 7,
                "default": 1,
                "description": "How many days ahead.",
            },
            "json": {"type": "boolean", "default": False},
        },
        "required": ["city"],
    }
    assert json_schema_of(get_weather) == params


def test_function_with_sphinx_docstring_method_and_no_parameters() -> None:
    class Tools:
        def lookup(self, key: str) -> str:
            """Look a key up.

            :param key: The key to find.
            """
            return key

    def ping() -> None:
        pass

    name, description, params = function_declaration_parts(Tools().lookup)
    assert (name, description) == ("lookup", "Look a key up.")
    assert params["properties"] == {"key": {"type": "string", "description": "The key to find."}}
    assert function_declaration_parts(ping) == ("ping", "", {"type": "object", "properties": {}})


def test_function_name_must_be_valid_for_gemini() -> None:
    with pytest.raises(ValueError, match=r"invalid tool name '<lambda>'.*not a lambda"):
        function_declaration_parts(lambda x: x)


# --------------------------------------------------------------------------------------------------------------
# to_json_schema


def test_refs_inlined_siblings_win_and_input_untouched() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:x",
        "type": "object",
        "properties": {
            "home": {"$ref": "#/$defs/Place", "description": "Where they live."},
            "work": {"$ref": "#/definitions/Place"},
            "same": {"$ref": "#/properties/work"},
        },
        "$defs": {"Place": {"type": "object", "description": "A place.", "properties": {"名前": {"type": "string"}}}},
        "definitions": {"Place": {"type": "string", "deprecated": True, "readOnly": True}},
    }
    before = copy.deepcopy(schema)

    out = to_json_schema(schema)

    assert schema == before
    assert out == {
        "type": "object",
        "properties": {
            "home": {"type": "object", "description": "Where they live.", "properties": {"名前": {"type": "string"}}},
            "work": {"type": "string"},
            "same": {"type": "string"},
        },
    }
    out["properties"]["work"]["type"] = "integer"
    assert schema == before


def test_constraints_and_gemini_keys_are_kept() -> None:
    schema = {
        "type": "array",
        "prefixItems": [{"type": "string", "format": "date-time"}, {"type": "integer", "enum": [1, 2]}],
        "minItems": 2,
        "maxItems": 2,
        "title": "Pair",
    }
    assert to_json_schema(schema) == schema
    obj = {
        "type": "object",
        "properties": {"b": {"type": "number", "exclusiveMinimum": 0}, "a": {"const": "x"}},
        "propertyOrdering": ["b", "a"],
        "additionalProperties": False,
        "required": ["b"],
    }
    assert to_json_schema(obj) == obj


def test_dialect_spellings_are_normalised() -> None:
    assert to_json_schema({"oneOf": [{"type": "string"}, {"type": "integer"}]}) == {
        "anyOf": [{"type": "string"}, {"type": "integer"}]
    }
    assert to_json_schema({"type": "STRING", "nullable": True}) == {"type": ["string", "null"]}
    assert to_json_schema({"items": [{"type": "string"}], "additionalItems": False}) == {
        "prefixItems": [{"type": "string"}],
        "maxItems": 1,
    }
    assert to_json_schema({"type": "object", "properties": {"x": True}}) == {"type": "object", "properties": {"x": {}}}
    assert to_json_schema({"anyOf": [{"type": "string"}], "description": "d"}) == {"type": "string", "description": "d"}
    assert to_json_schema({"minimum": 3, "exclusiveMinimum": True}) == {"exclusiveMinimum": 3}


def test_all_of_is_merged() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"$ref": "#/$defs/B"},
        ],
        "description": "Both.",
        "$defs": {"B": {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}},
    }
    assert to_json_schema(schema) == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
        "description": "Both.",
    }


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("not a schema", r"at \(root\): expected a JSON Schema dict, got str"),
        ({"type": "strng"}, r"at type: unknown type 'strng'. Use one of string, number"),
        (
            {"properties": {"address": {"items": {"type": ["string", "text"]}}}},
            r"at properties\.address\.items\.type: unknown type 'text'",
        ),
        (
            {"properties": {"a": {"$ref": "#/$defs/Gone"}}},
            r"at properties\.a: '\$ref' '#/\$defs/Gone' points to a missing",
        ),
        ({"$ref": "https://example.com/s.json"}, r"points outside this schema"),
        ({"properties": {1: {"type": "string"}}}, r"at properties: property name 1 is not a string"),
        ({"properties": []}, r"'properties' must be a dict"),
        ({"properties": {"a": False}}, r"at properties\.a: the schema is `false`"),
        ({"items": 3}, r"at items: expected a schema \(dict or bool\), got 3"),
        ({"enum": []}, r"'enum' must be a non-empty list"),
        ({"maxLength": -2}, r"at maxLength: expected a non-negative integer"),
        ({"minimum": "3"}, r"at minimum: expected a number"),
        ({"required": "a"}, r"at required: expected a list of property names"),
        ({"default": float("nan")}, r"at default: nan is not a JSON number"),
        ({"allOf": [{"maximum": 1}, {"maximum": 2}]}, r"disagree on 'maximum'"),
        (
            {
                "$defs": {"A": {"properties": {"b": {"$ref": "#/$defs/B"}}}, "B": {"items": {"$ref": "#/$defs/A"}}},
                "$ref": "#/$defs/A",
            },
            r"recursive: definition 'A' refers back to itself \(#/\$defs/A → #/\$defs/B → #/\$defs/A\)",
        ),
    ],
)
def test_invalid_schemas_say_where_and_how_to_fix(schema: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        to_json_schema(schema)
    assert caught.value.args[0].startswith("Invalid schema at ")


def test_depth_is_limited() -> None:
    shallow: dict[str, Any] = {"type": "string"}
    for _ in range(60):
        shallow = {"type": "array", "items": shallow}
    assert to_json_schema(shallow)["items"]["type"] == "array"

    deep = shallow
    for _ in range(10):
        deep = {"type": "array", "items": deep}
    with pytest.raises(ValueError, match="nested more than 64 levels deep"):
        to_json_schema(deep)


def test_exponential_ref_fan_out_is_refused() -> None:
    defs: dict[str, Any] = {"D0": {"type": "string"}}
    for i in range(1, 20):
        defs[f"D{i}"] = {
            "type": "object",
            "properties": {"l": {"$ref": f"#/$defs/D{i - 1}"}, "r": {"$ref": f"#/$defs/D{i - 1}"}},
        }
    with pytest.raises(ValueError, match="more than 10000 sub-schemas"):
        to_json_schema({"$ref": "#/$defs/D19", "$defs": defs})


# --------------------------------------------------------------------------------------------------------------
# to_openapi_schema


def test_openapi_from_pydantic_model() -> None:
    out = to_openapi_schema(json_schema_of(User))

    props = out["properties"]
    assert out["type"] == "OBJECT"
    assert props["score"] == {"type": "NUMBER", "minimum": 0, "maximum": 1}
    assert props["nickname"] == {"type": "STRING", "nullable": True, "default": None}
    assert props["kind"] == {"type": "STRING", "format": "enum", "enum": ["admin", "guest"]}
    assert props["previous"]["items"]["properties"]["zip_code"]["type"] == "STRING"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["string", "null"]}, {"type": "STRING", "nullable": True}),
        ({"type": "null"}, {"nullable": True}),
        ({"anyOf": [{"type": "null"}, {"type": "null", "title": "Nothing"}]}, {"nullable": True}),
        ({"enum": [None, None], "description": "d"}, {"description": "d", "nullable": True}),
        ({"const": None}, {"nullable": True}),
        (
            {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
            {"anyOf": [{"type": "INTEGER"}, {"type": "STRING"}], "nullable": True},
        ),
        (
            {"type": ["string", "integer"], "minLength": 2, "minimum": 3, "description": "d", "examples": ["x"]},
            {
                "description": "d",
                "example": "x",
                "anyOf": [{"type": "STRING", "minLength": 2}, {"type": "INTEGER", "minimum": 3}],
            },
        ),
        ({"const": "only"}, {"type": "STRING", "format": "enum", "enum": ["only"]}),
        (
            {"type": "integer", "enum": [1, 2, None], "default": 1},
            {"type": "STRING", "format": "enum", "enum": ["1", "2"], "default": "1", "nullable": True},
        ),
        (
            {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5},
            {"type": "INTEGER", "minimum": 1, "maximum": 10},
        ),
        ({"type": "number", "minimum": 2, "exclusiveMinimum": 1}, {"type": "NUMBER", "minimum": 2}),
        ({"type": "string", "format": "email"}, {"type": "STRING"}),
        ({"type": "string", "format": "date-time"}, {"type": "STRING", "format": "date-time"}),
        ({"type": "integer", "format": "int64"}, {"type": "INTEGER", "format": "int64"}),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}, "properties": {"ä": {"type": "boolean"}}},
            {"type": "OBJECT", "properties": {"ä": {"type": "BOOLEAN"}}},
        ),
        ({"properties": {"a": {}}}, {"type": "OBJECT", "properties": {"a": {}}}),
        (
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2, "maxItems": 2},
            {
                "type": "ARRAY",
                "minItems": 2,
                "maxItems": 2,
                "items": {"anyOf": [{"type": "INTEGER"}, {"type": "STRING"}]},
            },
        ),
        (
            {
                "type": "object",
                "properties": {"x": {"$ref": "#/$defs/X"}},
                "required": ["x"],
                "$defs": {"X": {"type": "number"}},
            },
            {"type": "OBJECT", "properties": {"x": {"type": "NUMBER"}}, "required": ["x"]},
        ),
    ],
)
def test_openapi_conversion(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    assert to_openapi_schema(schema) == expected


def test_openapi_matches_the_recorded_function_declaration() -> None:
    """The ``final_result`` declaration pydantic-ai sent in the recorded ANY-mode request (fixtures)."""

    class FinalResult(pydantic.BaseModel):
        city: str
        country: str

    out = to_openapi_schema(json_schema_of(FinalResult))
    out.pop("title")
    assert out == {
        "properties": {"city": {"type": "STRING"}, "country": {"type": "STRING"}},
        "required": ["city", "country"],
        "type": "OBJECT",
    }


def test_openapi_errors_come_from_the_same_checks() -> None:
    with pytest.raises(ValueError, match=r"at properties\.a\.type: unknown type 'date'"):
        to_openapi_schema({"properties": {"a": {"type": "date"}}})
    with pytest.raises(ValueError, match="recursive"):
        to_openapi_schema({"type": "object", "properties": {"me": {"$ref": "#"}}})


# --------------------------------------------------------------------------------------------------------------
# Properties over random schemas

NAMES = st.text(min_size=1, max_size=6)
SCALARS = st.one_of(
    st.sampled_from([{"type": t} for t in ("string", "number", "integer", "boolean", "null")]),
    st.just({"type": ["string", "null"]}),
    st.just({"type": "string", "format": "email", "minLength": 1}),
    st.just({"type": "integer", "exclusiveMinimum": 0, "maximum": 9}),
    st.lists(st.one_of(st.text(max_size=4), st.integers(), st.none()), min_size=1, max_size=3).map(
        lambda v: {"enum": v}
    ),
    st.just(True),
)


def ref_to(name: str) -> dict[str, str]:
    escaped = name.replace("~", "~0").replace("/", "~1")
    return {"$ref": "#/$defs/" + urllib.parse.quote(escaped, safe="")}


def grow(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(
            lambda props, extra: {"type": "object", "properties": props, "required": list(props)[:1], **extra},
            st.dictionaries(NAMES, children, max_size=4),
            st.sampled_from([{}, {"additionalProperties": False}, {"description": "ünïcode ✓"}]),
        ),
        st.builds(lambda item: {"type": "array", "items": item, "maxItems": 3}, children),
        st.builds(lambda branches: {"anyOf": branches}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda branches: {"oneOf": branches, "title": "T"}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda items: {"type": "array", "prefixItems": items}, st.lists(children, min_size=1, max_size=2)),
    )


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAMES, max_size=3, unique=True))
    leaves = SCALARS | st.sampled_from(names).map(ref_to) if names else SCALARS
    tree = st.recursive(leaves, grow, max_leaves=8)
    root = draw(tree.filter(lambda s: isinstance(s, dict)))
    if names:
        root = {**root, "$defs": {name: draw(tree) for name in names}}
    return root


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_random_schemas_convert_or_raise_value_error(schema: dict[str, Any]) -> None:
    before = copy.deepcopy(schema)
    try:
        json_out = to_json_schema(schema)
        openapi_out = to_openapi_schema(schema)
    except ValueError as exc:
        assert str(exc).startswith("Invalid schema at ")
        return
    assert schema == before

    for node in walk(json_out):
        assert not {"$ref", "$defs", "definitions", "oneOf", "allOf"} & set(node)
    assert to_json_schema(json_out) == json_out

    for node in walk(openapi_out):
        assert set(node) <= OPENAPI_KEYS
        assert node.get("type", "STRING") in OPENAPI_TYPES
        assert all(isinstance(value, str) for value in node.get("enum", []))
