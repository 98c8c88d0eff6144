"""The emulator answers every recorded exchange in the shape Google did (``tests/fixtures/gemini-api``).

Each exchange of ``_recorded.RECORDED`` is sent to the emulator and its answer compared with the recording
by ``cometgemini.emulator._conformance`` (status, keys at each path, types, casing, SSE framing, part
order, error status and message; values are not compared). A failure prints the table of differences; the
whole report goes to ``build/emulator-conformance.md`` at the end of the run (see ``conftest.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from cometgemini.emulator import EmulatorServer, serve
from cometgemini.emulator._exchanges import check_exchange
from tests._fixtures import fixture_names

from ._recorded import RECORDED, REPORTS, Recorded

KEY = "conformance-key"
# What only Vertex AI sends (the one VERTEX_ capture); the Gemini API, and so the emulator, never does.
_VERTEX_ONLY = frozenset({"createTime", "trafficType", "partialArgs", "willContinue"})
# Vertex also details the candidate tokens of a text answer, which Gemini API 2.5 and 3 recordings never do.
_VERTEX_DIFFERENCES = _VERTEX_ONLY | {"candidatesTokensDetails"}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[bool, EmulatorServer]]:
    """Two emulators: auth failures answered as CometAPI does (401), and as Google does (400 / 403)."""
    with serve(api_key=KEY) as cometapi, serve(api_key=KEY, auth_errors="google") as google:
        yield {False: cometapi, True: google}


def _segments(path: str) -> set[str]:
    return set(re.split(r"[.\[\]]+", path))


@pytest.mark.parametrize("recorded", RECORDED, ids=[r.name for r in RECORDED])
def test_the_emulator_answers_in_the_recorded_shape(servers: dict[bool, EmulatorServer], recorded: Recorded) -> None:
    with httpx.Client(base_url=servers[recorded.google_auth].base_url, timeout=30) as client:
        reports = check_exchange(client, recorded.exchange(), KEY)
    REPORTS.extend(reports)
    if recorded.vertex:
        (report,) = reports
        sent = [row.path for row in report.rows if row.verdict != "missing" and _segments(row.path) & _VERTEX_ONLY]
        assert not sent, f"the emulator sends what only Vertex AI sends: {sent}"
        unexplained = [path for path in report.missing if not _segments(path) & _VERTEX_DIFFERENCES]
        assert not unexplained, report.table(all_rows=False)
        assert not report.problems, report.problems  # placement differs by design: Vertex sends usage last
        return
    failed = [report for report in reports if not report.ok]
    assert not failed, "\n".join(report.table(all_rows=False) for report in failed)


def test_every_recording_is_sent() -> None:
    """A new fixture must be added to ``_recorded.py``: nothing in the folder escapes the check."""
    used = set().union(*(r.files() for r in RECORDED))
    on_disk = set(fixture_names("*")) - {"SOURCES.md"}
    assert on_disk - used == set(), "add these recordings to tests/emulator/_recorded.py"
    assert used - on_disk == set()
    assert len({r.name for r in RECORDED}) == len(RECORDED)
