"""A rate-limit error says why it was raised when it was: the retries were spent, retrying is off, the quota
is daily, or the server asked for a longer wait than the client will sleep. Never "retries were used up" when
no retry happened; ``retry_after`` stays on the error. Checked through both adapters on the recorded 429."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ModelRateLimitError
from llama_index.core.llms import ChatMessage

from cometgemini import RateLimitError, RetryPolicy
from cometgemini._exceptions import error_from_payload
from langchain_cometgemini import ChatCometGemini
from llamaindex_cometgemini import CometGemini
from tests._fixtures import load_json

RECORDED = "error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.response.json"
DAILY = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"


def _payload(delay: str | None = None, quota_id: str | None = None) -> dict[str, Any]:
    payload = copy.deepcopy(load_json(RECORDED))
    for detail in payload["error"]["details"]:
        if delay is not None and detail["@type"].endswith("RetryInfo"):
            detail["retryDelay"] = delay
        if quota_id is not None and detail["@type"].endswith("QuotaFailure"):
            detail["violations"][0]["quotaId"] = quota_id
    return payload


class _Server:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return httpx.Response(429, content=json.dumps(self.payload).encode(),
                              headers={"content-type": "application/json"})


def _call(adapter: str, server: _Server, max_retries: int) -> Exception:
    client = httpx.Client(transport=httpx.MockTransport(server))
    with pytest.raises(RateLimitError) as info:
        if adapter == "langchain":
            ChatCometGemini(api_key="k", http_client=client, max_retries=max_retries).invoke("hi")
        else:
            CometGemini(api_key="k", http_client=client, max_retries=max_retries).chat(
                [ChatMessage(role="user", content="hi")])
    return info.value


@pytest.mark.parametrize("adapter", ["langchain", "llamaindex"])
def test_the_recorded_429_without_retries_says_retrying_is_off_and_keeps_the_asked_wait(adapter: str) -> None:
    server = _Server(load_json(RECORDED))
    error = _call(adapter, server, max_retries=0)
    assert server.requests == 1
    assert error.retry_after == 26.0  # type: ignore[attr-defined]
    assert "Not retried: retries are off (max_retries=0). The server asked to wait 26 s." in str(error)
    assert "used up" not in str(error) and "Gave up" not in str(error)
    if adapter == "langchain":
        assert isinstance(error, ModelRateLimitError)


@pytest.mark.parametrize("adapter", ["langchain", "llamaindex"])
def test_a_wait_longer_than_the_client_sleeps_is_named(adapter: str) -> None:
    server = _Server(_payload(delay="120s"))
    error = _call(adapter, server, max_retries=2)
    assert server.requests == 1
    assert error.retry_after == 120.0  # type: ignore[attr-defined]
    assert "Not retried: the server asked to wait 120 s, longer than this client waits (max_wait=60 s)" in str(error)
    assert "used up" not in str(error).replace("quota", "")


@pytest.mark.parametrize("adapter", ["langchain", "llamaindex"])
def test_a_daily_quota_is_named(adapter: str) -> None:
    server = _Server(_payload(quota_id=DAILY))
    error = _call(adapter, server, max_retries=2)
    assert server.requests == 1
    assert f"Not retried: the daily quota {DAILY} is used up" in str(error)
    assert error.retry_after == 26.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "retry_after", "quota", "max_retries", "attempt", "note"),
    [
        (503, None, (), 2, 2, "Gave up after 2 retries."),
        (429, None, (), 1, 1, "Gave up after 1 retry."),
        (429, 26.0, (), 0, 0, "Not retried: retries are off (max_retries=0). The server asked to wait 26 s."),
        (503, None, (), 0, 0, "Not retried: retries are off (max_retries=0)."),
        (429, 120.0, (), 2, 0, "Not retried: the server asked to wait 120 s, longer than this client waits "
                               "(max_wait=60 s). Retry after that yourself."),
        (429, 26.0, (DAILY,), 2, 0, f"Not retried: the daily quota {DAILY} is used up; it resets once a day. "
                                    "Wait for that, or raise the quota."),
        (400, None, (), 2, 0, None),
        (404, None, (), 2, 0, None),
    ],
)
def test_give_up_note(status: int, retry_after: float | None, quota: tuple[str, ...], max_retries: int,
                      attempt: int, note: str | None) -> None:
    error = error_from_payload(status, {"error": {"code": status, "message": "m", "status": "X"}})
    error.retry_after, error.quota_ids = retry_after, quota
    assert RetryPolicy(max_retries=max_retries).give_up_note(error, attempt) == note
