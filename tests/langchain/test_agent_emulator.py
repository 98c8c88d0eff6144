"""Agent loops over the loopback emulator on a Gemini 3 model, which refuses a replayed function call
without its thought signature (400), as Google does. Conversations go through JSON between turns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage, messages_from_dict, messages_to_dict
from langchain_core.tools import tool

from langchain_cometgemini import ChatCometGemini


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is sunny in {city}."


@tool
def get_time(city: str) -> str:
    """The local time in a city."""
    return f"It is 10:00 in {city}."


TOOLS = {"get_weather": get_weather, "get_time": get_time}


def through_json(messages: list[BaseMessage]) -> list[BaseMessage]:
    return messages_from_dict(json.loads(json.dumps(messages_to_dict(messages))))


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    """A strict emulator: it also refuses a signature that is not exactly the one it issued for that part."""
    from cometgemini.emulator import serve

    with serve(api_key="test-key", strict_signatures=True) as server:
        yield server


@pytest.fixture
def llm(emulator: Any) -> ChatCometGemini:
    return ChatCometGemini(model="gemini-3-flash-preview", api_key="test-key", base_url=emulator.base_url,
                           max_retries=0)


def _model_turns(emulator: Any) -> list[dict[str, Any]]:
    body = emulator.requests[-1]["json"]
    return [c for c in body["contents"] if c["role"] == "model"]


def test_create_agent_two_tools_json_restored_between_turns(llm: ChatCometGemini, emulator: Any) -> None:
    from langchain.agents import create_agent

    agent = create_agent(llm, [get_weather, get_time])
    history: list[BaseMessage] = []
    for prompt in ("Use get_weather for Paris.", "Now call get_time for Paris."):
        state = agent.invoke({"messages": [*through_json(history), HumanMessage(prompt)]})
        history = through_json(state["messages"])
        assert isinstance(history[-1].content, str) and history[-1].content
    calls = [m for m in history if getattr(m, "tool_calls", None)]
    assert [c.tool_calls[0]["name"] for c in calls] == ["get_weather", "get_time"]
    assert all(c.additional_kwargs.get("thought_signatures") for c in calls)
    sent = [p for turn in _model_turns(emulator) for p in turn["parts"] if "functionCall" in p]
    assert len(sent) == 2 and all(p.get("thoughtSignature") for p in sent)
    assert all(p["functionCall"].get("id") for p in sent)  # Gemini 3 gives ids; echoed back


@pytest.mark.parametrize("streamed", [False, True])
def test_manual_loop_restored_mid_turn_keeps_signatures(llm: ChatCometGemini, emulator: Any, streamed: bool) -> None:
    bound = llm.bind_tools([get_weather, get_time])
    messages: list[BaseMessage] = [HumanMessage("Call get_weather for Rome and get_time for Rome.")]
    for _ in range(4):
        if streamed:
            reply: Any = None
            for chunk in bound.stream(messages):
                reply = chunk if reply is None else reply + chunk
        else:
            reply = bound.invoke(messages)
        messages = through_json([*messages, reply])  # restored between the call and its results
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            messages.append(ToolMessage(TOOLS[call["name"]].invoke(call["args"]), tool_call_id=call["id"]))
    assert not messages[-1].tool_calls and messages[-1].text
    body = emulator.requests[-1]["json"]
    responses = [p["functionResponse"] for c in body["contents"] for p in c["parts"] if "functionResponse" in p]
    calls = [p["functionCall"] for c in body["contents"] for p in c["parts"] if "functionCall" in p]
    assert [r["id"] for r in responses] == [c["id"] for c in calls]


def test_a_call_without_its_signature_is_refused(llm: ChatCometGemini) -> None:
    """The control: the emulator does check signatures, so the tests above prove something. A call with no
    signature of ours gets the documented placeholder; a wrong signature is refused."""
    from langchain_core.exceptions import ModelInvalidRequestError

    bound = llm.bind_tools([get_weather])
    reply = bound.invoke("Call get_weather for Oslo.")
    assert reply.tool_calls
    stripped = reply.model_copy(update={"additional_kwargs": {}})
    result = ToolMessage("sunny", tool_call_id=reply.tool_calls[0]["id"])
    assert bound.invoke([HumanMessage("Call get_weather for Oslo."), stripped, result]).text  # placeholder accepted
    forged = reply.model_copy(update={"additional_kwargs": {"thought_signatures": {
        f"call:{reply.tool_calls[0]['id']}": "QUJDREVGRw=="}}})
    with pytest.raises(ModelInvalidRequestError):
        bound.invoke([HumanMessage("Call get_weather for Oslo."), forged, result])
