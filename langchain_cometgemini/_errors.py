"""LangChain-facing errors: each inherits the core ``cometgemini`` class *and* the matching
``langchain_core.exceptions.Model*Error``, so both ``except cometgemini.RateLimitError`` and
``except ModelRateLimitError`` work.

Core errors are converted at the adapter boundary (``lc_errors``), keeping their attributes
(``status_code``, ``body``, ``retry_after`` ...) and chaining the original with ``from``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from langchain_core import exceptions as lc

import cometgemini._exceptions as core

__all__ = [
    "CometGeminiAPIConnectionError",
    "CometGeminiAPITimeoutError",
    "CometGeminiAuthenticationError",
    "CometGeminiBadRequestError",
    "CometGeminiContextOverflowError",
    "CometGeminiInternalServerError",
    "CometGeminiMalformedResponseError",
    "CometGeminiNotFoundError",
    "CometGeminiPermissionDeniedError",
    "CometGeminiRateLimitError",
    "CometGeminiResponseBlockedError",
    "CometGeminiStatusError",
    "convert_error",
    "lc_errors",
]


class CometGeminiBadRequestError(core.BadRequestError, lc.ModelInvalidRequestError):
    """400: the request is wrong."""


class CometGeminiContextOverflowError(core.ContextOverflowError, lc.ContextOverflowError):
    """400: the input is longer than the model's context window."""


class CometGeminiAuthenticationError(core.AuthenticationError, lc.ModelAuthenticationError):
    """401, or an invalid API key."""


class CometGeminiPermissionDeniedError(core.PermissionDeniedError, lc.ModelPermissionDeniedError):
    """403."""


class CometGeminiNotFoundError(core.NotFoundError, lc.ModelNotFoundError):
    """404: unknown model or method."""


class CometGeminiRateLimitError(core.RateLimitError, lc.ModelRateLimitError):
    """429: rate limit or quota; the message says whether it was retried, and why not."""


class CometGeminiInternalServerError(core.InternalServerError, lc.ModelAPIError):
    """5xx, after the retries (the message says how many)."""


class CometGeminiStatusError(core.APIStatusError, lc.ModelAPIError):
    """Any other error status."""


class CometGeminiAPIConnectionError(core.APIConnectionError, lc.ModelConnectionError):
    """No usable answer: connection failed, or a stream was cut off."""


class CometGeminiAPITimeoutError(core.APITimeoutError, CometGeminiAPIConnectionError, lc.ModelTimeoutError):
    """The request timed out (a connection error too, as in the core tree)."""


class CometGeminiMalformedResponseError(core.MalformedResponseError, lc.ModelAPIError):
    """A 200 whose body is not a Gemini response (usually a wrong base_url)."""


class CometGeminiResponseBlockedError(core.ResponseBlockedError, lc.ModelRefusalError):
    """The prompt was blocked (``promptFeedback.blockReason``); the message names the reason."""

    raw_message: Any = None


# most specific first: the first isinstance match wins
_MAP: tuple[tuple[type[Exception], type[Exception]], ...] = (
    (core.ContextOverflowError, CometGeminiContextOverflowError),
    (core.BadRequestError, CometGeminiBadRequestError),
    (core.AuthenticationError, CometGeminiAuthenticationError),
    (core.PermissionDeniedError, CometGeminiPermissionDeniedError),
    (core.NotFoundError, CometGeminiNotFoundError),
    (core.RateLimitError, CometGeminiRateLimitError),
    (core.InternalServerError, CometGeminiInternalServerError),
    (core.APIStatusError, CometGeminiStatusError),
    (core.APITimeoutError, CometGeminiAPITimeoutError),
    (core.APIConnectionError, CometGeminiAPIConnectionError),
    (core.MalformedResponseError, CometGeminiMalformedResponseError),
    (core.ResponseBlockedError, CometGeminiResponseBlockedError),
)
_OURS = frozenset(target for _, target in _MAP)


def convert_error(exc: core.CometGeminiError) -> Exception:
    """The LangChain-aware twin of a core error, same message and attributes."""
    if type(exc) in _OURS:
        return exc
    for source, target in _MAP:
        if isinstance(exc, source):
            new = target.__new__(target)
            new.__dict__.update(exc.__dict__)
            new.args = exc.args
            return new
    return exc


class _LangChainErrors:
    """Re-raises core errors as their LangChain-aware twins. Stateless, so one instance serves every call: a
    generator-based context manager would add two objects per call that stay alive while it is in flight."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(exc, core.CometGeminiError):
            converted = convert_error(exc)
            if converted is not exc:
                raise converted from exc


_LC_ERRORS = _LangChainErrors()


def lc_errors() -> _LangChainErrors:
    """``with lc_errors():`` re-raises core errors as their LangChain-aware twins."""
    return _LC_ERRORS
