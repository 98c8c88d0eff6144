"""``with_structured_output`` wiring: the bound model and the parser for each method.

``json_schema`` sends ``responseJsonSchema`` with the JSON MIME type; ``function_calling`` forces one call of
a function declared from the schema (mode ``ANY``, never together with the JSON MIME type, which the API
refuses); ``json_mode`` sends the MIME type only. A blocked answer raises ``ModelRefusalError`` instead of a
parsing error.

The result is ``bound model | StructuredOutputParser``, both LangChain ``Serializable``: ``dumps`` writes it and
``loads`` revives it (no generators or lambdas inside). A pydantic schema is written as the JSON schema that
was sent plus the class's ``module:QualName``; the revived parser finds the class among the modules already
imported (loading never imports code), so import your schema's module before ``loads``.

Tools bound before (``bind_tools(...).with_structured_output(...)``, or ``tools=``) stay in the request: with
``json_schema`` the model may search (and, on Gemini 3, call functions) before it answers in the schema, as
the recorded ``toolCombination_jsonSchema`` exchange does; with ``function_calling`` the schema's function is
added to them and forced. A plain ``RunnableBinding`` would forward ``with_structured_output`` to the model
and drop its bound tools, hence ``ToolBinding``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import ModelRefusalError, OutputParserException
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.runnables import Runnable, RunnableBinding
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, PrivateAttr, ValidationError, model_validator
from pydantic.v1 import BaseModel as BaseModelV1

from cometgemini._schema import json_schema_of, to_json_schema

if TYPE_CHECKING:
    from .chat_models import ChatCometGemini

__all__ = ["StructuredOutputParser", "ToolBinding", "structured_output", "structured_runnable"]

_REFUSALS = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"})
_METHODS = ("json_schema", "function_calling", "json_mode")


def _check(message: BaseMessage) -> None:
    finish = message.response_metadata.get("finish_reason")
    if finish in _REFUSALS:
        detail = message.response_metadata.get("finish_message")
        raise ModelRefusalError(
            f"Gemini refused to answer (finish_reason={finish}){': ' + detail if detail else ''}",
            raw_message=message,
        )


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


def _class_path(schema: Any) -> str | None:
    return f"{schema.__module__}:{schema.__qualname__}" if _is_pydantic(schema) else None


def _imported_class(path: str) -> type[Any]:
    """The pydantic model at ``module:QualName``, from a module already imported (never imported here)."""
    module_name, _, qualname = path.partition(":")
    found: Any = sys.modules.get(module_name)
    for name in qualname.split("."):
        found = getattr(found, name, None)
    if not _is_pydantic(found):
        raise ValueError(
            f"the structured output schema {path} is not loaded: import {module_name!r} (where the pydantic "
            "model is defined) before reviving this runnable"
        )
    return found  # type: ignore[no-any-return]


class StructuredOutputParser(JsonOutputParser):
    """The answer of ``with_structured_output``: checked for a refusal, read as JSON (the text, or the arguments
    of the forced call to ``key_name``), then validated into ``schema_class`` (a pydantic model) when there is
    one. Streams partial dicts as the JSON grows (a pydantic model once complete). ``include_raw``: answers
    ``{"raw", "parsed", "parsing_error"}`` instead of raising a parsing error or refusal."""

    key_name: str | None = None
    """function_calling: the function whose call carries the answer."""
    schema_class: str | None = None
    """``module:QualName`` of the pydantic model to validate into (``None``: a dict)."""
    include_raw: bool = False

    _model: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _find_model(self) -> StructuredOutputParser:
        if self.schema_class is not None and self._model is None:
            self._model = _imported_class(self.schema_class)
        return self

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_cometgemini", "output_parsers"]  # its public home, which ``loads`` imports

    @property
    def _type(self) -> str:
        return "cometgemini_structured"

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        message = result[0].message if isinstance(result[0], ChatGeneration) else None
        if not self.include_raw:
            return self._parsed(result, message, partial)
        if partial and (message is None or not message.response_metadata.get("finish_reason")):
            return None  # with the raw message: only once it is whole
        try:
            return {"raw": message, "parsed": self._parsed(result, message, False), "parsing_error": None}
        except (OutputParserException, ModelRefusalError, ValidationError, ValueError) as error:
            return {"raw": message, "parsed": None, "parsing_error": error}

    def _parsed(self, result: list[Generation], message: BaseMessage | None, partial: bool) -> Any:
        if message is not None:
            _check(message)
        if self.key_name is not None:
            value = self._call_arguments(message, partial)
        else:
            value = super().parse_result(result, partial=partial)
        if self._model is None or value is None:
            return value
        try:
            if issubclass(self._model, BaseModelV1):
                return self._model.parse_obj(value)
            return self._model.model_validate(value)
        except (ValidationError, ValueError) as error:
            if partial:
                return None  # a model comes out once its JSON is complete
            raise OutputParserException(f"the answer does not fit {self._model.__name__}: {error}",
                                        llm_output=str(value)) from error

    def _call_arguments(self, message: BaseMessage | None, partial: bool) -> Any:
        calls = message.tool_calls if isinstance(message, AIMessage) else []
        for call in calls:
            if call["name"] == self.key_name:
                return call["args"]
        if partial:
            return None
        raise OutputParserException(f"the model did not call {self.key_name!r}", llm_output=str(message))


def _unbundled(entries: Any) -> list[Any]:
    """Gemini ``tools`` entries as single tools again (declarations and built-ins), for ``bind_tools``."""
    tools: list[Any] = []
    for entry in entries or ():
        tools.extend(entry.get("functionDeclarations", [entry]))
    return tools


def structured_runnable(
    llm: ChatCometGemini, schema: Any, method: str, include_raw: bool, bound_kwargs: Mapping[str, Any] | None = None
) -> Runnable[Any, Any]:
    """``bound model | parser`` for ``with_structured_output``; ``bound_kwargs`` are those of a model from
    ``bind_tools`` (its tools, tool_config, ...), kept in the request."""
    if method not in _METHODS:
        raise ValueError(f"method must be 'json_schema', 'function_calling' or 'json_mode', got {method!r}")
    if schema is None and method != "json_mode":
        raise ValueError(f"method={method!r} needs a schema (only json_mode works without one)")
    # LangSmith's record of the schema, as JSON: a class here would make the runnable impossible to revive
    traced = {"kwargs": {"method": method}, "schema": None if schema is None else convert_to_openai_tool(schema)}
    bound_kwargs = dict(bound_kwargs or {})
    key_name = None
    if method == "function_calling":
        key_name = convert_to_openai_tool(schema)["function"]["name"]
        tools = [*_unbundled(bound_kwargs.pop("tools", None)), schema]
        bound_kwargs.pop("tool_choice", None)  # the schema's function is the one forced
        bound = llm.bind_tools(tools, tool_choice=key_name, **bound_kwargs, ls_structured_output_format=traced)
    elif method == "json_schema":
        bound = llm.bind(**bound_kwargs, response_mime_type="application/json",
                         response_json_schema=_response_schema(schema), ls_structured_output_format=traced)
    else:
        bound = llm.bind(**bound_kwargs, response_mime_type="application/json", ls_structured_output_format=traced)
    parser = StructuredOutputParser(key_name=key_name, include_raw=include_raw)
    if _is_pydantic(schema):  # the class itself (it may be defined in a function, where no import finds it)
        parser.schema_class, parser._model = _class_path(schema), schema
    return bound | parser


def structured_output(
    llm: ChatCometGemini, schema: Any, method: str, include_raw: bool, bound_kwargs: Mapping[str, Any],
    kwargs: dict[str, Any],
) -> Runnable[Any, Any]:
    """``with_structured_output``'s runnable (the parsed object, or ``{"raw", "parsed", "parsing_error"}``)."""
    kwargs.pop("strict", None)  # Gemini always follows responseJsonSchema; accepted for interface compatibility
    if kwargs:
        raise ValueError(f"unexpected arguments {sorted(kwargs)}")
    return structured_runnable(llm, schema, method, include_raw, bound_kwargs)


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
