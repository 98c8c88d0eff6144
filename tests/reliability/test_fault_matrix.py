"""The fault matrix: every fault the emulator can inject, through the core client and both adapters, sync and
async, invoke and stream. Each case asserts what the user gets (an answer, or which error) and how many
requests reached the server (retried or not), counted by a per-test ``x-emulator-fault-key``."""

from __future__ import annotations

import logging
import socket
import uuid
from typing import Any

import pytest
from langchain_core import exceptions as lc

import cometgemini as cg
from tests.reliability._surfaces import MODES, SURFACES, Outcome, count_requests, fault_headers, run

STREAMS = ("stream", "astream")
INVOKES = ("invoke", "ainvoke")

# What a LangChain user catches for each core error (the adapter's classes inherit both).
LC_TWIN: dict[type[Exception], type[Exception]] = {
    cg.RateLimitError: lc.ModelRateLimitError,
    cg.InternalServerError: lc.ModelAPIError,
    cg.BadRequestError: lc.ModelInvalidRequestError,
    cg.AuthenticationError: lc.ModelAuthenticationError,
    cg.PermissionDeniedError: lc.ModelPermissionDeniedError,
    cg.NotFoundError: lc.ModelNotFoundError,
    cg.APITimeoutError: lc.ModelTimeoutError,
    cg.APIConnectionError: lc.ModelConnectionError,
    cg.MalformedResponseError: lc.ModelAPIError,
    cg.ResponseBlockedError: lc.ModelRefusalError,
}

every_surface = pytest.mark.parametrize("surface", SURFACES)
every_mode = pytest.mark.parametrize("mode", MODES)


def expect(surface: str, error: type[Exception], call: Any) -> Exception:
    """Run ``call``; it must raise ``error`` (and, through LangChain, its langchain_core twin too)."""
    with pytest.raises(error) as info:
        call()
    if surface == "langchain":
        assert isinstance(info.value, LC_TWIN[error]), type(info.value).__mro__
    return info.value


def call(emulator: Any, surface: str, mode: str, spec: str | None, out: Outcome | None = None,
         **settings: Any) -> tuple[str, Any]:
    key = uuid.uuid4().hex
    headers = fault_headers(spec, key)

    def go() -> Outcome:
        return run(surface, mode, emulator.base_url, "hello there", out, headers=headers, **settings)

    return key, go


# ------------------------------------------------------------------------------------------- 429


@every_surface
@every_mode
def test_retry_info_wait_is_honoured(emulator: Any, surface: str, mode: str,
                                    caplog: pytest.LogCaptureFixture) -> None:
    key, go = call(emulator, surface, mode, "429:0.2s*1")
    with caplog.at_level(logging.INFO, logger="cometgemini"):
        out = go()
    elapsed = out.elapsed
    assert "hello there" in out.text and out.finish_reason == "STOP"
    assert elapsed >= 0.2, f"retried after {elapsed:.3f}s, before the server's RetryInfo.retryDelay (0.2s)"
    # the wait chosen is the server's, with no backoff on top (read from the client's log, not a clock:
    # a loaded machine makes any upper bound on elapsed time flaky)
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying ")]
    assert len(waits) == 1 and " in 0.20s after: 429" in waits[0], waits
    assert count_requests(emulator, key) == 2


@every_surface
@every_mode
def test_retry_info_longer_than_max_wait_raises_at_once(emulator: Any, surface: str, mode: str) -> None:
    out = Outcome()
    key, go = call(emulator, surface, mode, "429:120s", out)
    error = expect(surface, cg.RateLimitError, go)
    assert out.elapsed < 2.0, "slept although the asked wait (120 s) exceeds max_wait (60 s)"
    assert error.retry_after == 120.0  # type: ignore[attr-defined]
    assert "429 RESOURCE_EXHAUSTED" in str(error)
    assert "Not retried: the server asked to wait 120 s, longer than this client waits" in str(error)
    assert "retries were used up" not in str(error) and "Gave up" not in str(error)
    assert count_requests(emulator, key) == 1


@every_surface
@pytest.mark.parametrize("mode", ["invoke", "astream"])
def test_daily_quota_is_not_retried(emulator: Any, surface: str, mode: str) -> None:
    key, go = call(emulator, surface, mode, "429-daily")
    error = expect(surface, cg.RateLimitError, go)
    assert any("PerDay" in q for q in error.quota_ids)  # type: ignore[attr-defined]
    assert "Not retried: the daily quota GenerateRequestsPerDayPerProjectPerModel-FreeTier is used up" in str(error)
    assert count_requests(emulator, key) == 1


# ------------------------------------------------------------------------------------------- 5xx


SERVER_ERROR_CASES = [(503, surface, mode) for surface in SURFACES for mode in MODES] + [
    (500, "core", mode) for mode in MODES
]  # the adapters map 500 and 503 alike; every combination pays ~0.5 s of backoff, so 500 goes through core only


@pytest.mark.parametrize(("status", "surface", "mode"), SERVER_ERROR_CASES)
def test_server_errors_are_retried_then_raised(emulator: Any, surface: str, mode: str, status: int) -> None:
    key, go = call(emulator, surface, mode, f"{status}*2", max_retries=1)
    error = expect(surface, cg.InternalServerError, go)
    assert error.status_code == status  # type: ignore[attr-defined]
    assert "Gave up after 1 retry." in str(error)
    assert count_requests(emulator, key) == 2


@every_surface
@every_mode
def test_server_error_then_success(emulator: Any, surface: str, mode: str) -> None:
    """A stream is retried while nothing has reached the caller yet."""
    key, go = call(emulator, surface, mode, "503*1", max_retries=1)
    out = go()
    assert "hello there" in out.text and out.finish_reason == "STOP"
    assert count_requests(emulator, key) == 2


# ------------------------------------------------------------------------------------------- 4xx


CLIENT_ERRORS = {
    400: cg.BadRequestError,
    401: cg.AuthenticationError,
    403: cg.PermissionDeniedError,
    404: cg.NotFoundError,
}


@every_surface
@every_mode
@pytest.mark.parametrize("status", sorted(CLIENT_ERRORS))
def test_client_errors_are_not_retried(emulator: Any, surface: str, mode: str, status: int) -> None:
    key, go = call(emulator, surface, mode, str(status))
    error = expect(surface, CLIENT_ERRORS[status], go)
    assert error.status_code == status  # type: ignore[attr-defined]
    assert count_requests(emulator, key) == 1


# ------------------------------------------------------------------------------------------- network


@every_surface
@every_mode
def test_timeout(emulator: Any, surface: str, mode: str) -> None:
    out = Outcome()
    key, go = call(emulator, surface, mode, "slow:2", out, timeout=0.5, max_retries=0)
    error = expect(surface, cg.APITimeoutError, go)
    assert 0.5 <= out.elapsed < 1.8
    assert "timed out" in str(error)
    assert count_requests(emulator, key) == 1


@pytest.mark.parametrize("mode", ["invoke", "astream"])
def test_timeout_is_retried(emulator: Any, mode: str) -> None:
    key, go = call(emulator, "core", mode, "slow:2*1", timeout=0.5, max_retries=1)
    out = go()
    assert "hello there" in out.text
    assert count_requests(emulator, key) == 2


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@every_surface
@every_mode
def test_connection_refused(surface: str, mode: str) -> None:
    """Not a timeout, on the aiohttp driver either (aiohttp's ClientConnectorError is a connect error, not a
    timeout; httpx-aiohttp, used before, mapped it to httpx.ConnectTimeout)."""
    url = f"http://127.0.0.1:{closed_port()}"
    out = Outcome()
    error = expect(surface, cg.APIConnectionError, lambda: run(surface, mode, url, out=out, max_retries=0))
    assert not isinstance(error, cg.APITimeoutError)
    assert "connection failed" in str(error)
    assert out.elapsed < 1.0


def test_connection_refused_is_retried() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    out = Outcome()
    with pytest.raises(cg.APIConnectionError):
        run("core", "invoke", url, out=out, max_retries=1)
    assert out.elapsed >= 0.375  # one backoff (0.5 s scaled by jitter in [0.75, 1])


@every_surface
@pytest.mark.parametrize("mode", STREAMS)
def test_dropped_stream_is_an_error_and_not_retried(emulator: Any, surface: str, mode: str) -> None:
    """The first event reached the caller, then the connection was cut: an error, never a short answer, and
    no retry (the caller already has part of the answer)."""
    out = Outcome()
    key, go = call(emulator, surface, mode, "drop", out)
    error = expect(surface, cg.APIConnectionError, go)
    assert out.chunks == 1
    assert "connection failed" in str(error) or "incomplete" in str(error)
    assert count_requests(emulator, key) == 1


@every_surface
@pytest.mark.parametrize("mode", INVOKES)
def test_dropped_body_is_retried_then_raised(emulator: Any, surface: str, mode: str) -> None:
    key, go = call(emulator, surface, mode, "drop", max_retries=1)
    expect(surface, cg.APIConnectionError, go)
    assert count_requests(emulator, key) == 2


# ------------------------------------------------------------------------------------------- bad bodies


@every_surface
@every_mode
def test_malformed_body_or_event(emulator: Any, surface: str, mode: str) -> None:
    out = Outcome()
    key, go = call(emulator, surface, mode, "malformed", out)
    error = expect(surface, cg.MalformedResponseError, go)
    if mode in STREAMS:
        assert out.chunks == 1
        assert "stream event 2" in str(error)
    else:
        assert "not a GenerateContentResponse" in str(error)
    assert count_requests(emulator, key) == 1


@every_surface
@pytest.mark.parametrize("mode", STREAMS)
def test_error_event_mid_stream(emulator: Any, surface: str, mode: str) -> None:
    out = Outcome()
    key, go = call(emulator, surface, mode, "error-event", out)
    error = expect(surface, cg.InternalServerError, go)
    assert out.chunks == 1
    assert error.status_code == 500  # type: ignore[attr-defined]
    assert count_requests(emulator, key) == 1


@every_surface
@every_mode
def test_html_error_page(emulator: Any, surface: str, mode: str) -> None:
    key, go = call(emulator, surface, mode, "html", max_retries=0)
    error = expect(surface, cg.InternalServerError, go)
    assert error.status_code == 502  # type: ignore[attr-defined]
    assert "HTML page" in str(error) and "base_url" in str(error)
    assert len(str(error)) < 800
    assert count_requests(emulator, key) == 1


def test_html_error_page_is_retried(emulator: Any) -> None:
    key, go = call(emulator, "core", "invoke", "html*1", max_retries=1)
    assert "hello there" in go().text
    assert count_requests(emulator, key) == 2


@every_surface
@pytest.mark.parametrize("mode", INVOKES)
def test_non_json_200(emulator: Any, surface: str, mode: str) -> None:
    key, go = call(emulator, surface, mode, "nonjson")
    error = expect(surface, cg.MalformedResponseError, go)
    assert "base_url" in str(error)
    assert count_requests(emulator, key) == 1


@every_surface
@pytest.mark.parametrize("mode", STREAMS)
def test_non_json_200_stream(emulator: Any, surface: str, mode: str) -> None:
    """A 200 on the stream route whose body is not SSE: a wrong base_url, not a cut-off connection."""
    out = Outcome()
    key, go = call(emulator, surface, mode, "nonjson", out)
    error = expect(surface, cg.MalformedResponseError, go)
    assert "base_url" in str(error)
    assert out.chunks == 0
    assert count_requests(emulator, key) == 1


@every_surface
@pytest.mark.parametrize("mode", STREAMS)
def test_empty_stream_is_an_error(emulator: Any, surface: str, mode: str) -> None:
    """``data: {}`` and the end: no candidates, no finishReason, so the stream is incomplete."""
    error = expect(surface, cg.APIConnectionError, call(emulator, surface, mode, "empty")[1])
    assert "without its final event" in str(error)


@every_surface
@pytest.mark.parametrize("mode", INVOKES)
def test_empty_body_is_an_error(emulator: Any, surface: str, mode: str) -> None:
    """A 200 ``{}``: no candidates and no block reason is no answer, not an empty one."""
    key, go = call(emulator, surface, mode, "empty")
    error = expect(surface, cg.MalformedResponseError, go)
    assert "no candidates" in str(error)
    assert count_requests(emulator, key) == 1


# ------------------------------------------------------------------------------------------- refusals, limits


@every_surface
@every_mode
def test_blocked_prompt(emulator: Any, surface: str, mode: str) -> None:
    out = Outcome()
    key = uuid.uuid4().hex
    settings: dict[str, Any] = {"headers": fault_headers(None, key)}
    error = expect(surface, cg.ResponseBlockedError,
                   lambda: run(surface, mode, emulator.base_url, "tell me [[block]]", out, **settings))
    assert "PROHIBITED_CONTENT" in str(error)
    assert error.block_reason == "PROHIBITED_CONTENT"  # type: ignore[attr-defined]
    assert out.chunks == 0
    assert count_requests(emulator, key) == 1


@every_surface
@every_mode
def test_max_tokens_without_parts_is_an_answer(emulator: Any, surface: str, mode: str) -> None:
    out = call(emulator, surface, mode, "max-tokens")[1]()
    assert out.finish_reason == "MAX_TOKENS"
    assert out.text == ""


@every_surface
@every_mode
def test_safety_finish_is_visible(emulator: Any, surface: str, mode: str) -> None:
    out = run(surface, mode, emulator.base_url, "tell me [[safety]]")
    assert out.finish_reason == "SAFETY"
    assert out.text == ""
    blocked = [r for r in out.safety_ratings if (r.get("blocked") if isinstance(r, dict) else r.blocked)]
    assert len(blocked) == 1
