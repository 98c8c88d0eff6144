"""What the two embedding adapters share, framework-free: defaults, task types per role, one concurrency bound
per event loop, and a clear error when a gateway does not serve ``batchEmbedContents``.

CometAPI does not document whether it proxies ``batchEmbedContents``. A gateway that does not may answer 404,
405, an HTML page with another 4xx status, or an HTML page with 200. ``explain_unsupported`` turns exactly those
into an ``EmbeddingsNotSupportedError`` that says what to do, and that still is the core class it replaces
(``except NotFoundError`` keeps working)::

    EmbeddingsNotSupportedError (marker)
    ├── EmbeddingsNotFoundError            also NotFoundError (404)
    ├── EmbeddingsEndpointError            also APIStatusError (405, or an HTML page on another unclassified 4xx)
    └── EmbeddingsMalformedResponseError   also MalformedResponseError (200 with an HTML page)
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from typing import Any, Literal, Protocol

import httpx

from ._client import CometGeminiClient, client_for
from ._config import ConnectionSettings, config_for
from ._exceptions import APIError, APIStatusError, CometGeminiError, MalformedResponseError, NotFoundError
from ._resources import html_in_place_of_json, is_html

__all__ = [
    "DEFAULT_DOCUMENT_TASK_TYPE",
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_QUERY_TASK_TYPE",
    "GOOGLE_BASE_URL",
    "ConcurrencyGate",
    "EmbeddingSettings",
    "EmbeddingsEndpointError",
    "EmbeddingsMalformedResponseError",
    "EmbeddingsNotFoundError",
    "EmbeddingsNotSupportedError",
    "Role",
    "aembed",
    "check_settings",
    "embed",
    "explain_unsupported",
    "new_client",
    "request_options",
    "task_type_for",
    "unsupported_error",
]

DEFAULT_EMBEDDING_MODEL = "gemini-embedding-001"
DEFAULT_DOCUMENT_TASK_TYPE = "RETRIEVAL_DOCUMENT"
DEFAULT_QUERY_TASK_TYPE = "RETRIEVAL_QUERY"
GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com"
Role = Literal["document", "query"]


class EmbeddingsNotSupportedError(CometGeminiError):
    """The gateway (or this model behind it) does not serve ``batchEmbedContents``. Catch this to fall back."""


class EmbeddingsNotFoundError(EmbeddingsNotSupportedError, NotFoundError):
    """404 from ``batchEmbedContents``: unknown model, or no embeddings on this gateway."""


class EmbeddingsEndpointError(EmbeddingsNotSupportedError, APIStatusError):
    """405, or an HTML page instead of a JSON error on another unclassified 4xx, from ``batchEmbedContents``."""


class EmbeddingsMalformedResponseError(EmbeddingsNotSupportedError, MalformedResponseError):
    """A 200 whose body is an HTML page (a gateway's web front-end) instead of embeddings."""


# ------------------------------------------------------------------------------------------- settings


class EmbeddingSettings(ConnectionSettings, Protocol):
    """The fields both adapters declare (pydantic fields there, plain attributes here)."""

    task_type: str | None
    document_task_type: str | None
    query_task_type: str | None
    title: str | None
    output_dimensionality: int | None
    http_client: httpx.Client | None
    http_async_client: httpx.AsyncClient | None


def check_settings(s: EmbeddingSettings, fields_set: Set[str]) -> None:
    """Refuse contradictory or unusable settings at construction, before any request (the API would answer
    400 later and less clearly)."""
    if s.task_type is not None and {"document_task_type", "query_task_type"} & fields_set:
        raise ValueError(
            "pass either task_type (for documents and queries alike) or document_task_type / query_task_type, not both"
        )
    for_documents = task_type_for("document", s)
    if s.title is not None and for_documents != DEFAULT_DOCUMENT_TASK_TYPE:
        raise ValueError(
            f"title applies only to documents embedded as {DEFAULT_DOCUMENT_TASK_TYPE!r}; "
            f"the document task type here is {for_documents!r}"
        )
    config_for(s)


def new_client(s: EmbeddingSettings) -> CometGeminiClient:
    return client_for(s, s.http_client, s.http_async_client)


def task_type_for(role: Role, s: EmbeddingSettings) -> str | None:
    if s.task_type is not None:
        return s.task_type
    return s.document_task_type if role == "document" else s.query_task_type


def request_options(
    role: Role,
    s: EmbeddingSettings,
    *,
    task_type: str | None = None,
    titles: Sequence[str | None] | None = None,
    output_dimensionality: int | None = None,
    count: int = 0,
) -> dict[str, Any]:
    """``task_type``, ``title`` and ``output_dimensionality`` for ``embed``/``aembed``: the object's settings
    (the title for documents only), overridden by one call's ``task_type``, ``titles`` (one per text, for
    ``count`` texts) and ``output_dimensionality``. Titles the API would refuse raise here, before sending."""
    kind = task_type.upper() if task_type is not None else task_type_for(role, s)
    title: str | Sequence[str | None] | None = s.title if role == "document" else None
    if titles is not None:
        title = list(titles)
        if len(title) != count:
            raise ValueError(f"titles holds {len(title)} titles for {count} texts: give one per text (None for none)")
    if output_dimensionality is not None and output_dimensionality <= 0:
        raise ValueError(f"output_dimensionality must be positive, got {output_dimensionality}")
    has_title = (isinstance(title, str) or (title is not None and any(t is not None for t in title)))
    if has_title and kind != DEFAULT_DOCUMENT_TASK_TYPE:
        where = "titles" if titles is not None else f"title={s.title!r} (set on the object)"
        raise ValueError(f"{where} apply only to texts embedded as {DEFAULT_DOCUMENT_TASK_TYPE!r}; this call's "
                         f"task type is {kind!r}")
    return {
        "task_type": kind,
        "title": title,
        "output_dimensionality": output_dimensionality or s.output_dimensionality,
    }


# ------------------------------------------------------------------------------------------- unsupported


def _advice(model: str, base_url: str) -> str:
    return (
        f"batchEmbedContents for model {model!r} at {base_url} is not available: this model or this gateway may "
        f"not offer embeddings. Check the model id (e.g. {DEFAULT_EMBEDDING_MODEL!r}), or point base_url at a "
        f"server that serves them, e.g. base_url={GOOGLE_BASE_URL!r} with a Google API key (api_key=...)."
    )


def _unserved(error: APIStatusError) -> bool:
    if type(error) is NotFoundError:
        return True
    # Only unclassified statuses: a 400, 401, 403 or 429 keeps its own, more useful, class and hint.
    return type(error) is APIStatusError and (
        error.status_code == 405 or (400 <= error.status_code < 500 and is_html(error.body))
    )


def unsupported_error(error: APIError, model: str, base_url: str) -> EmbeddingsNotSupportedError | None:
    """The clearer error for ``error`` raised by ``batchEmbedContents``, or None when it means something else."""
    advice = _advice(model, base_url)
    if isinstance(error, APIStatusError) and _unserved(error):
        cls = EmbeddingsNotFoundError if isinstance(error, NotFoundError) else EmbeddingsEndpointError
        return cls(
            f"{advice} Server said: {error.message}",
            status_code=error.status_code,
            status=error.status,
            body=error.body,
            retry_after=error.retry_after,
            quota_ids=error.quota_ids,
        )
    if type(error) is MalformedResponseError and html_in_place_of_json(error):
        return EmbeddingsMalformedResponseError(f"{advice} The server answered 200 with an HTML page.")
    return None


@contextmanager
def explain_unsupported(model: str, base_url: str) -> Iterator[None]:
    try:
        yield
    except APIError as error:
        better = unsupported_error(error, model, base_url)
        if better is None:
            raise
        raise better from error


# ------------------------------------------------------------------------------------------- concurrency


class ConcurrencyGate:
    """At most ``limit`` batch requests in flight from one embeddings object on each event loop, however many
    of its calls run at once (LlamaIndex gathers its batches without a bound of its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary()
        )

    def for_running_loop(self, limit: int) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            known = self._gates.get(loop)
            if known is None or known[0] != limit:
                known = (limit, asyncio.Semaphore(max(1, limit)))
                self._gates[loop] = known
            return known[1]

    def __reduce__(self) -> tuple[Any, ...]:  # semaphores belong to a loop: a copy starts afresh
        return (ConcurrencyGate, ())


# ------------------------------------------------------------------------------------------- calls


def embed(
    client: CometGeminiClient,
    model: str,
    texts: Sequence[str],
    *,
    task_type: str | None,
    title: str | Sequence[str | None] | None,
    output_dimensionality: int | None,
    max_concurrency: int,
) -> list[list[float]]:
    """``client.embed`` with an empty list answered locally and an unsupported endpoint explained."""
    if not texts:
        return []
    with explain_unsupported(model, client.base_url):
        return client.embed(model, texts, task_type=task_type, title=title, output_dimensionality=output_dimensionality,
                            max_concurrency=max_concurrency)


async def aembed(
    client: CometGeminiClient,
    model: str,
    texts: Sequence[str],
    *,
    task_type: str | None,
    title: str | Sequence[str | None] | None,
    output_dimensionality: int | None,
    gate: asyncio.Semaphore,
) -> list[list[float]]:
    if not texts:
        return []
    with explain_unsupported(model, client.base_url):
        return await client.aembed(
            model,
            texts,
            task_type=task_type,
            title=title,
            output_dimensionality=output_dimensionality,
            max_concurrency=gate,
        )
