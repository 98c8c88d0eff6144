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


# Only the live tests may skip (without COMETAPI_KEY). Anything else that skips would make a user's run quietly
# weaker than ours (a missing fixture, a missing optional package): it fails the session instead.
_UNEXPECTED_SKIPS: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail") and not report.nodeid.startswith("tests/live/"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _UNEXPECTED_SKIPS.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _UNEXPECTED_SKIPS:
        terminalreporter.section("skipped outside tests/live (a failure here)")
        for line in _UNEXPECTED_SKIPS:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _UNEXPECTED_SKIPS and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
