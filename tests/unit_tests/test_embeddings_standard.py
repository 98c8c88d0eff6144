"""LangChain's standard unit tests for ``CometGeminiEmbeddings`` (no network: these only construct it)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_cometgemini import CometGeminiEmbeddings


class TestCometGeminiEmbeddingsStandard(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[CometGeminiEmbeddings]:
        return CometGeminiEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "gemini-embedding-001", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"COMETAPI_KEY": "env-key", "COMETAPI_BASE_URL": "https://gateway.example.com"},
            {"model": "gemini-embedding-001"},
            {"api_key": "env-key", "base_url": "https://gateway.example.com"},
        )
