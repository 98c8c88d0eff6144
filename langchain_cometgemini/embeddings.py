"""``CometGeminiEmbeddings``: LangChain ``Embeddings`` over Gemini's ``batchEmbedContents``, via CometAPI or Google.

Documents are embedded as ``RETRIEVAL_DOCUMENT`` and queries as ``RETRIEVAL_QUERY`` unless told otherwise (on
the object, or per call: ``embed_documents(texts, task_type=..., titles=[...])``);
batches of 100 go out up to ``max_concurrency`` at a time (threads for sync, tasks for async), in input order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from langchain_core import exceptions as lc
from langchain_core.embeddings import Embeddings
from langchain_core.load.serializable import Serializable
from langchain_core.utils import from_env, secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from cometgemini import CometGeminiClient, CometGeminiError
from cometgemini._embeddings import (
    DEFAULT_DOCUMENT_TASK_TYPE,
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_QUERY_TASK_TYPE,
    ConcurrencyGate,
    EmbeddingsEndpointError,
    EmbeddingsMalformedResponseError,
    EmbeddingsNotFoundError,
    aembed,
    check_settings,
    embed,
    new_client,
    request_options,
)

from ._errors import convert_error
from ._serializable import KeyedSerializable

__all__ = [
    "CometGeminiEmbeddings",
    "CometGeminiEmbeddingsEndpointError",
    "CometGeminiEmbeddingsMalformedResponseError",
    "CometGeminiEmbeddingsNotFoundError",
]


class CometGeminiEmbeddingsNotFoundError(EmbeddingsNotFoundError, lc.ModelNotFoundError):
    """404 from ``batchEmbedContents``: no embeddings for this model or on this gateway."""


class CometGeminiEmbeddingsEndpointError(EmbeddingsEndpointError, lc.ModelAPIError):
    """405, or an HTML page instead of a JSON error, from ``batchEmbedContents``."""


class CometGeminiEmbeddingsMalformedResponseError(EmbeddingsMalformedResponseError, lc.ModelAPIError):
    """An HTML page with 200 instead of embeddings."""


_TWINS: dict[type[Exception], type[Exception]] = {
    EmbeddingsNotFoundError: CometGeminiEmbeddingsNotFoundError,
    EmbeddingsEndpointError: CometGeminiEmbeddingsEndpointError,
    EmbeddingsMalformedResponseError: CometGeminiEmbeddingsMalformedResponseError,
}


@contextmanager
def _langchain_errors() -> Iterator[None]:
    """Core errors as their LangChain-aware twins (``except ModelNotFoundError`` works); the embeddings-specific
    ones keep their ``EmbeddingsNotSupportedError`` marker."""
    try:
        yield
    except CometGeminiError as exc:
        twin = _TWINS.get(type(exc))
        if twin is None:
            converted = convert_error(exc)
            if converted is exc:
                raise
            raise converted from exc
        new = twin.__new__(twin)
        new.__dict__.update(exc.__dict__)
        new.args = exc.args
        raise new from exc


class CometGeminiEmbeddings(KeyedSerializable, Serializable, Embeddings):
    """Gemini embeddings (``gemini-embedding-001`` by default) through CometAPI's native Gemini route.

    Example:
        .. code-block:: python

            from langchain_cometgemini import CometGeminiEmbeddings

            embeddings = CometGeminiEmbeddings(output_dimensionality=768)  # key from COMETAPI_KEY
            vectors = embeddings.embed_documents(["Paris is in France.", "Tokyo is in Japan."])
            query = embeddings.embed_query("Where is Paris?")

    To use Google directly: ``CometGeminiEmbeddings(base_url="https://generativelanguage.googleapis.com",
    api_key=<Google key>)``. If the gateway does not serve embeddings, calls raise
    ``cometgemini.EmbeddingsNotSupportedError`` (also a ``NotFoundError`` for a 404) saying so.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    model: str = Field(default=DEFAULT_EMBEDDING_MODEL, alias="model_name")
    """Embedding model id, e.g. ``gemini-embedding-001`` (``models/`` prefix optional)."""
    task_type: str | None = None
    """One task type for documents and queries alike (``SEMANTIC_SIMILARITY``, ``CLASSIFICATION``,
    ``CLUSTERING``, ...); overrides ``document_task_type`` and ``query_task_type``."""
    document_task_type: str | None = DEFAULT_DOCUMENT_TASK_TYPE
    """Task type of ``embed_documents``; ``None`` sends none."""
    query_task_type: str | None = DEFAULT_QUERY_TASK_TYPE
    """Task type of ``embed_query``; ``None`` sends none."""
    output_dimensionality: int | None = Field(default=None, gt=0)
    """Truncate vectors to this many dimensions (``gemini-embedding-001``: 768, 1536 or 3072)."""
    title: str | None = None
    """Title sent with every document (only with the ``RETRIEVAL_DOCUMENT`` task type); never with queries."""
    api_key: SecretStr | None = Field(default_factory=secret_from_env("COMETAPI_KEY", default=None))
    """API key; else ``COMETAPI_KEY``. Optional only for a loopback ``base_url`` (the emulator)."""
    base_url: str | None = Field(default_factory=from_env("COMETAPI_BASE_URL", default=None))
    """Else ``COMETAPI_BASE_URL``, else ``https://api.cometapi.com``."""
    api_version: str = "v1beta"
    auth: str = "x-goog-api-key"
    """``"x-goog-api-key"`` or ``"bearer"`` (``Authorization: Bearer``)."""
    timeout: float | None = 120.0
    """Seconds per request; ``None`` for no limit."""
    max_retries: int = Field(default=2, ge=0)
    """Retries per batch after the first attempt (408, 409, 429, 5xx, timeouts, dropped connections)."""
    default_headers: dict[str, str] | None = None
    max_concurrency: int = Field(default=4, ge=1)
    """At most this many batch requests in flight: per event loop from this object (async), per call (sync:
    ``embed_documents`` of more than 100 texts sends its batches from that many threads)."""
    allow_insecure_http: bool = False
    http_client: httpx.Client | None = Field(default=None, exclude=True, repr=False)
    """Your own ``httpx.Client`` (proxies, ``MockTransport`` in tests); not serialized or pickled."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True, repr=False)
    """Your own ``httpx.AsyncClient``; not serialized or pickled."""

    _client: CometGeminiClient | None = PrivateAttr(default=None)
    _gate: ConcurrencyGate = PrivateAttr(default_factory=ConcurrencyGate)

    @model_validator(mode="after")
    def _check(self) -> Self:
        check_settings(self, self.model_fields_set)  # errors now, not at the first call
        return self

    # ---------------------------------------------------------------- LangChain plumbing

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_cometgemini", "embeddings"]

    def _fresh_private(self) -> dict[str, Any]:
        return {"_client": None, "_gate": ConcurrencyGate()}  # a semaphore belongs to its event loop

    @property
    def client(self) -> CometGeminiClient:
        """The core client, created on first use and reused (its connection pool too)."""
        if self._client is None:
            self._client = new_client(self)
        return self._client

    # ---------------------------------------------------------------- embeddings

    def embed_documents(self, texts: list[str], *, task_type: str | None = None,
                        titles: list[str | None] | None = None,
                        output_dimensionality: int | None = None) -> list[list[float]]:
        """Vectors for ``texts`` in order. ``[]`` for ``[]`` (no request); an empty string is a ``ValueError``.

        For this call only: ``task_type`` (else the object's), ``titles`` (one per text, ``None`` for none;
        with the ``RETRIEVAL_DOCUMENT`` task type only) and ``output_dimensionality``."""
        options = request_options("document", self, task_type=task_type, titles=titles,
                                  output_dimensionality=output_dimensionality, count=len(texts))
        with _langchain_errors():
            return embed(self.client, self.model, texts, max_concurrency=self.max_concurrency, **options)

    def embed_query(self, text: str, *, task_type: str | None = None, title: str | None = None,
                    output_dimensionality: int | None = None) -> list[float]:
        """The vector of ``text`` as a query (``task_type``, ``title`` and ``output_dimensionality`` for this
        call only; a title needs the ``RETRIEVAL_DOCUMENT`` task type)."""
        options = request_options("query", self, task_type=task_type, titles=None if title is None else [title],
                                  output_dimensionality=output_dimensionality, count=1)
        with _langchain_errors():
            return embed(self.client, self.model, [text], max_concurrency=1, **options)[0]

    async def aembed_documents(self, texts: list[str], *, task_type: str | None = None,
                               titles: list[str | None] | None = None,
                               output_dimensionality: int | None = None) -> list[list[float]]:
        options = request_options("document", self, task_type=task_type, titles=titles,
                                  output_dimensionality=output_dimensionality, count=len(texts))
        gate = self._gate.for_running_loop(self.max_concurrency)
        with _langchain_errors():
            return await aembed(self.client, self.model, texts, gate=gate, **options)

    async def aembed_query(self, text: str, *, task_type: str | None = None, title: str | None = None,
                           output_dimensionality: int | None = None) -> list[float]:
        options = request_options("query", self, task_type=task_type, titles=None if title is None else [title],
                                  output_dimensionality=output_dimensionality, count=1)
        gate = self._gate.for_running_loop(self.max_concurrency)
        with _langchain_errors():
            return (await aembed(self.client, self.model, [text], gate=gate, **options))[0]
