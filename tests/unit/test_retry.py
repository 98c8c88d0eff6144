"""The retry policy, table-driven, with randomness and time fixed."""

from __future__ import annotations

import pytest

from cometgemini import APIConnectionError, APITimeoutError, RetryPolicy
from cometgemini._exceptions import APIStatusError, RateLimitError, error_from_payload
from cometgemini._retry import retry_after_from_headers


def _status(code: int, retry_after: float | None = None, quota: tuple[str, ...] = (),
            status: str | None = None) -> APIStatusError:
    exc = error_from_payload(code, {"error": {"code": code, "message": "m", "status": status or "X"}})
    exc.retry_after = retry_after
    exc.quota_ids = quota
    return exc


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        (_status(429), 0, 0.5),
        (_status(429), 1, 1.0),
        (_status(500), 2, 2.0),
        (_status(503), 5, 8.0),  # capped
        (_status(408), 0, 0.5),
        (_status(409), 0, 0.5),
        (_status(502), 0, 0.5),
        (APIConnectionError("refused"), 0, 0.5),
        (APITimeoutError("slow"), 0, 0.5),
        (_status(429, retry_after=26.0), 0, 26.0),  # RetryInfo honoured
        (_status(503, retry_after=0.25), 3, 0.25),
        (_status(429, retry_after=600.0), 0, None),  # longer than max_wait: give up now
        (_status(429, quota=("GenerateRequestsPerDayPerProjectPerModel-FreeTier",)), 0, None),
        (_status(400), 0, None),
        (_status(401), 0, None),
        (_status(403), 0, None),
        (_status(404), 0, None),
        (_status(500, status="comet_api_error/invalid_request"), 0, None),
        (ValueError("not ours"), 0, None),
    ],
)
def test_wait_before_retry(error: BaseException, attempt: int, expected: float | None) -> None:
    policy = RetryPolicy(max_retries=10)
    assert policy.wait_before_retry(error, attempt, rand=lambda: 0.0) == expected


def test_jitter_shortens_the_wait_by_at_most_a_quarter() -> None:
    policy = RetryPolicy(max_retries=3)
    assert policy.wait_before_retry(_status(503), 1, rand=lambda: 1.0) == pytest.approx(0.75)


@pytest.mark.parametrize("max_retries", [0, 1, 2])
def test_max_retries_bounds_attempts(max_retries: int) -> None:
    policy = RetryPolicy(max_retries=max_retries)
    waits = [policy.wait_before_retry(_status(503), a, rand=lambda: 0.0) for a in range(4)]
    assert sum(w is not None for w in waits) == max_retries


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, 10.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], expected: float | None) -> None:
    now = 1445412480.0  # 07:28:00 GMT that day
    assert retry_after_from_headers(headers, now=lambda: now) == expected


def test_rate_limit_error_is_the_429_class() -> None:
    assert isinstance(_status(429), RateLimitError)
