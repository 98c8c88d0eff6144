"""The emulator's model catalog (unknown ids are 404 as on Google's server, unless ``any_model``), its speech
output for text-to-speech models, and a quiet stop with a request in flight."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap

import httpx
import pytest

from cometgemini.emulator import serve
from cometgemini.emulator._models import KNOWN_MODELS
from tests._fixtures import load_json
from tests.emulator.conftest import check_response, check_stream, generate, stream, user

RECORDED_404 = "error_404_NOT_FOUND_generateContent_unknown_model.response.json"
# the ids the project's tests, notebooks, docs and recorded traffic use: they must keep being served
USED = ("gemini-3-flash-preview", "gemini-3-pro-preview", "gemini-3.1-pro-preview", "gemini-3.6-flash",
        "gemini-3.7-flash", "gemini-3-pro-image-preview", "gemini-2.5-pro", "gemini-2.5-flash",
        "gemini-2.5-flash-lite", "gemini-2.5-flash-image", "gemini-2.5-flash-preview-tts", "gemini-2.0-flash",
        "gemini-2.0-flash-001", "gemini-2.0-flash-exp", "gemini-2.0-flash-lite", "gemini-2.0-flash-lite-001",
        "gemini-1.5-flash")


def test_an_unknown_gemini_id_is_404_with_googles_recorded_message(client: httpx.Client) -> None:
    recorded = load_json(RECORDED_404)
    response = generate(client, "gemini-3.6-flahs", {"contents": [user("hi")]})
    assert response.status_code == 404
    assert response.json() == recorded  # the same envelope, word for word
    for model in ("gemini-9-ultra", "gemini-embedding-999"):
        assert generate(client, model, {"contents": [user("hi")]}).status_code == 404
        assert client.get(f"/v1beta/models/{model}").status_code == 404
        assert client.post(f"/v1beta/models/{model}:countTokens", json={"contents": [user("x")]}).status_code == 404
    batch = {"requests": [{"model": "models/gemini-embedding-999", "content": {"parts": [{"text": "x"}]}}]}
    assert client.post("/v1beta/models/gemini-embedding-999:batchEmbedContents", json=batch).status_code == 404


@pytest.mark.parametrize("model", USED)
def test_the_ids_in_use_are_served_and_listed(client: httpx.Client, model: str) -> None:
    assert model in KNOWN_MODELS
    check_response(generate(client, model, {"contents": [user("hi")]}).json())
    assert client.get(f"/v1beta/models/{model}").json()["name"] == f"models/{model}"


def test_any_model_serves_ids_the_catalog_does_not_list() -> None:
    with serve(any_model=True) as emu, httpx.Client(base_url=emu.base_url) as client:
        check_response(generate(client, "gemini-9-ultra", {"contents": [user("hi")]}).json())
        assert client.get("/v1beta/models/gemini-9-ultra").status_code == 200
        assert generate(client, "gpt-4o", {"contents": [user("hi")]}).status_code == 404


def test_speech_output_is_one_pcm_part_like_googles_tts_models(client: httpx.Client) -> None:
    body = {"contents": [user("Say cheerfully: have a wonderful day!")],
            "generationConfig": {"responseModalities": ["AUDIO"], "speechConfig": {
                "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}}}
    data = generate(client, "gemini-2.5-flash-preview-tts", body).json()
    check_response(data)
    (part,) = data["candidates"][0]["content"]["parts"]
    assert part["inlineData"]["mimeType"] == "audio/L16;codec=pcm;rate=24000"
    pcm = base64.b64decode(part["inlineData"]["data"])
    assert len(pcm) == 24_000 // 4 * 2  # a quarter second of 16-bit mono samples
    assert any(pcm[i:i + 2] != b"\x00\x00" for i in range(0, len(pcm), 2))  # not silence
    usage = data["usageMetadata"]
    assert usage["candidatesTokensDetails"] == [{"modality": "AUDIO", "tokenCount": 8}]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + 8
    other = dict(body, generationConfig={"responseModalities": ["AUDIO"], "speechConfig": {
        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}}})
    assert generate(client, "gemini-2.5-flash-preview-tts", other).json() != data  # the voice is heard
    events = stream(client, "gemini-2.5-flash-preview-tts", body)
    check_stream(events)
    assert [p["inlineData"]["data"] for e in events for p in e["candidates"][0]["content"].get("parts", [])] == [
        part["inlineData"]["data"]]


def test_stopping_with_a_request_in_flight_is_quiet() -> None:
    """uvicorn cancels a request still running after its grace period; that must not print a traceback."""
    script = textwrap.dedent("""
        import threading, time, httpx
        from cometgemini.emulator import serve
        with serve() as emu:
            def slow():
                try:
                    httpx.post(emu.base_url + "/v1beta/models/gemini-2.5-flash:generateContent",
                               json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
                               headers={"x-emulator-fault": "slow:30"}, timeout=60)
                except httpx.HTTPError:
                    pass
            thread = threading.Thread(target=slow, daemon=True)
            thread.start()
            time.sleep(0.5)
        print("stopped")
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "stopped" in done.stdout
    assert "Traceback" not in done.stderr and "CancelledError" not in done.stderr, done.stderr
    assert done.stderr.strip() == ""

