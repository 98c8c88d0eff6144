"""``CometGemini.metadata`` says what the catalog knows of each model."""

from __future__ import annotations

import pytest
from llama_index.core.llms import MessageRole

from llamaindex_cometgemini import CometGemini


@pytest.mark.parametrize(("model", "window", "output", "calls"), [
    ("gemini-3-flash-preview", 1_048_576, 65_536, True),
    ("gemini-2.0-flash", 1_048_576, 8_192, True),
    ("gemini-1.5-pro", 2_097_152, 8_192, True),
    ("gemini-2.5-flash-image", 32_768, 32_768, False),
    ("gemini-2.5-flash-preview-tts", 8_192, 16_384, False),
])
def test_metadata_per_model(model: str, window: int, output: int, calls: bool) -> None:
    meta = CometGemini(model=model, api_key="k").metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (window, output, calls)
    assert meta.is_chat_model and meta.model_name == model and meta.system_role == MessageRole.SYSTEM


def test_max_tokens_is_the_output_budget() -> None:
    llm = CometGemini(model="gemini-2.5-flash", api_key="k", max_tokens=300)
    assert llm.metadata.num_output == 300
    llm.max_tokens = None
    assert llm.metadata.num_output == 65_536
