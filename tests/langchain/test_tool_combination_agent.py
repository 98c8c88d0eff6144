"""LangChain v1 ``create_agent`` with a function tool and Google Search on Gemini 3, multi-turn, against the
emulator in strict-signature mode: every request carries the flag and the whole history, each model turn
exactly as the emulator answered it (server-side steps, ids and signatures included)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from langchain_cometgemini import ChatCometGemini
from tests._replay import as_sent

MODEL = "gemini-3-flash-preview"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is sunny in {city}."


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    from cometgemini.emulator import serve

    with serve(api_key="test-key", strict_signatures=True) as server:
        yield server


def _generate_requests(emulator: Any) -> list[dict[str, Any]]:
    return [r["json"] for r in emulator.requests if r["path"].endswith(":generateContent")]


def check_every_request_echoes_the_history(emulator: Any, requests: list[dict[str, Any]]) -> None:
    """Request n+1 starts with request n's contents, then the model turn the emulator gave for request n, part
    for part (the emulator is deterministic: asked again, it gives the same parts)."""
    with httpx.Client(base_url=emulator.base_url, headers={"x-goog-api-key": "test-key"}) as client:
        for before, after in itertools.pairwise(requests):
            n = len(before["contents"])
            assert after["contents"][:n] == before["contents"]  # nothing dropped, ever
            answer = client.post(f"/v1beta/models/{MODEL}:generateContent", json=before).json()
            assert as_sent(after["contents"][n]["parts"]) == as_sent(answer["candidates"][0]["content"]["parts"])


def test_create_agent_with_a_function_and_google_search(emulator: Any) -> None:
    from langchain.agents import create_agent
    from langgraph.checkpoint.memory import InMemorySaver

    llm = ChatCometGemini(model=MODEL, api_key="test-key", base_url=emulator.base_url, max_retries=0)
    agent = create_agent(llm, [get_weather, {"google_search": {}}], checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "combination"}}
    emulator.clear_requests()
    prompts = ("What is the weather in Paris? Also search the web for news about Paris.",
               "And what is the weather in Rome?")
    for prompt in prompts:  # the second turn sends only the new message: the rest comes from the checkpointer
        state = agent.invoke({"messages": [HumanMessage(prompt)]}, config)
        assert isinstance(state["messages"][-1].content, list | str) and state["messages"][-1].text
    requests = _generate_requests(emulator)
    assert len(requests) == 4  # call + answer, per turn
    assert all(r["toolConfig"] == {"includeServerSideToolInvocations": True} for r in requests)
    assert all({"googleSearch": {}} in r["tools"] for r in requests)
    check_every_request_echoes_the_history(emulator, requests)

    last = requests[-1]["contents"]
    kinds = [[next(iter(k for k in p if k != "thoughtSignature")) for p in c["parts"]] for c in last]
    assert kinds == [["text"], ["functionCall", "toolCall", "toolResponse"], ["functionResponse"], ["text"],
                     ["text"], ["functionCall"], ["functionResponse"]]
    steps = [p for c in last for p in c["parts"] if "toolCall" in p or "toolResponse" in p]
    assert all(p["thoughtSignature"] for p in steps)

    messages = state["messages"]
    final = messages[-1]
    assert final.response_metadata["grounding_metadata"]["grounding_chunks"]  # citations of the search
    blocks = [b["type"] for b in final.content if isinstance(b, dict)]
    assert blocks[:2] == ["server_tool_call", "server_tool_result"]  # the second turn searched before answering
    assert [c["name"] for m in messages for c in getattr(m, "tool_calls", [])] == ["get_weather", "get_weather"]
    assert [b["name"] for b in final.content_blocks if b["type"] == "server_tool_call"] == ["web_search"]


def test_the_same_agent_on_a_model_that_cannot_combine_says_what_to_do(emulator: Any) -> None:
    from langchain.agents import create_agent

    llm = ChatCometGemini(model="gemini-2.5-flash", api_key="test-key", base_url=emulator.base_url, max_retries=0)
    agent = create_agent(llm, [get_weather, {"google_search": {}}])
    emulator.clear_requests()
    with pytest.raises(ValueError, match="only Gemini 3 models can"):
        agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert _generate_requests(emulator) == []
