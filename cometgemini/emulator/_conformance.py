"""Shape conformance: does an answer have the shape of a recorded one? Values are not compared.

The *shape* of a JSON value is the set of paths it holds, each with the JSON types found there::

    candidates[].content.parts[text].thoughtSignature     string
    usageMetadata.promptTokensDetails[].tokenCount        integer
    error.details[@RetryInfo].retryDelay                  string

``[]`` folds the elements of a list together. Two kinds of list are split instead, because their elements
differ by design: a list of parts by part kind (``[text]``, ``[thought]`` for a text part with
``thought: true``, ``[functionCall]``, ``[toolCall]``, ..., ``[-]`` for a part that holds only metadata such
as a lone ``thoughtSignature``), and a list of error details by the last word of ``@type``. What is under
``args`` and ``response`` (function arguments and results, shaped by the caller's schema) is free-form: only
its own type counts. Types are ``object``, ``array``, ``string``, ``integer``, ``number``, ``boolean``,
``null``; an integer is accepted where the recording has a number (proto-JSON writes ``1.0`` as ``1``).

``compare_answers(recorded, emulated)`` gives a ``Report``: one row per path (``same``, ``missing``: only in
the recording, ``extra``: only in the answer, ``type``: both, with other types) and a list of problems:

* the HTTP status and, for errors, ``error.status`` and the message (compared after ``normalize_message``);
* keys that are not lowerCamelCase outside free-form values (Google answers in camelCase only);
* the order in which part kinds first appear (``thought`` before ``text``, ``executableCode`` before
  ``codeExecutionResult``, ...; a bare ``{"text": ""}`` does not count);
* for streams, the SSE framing (see ``sse_framing``) and where keys sit: a path the recording has in every
  event must be in every event, and one it has only in the last event (``finishReason``) must not come
  earlier.

``Report.ok`` is false on a problem, a missing path or a type row; extra paths are listed, never fatal.
``format_reports`` renders many reports as one Markdown document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "GOOGLE_SSE_FRAMING",
    "Answer",
    "Report",
    "Row",
    "compare_answers",
    "compare_shapes",
    "format_reports",
    "normalize_message",
    "parse_sse",
    "part_kind",
    "shape_of",
    "sse_framing",
]

Shape = dict[str, frozenset[str]]
Verdict = Literal["same", "missing", "extra", "type"]

_FREE_FORM = frozenset({"args", "response"})
_PART_DATA = ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
              "codeExecutionResult", "toolCall", "toolResponse")
_CAMEL = re.compile(r"^@?[a-z][a-zA-Z0-9]*$")
_REQUEST_ID = re.compile(r"\s*\(request id: [^)]*\)")
_GOOGLE_JSON_STYLE = "compact, ': ' after keys"
GOOGLE_SSE_FRAMING: Mapping[str, str] = {
    "fields": "data",
    "line ends": "CRLF",
    "event end": "blank line",
    "data lines per event": "1",
    "JSON": _GOOGLE_JSON_STYLE,
    "sentinel": "none",
    "< and > in strings": "escaped",
}
"""Google's SSE framing, as in every verbatim recording: ``data: <one-line JSON>\\r\\n\\r\\n``."""


_TYPES: tuple[tuple[type, str], ...] = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
                                        (list, "array"), (dict, "object"))


def _type(value: Any) -> str:
    return next((name for kind, name in _TYPES if isinstance(value, kind)), "null")  # bool before int


def part_kind(part: Any) -> str:
    """``text``, ``thought``, ``functionCall``, ... (the part's data field), or ``-`` for metadata only."""
    if not isinstance(part, dict):
        return _type(part)
    for key in _PART_DATA:
        if key in part:
            return "thought" if key == "text" and part.get("thought") else key
    return "-"


def _element_label(path: str, item: Any) -> str:
    if path.endswith("parts"):
        return part_kind(item)
    kind = item.get("@type") if isinstance(item, dict) else None
    return "@" + kind.rsplit(".", 1)[-1] if isinstance(kind, str) else ""


def _walk(value: Any, path: str, out: dict[str, set[str]]) -> None:
    out.setdefault(path, set()).add(_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            if key in _FREE_FORM:
                out.setdefault(child, set()).add(_type(item))
            else:
                _walk(item, child, out)
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{path}[{_element_label(path, item)}]", out)


def shape_of(value: Any) -> Shape:
    """Every path of ``value`` with the JSON types found there (the root is the path ``""``)."""
    out: dict[str, set[str]] = {}
    _walk(value, "", out)
    return {path: frozenset(types) for path, types in out.items()}


def _shape_of_all(values: Iterable[Any]) -> Shape:
    out: dict[str, set[str]] = {}
    for value in values:
        _walk(value, "", out)
    return {path: frozenset(types) for path, types in out.items()}


@dataclass(frozen=True)
class Row:
    path: str
    recorded: str
    emulated: str
    verdict: Verdict


def _fits(recorded: frozenset[str], emulated: frozenset[str]) -> bool:
    allowed = set(recorded) | ({"integer"} if "number" in recorded else set())
    return emulated <= allowed


def compare_shapes(recorded: Shape, emulated: Shape) -> list[Row]:
    """One row per path of either shape, in path order."""
    rows = []
    for path in sorted(set(recorded) | set(emulated)):
        rec, emu = recorded.get(path), emulated.get(path)
        rec_text = "|".join(sorted(rec)) if rec else ""
        emu_text = "|".join(sorted(emu)) if emu else ""
        if rec is None:
            verdict: Verdict = "extra"
        elif emu is None:
            verdict = "missing"
        else:
            verdict = "same" if _fits(rec, emu) else "type"
        rows.append(Row(path or "(root)", rec_text, emu_text, verdict))
    return rows


# ------------------------------------------------------------------------------------------------ SSE


def _json_style(payload: str, value: Any) -> str:
    unescaped = payload.replace("\\u003c", "<").replace("\\u003e", ">")
    for style, separators in ((_GOOGLE_JSON_STYLE, (",", ": ")), ("compact", (",", ":")),
                              ("spaced", (", ", ": "))):
        if json.dumps(value, separators=separators, ensure_ascii=False) == unescaped:
            return style
    return "other"


def _angle_brackets(payload: str) -> str | None:
    escaped = "\\u003c" in payload or "\\u003e" in payload
    raw = "<" in payload or ">" in payload
    return "escaped" if escaped and not raw else "raw" if raw and not escaped else "mixed" if raw else None


def _framing_of_blocks(text: str, line_end: str) -> tuple[dict[str, set[str]], list[Any]]:
    seen: dict[str, set[str]] = {"fields": set(), "data lines per event": set(), "JSON": set(), "sentinel": set(),
                                 "< and > in strings": set()}
    events: list[Any] = []
    for block in text.split(line_end * 2):
        lines = [line for line in block.split(line_end) if line]
        if not lines:
            continue
        data = [line[5:].lstrip(" ") for line in lines if line.startswith("data:")]
        seen["fields"].update(line.split(":", 1)[0] for line in lines)
        seen["data lines per event"].add(str(len(data)))
        payload = "\n".join(data)
        if payload.strip() == "[DONE]":
            seen["sentinel"].add("[DONE]")
            continue
        try:
            value = json.loads(payload)
        except ValueError:
            seen["JSON"].add("not JSON")
            continue
        seen["JSON"].add(_json_style(payload, value))
        brackets = _angle_brackets(payload)
        if brackets:
            seen["< and > in strings"].add(brackets)
        events.append(value)
    return seen, events


def parse_sse(raw: bytes) -> tuple[list[Any], dict[str, str]]:
    """The events of an SSE body and its framing (see ``sse_framing``); lenient, never raises."""
    text = raw.decode("utf-8", errors="replace")
    line_end = "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")
    seen, events = _framing_of_blocks(text, line_end)
    framing = {
        "fields": ",".join(sorted(seen["fields"])) or "none",
        "line ends": {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}[line_end],
        "event end": "blank line" if not text or text.endswith(line_end * 2) else "no blank line at the end",
        "data lines per event": ",".join(sorted(seen["data lines per event"])) or "0",
        "JSON": ",".join(sorted(seen["JSON"])) or "none",
        "sentinel": ",".join(sorted(seen["sentinel"])) or "none",
        "< and > in strings": ",".join(sorted(seen["< and > in strings"])) or "absent",
    }
    return events, framing


def sse_framing(raw: bytes) -> dict[str, str]:
    """How an SSE body is framed: fields used, line ends, one ``data:`` line per event or more, the JSON
    layout inside events, any ``[DONE]`` sentinel, and whether ``<``/``>`` are sent as ``\\u003c``/``\\u003e``
    (Google escapes them; ``absent`` when no event holds one). Google's is ``GOOGLE_SSE_FRAMING``."""
    return parse_sse(raw)[1]


# ------------------------------------------------------------------------------------------------ answers


@dataclass
class Answer:
    """One HTTP answer: status, parsed body (a list of events for a stream) and what the wire looked like.

    ``raw`` is the verbatim SSE body when known (``None`` for a stream recorded without its framing);
    ``media_type`` is ``application/json``, ``text/event-stream`` or whatever else came back.
    """

    status: int
    body: Any
    media_type: str = "application/json"
    raw: bytes | None = None

    @property
    def stream(self) -> bool:
        return self.media_type == "text/event-stream"


@dataclass
class Report:
    """The comparison of one answer with its recording: ``rows`` (one per path), ``problems`` (status,
    error message, media type, SSE framing, casing, part order) and ``placement`` (stream events)."""

    name: str
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    placement: list[str] = field(default_factory=list)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for row in self.rows if row.verdict == verdict)

    @property
    def missing(self) -> list[str]:
        return [row.path for row in self.rows if row.verdict == "missing"]

    @property
    def extra(self) -> list[str]:
        return [row.path for row in self.rows if row.verdict == "extra"]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.placement and not any(
            row.verdict in ("missing", "type") for row in self.rows)

    def summary(self) -> str:
        verdict = "ok" if self.ok else "FAIL"
        return (f"{verdict} {self.name}: same {self.count('same')}, missing {self.count('missing')}, "
                f"extra {self.count('extra')}, type {self.count('type')}, "
                f"problems {len(self.problems) + len(self.placement)}")

    def table(self, *, all_rows: bool = True) -> str:
        """A Markdown table of the rows (``all_rows=False``: only the differences), then the problems."""
        lines = [f"### {self.name}", "", "| path | recorded | emulator | verdict |", "|---|---|---|---|"]
        for row in self.rows:
            if all_rows or row.verdict != "same":
                lines.append(f"| `{row.path}` | {row.recorded} | {row.emulated} | {row.verdict} |")
        lines.extend(["", *(f"- problem: {p}" for p in [*self.problems, *self.placement]), "", self.summary(), ""])
        return "\n".join(lines)


def normalize_message(message: str) -> str:
    """An error message without what Google varies between recordings of the same error: backticks
    around names (``default_api:f`` is quoted in some captures and not in others), runs of spaces, and
    CometAPI's ``(request id: …)``."""
    return " ".join(_REQUEST_ID.sub("", message).replace("`", "").split())


def _error_of(body: Any) -> dict[str, Any] | None:
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _casing(value: Any, path: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not _CAMEL.match(key):
                out.append(f"{path}.{key}" if path else key)
            if key not in _FREE_FORM:
                _casing(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for item in value:
            _casing(item, path + "[]", out)


def _kind_order(bodies: Iterable[Any]) -> list[str]:
    order: list[str] = []
    for body in bodies:
        candidates = body.get("candidates") if isinstance(body, dict) else None
        if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
            continue
        for part in (candidates[0].get("content") or {}).get("parts") or []:
            if part == {"text": ""}:
                continue  # an empty text part carries nothing; streams hold them anywhere
            kind = part_kind(part)
            if kind not in order:
                order.append(kind)
    return order


def _placement(events: list[Any]) -> dict[str, str]:
    """For each path: ``every`` event, ``last`` event only, or ``some`` events."""
    shapes = [set(shape_of(event)) for event in events]
    if len(shapes) < 2:
        return {}
    out = {}
    for path in set().union(*shapes):
        inside = [path in s for s in shapes]
        if all(inside):
            out[path] = "every"
        elif inside[-1] and not any(inside[:-1]):
            out[path] = "last"
        else:
            out[path] = "some"
    return out


def _compare_errors(recorded: Any, emulated: Any, problems: list[str]) -> None:
    rec, emu = _error_of(recorded), _error_of(emulated)
    if rec is None:
        return
    if emu is None:
        problems.append("the recording is an error envelope, the answer is not")
        return
    if isinstance(rec.get("status"), str) and rec.get("status") != emu.get("status"):
        problems.append(f"error.status: recorded {rec.get('status')!r}, emulator {emu.get('status')!r}")
    if isinstance(rec.get("message"), str):
        want, got = normalize_message(rec["message"]), normalize_message(str(emu.get("message", "")))
        if want != got:
            problems.append(f"error.message: recorded {want!r}, emulator {got!r}")


def _framing_problems(recorded: Answer, emulated: Answer) -> list[str]:
    if emulated.raw is None:
        return []
    want = sse_framing(recorded.raw) if recorded.raw is not None else dict(GOOGLE_SSE_FRAMING)
    got = sse_framing(emulated.raw)
    return [f"SSE framing, {key}: recorded {value!r}, emulator {got.get(key)!r}"
            for key, value in want.items() if "absent" not in (value, got.get(key)) and got.get(key) != value]


def _placement_problems(rec_events: list[Any], emu_events: list[Any]) -> list[str]:
    """Paths in every recorded event must be in every emulated one; last-event-only paths stay last."""
    rec_place, emu_place = _placement(rec_events), _placement(emu_events)
    emu_paths = _shape_of_all(emu_events)
    problems: list[str] = []
    reported: list[str] = []
    for path, where in sorted(rec_place.items()):
        if path not in emu_paths or any(path.startswith(p + ".") or path.startswith(p + "[") for p in reported):
            continue
        got = emu_place.get(path, "every")
        if where == "every" and got != "every":
            problems.append(f"`{path}` is in every recorded event, in {got} emulated ones")
        elif where == "last" and got != "last" and len(emu_events) > 1:
            problems.append(f"`{path}` is only in the last recorded event, in {got} emulated ones")
        else:
            continue
        reported.append(path)
    return problems


def _compare_streams(recorded: Answer, emulated: Answer, report: Report) -> None:
    report.problems.extend(_framing_problems(recorded, emulated))
    emu_events = list(emulated.body or [])
    if not emu_events:
        report.problems.append("the stream holds no events")
        return
    report.placement.extend(_placement_problems(list(recorded.body or []), emu_events))


def compare_answers(name: str, recorded: Answer, emulated: Answer) -> Report:
    """Compare the answer the emulator gave with the recorded one (see the module docstring)."""
    report = Report(name)
    problems = report.problems
    if recorded.status != emulated.status:
        problems.append(f"HTTP status: recorded {recorded.status}, emulator {emulated.status}")
    if recorded.media_type != emulated.media_type:
        problems.append(f"media type: recorded {recorded.media_type}, emulator {emulated.media_type}")
    rec_bodies = list(recorded.body or []) if recorded.stream else [recorded.body]
    emu_bodies = list(emulated.body or []) if emulated.stream else [emulated.body]
    report.rows = compare_shapes(_shape_of_all(rec_bodies), _shape_of_all(emu_bodies))
    _compare_errors(recorded.body, emulated.body, problems)
    if recorded.stream and emulated.stream:
        _compare_streams(recorded, emulated, report)
    casing: list[str] = []
    for body in emu_bodies:
        _casing(body, "", casing)
    if casing:
        problems.append("keys not in lowerCamelCase: " + ", ".join(sorted(set(casing))))
    rec_order, emu_order = _kind_order(rec_bodies), _kind_order(emu_bodies)
    common = [kind for kind in rec_order if kind in emu_order]
    if common != [kind for kind in emu_order if kind in rec_order]:
        problems.append(f"part kinds come in another order: recorded {rec_order}, emulator {emu_order}")
    return report


def format_reports(reports: Iterable[Report], *, title: str = "Emulator shape conformance",
                   all_rows: bool = False) -> str:
    """One Markdown document: a summary line per report, then each report's table (differences only
    unless ``all_rows``)."""
    reports = list(reports)
    failing = sum(1 for r in reports if not r.ok)
    lines = [f"# {title}", "", f"{len(reports)} answers compared, {len(reports) - failing} with the recorded "
             f"shape, {failing} not.", "", *(f"- {r.summary()}" for r in reports), ""]
    lines.extend(r.table(all_rows=all_rows) for r in reports)
    return "\n".join(lines)
