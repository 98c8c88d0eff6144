"""Enrich a dataset with Gemini on Ray Data, through LangChain's ``ChatCometGemini`` and LlamaIndex's
``CometGemini``: bulk work past one machine.

Each Ray actor builds its model once in ``__init__`` and keeps it, so every worker has one connection pool,
reused by all the rows it handles; a batch of rows goes out concurrently (``llm.batch`` with
``max_concurrency`` for LangChain; ``achat`` on the actor's own event loop for LlamaIndex), and each request
is retried by the model itself (``max_retries``: 429 with Google's ``RetryInfo`` wait, 5xx, timeouts). A row
whose request still fails gets its error in the ``error`` column instead of failing the whole job.

LLM calls wait on the network, so actors ask for a fraction of a CPU (``num_cpus=0.25``): four per core.

    pip install 'cometgemini[langchain,llamaindex,ray]'
    python examples/ray_enrich.py                       # against a local emulator, offline
    COMETAPI_KEY=... python examples/ray_enrich.py      # against CometAPI (or COMETAPI_BASE_URL)
    python examples/ray_enrich.py --address auto        # on an existing Ray cluster

When to use what: ``abatch`` on one machine for thousands of calls an hour; this for more than one machine
can send, or when the data already lives in Ray; Batch mode (``submit_batch``) when the answers can wait up
to a day at half the price.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PROMPT = "In one sentence, what is this about? {text}"


class LangChainEnricher:
    """A Ray Data actor: adds ``{column}`` (the answer) and ``{column}_error`` to each batch of rows (empty
    strings, not None: Ray's columns would turn None into NaN)."""

    def __init__(self, *, column: str = "summary", max_concurrency: int = 8, **settings: Any) -> None:
        from langchain_cometgemini import ChatCometGemini

        self.llm = ChatCometGemini(**settings)  # one model, so one connection pool, per actor
        self.column = column
        self.max_concurrency = max_concurrency

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        prompts = [PROMPT.format(text=text) for text in batch["text"]]
        replies = self.llm.batch(prompts, config={"max_concurrency": self.max_concurrency}, return_exceptions=True)
        batch[self.column] = ["" if isinstance(r, Exception) else r.text for r in replies]
        batch[f"{self.column}_error"] = [repr(r) if isinstance(r, Exception) else "" for r in replies]
        return batch


class LlamaIndexEnricher:
    """The same with LlamaIndex: the actor keeps one event loop, so its async pool lives as long as it does."""

    def __init__(self, *, column: str = "summary", max_concurrency: int = 8, **settings: Any) -> None:
        from llamaindex_cometgemini import CometGemini

        self.llm = CometGemini(**settings)
        self.column = column
        self.loop = asyncio.new_event_loop()
        self.gate = max_concurrency

    async def _all(self, prompts: list[str]) -> list[Any]:
        gate = asyncio.Semaphore(self.gate)

        async def one(prompt: str) -> Any:
            async with gate:
                return await self.llm.acomplete(prompt)

        return await asyncio.gather(*(one(p) for p in prompts), return_exceptions=True)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        prompts = [PROMPT.format(text=text) for text in batch["text"]]
        replies = self.loop.run_until_complete(self._all(prompts))
        batch[self.column] = ["" if isinstance(r, BaseException) else r.text for r in replies]
        batch[f"{self.column}_error"] = [repr(r) if isinstance(r, BaseException) else "" for r in replies]
        return batch


def enrich(dataset: Any, *, framework: str, column: str, actors: int = 2, batch_size: int = 16,
           num_cpus: float = 0.25, **settings: Any) -> Any:
    """``dataset.map_batches`` with a pool of ``actors`` enrichers; ``settings`` go to the model
    (``model``, ``api_key``, ``base_url``, ``max_retries``, ``temperature``...)."""
    enricher = {"langchain": LangChainEnricher, "llamaindex": LlamaIndexEnricher}[framework]
    return dataset.map_batches(enricher, fn_constructor_kwargs={"column": column, **settings},
                               batch_size=batch_size, concurrency=actors, num_cpus=num_cpus)


@contextmanager
def _endpoint() -> Iterator[dict[str, Any]]:
    """CometAPI when ``COMETAPI_KEY`` is set, else a local emulator for the length of the run."""
    if os.environ.get("COMETAPI_KEY"):
        yield {}
        return
    from cometgemini.emulator import serve

    with serve() as emulator:
        yield {"base_url": emulator.base_url}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default=None, help="Ray cluster to join (default: a local one)")
    parser.add_argument("--model", default="gemini-2.5-flash")
    parser.add_argument("--rows", type=int, default=24)
    args = parser.parse_args()

    import ray

    ray.init(address=args.address, include_dashboard=False)
    try:
        with _endpoint() as endpoint:
            texts = [f"Note {i}: the river rose {i} cm overnight near bridge {i % 5}." for i in range(args.rows)]
            rows = ray.data.from_items([{"id": i, "text": t} for i, t in enumerate(texts)])
            settings = {"model": args.model, "max_retries": 4, **endpoint}
            rows = enrich(rows, framework="langchain", column="lc_summary", **settings)
            rows = enrich(rows, framework="llamaindex", column="li_summary", **settings)
            for row in rows.take(5):
                print(row["id"], "|", row["lc_summary"], "|", row["li_summary"])
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
