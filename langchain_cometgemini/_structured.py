"""``with_structured_output`` wiring: the bound model and the parser for each method.

``json_schema`` sends ``responseJsonSchema`` with the JSON MIME type; ``function_calling`` forces one call of
a function declared from the schema (mode ``ANY``, never together with the JSON MIME type, which the API
refuses); ``json_mode`` sends the MIME type only. A blocked answer raises ``ModelRefusalError`` instead of a
parsing error.

Tools bound before (``bind_tools(...).with_structured_output(...)``, or ``tools=``) stay in the request: with
``json_schema`` the model may search (and, on Gemini 3, call functions) before it answers in the schema, as
the recorded ``toolCombination_jsonSchema`` exchange does; with ``function_calling`` the schema's function is
added to them and forced. A plain ``RunnableBinding`` would forward ``with_structured_output`` to the model
and drop its bound tools, hence ``ToolBinding``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import ModelRefusalError
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableBinding, RunnableGenerator, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel
from pydantic.v1 import BaseModel as BaseModelV1

from cometgemini._schema import json_schema_of, to_json_schema

if TYPE_CHECKING:
    from .chat_models import ChatCometGemini

__all__ = ["ToolBinding", "structured_output", "structured_runnable"]

_REFUSALS = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"})


def _check(message: BaseMessage) -> BaseMessage:
    finish = message.response_metadata.get("finish_reason")
    if finish in _REFUSALS:
        detail = message.response_metadata.get("finish_message")
        raise ModelRefusalError(
            f"Gemini refused to answer (finish_reason={finish}){': ' + detail if detail else ''}",
            raw_message=message,
        )
    return message


def _guard(messages: Iterator[BaseMessage]) -> Iterator[BaseMessage]:
    for message in messages:
        yield _check(message)


async def _aguard(messages: AsyncIterator[BaseMessage]) -> AsyncIterator[BaseMessage]:
    async for message in messages:
        yield _check(message)


def _is_pydantic(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, (BaseModel, BaseModelV1))


def _response_schema(schema: Any) -> dict[str, Any]:
    if isinstance(schema, dict):
        if "parameters" in schema and "name" in schema:  # an OpenAI function
            return to_json_schema(schema["parameters"])
        if schema.get("type") == "function" and isinstance(schema.get("function"), dict):
            return to_json_schema(schema["function"].get("parameters") or {})
        return to_json_schema(schema)
    if isinstance(schema, type) and issubclass(schema, BaseModelV1):
        return to_json_schema(convert_to_openai_tool(schema)["function"]["parameters"])
    return json_schema_of(schema)


def _unbundled(entries: Any) -> list[Any]:
    """Gemini ``tools`` entries as single tools again (declarations and built-ins), for ``bind_tools``."""
    tools: list[Any] = []
    for entry in entries or ():
        tools.extend(entry.get("functionDeclarations", [entry]))
    return tools


def structured_runnable(
    llm: ChatCometGemini, schema: Any, method: str, bound_kwargs: Mapping[str, Any] | None = None
) -> tuple[Runnable[Any, Any], Runnable[Any, Any]]:
    """``(bound model, parser)`` for ``with_structured_output``; ``bound_kwargs`` are those of a model from
    ``bind_tools`` (its tools, tool_config, ...), kept in the request."""
    guard: Runnable[Any, Any] = RunnableGenerator(_guard, _aguard)
    bound_kwargs = dict(bound_kwargs or {})
    if schema is None and method != "json_mode":
        raise ValueError(f"method={method!r} needs a schema (only json_mode works without one)")
    if method == "function_calling":
        name = convert_to_openai_tool(schema)["function"]["name"]
        tools = [*_unbundled(bound_kwargs.pop("tools", None)), schema]
        bound_kwargs.pop("tool_choice", None)  # the schema's function is the one forced
        bound = llm.bind_tools(tools, tool_choice=name, **bound_kwargs,
                               ls_structured_output_format={"kwargs": {"method": method}, "schema": schema})
        tools_parser: Runnable[Any, Any] = (
            PydanticToolsParser(tools=[schema], first_tool_only=True) if _is_pydantic(schema)
            else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        )
        return bound, guard | tools_parser
    parser: Runnable[Any, Any] = (
        PydanticOutputParser(pydantic_object=schema) if _is_pydantic(schema) else JsonOutputParser()
    )
    if method == "json_schema":
        bound = llm.bind(**bound_kwargs, response_mime_type="application/json",
                         response_json_schema=_response_schema(schema),
                         ls_structured_output_format={"kwargs": {"method": method}, "schema": schema})
    elif method == "json_mode":
        bound = llm.bind(**bound_kwargs, response_mime_type="application/json",
                         ls_structured_output_format={"kwargs": {"method": method}, "schema": schema})
    else:
        raise ValueError(f"method must be 'json_schema', 'function_calling' or 'json_mode', got {method!r}")
    return bound, guard | parser


def structured_output(
    llm: ChatCometGemini, schema: Any, method: str, include_raw: bool, bound_kwargs: Mapping[str, Any],
    kwargs: dict[str, Any],
) -> Runnable[Any, Any]:
    """``with_structured_output``'s runnable (the parsed object, or ``{"raw", "parsed", "parsing_error"}``)."""
    kwargs.pop("strict", None)  # Gemini always follows responseJsonSchema; accepted for interface compatibility
    if kwargs:
        raise ValueError(f"unexpected arguments {sorted(kwargs)}")
    bound, parser = structured_runnable(llm, schema, method, bound_kwargs)
    if not include_raw:
        return bound | parser
    parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    fallback = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=bound) | parsed.with_fallbacks([fallback], exception_key="parsing_error")


class ToolBinding(RunnableBinding[Any, Any]):
    """What ``ChatCometGemini.bind_tools`` returns: a ``RunnableBinding`` whose ``with_structured_output``
    keeps the bound tools in the request. Serialized as the plain ``RunnableBinding`` it extends."""

    @classmethod
    def lc_id(cls) -> list[str]:
        return RunnableBinding.lc_id()

    def with_structured_output(self, schema: Any = None, **options: Any) -> Runnable[Any, Any]:
        from ._tools import convert_tools

        method = options.pop("method", "json_schema")
        include_raw = options.pop("include_raw", False)
        bound = dict(self.kwargs)
        more = options.pop("tools", None)
        if more:
            bound["tools"] = [*(bound.get("tools") or []), *convert_tools(more)]
        runnable = structured_output(self.bound, schema, method, include_raw, bound, options)  # type: ignore[arg-type]
        return runnable.with_config(self.config) if self.config else runnable
