"""Shared helpers of the emulator tests: a running emulator and the recorded fixtures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cometgemini._types import GenerateContentResponse
from cometgemini.emulator import EmulatorServer, serve
from cometgemini.emulator._conformance import format_reports
from tests._fixtures import FIXTURES, REPO, fixture_names

from ._recorded import REPORTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Write the conformance report of this run (differences and extra keys of every exchange)."""
    if not REPORTS:
        return
    target = REPO / "build" / "emulator-conformance.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(format_reports(REPORTS, title="Emulator vs tests/fixtures/gemini-api"), encoding="utf-8")
    failing = [r.name for r in REPORTS if not r.ok]
    extra = sum(1 for r in REPORTS if r.extra)
    terminalreporter.write_sep("-", "emulator shape conformance")
    terminalreporter.write_line(f"{len(REPORTS)} recorded answers compared: {len(REPORTS) - len(failing)} in the "
                                f"recorded shape ({extra} with extra keys), {len(failing)} not; "
                                f"tables in {target.relative_to(REPO)}")
    for name in failing:
        why = " (a Vertex AI capture: differs by design)" if name.startswith("VERTEX_") else ""
        terminalreporter.write_line(f"  differs: {name}{why}")


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The project's recorded traffic (``tests/fixtures/gemini-api``); a missing folder fails the tests."""
    fixture_names("*")  # raises if the folder is missing
    return FIXTURES


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve() as server:
        yield server


@pytest.fixture
def client(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, timeout=10) as c:
        yield c


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def generate(client: httpx.Client, model: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return client.post(f"/v1beta/models/{model}:generateContent", json=body, **kw)


def sse_events(text: str) -> list[dict[str, Any]]:
    """Parse an SSE body, asserting Google's exact framing."""
    assert text.endswith("\r\n\r\n"), repr(text[-40:])
    events = []
    for block in text.split("\r\n\r\n")[:-1]:
        assert block.startswith("data: "), block[:80]
        payload = block[len("data: "):]
        assert "\n" not in payload and "\r" not in payload
        assert payload != "[DONE]"
        events.append(json.loads(payload))
    return events


def stream(client: httpx.Client, model: str, body: dict[str, Any], **kw: Any) -> list[dict[str, Any]]:
    response = client.post(f"/v1beta/models/{model}:streamGenerateContent", params={"alt": "sse"}, json=body,
                           **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return sse_events(response.text)


def _camel_keys(value: Any, path: str = "") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert "_" not in key or key.startswith("@"), f"snake_case key {key!r} at {path}"
            if key not in ("args", "response"):
                _camel_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _camel_keys(item, path)


def check_response(data: dict[str, Any]) -> GenerateContentResponse:
    """Shape checks every emulator response passes."""
    _camel_keys(data)
    parsed = GenerateContentResponse.model_validate(data)
    assert parsed.model_version and parsed.response_id
    usage = parsed.usage_metadata
    assert usage is not None
    assert usage.total_token_count == (usage.prompt_token_count + usage.candidates_token_count
                                       + usage.thoughts_token_count + usage.tool_use_prompt_token_count)
    return parsed


def check_stream(events: list[dict[str, Any]]) -> str:
    """Stream invariants; returns the concatenated answer text of candidate 0."""
    assert events
    text = ""
    ids = {e["responseId"] for e in events}
    assert len(ids) == 1
    for number, event in enumerate(events):
        check_response(event)
        last = number == len(events) - 1
        for cand in event.get("candidates", []):
            assert ("finishReason" in cand) == last or len(event["candidates"]) > 1 or "promptFeedback" in event
            if cand.get("index", 0) == 0:
                text += "".join(p.get("text", "") for p in cand.get("content", {}).get("parts", [])
                                if not p.get("thought"))
    counts = [e["usageMetadata"].get("candidatesTokenCount", 0) for e in events]
    assert counts == sorted(counts)
    return text
