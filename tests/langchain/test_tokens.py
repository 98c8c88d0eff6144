"""``ChatCometGemini`` token counting: nothing is 0, system messages alone count, and
``trim_messages(token_counter=llm)`` over a long conversation works and asks for each message once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage, trim_messages

from cometgemini.emulator import EmulatorServer, serve
from langchain_cometgemini import ChatCometGemini
from tests.langchain._mock import Recorder, make_llm

SYSTEM = "You are a terse travel assistant who answers in one sentence."


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve() as server:
        yield server


@pytest.fixture
def llm(emu: EmulatorServer) -> ChatCometGemini:
    emu.clear_requests()
    return ChatCometGemini(model="gemini-2.5-flash", base_url=emu.base_url, max_retries=0)


def counted(emu: EmulatorServer) -> list[dict[str, Any]]:
    return [r["json"] for r in emu.requests if r["path"].endswith(":countTokens")]


def conversation(turns: int) -> list[BaseMessage]:
    """A system message, then user/assistant turns, every third one a tool call and its result."""
    messages: list[BaseMessage] = [SystemMessage(SYSTEM)]
    for i in range(turns):
        messages.append(HumanMessage(f"Question {i}: what should I see in city number {i}?"))
        if i % 3 == 2:
            call = {"name": "find_sights", "args": {"city": f"city {i}"}, "id": f"call-{i}"}
            messages.append(AIMessage("", tool_calls=[call]))
            messages.append(ToolMessage(json.dumps({"sights": ["museum", "old town"]}), tool_call_id=f"call-{i}",
                                        name="find_sights"))
        messages.append(AIMessage(f"In city {i}, see the museum and the old town by the river, answer {i}."))
    return messages


# ------------------------------------------------------------------------------------------- nothing, and system


@pytest.mark.parametrize("exact", [False, True])
def test_nothing_counts_zero_without_a_request(exact: bool) -> None:
    rec = Recorder().json({"totalTokens": 99})
    llm = make_llm(rec)
    assert llm.get_num_tokens("") == 0
    for messages in ([], [HumanMessage("")], [SystemMessage("")], [HumanMessage([])]):
        assert llm.get_num_tokens_from_messages(messages, exact=exact) == 0
    assert rec.requests == []


@pytest.mark.parametrize("exact", [False, True])
def test_system_messages_alone_count_as_the_system_instruction(exact: bool) -> None:
    """Google requires ``contents`` in a countTokens ``generateContentRequest``; an empty text part counts
    nothing, so the count is the system instruction's alone."""
    rec = Recorder().json({"totalTokens": 11})
    assert make_llm(rec).get_num_tokens_from_messages([SystemMessage(SYSTEM)], exact=exact) == 11
    assert rec.body == {"generateContentRequest": {
        "model": "models/gemini-3-flash-preview", "contents": [{"role": "user", "parts": [{"text": ""}]}],
        "systemInstruction": {"parts": [{"text": SYSTEM}]}}}


def test_the_system_count_is_its_share_of_a_real_prompt(llm: ChatCometGemini) -> None:
    with_system = llm.invoke([SystemMessage(SYSTEM), HumanMessage("hi")]).usage_metadata
    assert with_system is not None
    alone = llm.get_num_tokens_from_messages([SystemMessage(SYSTEM)])
    user = llm.get_num_tokens_from_messages([HumanMessage("hi")])
    assert alone > 0 and alone + user == with_system["input_tokens"]


# ------------------------------------------------------------------------------------------- per message, remembered


def test_each_message_is_counted_once_then_remembered(llm: ChatCometGemini, emu: EmulatorServer) -> None:
    messages = conversation(6)
    first = llm.get_num_tokens_from_messages(messages)
    assert len(counted(emu)) == len(messages)
    assert llm.get_num_tokens_from_messages(messages) == first
    assert llm.get_num_tokens_from_messages(messages[:5]) < first
    assert len(counted(emu)) == len(messages)  # nothing asked again
    assert first == llm.get_num_tokens_from_messages(messages, exact=True)  # the emulator adds turns up exactly
    assert len(counted(emu)) == len(messages) + 1


async def test_async_counts_agree_and_share_what_is_remembered(llm: ChatCometGemini, emu: EmulatorServer) -> None:
    messages = conversation(4)
    first = await llm.aget_num_tokens_from_messages(messages)
    asked = len(counted(emu))
    assert first == llm.get_num_tokens_from_messages(messages) == await llm.aget_num_tokens_from_messages(
        messages, exact=True)
    assert len(counted(emu)) == asked + 1


def test_a_tool_result_is_counted_without_its_call(llm: ChatCometGemini) -> None:
    """Trimmers cut anywhere (and count lists backwards): a lone ToolMessage still has a count."""
    result = ToolMessage('{"sights": ["museum"]}', tool_call_id="call-9", name="find_sights")
    assert llm.get_num_tokens_from_messages([result]) > 0
    assert llm.get_num_tokens_from_messages([result, AIMessage("done")]) > llm.get_num_tokens_from_messages([result])


def test_tools_count_once(llm: ChatCometGemini, emu: EmulatorServer) -> None:
    def find_sights(city: str) -> list[str]:
        """Sights worth seeing in a city."""
        return []

    bare = llm.get_num_tokens_from_messages([HumanMessage("hi")])
    with_tools = llm.get_num_tokens_from_messages([HumanMessage("hi")], tools=[find_sights])
    assert with_tools > bare
    assert with_tools == llm.get_num_tokens_from_messages([HumanMessage("hi")], tools=[find_sights], exact=True)


# ------------------------------------------------------------------------------------------- trim_messages


def test_trim_messages_over_a_long_conversation(llm: ChatCometGemini, emu: EmulatorServer) -> None:
    messages = conversation(40)
    budget = 400
    trimmed = trim_messages(messages, max_tokens=budget, token_counter=llm, strategy="last",
                            include_system=True, start_on="human")
    assert isinstance(trimmed[0], SystemMessage) and isinstance(trimmed[1], HumanMessage)
    assert trimmed[-1] == messages[-1] and len(trimmed) < len(messages)
    assert llm.get_num_tokens_from_messages(trimmed, exact=True) <= budget
    assert len(counted(emu)) <= len(messages) + 1  # each message at most once (and the exact check)
    # one turn later: only the two new messages are asked for
    before = len(counted(emu))
    messages += [HumanMessage("Question 40: and the last city?"), AIMessage("See the harbour, answer 40.")]
    again = trim_messages(messages, max_tokens=budget, token_counter=llm, strategy="last", include_system=True,
                          start_on="human")
    assert again[-1] == messages[-1] and isinstance(again[0], SystemMessage)
    assert len(counted(emu)) == before + 2


def test_trim_matches_a_trim_by_the_same_counts_done_locally(llm: ChatCometGemini) -> None:
    """The cheap counter decides as a counter of those exact per-message counts would."""
    messages = conversation(12)
    each = {id(m): llm.get_num_tokens_from_messages([m]) for m in messages}

    def local(batch: list[BaseMessage]) -> int:
        return sum(each[id(m)] for m in batch)

    for options in ({"strategy": "last", "include_system": True}, {"strategy": "first"}):
        ours = trim_messages(messages, max_tokens=250, token_counter=llm, **options)  # type: ignore[arg-type]
        theirs = trim_messages(messages, max_tokens=250, token_counter=local, **options)  # type: ignore[arg-type]
        assert ours == theirs and 1 < len(ours) < len(messages)
