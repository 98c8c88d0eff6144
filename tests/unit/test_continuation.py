"""Long answers: ``finishReason: "CONTINUATION"`` followed by ``generate`` and ``stream`` (sync and async) through
httpx.MockTransport: the same request again with the token at the top level, the hops merged into one answer
(parts in order, signatures kept, usage summed), and the bound and the off switch visible in the result."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from cometgemini import CometGeminiClient, StreamAccumulator
from cometgemini._types import GenerateContentRequest, GenerateContentResponse

REQUEST = {"contents": [{"role": "user", "parts": [{"text": "Write a long story"}]}],
           "generationConfig": {"maxOutputTokens": 100000}}


def hop(n: int, last: int, text: str) -> dict[str, Any]:
    """Hop ``n`` of ``last + 1``: signed text; all but the last end in CONTINUATION with a token."""
    part = {"text": text, "thoughtSignature": f"c2ln{n}"}
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [part]}, "index": 0,
                                 "finishReason": "STOP" if n == last else "CONTINUATION"}
    if n < last:
        candidate["continuationToken"] = f"tok-{n + 1}"
    usage = {"promptTokenCount": 10 + n * 5, "candidatesTokenCount": 5, "thoughtsTokenCount": 2,
             "totalTokenCount": 17 + n * 5, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10 + n * 5}]}
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-4", "responseId": f"r{n}"}


def sse(answer: dict[str, Any]) -> bytes:
    """One hop as a stream: a text delta per word, the finish data on the last event, usage in each."""
    candidate = answer["candidates"][0]
    words = candidate["content"]["parts"][0]["text"].split(" ")
    events = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        part: dict[str, Any] = {"text": word + ("" if last else " ")}
        if i == 0:
            part["thoughtSignature"] = candidate["content"]["parts"][0]["thoughtSignature"]
        event_candidate: dict[str, Any] = {"content": {"role": "model", "parts": [part]}, "index": 0}
        if last:
            event_candidate.update({k: v for k, v in candidate.items() if k in ("finishReason", "continuationToken")})
        usage = dict(answer["usageMetadata"], candidatesTokenCount=i + 1)
        events.append({"candidates": [event_candidate], "usageMetadata": usage, "responseId": answer["responseId"]})
    return b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)


class Hops:
    """Answers the hop a request asks for (its continuationToken; JSON or SSE by path), keeping every request."""

    def __init__(self, *texts: str) -> None:
        self.answers = [hop(i, len(texts) - 1, t) for i, t in enumerate(texts)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content).get("continuationToken")
        answer = self.answers[int(token.removeprefix("tok-")) if token else 0]
        self.requests.append(request)
        if "stream" in request.url.path:
            return httpx.Response(200, content=sse(answer), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=answer)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def clients(server: Hops, **options: Any) -> tuple[CometGeminiClient, CometGeminiClient]:
    transport = httpx.MockTransport(server)
    return (CometGeminiClient("k", base_url="https://g.example", http_client=httpx.Client(transport=transport),
                              **options),
            CometGeminiClient("k", base_url="https://g.example",
                              http_async_client=httpx.AsyncClient(transport=transport), **options))


TEXTS = ("Once upon a time", "there was a", "long story.")


def check_merged(answer: GenerateContentResponse) -> None:
    candidate = answer.candidates[0]
    assert answer.text == "Once upon a timethere was along story."
    assert [p.thought_signature for p in candidate.content.parts] == ["c2ln0", "c2ln1", "c2ln2"]
    assert candidate.finish_reason == "STOP" and candidate.continuation_token is None
    usage = answer.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.thoughts_token_count,
            usage.total_token_count) == (45, 15, 6, 66)
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details[0].token_count == 45
    assert answer.response_id == "r0" and answer.model_version == "gemini-4"


def check_requests(server: Hops, count: int, stream: bool) -> None:
    bodies = server.bodies
    assert len(bodies) == count and bodies[0] == REQUEST
    for n, body in enumerate(bodies[1:], start=1):
        assert body == {**REQUEST, "continuationToken": f"tok-{n}"}
    method = "streamGenerateContent" if stream else "generateContent"
    assert all(r.url.path == f"/v1beta/models/gemini-4:{method}" for r in server.requests)


async def test_generate_follows_every_hop_and_merges_them() -> None:
    server = Hops(*TEXTS)
    sync, async_ = clients(server)
    check_merged(sync.generate("gemini-4", REQUEST))
    check_requests(server, 3, stream=False)
    server.requests.clear()
    check_merged(await async_.agenerate("gemini-4", GenerateContentRequest.model_validate(REQUEST)))
    check_requests(server, 3, stream=False)


def check_stream(chunks: list[GenerateContentResponse]) -> None:
    finished = [c for c in chunks if c.candidates[0].finish_reason]
    assert finished == [chunks[-1]]  # no consumer sees a hop's end as the end
    assert all(c.candidates[0].continuation_token is None for c in chunks)
    assert {c.response_id for c in chunks} == {"r0"}
    totals = [c.usage_metadata.total_token_count for c in chunks if c.usage_metadata]
    assert totals == sorted(totals)
    accumulated = StreamAccumulator()
    for chunk in chunks:
        accumulated.add(chunk)
    merged = accumulated.result()
    assert merged.text == "Once upon a timethere was along story."
    assert merged.usage_metadata is not None
    assert (merged.usage_metadata.prompt_token_count, merged.usage_metadata.total_token_count) == (45, 66)
    assert [p.thought_signature for p in merged.candidates[0].content.parts if p.thought_signature] == [
        "c2ln0", "c2ln1", "c2ln2"]


async def test_streams_run_on_across_hops_as_one_stream() -> None:
    server = Hops(*TEXTS)
    sync, async_ = clients(server)
    check_stream(list(sync.stream("gemini-4", REQUEST)))
    check_requests(server, 3, stream=True)
    server.requests.clear()
    check_stream([c async for c in async_.astream("gemini-4", REQUEST)])
    check_requests(server, 3, stream=True)


async def test_off_switch_returns_the_first_hop_with_its_token(caplog: pytest.LogCaptureFixture) -> None:
    server = Hops(*TEXTS)
    sync, async_ = clients(server, max_continuations=0)
    with caplog.at_level(logging.WARNING, logger="cometgemini"):
        for answer in (sync.generate("gemini-4", REQUEST), await async_.agenerate("gemini-4", REQUEST)):
            assert answer.text == "Once upon a time"
            assert answer.candidates[0].finish_reason == "CONTINUATION"
            assert answer.candidates[0].continuation_token == "tok-1"
        chunks = list(sync.stream("gemini-4", REQUEST))
    assert chunks[-1].candidates[0].finish_reason == "CONTINUATION"
    assert chunks[-1].candidates[0].continuation_token == "tok-1"
    assert len(server.requests) == 3 and not caplog.records  # off is a choice, not a warning
    server.requests.clear()
    default_on = CometGeminiClient("k", base_url="https://g.example",
                                   http_client=httpx.Client(transport=httpx.MockTransport(server)))
    assert default_on.generate("gemini-4", REQUEST, max_continuations=0).candidates[0].continuation_token == "tok-1"
    assert sync.generate("gemini-4", REQUEST, max_continuations=5).candidates[0].finish_reason == "STOP"


async def test_the_bound_leaves_the_answer_visibly_unfinished(caplog: pytest.LogCaptureFixture) -> None:
    server = Hops(*TEXTS)
    sync, async_ = clients(server, max_continuations=1)
    with caplog.at_level(logging.WARNING, logger="cometgemini"):
        answer = sync.generate("gemini-4", REQUEST)
        chunks = [c async for c in async_.astream("gemini-4", REQUEST)]
    assert answer.text == "Once upon a timethere was a"
    assert answer.candidates[0].finish_reason == "CONTINUATION"
    assert answer.candidates[0].continuation_token == "tok-2"  # enough to ask for the rest by hand
    assert answer.usage_metadata is not None and answer.usage_metadata.total_token_count == 39
    assert chunks[-1].candidates[0].finish_reason == "CONTINUATION"
    assert chunks[-1].candidates[0].continuation_token == "tok-2"
    assert len(server.requests) == 4
    assert sum("max_continuations=1" in r.getMessage() for r in caplog.records) == 2
    rest = sync.generate("gemini-4", {**REQUEST, "continuationToken": "tok-2"})
    assert server.bodies[-1]["continuationToken"] == "tok-2" and rest.text


def test_a_continuation_that_cannot_be_followed_is_left_visible(caplog: pytest.LogCaptureFixture) -> None:
    server = Hops(*TEXTS)
    del server.answers[0]["candidates"][0]["continuationToken"]
    sync, _ = clients(server)
    with caplog.at_level(logging.WARNING, logger="cometgemini"):
        answer = sync.generate("gemini-4", REQUEST)
    assert answer.candidates[0].finish_reason == "CONTINUATION" and len(server.requests) == 1
    assert "no continuationToken" in caplog.text


def test_the_setting_is_checked() -> None:
    with pytest.raises(ValueError, match="max_continuations must be an integer >= 0"):
        CometGeminiClient("k", base_url="https://g.example", max_continuations=-1)
    server = Hops(*TEXTS)
    client = CometGeminiClient("k", base_url="https://g.example",
                               http_client=httpx.Client(transport=httpx.MockTransport(server)))
    with pytest.raises(ValueError, match="max_continuations"):
        client.generate("gemini-4", REQUEST, max_continuations=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_continuations"):
        next(client.stream("gemini-4", REQUEST, max_continuations=-2))
    assert server.requests == []  # refused before sending
