"""Record fresh Gemini API traffic, and check the emulator against a recording.

    python -m cometgemini.emulator.record --base-url https://api.cometapi.com --out recordings/2026-12
    python -m cometgemini.emulator.record --check recordings/2026-12 [--report report.md]

Recording sends the fixed catalog of scenarios (``_scenarios.SCENARIOS``: text, stream, thinking per
family, function calling over two turns, tool combination, grounding, URL context, code execution,
structured output, image output, countTokens, embeddings, caches, a blocked prompt and a dozen errors) and
writes what came back in the fixtures' format: ``<stem>.request.json`` as sent, ``<stem>.response.json``
(the body as received), ``<stem>.sse`` (verbatim) or ``<stem>.response.txt`` (a body that is not JSON),
``.turnN`` for exchanges of several turns. Whatever the server answers is recorded, errors included.
``exchanges.json`` says how each file was requested and ``SOURCES.md`` notes the endpoint and the date.
The key (``--api-key`` or ``$COMETAPI_KEY``) is sent in ``x-goog-api-key`` or as a bearer token
(``--auth``) and never written: headers are not recorded, the base URL is noted without its query string,
and should a body ever hold the key, it is written as ``REDACTED``.

Checking starts an emulator, sends it every recorded request and compares each answer with the recording
by shape (``_conformance``); it prints one line per answer, writes the tables with ``--report`` and exits
with status 1 when an answer differs. From Python: ``check(directory)`` returns the ``Report``s,
``compare_answers(name, recorded, answer)`` compares any two ``Answer``s, ``format_reports`` renders them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ._conformance import Answer, Report, compare_answers, format_reports
from ._exchanges import MANIFEST, Exchange, Turn, check_exchange, load_exchanges, send
from ._scenarios import MODELS, SCENARIOS, Scenario

# The comparison is public here too: users check their own recordings or answers with it.
__all__ = ["Answer", "Report", "check", "compare_answers", "format_reports", "main", "record"]

_CHECK_KEY = "conformance-check-key"


def _public(base_url: str) -> str:
    """The base URL as used and noted: no user info, no query string (keys can hide in both; the key goes in
    a header)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _stem(scenario: Scenario, turn: Turn) -> str:
    """``<method>_<scenario>_<model>`` (``error_<scenario>_<model>`` for the error scenarios)."""
    if "/models/" in turn.path and ":" in turn.path:
        model, method = turn.path.split("/models/", 1)[1].rsplit(":", 1)
    else:
        model, method = "", turn.path.strip("/").split("/")[1]
    head = "error" if scenario.error else method
    return "_".join(x for x in (head, scenario.name, model) if x)


def _redacted(data: bytes, key: str | None) -> bytes:
    # A key shorter than 8 characters cannot be told from ordinary text; real keys are far longer.
    if key and len(key) >= 8:
        return data.replace(key.encode(), b"REDACTED")
    return data


def _write_answer(out: Path, stem: str, answer: Answer, key: str | None) -> str:
    suffix = ".sse" if answer.stream else ".response.txt" if isinstance(answer.body, str) else ".response.json"
    (out / (stem + suffix)).write_bytes(_redacted(answer.raw or b"", key))
    return stem + suffix


def _record_scenario(client: httpx.Client, scenario: Scenario, out: Path, models: dict[str, str],
                     key: str | None, auth_header: str) -> dict[str, Any]:
    answers: list[Answer] = []
    turns: list[dict[str, Any]] = []
    base = ""
    exchange: dict[str, Any] = {"name": scenario.name, "about": scenario.about, "turns": turns}
    for number, step in enumerate(scenario.steps, 1):
        turn = step(models, answers)
        if turn is None:
            break
        try:
            answer = send(client, turn, key, auth_header)
        except httpx.HTTPError as exc:  # nothing came back: noted, and the next scenario goes on
            exchange["failed"] = f"turn {number}: {type(exc).__name__}: {exc}"
            break
        answers.append(answer)
        base = base or _stem(scenario, turn)
        stem = base + (f".turn{number}" if len(scenario.steps) > 1 else "")
        entry: dict[str, Any] = {"name": stem, "method": turn.method, "path": turn.path, "query": turn.query,
                                 "auth": turn.auth, "request": None}
        if turn.body is not None:
            entry["request"] = stem + ".request.json"
            text = json.dumps(turn.body, indent=2, ensure_ascii=False) + "\n"
            (out / entry["request"]).write_bytes(_redacted(text.encode(), key))
        entry.update(response=_write_answer(out, stem, answer, key), status=answer.status,
                     media_type=answer.media_type)
        turns.append(entry)
    return exchange


def _sources(meta: dict[str, Any], exchanges: Iterable[dict[str, Any]]) -> str:
    lines = ["# Recorded traffic", "",
             f"Recorded by `python -m cometgemini.emulator.record` from `{meta['base_url']}` on "
             f"{meta['recorded_at']} (UTC), key sent in `{meta['auth_header']}`. The key is not written here or "
             "in any file of this folder. `exchanges.json` says how each file was requested.", "",
             "| scenario | what | file | HTTP status |", "|---|---|---|---|"]
    for exchange in exchanges:
        for turn in exchange["turns"]:
            lines.append(f"| {exchange['name']} | {exchange['about']} | {turn['response']} | {turn['status']} |")
        if "failed" in exchange:
            lines.append(f"| {exchange['name']} | {exchange['about']} | (no answer: {exchange['failed']}) | |")
    return "\n".join(lines) + "\n"


def record(base_url: str, out: str | Path, *, api_key: str | None = None, auth_header: str = "x-goog-api-key",
           only: Sequence[str] | None = None, models: dict[str, str] | None = None,
           timeout: float = 180.0, transport: httpx.BaseTransport | None = None) -> list[dict[str, Any]]:
    """Send the scenarios (all, or those named in ``only``) to ``base_url``; write the recording in ``out``.

    Returns the manifest's exchanges. ``models`` overrides model ids by role (see ``MODELS``);
    ``transport`` is handed to httpx (a proxy, or a mock in tests).
    """
    chosen = [s for s in SCENARIOS if not only or s.name in only]
    unknown = set(only or ()) - {s.name for s in SCENARIOS}
    if unknown:
        raise ValueError(f"unknown scenarios {sorted(unknown)}; known: {[s.name for s in SCENARIOS]}")
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    roles = {**MODELS, **(models or {})}
    meta: dict[str, Any] = {"base_url": _public(base_url), "auth_header": auth_header, "models": roles,
            "recorded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    with httpx.Client(base_url=meta["base_url"], timeout=timeout, transport=transport) as client:
        exchanges = [_record_scenario(client, s, target, roles, api_key, auth_header) for s in chosen]
    (target / MANIFEST).write_text(json.dumps({**meta, "exchanges": exchanges}, indent=2) + "\n", encoding="utf-8")
    (target / "SOURCES.md").write_text(_sources(meta, exchanges), encoding="utf-8")
    return exchanges


def _auth_errors(meta: dict[str, Any], exchanges: list[Exchange]) -> str:
    """Whose auth errors the recording shows: CometAPI's 401 or Google's 400 / 403."""
    for exchange in exchanges:
        for turn in exchange.turns:
            if turn.auth != "key" and turn.recorded is not None:
                return "cometapi" if turn.recorded.status == 401 else "google"
    return "google" if "googleapis.com" in str(meta.get("base_url")) else "cometapi"


def check(directory: str | Path) -> list[Report]:
    """Send every request recorded in ``directory`` to a fresh emulator and compare the answers by shape."""
    from ._server import serve

    meta, exchanges = load_exchanges(directory)
    reports: list[Report] = []
    with serve(api_key=_CHECK_KEY, auth_errors=_auth_errors(meta, exchanges)) as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as client:
        for exchange in exchanges:
            reports.extend(check_exchange(client, exchange, _CHECK_KEY))
    return reports


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cometgemini.emulator.record", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="endpoint to record, e.g. https://api.cometapi.com")
    parser.add_argument("--out", help="folder for the recording (created if missing)")
    parser.add_argument("--api-key", help="the key (default: $COMETAPI_KEY); prefer the variable")
    parser.add_argument("--auth", choices=["x-goog-api-key", "bearer"], default="x-goog-api-key")
    parser.add_argument("--only", help="comma-separated scenario names (default: all; see --list)")
    parser.add_argument("--model", action="append", default=[], metavar="ROLE=ID",
                        help=f"model id for a role, roles: {', '.join(MODELS)}")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--check", metavar="DIR", help="check the emulator against the recording in DIR")
    parser.add_argument("--report", metavar="FILE", help="with --check: write the Markdown tables here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.list:
        for scenario in SCENARIOS:
            print(f"{scenario.name:40} {scenario.about}")
        return 0
    if args.check:
        reports = check(args.check)
        for report in reports:
            print(report.summary())
        if args.report:
            Path(args.report).write_text(format_reports(reports, title=f"Emulator vs {args.check}"), encoding="utf-8")
        return 0 if all(r.ok for r in reports) else 1
    if not args.base_url or not args.out:
        print("record: --base-url and --out are needed (or --check DIR, or --list)", file=sys.stderr)
        return 2
    if any("=" not in item for item in args.model):
        print("record: --model takes ROLE=ID, e.g. --model gemini3=gemini-3-flash-preview", file=sys.stderr)
        return 2
    models = dict(item.split("=", 1) for item in args.model)
    only = [name.strip() for name in args.only.split(",")] if args.only else None
    key = args.api_key or os.environ.get("COMETAPI_KEY")
    exchanges = record(args.base_url, args.out, api_key=key, auth_header=args.auth, only=only, models=models)
    for exchange in exchanges:
        statuses = ", ".join(str(t["status"]) for t in exchange["turns"])
        print(f"{exchange['name']:40} {statuses} {exchange.get('failed', '')}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
