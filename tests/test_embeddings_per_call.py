"""Per-call ``task_type``, titles and ``output_dimensionality`` in both embeddings adapters, seen on the wire."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langchain_cometgemini import CometGeminiEmbeddings
from llamaindex_cometgemini import CometGeminiEmbedding
from tests._fake_embed import FakeGemini, vector_for


def _sent(fake: FakeGemini, key: str) -> list[Any]:
    return [inner.get(key) for inner in fake.inner]


# ------------------------------------------------------------------------------------------- LangChain


def test_langchain_documents_with_a_task_type_and_a_title_each() -> None:
    fake = FakeGemini()
    embeddings = CometGeminiEmbeddings(**fake.clients())
    texts = ["Paris is in France.", "Tokyo is in Japan.", "A note."]

    vectors = embeddings.embed_documents(texts, titles=["France", "Japan", None])

    assert vectors == [vector_for(t) for t in texts]
    assert _sent(fake, "taskType") == ["RETRIEVAL_DOCUMENT"] * 3
    assert _sent(fake, "title") == ["France", "Japan", None]
    embeddings.embed_documents(texts, task_type="clustering", output_dimensionality=8)
    assert _sent(fake, "taskType")[3:] == ["CLUSTERING"] * 3
    assert _sent(fake, "outputDimensionality")[3:] == [8] * 3
    assert all(title is None for title in _sent(fake, "title")[3:])
    embeddings.embed_documents(texts)  # nothing of the last call stays behind
    assert _sent(fake, "taskType")[6:] == ["RETRIEVAL_DOCUMENT"] * 3


def test_langchain_query_task_type_per_call_and_async_twins() -> None:
    fake = FakeGemini()
    embeddings = CometGeminiEmbeddings(**fake.clients())
    embeddings.embed_query("similar?", task_type="SEMANTIC_SIMILARITY")
    asyncio.run(embeddings.aembed_documents(["a", "b"], titles=["A", "B"]))
    asyncio.run(embeddings.aembed_query("q", task_type="question_answering"))
    assert _sent(fake, "taskType") == ["SEMANTIC_SIMILARITY", "RETRIEVAL_DOCUMENT", "RETRIEVAL_DOCUMENT",
                                       "QUESTION_ANSWERING"]
    assert _sent(fake, "title") == [None, "A", "B", None]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"titles": ["only one"]}, "1 titles for 2 texts"),
        ({"titles": ["A", "B"], "task_type": "CLUSTERING"}, "apply only to texts embedded as 'RETRIEVAL_DOCUMENT'"),
        ({"output_dimensionality": 0}, "must be positive"),
    ],
)
def test_langchain_bad_per_call_options_fail_before_sending(kwargs: dict[str, Any], match: str) -> None:
    fake = FakeGemini()
    with pytest.raises(ValueError, match=match):
        CometGeminiEmbeddings(**fake.clients()).embed_documents(["a", "b"], **kwargs)
    assert fake.requests == []


# ------------------------------------------------------------------------------------------- LlamaIndex


def test_llamaindex_batch_with_titles_and_task_type_across_batches() -> None:
    fake = FakeGemini()
    embedding = CometGeminiEmbedding(embed_batch_size=2, **fake.clients())
    texts = ["one", "two", "three"]

    vectors = embedding.get_text_embedding_batch(texts, titles=["T1", None, "T3"])

    assert vectors == [vector_for(t) for t in texts]
    assert len(fake.requests) == 2  # LlamaIndex's batches of 2
    assert _sent(fake, "title") == ["T1", None, "T3"]
    embedding.get_text_embedding_batch(texts, task_type="CLASSIFICATION")
    assert _sent(fake, "taskType")[3:] == ["CLASSIFICATION"] * 3
    embedding.get_text_embedding_batch(["four"])
    assert _sent(fake, "taskType")[6:] == ["RETRIEVAL_DOCUMENT"] and _sent(fake, "title")[6:] == [None]


def test_llamaindex_async_batch_query_and_single_text() -> None:
    fake = FakeGemini()
    embedding = CometGeminiEmbedding(embed_batch_size=1, **fake.clients())

    async def go() -> None:
        await embedding.aget_text_embedding_batch(["x", "y"], titles=["X", "Y"])
        await embedding.aget_query_embedding("q", task_type="FACT_VERIFICATION")
        await embedding.aget_text_embedding("z", title="Z")

    asyncio.run(go())
    by_text = {inner["content"]["parts"][0]["text"]: inner for inner in fake.inner}
    assert by_text["x"]["title"] == "X" and by_text["y"]["title"] == "Y"
    assert by_text["q"]["taskType"] == "FACT_VERIFICATION" and "title" not in by_text["q"]
    assert by_text["z"]["title"] == "Z" and by_text["z"]["taskType"] == "RETRIEVAL_DOCUMENT"
    embedding.get_query_embedding("plain")
    assert fake.inner[-1]["taskType"] == "RETRIEVAL_QUERY"


def test_llamaindex_bad_per_call_options_fail_before_sending() -> None:
    fake = FakeGemini()
    embedding = CometGeminiEmbedding(**fake.clients())
    with pytest.raises(ValueError, match="2 titles for 1 texts"):
        embedding.get_text_embedding_batch(["a"], titles=["A", "B"])
    with pytest.raises(ValueError, match="comes twice with different titles"):
        embedding.get_text_embedding_batch(["a", "a"], titles=["A", "B"])
    with pytest.raises(ValueError, match="apply only to texts embedded as 'RETRIEVAL_DOCUMENT'"):
        embedding.get_text_embedding("a", title="A", task_type="CLUSTERING")
    assert fake.requests == []
