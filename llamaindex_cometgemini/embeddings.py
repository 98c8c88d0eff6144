"""``CometGeminiEmbedding``: LlamaIndex ``BaseEmbedding`` over Gemini's ``batchEmbedContents``, via CometAPI or
Google.

Texts (nodes, documents) are embedded as ``RETRIEVAL_DOCUMENT`` and queries as ``RETRIEVAL_QUERY`` unless told
otherwise. LlamaIndex hands us ``embed_batch_size`` texts at a time (100, one request); its async batch method
gathers those calls without a bound, so ours holds them to ``max_concurrency`` requests in flight.

One call may set its own ``task_type`` and titles (``get_text_embedding_batch(texts, task_type=...,
titles=[...])``, ``get_query_embedding(query, task_type=...)`` and their async twins). LlamaIndex's batching
hands our methods the texts alone, so the call's options travel in a context variable (copied into the tasks
its async batching starts), and each title is found again by its text.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from cometgemini import CometGeminiClient
from cometgemini._embeddings import (
    DEFAULT_DOCUMENT_TASK_TYPE,
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_QUERY_TASK_TYPE,
    ConcurrencyGate,
    Role,
    aembed,
    check_settings,
    embed,
    new_client,
    request_options,
)

__all__ = ["CometGeminiEmbedding"]


@dataclass(frozen=True)
class _CallOptions:
    task_type: str | None
    titles: dict[str, str | None] | None


_CALL: contextvars.ContextVar[_CallOptions | None] = contextvars.ContextVar("cometgemini_embed_call", default=None)


def _titles_by_text(texts: Sequence[str], titles: Sequence[str | None] | None) -> dict[str, str | None] | None:
    if titles is None:
        return None
    if len(titles) != len(texts):
        raise ValueError(f"titles holds {len(titles)} titles for {len(texts)} texts: give one per text (None for "
                         "none)")
    by_text: dict[str, str | None] = {}
    for text, title in zip(texts, titles, strict=True):
        if by_text.get(text, title) != title:
            raise ValueError(f"the text {text[:60]!r} comes twice with different titles; embed those apart")
        by_text[text] = title
    return by_text


class CometGeminiEmbedding(BaseEmbedding):
    """Gemini embeddings (``gemini-embedding-001`` by default) through CometAPI's native Gemini route.

    Example:
        .. code-block:: python

            from llama_index.core import Settings
            from llamaindex_cometgemini import CometGeminiEmbedding

            Settings.embed_model = CometGeminiEmbedding(output_dimensionality=768)  # key from COMETAPI_KEY

    ``model=`` is accepted as another name for ``model_name``. To use Google directly:
    ``CometGeminiEmbedding(base_url="https://generativelanguage.googleapis.com", api_key=<Google key>)``. If the
    gateway does not serve embeddings, calls raise ``cometgemini.EmbeddingsNotSupportedError`` saying so.
    """

    model_name: str = Field(default=DEFAULT_EMBEDDING_MODEL, description="Embedding model id (`models/` optional).")
    embed_batch_size: int = Field(
        default=100, gt=0, le=2048, description="Texts per call from LlamaIndex; the API takes 100 per request."
    )
    task_type: str | None = Field(
        default=None,
        description=(
            "One task type for texts and queries alike (SEMANTIC_SIMILARITY, CLASSIFICATION, CLUSTERING, ...); "
            "overrides document_task_type and query_task_type."
        ),
    )
    document_task_type: str | None = Field(
        default=DEFAULT_DOCUMENT_TASK_TYPE, description="Task type for texts and nodes; None sends none."
    )
    query_task_type: str | None = Field(
        default=DEFAULT_QUERY_TASK_TYPE, description="Task type for queries; None sends none."
    )
    output_dimensionality: int | None = Field(
        default=None,
        gt=0,
        description=("Truncate vectors to this many dimensions (gemini-embedding-001: 768, 1536 or 3072)."),
    )
    title: str | None = Field(
        default=None,
        description=("Title sent with every text (only with the RETRIEVAL_DOCUMENT task type); never with queries."),
    )
    api_key: SecretStr | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description=("API key; else COMETAPI_KEY. Never serialized: a restored object reads COMETAPI_KEY again."),
    )
    base_url: str | None = Field(default=None, description="Else COMETAPI_BASE_URL, else https://api.cometapi.com.")
    api_version: str = Field(default="v1beta", description="Path version.")
    auth: str = Field(default="x-goog-api-key", description="'x-goog-api-key' or 'bearer'.")
    timeout: float | None = Field(default=120.0, description="Seconds per request; None for no limit.")
    max_retries: int = Field(default=2, ge=0, description="Retries per batch after the first attempt.")
    default_headers: dict[str, str] | None = Field(default=None, description="Extra headers on every request.")
    max_concurrency: int = Field(
        default=4,
        ge=1,
        description=("At most this many batch requests in flight: per event loop from this object (async), per "
                     "call of more than 100 texts (sync)."),
    )
    allow_insecure_http: bool = Field(default=False, description="Allow http:// to a non-loopback host.")
    http_client: httpx.Client | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description=("Your own httpx.Client (proxies, MockTransport in tests); not serialized or pickled."),
    )
    http_async_client: httpx.AsyncClient | None = Field(
        default=None, exclude=True, repr=False, description=("Your own httpx.AsyncClient; not serialized or pickled.")
    )

    _client: CometGeminiClient | None = PrivateAttr(default=None)
    _gate: ConcurrencyGate = PrivateAttr(default_factory=ConcurrencyGate)

    def __init__(self, model: str | None = None, **kwargs: Any) -> None:
        if model is not None:
            if kwargs.get("model_name", model) != model:
                raise ValueError("pass model or model_name, not both")
            kwargs["model_name"] = model
        super().__init__(**kwargs)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.api_key is None and os.environ.get("COMETAPI_KEY"):
            self.api_key = SecretStr(os.environ["COMETAPI_KEY"])
        if self.base_url is None:
            self.base_url = os.environ.get("COMETAPI_BASE_URL") or None
        check_settings(self, self.model_fields_set)  # errors now, not at the first call
        return self

    @classmethod
    def class_name(cls) -> str:
        return "CometGeminiEmbedding"

    def __getstate__(self) -> dict[Any, Any]:
        # Drop what cannot travel before LlamaIndex's own __getstate__ probes (and logs) every attribute.
        bare = self.model_copy(update={"http_client": None, "http_async_client": None})
        bare.__pydantic_private__ = {"_client": None, "_gate": ConcurrencyGate()}
        state: dict[Any, Any] = super(CometGeminiEmbedding, bare).__getstate__()
        return state

    @property
    def client(self) -> CometGeminiClient:
        """The core client, created on first use and reused (its connection pool too)."""
        if self._client is None:
            self._client = new_client(self)
        return self._client

    # ---------------------------------------------------------------- per-call options

    @contextmanager
    def _call_options(self, texts: Sequence[str], task_type: str | None,
                      titles: Sequence[str | None] | None) -> Iterator[None]:
        if task_type is None and titles is None:
            yield
            return
        if self.embeddings_cache is not None:
            raise ValueError("per-call task_type/titles cannot be used with embeddings_cache: the cache keys "
                             "vectors by text alone and would hand back vectors of another task type")
        token = _CALL.set(_CallOptions(task_type, _titles_by_text(texts, titles)))
        try:
            yield
        finally:
            _CALL.reset(token)

    def _options(self, role: Role, texts: Sequence[str]) -> dict[str, Any]:
        call = _CALL.get()
        if call is None:
            return request_options(role, self)
        titles = [call.titles.get(t) for t in texts] if call.titles is not None else None
        return request_options(role, self, task_type=call.task_type, titles=titles, count=len(texts))

    def get_text_embedding_batch(self, texts: list[str], show_progress: bool = False, *,
                                 task_type: str | None = None, titles: Sequence[str | None] | None = None,
                                 **kwargs: Any) -> list[Embedding]:
        """Vectors for ``texts``; ``task_type`` and ``titles`` (one per text, ``RETRIEVAL_DOCUMENT`` only) for
        this call only."""
        with self._call_options(texts, task_type, titles):
            return super().get_text_embedding_batch(texts, show_progress, **kwargs)

    async def aget_text_embedding_batch(self, texts: list[str], show_progress: bool = False, *,
                                        task_type: str | None = None, titles: Sequence[str | None] | None = None,
                                        **kwargs: Any) -> list[Embedding]:
        with self._call_options(texts, task_type, titles):
            return await super().aget_text_embedding_batch(texts, show_progress, **kwargs)

    def get_text_embedding(self, text: str, *, task_type: str | None = None,
                           title: str | None = None) -> Embedding:
        with self._call_options([text], task_type, None if title is None else [title]):
            return super().get_text_embedding(text)

    async def aget_text_embedding(self, text: str, *, task_type: str | None = None,
                                  title: str | None = None) -> Embedding:
        with self._call_options([text], task_type, None if title is None else [title]):
            return await super().aget_text_embedding(text)

    def get_query_embedding(self, query: str, *, task_type: str | None = None) -> Embedding:
        with self._call_options([query], task_type, None):
            return super().get_query_embedding(query)

    async def aget_query_embedding(self, query: str, *, task_type: str | None = None) -> Embedding:
        with self._call_options([query], task_type, None):
            return await super().aget_query_embedding(query)

    # ---------------------------------------------------------------- embeddings

    def _get_query_embedding(self, query: str) -> Embedding:
        return embed(self.client, self.model_name, [query], max_concurrency=1, **self._options("query", [query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return embed(self.client, self.model_name, texts, max_concurrency=self.max_concurrency,
                     **self._options("document", texts))

    async def _aget_query_embedding(self, query: str) -> Embedding:
        gate = self._gate.for_running_loop(self.max_concurrency)
        return (await aembed(self.client, self.model_name, [query], gate=gate,
                             **self._options("query", [query])))[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        gate = self._gate.for_running_loop(self.max_concurrency)
        return await aembed(self.client, self.model_name, texts, gate=gate, **self._options("document", texts))
