"""langchain-tests' standard integration suite against the loopback emulator (no internet).

The suite downloads a PDF, a WAV and PNGs with ``httpx.get``; an autouse fixture serves small offline
stand-ins for those URLs instead, and refuses any other download.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_cometgemini import ChatCometGemini
from tests.langchain._capabilities import GeminiCapabilities
from tests.langchain._media import offline_media  # noqa: F401  (autouse fixture)


class TestChatCometGeminiIntegration(GeminiCapabilities, ChatModelIntegrationTests):
    @pytest.fixture(autouse=True)
    def _emulator_url(self, emulator: Any) -> None:
        type(self)._base_url = emulator.base_url

    _base_url = ""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gemini-3-flash-preview", "api_key": "test-key", "base_url": self._base_url, "max_retries": 0}

    @property
    def enable_vcr_tests(self) -> bool:
        """``test_stream_time`` replays a cassette recorded from the emulator (see ``conftest.py``)."""
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        return {"invoke": ["reasoning_output"], "stream": ["reasoning_output"]}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> Any:
        llm = ChatCometGemini(**self.chat_model_params, thinking_level="high")
        prompt = "Think carefully: why is the sum of two odd numbers even?"
        if not stream:
            return llm.invoke(prompt)
        full: Any = None
        for chunk in llm.stream(prompt):
            full = chunk if full is None else full + chunk
        return full
