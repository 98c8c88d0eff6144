"""``client.batches``: Batch mode (``batchGenerateContent``): many requests at half the price, answered within
24 hours (usually much sooner).

**Create**: ``POST /v1beta/models/{model}:batchGenerateContent`` with ``{"batch": {"displayName",
"inputConfig": ...}}``, where ``inputConfig`` is ``{"requests": {"requests": [{"request": GenerateContentRequest,
"metadata": {"key": "..."}}]}}`` (inline, at most 20 MB) or ``{"fileName": "files/..."}`` (an uploaded JSONL
file, one ``{"key": "...", "request": {...}}`` per line, up to 2 GB).

**The job** comes back, from create, get and list alike, as a long-running Operation::

    {"name": "batches/abc",
     "metadata": {"@type": "...GenerateContentBatch", "model": "models/...", "displayName", "state",
                  "createTime", "updateTime", "endTime", "batchStats": {"requestCount": "3",
                  "pendingRequestCount", "successfulRequestCount", "failedRequestCount"},
                  "output": {...}},
     "done": true,
     "response": {"@type": "...GenerateContentBatchOutput",
                  "inlinedResponses": {"inlinedResponses": [{"response": GenerateContentResponse | "error":
                                                              Status, "metadata": {"key"}}]}
                  | "responsesFile": "files/..."},
     "error": Status}

``BatchJob`` flattens it: the metadata's fields at the top, ``output`` from ``metadata.output`` or
``response``. States are ``BATCH_STATE_PENDING``, ``_RUNNING``, ``_SUCCEEDED``, ``_FAILED``, ``_CANCELLED``,
``_EXPIRED`` (Google's SDK renames them ``JOB_STATE_*``; either prefix is understood). Counts are int64, so JSON
strings. ``GET /v1beta/batches?pageSize&pageToken`` → ``{"operations": [...], "nextPageToken"}``;
``POST /v1beta/batches/{id}:cancel``; ``DELETE /v1beta/batches/{id}``.

**Results** of a JSONL job are a generated file, ``GET {base}/download/v1beta/files/{id}:download?alt=media``:
one line per request, in input order, ``{"key", "response": {...}}`` or ``{"key", "error": Status}`` (a line may
also be a bare GenerateContentResponse or Status).
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError, model_validator

from ._catalog import normalize_model
from ._exceptions import (
    APIStatusError,
    CometGeminiError,
    MalformedResponseError,
    ResponseBlockedError,
    error_from_payload,
)
from ._files import Status
from ._http import Answer, parse_answer
from ._resources import Flow, Resource, poll, resource_name
from ._types import GenerateContentRequest, GenerateContentResponse, WireModel, to_wire

__all__ = [
    "INLINE_LIMIT",
    "BatchJob",
    "BatchNotSucceededError",
    "BatchRequests",
    "BatchResult",
    "BatchState",
    "BatchStats",
    "Batches",
    "batch_jsonl",
    "status_error",
]

INLINE_LIMIT = 20 * 1024 * 1024
"""Google's cap on an inline batch (the whole create request); larger batches go through a JSONL file."""

RequestLike = GenerateContentRequest | Mapping[str, Any]
BatchRequests = str | Mapping[str, RequestLike] | Sequence[RequestLike]
"""A sequence of requests, a ``{key: request}`` mapping, or the name of an uploaded JSONL file (``files/...``)."""


class BatchState:
    """The states of a batch (``BatchJob.state``), as the Gemini API spells them."""

    UNSPECIFIED = "BATCH_STATE_UNSPECIFIED"
    PENDING = "BATCH_STATE_PENDING"
    RUNNING = "BATCH_STATE_RUNNING"
    SUCCEEDED = "BATCH_STATE_SUCCEEDED"
    FAILED = "BATCH_STATE_FAILED"
    CANCELLED = "BATCH_STATE_CANCELLED"
    EXPIRED = "BATCH_STATE_EXPIRED"


_ENDED = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"})
# google.rpc.Code -> (name, HTTP status), for a failed request inside a batch
_GRPC = {1: ("CANCELLED", 499), 2: ("UNKNOWN", 500), 3: ("INVALID_ARGUMENT", 400), 4: ("DEADLINE_EXCEEDED", 504),
         5: ("NOT_FOUND", 404), 6: ("ALREADY_EXISTS", 409), 7: ("PERMISSION_DENIED", 403),
         8: ("RESOURCE_EXHAUSTED", 429), 9: ("FAILED_PRECONDITION", 400), 10: ("ABORTED", 409),
         11: ("OUT_OF_RANGE", 400), 12: ("UNIMPLEMENTED", 501), 13: ("INTERNAL", 500), 14: ("UNAVAILABLE", 503),
         15: ("DATA_LOSS", 500), 16: ("UNAUTHENTICATED", 401)}


def _short(state: str) -> str:
    return state.rpartition("_STATE_")[2]


# ------------------------------------------------------------------------------------------- wire types


class BatchStats(WireModel):
    request_count: int = 0
    pending_request_count: int = 0
    successful_request_count: int = 0
    failed_request_count: int = 0


class InlinedResponse(WireModel):
    response: GenerateContentResponse | None = None
    error: Status | None = None
    metadata: dict[str, Any] | None = None


class InlinedResponses(WireModel):
    inlined_responses: list[InlinedResponse] = Field(default_factory=list)


class BatchOutput(WireModel):
    inlined_responses: InlinedResponses | None = None
    responses_file: str | None = None
    """``files/...``: a JSONL file of the results (jobs created from a file)."""


class BatchJob(WireModel):
    """A batch, flattened from the long-running Operation the API answers with (see the module docstring)."""

    name: str = ""
    done: bool = False
    state: str = BatchState.UNSPECIFIED
    display_name: str | None = None
    model: str | None = None
    create_time: str | None = None
    update_time: str | None = None
    end_time: str | None = None
    batch_stats: BatchStats = Field(default_factory=BatchStats)
    input_config: dict[str, Any] | None = None
    output: BatchOutput | None = None
    error: Status | None = None
    """Why the whole batch failed (state FAILED)."""

    @model_validator(mode="before")
    @classmethod
    def _from_operation(cls, value: Any) -> Any:
        if not isinstance(value, Mapping) or not isinstance(value.get("metadata"), Mapping):
            return value
        flat = {k: v for k, v in value["metadata"].items() if k != "@type"}
        flat.update({k: v for k, v in value.items() if k not in ("metadata", "response")})
        response = value.get("response")
        if isinstance(response, Mapping) and "output" not in flat:
            flat["output"] = {k: v for k, v in response.items() if k != "@type"}
        return flat

    @property
    def ended(self) -> bool:
        """Succeeded, failed, cancelled or expired: it will not change any more."""
        return self.done or _short(self.state) in _ENDED

    @property
    def succeeded(self) -> bool:
        return _short(self.state) == "SUCCEEDED"


@dataclass(frozen=True)
class BatchResult:
    """One request's outcome: its ``key`` (``None`` when the request had none), and the ``response`` or the
    ``error``; ``index`` is its place in the batch."""

    index: int
    key: str | None
    response: GenerateContentResponse | None
    error: Status | None

    def unwrap(self) -> GenerateContentResponse:
        """The response, or the error this request got, raised as the live path would raise it
        (``RateLimitError``, ``BadRequestError``..., ``ResponseBlockedError`` for a refused prompt)."""
        if self.error is not None:
            raise status_error(self.error, f"batch request {self.key or self.index}")
        response = self.response
        if response is None:
            raise MalformedResponseError(f"batch request {self.key or self.index} has neither response nor error")
        feedback = response.prompt_feedback
        if not response.candidates:
            if feedback is not None and feedback.block_reason:
                raise ResponseBlockedError(feedback.block_reason, feedback.block_reason_message, response)
            raise MalformedResponseError(f"batch request {self.key or self.index} was answered with no candidates")
        return response


class BatchNotSucceededError(CometGeminiError):
    """Results were asked of a batch that has not succeeded (still running, failed, cancelled or expired)."""

    def __init__(self, job: BatchJob) -> None:
        why = f": {job.error.message}" if job.error is not None and job.error.message else ""
        advice = "wait for it (batches.wait)" if not job.ended else "its requests have no results"
        super().__init__(f"{job.name} is {job.state}{why}; {advice}")
        self.job = job


# ------------------------------------------------------------------------------------------- pure helpers


def status_error(status: Status, where: str) -> APIStatusError:
    """The error class the live path raises for this ``google.rpc.Status`` (gRPC or HTTP code)."""
    name, http = _GRPC.get(status.code, ("UNKNOWN", 500)) if status.code < 100 else (None, status.code)
    body = {"error": {"code": http, "message": f"{where}: {status.message}", "status": name,
                      "details": status.details}}
    return error_from_payload(http, body)


def _requests(requests: Mapping[str, RequestLike] | Sequence[RequestLike]) -> list[tuple[str | None, Any]]:
    """``(key, wire request)`` pairs, each checked; ``ValueError`` names the first bad one."""
    if isinstance(requests, (bytes, bytearray)):
        raise TypeError("requests must be requests, a {key: request} mapping or a 'files/...' name, not bytes")
    items: list[tuple[str | None, Any]] = (
        [(str(k), v) for k, v in requests.items()] if isinstance(requests, Mapping)
        else [(None, v) for v in requests]
    )
    if not items:
        raise ValueError("a batch needs at least one request")
    out: list[tuple[str | None, Any]] = []
    for index, (key, value) in enumerate(items):
        where = f"request {key!r}" if key is not None else f"request {index}"
        try:
            request = value if isinstance(value, GenerateContentRequest) else GenerateContentRequest.model_validate(
                value)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ValueError(f"{where} is not a GenerateContentRequest: {first['msg']} at "
                             f"{'.'.join(str(p) for p in first['loc'])}") from None
        if not request.contents:
            raise ValueError(f"{where} has no contents: every request needs at least one turn")
        out.append((key, to_wire(request)))
    return out


def _create_body(requests: BatchRequests, display_name: str | None) -> bytes:
    if isinstance(requests, str):
        config: dict[str, Any] = {"fileName": resource_name(requests, "files")}
    else:
        inline = [{"request": wire, **({"metadata": {"key": key}} if key is not None else {})}
                  for key, wire in _requests(requests)]
        config = {"requests": {"requests": inline}}
    name = display_name or time.strftime("cometgemini-batch-%Y%m%d-%H%M%S", time.gmtime())
    body = json.dumps({"batch": {"displayName": name, "inputConfig": config}}).encode()
    if len(body) > INLINE_LIMIT:
        raise ValueError(
            f"this inline batch is {len(body) / 2**20:.1f} MB, over the API's 20 MB: write the requests as JSONL "
            "(batch_jsonl(requests)), upload that with client.files.upload(data, mime_type='application/jsonl') "
            "and create the batch from the file's name"
        )
    return body


def batch_jsonl(requests: Mapping[str, RequestLike] | Sequence[RequestLike]) -> bytes:
    """The JSONL input file of a batch: one ``{"key", "request"}`` per line. A sequence's keys are the
    positions (``"0"``, ``"1"``...), so results can be matched whatever the order."""
    pairs = _requests(requests)
    lines = [json.dumps({"key": key if key is not None else str(i), "request": wire}, separators=(",", ":"))
             for i, (key, wire) in enumerate(pairs)]
    return ("\n".join(lines) + "\n").encode()


def _result(index: int, item: Mapping[str, Any]) -> BatchResult:
    """One inline response or JSONL line: ``{"response"|"error", "key" | "metadata": {"key"}}``, or a bare
    GenerateContentResponse / Status."""
    metadata = item.get("metadata")
    key = item.get("key") or (metadata.get("key") if isinstance(metadata, Mapping) else None)
    if "response" in item or "error" in item:
        response, error = item.get("response"), item.get("error")
    elif "code" in item and "message" in item:
        response, error = None, item
    else:
        response, error = item, None
    try:
        return BatchResult(index, None if key is None else str(key),
                           None if response is None else GenerateContentResponse.model_validate(response),
                           None if error is None else Status.model_validate(error))
    except ValidationError as exc:
        raise MalformedResponseError(f"batch result {index} is not a response or an error: {exc.errors()[0]['msg']}"
                                     ) from exc


def _inline_result(index: int, item: InlinedResponse) -> BatchResult:
    key = (item.metadata or {}).get("key")
    return BatchResult(index, None if key is None else str(key), item.response, item.error)


def _jsonl_results(data: bytes) -> list[BatchResult]:
    results: list[BatchResult] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not isinstance(item, dict):
            raise MalformedResponseError(f"line {number} of the results file is not a JSON object: {line[:120]!r}")
        results.append(_result(len(results), item))
    return results


def _describe(job: BatchJob) -> str:
    stats = job.batch_stats
    return (f"{job.name} is {job.state} ({stats.successful_request_count + stats.failed_request_count} of "
            f"{stats.request_count} requests done)")


# ------------------------------------------------------------------------------------------- the resource


class Batches(Resource):
    """``client.batches``: create, get, list, cancel, delete, wait and results (each with an ``a`` twin;
    ``wait``'s is ``await_``, since ``await`` is a Python keyword)."""

    collection = "batches"

    def _create(self, model: str, body: bytes) -> Flow[BatchJob]:
        answer = yield self.call("POST", f"models/{normalize_model(model)}:batchGenerateContent", body)
        return parse_answer(BatchJob, answer)

    def create(self, model: str, requests: BatchRequests, *, display_name: str | None = None) -> BatchJob:
        """Start a batch of ``requests`` (``GenerateContentRequest``s or dicts, a ``{key: request}`` mapping,
        or the ``files/...`` name of an uploaded JSONL file) on ``model``. Inline batches are capped at 20 MB."""
        return self.run(self._create(model, _create_body(requests, display_name)))

    async def acreate(self, model: str, requests: BatchRequests, *, display_name: str | None = None) -> BatchJob:
        return await self.arun(self._create(model, _create_body(requests, display_name)))

    def _get(self, name: str) -> Flow[BatchJob]:
        answer = yield self.call("GET", resource_name(name, "batches"))
        return parse_answer(BatchJob, answer)

    def get(self, name: str) -> BatchJob:
        return self.run(self._get(name))

    async def aget(self, name: str) -> BatchJob:
        return await self.arun(self._get(name))

    def _list(self, page_size: int) -> Flow[builtins.list[BatchJob]]:
        return self.pages("batches", {"pageSize": page_size}, "operations", BatchJob)

    def list(self, *, page_size: int = 100) -> builtins.list[BatchJob]:
        """Every batch of the project, newest first as the API orders them, all pages."""
        return self.run(self._list(page_size))

    async def alist(self, *, page_size: int = 100) -> builtins.list[BatchJob]:
        return await self.arun(self._list(page_size))

    def _cancel(self, name: str) -> Flow[None]:
        yield self.call("POST", resource_name(name, "batches") + ":cancel", {})

    def cancel(self, name: str) -> None:
        """Stop the batch: requests not yet processed are not run (its state becomes CANCELLED)."""
        self.run(self._cancel(name))

    async def acancel(self, name: str) -> None:
        await self.arun(self._cancel(name))

    def _delete(self, name: str) -> Flow[None]:
        yield self.call("DELETE", resource_name(name, "batches"))

    def delete(self, name: str) -> None:
        """Forget the batch (it stops if still running, and leaves the list)."""
        self.run(self._delete(name))

    async def adelete(self, name: str) -> None:
        await self.arun(self._delete(name))

    def _wait(self, name: str, poll_interval: float, timeout: float | None,
              max_poll_interval: float) -> Flow[BatchJob]:
        return poll(lambda: self._get(name), lambda job: job.ended, _describe, interval=poll_interval,
                    max_interval=max_poll_interval, timeout=timeout)

    def wait(self, name: str, *, poll_interval: float = 10.0, timeout: float | None = None,
             max_poll_interval: float = 60.0) -> BatchJob:
        """Poll until the batch ends (any final state: check ``.succeeded``); waits grow from
        ``poll_interval`` by half up to ``max_poll_interval``. Past ``timeout`` seconds: ``WaitTimeoutError``."""
        return self.run(self._wait(name, poll_interval, timeout, max_poll_interval))

    async def await_(self, name: str, *, poll_interval: float = 10.0, timeout: float | None = None,
                     max_poll_interval: float = 60.0) -> BatchJob:
        """``wait``, async (named ``await_``: ``await`` is a keyword)."""
        return await self.arun(self._wait(name, poll_interval, timeout, max_poll_interval))

    def _results(self, name: str) -> Flow[builtins.list[BatchResult]]:
        job = yield from self._get(name)
        if not job.succeeded:
            raise BatchNotSucceededError(job)
        output = job.output or BatchOutput()
        if output.inlined_responses is not None:
            return [_inline_result(i, item) for i, item in enumerate(output.inlined_responses.inlined_responses)]
        if output.responses_file:
            answer: Answer = yield self.call("GET", resource_name(output.responses_file, "files") + ":download",
                                             query={"alt": "media"}, prefix="download")
            return _jsonl_results(answer.content)
        if job.batch_stats.request_count:
            raise MalformedResponseError(f"{job.name} succeeded but names neither inline results nor a results file")
        return []

    def results(self, name: str) -> builtins.list[BatchResult]:
        """Each request's response or error, in input order (inline results, or the downloaded results file).
        Raises ``BatchNotSucceededError`` unless the batch succeeded."""
        return self.run(self._results(name))

    async def aresults(self, name: str) -> builtins.list[BatchResult]:
        return await self.arun(self._results(name))
