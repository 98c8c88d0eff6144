"""cometgemini: Google Gemini's native REST API (v1beta) for LangChain and LlamaIndex, via CometAPI or Google.

The core is framework-free: ``CometGeminiClient`` plus the wire types and the error tree. The adapters live in
``langchain_cometgemini`` and ``llamaindex_cometgemini``.
"""

from ._batches import BatchJob, BatchNotSucceededError, BatchResult, BatchState, BatchStats, batch_jsonl
from ._caches import CachedContent, CachedContentUsageMetadata
from ._catalog import ModelInfo, model_info
from ._client import CometGeminiClient
from ._embeddings import (
    EmbeddingsEndpointError,
    EmbeddingsMalformedResponseError,
    EmbeddingsNotFoundError,
    EmbeddingsNotSupportedError,
)
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CometGeminiError,
    ContextOverflowError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseBlockedError,
)
from ._files import File, FileProcessingError, Status
from ._resources import (
    ResourceEndpointError,
    ResourceMalformedResponseError,
    ResourceNotFoundError,
    ResourceNotSupportedError,
    WaitTimeoutError,
)
from ._retry import RetryPolicy
from ._streaming import StreamAccumulator

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchJob",
    "BatchNotSucceededError",
    "BatchResult",
    "BatchState",
    "BatchStats",
    "CachedContent",
    "CachedContentUsageMetadata",
    "CometGeminiClient",
    "CometGeminiError",
    "ContextOverflowError",
    "EmbeddingsEndpointError",
    "EmbeddingsMalformedResponseError",
    "EmbeddingsNotFoundError",
    "EmbeddingsNotSupportedError",
    "File",
    "FileProcessingError",
    "InternalServerError",
    "MalformedResponseError",
    "ModelInfo",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResourceEndpointError",
    "ResourceMalformedResponseError",
    "ResourceNotFoundError",
    "ResourceNotSupportedError",
    "ResponseBlockedError",
    "RetryPolicy",
    "Status",
    "StreamAccumulator",
    "WaitTimeoutError",
    "__version__",
    "batch_jsonl",
    "model_info",
]
