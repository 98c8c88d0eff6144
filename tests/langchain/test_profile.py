"""``ChatCometGemini.profile`` from the catalog, and what LangChain v1 decides with it: ``create_agent`` with a
``response_format`` uses Gemini's native structured output, ``SummarizationMiddleware`` takes fractional limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from cometgemini.emulator import EmulatorServer, serve
from langchain_cometgemini import ChatCometGemini


class Weather(BaseModel):
    city: str
    temperature_c: int


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is 21 C in {city}."


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve() as server:
        yield server


def chat(emu: EmulatorServer, model: str) -> ChatCometGemini:
    emu.clear_requests()
    return ChatCometGemini(model=model, base_url=emu.base_url, max_retries=0)


# ------------------------------------------------------------------------------------------- the profile


def test_a_chat_model_profile() -> None:
    profile = ChatCometGemini(model="gemini-3-flash-preview", api_key="k").profile
    assert profile is not None
    assert profile["max_input_tokens"] == 1_048_576 and profile["max_output_tokens"] == 65_536
    assert profile["structured_output"] and profile["tool_calling"] and profile["tool_choice"]
    assert all(profile[k] for k in ("text_inputs", "image_inputs", "audio_inputs", "video_inputs", "pdf_inputs"))
    assert profile["text_outputs"] and not profile["image_outputs"] and not profile["audio_outputs"]
    assert profile["reasoning_output"] and profile["reasoning_effort_levels"] == ["minimal", "low", "medium", "high"]
    pro = ChatCometGemini(model="gemini-3-pro-preview", api_key="k").profile
    assert pro is not None and pro["reasoning_effort_levels"] == ["low", "medium", "high"]


@pytest.mark.parametrize(("model", "expected"), [
    ("gemini-2.5-pro", {"reasoning_output": True, "structured_output": True, "max_output_tokens": 65_536}),
    ("gemini-2.0-flash", {"reasoning_output": False, "structured_output": True, "max_output_tokens": 8_192}),
    ("gemini-1.5-pro", {"max_input_tokens": 2_097_152, "structured_output": False}),
    ("gemini-2.5-flash-image", {"image_outputs": True, "text_outputs": True, "tool_calling": False,
                                "audio_inputs": False}),
    ("gemini-2.5-flash-preview-tts", {"audio_outputs": True, "text_outputs": False, "image_inputs": False,
                                      "tool_calling": False, "max_input_tokens": 8_192}),
    ("gemini-9.1-flash", {"structured_output": True, "reasoning_output": True}),  # known by its family
])
def test_each_model_gets_its_own_profile(model: str, expected: dict[str, Any]) -> None:
    profile = ChatCometGemini(model=model, api_key="k").profile
    assert profile is not None
    assert {k: profile.get(k) for k in expected} == expected


def test_a_copy_for_another_model_gets_that_model_profile() -> None:
    llm = ChatCometGemini(model="gemini-3-flash-preview", api_key="k")
    tts = llm.model_copy(update={"model": "gemini-2.5-flash-preview-tts"})
    assert tts.profile is not None and tts.profile["audio_outputs"] and not tts.profile["structured_output"]
    mine = ChatCometGemini(model="gemini-3-flash-preview", api_key="k", profile={"max_input_tokens": 1000})
    assert mine.profile == {"max_input_tokens": 1000}  # a profile given is kept


# ------------------------------------------------------------------------------------------- create_agent


@pytest.mark.parametrize(("model", "tools"), [("gemini-3-flash-preview", [get_weather]),
                                              ("gemini-3-flash-preview", []), ("gemini-2.5-flash", [])])
def test_create_agent_with_a_response_format_uses_native_structured_output(
    emu: EmulatorServer, model: str, tools: list[Any],
) -> None:
    """ProviderStrategy: the schema goes as responseJsonSchema; no made-up ``Weather`` tool is forced."""
    agent = create_agent(chat(emu, model), tools, response_format=Weather)
    state = agent.invoke({"messages": [HumanMessage("What is the weather in 'Paris'? About 21 degrees.")]})
    assert state["structured_response"] == Weather(city="Paris", temperature_c=21)
    last = emu.requests[-1]["json"]
    assert last["generationConfig"]["responseMimeType"] == "application/json"
    assert last["generationConfig"]["responseJsonSchema"]["properties"].keys() == {"city", "temperature_c"}
    declared = [d["name"] for t in last.get("tools", []) for d in t.get("functionDeclarations", [])]
    assert declared == [t.name for t in tools]
    assert "toolConfig" not in last
    if tools:  # the tool was called on the way
        assert any(m.type == "tool" for m in state["messages"])


# ------------------------------------------------------------------------------------------- summarization


def test_summarization_middleware_takes_fractional_limits(emu: EmulatorServer) -> None:
    llm = chat(emu, "gemini-2.5-flash")
    middleware = SummarizationMiddleware(model=llm, trigger=("fraction", 0.8), keep=("fraction", 0.3))
    agent = create_agent(llm, [get_weather], middleware=[middleware])
    answer = agent.invoke({"messages": [HumanMessage("hi")]})["messages"][-1]
    assert isinstance(answer, AIMessage) and answer.text


def test_summarization_happens_at_the_fraction_of_the_profile_window(emu: EmulatorServer) -> None:
    """A fraction small enough for a short conversation to cross: the history is summarized."""
    llm = chat(emu, "gemini-2.5-flash")
    assert llm.profile is not None
    trigger = 200 / llm.profile["max_input_tokens"]  # about 200 tokens
    agent = create_agent(llm, [], middleware=[SummarizationMiddleware(model=llm, trigger=("fraction", trigger),
                                                                      keep=("messages", 2))])
    history = []
    for i in range(8):
        history += [HumanMessage(f"Tell me fact number {i} about rivers, in a long sentence."),
                    AIMessage(f"Fact {i}: rivers carry water and sediment from the hills down to the sea. " * 3)]
    state = agent.invoke({"messages": [*history, HumanMessage("And one more?")]})
    assert len(state["messages"]) < len(history)
    assert any("summary" in str(m.content).lower() for m in state["messages"])
