"""``CometGemini.count_tokens`` with nothing to count and with system messages alone."""

from __future__ import annotations

from typing import Any

from llama_index.core.llms import ChatMessage, MessageRole

from llamaindex_cometgemini import CometGemini
from tests.llamaindex._mock import Recorder, make_llm

SYSTEM = ChatMessage(role=MessageRole.SYSTEM, content="Answer in one short sentence.")


async def test_nothing_counts_zero_without_a_request() -> None:
    rec = Recorder(reply={"totalTokens": 9})
    llm = make_llm(rec)
    assert llm.count_tokens([]) == 0
    assert llm.count_tokens("") == 0
    assert llm.count_tokens([ChatMessage(role=MessageRole.USER, content="")]) == 0
    assert await llm.acount_tokens([]) == 0
    assert rec.requests == []


def test_system_messages_alone_count_as_the_system_instruction() -> None:
    rec = Recorder(reply={"totalTokens": 9})
    llm = make_llm(rec)
    assert llm.count_tokens([SYSTEM]) == 9
    inner = rec.last["generateContentRequest"]
    assert inner["systemInstruction"] == {"parts": [{"text": "Answer in one short sentence."}]}
    assert inner["contents"] == [{"role": "user", "parts": [{"text": ""}]}]  # counts nothing; Google needs one


def test_on_the_emulator_the_parts_add_up_to_the_prompt(emulator: Any) -> None:
    llm = CometGemini(model="gemini-2.5-flash", api_key="test-key", base_url=emulator.base_url)
    user = ChatMessage(role=MessageRole.USER, content="hi there")
    answer = llm.chat([SYSTEM, user])
    assert llm.count_tokens([SYSTEM]) + llm.count_tokens([user]) == llm.count_tokens([SYSTEM, user]) == (
        answer.additional_kwargs["prompt_tokens"])
