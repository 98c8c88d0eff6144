"""VCR for langchain-tests' cassette-based tests (``test_stream_time``).

The cassette in ``cassettes/`` was recorded from the bundled emulator (``record_mode="once"`` with the file
absent), so it holds no key and no live traffic. Requests match on method, path and body: the emulator's
port changes from run to run. Nothing is recorded in CI (``record_mode="none"``): a missing cassette fails
the test, as a missing fixture does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_tests.conftest import base_vcr_config

CASSETTES = Path(__file__).resolve().parent / "cassettes"


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    config = base_vcr_config()
    config["filter_headers"] = [*config["filter_headers"], ("x-goog-api-key", "PLACEHOLDER")]
    config["match_on"] = ["method", "path", "body"]
    config["record_mode"] = "none"
    config["cassette_library_dir"] = str(CASSETTES)
    return config
