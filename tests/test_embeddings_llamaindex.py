"""``CometGeminiEmbedding`` (LlamaIndex) through its public API and a real core client: MockTransport and the
loopback emulator."""

from __future__ import annotations

import json
import logging
import pickle
from typing import Any

import httpx
import pytest
from llama_index.core import Document, VectorStoreIndex

from cometgemini import EmbeddingsNotSupportedError, MalformedResponseError, NotFoundError
from llamaindex_cometgemini import CometGeminiEmbedding
from tests._fake_embed import API_KEY, PATH, RAG_DOCS, RAG_QUERIES, FakeGemini, html, overloaded, vector_for
from tests._fixtures import load_json


def make(fake: FakeGemini, **kwargs: Any) -> CometGeminiEmbedding:
    return CometGeminiEmbedding(**fake.clients(), **kwargs)


def test_import_path_llamaindex_users_expect() -> None:
    from llama_index.embeddings.cometgemini import CometGeminiEmbedding as ByLlamaIndexPath

    assert ByLlamaIndexPath is CometGeminiEmbedding
    assert CometGeminiEmbedding.class_name() == "CometGeminiEmbedding"


# ------------------------------------------------------------------------------------------- the wire


def test_250_texts_go_in_three_batches_and_come_back_in_order() -> None:
    fake = FakeGemini()
    texts = [f"node text {i}" for i in range(250)]

    vectors = make(fake).get_text_embedding_batch(texts)

    assert vectors == [vector_for(t) for t in texts]
    assert [len(b["requests"]) for b in fake.bodies] == [100, 100, 50]
    assert {r.url.path for r in fake.requests} == {PATH}
    assert all(r["model"] == "models/gemini-embedding-001" for r in fake.inner)
    assert {r["taskType"] for r in fake.inner} == {"RETRIEVAL_DOCUMENT"}


def test_a_larger_embed_batch_size_is_still_split_at_100() -> None:
    fake = FakeGemini()
    make(fake, embed_batch_size=250).get_text_embedding_batch([f"t{i}" for i in range(250)])
    assert sorted(len(b["requests"]) for b in fake.bodies) == [50, 100, 100]  # sent from threads


def test_a_large_embed_batch_size_sends_its_batches_within_max_concurrency() -> None:
    fake = FakeGemini(delay=0.05)
    texts = [f"node {i}" for i in range(1000)]
    vectors = make(fake, embed_batch_size=1000, max_concurrency=3).get_text_embedding_batch(texts)
    assert vectors == [vector_for(t) for t in texts]
    assert len(fake.requests) == 10 and fake.peak == 3


def test_query_and_text_task_types_and_options_reach_the_wire() -> None:
    fake = FakeGemini()
    embedding = make(fake, model="models/gemini-embedding-001", output_dimensionality=1536, title="Manual")

    assert embedding.get_query_embedding("how?") == vector_for("how?")
    assert embedding.get_text_embedding("page one") == vector_for("page one")

    query, text = fake.inner
    assert query == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "how?"}]},
        "taskType": "RETRIEVAL_QUERY",
        "outputDimensionality": 1536,
    }
    assert text["taskType"] == "RETRIEVAL_DOCUMENT"
    assert text["title"] == "Manual"


def test_model_is_another_name_for_model_name() -> None:
    fake = FakeGemini()
    assert make(fake).model_name == "gemini-embedding-001"
    embedding = make(fake, model="text-embedding-004")
    embedding.get_query_embedding("hi")
    assert embedding.model_name == "text-embedding-004"
    assert fake.requests[0].url.path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    with pytest.raises(ValueError, match="not both"):
        CometGeminiEmbedding(api_key=API_KEY, model="a", model_name="b")


def test_task_type_overrides_both_roles_and_roles_can_be_set() -> None:
    fake = FakeGemini()
    make(fake, task_type="CLUSTERING").get_query_embedding("q")
    make(fake, query_task_type="QUESTION_ANSWERING", document_task_type=None).get_text_embedding("t")
    assert fake.inner[0]["taskType"] == "CLUSTERING"
    assert fake.inner[1].get("taskType") is None
    make(fake, query_task_type="QUESTION_ANSWERING").get_query_embedding("q")
    assert fake.inner[2]["taskType"] == "QUESTION_ANSWERING"
    with pytest.raises(ValueError, match="not both"):
        CometGeminiEmbedding(api_key=API_KEY, task_type="CLUSTERING", document_task_type="CLASSIFICATION")
    with pytest.raises(ValueError, match="title applies only"):
        CometGeminiEmbedding(api_key=API_KEY, task_type="CLUSTERING", title="T")


# ------------------------------------------------------------------------------------------- edge inputs


async def test_empty_list_sends_nothing() -> None:
    fake = FakeGemini()
    embedding = make(fake)
    assert embedding.get_text_embedding_batch([]) == []
    assert await embedding.aget_text_embedding_batch([]) == []
    assert fake.requests == []


async def test_empty_string_is_a_clear_error_before_any_request() -> None:
    fake = FakeGemini()
    embedding = make(fake)
    with pytest.raises(ValueError, match="empty string"):
        embedding.get_text_embedding_batch(["fine", ""])
    with pytest.raises(ValueError, match="empty string"):
        await embedding.aget_query_embedding("  ")
    assert fake.requests == []


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("response", "core_class"),
    [
        (httpx.Response(404, json=load_json("error_404_NOT_FOUND_batchEmbedContents.response.json")), NotFoundError),
        (html(404), NotFoundError),
        (html(200), MalformedResponseError),
    ],
    ids=["404-json", "404-html", "200-html"],
)
async def test_unsupported_endpoint_is_explained(response: httpx.Response, core_class: type[Exception]) -> None:
    fake = FakeGemini(response, response)
    embedding = make(fake)
    with pytest.raises(core_class) as sync_error:
        embedding.get_text_embedding("a")
    with pytest.raises(core_class) as async_error:
        await embedding.aget_query_embedding("a")
    for caught in (sync_error, async_error):
        assert isinstance(caught.value, EmbeddingsNotSupportedError)
        assert "may not offer embeddings" in str(caught.value)
        assert "https://generativelanguage.googleapis.com" in str(caught.value)
        assert API_KEY not in str(caught.value)


async def test_a_503_is_retried_then_succeeds() -> None:
    fake = FakeGemini(overloaded(), None, overloaded())
    embedding = make(fake)
    assert embedding.get_query_embedding("q") == vector_for("q")
    assert await embedding.aget_text_embedding("t") == vector_for("t")
    assert len(fake.requests) == 4


# ------------------------------------------------------------------------------------------- async


async def test_async_batches_stay_within_max_concurrency() -> None:
    fake = FakeGemini(delay=0.02)
    texts = [f"chunk {i}" for i in range(1000)]
    # LlamaIndex gathers its ten calls of 100 without a bound of its own; ours holds them to 3 in flight.
    vectors = await make(fake, max_concurrency=3).aget_text_embedding_batch(texts)
    assert vectors == [vector_for(t) for t in texts]
    assert len(fake.requests) == 10
    assert fake.peak == 3


# ------------------------------------------------------------------------------------------- object life


def test_key_is_never_serialized_and_the_object_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    embedding = make(FakeGemini(), output_dimensionality=768)
    assert API_KEY not in repr(embedding)
    data = embedding.to_dict()
    assert "api_key" not in data and "http_client" not in data and "http_async_client" not in data
    assert API_KEY not in embedding.to_json()
    assert json.loads(embedding.to_json())["class_name"] == "CometGeminiEmbedding"

    monkeypatch.setenv("COMETAPI_KEY", "restored-from-env")
    restored = CometGeminiEmbedding.from_json(embedding.to_json())
    assert restored.output_dimensionality == 768
    assert restored.api_key is not None and restored.api_key.get_secret_value() == "restored-from-env"


def test_pickles_quietly_without_its_clients(emulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    embedding = CometGeminiEmbedding(api_key="test-key", base_url=emulator.base_url)
    before = embedding.get_query_embedding("hello")
    with caplog.at_level(logging.WARNING):
        clone = pickle.loads(pickle.dumps(make(FakeGemini(), base_url=emulator.base_url)))
    assert "unpickleable" not in caplog.text
    assert clone.http_client is None and clone.http_async_client is None
    assert clone.api_key is not None and clone.api_key.get_secret_value() == API_KEY
    assert pickle.loads(pickle.dumps(embedding)).get_query_embedding("hello") == before


def test_client_is_created_once_and_reused() -> None:
    embedding = make(FakeGemini())
    client = embedding.client
    embedding.get_query_embedding("one")
    embedding.get_text_embedding_batch(["two", "three"])
    assert embedding.client is client


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMETAPI_KEY", "env-key")
    monkeypatch.setenv("COMETAPI_BASE_URL", "https://gateway.example.com")
    embedding = CometGeminiEmbedding()
    assert embedding.api_key is not None and embedding.api_key.get_secret_value() == "env-key"
    assert embedding.client.base_url == "https://gateway.example.com"


# ------------------------------------------------------------------------------------------- emulator


def _index(embedding: CometGeminiEmbedding) -> VectorStoreIndex:
    documents = [Document(text=text, id_=f"doc-{i}") for i, text in enumerate(RAG_DOCS)]
    return VectorStoreIndex.from_documents(documents, embed_model=embedding)


def test_rag_retrieval_finds_the_right_document(emulator: Any) -> None:
    embedding = CometGeminiEmbedding(api_key="test-key", base_url=emulator.base_url)
    retriever = _index(embedding).as_retriever(similarity_top_k=1)
    for query, expected in RAG_QUERIES:
        (best,) = retriever.retrieve(query)
        assert best.node.ref_doc_id == f"doc-{expected}", query


async def test_rag_retrieval_async(emulator: Any) -> None:
    embedding = CometGeminiEmbedding(api_key="test-key", base_url=emulator.base_url, output_dimensionality=256)
    documents = [Document(text=text, id_=f"doc-{i}") for i, text in enumerate(RAG_DOCS)]
    index = VectorStoreIndex.from_documents(documents, embed_model=embedding, use_async=True)
    retriever = index.as_retriever(similarity_top_k=1)
    for query, expected in RAG_QUERIES:
        (best,) = await retriever.aretrieve(query)
        assert best.node.ref_doc_id == f"doc-{expected}", query
    assert len(await embedding.aget_query_embedding("dimensions")) == 256


def test_emulator_chat_model_is_not_an_embedding_model(emulator: Any) -> None:
    embedding = CometGeminiEmbedding(api_key="test-key", base_url=emulator.base_url, model="gemini-2.5-flash")
    with pytest.raises(NotFoundError, match="may not offer embeddings") as caught:
        embedding.get_query_embedding("hi")
    assert isinstance(caught.value, EmbeddingsNotSupportedError)
