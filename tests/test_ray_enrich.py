"""``examples/ray_enrich.py`` on a local two-CPU Ray cluster over the loopback emulator: a small dataset
enriched through both adapters, every row answered, and the retries each model makes honoured (the emulator
fails each adapter's first request once with a 503).

One ``ray.init`` for the module, shut down at the end. The enricher classes come from the example file, so
they are shipped to the workers by value; the workers import ``langchain_cometgemini`` /
``llamaindex_cometgemini`` from the same environment as the tests."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cometgemini.emulator import EmulatorServer, serve

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ray_enrich.py"
KEY = "ray-key"

pytestmark = [pytest.mark.timeout(900), pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ray_enrich_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # cloudpickle ships only modules it can find there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    import ray
    from ray import cloudpickle

    example = _example()
    cloudpickle.register_pickle_by_value(example)  # the workers cannot import a file outside the package
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 2**20, log_to_driver=False,
             configure_logging=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        yield example
    finally:
        ray.shutdown()
        cloudpickle.unregister_pickle_by_value(example)
        sys.modules.pop(example.__name__, None)


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve(api_key=KEY) as server:
        yield server


def test_a_dataset_is_enriched_through_both_adapters_with_retries(cluster: Any, emu: EmulatorServer) -> None:
    import ray

    texts = [f"Ticket {i}: the printer on floor {i} jams." for i in range(6)]
    rows = ray.data.from_items([{"id": i, "text": t} for i, t in enumerate(texts)])
    settings = {"model": "gemini-2.5-flash", "api_key": KEY, "base_url": emu.base_url, "max_retries": 3}
    flaky = {"x-emulator-fault": "503*1"}  # the first request carrying each fault key fails once
    rows = cluster.enrich(rows, framework="langchain", column="lc", actors=1, batch_size=3,
                          default_headers={**flaky, "x-emulator-fault-key": "lc"}, **settings)
    rows = cluster.enrich(rows, framework="llamaindex", column="li", actors=1, batch_size=3,
                          default_headers={**flaky, "x-emulator-fault-key": "li"}, **settings)
    done = sorted(rows.take_all(), key=lambda row: row["id"])

    assert [row["id"] for row in done] == list(range(6))
    for row, text in zip(done, texts, strict=True):
        assert row["lc_error"] == "" and row["li_error"] == ""
        assert row["lc"].startswith(f"Emulated answer to: In one sentence, what is this about? {text}")
        assert row["li"].startswith(f"Emulated answer to: In one sentence, what is this about? {text}")
    calls = [r for r in emu.requests if r["path"].endswith(":generateContent")]
    assert len(calls) == 2 * len(texts) + 2  # one retry per adapter, after its 503
