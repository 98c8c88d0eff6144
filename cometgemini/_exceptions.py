"""One error tree for everything the Gemini API, the CometAPI gateway or the network can do wrong.

::

    CometGeminiError
    ├── APIError
    │   ├── APIStatusError(status_code, status, message, body, retry_after)
    │   │   ├── BadRequestError 400        (ContextOverflowError: the input is too long)
    │   │   ├── AuthenticationError 401
    │   │   ├── PermissionDeniedError 403
    │   │   ├── NotFoundError 404
    │   │   ├── RateLimitError 429
    │   │   └── InternalServerError >= 500
    │   ├── APIConnectionError              (also: a stream cut off before its final event)
    │   │   └── APITimeoutError
    │   └── MalformedResponseError          (a 200 whose body or stream event is not the protocol)
    └── ResponseBlockedError                (promptFeedback.blockReason: no candidates)

Two error envelopes reach us: Google's ``{"error": {"code", "message", "status", "details"}}`` and
CometAPI's own OpenAI-style ``{"error": {"message", "type", "code"}}``; gateways and proxies may also answer
with HTML or a redirect. ``error_from_response`` turns any of them into the most specific class above, with
a message that says what to do. No message ever contains the API key: errors are built from the response
body only, and request headers are never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CometGeminiError",
    "ContextOverflowError",
    "InternalServerError",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseBlockedError",
    "error_from_payload",
    "error_from_response",
    "parse_duration",
]


class CometGeminiError(Exception):
    """Base of every error this package raises."""


class APIError(CometGeminiError):
    """The request failed at the API or on the way there."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def explain(self, note: str) -> None:
        """Add ``note`` to the message (why it was raised now: given up after retries, or not retried)."""
        self.message = f"{self.message} {note}"
        self.args = (self.message, *self.args[1:])


class APIStatusError(APIError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        status: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
        quota_ids: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.status = status
        self.body = body
        self.retry_after = retry_after
        """Seconds the server asked us to wait (``RetryInfo.retryDelay`` or ``Retry-After``), if any."""
        self.quota_ids = quota_ids
        """``QuotaFailure`` quota ids of a 429; a ``...PerDay...`` id means retrying soon is pointless."""


class BadRequestError(APIStatusError):
    """400: the request is wrong; fix it before retrying."""


class ContextOverflowError(BadRequestError):
    """400: the input is longer than the model's context window."""


class AuthenticationError(APIStatusError):
    """401 (CometAPI) or an invalid API key (Google answers 400 ``API_KEY_INVALID``)."""


class PermissionDeniedError(APIStatusError):
    """403: no key, or the key may not use this model."""


class NotFoundError(APIStatusError):
    """404: unknown model, or the gateway does not serve this method."""


class RateLimitError(APIStatusError):
    """429: quota or rate limit."""


class InternalServerError(APIStatusError):
    """5xx: the server failed; retried automatically."""


class APIConnectionError(APIError):
    """No usable answer: connection refused or dropped, or a stream cut off before its final event."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class MalformedResponseError(APIError):
    """The server answered 200 but the body (or a stream event) is not a valid Gemini response."""


class ResponseBlockedError(CometGeminiError):
    """The prompt was refused (``promptFeedback.blockReason``); the response has no candidates."""

    def __init__(self, block_reason: str, message: str | None = None, response: Any = None) -> None:
        text = f"The prompt was blocked by the API (blockReason={block_reason})"
        if message:
            text += f": {message}"
        text += ". Rephrase the prompt or adjust safety_settings."
        super().__init__(text)
        self.block_reason = block_reason
        self.response = response


_CONTEXT_OVERFLOW = re.compile(
    r"(input token count.*exceeds|exceeds the maximum number of tokens|too long|context (window|length))",
    re.IGNORECASE,
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_RETRY_IN = re.compile(r"retry in (\d+(?:\.\d+)?)\s*s", re.IGNORECASE)


def parse_duration(value: object) -> float | None:
    """Seconds in a protobuf Duration string such as ``"26s"`` or ``"47.88s"``; ``None`` if not one."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    return float(match.group(1)) if match else None


def _class_for(status_code: int, status: str | None, message: str, reason: str | None) -> type[APIStatusError]:
    if status_code == 401 or reason == "API_KEY_INVALID" or status == "UNAUTHENTICATED":
        return AuthenticationError
    if status_code == 400:
        return ContextOverflowError if _CONTEXT_OVERFLOW.search(message) else BadRequestError
    by_code: dict[int, type[APIStatusError]] = {
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitError,
    }
    if status_code in by_code:
        return by_code[status_code]
    if status_code >= 500:
        return InternalServerError
    return APIStatusError


_GONE_CACHE = ("The context cache does not exist, expired or was deleted (Google answers 403 for each): create it "
               "again, and keep a cache alive with caches.update(name, ttl=...).")


def _hint(cls: type[APIStatusError], status_code: int, message: str = "") -> str:
    if message.startswith("CachedContent not found"):
        return _GONE_CACHE
    hints: dict[type[APIStatusError], str] = {
        AuthenticationError: "Check the API key (COMETAPI_KEY or api_key=) and that it belongs to this base_url.",
        PermissionDeniedError: "Set an API key (COMETAPI_KEY or api_key=) that may use this model.",
        NotFoundError: "Check the model id and base_url; the gateway may not serve this method for this model.",
        RateLimitError: "Rate limit or quota reached. Wait, or raise your quota.",
        ContextOverflowError: "Shorten the input: it exceeds the model's context window.",
    }
    if cls in hints:
        return hints[cls]
    if status_code >= 500:
        return "The server failed. Try again later."
    return ""


def _details(error: Mapping[str, Any]) -> tuple[str | None, float | None, tuple[str, ...]]:
    """(ErrorInfo reason, RetryInfo delay in seconds, QuotaFailure quota ids) from Google's ``details``."""
    reason: str | None = None
    delay: float | None = None
    quota_ids: list[str] = []
    details = error.get("details")
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("@type", ""))
        if kind.endswith("ErrorInfo"):
            reason = str(item.get("reason") or "") or None
        elif kind.endswith("RetryInfo"):
            delay = parse_duration(item.get("retryDelay"))
        elif kind.endswith("QuotaFailure"):
            for violation in item.get("violations") or []:
                if isinstance(violation, Mapping) and violation.get("quotaId"):
                    quota_ids.append(str(violation["quotaId"]))
    return reason, delay, tuple(quota_ids)


def error_from_payload(status_code: int, payload: Any, retry_after: float | None = None) -> APIStatusError:
    """The error for a parsed JSON error body (Google's envelope, CometAPI's, or anything else)."""
    if isinstance(payload, list) and len(payload) == 1:  # streamGenerateContent without alt=sse
        payload = payload[0]
    error = payload.get("error") if isinstance(payload, Mapping) else None
    if not isinstance(error, Mapping):
        text = json.dumps(payload)[:300]
        return _make(status_code, None, f"unexpected error body: {text}", payload, retry_after, None, ())
    message = str(error.get("message") or "")
    status = error.get("status")
    if not isinstance(status, str):  # CometAPI's OpenAI-style envelope
        kind, code = error.get("type"), error.get("code")
        status = "/".join(str(x) for x in (kind, code) if x) or None
    reason, delay, quota_ids = _details(error)
    if delay is None:
        match = _RETRY_IN.search(message)
        delay = float(match.group(1)) if match else None
    return _make(status_code, status, message, payload, retry_after or delay, reason, quota_ids)


def _make(
    status_code: int,
    status: str | None,
    message: str,
    body: Any,
    retry_after: float | None,
    reason: str | None,
    quota_ids: tuple[str, ...],
) -> APIStatusError:
    cls = _class_for(status_code, status, message, reason)
    head = f"{status_code} {status}" if status else str(status_code)
    text = f"{head}: {message}" if message else head
    hint = _hint(cls, status_code, message)
    if hint:
        text = f"{text} ({hint})"
    return cls(text, status_code=status_code, status=status, body=body, retry_after=retry_after,
               quota_ids=quota_ids)


def error_from_response(
    status_code: int, headers: Mapping[str, str], content: bytes, retry_after: float | None = None
) -> APIStatusError:
    """The error for an HTTP error response, whatever its body: JSON envelope, HTML page or redirect."""
    content_type = headers.get("content-type", "")
    if 300 <= status_code < 400:
        where = headers.get("location", "elsewhere")
        message = (
            f"the server redirected to {where}; redirects are not followed so the key never goes to "
            "another host. Check base_url (for CometAPI: https://api.cometapi.com, no /v1 suffix)."
        )
        return _make(status_code, "REDIRECT", message, None, None, None, ())
    try:
        payload = json.loads(content)
    except ValueError:
        snippet = " ".join(content[:200].decode("utf-8", "replace").split())
        kind = "an HTML page" if "html" in content_type or snippet.lower().startswith("<") else "a non-JSON body"
        message = (
            f"the server answered with {kind} instead of a JSON error ({snippet!r}). "
            "Check base_url: it must serve the Gemini native API (/v1beta/models/...)."
        )
        return _make(status_code, None, message, content[:2000], retry_after, None, ())
    return error_from_payload(status_code, payload, retry_after)
