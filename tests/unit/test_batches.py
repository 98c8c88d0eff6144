"""``client.batches`` over scripted answers shaped as Google sends them (a long-running Operation whose metadata
is the batch): what create sends for each kind of input, waiting with backoff, and results (inline or a
downloaded JSONL file) turned into responses or the errors the live path raises."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cometgemini import (
    BadRequestError,
    BatchNotSucceededError,
    BatchState,
    CometGeminiClient,
    RateLimitError,
    ResourceNotFoundError,
    ResponseBlockedError,
    WaitTimeoutError,
    batch_jsonl,
)
from cometgemini._types import Content, GenerateContentRequest, Part

BASE = "https://gw.example"
META = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
OUT = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"


def _answer(text: str) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}}


def _operation(state: str, *, done: bool = False, response: dict[str, Any] | None = None,
               stats: dict[str, str] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"name": "batches/b1", "metadata": {
        "@type": META, "model": "models/gemini-2.5-flash", "displayName": "nightly", "state": state,
        "createTime": "2026-01-01T00:00:00Z", "batchStats": stats or {"requestCount": "2", "pendingRequestCount": "2"},
        "name": "batches/b1"}}
    if done:
        op["done"] = True
    if response is not None:
        op["response"] = {"@type": OUT, **response}
    return op


def _clients(handler: Any) -> tuple[CometGeminiClient, CometGeminiClient]:
    transport = httpx.MockTransport(handler)
    sync = CometGeminiClient("k", base_url=BASE, max_retries=0, http_client=httpx.Client(transport=transport))
    async_ = CometGeminiClient("k", base_url=BASE, max_retries=0,
                               http_async_client=httpx.AsyncClient(transport=transport))
    return sync, async_


def _recording(answers: list[dict[str, Any]]) -> tuple[list[httpx.Request], Any]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answers.pop(0) if len(answers) > 1 else answers[0])

    return seen, handler


REQUEST = {"contents": [{"role": "user", "parts": [{"text": "Why is the sky blue?"}]}]}


def test_create_sends_inline_keyed_and_file_batches() -> None:
    seen, handler = _recording([_operation("BATCH_STATE_PENDING")])
    sync, _ = _clients(handler)
    typed = GenerateContentRequest(contents=[Content(role="user", parts=[Part(text="A joke")])])
    job = sync.batches.create("models/gemini-2.5-flash", [REQUEST, typed], display_name="nightly")
    sync.batches.create("gemini-2.5-flash", {"sky": REQUEST, "joke": typed})
    sync.batches.create("gemini-2.5-flash", "files/in123")

    assert (job.name, job.state, job.done, job.model, job.display_name) == (
        "batches/b1", BatchState.PENDING, False, "models/gemini-2.5-flash", "nightly")
    assert job.batch_stats.request_count == 2 and not job.ended
    assert {r.url.path for r in seen} == {"/v1beta/models/gemini-2.5-flash:batchGenerateContent"}
    inline, keyed, from_file = (json.loads(r.content)["batch"] for r in seen)
    assert inline["displayName"] == "nightly"
    assert inline["inputConfig"]["requests"]["requests"] == [
        {"request": REQUEST}, {"request": {"contents": [{"role": "user", "parts": [{"text": "A joke"}]}]}}]
    assert [r["metadata"] for r in keyed["inputConfig"]["requests"]["requests"]] == [{"key": "sky"}, {"key": "joke"}]
    assert keyed["displayName"].startswith("cometgemini-batch-")
    assert from_file["inputConfig"] == {"fileName": "files/in123"}


@pytest.mark.parametrize(
    ("requests", "words"),
    [
        ([], "at least one request"),
        ([{"contents": []}], "request 0 has no contents"),
        ({"a": {"contents": "nope"}}, "request 'a' is not a GenerateContentRequest"),
        ("batches/x", "not a files name"),
        ([{"contents": [{"parts": [{"text": "x" * (21 * 2**20)}]}]}], "over the API's 20 MB"),
    ],
)
def test_bad_batches_fail_before_anything_is_sent(requests: Any, words: str) -> None:
    seen, handler = _recording([_operation("BATCH_STATE_PENDING")])
    sync, _ = _clients(handler)
    with pytest.raises(ValueError, match=words):
        sync.batches.create("gemini-2.5-flash", requests)
    assert seen == []


async def test_wait_polls_with_growing_waits_until_the_batch_ends() -> None:
    answers = [_operation("BATCH_STATE_PENDING"), _operation("BATCH_STATE_RUNNING"),
               _operation("BATCH_STATE_SUCCEEDED", done=True, response={"responsesFile": "files/out"})]
    seen, handler = _recording(list(answers))
    sync, async_ = _clients(handler)
    job = sync.batches.wait("b1", poll_interval=0)
    assert job.succeeded and job.ended and job.output is not None and job.output.responses_file == "files/out"
    assert len(seen) == 3 and {r.url.path for r in seen} == {"/v1beta/batches/b1"}

    _, handler = _recording([_operation("BATCH_STATE_RUNNING")])
    _, async_ = _clients(handler)
    with pytest.raises(WaitTimeoutError, match=r"batches/b1 is BATCH_STATE_RUNNING \(0 of 2 requests done\)"):
        await async_.batches.await_("b1", poll_interval=0, timeout=0)


def test_google_sdk_state_names_are_understood_too() -> None:
    _, handler = _recording([{"name": "batches/b1", "metadata": {"state": "JOB_STATE_CANCELLED"}}])
    sync, _ = _clients(handler)
    job = sync.batches.get("batches/b1")
    assert job.ended and not job.succeeded


def test_inline_results_become_responses_and_typed_errors_in_order() -> None:
    inline = {"inlinedResponses": {"inlinedResponses": [
        {"response": _answer("Rayleigh scattering."), "metadata": {"key": "sky"}},
        {"error": {"code": 8, "message": "quota"}, "metadata": {"key": "joke"}},
        {"response": {"promptFeedback": {"blockReason": "SAFETY"}}, "metadata": {"key": "bad"}},
        {"error": {"code": 3, "message": "bad schema"}},
    ]}}
    _, handler = _recording([_operation("BATCH_STATE_SUCCEEDED", done=True, response=inline)])
    sync, _ = _clients(handler)
    results = sync.batches.results("b1")
    assert [(r.index, r.key) for r in results] == [(0, "sky"), (1, "joke"), (2, "bad"), (3, None)]
    assert results[0].unwrap().text == "Rayleigh scattering."
    with pytest.raises(RateLimitError, match="batch request joke: quota"):
        results[1].unwrap()
    with pytest.raises(ResponseBlockedError, match="SAFETY"):
        results[2].unwrap()
    with pytest.raises(BadRequestError, match="INVALID_ARGUMENT"):
        results[3].unwrap()


async def test_file_results_are_downloaded_and_parsed_line_by_line() -> None:
    lines = [json.dumps({"key": "b", "response": _answer("two")}), "",
             json.dumps({"key": "a", "error": {"code": 13, "message": "internal"}}), json.dumps(_answer("bare"))]
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.startswith("/download/"):
            return httpx.Response(200, content="\n".join(lines).encode())
        metadata = _operation("BATCH_STATE_SUCCEEDED", done=True)
        metadata["metadata"]["output"] = {"responsesFile": "files/out"}  # where Google's SDK reads it
        return httpx.Response(200, json=metadata)

    _, async_ = _clients(handler)
    results = await async_.batches.aresults("batches/b1")
    assert [(r.key, r.response is not None, r.error is not None) for r in results] == [
        ("b", True, False), ("a", False, True), (None, True, False)]
    assert calls[-1].url.path == "/download/v1beta/files/out:download" and calls[-1].url.params["alt"] == "media"
    assert results[2].unwrap().text == "bare"


def test_results_of_a_batch_that_did_not_succeed_say_why() -> None:
    failed = _operation("BATCH_STATE_FAILED", done=True)
    failed["error"] = {"code": 3, "message": "the input file is not JSONL"}
    _, handler = _recording([failed])
    sync, _ = _clients(handler)
    with pytest.raises(BatchNotSucceededError, match=r"BATCH_STATE_FAILED: the input file is not JSONL"):
        sync.batches.results("b1")
    _, handler = _recording([_operation("BATCH_STATE_RUNNING")])
    sync, _ = _clients(handler)
    with pytest.raises(BatchNotSucceededError, match=r"wait for it \(batches.wait\)"):
        sync.batches.results("b1")


def test_list_cancel_and_delete() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1beta/batches":
            token = request.url.params.get("pageToken")
            if token is None:
                return httpx.Response(200, json={"operations": [_operation("BATCH_STATE_RUNNING")],
                                                 "nextPageToken": "t"})
            return httpx.Response(200, json={"operations": [_operation("BATCH_STATE_SUCCEEDED", done=True)]})
        return httpx.Response(200, json={})

    sync, _ = _clients(handler)
    assert [j.state for j in sync.batches.list()] == [BatchState.RUNNING, BatchState.SUCCEEDED]
    sync.batches.cancel("b1")
    sync.batches.delete("batches/b1")
    assert [(r.method, r.url.path) for r in seen[2:]] == [("POST", "/v1beta/batches/b1:cancel"),
                                                          ("DELETE", "/v1beta/batches/b1")]


def test_jsonl_input_lines_carry_keys() -> None:
    data = batch_jsonl([REQUEST, REQUEST])
    assert [json.loads(line) for line in data.splitlines()] == [{"key": "0", "request": REQUEST},
                                                                {"key": "1", "request": REQUEST}]
    assert json.loads(batch_jsonl({"x": REQUEST}).splitlines()[0])["key"] == "x"


def test_a_gateway_without_batch_mode_says_so() -> None:
    body = {"error": {"message": "Invalid URL (POST /v1beta/models/gemini-2.5-flash:batchGenerateContent)",
                      "type": "comet_api_error", "code": ""}}
    sync, _ = _clients(lambda request: httpx.Response(404, json=body))
    with pytest.raises(ResourceNotFoundError, match=r"batches is not served at https://gw\.example"):
        sync.batches.create("gemini-2.5-flash", [REQUEST])
    with pytest.raises(ResourceNotFoundError, match=r"base_url='https://generativelanguage\.googleapis\.com'"):
        sync.batches.get("b1")
