"""The shared machinery of the API's resources (caches, files, batches): a flow written once runs on both
drivers with the client's retries, per-call headers reach the wire, lists walk every page, and a gateway
that does not serve a resource gets an error that says so (while Google's own 404 stays a NotFoundError).

The resources themselves are tested through ``client.caches`` / ``.files`` / ``.batches``; these tests pin
the base they share, with a small resource of their own."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from cometgemini import CometGeminiClient, MalformedResponseError, NotFoundError
from cometgemini._resources import (
    Flow,
    Resource,
    ResourceEndpointError,
    ResourceMalformedResponseError,
    ResourceNotFoundError,
    ResourceNotSupportedError,
    Sleep,
    duration,
    parse_answer,
    resource_name,
)


class Widget(BaseModel):
    name: str


class Widgets(Resource):
    collection = "widgets"

    def _get(self, name: str) -> Flow[Widget]:
        answer = yield self.call("GET", resource_name(name, "widgets"), headers={"x-goog-upload-command": "start"})
        return parse_answer(Widget, answer)

    def get(self, name: str) -> Widget:
        return self.run(self._get(name))

    async def aget(self, name: str) -> Widget:
        return await self.arun(self._get(name))

    def _list(self) -> Flow[list[Widget]]:
        return self.pages("widgets", {"pageSize": 2}, "widgets", Widget)

    def list(self) -> list[Widget]:
        return self.run(self._list())

    def _polled(self) -> Flow[int]:
        polls = 0
        while True:
            answer = yield self.call("GET", "widgets/w1")
            polls += 1
            if json.loads(answer.content).get("done"):
                return polls
            yield Sleep(0)

    def wait(self) -> int:
        return self.run(self._polled())


def _clients(handler: Any) -> tuple[CometGeminiClient, CometGeminiClient]:
    transport = httpx.MockTransport(handler)
    sync = CometGeminiClient("k", base_url="https://gw.example", max_retries=1,
                             http_client=httpx.Client(transport=transport))
    async_ = CometGeminiClient("k", base_url="https://gw.example", max_retries=1,
                               http_async_client=httpx.AsyncClient(transport=transport))
    return sync, async_


async def test_one_flow_runs_on_both_drivers_with_call_headers_and_retries() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) % 2 == 1:
            return httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE", "message": "busy"}})
        return httpx.Response(200, json={"name": "widgets/w1"})

    sync, async_ = _clients(handler)
    assert sync.config and Widgets(sync).get("w1") == Widget(name="widgets/w1")
    assert await Widgets(async_).aget("widgets/w1") == Widget(name="widgets/w1")
    assert len(seen) == 4  # each driver retried the 503 once
    for request in seen:
        assert request.url == "https://gw.example/v1beta/widgets/w1"
        assert request.headers["x-goog-upload-command"] == "start"
        assert request.headers["x-goog-api-key"] == "k"
        assert request.headers.get_list("content-type") == ["application/json"]


def test_lists_walk_every_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken")
        assert request.url.params["pageSize"] == "2"
        page = {None: ({"widgets": [{"name": "a"}, {"name": "b"}], "nextPageToken": "t2"}),
                "t2": {"widgets": [{"name": "c"}]}}[token]
        return httpx.Response(200, json=page)

    sync, _ = _clients(handler)
    assert [w.name for w in Widgets(sync).list()] == ["a", "b", "c"]


def test_sleep_steps_poll_until_done() -> None:
    answers = iter([{"done": False}, {"done": False}, {"done": True}])
    sync, _ = _clients(lambda request: httpx.Response(200, json=next(answers)))
    assert Widgets(sync).wait() == 3


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(404, text="Not Found"), ResourceNotFoundError),
        (httpx.Response(404, json={"error": {"message": "Invalid URL (request id: x)", "type": "comet_api_error",
                                             "code": ""}}), ResourceNotFoundError),
        (httpx.Response(405, text="Method Not Allowed"), ResourceEndpointError),
        (httpx.Response(301, headers={"location": "https://www.example/"}), ResourceEndpointError),
        (httpx.Response(410, text="<html><body>gone</body></html>", headers={"content-type": "text/html"}),
         ResourceEndpointError),
        (httpx.Response(200, text="<!doctype html><html>console</html>", headers={"content-type": "text/html"}),
         ResourceMalformedResponseError),
    ],
)
def test_a_gateway_that_does_not_serve_the_resource_says_so(response: httpx.Response, error: type) -> None:
    sync, _ = _clients(lambda request: response)
    with pytest.raises(error) as raised:
        Widgets(sync).get("w1")
    assert isinstance(raised.value, ResourceNotSupportedError)
    message = str(raised.value)
    assert "widgets is not served at https://gw.example" in message
    assert "generativelanguage.googleapis.com" in message and "'k'" not in message


def test_googles_own_not_found_stays_a_not_found() -> None:
    body = {"error": {"code": 404, "message": "CachedContent not found (or permission denied)", "status": "NOT_FOUND"}}
    sync, _ = _clients(lambda request: httpx.Response(404, json=body))
    with pytest.raises(NotFoundError) as raised:
        Widgets(sync).get("w1")
    assert not isinstance(raised.value, ResourceNotSupportedError)
    assert "CachedContent not found" in str(raised.value)


def test_a_json_200_that_is_not_the_resource_is_malformed_not_unserved() -> None:
    sync, _ = _clients(lambda request: httpx.Response(200, json={"unexpected": True}))
    with pytest.raises(MalformedResponseError) as raised:
        Widgets(sync).get("w1")
    assert not isinstance(raised.value, ResourceNotSupportedError)


def test_names_and_durations() -> None:
    assert resource_name("abc", "cachedContents") == "cachedContents/abc"
    assert resource_name(" cachedContents/abc ", "cachedContents") == "cachedContents/abc"
    for bad in ("", "files/abc", "cachedContents/a/b", "cachedContents/"):
        with pytest.raises(ValueError, match="cachedContents"):
            resource_name(bad, "cachedContents")
    assert duration(3600) == "3600s"
    assert duration(timedelta(minutes=1, milliseconds=500)) == "60.5s"
    with pytest.raises(ValueError, match="positive"):
        duration(0)
