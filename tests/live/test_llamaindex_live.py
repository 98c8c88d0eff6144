"""``CometGemini`` against the real CometAPI. Opt-in: needs ``COMETAPI_KEY`` (and network)."""

from __future__ import annotations

import os

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("COMETAPI_KEY"), reason="COMETAPI_KEY is not set"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]

MODEL = os.environ.get("COMETGEMINI_LIVE_MODEL", "gemini-3-flash-preview")


def _llm(**kwargs: object) -> object:
    from llamaindex_cometgemini import CometGemini

    return CometGemini(model=MODEL, **kwargs)


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny and 21 C in {city}"


def get_time(city: str) -> str:
    """Local time in a city."""
    return f"It is 12:00 in {city}"


def test_chat_and_stream() -> None:
    llm = _llm(max_tokens=256)
    response = llm.chat([ChatMessage(role="user", content="Reply with the single word: pong")])  # type: ignore[attr-defined]
    assert "pong" in (response.message.content or "").lower()
    assert response.additional_kwargs["total_tokens"] > 0
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="Count from 1 to 5.")]))  # type: ignore[attr-defined]
    assert chunks[-1].message.content == "".join(c.delta or "" for c in chunks)


async def test_function_agent_round_trip_keeps_signatures() -> None:
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

    tools = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]
    agent = FunctionAgent(tools=tools, llm=_llm())  # type: ignore[arg-type]
    handler = agent.run("What are the weather and the local time in Paris? Use both tools.")
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    final = await handler
    assert {r.tool_name for r in results} >= {"get_weather"}
    assert "21" in str(final) or "sunny" in str(final).lower()


class City(BaseModel):
    name: str
    country: str


def test_structured_predict() -> None:
    city = _llm().structured_predict(City, PromptTemplate("Name the capital of {country}."), country="Japan")  # type: ignore[attr-defined]
    assert city.country.lower() == "japan" and "tokyo" in city.name.lower()
