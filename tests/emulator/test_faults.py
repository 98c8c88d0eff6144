"""Fault injection through ``x-emulator-fault`` and the server-wide ``fault`` / ``fault_rate``."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from cometgemini._types import GenerateContentResponse
from cometgemini.emulator import serve

from .conftest import check_stream, sse_events, stream, user

_BODY = {"contents": [user("Tell me about the sea [[words:12]]")]}
_URL = "/v1beta/models/gemini-2.5-flash:generateContent"
_SSE = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"


def _fault(client: httpx.Client, spec: str, url: str = _URL, **headers: str) -> httpx.Response:
    return client.post(url, json=_BODY, headers={"x-emulator-fault": spec, **headers})


@pytest.mark.parametrize(("spec", "code", "status"), [
    ("500", 500, "INTERNAL"), ("503", 503, "UNAVAILABLE"), ("400", 400, "INVALID_ARGUMENT"),
    ("403", 403, "PERMISSION_DENIED"), ("404", 404, "NOT_FOUND"), ("429", 429, "RESOURCE_EXHAUSTED"),
])
def test_google_error_faults(client: httpx.Client, spec: str, code: int, status: str) -> None:
    response = _fault(client, spec)
    assert response.status_code == code
    assert response.json()["error"]["status"] == status
    assert response.json()["error"]["code"] == code
    streamed = _fault(client, spec, _SSE)
    assert streamed.status_code == code and streamed.json()["error"]["status"] == status


def test_503_body_matches_recording(client: httpx.Client) -> None:
    assert _fault(client, "503").json() == {"error": {
        "code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}


def test_429_details(client: httpx.Client) -> None:
    details = _fault(client, "429:0.2s").json()["error"]["details"]
    kinds = [d["@type"].rsplit(".", 1)[1] for d in details]
    assert kinds == ["QuotaFailure", "Help", "RetryInfo"]
    assert details[2]["retryDelay"] == "0.2s"
    assert "PerMinute" in details[0]["violations"][0]["quotaId"]
    daily = _fault(client, "429-daily").json()["error"]["details"]
    assert "PerDay" in daily[0]["violations"][0]["quotaId"]
    assert _fault(client, "429").json()["error"]["details"][2]["retryDelay"] == "26s"


def test_401_html_nonjson_empty_max_tokens(client: httpx.Client) -> None:
    unauthorized = _fault(client, "401")
    assert unauthorized.status_code == 401 and unauthorized.json()["error"]["type"] == "comet_api_error"
    html = _fault(client, "html")
    assert html.status_code == 502 and html.headers["content-type"].startswith("text/html")
    nonjson = _fault(client, "nonjson")
    assert nonjson.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        nonjson.json()
    assert _fault(client, "empty").json() == {}
    assert sse_events(_fault(client, "empty", _SSE).text) == [{}]
    maxed = _fault(client, "max-tokens").json()
    assert maxed["candidates"][0]["content"] == {"role": "model"}
    assert maxed["candidates"][0]["finishReason"] == "MAX_TOKENS"
    GenerateContentResponse.model_validate(maxed)


def test_slow(client: httpx.Client) -> None:
    start = time.perf_counter()
    assert _fault(client, "slow:0.3").status_code == 200
    assert time.perf_counter() - start >= 0.3


def test_drop_is_an_abrupt_close(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _fault(client, "drop", _SSE)
    with pytest.raises(httpx.RemoteProtocolError):
        _fault(client, "drop")
    with client.stream("POST", _SSE, json=_BODY, headers={"x-emulator-fault": "drop"}) as response:
        received = b""
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in response.iter_bytes():
                received += chunk
    events = sse_events(received.decode())
    assert len(events) == 1 and "finishReason" not in events[0]["candidates"][0]
    assert client.post(_URL, json=_BODY).status_code == 200  # the server is fine afterwards


def test_malformed_and_error_event(client: httpx.Client) -> None:
    text = _fault(client, "malformed", _SSE).text
    blocks = text.split("\r\n\r\n")[:-1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(blocks[1][len("data: "):])
    assert json.loads(blocks[-1][len("data: "):])["candidates"][0]["finishReason"] == "STOP"
    events = sse_events(_fault(client, "error-event", _SSE).text)
    assert len(events) == 2 and events[1]["error"]["code"] == 500


def test_counted_faults_then_success(client: httpx.Client) -> None:
    codes = [_fault(client, "503*2", **{"x-emulator-fault-key": "a"}).status_code for _ in range(4)]
    assert codes == [503, 503, 200, 200]
    other_key = [_fault(client, "503*2", **{"x-emulator-fault-key": "b"}).status_code for _ in range(3)]
    assert other_key == [503, 503, 200]
    assert [_fault(client, "429:0s*1").status_code for _ in range(2)] == [429, 200]


def test_bad_fault_header(client: httpx.Client) -> None:
    response = _fault(client, "explode")
    assert response.status_code == 400 and "unknown emulator fault" in response.json()["error"]["message"]


def test_server_fault_rate_is_seeded() -> None:
    def run() -> list[int]:
        with serve(fault="503", fault_rate=0.2, fault_seed=7) as emu, httpx.Client(base_url=emu.base_url) as c:
            return [c.post(_URL, json=_BODY).status_code for _ in range(200)]

    first = run()
    assert first == run()
    assert 20 <= first.count(503) <= 60 and first.count(200) == 200 - first.count(503)


def test_server_fault_counted_and_latency() -> None:
    with serve(fault="500*1", latency_ms=50) as emu, httpx.Client(base_url=emu.base_url) as client:
        start = time.perf_counter()
        assert client.post(_URL, json=_BODY).status_code == 500
        assert client.post(_URL, json=_BODY).status_code == 200
        assert time.perf_counter() - start >= 0.1
        check_stream(stream(client, "gemini-2.5-flash", _BODY))
