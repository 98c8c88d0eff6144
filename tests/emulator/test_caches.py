"""Context caches on the emulator: the recorded exchange replayed through ``client.caches``, the whole life of a
cache over raw HTTP (create, get, list in pages, extend, delete, expire on the emulator's clock), Google's
refusals (too small, gone, clashing with a request), the usage of a request that uses one, and replay mode."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cometgemini import BadRequestError, CometGeminiClient, PermissionDeniedError
from cometgemini.emulator import EmulatorConfig, EmulatorServer, serve
from tests._fixtures import load_json

from .conftest import check_response, check_stream, sse_events, user

EXCHANGE = "cachedContents_create_use_delete_gemini-2.5-flash.turn{}.{}.json"
DOC = "The Eiffel Tower is in Paris. " * 200  # 1,200 words: above the 1,024-token minimum of Flash


def recorded(turn: int, kind: str) -> Any:
    return load_json(EXCHANGE.format(turn, kind))


def same_shape(got: Any, want: Any, where: str = "") -> None:
    """``got`` has every key of ``want`` at every level, with values of the same JSON type."""
    if isinstance(want, dict):
        assert isinstance(got, dict), where
        for key, value in want.items():
            assert key in got, f"{where}.{key} missing"
            same_shape(got[key], value, f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and (got or not want), where
        for item in got:
            same_shape(item, want[0], where)
    else:
        assert type(got) is type(want) or {type(got), type(want)} <= {int, float}, where


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Iterator[EmulatorServer]:
    with serve(clock=clock) as server:
        yield server


@pytest.fixture
def http(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{emu.base_url}/v1beta", timeout=10) as c:
        yield c


def test_the_recorded_exchange_through_the_public_names(emu: EmulatorServer) -> None:
    client = CometGeminiClient(base_url=emu.base_url)
    first = recorded(1, "request")
    cache = client.caches.create(first["model"], contents=first["contents"],
                                 system_instruction=first["systemInstruction"], ttl=120)
    same_shape(cache.model_dump(by_alias=True, exclude_none=True), recorded(1, "response"))
    sent = emu.requests[-1]
    assert (sent["method"], sent["path"]) == ("POST", "/v1beta/cachedContents")
    assert sent["json"]["ttl"] == "120s" and sent["json"]["model"] == "models/gemini-2.5-flash"
    for turn in (2, 3):
        request = dict(recorded(turn, "request"), cachedContent=cache.name)
        answer = client.generate("gemini-2.5-flash", request)
        wire = answer.model_dump(by_alias=True, exclude_none=True)
        same_shape(wire, recorded(turn, "response"))
        usage = answer.usage_metadata
        assert usage is not None and usage.cached_content_token_count == cache.usage_metadata.total_token_count
        assert usage.prompt_token_count == usage.cached_content_token_count + 8  # "What is the capital…": 8
        assert "system instruction: You are a geography expert" in answer.text  # the cache is the context
    client.caches.delete(cache.name)
    assert emu.requests[-1]["method"] == "DELETE" and emu.requests[-1]["path"] == f"/v1beta/{cache.name}"
    with pytest.raises(PermissionDeniedError, match="CachedContent not found"):
        client.generate("gemini-2.5-flash", dict(recorded(2, "request"), cachedContent=cache.name))


def _create(http: httpx.Client, **fields: Any) -> httpx.Response:
    return http.post("/cachedContents", json={"model": "models/gemini-2.5-flash", "contents": [user(DOC)], **fields})


def test_a_cache_lives_its_ttl_on_the_emulators_clock(http: httpx.Client, clock: Clock) -> None:
    made = _create(http, ttl="60s", displayName="doc").json()
    assert made["displayName"] == "doc" and made["usageMetadata"]["totalTokenCount"] >= 1024
    assert len(made["name"]) == len(recorded(1, "response")["name"])
    assert made["createTime"] == made["updateTime"] == "2027-01-15T08:00:00.000000Z"
    assert made["expireTime"] == "2027-01-15T08:01:00.000000Z"
    assert http.get(f"/{made['name']}").json() == made
    clock.now += 59
    assert http.get(f"/{made['name']}").status_code == 200
    extended = http.patch(f"/{made['name']}", params={"updateMask": "ttl"}, json={"ttl": "3600s"}).json()
    assert extended["expireTime"] == "2027-01-15T09:00:59.000000Z" and extended["updateTime"] != made["updateTime"]
    moved = http.patch(f"/{made['name']}", params={"updateMask": "expireTime"},
                       json={"expireTime": "2027-01-15T08:05:00Z"}).json()
    assert moved["expireTime"] == "2027-01-15T08:05:00.000000Z"
    clock.now += 300
    gone = http.get(f"/{made['name']}")
    assert gone.status_code == 403 and gone.json()["error"] == {
        "code": 403, "message": "CachedContent not found (or permission denied)", "status": "PERMISSION_DENIED"}
    assert http.get("/cachedContents").json() == {}


def test_lists_page_and_deletes_answer_empty(http: httpx.Client, clock: Clock) -> None:
    names = []
    for _ in range(5):
        names.append(_create(http).json()["name"])
        clock.now += 1
    first = http.get("/cachedContents", params={"pageSize": 2}).json()
    assert [c["name"] for c in first["cachedContents"]] == names[:2]
    seen = [c["name"] for c in first["cachedContents"]]
    token = first["nextPageToken"]
    while token:
        page = http.get("/cachedContents", params={"pageSize": 2, "pageToken": token}).json()
        seen += [c["name"] for c in page["cachedContents"]]
        token = page.get("nextPageToken")
    assert seen == names
    deleted = http.delete(f"/{names[0]}")
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert http.delete(f"/{names[0]}").status_code == 403
    client = CometGeminiClient(base_url=str(http.base_url).removesuffix("/v1beta/").removesuffix("/v1beta"))
    assert [c.name for c in client.caches.list(page_size=3)] == names[1:]


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"contents": [user("too short")]}, 400,
     "Cached content is too small. total_token_count=3, min_total_token_count=1024"),
    ({"model": "models/gemini-2.5-pro"}, 400, "min_total_token_count=4096"),
    ({"ttl": "60s", "expireTime": "2030-01-01T00:00:00Z"}, 400, "only one of ttl and expire_time"),
    ({"ttl": "soon"}, 400, "Illegal duration format"),
    ({"ttl": "0s"}, 400, "ttl must be positive"),
    ({"contents": None}, 400, "contents or system_instruction must be set"),
    ({"model": "gemini-2.5-flash"}, 400, "models/{model}"),
    ({"model": "models/nope-1"}, 404, "models/nope-1 is not found"),
    ({"colour": "blue"}, 400, 'Unknown name "colour"'),
])
def test_googles_refusals_on_create(http: httpx.Client, fields: dict[str, Any], status: int, message: str) -> None:
    response = _create(http, **fields)
    assert response.status_code == status and message in response.json()["error"]["message"], response.text


def test_updates_change_only_the_expiry(http: httpx.Client) -> None:
    name = _create(http).json()["name"]
    for params, body in (({"updateMask": "displayName"}, {"displayName": "x"}), ({}, {"ttl": "5s"}),
                         ({"updateMask": "ttl"}, {"expireTime": "2030-01-01T00:00:00Z"})):
        assert http.patch(f"/{name}", params=params, json=body).status_code == 400


def test_the_minimum_size_is_configurable(clock: Clock) -> None:
    with serve(EmulatorConfig(cache_min_tokens=0, clock=clock)) as server:
        client = CometGeminiClient(base_url=server.base_url)
        cache = client.caches.create("gemini-2.5-pro", system_instruction="Be brief.")
        assert cache.usage_metadata.total_token_count == 3  # "Be brief.": 9 characters, 3 tokens


def test_a_request_using_a_cache(emu: EmulatorServer, http: httpx.Client) -> None:
    tools = [{"functionDeclarations": [{"name": "get_weather", "parametersJsonSchema": {
        "type": "object", "properties": {"city": {"type": "string"}}}}]}]
    cache = _create(http, systemInstruction={"parts": [{"text": "Answer in French."}]}, tools=tools).json()
    question = {"contents": [user("What is the weather in Paris?")], "cachedContent": cache["name"]}
    data = http.post("/models/gemini-2.5-flash:generateContent", json=question).json()
    check_response(data)
    assert data["candidates"][0]["content"]["parts"][0]["functionCall"]["name"] == "get_weather"  # cached tools
    usage = data["usageMetadata"]
    cached = cache["usageMetadata"]["totalTokenCount"]
    assert usage["cachedContentTokenCount"] == cached
    assert usage["cacheTokensDetails"] == [{"modality": "TEXT", "tokenCount": cached}]
    assert usage["promptTokenCount"] == cached + 8  # the question: 29 characters, 8 tokens
    events = sse_events(http.post("/models/gemini-2.5-flash:streamGenerateContent", params={"alt": "sse"},
                                  json=question).text)
    check_stream(events)
    assert events[-1]["usageMetadata"]["cachedContentTokenCount"] == cached
    counted = http.post("/models/gemini-2.5-flash:countTokens", json={"generateContentRequest": {
        "model": "models/gemini-2.5-flash", **question}}).json()
    assert counted["totalTokens"] == usage["promptTokenCount"] and counted["cachedContentTokenCount"] == cached


@pytest.mark.parametrize(("extra", "model", "message"), [
    ({"systemInstruction": {"parts": [{"text": "x"}]}}, "gemini-2.5-flash",
     "CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config"),
    ({"tools": [{"googleSearch": {}}]}, "gemini-2.5-flash", "setting system_instruction, tools or tool_config"),
    ({"tool_config": {"functionCallingConfig": {"mode": "AUTO"}}}, "gemini-2.5-flash", "or tool_config"),
    ({}, "gemini-2.5-flash-lite", "and CachedContent (models/gemini-2.5-flash) has to be the same"),
])
def test_googles_refusals_on_use(http: httpx.Client, extra: dict[str, Any], model: str, message: str) -> None:
    name = _create(http).json()["name"]
    body = {"contents": [user("Hi")], "cachedContent": name, **extra}
    for path in (f"/models/{model}:generateContent", f"/models/{model}:streamGenerateContent?alt=sse"):
        response = http.post(path, json=body)
        assert response.status_code == 400 and message in response.json()["error"]["message"]


def test_an_unknown_cache_on_generate_is_403(http: httpx.Client) -> None:
    response = http.post("/models/gemini-2.5-flash:generateContent",
                         json={"contents": [user("Hi")], "cachedContent": "cachedContents/none"})
    assert response.status_code == 403 and response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_cache_routes_check_the_key_and_take_faults() -> None:
    with serve(api_key="k") as server, httpx.Client(base_url=f"{server.base_url}/v1beta") as http:
        assert http.get("/cachedContents").status_code == 401
        headers = {"x-goog-api-key": "k"}
        assert http.get("/cachedContents", headers=headers).status_code == 200
        faulted = http.get("/cachedContents", headers={**headers, "x-emulator-fault": "503"})
        assert faulted.status_code == 503
        client = CometGeminiClient("k", base_url=server.base_url, max_retries=2,
                                   default_headers={"x-emulator-fault": "503*2", "x-emulator-fault-key": "t"})
        assert client.caches.list() == []  # two 503s retried
        with pytest.raises(BadRequestError, match="too small"):
            CometGeminiClient("k", base_url=server.base_url).caches.create("gemini-2.5-flash", contents="hi")


def test_replay_serves_the_recorded_cache_exchange(fixtures: Path) -> None:
    with serve(EmulatorConfig(replay_dir=str(fixtures))) as server:
        client = CometGeminiClient(base_url=server.base_url)
        cache = client.caches.create("gemini-2.5-flash", contents="x", ttl=120)
        assert cache.model_dump(by_alias=True, exclude_unset=True) == recorded(1, "response")
        assert client.caches.get(cache.name).name == cache.name
        for turn in (2, 3):
            request = dict(recorded(turn, "request"), cachedContent=cache.name)
            answer = client.generate("gemini-2.5-flash", request).model_dump(by_alias=True, exclude_unset=True)
            assert answer == recorded(turn, "response")
        with httpx.Client(base_url=server.base_url) as http:
            deleted = http.delete(f"/v1beta/{cache.name}")
            assert deleted.json() == recorded(4, "response")
            assert deleted.headers["x-emulator-replay"] == EXCHANGE.format(4, "response")
            plain = http.post("/v1beta/models/gemini-2.5-flash:generateContent",
                              json={"contents": [user("hi")]}).headers["x-emulator-replay"]
            assert not plain.startswith("cachedContents_")
        assert json.loads((fixtures / EXCHANGE.format(4, "response")).read_text()) == {}


def test_the_command_line_sets_the_minimum_size() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "cometgemini.emulator", "--port", str(port), "--cache-min-tokens", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in process.stdout.readline().decode()
        client = CometGeminiClient(base_url=f"http://127.0.0.1:{port}", max_retries=8)  # retried until it listens
        assert client.caches.create("gemini-2.5-flash", contents="tiny").usage_metadata.total_token_count == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
