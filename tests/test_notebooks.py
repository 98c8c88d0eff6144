"""The notebooks and ``examples/demo.py`` run top to bottom against the emulator, and never show a key or a
machine path.

Notebooks are executed with nbclient in a kernel of this very interpreter (a kernelspec written for
``sys.executable`` and put first on ``JUPYTER_PATH``, so a user-wide ``python3`` kernel can't stand in for it).
Keys that code might leak by accident (other providers' variables) hold a canary; the demo also runs its
CometAPI branch against a keyed emulator, where the canary *is* the key.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
CANARY = "sk-canary-3f9d2c1e7b5a4f60"
LEAKY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY", "COMETAPI_EMULATOR_KEY")


def _leaks(text: str) -> list[str]:
    return [name for name, secret in (("the key canary", CANARY), ("the repository path", str(ROOT)))
            if secret in text]


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMETAPI_KEY", raising=False)
    monkeypatch.delenv("COMETAPI_BASE_URL", raising=False)
    for name in LEAKY_VARIABLES:
        monkeypatch.setenv(name, CANARY)


@pytest.fixture(scope="module")
def this_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A ``python3`` kernelspec that runs this interpreter, first on ``JUPYTER_PATH`` for the module."""
    from ipykernel.kernelspec import write_kernel_spec

    data = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(str(data / "kernels" / "python3"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(data))
        yield data


def test_the_kernel_is_this_interpreter(this_kernel: Path) -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.resource_dir).is_relative_to(this_kernel)
    assert spec.argv[0] == sys.executable


def _outputs(notebook: Any) -> list[tuple[str, str, str]]:
    """(cell id, output type or stream name, text) for every output."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            kind = output.get("name") or output["output_type"]
            text = output.get("text") or "\n".join(
                str(v) for k, v in (output.get("data") or {}).items() if k.startswith("text/")
            )
            found.append((cell.get("id", "?"), kind, text + "\n".join(output.get("traceback") or [])))
    return found


@pytest.mark.timeout(150)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_against_the_emulator(name: str, this_kernel: Path, no_key: None) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    check = nbformat.v4.new_code_cell(f"import sys\nassert sys.prefix == {sys.prefix!r}, 'not this venv'")
    notebook.cells.insert(0, check)
    client = NotebookClient(notebook, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name}: a cell failed:\n{exc}")
    outputs = _outputs(notebook)
    first = next(text for cell, _, text in outputs if cell != check.id)
    assert "using the bundled emulator at http://127.0.0.1:" in first, "the first output must name the endpoint"
    assert not [o for o in outputs if o[1] == "error"]
    assert [(cell, text) for cell, kind, text in outputs if kind == "stderr"] == []  # warnings, log noise
    assert [(cell, _leaks(text)) for cell, _, text in outputs if _leaks(text)] == []


def test_notebooks_are_committed_as_built_and_without_outputs() -> None:
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOK_DIR / "_build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert sorted(build.NOTEBOOKS) == NOTEBOOKS
    for name in NOTEBOOKS:
        text = (NOTEBOOK_DIR / name).read_text(encoding="utf-8")
        assert text == build.build(name), f"{name} differs from notebooks/_build.py: run python notebooks/_build.py"
        assert '"outputs": []' in text and '"output_type"' not in text and not _leaks(text)


def _run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "examples/demo.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=100, check=False)


SECTIONS = ("1/3  LangChain agent", "Google Search grounding: searched for", "thinking tokens",
            "2/3  Structured output", "TripPlan (a validated pydantic object)", "3/3  LlamaIndex RAG",
            "sources:", "Tour finished")


@pytest.mark.timeout(120)
def test_demo_without_a_key_starts_the_emulator(no_key: None) -> None:
    result = _run_demo(dict(os.environ))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "No COMETAPI_KEY is set, so this tour started the bundled Gemini emulator" in result.stdout
    assert [s for s in SECTIONS if s not in result.stdout] == []
    assert "answer: " in result.stdout and "→ the model calls get_weather" in result.stdout
    assert _leaks(result.stdout + result.stderr) == []


@pytest.mark.timeout(120)
def test_demo_with_a_key_uses_it_and_never_prints_it(no_key: None) -> None:
    """The CometAPI branch, pointed at a keyed emulator: every request must carry the key (else 401)."""
    from cometgemini.emulator import serve

    with serve(api_key=CANARY) as server:
        env = {**os.environ, "COMETAPI_KEY": CANARY, "COMETAPI_BASE_URL": server.base_url}
        result = _run_demo(env)
        sent = len(server.requests)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Endpoint: CometAPI at http://127.0.0.1:" in result.stdout
    assert "emulator" not in result.stdout.split("Endpoint:")[0]
    assert [s for s in SECTIONS if s not in result.stdout] == []
    assert sent >= 6  # agent (2 model calls, searching inside them), structured, embeddings, RAG answer
    assert _leaks(result.stdout + result.stderr) == []
