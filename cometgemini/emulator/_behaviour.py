"""The deterministic answer to a request: parts, finish reason and token counts of each candidate."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import _tools
from ._calls import declarations, plan_calls
from ._context import Context, short
from ._prompted import prompted_json
from ._react import react_step
from ._schema import PromptValues, instance
from ._sig import call_id, sign_call, sign_step, sign_text, step_ids
from ._tokens import AUDIO_OUTPUT_TOKENS, IMAGE_OUTPUT_TOKENS, count_text

__all__ = ["Candidate", "Plan", "plan_answer"]

_WORDS_MAGIC = re.compile(r"\[\[words:(\d+)\]\]")
_ASKS_SEARCH = re.compile(r"\b(search|look (it )?up|google)\b", re.IGNORECASE)
_VOCAB_TEXT = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
              "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee "
              "zulu")
_VOCAB = tuple(_VOCAB_TEXT.split())
_FILLER = (
    "This reply comes from the local cometgemini emulator.",
    "It is deterministic, so the same request always gets the same words.",
    "No model was called and no network was used.",
    "Each sentence here is picked from a fixed list by a hash of the prompt.",
    "Streams split this text into word-sized events.",
    "Token counts follow one simple rule shared with countTokens.",
    "Tests can rely on every field having the recorded shape.",
)
_LEVEL_FACTOR = {"MINIMAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4}
_CATEGORIES = ("HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_HARASSMENT",
               "HARM_CATEGORY_SEXUALLY_EXPLICIT")


@dataclass
class Candidate:
    parts: list[dict[str, Any]]
    finish: str = "STOP"
    tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    """groundingMetadata, urlContextMetadata, safetyRatings, finishMessage."""
    trailing_signature: str | None = None
    """Gemini 3 streams: the signature of the trailing empty text part."""
    thought_count: int = 0
    """How many leading parts are thought parts."""


@dataclass
class Plan:
    candidates: list[Candidate]
    blocked: bool = False
    thoughts: int = 0
    tool_use: int = 0
    image_tokens: int = 0
    audio_tokens: int = 0


def _words(count: int, seed: int) -> str:
    return " ".join(_VOCAB[(seed + i) % len(_VOCAB)] for i in range(count))


_KEYS_ASKED = re.compile(r"""['"`](\w+)['"`]""")


def _schemaless_json(prompt: str, model: str) -> dict[str, Any]:
    """JSON mode without a schema: the keys the prompt quotes ("with 'setup' and 'punchline' keys"), else
    a small fixed object."""
    keys = list(dict.fromkeys(_KEYS_ASKED.findall(prompt)))
    if keys:
        return {key: f"{key} about {short(prompt, 40)}" for key in keys}
    return {"answer": short(prompt, 60), "model": model}


def _instructions(ctx: Context) -> str:
    return f"{ctx.system}\n\n{ctx.prompt}" if ctx.system else ctx.prompt


def _follow(ctx: Context) -> str | None:
    """A ReAct step, or JSON, when the prompt asks for one in words (``_react``, ``_prompted``)."""
    step = react_step(ctx.system, ctx.req)
    if step is not None:
        return step
    value = None if ctx.responses else prompted_json(_instructions(ctx))
    return None if value is None else json.dumps(value, ensure_ascii=False, indent=2)


def answer_text(ctx: Context, variant: int) -> str:
    gen = ctx.gen
    mime = gen.get("responseMimeType")
    if mime == "application/json":
        schema = gen.get("responseJsonSchema", gen.get("responseSchema"))
        if isinstance(schema, dict):
            value = instance(schema, PromptValues(ctx.prompt))
        else:
            value = prompted_json(_instructions(ctx))
            value = _schemaless_json(ctx.prompt, ctx.model) if value is None else value
        return json.dumps(value, ensure_ascii=False)
    if mime == "text/x.enum":
        schema = gen.get("responseJsonSchema", gen.get("responseSchema")) or {}
        enum = schema.get("enum") if isinstance(schema, dict) else None
        if isinstance(enum, list) and enum:
            return str(next((e for e in enum if str(e).lower() in ctx.prompt.lower()), enum[0]))
    magic = _WORDS_MAGIC.search(ctx.prompt)
    seed = int(ctx.digest[:8], 16)
    if magic:
        return _words(int(magic.group(1)), seed + variant)
    followed = _follow(ctx)
    if followed is not None:
        return followed
    if ctx.responses:
        quoted = " ".join(f"The function {r.get('name')} returned "
                          f"{json.dumps(r.get('response', {}), ensure_ascii=False)}." for r in ctx.responses)
        text = f"{quoted} Based on these results, here is the answer to: {short(ctx.prompt)}"
    else:
        text = f"Emulated answer to: {short(ctx.prompt)}"
        if ctx.system:
            text += f" (system instruction: {short(ctx.system, 80)})"
        text += "." + "".join(f" [received {m}]" for m in ctx.media)
    picks = [_FILLER[(seed >> (4 * i)) % len(_FILLER)] for i in range(3)]
    text += " " + " ".join(dict.fromkeys(picks))
    if variant:
        text += f" (candidate {variant + 1})"
    return text


def _thoughts(ctx: Context) -> tuple[int, str]:
    info = ctx.info
    if not info.is_thinking_model:
        return 0, ""
    config = ctx.gen.get("thinkingConfig") or {}
    budget = config.get("thinkingBudget")
    if info.thinking == "budget" and budget == 0:
        return 0, ""
    topic = " ".join(ctx.prompt.split()[:6]) or "the request"
    text = (f"**Thinking about {topic}**\n\nThe user asked: \"{short(ctx.prompt, 80)}\". "
            "I will work out a short, deterministic answer and check it against the request.")
    tokens = count_text(text) * _LEVEL_FACTOR.get(str(config.get("thinkingLevel") or "MEDIUM").upper(), 3)
    if isinstance(budget, int) and budget > 0:
        tokens = min(tokens, budget)
    return tokens, (text if config.get("includeThoughts") else "")


def _truncate(text: str, ctx: Context) -> tuple[str, str]:
    """Apply stopSequences then maxOutputTokens; returns (text, finishReason)."""
    for stop in ctx.gen.get("stopSequences") or []:
        if stop and stop in text:
            text = text[: text.index(stop)]
    limit = ctx.gen.get("maxOutputTokens")
    if isinstance(limit, int) and count_text(text) > limit:
        words = text.split(" ")
        lo, hi = 0, len(words)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_text(" ".join(words[:mid])) <= limit:
                lo = mid
            else:
                hi = mid - 1
        return " ".join(words[:lo]), "MAX_TOKENS"
    return text, "STOP"


def _call_parts(ctx: Context, calls: list[tuple[str, dict[str, Any]]],
                steps: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    gemini3 = ctx.info.family == "3"
    parts: list[dict[str, Any]] = []
    for i, (name, args) in enumerate(calls):
        call: dict[str, Any] = {"name": name, "args": args}
        if gemini3:
            call["id"] = call_id(f"{ctx.digest}:{i}:{name}")
        part: dict[str, Any] = {"functionCall": call}
        if gemini3 and i == 0:
            part["thoughtSignature"] = sign_call(ctx.secret, name, args, steps)
        parts.append(part)
    return parts


def _safety_candidate() -> Candidate:
    ratings: list[dict[str, Any]] = [{"category": c, "probability": "NEGLIGIBLE"} for c in _CATEGORIES]
    ratings[0] = {"category": _CATEGORIES[0], "probability": "HIGH", "blocked": True}
    extra: dict[str, Any] = {"safetyRatings": ratings, "_emptyContent": True}
    return Candidate(parts=[], finish="SAFETY", extra=extra)


def plan_answer(ctx: Context) -> Plan:
    if "[[block]]" in ctx.prompt:
        return Plan(candidates=[], blocked=True)
    if "[[safety]]" in ctx.prompt:
        return Plan(candidates=[_safety_candidate()])
    thoughts, thought_text = _thoughts(ctx)
    plan = Plan(candidates=[], thoughts=thoughts)
    calls = plan_calls(ctx.req, ctx.prompt, bool(ctx.responses), ctx.called)
    count = ctx.gen.get("candidateCount") or 1
    for variant in range(count if not calls else 1):
        plan.candidates.append(_candidate(ctx, plan, variant, calls, thought_text))
    return plan


def _candidate(ctx: Context, plan: Plan, variant: int, calls: list[tuple[str, dict[str, Any]]],
               thought_text: str) -> Candidate:
    lead: list[dict[str, Any]] = []
    if thought_text:
        lead.append({"text": thought_text, "thought": True})
    steps = _search_steps(ctx, bool(calls)) if variant == 0 else []
    ids = step_ids(steps)
    if calls:
        parts = _call_parts(ctx, calls, ids)
        tokens = sum(count_text(json.dumps(p["functionCall"], ensure_ascii=False)) for p in parts)
        # finishMessage came after 2.0: none in the 2.0 recordings
        extra = {} if ctx.info.family in ("1.5", "2.0") else {"finishMessage": "Model generated function call(s)."}
        # as recorded: a fresh question is called on first and searched after; with a function's result in
        # hand, the model looks the rest up before its next call
        body = steps + parts if ctx.responses else parts + steps
        if steps:
            plan.tool_use += 60 + count_text(ctx.prompt)  # what the search read, as for a grounded answer
        return Candidate(lead + body, "STOP", tokens, extra, thought_count=len(lead))
    cand = Candidate([], thought_count=len(lead))
    if "AUDIO" in _modalities(ctx):
        return _speech(ctx, plan, cand, lead)
    prefix = steps + (_tool_parts(ctx, plan, cand) if variant == 0 else [])
    text, cand.finish = _truncate(answer_text(ctx, variant), ctx)
    cand.tokens += count_text(text)
    body = prefix + ([{"text": text}] if text else [])
    if "IMAGE" in _modalities(ctx) and cand.finish == "STOP":
        body.append({"inlineData": {"mimeType": "image/png", "data": _tools.png_base64(ctx.prompt)}})
        cand.tokens += IMAGE_OUTPUT_TOKENS
        plan.image_tokens += IMAGE_OUTPUT_TOKENS
    if text:
        _ground(ctx, plan if variant == 0 else Plan([]), cand,
                "".join(p["text"] for p in body if "text" in p))
    # Gemini 3 signs its first answer text; so does 2.5 when it thought with functions declared (recorded).
    signs_text = ctx.info.family == "3" or (ctx.info.family == "2.5" and plan.thoughts > 0
                                             and bool(declarations(ctx.req)))
    if ctx.info.family == "3":
        cand.trailing_signature = sign_text(ctx.secret, "", ids)
    first = next((p for p in body if "text" in p), None)
    if signs_text and first is not None:
        first["thoughtSignature"] = sign_text(ctx.secret, first["text"], ids)
    cand.parts = lead + body
    return cand


def _search_steps(ctx: Context, calling: bool) -> list[dict[str, Any]]:
    """With ``includeServerSideToolInvocations`` on Gemini 3, a Google Search step as its own signed
    ``toolCall`` / ``toolResponse`` parts, once per turn: before the text answer; next to function calls when
    the prompt asks to search, or when a function's result came back and the model calls again (as recorded)."""
    if not (ctx.server_steps and ctx.info.family == "3" and "googleSearch" in ctx.tools) or ctx.searched:
        return []
    if calling and not (_ASKS_SEARCH.search(ctx.prompt) or ctx.responses):
        return []
    call, response = _tools.search_steps(ctx.prompt, call_id(f"{ctx.digest}:search"))
    steps: list[dict[str, Any]] = [{"toolCall": call}, {"toolResponse": response}]
    return [{**step, "thoughtSignature": sign_step(ctx.secret, step)} for step in steps]


def _modalities(ctx: Context) -> list[str]:
    return [str(m).upper() for m in ctx.gen.get("responseModalities") or []]


def _speech(ctx: Context, plan: Plan, cand: Candidate, lead: list[dict[str, Any]]) -> Candidate:
    """A text-to-speech answer: one audio part and no text, as Gemini's TTS models give it."""
    voice = json.dumps(ctx.gen.get("speechConfig") or {}, sort_keys=True)
    audio = {"inlineData": {"mimeType": _tools.AUDIO_MIME, "data": _tools.pcm_base64(voice + ctx.prompt)}}
    cand.tokens += AUDIO_OUTPUT_TOKENS
    plan.audio_tokens += AUDIO_OUTPUT_TOKENS
    cand.parts = [*lead, audio]
    return cand


def _tool_parts(ctx: Context, plan: Plan, cand: Candidate) -> list[dict[str, Any]]:
    if "codeExecution" not in ctx.tools or ctx.responses:
        return []
    code, result, output = _tools.code_execution(ctx.prompt)
    if ctx.server_steps:  # the two parts of one execution share an id, as toolCall/toolResponse do
        code["id"] = result["id"] = call_id(f"{ctx.digest}:code")
    plan.tool_use += 40 + count_text(code["code"])
    cand.tokens += count_text(code["code"]) + count_text(output)
    executable: dict[str, Any] = {"executableCode": code}
    if ctx.info.family == "3":  # Gemini 3 signs the code step too (recorded)
        executable["thoughtSignature"] = sign_text(ctx.secret, code["code"])
    return [executable, {"codeExecutionResult": result}, {"text": f"The code printed {output}.\n\n"}]


def _ground(ctx: Context, plan: Plan, cand: Candidate, text: str) -> None:
    search = bool(ctx.tools & {"googleSearch", "googleSearchRetrieval"})
    maps = "googleMaps" in ctx.tools
    if search or maps:
        cand.extra["groundingMetadata"] = _tools.grounding(text, ctx.prompt, maps and not search)
        plan.tool_use += 60 + count_text(ctx.prompt)
    if "urlContext" in ctx.tools:
        meta = _tools.url_context(ctx.prompt)
        if meta:
            cand.extra["urlContextMetadata"] = meta
            cand.extra.setdefault("groundingMetadata", _tools.url_grounding(text, meta))
            plan.tool_use += 200 * len(meta["urlMetadata"])
