"""Shared fixtures: a loopback emulator for integration tests, and no stray keys from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Tests see no real key or base URL unless they are live tests."""
    if request.node.get_closest_marker("live") is None:
        monkeypatch.delenv("COMETAPI_KEY", raising=False)
        monkeypatch.delenv("COMETAPI_BASE_URL", raising=False)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """One emulator process-thread for the whole session, keyed with ``test-key``."""
    from cometgemini.emulator import serve

    with serve(api_key="test-key") as server:
        yield server
