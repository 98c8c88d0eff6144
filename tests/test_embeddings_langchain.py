"""``CometGeminiEmbeddings`` (LangChain) through a real core client: MockTransport and the loopback emulator."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ModelAPIError, ModelInvalidRequestError, ModelNotFoundError
from langchain_core.load import dumps
from langchain_core.vectorstores import InMemoryVectorStore

from cometgemini import (
    APIStatusError,
    BadRequestError,
    EmbeddingsNotSupportedError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
)
from langchain_cometgemini import CometGeminiEmbeddings
from tests._fake_embed import API_KEY, PATH, RAG_DOCS, RAG_QUERIES, FakeGemini, html, overloaded, vector_for
from tests._fixtures import load_json


def make(fake: FakeGemini, **kwargs: Any) -> CometGeminiEmbeddings:
    return CometGeminiEmbeddings(**fake.clients(), **kwargs)


# ------------------------------------------------------------------------------------------- the wire


def test_250_documents_go_in_three_batches_and_come_back_in_order() -> None:
    fake = FakeGemini()
    texts = [f"document number {i}" for i in range(250)]

    vectors = make(fake).embed_documents(texts)

    assert vectors == [vector_for(t) for t in texts]
    assert sorted(len(b["requests"]) for b in fake.bodies) == [50, 100, 100]  # sent from threads
    assert {r.url.path for r in fake.requests} == {PATH}
    assert all(r["model"] == "models/gemini-embedding-001" for r in fake.inner)
    assert {r["taskType"] for r in fake.inner} == {"RETRIEVAL_DOCUMENT"}
    assert all("title" not in r and "outputDimensionality" not in r for r in fake.inner)


def test_query_is_a_retrieval_query_and_options_reach_the_wire() -> None:
    fake = FakeGemini()
    embeddings = make(fake, model="models/gemini-embedding-001", output_dimensionality=768, title="Handbook")

    assert embeddings.embed_query("where?") == vector_for("where?")
    embeddings.embed_documents(["chapter one"])

    query, document = fake.inner
    assert query == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "where?"}]},
        "taskType": "RETRIEVAL_QUERY",
        "outputDimensionality": 768,
    }
    assert document["taskType"] == "RETRIEVAL_DOCUMENT"
    assert document["title"] == "Handbook"
    assert document["outputDimensionality"] == 768


def test_model_name_alias_and_default_model() -> None:
    fake = FakeGemini()
    assert make(fake).model == "gemini-embedding-001"
    embeddings = make(fake, model_name="text-embedding-004")
    embeddings.embed_query("hi")
    assert embeddings.model == "text-embedding-004"
    assert fake.requests[0].url.path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    assert fake.inner[0]["model"] == "models/text-embedding-004"


def test_task_type_overrides_both_roles() -> None:
    fake = FakeGemini()
    embeddings = make(fake, task_type="SEMANTIC_SIMILARITY")
    embeddings.embed_documents(["a"])
    embeddings.embed_query("b")
    assert [r["taskType"] for r in fake.inner] == ["SEMANTIC_SIMILARITY", "SEMANTIC_SIMILARITY"]


def test_each_role_can_be_set_or_left_out() -> None:
    fake = FakeGemini()
    embeddings = make(fake, document_task_type="CLASSIFICATION", query_task_type=None)
    embeddings.embed_documents(["a"])
    embeddings.embed_query("b")
    assert fake.inner[0]["taskType"] == "CLASSIFICATION"
    assert "taskType" not in fake.inner[1]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"task_type": "CLUSTERING", "query_task_type": "RETRIEVAL_QUERY"}, "not both"),
        ({"task_type": "CLUSTERING", "title": "T"}, "title applies only"),
        ({"document_task_type": None, "title": "T"}, "title applies only"),
    ],
)
def test_contradictory_settings_fail_at_construction(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        CometGeminiEmbeddings(api_key=API_KEY, **kwargs)


def test_bearer_auth_and_default_headers() -> None:
    fake = FakeGemini()
    make(fake, auth="bearer", default_headers={"x-team": "search"}).embed_query("hi")
    headers = fake.requests[0].headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert "x-goog-api-key" not in headers
    assert headers["x-team"] == "search"


# ------------------------------------------------------------------------------------------- edge inputs


async def test_empty_list_sends_nothing() -> None:
    fake = FakeGemini()
    embeddings = make(fake)
    assert embeddings.embed_documents([]) == []
    assert await embeddings.aembed_documents([]) == []
    assert fake.requests == []


@pytest.mark.parametrize("text", ["", "   \n"])
async def test_empty_string_is_a_clear_error_before_any_request(text: str) -> None:
    fake = FakeGemini()
    embeddings = make(fake)
    with pytest.raises(ValueError, match=r"cannot embed an empty string \(input 1\)"):
        embeddings.embed_documents(["fine", text])
    with pytest.raises(ValueError, match="empty string"):
        embeddings.embed_query(text)
    with pytest.raises(ValueError, match="empty string"):
        await embeddings.aembed_query(text)
    assert fake.requests == []


# ------------------------------------------------------------------------------------------- errors


def _assert_explains(error: EmbeddingsNotSupportedError) -> None:
    text = str(error)
    assert "may not offer embeddings" in text
    assert "base_url='https://generativelanguage.googleapis.com'" in text
    assert "gemini-embedding-001" in text
    assert API_KEY not in text and API_KEY not in repr(error)


def test_404_says_the_gateway_may_not_offer_embeddings() -> None:
    body = load_json("error_404_NOT_FOUND_batchEmbedContents.response.json")
    fake = FakeGemini(httpx.Response(404, json=body))
    with pytest.raises(NotFoundError) as caught:
        make(fake).embed_documents(["a"])
    assert isinstance(caught.value, EmbeddingsNotSupportedError)
    assert isinstance(caught.value, ModelNotFoundError)  # LangChain's own class, as for chat models
    assert caught.value.status_code == 404
    assert "is not supported for embedContent" in str(caught.value)  # the server's own words are kept
    assert isinstance(caught.value.__cause__, NotFoundError)
    assert isinstance(caught.value.__cause__.__cause__, NotFoundError)  # the core's original error
    _assert_explains(caught.value)
    assert len(fake.requests) == 1  # a 404 is not retried


@pytest.mark.parametrize(
    ("response", "core_class"),
    [
        (html(404), NotFoundError),
        (html(200), MalformedResponseError),
        (html(410), APIStatusError),
        (httpx.Response(405, json={"error": {"message": "Method not allowed"}}), APIStatusError),
    ],
    ids=["404-html", "200-html", "410-html", "405-json"],
)
async def test_html_pages_and_405_say_the_gateway_may_not_offer_embeddings(
    response: httpx.Response, core_class: type[Exception]
) -> None:
    for call in ("sync", "async"):
        fake = FakeGemini(response)
        embeddings = make(fake)
        with pytest.raises(core_class) as caught:
            if call == "sync":
                embeddings.embed_query("a")
            else:
                await embeddings.aembed_query("a")
        assert isinstance(caught.value, EmbeddingsNotSupportedError), call
        assert isinstance(caught.value, ModelNotFoundError if core_class is NotFoundError else ModelAPIError)
        _assert_explains(caught.value)


def test_other_errors_are_left_as_they_are() -> None:
    over = load_json("error_400_INVALID_ARGUMENT_batchEmbedContents_over_100.response.json")
    fake = FakeGemini(httpx.Response(400, json=over), overloaded())
    embeddings = make(fake, max_retries=0)
    with pytest.raises(BadRequestError) as bad:
        embeddings.embed_query("a")
    with pytest.raises(InternalServerError) as down:
        embeddings.embed_query("a")
    assert not isinstance(bad.value, EmbeddingsNotSupportedError)
    assert not isinstance(down.value, EmbeddingsNotSupportedError)
    assert isinstance(bad.value, ModelInvalidRequestError)
    assert isinstance(down.value, ModelAPIError)


async def test_a_503_is_retried_then_succeeds() -> None:
    fake = FakeGemini(overloaded())
    assert make(fake).embed_query("hello") == vector_for("hello")
    assert len(fake.requests) == 2

    fake = FakeGemini(overloaded(), overloaded())
    assert await make(fake).aembed_documents(["a", "b"]) == [vector_for("a"), vector_for("b")]
    assert len(fake.requests) == 3


@pytest.mark.parametrize("call", ["sync", "async"])
async def test_only_the_failed_batch_is_retried(call: str) -> None:
    fake = FakeGemini(None, overloaded())  # the second request fails once
    texts = [f"t{i}" for i in range(250)]
    embeddings = make(fake, max_concurrency=1)
    vectors = embeddings.embed_documents(texts) if call == "sync" else await embeddings.aembed_documents(texts)
    assert vectors == [vector_for(t) for t in texts]
    assert [b["requests"][0]["content"]["parts"][0]["text"] for b in fake.bodies] == ["t0", "t100", "t100", "t200"]


# ------------------------------------------------------------------------------------------- async


async def test_async_batches_run_concurrently_within_the_bound() -> None:
    fake = FakeGemini(delay=0.02)
    texts = [f"passage {i}" for i in range(1000)]
    vectors = await make(fake, max_concurrency=3).aembed_documents(texts)
    assert vectors == [vector_for(t) for t in texts]
    assert len(fake.requests) == 10
    assert fake.peak == 3


async def test_the_bound_holds_across_concurrent_calls() -> None:
    fake = FakeGemini(delay=0.02)
    embeddings = make(fake, max_concurrency=2)
    groups = [[f"g{g} item {i}" for i in range(250)] for g in range(4)]
    results = await asyncio.gather(*(embeddings.aembed_documents(g) for g in groups))
    assert results == [[vector_for(t) for t in g] for g in groups]
    assert len(fake.requests) == 12
    assert fake.peak == 2


def test_sync_batches_run_concurrently_within_the_bound() -> None:
    fake = FakeGemini(delay=0.05)
    texts = [f"passage {i}" for i in range(1000)]
    vectors = make(fake, max_concurrency=3).embed_documents(texts)
    assert vectors == [vector_for(t) for t in texts]
    assert len(fake.requests) == 10
    assert fake.peak == 3


def test_sync_batches_go_one_at_a_time_with_a_bound_of_one() -> None:
    fake = FakeGemini(delay=0.01)
    texts = [f"t{i}" for i in range(300)]
    assert make(fake, max_concurrency=1).embed_documents(texts) == [vector_for(t) for t in texts]
    assert fake.peak == 1
    assert [b["requests"][0]["content"]["parts"][0]["text"] for b in fake.bodies] == ["t0", "t100", "t200"]


def test_async_works_from_several_event_loops() -> None:
    fake = FakeGemini()
    embeddings = make(fake)
    for _ in range(2):
        assert asyncio.run(embeddings.aembed_query("again")) == vector_for("again")


# ------------------------------------------------------------------------------------------- object life


def test_client_is_created_once_and_reused() -> None:
    fake = FakeGemini()
    embeddings = make(fake)
    client = embeddings.client
    embeddings.embed_query("one")
    embeddings.embed_documents(["two"])
    assert embeddings.client is client


def test_key_is_never_shown_or_serialized_in_clear() -> None:
    embeddings = make(FakeGemini())
    assert API_KEY not in repr(embeddings)
    assert API_KEY not in str(embeddings)
    serialized = dumps(embeddings)
    assert API_KEY not in serialized
    assert '"id": ["COMETAPI_KEY"]' in serialized
    assert "http_client" not in serialized


def test_pickles_without_its_clients_and_still_works(emulator: Any) -> None:
    embeddings = CometGeminiEmbeddings(api_key="test-key", base_url=emulator.base_url)
    embeddings.embed_query("warm the client")
    clone = pickle.loads(pickle.dumps(make(FakeGemini(), base_url=emulator.base_url)))
    assert clone.http_client is None and clone.http_async_client is None
    clone_of_real = pickle.loads(pickle.dumps(embeddings))
    assert clone_of_real.embed_query("hello") == embeddings.embed_query("hello")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMETAPI_KEY", "env-key")
    monkeypatch.setenv("COMETAPI_BASE_URL", "https://gateway.example.com")
    embeddings = CometGeminiEmbeddings()
    assert embeddings.api_key is not None and embeddings.api_key.get_secret_value() == "env-key"
    assert embeddings.client.base_url == "https://gateway.example.com"


def test_missing_key_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="COMETAPI_KEY"):
        CometGeminiEmbeddings()


# ------------------------------------------------------------------------------------------- emulator


def test_rag_retrieval_finds_the_right_document(emulator: Any) -> None:
    embeddings = CometGeminiEmbeddings(api_key="test-key", base_url=emulator.base_url)
    store = InMemoryVectorStore.from_texts(RAG_DOCS, embedding=embeddings)
    for query, expected in RAG_QUERIES:
        (best,) = store.similarity_search(query, k=1)
        assert best.page_content == RAG_DOCS[expected], query


async def test_rag_retrieval_async(emulator: Any) -> None:
    embeddings = CometGeminiEmbeddings(api_key="test-key", base_url=emulator.base_url, output_dimensionality=256)
    store = await InMemoryVectorStore.afrom_texts(RAG_DOCS, embedding=embeddings)
    for query, expected in RAG_QUERIES:
        (best,) = await store.asimilarity_search(query, k=1)
        assert best.page_content == RAG_DOCS[expected], query
    assert len(await embeddings.aembed_query("dimensions")) == 256


def test_emulator_batches_and_vectors(emulator: Any) -> None:
    embeddings = CometGeminiEmbeddings(api_key="test-key", base_url=emulator.base_url)
    texts = [f"note {i} about topic {i % 7}" for i in range(230)]
    vectors = embeddings.embed_documents(texts)
    assert len(vectors) == 230
    assert vectors[5] == embeddings.embed_documents([texts[5]])[0]  # order kept across batches


def test_emulator_chat_model_is_not_an_embedding_model(emulator: Any) -> None:
    embeddings = CometGeminiEmbeddings(api_key="test-key", base_url=emulator.base_url, model="gemini-2.5-flash")
    with pytest.raises(EmbeddingsNotSupportedError, match="may not offer embeddings") as caught:
        embeddings.embed_query("hi")
    assert isinstance(caught.value, NotFoundError)
