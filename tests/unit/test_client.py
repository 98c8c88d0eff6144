"""CometGeminiClient through httpx.MockTransport: the real client, a fake network."""

from __future__ import annotations

import json
import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cometgemini import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    CometGeminiClient,
    InternalServerError,
    MalformedResponseError,
    RateLimitError,
    ResponseBlockedError,
    StreamAccumulator,
)
from cometgemini._types import Content, GenerateContentRequest, Part
from tests._fixtures import fixture_path

KEY = "sk-test-SECRET-0123456789"
TEXT = "generateContent_text_gemini-2.5-flash.response.json"
SSE = "streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse"
HELLO = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A scripted server: answers in order (the last answer repeats), remembers every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def ok(name: str = TEXT) -> httpx.Response:
    return httpx.Response(200, content=fixture_path(name).read_bytes(),
                          headers={"content-type": "application/json; charset=UTF-8"})


def sse(data: bytes) -> httpx.Response:
    return httpx.Response(200, content=data, headers={"content-type": "text/event-stream"})


def error(code: int, status: str, message: str = "boom", **extra: Any) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "message": message, "status": status, **extra}})


def make(handler: Handler, **kwargs: Any) -> CometGeminiClient:
    return CometGeminiClient(
        KEY,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        **kwargs,
    )


def test_generate_sends_camel_case_to_the_native_route_with_the_key_in_a_header() -> None:
    server = Recorder(ok())
    request = GenerateContentRequest(contents=[Content(role="user", parts=[Part(text="hi")])],
                                     system_instruction=Content(parts=[Part(text="be brief")]))
    response = make(server).generate("models/gemini-2.5-flash", request)
    sent = server.requests[0]
    assert str(sent.url) == "https://api.cometapi.com/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == KEY
    assert "authorization" not in sent.headers
    assert KEY not in str(sent.url)
    assert server.bodies[0] == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                                "systemInstruction": {"parts": [{"text": "be brief"}]}}
    assert response.text == "Hello! How can I help you today?"


def test_bearer_auth_and_google_base_url() -> None:
    server = Recorder(ok())
    client = make(server, auth="bearer", base_url="https://generativelanguage.googleapis.com/v1beta/")
    client.generate("gemini-2.5-flash", HELLO)
    sent = server.requests[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert "x-goog-api-key" not in sent.headers
    assert str(sent.url).startswith("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:")


def test_503_is_retried_then_succeeds() -> None:
    server = Recorder(error(503, "UNAVAILABLE"), error(500, "INTERNAL"), ok())
    client = make(server)
    client._policy = type(client._policy)(max_retries=2, initial_backoff=0.001)
    assert client.generate("gemini-2.5-flash", HELLO).text
    assert len(server.requests) == 3


def test_retries_run_out_into_a_typed_error() -> None:
    server = Recorder(error(503, "UNAVAILABLE", "The model is overloaded."))
    client = make(server)
    client._policy = type(client._policy)(max_retries=2, initial_backoff=0.001)
    with pytest.raises(InternalServerError, match="overloaded"):
        client.generate("gemini-2.5-flash", HELLO)
    assert len(server.requests) == 3


def test_429_retry_info_is_honoured() -> None:
    retry = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.01s"}]
    server = Recorder(error(429, "RESOURCE_EXHAUSTED", details=retry), ok())
    assert make(server).generate("gemini-2.5-flash", HELLO).text
    assert len(server.requests) == 2


def test_daily_quota_is_not_retried() -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]
    server = Recorder(error(429, "RESOURCE_EXHAUSTED", details=details), ok())
    with pytest.raises(RateLimitError):
        make(server).generate("gemini-2.5-flash", HELLO)
    assert len(server.requests) == 1


@pytest.mark.parametrize(("code", "status"), [(400, "INVALID_ARGUMENT"), (401, "UNAUTHENTICATED"),
                                              (403, "PERMISSION_DENIED"), (404, "NOT_FOUND")])
def test_client_errors_are_not_retried(code: int, status: str) -> None:
    server = Recorder(error(code, status), ok())
    with pytest.raises(Exception) as info:
        make(server).generate("gemini-2.5-flash", HELLO)
    assert getattr(info.value, "status_code", None) == code
    assert len(server.requests) == 1


def test_max_retries_zero_disables_retrying() -> None:
    server = Recorder(error(503, "UNAVAILABLE"), ok())
    with pytest.raises(InternalServerError):
        make(server, max_retries=0).generate("gemini-2.5-flash", HELLO)
    assert len(server.requests) == 1


def test_connection_errors_are_retried_and_typed() -> None:
    server = Recorder(httpx.ConnectError("refused"), ok())
    client = make(server)
    client._policy = type(client._policy)(max_retries=1, initial_backoff=0.001)
    assert client.generate("gemini-2.5-flash", HELLO).text
    server = Recorder(httpx.ConnectError("refused"))
    client = make(server, max_retries=0)
    with pytest.raises(APIConnectionError, match="ConnectError"):
        client.generate("gemini-2.5-flash", HELLO)


def test_blocked_prompt_raises_with_the_reason() -> None:
    server = Recorder(ok("generateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash"
                         ".response.json"))
    with pytest.raises(ResponseBlockedError, match="PROHIBITED_CONTENT") as info:
        make(server).generate("gemini-3.7-flash", HELLO)
    assert info.value.response.usage_metadata is not None


def test_non_json_200_is_a_malformed_response() -> None:
    server = Recorder(httpx.Response(200, content=b"<html>welcome</html>"))
    with pytest.raises(MalformedResponseError, match="base_url"):
        make(server).generate("gemini-2.5-flash", HELLO)


def test_redirect_is_not_followed_so_the_key_stays_home() -> None:
    server = Recorder(httpx.Response(301, headers={"location": "https://evil.example/steal"}))
    with pytest.raises(Exception, match=r"redirected to https://evil\.example/steal"):
        make(server).generate("gemini-2.5-flash", HELLO)
    assert [r.url.host for r in server.requests] == ["api.cometapi.com"]


def test_stream_yields_deltas_and_accumulates() -> None:
    server = Recorder(sse(fixture_path(SSE).read_bytes()))
    acc = StreamAccumulator()
    chunks = list(make(server).stream("gemini-2.5-flash", HELLO))
    for chunk in chunks:
        acc.add(chunk)
    assert len(chunks) == 3
    assert str(server.requests[0].url).endswith(":streamGenerateContent?alt=sse")
    assert acc.result().candidates[0].finish_reason == "STOP"


def test_stream_is_retried_before_its_first_event() -> None:
    server = Recorder(error(503, "UNAVAILABLE"), sse(fixture_path(SSE).read_bytes()))
    client = make(server)
    client._policy = type(client._policy)(max_retries=1, initial_backoff=0.001)
    assert len(list(client.stream("gemini-2.5-flash", HELLO))) == 3
    assert len(server.requests) == 2


def test_cut_stream_raises_and_is_not_retried_after_events_were_delivered() -> None:
    data = fixture_path(SSE).read_bytes()
    server = Recorder(sse(data[: data.rfind(b"data: ")]))
    received = []
    with pytest.raises(APIConnectionError, match="without its final event"):
        for chunk in make(server).stream("gemini-2.5-flash", HELLO):
            received.append(chunk)
    assert received and len(server.requests) == 1


def test_blocked_stream_raises() -> None:
    lines = fixture_path("streamGenerateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash"
                         ".chunks.jsonl").read_text().splitlines()
    server = Recorder(sse(b"".join(b"data: " + line.encode() + b"\r\n\r\n" for line in lines if line)))
    with pytest.raises(ResponseBlockedError, match="PROHIBITED_CONTENT"):
        list(make(server).stream("gemini-3.7-flash", HELLO))


async def test_async_generate_and_stream() -> None:
    server = Recorder(ok(), sse(fixture_path(SSE).read_bytes()))
    client = make(server)
    assert (await client.agenerate("gemini-2.5-flash", HELLO)).text
    chunks = [c async for c in client.astream("gemini-2.5-flash", HELLO)]
    assert chunks[-1].candidates[0].finish_reason == "STOP"
    await client.aclose()


async def test_async_retry_and_typed_error() -> None:
    server = Recorder(error(400, "INVALID_ARGUMENT", "Penalty is not enabled"))
    with pytest.raises(BadRequestError, match="Penalty"):
        await make(server).agenerate("gemini-2.5-flash", HELLO)


def test_count_tokens_uses_the_short_form_without_system_or_tools() -> None:
    server = Recorder(ok("countTokens_gemini-2.5-flash.response.json"))
    result = make(server).count_tokens("gemini-2.5-flash", [Content(role="user", parts=[Part(text="hi")])])
    assert server.bodies[0] == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert result.total_tokens > 0


def test_count_tokens_with_system_instruction_wraps_the_request() -> None:
    server = Recorder(ok("countTokens_gemini-2.5-flash.response.json"))
    request = GenerateContentRequest(contents=[Content(role="user", parts=[Part(text="hi")])],
                                     system_instruction=Content(parts=[Part(text="sys")]),
                                     generation_config={"temperature": 0.5})
    make(server).count_tokens("models/gemini-2.5-flash", request)
    inner = server.bodies[0]["generateContentRequest"]
    assert inner["model"] == "models/gemini-2.5-flash"
    assert inner["systemInstruction"] == {"parts": [{"text": "sys"}]}
    assert "generationConfig" not in inner


def _embed_answer(request: httpx.Request) -> httpx.Response:
    n = len(json.loads(request.content)["requests"])
    first = json.loads(request.content)["requests"][0]["content"]["parts"][0]["text"]
    return httpx.Response(200, json={"embeddings": [{"values": [float(first.split()[1]) + i, 0.0]}
                                                    for i in range(n)]})


def test_embed_splits_at_100_and_keeps_order() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _embed_answer(request)

    texts = [f"text {i}" for i in range(250)]
    vectors = make(handler).embed("gemini-embedding-001", texts, task_type="RETRIEVAL_DOCUMENT", max_concurrency=1)
    assert [len(json.loads(r.content)["requests"]) for r in seen] == [100, 100, 50]
    assert [v[0] for v in vectors] == [float(i) for i in range(250)]
    inner = json.loads(seen[0].content)["requests"][0]
    assert inner["model"] == "models/gemini-embedding-001" and inner["taskType"] == "RETRIEVAL_DOCUMENT"


def test_embed_sends_batches_from_threads_within_the_bound_and_keeps_order() -> None:
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return _embed_answer(request)

    texts = [f"text {i}" for i in range(730)]  # 8 batches, the last one short
    vectors = make(handler).embed("gemini-embedding-001", texts, max_concurrency=3)
    assert [v[0] for v in vectors] == [float(i) for i in range(730)]
    assert state["peak"] == 3


def test_a_failed_batch_fails_the_threaded_embed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        first = json.loads(request.content)["requests"][0]["content"]["parts"][0]["text"]
        if first == "text 200":
            error = {"code": 400, "message": "bad batch", "status": "INVALID_ARGUMENT"}
            return httpx.Response(400, json={"error": error})
        return _embed_answer(request)

    with pytest.raises(BadRequestError, match="bad batch"):
        make(handler).embed("gemini-embedding-001", [f"text {i}" for i in range(400)], max_concurrency=4)


async def test_aembed_keeps_order() -> None:
    texts = [f"text {i}" for i in range(230)]
    vectors = await make(_embed_answer).aembed("gemini-embedding-001", texts, max_concurrency=3)
    assert [v[0] for v in vectors] == [float(i) for i in range(230)]


def test_embed_rejects_empty_strings_before_sending() -> None:
    server = Recorder(ok())
    with pytest.raises(ValueError, match="input 1"):
        make(server).embed("gemini-embedding-001", ["a", ""])
    assert server.requests == []


def test_embed_count_mismatch_is_malformed() -> None:
    server = Recorder(httpx.Response(200, json={"embeddings": [{"values": [1.0]}]}))
    with pytest.raises(MalformedResponseError, match="asked for 2"):
        make(server).embed("gemini-embedding-001", ["a", "b"])


def test_the_key_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = Recorder(error(503, "UNAVAILABLE"), httpx.Response(401, json={"error": {
        "message": "invalid token", "type": "comet_api_error", "code": ""}}))
    client = make(server)
    client._policy = type(client._policy)(max_retries=1, initial_backoff=0.001)
    with pytest.raises(AuthenticationError) as info:
        client.generate("gemini-2.5-flash", HELLO)
    assert KEY not in repr(client) and KEY not in str(info.value) and KEY not in repr(info.value)
    assert KEY not in caplog.text
    assert KEY not in repr(client.config)


def test_pickles_and_keeps_its_settings() -> None:
    client = CometGeminiClient(KEY, base_url="https://example.test", auth="bearer", max_retries=4)
    clone = pickle.loads(pickle.dumps(client))
    assert clone.config == client.config
    assert clone.config.max_retries == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "http://api.example.com"}, "clear text"),
        ({"base_url": "ftp://x"}, "http"),
        ({"auth": "basic"}, "auth must be"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": 0}, "timeout"),
        ({"default_headers": {"X-Goog-Api-Key": "x"}}, "api_key="),
    ],
)
def test_bad_settings_are_refused_before_sending(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CometGeminiClient(KEY, **kwargs)


def test_a_key_is_required_except_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="COMETAPI_KEY"):
        CometGeminiClient()
    assert CometGeminiClient(base_url="http://127.0.0.1:8787").base_url == "http://127.0.0.1:8787"
    monkeypatch.setenv("COMETAPI_KEY", KEY)
    monkeypatch.setenv("COMETAPI_BASE_URL", "https://gw.example/v1")
    client = CometGeminiClient()
    assert client.base_url == "https://gw.example"
    assert client.config.api_key is not None and client.config.api_key.get_secret_value() == KEY


def test_bad_model_ids_are_refused_before_sending() -> None:
    server = Recorder(ok())
    with pytest.raises(ValueError, match="model id"):
        make(server).generate("publishers/google/models/x", HELLO)
    assert server.requests == []


def test_insecure_http_can_be_allowed_explicitly() -> None:
    client = CometGeminiClient(KEY, base_url="http://gw.internal", allow_insecure_http=True)
    assert client.base_url == "http://gw.internal"


def test_a_200_without_candidates_or_block_reason_is_not_an_empty_answer() -> None:
    server = Recorder(httpx.Response(200, json={"usageMetadata": {"promptTokenCount": 3}}))
    with pytest.raises(MalformedResponseError, match="no candidates"):
        make(server).generate("gemini-2.5-flash", HELLO)


def test_a_stream_that_is_not_an_event_stream_is_malformed() -> None:
    server = Recorder(httpx.Response(200, content=b"<html>gateway says hi</html>"))
    with pytest.raises(MalformedResponseError, match="gateway says hi"):
        list(make(server).stream("gemini-2.5-flash", HELLO))
