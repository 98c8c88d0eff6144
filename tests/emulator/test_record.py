"""``python -m cometgemini.emulator.record``: recording writes the fixtures' format without the key, and
``--check`` accepts what it recorded. Offline: the endpoint is the emulator itself, or the emulator
replaying Google's recorded answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from cometgemini.emulator import EmulatorConfig, serve
from cometgemini.emulator._exchanges import load_exchanges
from cometgemini.emulator._scenarios import SCENARIOS
from cometgemini.emulator.record import check, main, record
from tests._fixtures import fixture_path

from .conftest import sse_events

KEY = "sk-recorder-secret-0123456789"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_recording_of_the_emulator_passes_its_own_check(tmp_path: Path) -> None:
    with serve(api_key=KEY) as emu:
        exchanges = record(emu.base_url, tmp_path, api_key=KEY)
    assert [e["name"] for e in exchanges] == [s.name for s in SCENARIOS]
    files = _files(tmp_path)
    assert not [name for name, data in files.items() if KEY.encode() in data]
    manifest = json.loads(files["exchanges.json"])
    assert manifest["base_url"].startswith("http://127.0.0.1:") and manifest["recorded_at"].endswith("Z")
    assert "x-goog-api-key" in files["SOURCES.md"].decode() and manifest["base_url"] in files["SOURCES.md"].decode()
    for exchange in manifest["exchanges"]:
        assert exchange["turns"], exchange  # every scenario got an answer, errors included
        for turn in exchange["turns"]:
            if turn["request"]:
                json.loads(files[turn["request"]])
            body = files[turn["response"]]
            if turn["response"].endswith(".sse"):
                assert sse_events(body.decode())  # verbatim Google framing
            elif turn["response"].endswith(".json"):
                json.loads(body)
    function_calling = next(e for e in manifest["exchanges"] if e["name"] == "function_calling")
    turn2 = json.loads(files[function_calling["turns"][1]["request"]])
    echoed = turn2["contents"][1]["parts"][0]
    assert echoed["thoughtSignature"] and echoed["functionCall"]["id"]
    assert turn2["contents"][2]["parts"][0]["functionResponse"]["id"] == echoed["functionCall"]["id"]
    # Not built yet in the emulator: recorded as what it answers, not a crash.
    caches = next(e for e in manifest["exchanges"] if e["name"] == "caches")
    assert caches["turns"][0]["status"] in (200, 404)
    reports = check(tmp_path)
    assert len(reports) == sum(len(e["turns"]) for e in manifest["exchanges"])
    assert [r.name for r in reports if not r.ok] == []


def test_google_style_auth_errors_are_recognised_and_replayed(tmp_path: Path) -> None:
    with serve(api_key=KEY, auth_errors="google") as emu:
        exchanges = record(emu.base_url, tmp_path, api_key=KEY, auth_header="bearer",
                           only=["text", "invalid_key", "no_key"])
    assert [t["status"] for e in exchanges for t in e["turns"]] == [200, 400, 403]
    reports = check(tmp_path)  # the check's emulator answers as Google does, read from the recording
    assert [r.ok for r in reports] == [True, True, True]


_REPLAYED = {  # scenario -> Google's recorded answers the replaying emulator serves for it, in order
    "text": ["generateContent_text_gemini-2.5-flash.response.json"],
    "stream": ["streamGenerateContent_sse_usage_every_event_gemini-2.5-flash.sse"],
    "function_calling_stream": [
        f"streamGenerateContent_sse_functionCall_thoughtSignature_turn{n}_gemini-3-pro-preview.sse" for n in (1, 2)],
    "grounding": ["generateContent_googleSearch_groundingMetadata_gemini-2.5-pro.response.json"],
    "url_context": ["generateContent_urlContext_urlContextMetadata_gemini-2.5-flash.response.json"],
    "blocked_prompt": ["generateContent_promptFeedback_blockReason_PROHIBITED_CONTENT_gemini-3.7-flash.response.json"],
    "thinking_level_unsupported": [
        "error_400_INVALID_ARGUMENT_thinkingLevel_MINIMAL_unsupported_gemini-3.1-pro-preview.response.json"],
    "penalty": ["error_400_INVALID_ARGUMENT_penalty_not_enabled_gemini-2.5-flash.response.json"],
}


def _replay_dir(folder: Path) -> list[str]:
    """Copies of the recordings named so that the replay serves them in the order the recorder asks."""
    served = []
    for scenario in SCENARIOS:
        for name in _REPLAYED.get(scenario.name, []):
            served.append(name)
            shutil.copy(fixture_path(name), folder / f"{len(served):02d}_{name}")
    return served


def test_a_recording_of_replayed_google_traffic_is_written_verbatim_and_checked(tmp_path: Path) -> None:
    replay, out = tmp_path / "replay", tmp_path / "out"
    replay.mkdir()
    served = _replay_dir(replay)
    with serve(EmulatorConfig(api_key=KEY, replay_dir=str(replay))) as emu:
        exchanges = record(emu.base_url, out, api_key=KEY, only=list(_REPLAYED),
                           models={"gemini3": "gemini-3-pro-preview"})
    written = [t["response"] for e in exchanges for t in e["turns"]]
    assert [(out / name).read_bytes() for name in written] == [fixture_path(name).read_bytes() for name in served]
    _, loaded = load_exchanges(out)
    turn2 = next(e for e in loaded if e.name == "function_calling_stream").turns[1].body
    google_call = turn2["contents"][1]["parts"][0]  # Google's part, sent back as received
    assert google_call["functionCall"]["name"] == "get_country" and len(google_call["thoughtSignature"]) > 500
    assert turn2["contents"][2]["parts"][0]["functionResponse"]["name"] == "get_country"
    reports = check(out)
    assert [r.name for r in reports if not r.ok] == []


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    assert "tool_combination" in capsys.readouterr().out
    monkeypatch.setenv("COMETAPI_KEY", KEY)
    with serve(api_key=KEY) as emu:
        assert main(["--base-url", f"{emu.base_url}/?key={KEY}", "--out", str(tmp_path / "rec"),
                     "--only", "text,count_tokens,no_key"]) == 0
    out = capsys.readouterr().out
    assert "text" in out and "401" in out
    assert KEY not in (tmp_path / "rec" / "exchanges.json").read_text()  # the query string is not noted
    report = tmp_path / "report.md"
    assert main(["--check", str(tmp_path / "rec"), "--report", str(report)]) == 0
    assert "ok generateContent_text_gemini-2.5-flash" in capsys.readouterr().out
    assert "| path | recorded | emulator | verdict |" in report.read_text()
    recorded = tmp_path / "rec" / "countTokens_count_tokens_gemini-2.5-flash.response.json"
    recorded.write_text(json.dumps({**json.loads(recorded.read_text()), "newField": 1}))
    assert main(["--check", str(tmp_path / "rec")]) == 1
    assert "FAIL countTokens_count_tokens_gemini-2.5-flash: same" in capsys.readouterr().out
    assert main([]) == 2
    assert main(["--base-url", "http://x", "--out", str(tmp_path / "no"), "--model", "gemini-3-pro"]) == 2


def test_a_key_echoed_by_a_server_is_not_written(tmp_path: Path) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"you sent": request.headers.get("x-goog-api-key")})

    record("http://gateway", tmp_path, api_key=KEY, only=["text"], transport=httpx.MockTransport(echo))
    assert not [name for name, data in _files(tmp_path).items() if KEY.encode() in data]
    assert b"REDACTED" in (tmp_path / "generateContent_text_gemini-2.5-flash.response.json").read_bytes()


def test_a_server_that_does_not_answer_is_noted_and_the_rest_recorded(tmp_path: Path) -> None:
    def flaky(request: httpx.Request) -> httpx.Response:
        if "countTokens" in request.url.path:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json={"totalTokens": 1})

    exchanges = record("http://gateway", tmp_path, only=["count_tokens", "text"], transport=httpx.MockTransport(flaky))
    assert exchanges[1]["failed"].startswith("turn 1: ConnectError") and exchanges[0]["turns"]
    assert "no answer" in (tmp_path / "SOURCES.md").read_text()
