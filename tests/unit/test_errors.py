"""Every recorded error body, CometAPI's envelope and non-JSON bodies map to the right class and message."""

from __future__ import annotations

import json

import pytest

from cometgemini import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContextOverflowError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from cometgemini._exceptions import error_from_response, parse_duration
from tests._fixtures import fixture_names, fixture_path

EXPECTED: dict[str, type[APIStatusError]] = {
    "error_400_INVALID_ARGUMENT_ANY_mode_with_json_mime_type": BadRequestError,
    "error_400_INVALID_ARGUMENT_API_KEY_INVALID": AuthenticationError,
    "error_400_INVALID_ARGUMENT_batchEmbedContents_over_100": BadRequestError,
    "error_400_INVALID_ARGUMENT_missing_thought_signature": BadRequestError,
    "error_400_INVALID_ARGUMENT_penalty_not_enabled_gemini-2.5-flash": BadRequestError,
    "error_400_INVALID_ARGUMENT_thinkingLevel_MINIMAL_unsupported_gemini-3.1-pro-preview": BadRequestError,
    "error_400_INVALID_ARGUMENT_thinkingLevel_and_thinkingBudget_both_set_gemini-3.1-pro-preview": BadRequestError,
    "error_400_missing_thought_signature_non_sse_stream_ARRAY_form": BadRequestError,
    "error_403_PERMISSION_DENIED_no_api_key": PermissionDeniedError,
    "error_404_NOT_FOUND_batchEmbedContents": NotFoundError,
    "error_404_NOT_FOUND_countTokens": NotFoundError,
    "error_404_NOT_FOUND_generateContent_unknown_model": NotFoundError,
    "error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo": RateLimitError,
    "error_503_UNAVAILABLE_model_overloaded": InternalServerError,
}
JSON = {"content-type": "application/json; charset=UTF-8"}


def test_every_error_fixture_is_covered() -> None:
    assert sorted(n.removesuffix(".response.json") for n in fixture_names("error_*.response.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_error_fixture_maps_to_its_class_with_the_server_message(name: str) -> None:
    body = fixture_path(name + ".response.json").read_bytes()
    payload = json.loads(body)
    error = (payload[0] if isinstance(payload, list) else payload)["error"]
    exc = error_from_response(error["code"], JSON, body)
    assert type(exc) is EXPECTED[name]
    assert exc.status_code == error["code"]
    assert exc.status == error["status"]
    assert error["message"][:60] in str(exc)


def test_retry_info_and_quota_ids_are_read() -> None:
    body = fixture_path("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.response.json").read_bytes()
    exc = error_from_response(429, JSON, body)
    assert exc.retry_after == 26.0
    assert exc.quota_ids == ("GenerateContentInputTokensPerModelPerMinute-FreeTier",)


def test_retry_after_header_wins_over_body() -> None:
    body = fixture_path("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.response.json").read_bytes()
    assert error_from_response(429, JSON, body, retry_after=3.0).retry_after == 3.0


def test_comet_envelope_401() -> None:
    body = json.dumps({"error": {"message": "invalid token (request id: 2025)", "type": "comet_api_error",
                                 "param": "", "code": ""}}).encode()
    exc = error_from_response(401, JSON, body)
    assert isinstance(exc, AuthenticationError)
    assert exc.status == "comet_api_error"
    assert "invalid token" in str(exc) and "COMETAPI_KEY" in str(exc)


def test_comet_envelope_500_invalid_request() -> None:
    body = json.dumps({"error": {"message": "bad", "type": "comet_api_error", "code": "invalid_request"}}).encode()
    exc = error_from_response(500, JSON, body)
    assert isinstance(exc, InternalServerError)
    assert exc.status == "comet_api_error/invalid_request"


def test_html_error_page_says_what_happened() -> None:
    exc = error_from_response(502, {"content-type": "text/html"}, b"<html><body><h1>Bad Gateway</h1></body></html>")
    assert isinstance(exc, InternalServerError)
    assert "HTML page" in str(exc) and "base_url" in str(exc)


def test_redirect_names_the_target_and_base_url() -> None:
    exc = error_from_response(301, {"location": "https://www.cometapi.com/"}, b"")
    assert "redirected to https://www.cometapi.com/" in str(exc)
    assert "base_url" in str(exc)


def test_context_overflow() -> None:
    body = json.dumps({"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                 "message": "The input token count (1200000) exceeds the maximum number of tokens "
                                            "allowed (1048576)."}}).encode()
    assert isinstance(error_from_response(400, JSON, body), ContextOverflowError)


def test_unexpected_json_body() -> None:
    exc = error_from_response(418, JSON, b'{"teapot": true}')
    assert type(exc) is APIStatusError and "teapot" in str(exc)


@pytest.mark.parametrize(("text", "seconds"), [("26s", 26.0), ("47.884324799s", 47.884324799), ("1m", None),
                                               (None, None), ("", None)])
def test_parse_duration(text: object, seconds: float | None) -> None:
    assert parse_duration(text) == seconds
