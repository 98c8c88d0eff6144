"""The recorded traffic is the project's own copy, complete, and every file says where it came from."""

from __future__ import annotations

import json
import re

from tests._fixtures import FIXTURES, fixture_names

_EXCHANGE = re.compile(r"(\.turn\d+)?\.(request\.json|response\.json|sse|chunks\.jsonl)$")


def test_the_recordings_are_here() -> None:
    names = fixture_names("*")
    assert "SOURCES.md" in names
    assert len(names) >= 79, names
    kinds = {name.rsplit(".", 2)[-2] if name.endswith(".json") else name.rsplit(".", 1)[-1] for name in names}
    assert {"request", "response", "sse", "jsonl"} <= kinds


def test_every_recording_has_its_provenance() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    unnamed = [name for name in fixture_names("*") if name != "SOURCES.md"
               and name not in sources and _EXCHANGE.sub("", name) not in sources]
    assert not unnamed, f"add a row naming the source of each of these to SOURCES.md: {unnamed}"


def test_every_json_recording_parses() -> None:
    for name in fixture_names("*.json"):
        json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    for name in fixture_names("*.chunks.jsonl"):
        lines = [line for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        assert lines and all(isinstance(json.loads(line), dict) for line in lines), name
