"""The recorder against the real gateway (``COMETAPI_KEY``; ``COMETAPI_BASE_URL`` optional), then the emulator
checked against that fresh recording. Opt in with ``pytest -m live``; skipped without a key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cometgemini.emulator.record import check, format_reports, record

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("COMETAPI_KEY"), reason="needs COMETAPI_KEY"),
]

# The scenarios every Gemini-compatible endpoint serves; the rest (caches, embeddings, ...) may be absent.
_CORE = ["text", "stream", "thinking_level", "function_calling", "structured_output", "any_mode_with_json"]


def test_a_live_recording_has_the_emulators_shape(tmp_path: Path) -> None:
    key = os.environ["COMETAPI_KEY"]
    base_url = os.environ.get("COMETAPI_BASE_URL") or "https://api.cometapi.com"
    exchanges = record(base_url, tmp_path, api_key=key, only=_CORE)
    assert all(e["turns"] for e in exchanges), exchanges
    assert not [p.name for p in tmp_path.iterdir() if key.encode() in p.read_bytes()]
    reports = check(tmp_path)
    assert all(r.ok for r in reports), format_reports(reports)
