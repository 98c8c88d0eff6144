"""Where the recorded Gemini API traffic lives: ``tests/fixtures/gemini-api`` (provenance in its ``SOURCES.md``).

The recordings are part of the project, so a missing one is a failure, never a skip: a clone that lost a file
must not quietly run a weaker suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "gemini-api"


def fixture_path(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_file():
        raise FileNotFoundError(f"recorded fixture {name} is missing from {FIXTURES.relative_to(REPO)}")
    return path


def load_json(name: str) -> Any:
    return json.loads(fixture_path(name).read_text(encoding="utf-8"))


def fixture_names(pattern: str) -> list[str]:
    """Recorded fixture names matching ``pattern``; the folder itself must exist."""
    if not FIXTURES.is_dir():
        raise FileNotFoundError(f"the recorded fixtures folder {FIXTURES.relative_to(REPO)} is missing")
    return sorted(p.name for p in FIXTURES.glob(pattern))
