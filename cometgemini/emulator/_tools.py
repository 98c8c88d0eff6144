"""Built-in tools: Google Search / Maps grounding, URL context, code execution, and image and speech output."""

from __future__ import annotations

import ast
import base64
import hashlib
import math
import operator
import re
import struct
import zlib
from typing import Any

__all__ = [
    "AUDIO_MIME", "AUDIO_SECONDS", "code_execution", "grounding", "pcm_base64", "png_base64", "search_steps",
    "url_context", "url_grounding",
]

AUDIO_MIME = "audio/L16;codec=pcm;rate=24000"
"""What Gemini's text-to-speech models answer with: headerless 16-bit little-endian mono PCM at 24 kHz."""
AUDIO_SECONDS = 0.25
_RATE = 24_000

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_EXPR = re.compile(r"\d+(?:\.\d+)?(?:\s*[-+*/]\s*\d+(?:\.\d+)?)+")
_OPS: dict[type, Any] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                         ast.Div: operator.truediv}
_ENTRY_POINT = (
    '<style>\n.container {\n  align-items: center;\n  border-radius: 8px;\n  display: flex;\n}\n</style>\n'
    '<div class="container">\n  <div class="headline">Google Search Suggestions</div>\n'
    '  <div class="carousel"><a class="chip" href="https://www.google.com/search?q={q}">{label}</a></div>\n'
    "</div>\n"
)


def _token(seed: str, size: int = 24) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).decode()[:size]


def _supports(text: str, chunk_count: int) -> list[dict[str, Any]]:
    """Supports whose segments are exact UTF-8 byte slices of ``text``."""
    supports: list[dict[str, Any]] = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if len(sentence.split()) < 3:
            continue
        start_char = match.start() + match.group(0).index(sentence)
        start = len(text[:start_char].encode())
        segment: dict[str, Any] = {"endIndex": start + len(sentence.encode()), "text": sentence}
        if start:
            segment["startIndex"] = start
        index = len(supports) % chunk_count
        supports.append({"segment": segment, "groundingChunkIndices": [index]})
        if len(supports) == 3:
            break
    return supports


def _query(prompt: str) -> str:
    return " ".join(prompt.replace("?", " ").split()[:12]) or "emulated query"


def _entry_point(query: str) -> str:
    return _ENTRY_POINT.replace("{q}", query.replace(" ", "+")).replace("{label}", query)


def search_steps(prompt: str, step_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``toolCall`` and ``toolResponse`` of one Google Search step (``includeServerSideToolInvocations``),
    shaped as recorded: ``{"queries": [...]}`` in, ``{"search_suggestions": <html>}`` out."""
    query = _query(prompt)
    call = {"id": step_id, "toolType": "GOOGLE_SEARCH_WEB", "args": {"queries": [query]}}
    response = {"id": step_id, "toolType": "GOOGLE_SEARCH_WEB",
                "response": {"search_suggestions": _entry_point(query)}}
    return call, response


def grounding(text: str, prompt: str, maps: bool) -> dict[str, Any]:
    """``groundingMetadata`` for a googleSearch (or googleMaps) answer ``text``."""
    query = _query(prompt)
    if maps:
        chunks: list[dict[str, Any]] = [
            {"maps": {"uri": f"https://maps.google.com/?cid={int(_token(query + str(i), 8).encode().hex(), 16)}",
                      "title": f"Emulated place {i + 1}", "placeId": f"places/{_token(query + str(i), 27)}"}}
            for i in range(2)]
        return {"groundingChunks": chunks, "groundingSupports": _supports(text, len(chunks))}
    chunks = [
        {"web": {"uri": "https://vertexaisearch.cloud.google.com/grounding-api-redirect/" + _token(query + site, 64),
                 "title": site}}
        for site in ("example.com", "wikipedia.org")]
    html = _entry_point(query)
    return {"groundingChunks": chunks, "groundingSupports": _supports(text, len(chunks)),
            "webSearchQueries": [query], "searchEntryPoint": {"renderedContent": html}}


def url_context(prompt: str) -> dict[str, Any] | None:
    urls = list(dict.fromkeys(u.rstrip(".,;:!?") for u in _URL.findall(prompt)))
    if not urls:
        return None
    return {"urlMetadata": [{"retrievedUrl": u, "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"}
                            for u in urls]}


def url_grounding(text: str, meta: dict[str, Any]) -> dict[str, Any]:
    """``groundingMetadata`` of a urlContext answer: one web chunk per page read, supports into ``text``."""
    chunks = [{"web": {"uri": entry["retrievedUrl"], "title": entry["retrievedUrl"].split("//", 1)[-1]}}
              for entry in meta["urlMetadata"]]
    return {"groundingChunks": chunks, "groundingSupports": _supports(text, len(chunks))}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_evaluate(node.left), _evaluate(node.right)))
    raise ValueError("unsupported expression")


def code_execution(prompt: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(executableCode, codeExecutionResult, output) for the prompt: an arithmetic expression in it is
    evaluated, else its words are counted."""
    match = _EXPR.search(prompt)
    if match:
        expr = match.group(0)
        try:
            value = _evaluate(ast.parse(expr, mode="eval"))
            output = str(int(value)) if value == int(value) else repr(value)
            outcome = "OUTCOME_OK"
        except (ValueError, ZeroDivisionError):
            output, outcome = "ZeroDivisionError: division by zero", "OUTCOME_FAILED"
        code = f"print({expr})"
    else:
        words = prompt.split()
        code = f"words = {' '.join(words[:20])!r}.split()\nprint(len(words))"
        output, outcome = str(min(len(words), 20)), "OUTCOME_OK"
    return ({"language": "PYTHON", "code": code}, {"outcome": outcome, "output": output + "\n"}, output)


def png_base64(seed: str, size: int = 8) -> str:
    """A valid ``size``x``size`` PNG of one colour derived from ``seed``."""
    r, g, b = hashlib.sha256(seed.encode()).digest()[:3]
    row = b"\x00" + bytes((r, g, b)) * size
    raw = row * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def pcm_base64(seed: str, seconds: float = AUDIO_SECONDS) -> str:
    """``seconds`` of a quiet sine tone, its pitch derived from ``seed`` (the voice and the text), as base64
    PCM in the ``AUDIO_MIME`` format: small, valid, and the same for the same request."""
    pitch = 220 + hashlib.sha256(seed.encode()).digest()[0] * 2
    count = int(_RATE * seconds)
    samples = (int(6000 * math.sin(2 * math.pi * pitch * i / _RATE)) for i in range(count))
    return base64.b64encode(struct.pack(f"<{count}h", *samples)).decode()
