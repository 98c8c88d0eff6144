"""The retry policy, as pure functions: which failures are worth another try, and how long to wait.

Retried: HTTP 408, 409, 429 and >= 500, connection errors and timeouts. Never retried: 400, 401, 403, 404
(the request itself must change), a 429 whose quota is per day, and a stream whose first event already
reached the caller (the driver enforces that by only retrying before the first event).

The wait is the server's when it gives one (``RetryInfo.retryDelay`` in the body, ``retry-after-ms`` or
``Retry-After`` headers), capped at ``max_wait``; otherwise exponential backoff with jitter:
``min(initial * 2**attempt, max_backoff)`` scaled by a random factor in [0.75, 1].
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ._exceptions import APIConnectionError, APIStatusError

__all__ = ["RetryPolicy", "retry_after_from_headers"]

_PER_DAY = "PerDay"

RETRYABLE_STATUS = frozenset({408, 409, 429})


def retry_after_from_headers(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds asked for by ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date); else None."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - now())


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries, and how long between them. ``max_retries=0`` disables retrying."""

    max_retries: int = 2
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_wait: float = 60.0
    """A server-requested wait longer than this is not honoured: the error is raised instead."""

    def is_retryable(self, error: BaseException) -> bool:
        if isinstance(error, APIConnectionError):
            return True
        if not isinstance(error, APIStatusError):
            return False
        if error.status_code == 429 and any(_PER_DAY in q for q in error.quota_ids):
            return False
        if error.status == "invalid_request" or (error.status or "").endswith("/invalid_request"):
            return False  # CometAPI marks malformed requests this way, even on a 500
        return error.status_code in RETRYABLE_STATUS or error.status_code >= 500

    def wait_before_retry(
        self, error: BaseException, attempt: int, rand: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds to sleep before retry number ``attempt + 1``, or None to give up and raise ``error``."""
        if attempt >= self.max_retries or not self.is_retryable(error):
            return None
        asked = error.retry_after if isinstance(error, APIStatusError) else None
        if asked is not None and asked > 0:
            return asked if asked <= self.max_wait else None
        backoff = min(self.initial_backoff * 2.0**attempt, self.max_backoff)
        return backoff * (1.0 - 0.25 * rand())

    def give_up_note(self, error: BaseException, attempt: int) -> str | None:
        """Why ``error`` is raised after ``attempt`` retries, for its message: the retries were spent, retrying
        is off, a daily quota is exhausted, or the server asked for a longer wait than ``max_wait``. None for an
        error that is never retried (400, 401, ...): its own message says what to fix."""
        if not isinstance(error, (APIStatusError, APIConnectionError)):
            return None
        daily = [q for q in error.quota_ids if _PER_DAY in q] if isinstance(error, APIStatusError) else []
        if daily:
            return (f"Not retried: the daily quota {daily[0]} is used up; it resets once a day. Wait for that, or "
                    "raise the quota.")
        if not self.is_retryable(error):
            return None
        asked = error.retry_after if isinstance(error, APIStatusError) else None
        if attempt < self.max_retries and asked is not None and asked > self.max_wait:
            return (f"Not retried: the server asked to wait {asked:g} s, longer than this client waits "
                    f"(max_wait={self.max_wait:g} s). Retry after that yourself.")
        if self.max_retries == 0:
            wait = f" The server asked to wait {asked:g} s." if asked else ""
            return f"Not retried: retries are off (max_retries=0).{wait}"
        return f"Gave up after {attempt} {'retry' if attempt == 1 else 'retries'}."
