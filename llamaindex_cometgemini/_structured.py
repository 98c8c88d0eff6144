"""Structured output, pure parts: the request keyword arguments and the parsing of the answer.

Natively, the schema goes in ``generationConfig.responseJsonSchema`` with ``responseMimeType:
application/json`` and the answer text is the JSON. Where JSON mode cannot be combined with the call (function
tools in ``llm_kwargs``: Gemini refuses ``ANY`` mode with a JSON mime type), the schema becomes a function the
model is forced to call, and its arguments are the answer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeVar

from llama_index.core.base.llms.types import ChatResponse, ToolCallBlock
from pydantic import BaseModel, ValidationError

from cometgemini._types import FunctionCallingConfig, FunctionDeclaration, ToolConfig

__all__ = ["forced_call_kwargs", "json_kwargs", "parse_call", "parse_json", "uses_json_mode"]

M = TypeVar("M", bound=BaseModel)


@functools.lru_cache(maxsize=256)
def _schema(output_cls: type[BaseModel]) -> dict[str, Any]:
    from cometgemini._schema import json_schema_of  # on first use: it costs ~50 ms of imports

    return json_schema_of(output_cls)


def uses_json_mode(llm_kwargs: Mapping[str, Any] | None) -> bool:
    return not (llm_kwargs and llm_kwargs.get("tools"))


def json_kwargs(output_cls: type[BaseModel], llm_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    kwargs = {k: v for k, v in (llm_kwargs or {}).items()
              if k not in ("tool_choice", "tool_required", "allow_parallel_tool_calls")}
    kwargs["response_json_schema"] = _schema(output_cls)
    kwargs["response_mime_type"] = "application/json"
    return kwargs


def _function_name(output_cls: type[BaseModel]) -> str:
    return output_cls.__name__


def forced_call_kwargs(output_cls: type[BaseModel], llm_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    name = _function_name(output_cls)
    declaration = FunctionDeclaration(
        name=name,
        description=(output_cls.__doc__ or f"Answer as a {name}.").strip(),
        parameters_json_schema=_schema(output_cls),
    )
    kwargs = {k: v for k, v in llm_kwargs.items()
              if k not in ("tool_choice", "tool_required", "allow_parallel_tool_calls", "tools")}
    kwargs["tools"] = [declaration, *llm_kwargs.get("tools", [])]
    kwargs["tool_config"] = ToolConfig(
        function_calling_config=FunctionCallingConfig(mode="ANY", allowed_function_names=[name])
    )
    return kwargs


def _finish_note(response: ChatResponse) -> str:
    reason = response.additional_kwargs.get("finish_reason")
    return f" (finish_reason={reason})" if reason and reason != "STOP" else ""


def parse_json(output_cls: type[M], response: ChatResponse) -> M:
    text = response.message.content or ""
    try:
        return output_cls.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(
            f"the model's JSON answer is not a valid {output_cls.__name__}{_finish_note(response)}: {exc}. "
            f"Answer was: {text[:500]!r}"
        ) from exc


def parse_call(output_cls: type[M], response: ChatResponse) -> M:
    name = _function_name(output_cls)
    for block in response.message.blocks:
        if isinstance(block, ToolCallBlock) and block.tool_name == name:
            args = block.tool_kwargs
            try:
                if isinstance(args, str):
                    return output_cls.model_validate_json(args)
                return output_cls.model_validate(args)
            except ValidationError as exc:
                raise ValueError(f"the model's {name} call is not a valid {output_cls.__name__}: {exc}") from exc
    raise ValueError(f"the model did not call {name}{_finish_note(response)}, so no {name} was produced")
