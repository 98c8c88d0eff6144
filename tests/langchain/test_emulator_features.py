"""ChatCometGemini against the loopback emulator: the features the API has, end to end over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.exceptions import ModelAPIError, ModelRefusalError
from langchain_core.messages import AIMessageChunk, HumanMessage
from pydantic import BaseModel

from langchain_cometgemini import ChatCometGemini


@pytest.fixture
def llm(emulator: Any) -> ChatCometGemini:
    return ChatCometGemini(api_key="test-key", base_url=emulator.base_url, max_retries=0)


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def test_words_and_usage_stream_equals_invoke_usage(llm: ChatCometGemini) -> None:
    prompt = "Tell me something [[words:40]]"
    once = llm.invoke(prompt)
    full = merged(list(llm.stream(prompt)))
    assert once.text == full.text and len(once.text.split()) == 40
    assert once.usage_metadata == full.usage_metadata
    assert full.response_metadata["model_name"] == once.response_metadata["model_name"]
    assert full.response_metadata["finish_reason"] == "STOP"


async def test_async_stream_and_thoughts(llm: ChatCometGemini) -> None:
    thinking = llm.model_copy(update={"include_thoughts": True})
    chunks = [c async for c in thinking.astream("Why is the sky blue?")]
    full = merged(chunks)
    assert isinstance(full.content, list)
    assert full.content_blocks[0]["type"] == "reasoning"
    reply = await thinking.ainvoke("Why is the sky blue?")
    assert isinstance(reply.content, list) and reply.content[0]["type"] == "thinking"
    # the thought blocks go back with their signatures and are accepted
    assert (await thinking.ainvoke([HumanMessage("Why?"), reply, HumanMessage("And at sunset?")])).text


def test_google_search_grounding_citations(llm: ChatCometGemini) -> None:
    msg = llm.bind_tools([{"google_search": {}}]).invoke("Who won the 2024 Euro?")
    assert "grounding_metadata" in msg.response_metadata
    blocks = msg.content_blocks
    assert any(b["type"] == "server_tool_call" for b in blocks)
    assert any(b.get("annotations") for b in blocks if b["type"] == "text")


def test_structured_output_against_the_emulator(llm: ChatCometGemini) -> None:
    class City(BaseModel):
        name: str
        population: int

    city = llm.with_structured_output(City).invoke("Describe Paris")
    assert isinstance(city, City)
    raw = llm.with_structured_output(City, method="function_calling", include_raw=True).invoke("Describe Paris")
    assert isinstance(raw["parsed"], City)
    streamed = list(llm.with_structured_output(City).stream("Describe Paris"))
    assert isinstance(streamed[-1], City)


def test_image_output(emulator: Any) -> None:
    llm = ChatCometGemini(api_key="test-key", base_url=emulator.base_url, model="gemini-2.5-flash-image",
                          response_modalities=["TEXT", "IMAGE"])
    msg = llm.invoke("Draw a cat")
    assert any(b["type"] == "image" and b["base64"] for b in msg.content_blocks)


def test_blocked_prompt_and_safety_finish(llm: ChatCometGemini) -> None:
    with pytest.raises(ModelRefusalError, match="blockReason"):
        llm.invoke("please [[block]]")
    with pytest.raises(ModelRefusalError, match="blockReason"):
        list(llm.stream("please [[block]]"))
    msg = llm.invoke("tell me [[safety]]")
    assert msg.response_metadata["finish_reason"] == "SAFETY"
    assert any(b["type"] == "refusal" for b in msg.content_blocks)


def test_faults_are_retried_then_mapped(emulator: Any) -> None:
    flaky = ChatCometGemini(api_key="test-key", base_url=emulator.base_url, max_retries=0,
                            default_headers={"x-emulator-fault": "503"})
    with pytest.raises(ModelAPIError):
        flaky.invoke("hi")


def test_count_tokens(llm: ChatCometGemini) -> None:
    n = llm.get_num_tokens_from_messages([HumanMessage("one two three four")])
    assert n > 0 and llm.get_num_tokens("one two three four") == n


async def test_abatch_100_concurrent_on_one_instance(llm: ChatCometGemini) -> None:
    prompts = [f"Repeat the number {i} [[words:5]]" for i in range(150)]
    results = await llm.abatch(prompts, config={"max_concurrency": 100})
    assert len(results) == 150 and all(r.text for r in results)
    again = await llm.abatch(prompts[:3])
    assert [r.text for r in again] == [r.text for r in results[:3]]  # deterministic: answers not mixed up


def test_pickled_model_works_and_threads_share_it(llm: ChatCometGemini) -> None:
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    first = llm.invoke("hello there").text
    clone = pickle.loads(pickle.dumps(llm))
    assert clone.invoke("hello there").text == first
    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(lambda _: clone.invoke("hello there").text, range(32)))
    assert texts == [first] * 32
