"""A ``Plan`` rendered as a GenerateContentResponse, or as the events of a stream."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .._catalog import model_info
from ._behaviour import Candidate, Plan
from ._tokens import AUDIO_OUTPUT_TOKENS, IMAGE_OUTPUT_TOKENS, count_request, count_text, details

__all__ = ["Usage", "prompt_usage", "render_events", "render_response"]

_CHUNK = re.compile(r"\S+\s*|\s+")


@dataclass
class Usage:
    prompt: dict[str, int]
    cached: int
    model: str
    response_id: str
    gemini3: bool
    cache_details: dict[str, int] | None = None
    """The cached tokens per modality (``cacheTokensDetails``)."""


def prompt_usage(req: dict[str, Any]) -> dict[str, int]:
    """Prompt tokens per modality of a request whose cache (if any) is already put in: Google counts the
    cached tokens inside ``promptTokenCount`` too."""
    return count_request(req)


def _usage(u: Usage, plan: Plan, candidates: int, image: int = 0, audio: int = 0) -> dict[str, Any]:
    prompt = sum(u.prompt.values())
    out: dict[str, Any] = {"promptTokenCount": prompt}
    if u.cached:
        out["cachedContentTokenCount"] = u.cached
    if candidates:
        out["candidatesTokenCount"] = candidates
    out["totalTokenCount"] = prompt + candidates + plan.thoughts + plan.tool_use
    out["promptTokensDetails"] = details(u.prompt)
    if u.cached:
        out["cacheTokensDetails"] = details(u.cache_details or {"TEXT": u.cached})
    # Only 2.0 details the candidate tokens of a text answer; later models only when media came out.
    if candidates and (image or audio or model_info(u.model).family == "2.0"):
        cand = [{"modality": "TEXT", "tokenCount": max(candidates - image - audio, 0)}] if candidates > audio else []
        if image:
            cand.append({"modality": "IMAGE", "tokenCount": image})
        if audio:
            cand.append({"modality": "AUDIO", "tokenCount": audio})
        out["candidatesTokensDetails"] = cand
    if plan.tool_use:
        out["toolUsePromptTokenCount"] = plan.tool_use
        out["toolUsePromptTokensDetails"] = [{"modality": "TEXT", "tokenCount": plan.tool_use}]
    if plan.thoughts:
        out["thoughtsTokenCount"] = plan.thoughts
    out["serviceTier"] = "standard"
    return out


def _content(parts: list[dict[str, Any]], empty: bool) -> dict[str, Any]:
    if empty:
        return {}
    return {"parts": parts, "role": "model"} if parts else {"role": "model"}


def _candidate(cand: Candidate, index: int, parts: list[dict[str, Any]], final: bool,
               grounding_stub: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"content": _content(parts, bool(cand.extra.get("_emptyContent")))}
    if final:
        out["finishReason"] = cand.finish
    out["index"] = index
    for key, value in cand.extra.items():
        if key.startswith("_"):
            continue
        if final:
            out[key] = value
        elif key == "groundingMetadata" and grounding_stub:
            out[key] = {}
    if not final:
        out.pop("finishMessage", None)
    return out


def _legacy_index(candidate: dict[str, Any], family: str) -> None:
    # 1.5 and 2.0 leave out a zero index like any zero value; 2.5 and later send ``index: 0`` (recorded).
    if family in ("1.5", "2.0") and candidate.get("index") == 0:
        del candidate["index"]


def render_response(plan: Plan, u: Usage) -> dict[str, Any]:
    if plan.blocked:
        return {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": _usage(u, plan, 0),
                "modelVersion": u.model, "responseId": u.response_id}
    candidates = [_candidate(c, i, c.parts, True, False) for i, c in enumerate(plan.candidates)]
    family = model_info(u.model).family
    for cand, planned in zip(candidates, plan.candidates, strict=True):
        _legacy_index(cand, family)
        if family == "2.0":  # 2.0 reports avgLogprobs unasked (recorded), not in streams
            cand["avgLogprobs"] = -round(1.0 / (40 + planned.tokens), 12)
    tokens = sum(c.tokens for c in plan.candidates)
    return {"candidates": candidates, "usageMetadata": _usage(u, plan, tokens, plan.image_tokens, plan.audio_tokens),
            "modelVersion": u.model, "responseId": u.response_id}


def _part_tokens(part: dict[str, Any]) -> int:
    if part.get("thought"):
        return 0
    if "text" in part:
        return count_text(part["text"])
    if "inlineData" in part:
        return AUDIO_OUTPUT_TOKENS if _is_audio(part) else IMAGE_OUTPUT_TOKENS
    return count_text(json.dumps(part, ensure_ascii=False))


def _is_audio(part: dict[str, Any]) -> bool:
    return str(part["inlineData"].get("mimeType", "")).startswith("audio/")


def _chunks(cand: Candidate, max_events: int, gemini3: bool) -> list[list[dict[str, Any]]]:
    """The parts of each event: thoughts whole, calls together, text in word-sized deltas."""
    events: list[list[dict[str, Any]]] = []
    calls = [p for p in cand.parts if "functionCall" in p]
    for part in cand.parts:
        if "functionCall" in part:
            if part is calls[0]:
                events.append(calls)
        elif "text" in part and not part.get("thought"):
            pieces = _CHUNK.findall(part["text"]) or [""]
            step = -(-len(pieces) // max_events) if len(pieces) > max_events else 1
            deltas = [{"text": "".join(pieces[i:i + step])} for i in range(0, len(pieces), step)]
            if "thoughtSignature" in part and not gemini3:  # 2.5 keeps it on the first delta (recorded)
                deltas[0]["thoughtSignature"] = part["thoughtSignature"]
            events.extend([delta] for delta in deltas)
        else:
            events.append([part])
    if gemini3:
        trailing: dict[str, Any] = {"text": ""}
        if cand.trailing_signature and not calls:
            trailing["thoughtSignature"] = cand.trailing_signature
        events.append([trailing])
    return events or [[]]


def render_events(plan: Plan, u: Usage, max_events: int) -> Iterator[dict[str, Any]]:
    """The stream: complete GenerateContentResponse objects holding only the new parts."""
    if plan.blocked:
        yield render_response(plan, u)
        return
    done = 0
    image_done = audio_done = 0
    family = model_info(u.model).family
    prompt_only = family == "2.0"
    for index, cand in enumerate(plan.candidates):
        events = _chunks(cand, max_events, u.gemini3) if cand.parts else [[]]
        running = 0
        for number, parts in enumerate(events):
            final = number == len(events) - 1
            running = cand.tokens if final else min(cand.tokens, running + sum(_part_tokens(p) for p in parts))
            image_done += sum(IMAGE_OUTPUT_TOKENS for p in parts if "inlineData" in p and not _is_audio(p))
            audio_done += sum(AUDIO_OUTPUT_TOKENS for p in parts if "inlineData" in p and _is_audio(p))
            # 2.5 sends ``groundingMetadata: {}`` in the events before the last; Gemini 3 does not (recorded)
            stub = "groundingMetadata" in cand.extra and not u.gemini3
            body = _candidate(cand, index, parts, final, stub)
            _legacy_index(body, family)
            # 2.0 counts a candidate's tokens only in its last event; later families in every one (recorded)
            shown = done + running if final or not prompt_only else done
            yield {"candidates": [body], "usageMetadata": _usage(u, plan, shown, image_done if shown else 0,
                                                                 audio_done if shown else 0),
                   "modelVersion": u.model, "responseId": u.response_id}
        done += cand.tokens
