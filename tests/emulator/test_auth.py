"""Auth: CometAPI's 401 envelope on a missing or wrong key; keys never echoed nor recorded."""

from __future__ import annotations

import httpx

from cometgemini.emulator import serve

from .conftest import user

_BODY = {"contents": [user("hello")]}
_URL = "/v1beta/models/gemini-2.5-flash:generateContent"


def test_auth() -> None:
    secret = "sk-emulator-secret-123"
    with serve(api_key=secret) as emu, httpx.Client(base_url=emu.base_url) as client:
        for headers in ({}, {"x-goog-api-key": "wrong"}, {"authorization": "Bearer wrong"}):
            response = client.post(_URL, json=_BODY, headers=headers)
            assert response.status_code == 401
            error = response.json()["error"]
            assert error["message"].startswith("invalid token (request id: ")
            assert error["type"] == "comet_api_error" and error["param"] == "" and error["code"] == ""
            assert "wrong" not in response.text
        assert client.post(_URL, json=_BODY, headers={"x-goog-api-key": secret}).status_code == 200
        assert client.post(_URL, json=_BODY, headers={"authorization": f"Bearer {secret}"}).status_code == 200
        assert client.post(_URL, json=_BODY, params={"key": secret}).status_code == 200
        assert client.get("/v1beta/models", headers={"x-goog-api-key": "nope"}).status_code == 401
        recorded = emu.requests
        assert recorded[-4]["headers"]["x-goog-api-key"] == "REDACTED"
        assert recorded[-3]["headers"]["authorization"] == "REDACTED"
        assert recorded[-2]["query"]["key"] == "REDACTED"
        assert secret not in repr(recorded)
        dumped = client.get("/_emulator/requests").text
        assert secret not in dumped and len(client.get("/_emulator/requests").json()["requests"]) == len(recorded)
        client.delete("/_emulator/requests")
        assert emu.requests == []


def test_no_key_configured_accepts_anything(client: httpx.Client) -> None:
    assert client.post(_URL, json=_BODY).status_code == 200
    assert client.post(_URL, json=_BODY, headers={"x-goog-api-key": "anything"}).status_code == 200


def test_google_style_auth_errors() -> None:
    """``auth_errors="google"``: Google's recorded answers, 400 API_KEY_INVALID for a wrong key, 403 for none."""
    with serve(api_key="sk-right-key-123", auth_errors="google") as emu, \
            httpx.Client(base_url=emu.base_url) as client:
        wrong = client.post(_URL, json=_BODY, headers={"authorization": "Bearer sk-wrong-key-456"})
        assert wrong.status_code == 400 and "sk-wrong" not in wrong.text
        error = wrong.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT" and error["details"][0]["reason"] == "API_KEY_INVALID"
        missing = client.get("/v1beta/models")
        assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
        assert client.post(_URL, json=_BODY, headers={"x-goog-api-key": "sk-right-key-123"}).status_code == 200
