"""Embeddings against the real gateway (``COMETAPI_KEY``; ``COMETAPI_BASE_URL`` optional). Opt in with
``pytest -m live``; skipped without a key. If the gateway does not serve embeddings, the tests say so and
skip rather than fail: that is the documented, explained outcome."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cometgemini import EmbeddingsNotSupportedError
from langchain_cometgemini import CometGeminiEmbeddings
from llamaindex_cometgemini import CometGeminiEmbedding

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("COMETAPI_KEY"), reason="needs COMETAPI_KEY"),
]

MODEL = os.environ.get("COMETGEMINI_EMBEDDING_MODEL", "gemini-embedding-001")


@contextmanager
def skip_if_unsupported() -> Iterator[None]:
    try:
        yield
    except EmbeddingsNotSupportedError as error:
        pytest.skip(f"gateway does not serve embeddings: {error}")


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (math.hypot(*a) * math.hypot(*b))


def test_langchain_documents_and_query() -> None:
    embeddings = CometGeminiEmbeddings(model=MODEL, output_dimensionality=768)
    with skip_if_unsupported():
        docs = embeddings.embed_documents(["The cat sat on the mat.", "Quarterly revenue grew by 12 percent."])
        query = embeddings.embed_query("Where did the cat sit?")
    assert [len(v) for v in docs] == [768, 768]
    assert cosine(query, docs[0]) > cosine(query, docs[1])


async def test_langchain_async_batches() -> None:
    embeddings = CometGeminiEmbeddings(model=MODEL, output_dimensionality=256)
    texts = [f"sentence number {i}" for i in range(120)]  # two batches
    with skip_if_unsupported():
        vectors = await embeddings.aembed_documents(texts)
    assert len(vectors) == 120 and all(len(v) == 256 for v in vectors)


async def test_llamaindex_query_and_texts() -> None:
    embedding = CometGeminiEmbedding(model=MODEL, output_dimensionality=768)
    with skip_if_unsupported():
        texts = await embedding.aget_text_embedding_batch(["Paris is in France.", "Bananas are yellow."])
        query = embedding.get_query_embedding("Which country is Paris in?")
    assert cosine(query, texts[0]) > cosine(query, texts[1])
