"""The standard LangChain integration suite against CometAPI itself. Needs ``COMETAPI_KEY``; skipped otherwise.

Run: ``COMETAPI_KEY=... pytest tests/live -m live``. ``COMETGEMINI_LIVE_MODEL`` picks the model.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_cometgemini import ChatCometGemini
from tests.langchain._capabilities import GeminiCapabilities
from tests.langchain._media import offline_media  # noqa: F401  (autouse fixture)

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("COMETAPI_KEY"), reason="live tests need COMETAPI_KEY"),
]


class TestChatCometGeminiLive(GeminiCapabilities, ChatModelIntegrationTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": os.environ.get("COMETGEMINI_LIVE_MODEL", "gemini-3-flash-preview")}


@pytest.mark.live
@pytest.mark.skipif(not os.environ.get("COMETAPI_KEY"), reason="live tests need COMETAPI_KEY")
def test_live_tool_loop_with_signatures() -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    llm = ChatCometGemini(model="gemini-3-flash-preview").bind_tools([get_weather])
    messages: list[Any] = [HumanMessage("What's the weather in Paris? Use the tool.")]
    reply = llm.invoke(messages)
    assert reply.tool_calls
    messages += [reply, *(ToolMessage("sunny", tool_call_id=c["id"]) for c in reply.tool_calls)]
    assert llm.invoke(messages).text
