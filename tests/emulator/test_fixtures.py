"""Every recorded request is accepted, and what comes back has the recorded shape and framing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from cometgemini.emulator import EmulatorConfig, serve
from tests._fixtures import fixture_names

from .conftest import check_response, check_stream, sse_events

_REQUESTS = fixture_names("*.request.json")


def _model_for(fixtures: Path, name: str) -> str:
    """The model of the recorded exchange a request fixture belongs to (from its own name, or its response
    file's name)."""
    stem = name.removesuffix(".request.json")
    own = re.search(r"_(gemini-[\w.-]+?)(\.turn\d+)?$", stem)
    if own:
        return own.group(1)
    for candidate in sorted(fixtures.iterdir()):
        match = re.search(r"(gemini-[\w.-]+?)\.(response\.json|sse|chunks\.jsonl)$", candidate.name)
        if candidate.name.startswith(stem + "_") and match:
            return match.group(1)
    return "gemini-2.5-flash"


@pytest.mark.parametrize("name", _REQUESTS)
def test_recorded_request_is_accepted(fixtures: Path, client: httpx.Client, name: str) -> None:
    body = json.loads((fixtures / name).read_text())
    if name.startswith("batchEmbedContents"):
        response = client.post("/v1beta/models/gemini-embedding-2-preview:batchEmbedContents", json=body)
        assert response.status_code == 200, response.text
        assert len(response.json()["embeddings"][0]["values"]) == 768
        return
    if name.startswith("countTokens"):
        response = client.post("/v1beta/models/gemini-2.5-flash:countTokens", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["totalTokens"] > 0
        return
    if name.startswith("cachedContents_"):
        body = _routed_to_a_cache(fixtures, client, name, body)
        if body is None:
            return
    model = _model_for(fixtures, name)
    response = client.post(f"/v1beta/models/{model}:generateContent", json=body)
    assert response.status_code == 200, (model, response.text)
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    assert response.text.startswith('{\n  "')
    check_response(response.json())
    streamed = client.post(f"/v1beta/models/{model}:streamGenerateContent?alt=sse", json=body)
    assert streamed.status_code == 200, streamed.text
    check_stream(sse_events(streamed.text))


def _routed_to_a_cache(fixtures: Path, client: httpx.Client, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """A recorded cache exchange goes where it went: the create request to ``POST cachedContents`` (answered in
    the recorded shape; ``None`` returned), a request using the cache to generateContent, with the name of a
    cache made here from the exchange's first request."""
    first = json.loads((fixtures / re.sub(r"turn\d+", "turn1", name)).read_text())
    created = client.post("/v1beta/cachedContents", json=first)
    assert created.status_code == 200, created.text
    recorded = json.loads((fixtures / re.sub(r"turn\d+", "turn1", name).replace("request", "response")).read_text())
    assert set(created.json()) == set(recorded)
    assert created.json()["name"].startswith("cachedContents/") and created.text.startswith('{\n  "')
    if "cachedContent" not in body:
        return None
    return dict(body, cachedContent=created.json()["name"])


def test_model_picked_from_fixture_names(fixtures: Path) -> None:
    assert _model_for(fixtures, "streamGenerateContent_sse_functionCall_thoughtSignature_turn1.request.json") \
        == "gemini-3-pro-preview"
    assert _model_for(fixtures, "generateContent_googleSearch.request.json") == "gemini-2.5-pro"
    assert _model_for(fixtures, "generateContent_toolCombination_auto_googleSearch_plus_function_"
                                "gemini-3-flash-preview.turn2.request.json") == "gemini-3-flash-preview"


def test_replay_serves_recordings_in_order(fixtures: Path) -> None:
    with serve(EmulatorConfig(replay_dir=str(fixtures))) as emu, httpx.Client(base_url=emu.base_url) as client:
        body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
        seen = []
        for _ in range(40):
            response = client.post("/v1beta/models/gemini-2.5-flash:generateContent", json=body)
            name = response.headers["x-emulator-replay"]
            seen.append(name)
            recorded = json.loads((fixtures / name).read_text())
            assert response.json() == recorded
            if name.startswith("error_"):
                first = recorded[0] if isinstance(recorded, list) else recorded
                assert response.status_code == first["error"]["code"]
            else:
                assert response.status_code == 200
        generate = sorted(p.name for p in fixtures.glob("*.response.json")
                          if p.name.startswith(("generateContent", "error_")))
        assert seen[: len(generate)] == generate
        assert seen[len(generate)] == generate[0]
        streams = []
        for _ in range(30):
            response = client.post("/v1beta/models/x:streamGenerateContent?alt=sse", json=body)
            name = response.headers["x-emulator-replay"]
            streams.append(name)
            if name.endswith(".sse"):
                assert response.content == (fixtures / name).read_bytes()
            elif name.endswith(".chunks.jsonl"):
                lines = [ln for ln in (fixtures / name).read_text().splitlines() if ln.strip()]
                assert [json.dumps(e) for e in sse_events(response.text)] == [
                    json.dumps(json.loads(ln)) for ln in lines]
        assert any(n.endswith(".sse") for n in streams) and any(n.endswith(".chunks.jsonl") for n in streams)
        queue = sorted(p.name for p in fixtures.iterdir()
                       if p.name.endswith((".sse", ".chunks.jsonl")) or p.name.startswith("error_"))
        assert streams[: len(queue)] == queue
