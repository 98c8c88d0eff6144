"""``client.caches`` through httpx.MockTransport: every operation, sync and async, as it goes on the wire and as
its answer is read; bad input refused before sending; gateways that do not serve caches; and requests that
use a cache made to fit it (what it holds left out, clashes refused before sending)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from cometgemini import (
    CachedContent,
    CometGeminiClient,
    NotFoundError,
    PermissionDeniedError,
    ResourceNotFoundError,
    ResourceNotSupportedError,
)
from cometgemini._types import GenerateContentRequest
from tests._fixtures import load_json

CREATED = load_json("cachedContents_create_use_delete_gemini-2.5-flash.turn1.response.json")
USED = load_json("cachedContents_create_use_delete_gemini-2.5-flash.turn2.response.json")
DOC = "Paris is the capital of France. " * 10
GONE = {"error": {"code": 403, "message": "CachedContent not found (or permission denied)",
                  "status": "PERMISSION_DENIED"}}


class Server:
    """Scripted answers in order (the last repeats); every request kept."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, httpx.Response):  # a fresh copy: a response is read once, sync or async
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        return httpx.Response(200, json=answer)

    def body(self, i: int = -1) -> Any:
        return json.loads(self.requests[i].content)


def clients(server: Callable[[httpx.Request], httpx.Response], base: str = "https://generativelanguage.googleapis.com",
            ) -> tuple[CometGeminiClient, CometGeminiClient]:
    transport = httpx.MockTransport(server)
    return (CometGeminiClient("k", base_url=base, max_retries=0, http_client=httpx.Client(transport=transport)),
            CometGeminiClient("k", base_url=base, max_retries=0,
                              http_async_client=httpx.AsyncClient(transport=transport)))


async def test_create_sends_the_recorded_shape_and_reads_the_recorded_answer() -> None:
    server = Server(CREATED)
    sync, async_ = clients(server)
    tools = [{"functionDeclarations": [{"name": "lookup", "parametersJsonSchema": {"type": "object"}}]}]
    options: dict[str, Any] = dict(contents=[DOC], system_instruction="You are a geography expert.", tools=tools,
                                   tool_config={"functionCallingConfig": {"mode": "ANY"}}, ttl=120,
                                   display_name="geo")
    made = [sync.caches.create("gemini-2.5-flash", **options),
            await async_.caches.acreate("models/gemini-2.5-flash", **options)]
    for cache in made:
        assert isinstance(cache, CachedContent)
        assert cache.name == "cachedContents/7lf5him5ev4iemi1yjv2gwli5bhpz3yidzejwllo"
        assert cache.usage_metadata.total_token_count == 3512 and cache.model == "models/gemini-2.5-flash"
        assert cache.expires_at == datetime(2026, 5, 28, 14, 47, 16, 701652, tzinfo=timezone.utc)
    for request in server.requests:
        assert (request.method, request.url.path, request.url.query) == ("POST", "/v1beta/cachedContents", b"")
        assert request.headers["x-goog-api-key"] == "k"
    assert server.body(0) == server.body(1) == {
        "model": "models/gemini-2.5-flash", "displayName": "geo",
        "contents": [{"role": "user", "parts": [{"text": DOC}]}],
        "systemInstruction": {"parts": [{"text": "You are a geography expert."}]},
        "tools": tools, "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}, "ttl": "120s"}


def test_expiry_by_time_or_timedelta() -> None:
    server = Server(CREATED)
    sync, _ = clients(server)
    when = datetime.now(timezone(timedelta(hours=2))) + timedelta(hours=1)
    sync.caches.create("gemini-2.5-flash", contents=DOC, expire_time=when)
    sent = server.body()["expireTime"]
    assert "ttl" not in server.body() and sent.endswith("Z")
    assert datetime.fromisoformat(sent.replace("Z", "+00:00")) == when
    sync.caches.create("gemini-2.5-flash", contents=DOC, ttl=timedelta(minutes=1, milliseconds=500))
    assert server.body()["ttl"] == "60.5s"
    sync.caches.create("gemini-2.5-flash", system_instruction={"parts": [{"text": DOC}]})
    assert "ttl" not in server.body() and "contents" not in server.body()  # Google's default: one hour


@pytest.mark.parametrize(("options", "match"), [
    ({"contents": [], "ttl": 60}, "contents is empty"),
    ({}, "nothing to cache"),
    ({"contents": ["  "]}, r"contents\[0\] is empty"),
    ({"contents": DOC, "ttl": -5}, "ttl must be positive"),
    ({"contents": DOC, "ttl": 0}, "ttl must be positive"),
    ({"contents": DOC, "ttl": True}, "ttl must be seconds"),
    ({"contents": DOC, "ttl": 60, "expire_time": datetime.now(timezone.utc) + timedelta(hours=1)}, "not both"),
    ({"contents": DOC, "expire_time": datetime.now() + timedelta(hours=1)}, "timezone-aware"),
    ({"contents": DOC, "expire_time": datetime.now(timezone.utc) - timedelta(seconds=1)}, "in the past"),
    ({"contents": DOC, "expire_time": "tomorrow"}, "RFC 3339"),
    ({"contents": DOC, "display_name": "x" * 129}, "128"),
])
async def test_bad_input_is_refused_before_sending(options: dict[str, Any], match: str) -> None:
    server = Server(CREATED)
    sync, async_ = clients(server)
    with pytest.raises(ValueError, match=match):
        sync.caches.create("gemini-2.5-flash", **options)
    with pytest.raises(ValueError, match=match):
        await async_.caches.acreate("gemini-2.5-flash", **options)
    with pytest.raises(ValueError, match="invalid model id"):
        sync.caches.create("", contents=DOC)
    assert server.requests == []


async def test_get_list_update_delete_on_the_wire() -> None:
    page2 = {"cachedContents": [dict(CREATED, name="cachedContents/c")]}
    server = Server(CREATED, {"cachedContents": [CREATED, dict(CREATED, name="cachedContents/b")],
                              "nextPageToken": "t2"}, page2, dict(CREATED, expireTime="2026-05-28T15:00:00Z"), {},
                    CREATED, {"cachedContents": [CREATED], "nextPageToken": "t2"}, page2,
                    dict(CREATED, expireTime="2026-05-28T15:00:00Z"), {})
    sync, async_ = clients(server)
    assert sync.caches.get("7lf5").name == CREATED["name"]
    assert [c.name for c in sync.caches.list(page_size=2)][1:] == ["cachedContents/b", "cachedContents/c"]
    assert sync.caches.update("cachedContents/7lf5", ttl=600).expire_time == "2026-05-28T15:00:00Z"
    assert sync.caches.delete("7lf5") is None
    assert (await async_.caches.aget("cachedContents/7lf5")).name == CREATED["name"]
    assert len(await async_.caches.alist()) == 2
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert (await async_.caches.aupdate("7lf5", expire_time=when)).expire_time == "2026-05-28T15:00:00Z"
    assert await async_.caches.adelete("7lf5") is None
    seen = [(r.method, r.url.path, dict(r.url.params)) for r in server.requests]
    name = "/v1beta/cachedContents/7lf5"
    assert seen == [
        ("GET", name, {}), ("GET", "/v1beta/cachedContents", {"pageSize": "2"}),
        ("GET", "/v1beta/cachedContents", {"pageSize": "2", "pageToken": "t2"}),
        ("PATCH", name, {"updateMask": "ttl"}), ("DELETE", name, {}),
        ("GET", name, {}), ("GET", "/v1beta/cachedContents", {}),
        ("GET", "/v1beta/cachedContents", {"pageToken": "t2"}),
        ("PATCH", name, {"updateMask": "expireTime"}), ("DELETE", name, {})]
    assert server.body(3) == {"ttl": "600s"}
    assert server.body(8) == {"expireTime": "2030-01-01T00:00:00.000000Z"}
    assert [r.content for i, r in enumerate(server.requests) if i not in (3, 8)] == [b""] * 8


async def test_update_needs_exactly_one_expiry_and_lists_need_a_sane_page_size() -> None:
    server = Server(CREATED)
    sync, async_ = clients(server)
    with pytest.raises(ValueError, match="pass ttl="):
        sync.caches.update("abc")
    with pytest.raises(ValueError, match="not both"):
        await async_.caches.aupdate("abc", ttl=5, expire_time=datetime.now(timezone.utc) + timedelta(days=1))
    with pytest.raises(ValueError, match="page_size"):
        sync.caches.list(page_size=0)
    with pytest.raises(ValueError, match="not a cachedContents name"):
        sync.caches.get("files/abc")
    assert server.requests == []


def test_an_empty_list_is_an_empty_answer() -> None:
    sync, _ = clients(Server({}))
    assert sync.caches.list() == []


@pytest.mark.parametrize("response", [
    httpx.Response(404, text="Not Found"),
    httpx.Response(404, json={"error": {"message": "Invalid URL (request id: x)", "type": "comet_api_error",
                                        "code": ""}}),
    httpx.Response(200, text="<!doctype html><html>console</html>", headers={"content-type": "text/html"}),
])
async def test_a_gateway_without_caches_says_so(response: httpx.Response) -> None:
    sync, async_ = clients(Server(response), "https://api.cometapi.com")
    for call in (lambda: sync.caches.create("gemini-2.5-flash", contents=DOC), sync.caches.list):
        with pytest.raises(ResourceNotSupportedError) as raised:
            call()
        assert "cachedContents is not served at https://api.cometapi.com" in str(raised.value)
        assert "base_url='https://generativelanguage.googleapis.com'" in str(raised.value)
    with pytest.raises(ResourceNotSupportedError):
        await async_.caches.aget("abc")
    if response.status_code == 404:
        with pytest.raises(ResourceNotFoundError):
            sync.caches.delete("abc")
        with pytest.raises(NotFoundError):  # still the core class it replaces
            sync.caches.delete("abc")


async def test_a_cache_that_is_gone_is_googles_403_with_advice() -> None:
    sync, async_ = clients(Server(httpx.Response(403, json=GONE)))
    with pytest.raises(PermissionDeniedError, match="expired or was deleted") as raised:
        sync.caches.get("abc")
    assert not isinstance(raised.value, ResourceNotSupportedError)
    with pytest.raises(PermissionDeniedError, match="CachedContent not found"):
        await async_.caches.aupdate("abc", ttl=60)


# ------------------------------------------------------------------------------------------- using a cache


def _request(**fields: Any) -> GenerateContentRequest:
    return GenerateContentRequest.model_validate(
        {"contents": [{"role": "user", "parts": [{"text": "Capital?"}]}], **fields})


TOOLS = [{"functionDeclarations": [{"name": "lookup", "parametersJsonSchema": {"type": "object"}}]}]


def _cache(server: Server, client: CometGeminiClient, name: str, **options: Any) -> str:
    server.answers = [dict(CREATED, name=name), USED]
    return client.caches.create("gemini-2.5-flash", contents=DOC, **options).name


async def test_what_the_cache_holds_is_left_out_of_the_request() -> None:
    server = Server(CREATED)
    sync, async_ = clients(server)
    name = _cache(server, sync, "cachedContents/held1", system_instruction="Be terse.", tools=TOOLS)
    request = _request(cachedContent=name, systemInstruction={"role": "user", "parts": [{"text": "Be terse."}]},
                       tools=TOOLS, toolConfig={"functionCallingConfig": {"mode": "AUTO"}})
    assert sync.generate("gemini-2.5-flash", request).text == "Paris."
    await async_.agenerate("models/gemini-2.5-flash", request)
    server.answers = [{"totalTokens": 3520, "cachedContentTokenCount": 3512}]
    assert sync.count_tokens("gemini-2.5-flash", request).cached_content_token_count == 3512
    wanted = {"contents": [{"role": "user", "parts": [{"text": "Capital?"}]}], "cachedContent": name}
    assert server.body(-3) == server.body(-2) == wanted
    assert server.body(-1) == {"generateContentRequest": {**wanted, "model": "models/gemini-2.5-flash"}}
    assert request.system_instruction is not None  # the caller's request is not changed


@pytest.mark.parametrize(("fields", "match"), [
    ({"systemInstruction": {"parts": [{"text": "Be verbose."}]}},
     r"a system instruction \(system message\) other than the one in the cache"),
    ({"tools": [{"googleSearch": {}}]}, "sets tools the cache does not hold"),
    ({"toolConfig": {"functionCallingConfig": {"mode": "ANY"}}},
     r"sets a tool config \(tool_choice\) the cache does not hold"),
])
async def test_a_clash_with_the_cache_is_refused_before_sending(fields: dict[str, Any], match: str) -> None:
    server = Server(CREATED)
    sync, async_ = clients(server)
    name = _cache(server, sync, "cachedContents/held2", system_instruction="Be terse.")
    sent = len(server.requests)
    with pytest.raises(ValueError, match=match):
        sync.generate("gemini-2.5-flash", _request(cachedContent=name, **fields))
    with pytest.raises(ValueError, match=match):
        await async_.agenerate("gemini-2.5-flash", _request(cachedContent=name, **fields))
    with pytest.raises(ValueError, match=match):
        list(sync.stream("gemini-2.5-flash", _request(cachedContent=name, **fields)))
    with pytest.raises(ValueError, match=r"gemini-2\.5-flash, and this call uses gemini-2\.5-pro"):
        sync.generate("gemini-2.5-pro", _request(cachedContent=name))
    assert len(server.requests) == sent


def test_an_unknown_cache_cannot_be_fitted_so_a_clash_is_an_error() -> None:
    server = Server(USED)
    sync, _ = clients(server)
    with pytest.raises(ValueError, match="refuses cached_content together with a system instruction") as raised:
        sync.generate("gemini-2.5-flash", _request(cachedContent="cachedContents/elsewhere",
                                                   systemInstruction={"parts": [{"text": "x"}]}))
    assert "create_context_cache" in str(raised.value) and server.requests == []
    sync.generate("gemini-2.5-flash", _request(cachedContent="cachedContents/elsewhere",
                                               toolConfig={"functionCallingConfig": {"mode": "AUTO"}}))
    assert server.body() == {"contents": [{"role": "user", "parts": [{"text": "Capital?"}]}],
                             "cachedContent": "cachedContents/elsewhere"}


def test_a_deleted_cache_is_forgotten() -> None:
    server = Server(CREATED)
    sync, _ = clients(server)
    name = _cache(server, sync, "cachedContents/held3", system_instruction="Be terse.")
    server.answers = [{}]
    sync.caches.delete(name)
    with pytest.raises(ValueError, match="was not created by this process"):
        sync.generate("gemini-2.5-flash", _request(cachedContent=name,
                                                   systemInstruction={"parts": [{"text": "Be terse."}]}))
