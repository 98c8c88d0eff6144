"""Long answers in hops: ``[[continue:N]]`` in the prompt ends the answer in ``CONTINUATION`` N times.

The planned text answer is cut into N+1 runs of whole words. Hop 0 answers the request with the first run,
``finishReason: "CONTINUATION"`` and a ``continuationToken``; the same request sent again with
``"continuationToken"`` at the top level gets the next run, and so on; the last hop ends as the answer would
have (``STOP``, grounding, images). Thoughts and tool-use tokens come with hop 0 only. Each hop's prompt
counts the runs generated before it, as Google re-reads them. Gemini 3 hops sign their first text part.

A token is ``base64url("<hop>:<digest>")``, the digest an HMAC of the request without its token, so a token
sent with another request, or a made-up one, is refused (400 "Invalid continuation token.").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import replace
from typing import Any

from ._behaviour import Candidate, Plan
from ._errors import ApiError
from ._sig import sign_text
from ._tokens import count_text

__all__ = ["Hop", "continuation_hop", "split_plan"]

_MAGIC = re.compile(r"\[\[continue:(\d+)\]\]")
_PIECES = re.compile(r"\S+\s*|\s+")
Hop = tuple[int, int]
"""(this hop, how many continuation hops the answer has)"""


def _digest(req: dict[str, Any], secret: str) -> str:
    body = json.dumps({k: v for k, v in req.items() if k != "continuationToken"}, sort_keys=True)
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:24]


def _token(hop: int, digest: str) -> str:
    return base64.urlsafe_b64encode(f"{hop}:{digest}".encode()).decode().rstrip("=")


def continuation_hop(req: dict[str, Any], prompt: str, secret: str) -> Hop | None:
    """Which hop of a long answer this request asks for, or ``None`` for an answer in one piece."""
    magic = _MAGIC.search(prompt)
    hops = min(int(magic.group(1)), 50) if magic else 0
    token = req.get("continuationToken")
    if token is None:
        return (0, hops) if hops else None
    try:
        raw = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)).decode()
        hop_text, _, digest = raw.partition(":")
        hop = int(hop_text)
    except ValueError:
        hop, digest = -1, ""
    if not 1 <= hop <= hops or not hmac.compare_digest(digest, _digest(req, secret)):
        raise ApiError(400, "Invalid continuation token.")
    return hop, hops


def _runs(text: str, count: int) -> list[str]:
    pieces = _PIECES.findall(text)
    size = -(-len(pieces) // count) if pieces else 0
    return ["".join(pieces[i * size:(i + 1) * size]) for i in range(count)]


def split_plan(plan: Plan, hop: Hop, req: dict[str, Any], secret: str,
               gemini3: bool) -> tuple[Plan, int]:
    """Hop ``hop`` of a one-candidate text answer, and the tokens of the runs before it (re-read as prompt)."""
    index, hops = hop
    if len(plan.candidates) != 1 or plan.blocked:
        return plan, 0
    whole = plan.candidates[0]
    texts = [i for i, p in enumerate(whole.parts) if "text" in p and not p.get("thought")]
    if not texts or any("functionCall" in p for p in whole.parts):
        return plan, 0
    at = texts[-1]
    runs = _runs(whole.parts[at]["text"], hops + 1)
    run = runs[index]
    part: dict[str, Any] = {"text": run}
    if gemini3 and run:
        part["thoughtSignature"] = sign_text(secret, run)
    last = index == hops
    lead = whole.parts[:at] if index == 0 else []
    tail = whole.parts[at + 1:] if last else []
    others = whole.tokens - count_text(whole.parts[at]["text"]) - plan.image_tokens  # code parts, before the text
    tokens = count_text(run) + (others if index == 0 else 0) + (plan.image_tokens if last else 0)
    cand = Candidate([*lead, part, *tail], whole.finish if last else "CONTINUATION", tokens,
                     dict(whole.extra) if last else {}, whole.trailing_signature,
                     whole.thought_count if index == 0 else 0)
    if not last:
        cand.extra["continuationToken"] = _token(index + 1, _digest(req, secret))
    first = index == 0
    hop_plan = replace(plan, candidates=[cand], thoughts=plan.thoughts if first else 0,
                       tool_use=plan.tool_use if first else 0, image_tokens=plan.image_tokens if last else 0)
    return hop_plan, sum(count_text(r) for r in runs[:index])
