"""Where the recorded Gemini API traffic lives (``../shared/gemini-api/fixtures`` beside the checkout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "gemini-api" / "fixtures"


def fixture_path(name: str) -> Path:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"recorded fixture {name} not found under {FIXTURES}")
    return path


def load_json(name: str) -> Any:
    return json.loads(fixture_path(name).read_text(encoding="utf-8"))


def fixture_names(pattern: str) -> list[str]:
    return sorted(p.name for p in FIXTURES.glob(pattern)) if FIXTURES.is_dir() else []
