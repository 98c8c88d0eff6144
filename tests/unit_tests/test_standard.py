"""langchain-tests' standard unit suite for ChatCometGemini."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests

from tests.langchain._capabilities import GeminiCapabilities


class TestChatCometGeminiStandard(GeminiCapabilities, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gemini-3-flash-preview", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"COMETAPI_KEY": "env-key", "COMETAPI_BASE_URL": "https://example.test"},
            {"model": "gemini-2.5-flash"},
            {"api_key": "env-key", "base_url": "https://example.test"},
        )

    @pytest.mark.xfail(
        strict=True,
        reason="langchain-core's load(allowed_objects='all') only admits classes listed in "
        "langchain_core.load.mapping; a third-party class loads with allowed_objects=[ChatCometGemini] "
        "(tested in tests/langchain/test_serialization.py). Adding ourselves to that global allowlist would "
        "let untrusted payloads build a model that sends COMETAPI_KEY to an arbitrary base_url.",
    )
    def test_serdes(self, model: BaseChatModel, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)
