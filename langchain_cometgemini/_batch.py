"""Batch mode for ``ChatCometGemini``: submit many chat inputs as one Gemini batch job (half the price, answered
within 24 hours), and collect ``AIMessage``s later, from the same or another process.

Requests are built by the model's own ``_prepare`` (the live path's settings, tools and checks) and answers go
through the live path's ``chat_result``, so a collected message is what ``invoke`` would have returned: same
content blocks, ``tool_calls``, thought signatures, ``usage_metadata`` and ``response_metadata``. A request that
failed inside the batch becomes the error ``invoke`` would have raised (``ModelRateLimitError``...), raised, or
put in its place with ``return_exceptions=True``, as ``Runnable.batch`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage

from cometgemini._batches import BatchJob, BatchRequests, BatchResult
from cometgemini._catalog import normalize_model
from cometgemini._types import GenerateContentRequest

from ._errors import lc_errors
from ._messages import chat_result

if TYPE_CHECKING:
    from .chat_models import ChatCometGemini

__all__ = ["as_batch", "batch_requests", "collected"]


def _messages(llm: ChatCometGemini, value: LanguageModelInput) -> list[BaseMessage]:
    return llm._convert_input(value).to_messages()


def batch_requests(llm: ChatCometGemini, inputs: Sequence[LanguageModelInput] | Mapping[str, LanguageModelInput],
                   stop: list[str] | None, kwargs: Mapping[str, Any]) -> tuple[str, list[GenerateContentRequest],
                                                                               list[str] | None]:
    """``(model, requests, keys)``: one wire request per input, built as ``invoke`` builds them."""
    if isinstance(inputs, (str, BaseMessage)):
        raise TypeError("submit_batch takes a list of inputs (each a string, messages or a prompt value)")
    keys = [str(k) for k in inputs] if isinstance(inputs, Mapping) else None
    values = list(inputs.values()) if isinstance(inputs, Mapping) else list(inputs)
    if not values:
        raise ValueError("submit_batch needs at least one input")
    models, requests = set(), []
    for value in values:
        model, request = llm._prepare(_messages(llm, value), stop, kwargs)
        models.add(normalize_model(model))
        requests.append(request)
    if len(models) > 1:
        raise ValueError(f"a batch runs on one model; these inputs ask for {sorted(models)}")
    return models.pop(), requests, keys


def as_batch(requests: list[GenerateContentRequest], keys: list[str] | None) -> BatchRequests:
    return dict(zip(keys, requests, strict=True)) if keys is not None else requests


def collected(job: BatchJob, results: Sequence[BatchResult], return_exceptions: bool) -> list[Any]:
    """Each result as the ``AIMessage`` ``invoke`` would return, or the error it would raise."""
    model = (job.model or "").removeprefix("models/")
    out: list[Any] = []
    for result in results:
        try:
            with lc_errors():
                response = result.unwrap()
        except Exception as exc:
            if not return_exceptions:
                raise
            out.append(exc)
            continue
        out.append(chat_result(response, model).generations[0].message)
    return out
