"""Bad input, fuzzed: whatever a user hands the converters (messages, content blocks, JSON Schemas, tool
definitions), the result is either a request the server accepts or a clear ``ValueError``/``TypeError``
raised before anything is sent; never another exception, and never an invalid request on the wire.

Requests are checked by ``_wire.CheckingServer`` (wire types + the emulator's validation + Google's function
name rule) behind the real client, through the adapters' public entry points.
"""

from __future__ import annotations

import base64
import copy
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from cometgemini._schema import to_json_schema, to_openapi_schema
from cometgemini._types import FunctionDeclaration, GenerateContentRequest, Tool
from tests.reliability._wire import FUNCTION_NAME, CheckingServer, check_request

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])
ACCEPTED = (ValueError, TypeError)
"""What a user may get for bad input (pydantic's ValidationError is a ValueError)."""

# ------------------------------------------------------------------------------------------- strategies

text = st.text(max_size=30)
names = st.text(min_size=1, max_size=12)
numbers = st.integers(-1000, 1000) | st.floats(allow_nan=False, allow_infinity=False, width=32)
scalars = st.none() | st.booleans() | numbers | text
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3),
                           max_leaves=8)
REFS = ["#/$defs/A", "#/$defs/B", "#/definitions/A", "#", "#/$defs/missing", "#/properties/a",
        "https://example.com/schema.json", "#/$defs/A/properties/x", "", "#/$defs/%E2%82%AC"]
TYPES = ["string", "number", "integer", "boolean", "array", "object", "null", "STRING", "foo", ""]


def _node(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), max_size=3),
        "description": text, "title": text,
        "enum": st.lists(scalars, max_size=4), "const": scalars, "default": json_values,
        "properties": st.dictionaries(names, children, max_size=4),
        "required": st.lists(names, max_size=3) | text,
        "items": children | st.lists(children, max_size=2), "prefixItems": st.lists(children, max_size=2),
        "anyOf": st.lists(children, max_size=3), "oneOf": st.lists(children, max_size=3),
        "allOf": st.lists(children, max_size=3),
        "additionalProperties": st.booleans() | children,
        "minimum": numbers, "maximum": numbers, "exclusiveMinimum": numbers | st.booleans(),
        "minItems": st.integers(-2, 5), "maxLength": st.integers(-2, 50) | text,
        "format": st.sampled_from(["date-time", "date", "email", "uri", "int32", "float", "enum", "bogus"]),
        "nullable": st.booleans(), "$ref": st.sampled_from(REFS), "pattern": text,
        "propertyOrdering": st.lists(names, max_size=3), "x-extension": json_values, "$comment": text,
    })


schemas = st.recursive(st.fixed_dictionaries({"type": st.sampled_from(TYPES)}) | st.booleans(), _node,
                       max_leaves=12)
root_schemas = st.builds(
    lambda node, defs, key: {**node, key: defs} if defs else node,
    _node(schemas), st.dictionaries(st.sampled_from(["A", "B", "€"]), schemas, max_size=3),
    st.sampled_from(["$defs", "definitions"]),
)


def schema_nodes(schema: Any) -> Iterator[dict[str, Any]]:
    """Every sub-schema of a converted schema (following the keywords that hold schemas)."""
    if not isinstance(schema, dict):
        return
    yield schema
    for key in ("items", "additionalProperties"):
        yield from schema_nodes(schema.get(key))
    for key in ("anyOf", "prefixItems"):
        for item in schema.get(key) or []:
            yield from schema_nodes(item)
    for item in (schema.get("properties") or {}).values():
        yield from schema_nodes(item)


def _as_request(declaration: FunctionDeclaration) -> dict[str, Any]:
    request = GenerateContentRequest(contents=[{"role": "user", "parts": [{"text": "hi"}]}],  # type: ignore[list-item]
                                     tools=[Tool(function_declarations=[declaration])])
    return json.loads(request.model_dump_json(by_alias=True, exclude_none=True))


# ------------------------------------------------------------------------------------------- JSON Schema


@FUZZ
@given(root_schemas)
def test_to_json_schema_gives_a_valid_schema_or_a_value_error(schema: dict[str, Any]) -> None:
    before = copy.deepcopy(schema)
    try:
        out = to_json_schema(schema)
    except ValueError as exc:
        assert str(exc).strip()
        return
    finally:
        assert schema == before, "the input was mutated"
    json.dumps(out, allow_nan=False)
    for node in schema_nodes(out):
        assert "$ref" not in node and "$defs" not in node and "allOf" not in node, node
    body = _as_request(FunctionDeclaration(name="f", parameters_json_schema=out))
    assert check_request(body, "gemini-2.5-flash") is None


@FUZZ
@given(root_schemas)
def test_to_openapi_schema_gives_the_openapi_subset_or_a_value_error(schema: dict[str, Any]) -> None:
    before = copy.deepcopy(schema)
    try:
        out = to_openapi_schema(schema)
    except ValueError as exc:
        assert str(exc).strip()
        return
    finally:
        assert schema == before, "the input was mutated"
    json.dumps(out, allow_nan=False)
    for node in schema_nodes(out):
        assert not {"$ref", "$defs", "allOf", "additionalProperties", "const", "oneOf"} & set(node), node
        if "type" in node:
            assert node["type"] in ("STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"), node
        assert all(isinstance(v, str) for v in node.get("enum") or []), node
    body = _as_request(FunctionDeclaration(name="f", parameters=out))
    assert check_request(body, "gemini-2.5-flash") is None


@pytest.mark.parametrize("convert", [to_json_schema, to_openapi_schema])
@pytest.mark.parametrize("schema", [
    {"$defs": {"A": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"},
    {"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}, "properties": {"a": {"$ref": "#/$defs/A"}}},
    {"$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
     "$ref": "#/$defs/Node"},
    {"type": "object", "properties": {"a": {"$ref": "#"}}},
    {"properties": {"x": {"$ref": "#/$defs/nowhere"}}},
])
def test_ref_cycles_and_dangling_refs_are_value_errors(convert: Any, schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"\$ref|recursive|cycl|flatten|not found|resolve") as info:
        convert(schema)
    assert len(str(info.value)) < 1000


@pytest.mark.parametrize("convert", [to_json_schema, to_openapi_schema])
def test_deep_and_wide_schemas_are_bounded(convert: Any) -> None:
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(500):
        deep = {"type": "array", "items": deep}
    with pytest.raises(ValueError):
        convert(deep)
    # shared $refs that double at every level: 2**40 nodes if inlined naively
    defs = {f"L{i}": {"type": "object", "properties": {"a": {"$ref": f"#/$defs/L{i + 1}"},
                                                       "b": {"$ref": f"#/$defs/L{i + 1}"}}} for i in range(40)}
    defs["L40"] = {"type": "string"}
    with pytest.raises(ValueError):
        convert({"$defs": defs, "$ref": "#/$defs/L0"})


@pytest.mark.parametrize("convert", [to_json_schema, to_openapi_schema])
def test_unicode_and_nan_in_schemas(convert: Any) -> None:
    schema = {"type": "object", "title": "Ünïcødé 🚀", "properties": {"naïve €": {"type": "string",
              "description": "日本語\u0000\U0010ffff", "enum": ["é", "😀"]}}, "required": ["naïve €"]}
    out = convert(schema)
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out
    assert "naïve €" in out["properties"]
    with pytest.raises(ValueError):
        convert({"type": "number", "default": math.nan, "enum": [math.inf]})


# ------------------------------------------------------------------------------------------- tools

tool_names = st.from_regex(FUNCTION_NAME, fullmatch=True)
"""Valid names only: invalid ones have their own example-based tests below."""


@st.composite
def lc_tools(draw: st.DrawFn) -> Any:
    name, description, schema = draw(tool_names), draw(text), draw(root_schemas | st.none())
    shape = draw(st.sampled_from(["openai", "anthropic", "jsonschema", "gemini", "builtin", "junk"]))
    if shape == "openai":
        function: dict[str, Any] = {"name": name, "description": description}
        if schema is not None:
            function["parameters"] = schema
        return {"type": "function", "function": function}
    if shape == "anthropic":
        return {"name": name, "description": description, "input_schema": schema or {}}
    if shape == "jsonschema":  # a "type" other than "object" crashes langchain-core: see the xfail test
        return {**(schema or {}), "type": "object", "title": name, "description": description}
    if shape == "gemini":
        return {"name": name, "parametersJsonSchema": schema or {}}
    if shape == "builtin":
        return {draw(st.sampled_from(["google_search", "url_context", "code_execution", "googleSearch"])): {}}
    return draw(json_values)


@pytest.fixture(scope="module")
def lc_checked() -> Iterator[tuple[Any, CheckingServer]]:
    from langchain_cometgemini import ChatCometGemini

    server = CheckingServer()
    llm = ChatCometGemini(model="gemini-2.5-flash", api_key="k", base_url="https://api.example.com",
                          http_client=server.client(), max_retries=0)
    yield llm, server


def outcome(server: CheckingServer, call: Any, tolerate: tuple[str, ...] = ()) -> None:
    """``call()`` either sends one valid request or raises ValueError/TypeError before sending (the fuzz tests
    ``tolerate`` the known bugs)."""
    server.reset()
    try:
        call()
    except ACCEPTED as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        assert not server.bodies, f"{type(exc).__name__} raised after a request was sent: {exc}"
        return
    assert len(server.bodies) == 1
    assert not [p for p in server.problems if not any(known in p for known in tolerate)], server.problems


@FUZZ
@given(st.lists(lc_tools(), min_size=1, max_size=3), st.sampled_from([None, "auto", "any", "none", "f"]))
def test_langchain_tools(lc_checked: tuple[Any, CheckingServer], tools: list[Any], choice: str | None) -> None:
    llm, server = lc_checked
    outcome(server, lambda: llm.bind_tools(tools, tool_choice=choice).invoke("hi"))


def _li_tool(name: str, description: str, schema: dict[str, Any] | None) -> Any:
    from llama_index.core.tools import FunctionTool, ToolMetadata
    from pydantic import BaseModel

    fn_schema = None
    if schema is not None:
        fn_schema = type("Args", (BaseModel,), {"model_json_schema": classmethod(lambda cls, *a, **k: schema)})
    return FunctionTool(fn=lambda **kwargs: None,
                        metadata=ToolMetadata(name=name, description=description, fn_schema=fn_schema))


@pytest.fixture(scope="module")
def li_checked() -> Iterator[tuple[Any, CheckingServer]]:
    from llamaindex_cometgemini import CometGemini

    server = CheckingServer()
    llm = CometGemini(model="gemini-2.5-flash", api_key="k", base_url="https://api.example.com",
                      http_client=server.client(), max_retries=0)
    yield llm, server


@FUZZ
@given(st.lists(st.tuples(tool_names, text, root_schemas | st.none()), min_size=1, max_size=3), st.booleans())
def test_llamaindex_tools(li_checked: tuple[Any, CheckingServer], specs: list[Any], required: bool) -> None:
    llm, server = li_checked
    try:
        tools = [_li_tool(*spec) for spec in specs]
    except ACCEPTED:
        reject()  # LlamaIndex itself refused the tool
    outcome(server, lambda: llm.chat_with_tools(tools, user_msg="hi", tool_required=required))


@pytest.mark.parametrize("name", ["my tool", "naïve", "1abc", "a" * 65, "get-weather!", ""])
def test_langchain_invalid_function_names_fail_before_sending(lc_checked: tuple[Any, CheckingServer],
                                                              name: str) -> None:
    llm, server = lc_checked
    tool = {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {}}}}
    outcome(server, lambda: llm.bind_tools([tool]).invoke("hi"))


@pytest.mark.parametrize("name", ["my tool", "naïve", "1abc", "a" * 65, "get-weather!"])
def test_llamaindex_invalid_function_names_fail_before_sending(li_checked: tuple[Any, CheckingServer],
                                                               name: str) -> None:
    llm, server = li_checked
    outcome(server, lambda: llm.chat_with_tools([_li_tool(name, "d", None)], user_msg="hi"))


# ------------------------------------------------------------------------------------------- LangChain messages

URLS = ["https://example.com/a.png", "gs://bucket/file.pdf", "data:image/png;base64,iVBORw0KGgo=", "data:;base64,",
        "data:text/plain,hello%20world", "not a url", "", "file:///etc/passwd", "https://x.example/v.mp4"]
b64 = st.sampled_from(["iVBORw0KGgo=", "JVBERi0xLjQ=", "", "!!not base64!!"]) | st.binary(max_size=12).map(
    lambda b: base64.b64encode(b).decode())
mimes = st.none() | st.sampled_from(["image/png", "application/pdf", "audio/wav", "", "text/plain", "weird"])



@st.composite
def lc_media(draw: st.DrawFn) -> dict[str, Any]:
    """Media blocks in LangChain's v0 (``source_type``) and v1 shapes. A v0 block always has the key its
    ``source_type`` names: without it langchain-core itself raises KeyError (in ``_normalize_messages``,
    before the adapter sees the message; also for ``source_type: "text"``, which it reads from ``url``)."""
    kind = draw(st.sampled_from(["image", "audio", "video", "file"]))
    form = draw(st.sampled_from(["v0-url", "v0-base64", "v0-id", "v1-url", "v1-base64", "v1-id", "v1-nothing"]))
    block: dict[str, Any] = {"type": kind}
    if form == "v0-url":
        block |= {"source_type": "url", "url": draw(st.sampled_from(URLS))}
    elif form == "v0-base64":
        block |= {"source_type": "base64", "data": draw(b64)}
    elif form == "v0-id":
        block |= {"source_type": "id", "id": draw(text)}
    elif form == "v1-url":
        block["url"] = draw(st.sampled_from(URLS))
    elif form == "v1-base64":
        block["base64"] = draw(b64)
    elif form == "v1-id":
        block["file_id"] = draw(text)
    mime = draw(mimes)
    if mime is not None:
        block["mime_type"] = mime
    return block


lc_blocks = st.one_of(
    text,
    st.fixed_dictionaries({"type": st.just("text"), "text": text}),
    st.fixed_dictionaries({"type": st.just("image_url"),
                           "image_url": st.sampled_from(URLS) | st.fixed_dictionaries({"url": st.sampled_from(URLS)})}),
    lc_media(),
    st.fixed_dictionaries({"type": st.sampled_from(["reasoning", "thinking", "tool_call", "tool_use",
                                                    "function_call", "executable_code", "code_execution_result",
                                                    "server_tool_call", "non_standard", "json"])},
                          optional={"reasoning": text, "thinking": text, "name": text, "args": json_values,
                                    "id": text, "value": json_values, "signature": text, "extras": json_values,
                                    "code": text, "language": text, "output": text}),
    st.dictionaries(st.sampled_from(["type", "text", "url", "data", "x"]), json_values, max_size=3),
)
lc_content = text | st.lists(lc_blocks, max_size=4)
lc_calls = st.lists(st.fixed_dictionaries({"name": tool_names, "args": st.dictionaries(text, json_values, max_size=3),
                                           "id": st.none() | st.text(max_size=8)}), max_size=2)


@st.composite
def lc_messages(draw: st.DrawFn) -> Any:
    from langchain_core.messages import AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

    kind = draw(st.sampled_from(["human", "system", "ai", "tool", "chat"]))
    content = draw(lc_content)
    try:
        if kind == "human":
            return HumanMessage(content=content)
        if kind == "system":
            return SystemMessage(content=content)
        if kind == "ai":
            kwargs = draw(st.fixed_dictionaries({}, optional={"thought_signatures": json_values}))
            meta = draw(st.fixed_dictionaries({}, optional={"model_provider": st.sampled_from(["cometgemini", "x"])}))
            return AIMessage(content=content, tool_calls=draw(lc_calls), additional_kwargs=kwargs,
                             response_metadata=meta)
        if kind == "tool":
            return ToolMessage(content=content, tool_call_id=draw(st.text(max_size=8)),
                               name=draw(st.none() | tool_names), status=draw(st.sampled_from(["success", "error"])))
        return ChatMessage(role=draw(st.sampled_from(["user", "assistant", "model", "system", "tool", "x"])),
                           content=content)
    except ACCEPTED:
        reject()  # LangChain itself refused to build the message


@FUZZ
@given(st.lists(lc_messages(), max_size=6))
def test_langchain_messages(lc_checked: tuple[Any, CheckingServer], messages: list[Any]) -> None:
    llm, server = lc_checked
    outcome(server, lambda: llm.invoke(messages))


@pytest.mark.parametrize("case", ["none", "system only", "empty text"])
def test_langchain_empty_conversation_fails_before_sending(lc_checked: tuple[Any, CheckingServer], case: str) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    llm, server = lc_checked
    messages = {"none": [], "system only": [SystemMessage("be brief")], "empty text": [HumanMessage("")]}[case]
    outcome(server, lambda: llm.invoke(messages))


# ------------------------------------------------------------------------------------------- LlamaIndex messages


signatures = st.just("skip_thought_signature_validator") | st.binary(min_size=1, max_size=24).map(
    lambda b: base64.b64encode(b).decode())
"""Signatures as the API issues them (base64), mixed with arbitrary text below."""


@st.composite
def li_blocks(draw: st.DrawFn) -> Any:
    from llama_index.core.base.llms.types import (
        AudioBlock,
        DocumentBlock,
        ImageBlock,
        TextBlock,
        ThinkingBlock,
        ToolCallBlock,
    )

    kind = draw(st.sampled_from(["text", "image_url", "image_bytes", "audio", "document", "thinking", "call"]))
    if kind == "text":
        return TextBlock(text=draw(text))
    if kind == "image_url":
        return ImageBlock(url=draw(st.sampled_from([u for u in URLS if u.startswith(("https:", "gs:", "data:"))])),
                          image_mimetype=draw(mimes))
    if kind == "image_bytes":
        return ImageBlock(image=draw(st.binary(max_size=16)) or b"\x89PNG", image_mimetype=draw(mimes))
    if kind == "audio":
        return AudioBlock(audio=draw(st.binary(min_size=1, max_size=16)),
                          format=draw(st.none() | st.sampled_from(["mp3", "wav", "audio/ogg", "x"])))
    if kind == "document":
        return DocumentBlock(data=draw(st.binary(min_size=1, max_size=16)), document_mimetype=draw(mimes))
    if kind == "thinking":
        return ThinkingBlock(content=draw(text), additional_information=draw(
            st.dictionaries(st.sampled_from(["thought_signature", "signature", "x"]), signatures | text, max_size=2)))
    return ToolCallBlock(tool_call_id=draw(st.none() | st.text(max_size=8)), tool_name=draw(tool_names),
                         tool_kwargs=draw(st.dictionaries(text, json_values, max_size=3) | text))


@st.composite
def li_messages(draw: st.DrawFn) -> Any:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    role = draw(st.sampled_from(list(MessageRole)))
    extra = draw(st.fixed_dictionaries({}, optional={
        "tool_call_id": st.text(max_size=8), "name": tool_names, "tool_calls": json_values,
        "thought_signatures": json_values}))
    try:
        blocks = draw(st.lists(li_blocks(), max_size=4))
        return ChatMessage(role=role, blocks=blocks, additional_kwargs=extra)
    except ACCEPTED:
        reject()


@FUZZ
@given(st.lists(li_messages(), max_size=6))
def test_llamaindex_messages(li_checked: tuple[Any, CheckingServer], messages: list[Any]) -> None:
    llm, server = li_checked
    outcome(server, lambda: llm.chat(messages))


@pytest.mark.parametrize("case", ["none", "empty system", "empty text"])
def test_llamaindex_empty_conversation_fails_before_sending(li_checked: tuple[Any, CheckingServer], case: str) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    llm, server = li_checked
    messages = {"none": [], "empty system": [ChatMessage(role="system", content="")],
                "empty text": [ChatMessage(role="user", content="")]}[case]
    outcome(server, lambda: llm.chat(messages))


def test_langchain_orphan_tool_result_fails_before_sending(lc_checked: tuple[Any, CheckingServer]) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    llm, server = lc_checked
    outcome(server, lambda: llm.invoke([HumanMessage("hi"), ToolMessage("21 C", name="get_weather",
                                                                         tool_call_id="call-1")]))


def test_llamaindex_orphan_tool_result_fails_before_sending(li_checked: tuple[Any, CheckingServer]) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    llm, server = li_checked
    outcome(server, lambda: llm.chat([ChatMessage(role="user", content="hi"), ChatMessage(
        role="tool", content="21 C", additional_kwargs={"tool_call_id": "call-1", "name": "get_weather"})]))


def test_langchain_media_block_without_mime_type(lc_checked: tuple[Any, CheckingServer]) -> None:
    from langchain_core.messages import HumanMessage

    llm, server = lc_checked
    outcome(server, lambda: llm.invoke([HumanMessage([{"type": "media", "data": "iVBORw0KGgo="}])]))


def test_langchain_json_schema_tool_with_a_type_list(lc_checked: tuple[Any, CheckingServer]) -> None:
    llm, server = lc_checked
    outcome(server, lambda: llm.bind_tools([{"title": "A", "description": "", "type": ["string"]}]).invoke("hi"))


def test_llamaindex_thought_signatures_not_a_dict(li_checked: tuple[Any, CheckingServer]) -> None:
    from llama_index.core.base.llms.types import ChatMessage, ImageBlock

    llm, server = li_checked
    message = ChatMessage(role="assistant", additional_kwargs={"thought_signatures": [None]},
                          blocks=[ImageBlock(url="data:image/png;base64,iVBORw0KGgo=")])
    outcome(server, lambda: llm.chat([ChatMessage(role="user", content="draw"), message,
                                      ChatMessage(role="user", content="again")]))


def test_llamaindex_non_base64_signature(li_checked: tuple[Any, CheckingServer]) -> None:
    from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock

    llm, server = li_checked
    message = ChatMessage(role="assistant", blocks=[
        ThinkingBlock(content="hm", additional_information={"thought_signature": "0"}), TextBlock(text="ok")])
    outcome(server, lambda: llm.chat([ChatMessage(role="user", content="hi"), message,
                                      ChatMessage(role="user", content="more")]))
