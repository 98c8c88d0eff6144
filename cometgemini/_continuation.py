"""Long answers in several hops: ``finishReason: "CONTINUATION"`` followed, and the hops merged into one answer.

Newer models may stop an answer at a per-request limit with ``finishReason: "CONTINUATION"`` and a
``continuationToken`` on the candidate. Sending the *same* request again with ``"continuationToken": "…"`` at
the top level (never the partial output) returns the next part. The client follows these hops itself, in
``generate`` and ``stream``, sync and async; this module holds everything that does no I/O:

* ``follow(response, hops_done, limit)``: the token to send next, or ``None`` (a warning is logged when the
  bound stops an unfinished answer);
* ``with_token(request, token)``: the request for the next hop;
* ``merge(responses)``: the hops of a ``generateContent`` as one response;
* ``StreamHops``: rewrites the chunks of a stream across hops so the consumer sees one stream.

Merging, for each candidate: parts concatenated in hop order (each keeps its ``thoughtSignature``); finish
data (``finishReason``, ``finishMessage``, safety, grounding, ``continuationToken``) from the last hop;
citation sources of every hop. ``usageMetadata`` is summed over the hops, as Google bills them (each hop
re-reads the prompt, so ``promptTokenCount`` adds up too). ``responseId`` is the first hop's, ``modelVersion``
the last's.

The bound (``max_continuations``, default ``DEFAULT_MAX_CONTINUATIONS``; 0 turns following off): an answer that
still ends in ``CONTINUATION`` when it is reached is returned as it is, with ``finish_reason == "CONTINUATION"``
and its ``continuation_token`` on the candidate, so nothing partial passes for complete; send the request again
with ``continuation_token=`` to get the rest. Only single-candidate answers are followed (one token continues
one candidate).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ._types import (
    Candidate,
    CitationMetadata,
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    ModalityTokenCount,
    UsageMetadata,
)

__all__ = [
    "CONTINUATION",
    "DEFAULT_MAX_CONTINUATIONS",
    "StreamHops",
    "add_usage",
    "check_limit",
    "follow",
    "merge",
    "with_token",
]

logger = logging.getLogger("cometgemini")
CONTINUATION = "CONTINUATION"
DEFAULT_MAX_CONTINUATIONS = 32
"""Google's long answers run to about 1M output tokens in hops of 32k (65k streamed): 32 hops cover them."""


def check_limit(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_continuations must be an integer >= 0 (0 turns following off), got {value!r}")
    return value


def follow(response: GenerateContentResponse, hops_done: int, limit: int) -> str | None:
    """The ``continuationToken`` to send next, or ``None`` when the answer is complete or may not be followed."""
    candidates = response.candidates
    if not candidates or candidates[0].finish_reason != CONTINUATION:
        return None
    token = candidates[0].continuation_token
    if len(candidates) > 1 or not token:
        logger.warning("an answer ended with finishReason CONTINUATION that cannot be followed (%s); it is "
                       "returned unfinished", "several candidates" if token else "no continuationToken")
        return None
    if hops_done >= limit:
        if limit:
            logger.warning("stopped after %d continuation hops (max_continuations=%d): the answer is returned with "
                           "finish_reason CONTINUATION and its continuation_token; send the request again with "
                           "that token for the rest, or raise max_continuations", hops_done, limit)
        return None
    return token


def with_token(request: GenerateContentRequest | Mapping[str, Any], token: str) -> GenerateContentRequest:
    """The same request, continuing from ``token``."""
    if not isinstance(request, GenerateContentRequest):
        request = GenerateContentRequest.model_validate(request)
    return request.model_copy(update={"continuation_token": token})


# ------------------------------------------------------------------------------------------- usage


def _add_details(a: Sequence[ModalityTokenCount] | None,
                 b: Sequence[ModalityTokenCount] | None) -> list[ModalityTokenCount] | None:
    if a is None or b is None:
        return list(a or b or ()) or None
    totals: dict[str | None, int] = {}
    for item in (*a, *b):
        totals[item.modality] = totals.get(item.modality, 0) + item.token_count
    return [ModalityTokenCount(modality=m, token_count=n) for m, n in totals.items()]


def add_usage(a: UsageMetadata | None, b: UsageMetadata | None) -> UsageMetadata | None:
    """Two hops' usage summed: every count, and the per-modality details; other fields from ``b``."""
    if a is None or b is None:
        return a or b
    values: dict[str, Any] = {}
    for name in type(b).model_fields:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(y, int) and isinstance(x, int):
            values[name] = x + y
        elif name.endswith("_details"):
            values[name] = _add_details(x, y)
        else:
            values[name] = y if y is not None else x
    return UsageMetadata(**values, **(b.model_extra or {}))


# ------------------------------------------------------------------------------------------- whole answers


def _merge_candidate(hops: list[Candidate]) -> Candidate:
    last = hops[-1]
    parts = [part for hop in hops for part in hop.content.parts]
    citations = [source for hop in hops if hop.citation_metadata for source in hop.citation_metadata.citation_sources]
    update: dict[str, Any] = {"content": Content(role=last.content.role or "model", parts=parts)}
    if citations:
        update["citation_metadata"] = CitationMetadata(citation_sources=citations)
    return last.model_copy(update=update)


def merge(responses: Sequence[GenerateContentResponse]) -> GenerateContentResponse:
    """The hops of one answer as a single response (see the module docstring for what comes from where)."""
    if len(responses) == 1:
        return responses[0]
    first, last = responses[0], responses[-1]
    by_index: dict[int, list[Candidate]] = {}
    for response in responses:
        for candidate in response.candidates:
            by_index.setdefault(candidate.index, []).append(candidate)
    usage = None
    for response in responses:
        usage = add_usage(usage, response.usage_metadata)
    return last.model_copy(update={
        "candidates": [_merge_candidate(by_index[i]) for i in sorted(by_index)],
        "usage_metadata": usage,
        "response_id": first.response_id or last.response_id,
        "prompt_feedback": next((r.prompt_feedback for r in reversed(responses) if r.prompt_feedback), None),
    })


# ------------------------------------------------------------------------------------------- streams


class StreamHops:
    """The chunks of a stream that spans several hops, rewritten into one stream: the chunk that ends a hop
    which is followed loses its finish data (so no consumer takes it for the end), later hops' usage snapshots
    are added to the usage of the hops before, and every chunk carries the first hop's ``responseId``. The
    first hop of an answer that needs no continuation passes through untouched."""

    __slots__ = ("_base", "_hops", "_limit", "_response_id", "_token")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._hops = 0
        self._token: str | None = None
        self._base: UsageMetadata | None = None  # usage of the finished hops
        self._response_id: str | None = None

    def feed(self, chunk: GenerateContentResponse) -> GenerateContentResponse:
        if not self._hops and (not chunk.candidates or chunk.candidates[0].finish_reason != CONTINUATION):
            return chunk  # the common case: one hop
        return self._rewrite(chunk)

    def _rewrite(self, chunk: GenerateContentResponse) -> GenerateContentResponse:
        update: dict[str, Any] = {}
        if self._hops:
            update["usage_metadata"] = add_usage(self._base, chunk.usage_metadata)
            update["response_id"] = self._response_id or chunk.response_id
        else:
            self._response_id = chunk.response_id
        token = follow(chunk, self._hops, self._limit)
        if token is not None:
            self._token = token
            self._base = update.get("usage_metadata", chunk.usage_metadata)
            candidate = chunk.candidates[0]
            update["candidates"] = [candidate.model_copy(update={
                "finish_reason": None, "finish_message": None, "continuation_token": None})]
        return chunk.model_copy(update=update) if update else chunk

    def next_request(self, request: GenerateContentRequest | Mapping[str, Any]) -> GenerateContentRequest | None:
        """At the end of a hop: the request for the next one, or ``None`` when the answer is done."""
        token, self._token = self._token, None
        if token is None:
            return None
        self._hops += 1
        return with_token(request, token)
