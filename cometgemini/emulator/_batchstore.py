"""Batch mode, in memory per emulator: ``models/{m}:batchGenerateContent`` and ``batches/{id}``.

A job is ``BATCH_STATE_PENDING`` for ``EmulatorConfig.batch_pending_seconds``, then ``BATCH_STATE_RUNNING`` for
``batch_running_seconds``, then ``BATCH_STATE_SUCCEEDED``: on the first look after that, every request is
answered by the emulator's own generateContent (so triggers, tools and schemas behave as usual), a request the
emulator refuses becomes that item's ``error`` (a google.rpc.Status with the gRPC code). ``:cancel`` before the
end makes it ``BATCH_STATE_CANCELLED`` with no results. Every answer is the long-running Operation Google
sends (see ``cometgemini/_batches.py``); inline jobs carry their results in ``metadata.output`` and in
``response``, file jobs name a generated JSONL file (``responsesFile``) to download.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request

from ._errors import ApiError
from ._filestore import FileStore, file_id_of, page_of, rfc3339
from ._validate import REQUEST_SPEC, normalize

__all__ = ["BatchStore"]

META = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
OUTPUT = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
_GRPC = {400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 429: 8, 500: 13, 503: 14, 504: 4}
_BATCH_KEYS = {"displayName": "displayName", "display_name": "displayName", "inputConfig": "inputConfig",
               "input_config": "inputConfig", "model": "model", "priority": "priority", "name": "name"}
_INPUT_KEYS = {"requests": "requests", "fileName": "fileName", "file_name": "fileName"}

Answer = Callable[[str, dict[str, Any]], dict[str, Any]]
"""The emulator's generateContent: ``(model, request) -> response``; raises ``ApiError`` as the route would."""


@dataclass
class _Job:
    id: str
    model: str
    display_name: str
    created: datetime
    born: float
    """``time.monotonic()`` at creation; the other instants are on the same clock."""
    start_at: float
    end_at: float
    items: list[dict[str, Any]]
    """Inline ``{"request", "metadata"}`` items, or (file jobs) filled from the file when the job runs."""
    input_file: str | None = None
    cancelled_at: float | None = None
    output: dict[str, Any] | None = None
    failed: int = 0
    updates: list[float] = field(default_factory=list)

    def state(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "BATCH_STATE_CANCELLED"
        if now < self.start_at:
            return "BATCH_STATE_PENDING"
        return "BATCH_STATE_RUNNING" if now < self.end_at else "BATCH_STATE_SUCCEEDED"


def _field(mapping: dict[str, Any], names: dict[str, str], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if key not in names:
            raise ApiError(400, f'Invalid JSON payload received. Unknown name "{key}" at \'{where}\': Cannot find '
                                "field.")
        out[names[key]] = value
    return out


def _status(err: ApiError) -> dict[str, Any]:
    return {"code": _GRPC.get(err.code, 2), "message": err.message}


class BatchStore:
    """The batches of one emulator."""

    def __init__(self, files: FileStore, answer: Answer, new_id: Callable[[str], str], pending_seconds: float,
                 running_seconds: float) -> None:
        self.files = files
        self.answer = answer
        self._new_id = new_id
        self.pending_seconds = pending_seconds
        self.running_seconds = running_seconds
        self.jobs: dict[str, _Job] = {}
        self._counter = itertools.count(1)

    # ------------------------------------------------------------------------------------------ create

    def create(self, model: str, body: Any, base: str) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("batch"), dict):
            raise ApiError(400, "* BatchGenerateContentRequest.batch: batch is required\n")
        batch = _field(body["batch"], _BATCH_KEYS, "batch")
        config = batch.get("inputConfig")
        if not isinstance(config, dict):
            raise ApiError(400, "* GenerateContentBatch.input_config: input_config is required\n")
        config = _field(config, _INPUT_KEYS, "batch.input_config")
        items, input_file = self._inputs(config)
        now = time.monotonic()
        job_id = self._new_id(f"batch:{next(self._counter)}")
        start = now + self.pending_seconds
        job = _Job(job_id, model, str(batch.get("displayName") or f"batch-{job_id}"), datetime.now(timezone.utc),
                   now, start, start + self.running_seconds, items, input_file)
        self.jobs[job_id] = job
        return self.operation(job, base)

    def _inputs(self, config: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        if ("requests" in config) == ("fileName" in config):
            raise ApiError(400, "* GenerateContentBatch.input_config: set exactly one of requests and file_name\n")
        if "fileName" in config:
            name = str(config["fileName"])
            file_id = file_id_of(name)
            if file_id is None or file_id not in self.files.files:
                raise ApiError(400, f"The input file {name} does not exist.")
            return [], f"files/{file_id}"
        inner = config["requests"]
        requests = inner.get("requests") if isinstance(inner, dict) else None
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, "* GenerateContentBatch.input_config.requests: at least one request is required\n")
        items = []
        for i, item in enumerate(requests):
            if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
                raise ApiError(400, f"* input_config.requests.requests[{i}].request: request is required\n")
            normalize(item["request"], REQUEST_SPEC, f"batch.input_config.requests.requests[{i}].request")
            items.append({"request": item["request"], "metadata": item.get("metadata")})
        return items, None

    # ------------------------------------------------------------------------------------------ running

    def _finish(self, job: _Job, base: str) -> None:
        """Answer every request (once), as the job reaches its end."""
        if job.input_file is not None:
            job.items = self._file_items(job.input_file)
        results = []
        for item in job.items:
            out: dict[str, Any] = {}
            try:
                if "error" in item:
                    raise item["error"]
                out["response"] = self.answer(job.model, item["request"])
            except ApiError as err:
                out["error"] = _status(err)
                job.failed += 1
            results.append((item, out))
        if job.input_file is None:
            job.output = {"inlinedResponses": {"inlinedResponses": [
                {**out, **({"metadata": item["metadata"]} if item.get("metadata") else {})} for item, out in results]}}
            return
        lines = [json.dumps({**({"key": item["key"]} if item.get("key") is not None else {}), **out})
                 for item, out in results]
        stored = self.files.add(("\n".join(lines) + "\n").encode(), "application/jsonl", f"batch-{job.id}-results",
                                base, source="GENERATED")
        job.output = {"responsesFile": f"files/{stored.id}"}

    def _file_items(self, name: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        data = self.files.get(name.removeprefix("files/")).data
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if not isinstance(row, dict):
                items.append({"error": ApiError(400, f"Line {number} of the input file is not a JSON object.")})
                continue
            request = row.get("request", row)
            item: dict[str, Any] = {"key": row.get("key"), "request": request}
            try:
                if not isinstance(request, dict):
                    raise ApiError(400, f"Line {number}: request must be an object.")
                normalize(request, REQUEST_SPEC, f"line {number}")
            except ApiError as err:
                item["error"] = err
            items.append(item)
        return items

    # ------------------------------------------------------------------------------------------ answers

    def operation(self, job: _Job, base: str) -> dict[str, Any]:
        now = time.monotonic()
        state = job.state(now)
        if state == "BATCH_STATE_SUCCEEDED" and job.output is None:
            self._finish(job, base)
        total = len(job.items) if job.input_file is None or job.output is not None else 0
        done = state in ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_CANCELLED")
        stats: dict[str, str] = {"requestCount": str(total)} if total else {}
        if not done or state == "BATCH_STATE_CANCELLED":
            if total:
                stats["pendingRequestCount"] = str(total)
        else:
            for key, count in (("successfulRequestCount", total - job.failed), ("failedRequestCount", job.failed)):
                if count:
                    stats[key] = str(count)
        changed = {"BATCH_STATE_RUNNING": job.start_at, "BATCH_STATE_SUCCEEDED": job.end_at,
                   "BATCH_STATE_CANCELLED": job.cancelled_at}.get(state) or job.born
        updated = job.created + timedelta(seconds=changed - job.born)
        meta: dict[str, Any] = {"@type": META, "model": f"models/{job.model}", "displayName": job.display_name}
        if job.input_file is not None:
            meta["inputConfig"] = {"fileName": job.input_file}
        if state == "BATCH_STATE_SUCCEEDED":
            meta["output"] = job.output
        meta["createTime"] = rfc3339(job.created)
        if done:
            meta["endTime"] = rfc3339(updated)
        meta.update({"updateTime": rfc3339(updated), "batchStats": stats, "state": state, "name": f"batches/{job.id}"})
        out: dict[str, Any] = {"name": f"batches/{job.id}", "metadata": meta}
        if done:
            out["done"] = True
        if state == "BATCH_STATE_SUCCEEDED":
            out["response"] = {"@type": OUTPUT, **(job.output or {})}
        return out

    def get(self, job_id: str) -> _Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"Batch batches/{job_id} not found.")
        return job

    def listing(self, request: Request) -> dict[str, Any]:
        base = str(request.base_url)
        jobs = sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)
        return page_of([self.operation(j, base) for j in jobs], "operations", request, 50)

    def cancel(self, job_id: str) -> None:
        job = self.get(job_id)
        if job.state(time.monotonic()) in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            job.cancelled_at = time.monotonic()

    def delete(self, job_id: str) -> None:
        self.get(job_id)
        del self.jobs[job_id]
