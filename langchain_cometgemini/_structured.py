"""``with_structured_output`` wiring: the bound model and the parser for each method.

``json_schema`` sends ``responseJsonSchema`` with the JSON MIME type; ``function_calling`` forces one call of
a function declared from the schema (mode ``ANY``, never together with the JSON MIME type, which the API
refuses); ``json_mode`` sends the MIME type only. A blocked answer raises ``ModelRefusalError`` instead of a
parsing error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import ModelRefusalError
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableGenerator
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel
from pydantic.v1 import BaseModel as BaseModelV1

from cometgemini._schema import json_schema_of, to_json_schema

if TYPE_CHECKING:
    from .chat_models import ChatCometGemini

__all__ = ["structured_runnable"]

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


def structured_runnable(
    llm: ChatCometGemini, schema: Any, method: str
) -> tuple[Runnable[Any, Any], Runnable[Any, Any]]:
    """``(bound model, parser)`` for ``with_structured_output``."""
    guard: Runnable[Any, Any] = RunnableGenerator(_guard, _aguard)
    if schema is None and method != "json_mode":
        raise ValueError(f"method={method!r} needs a schema (only json_mode works without one)")
    if method == "function_calling":
        name = convert_to_openai_tool(schema)["function"]["name"]
        bound = llm.bind_tools([schema], tool_choice=name,
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
        bound = llm.bind(response_mime_type="application/json", response_json_schema=_response_schema(schema),
                         ls_structured_output_format={"kwargs": {"method": method}, "schema": schema})
    elif method == "json_mode":
        bound = llm.bind(response_mime_type="application/json",
                         ls_structured_output_format={"kwargs": {"method": method}, "schema": schema})
    else:
        raise ValueError(f"method must be 'json_schema', 'function_calling' or 'json_mode', got {method!r}")
    return bound, guard | parser
