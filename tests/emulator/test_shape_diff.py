"""The shape comparison itself (``cometgemini.emulator._conformance``) and the exchange runner, on small
hand-made answers: each rule can fail."""

from __future__ import annotations

import json
from typing import Any

import httpx

from cometgemini.emulator._conformance import (
    GOOGLE_SSE_FRAMING,
    Answer,
    compare_answers,
    compare_shapes,
    format_reports,
    normalize_message,
    part_kind,
    shape_of,
    sse_framing,
)
from cometgemini.emulator._exchanges import INVALID_KEY, Exchange, Turn, answer_from_response, check_exchange


def _answer(parts: list[dict[str, Any]], **candidate: Any) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": parts}, **candidate}],
            "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 5}, "modelVersion": "m", "responseId": "r"}


def _sse(*events: Any, line_end: str = "\r\n", separators: tuple[str, str] = (",", ": ")) -> bytes:
    return "".join(f"data: {json.dumps(e, separators=separators)}{line_end}{line_end}" for e in events).encode()


def _stream(*events: Any, **kw: Any) -> Answer:
    raw = _sse(*events, **kw)
    return answer_from_response(200, "text/event-stream", raw)


def test_shape_splits_parts_by_kind_and_details_by_type() -> None:
    body = _answer([{"text": "a", "thought": True}, {"text": "b", "thoughtSignature": "c2ln"},
                    {"functionCall": {"name": "f", "args": {"deep": {"x": 1}}}}, {"thoughtSignature": "c2ln"}])
    shape = shape_of(body)
    assert shape["candidates[].content.parts[thought].thought"] == {"boolean"}
    assert shape["candidates[].content.parts[text].thoughtSignature"] == {"string"}
    assert shape["candidates[].content.parts[functionCall].functionCall.args"] == {"object"}
    assert "candidates[].content.parts[functionCall].functionCall.args.deep" not in shape  # free-form
    assert shape["candidates[].content.parts[-].thoughtSignature"] == {"string"}
    error = {"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]}}
    assert shape_of(error)["error.details[@RetryInfo].retryDelay"] == {"string"}
    assert part_kind({"executableCode": {}, "thoughtSignature": "x"}) == "executableCode"


def test_verdicts_same_missing_extra_and_type() -> None:
    rows = {r.path: r.verdict for r in compare_shapes(shape_of({"a": 1.5, "b": "x", "c": 1}),
                                                      shape_of({"a": 2, "b": 3, "d": True}))}
    assert rows == {"(root)": "same", "a": "same", "b": "type", "c": "missing", "d": "extra"}
    back = {r.path: r.verdict for r in compare_shapes(shape_of({"a": 2}), shape_of({"a": 2.5}))}
    assert back["a"] == "type"  # a float where Google sends an integer is wrong


def test_extra_keys_are_listed_but_do_not_fail() -> None:
    report = compare_answers("x", Answer(200, _answer([{"text": "a"}])),
                             Answer(200, _answer([{"text": "b"}], index=0, avgLogprobs=-0.1)))
    assert report.ok and report.extra == ["candidates[].avgLogprobs", "candidates[].index"]
    missing = compare_answers("x", Answer(200, _answer([{"text": "a"}], finishReason="STOP")),
                              Answer(200, _answer([{"text": "b"}])))
    assert not missing.ok and missing.missing == ["candidates[].finishReason"]
    assert "| `candidates[].finishReason` | string |  | missing |" in missing.table()
    assert "FAIL x: same" in format_reports([report, missing])


def test_errors_compare_status_and_message() -> None:
    recorded = Answer(400, {"error": {"code": 400, "message": "call `default_api:f` , position 2",
                                      "status": "INVALID_ARGUMENT"}})
    same = Answer(400, {"error": {"code": 400, "message": "call default_api:f , position 2",
                                  "status": "INVALID_ARGUMENT"}})
    assert compare_answers("e", recorded, same).ok
    other = Answer(400, {"error": {"code": 400, "message": "call default_api:f , position 3",
                                   "status": "FAILED_PRECONDITION"}})
    problems = compare_answers("e", recorded, other).problems
    assert any("error.status" in p for p in problems) and any("error.message" in p for p in problems)
    assert any("HTTP status" in p for p in compare_answers("e", recorded, Answer(200, _answer([]))).problems)
    assert normalize_message("invalid token (request id: 2026abc)") == "invalid token"


def test_casing_and_part_order() -> None:
    snake = compare_answers("c", Answer(200, _answer([{"text": "a"}])),
                            Answer(200, {**_answer([{"text": "a", "thought_signature": "x"},
                                                    {"functionCall": {"name": "f", "args": {"snake_ok": 1}}}])}))
    assert any("thought_signature" in p and "snake_ok" not in p for p in snake.problems)
    order = compare_answers("o", Answer(200, _answer([{"text": "t", "thought": True}, {"text": "a"}])),
                            Answer(200, _answer([{"text": "a"}, {"text": "t", "thought": True}])))
    assert any("order" in p for p in order.problems)
    filler = compare_answers("o", Answer(200, _answer([{"toolCall": {}}, {"text": ""}, {"toolResponse": {}},
                                                        {"text": "a"}])),
                             Answer(200, _answer([{"toolCall": {}}, {"toolResponse": {}}, {"text": "a"}])))
    assert filler.problems == []  # an empty text part is no step of its own


def test_sse_framing_is_read_from_the_bytes() -> None:
    google = _sse({"a": "<b>"}).replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
    assert sse_framing(google) == dict(GOOGLE_SSE_FRAMING)
    other = b"event: message\ndata: {\"a\":1}\ndata: {}\n\ndata: [DONE]\n\n"
    framing = sse_framing(other)
    assert framing["line ends"] == "LF" and framing["fields"] == "data,event"
    assert framing["sentinel"] == "[DONE]" and framing["data lines per event"] == "1,2"
    recorded = _stream({"a": 1})
    lf = compare_answers("s", recorded, _stream({"a": 2, "b": 3}, line_end="\n", separators=(", ", ": ")))
    assert {p.split(":")[0] for p in lf.problems} == {"SSE framing, line ends", "SSE framing, JSON"}
    assert compare_answers("s", recorded, _stream({"a": 2})).ok


def test_stream_placement() -> None:
    first, last = _answer([{"text": "a"}]), _answer([{"text": ""}], finishReason="STOP")
    recorded = _stream(first, last)
    early = _stream(_answer([{"text": "a"}], finishReason="STOP"), last)
    assert any("finishReason" in p for p in compare_answers("p", recorded, early).placement)
    no_usage = {k: v for k, v in first.items() if k != "usageMetadata"}
    late = compare_answers("p", recorded, _stream(no_usage, last))
    assert late.placement == ["`usageMetadata` is in every recorded event, in last emulated ones"]


def test_names_made_by_one_turn_are_carried_into_the_next() -> None:
    seen: list[tuple[str, str, dict[str, str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, dict(request.headers)))
        if request.method == "POST":
            return httpx.Response(200, json={"name": "cachedContents/new"})
        return httpx.Response(200, json={})

    turns = [Turn("create", "POST", "/v1beta/cachedContents", {"model": "m"},
                  recorded=Answer(200, {"name": "cachedContents/old"})),
             Turn("delete", "DELETE", "/v1beta/cachedContents/old", auth="invalid", recorded=Answer(200, {})),
             Turn("anon", "GET", "/v1beta/models", auth="none", recorded=Answer(200, {}))]
    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://x") as client:
        reports = check_exchange(client, Exchange("cache", turns), "the-key", auth_header="bearer")
    assert [r.ok for r in reports] == [True, True, True]
    assert [(m, p) for m, p, _ in seen] == [("POST", "/v1beta/cachedContents"),
                                            ("DELETE", "/v1beta/cachedContents/new"), ("GET", "/v1beta/models")]
    assert [h.get("authorization") for _, _, h in seen] == ["Bearer the-key", f"Bearer {INVALID_KEY}", None]


def test_the_comparison_is_public_on_the_recorder_module() -> None:
    from cometgemini.emulator import record

    assert record.compare_answers is compare_answers and record.Answer is Answer
    assert record.format_reports is format_reports


def test_answers_that_are_not_json() -> None:
    answer = answer_from_response(404, "text/plain; charset=utf-8", b"Not Found")
    assert (answer.status, answer.body, answer.media_type) == (404, "Not Found", "text/plain")
    report = compare_answers("t", answer, answer_from_response(404, "application/json", b'{"error": {}}'))
    assert any("media type" in p for p in report.problems)
