"""The side-by-side bench script runs (in quick mode, in the test venv, where the incumbents are absent).

Nothing here is timed: benchmarks are never tests. This only checks that ``bench/run.py --quick`` starts its
emulators, drives every contender it can import, skips the others with a note, and prints its tables.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "bench" / "run.py"


@pytest.mark.timeout(180)
def test_bench_quick_runs_and_prints_its_tables(tmp_path: Path) -> None:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing")
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=170, check=False,
    )
    assert done.returncode == 0, f"bench/run.py --quick failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    text = done.stdout
    for heading in ("## Import", "## One non-streaming call", "## One streamed event", "## Async", "## Memory"):
        assert heading in text, f"missing section {heading!r} in:\n{text}"
    assert "| contender | median | p99 | ratio to floor |" in text
    assert "| raw httpx |" in text and "| CometGeminiClient |" in text
    assert "| raw aiohttp |" in text
    assert out.exists() and '"calls"' in out.read_text()
