"""ChatCometGemini with context caches and long answers, against the loopback emulator: a cache made from
messages and tools, then used with ``cached_content=`` (the wire request carries the cache and not what it
holds, usage shows the cached tokens), clashes refused before sending, gateways without caches, and answers
that come in CONTINUATION hops, whole in ``invoke`` and streaming on in ``stream``, sync and async."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage

from cometgemini import BadRequestError, ResourceNotSupportedError
from langchain_cometgemini import ChatCometGemini, acreate_context_cache, create_context_cache

DOC = "The Eiffel Tower is in Paris. It was finished in 1889. " * 120  # ~1,300 tokens: above Flash's minimum
RULES = "You are a geography expert. Be concise."
LONG = "Count for me [[words:30]] [[continue:2]]"


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


@pytest.fixture
def llm(emulator: Any) -> ChatCometGemini:
    return ChatCometGemini(api_key="test-key", base_url=emulator.base_url, model="gemini-2.5-flash", max_retries=0)


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def wire(emulator: Any) -> dict[str, Any]:
    return dict(emulator.requests[-1]["json"])


async def test_a_cache_made_from_messages_and_tools_is_used_end_to_end(llm: ChatCometGemini, emulator: Any) -> None:
    name = create_context_cache(llm, [SystemMessage(RULES), HumanMessage(DOC)], ttl=600, tools=[get_weather],
                                display_name="doc")
    made = emulator.requests[-1]
    assert (made["method"], made["path"]) == ("POST", "/v1beta/cachedContents")
    assert made["json"]["systemInstruction"] == {"parts": [{"text": RULES}]}
    assert made["json"]["contents"] == [{"role": "user", "parts": [{"text": DOC}]}]
    assert made["json"]["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
    assert (made["json"]["ttl"], made["json"]["displayName"], made["json"]["model"]) == (
        "600s", "doc", "models/gemini-2.5-flash")
    cached = llm.model_copy(update={"cached_content": name}).bind_tools([get_weather])
    question = [SystemMessage(RULES), HumanMessage("When was the tower finished?")]
    replies = [cached.invoke(question), merged(list(cached.stream(question))), await cached.ainvoke(question),
               merged([c async for c in cached.astream(question)])]
    for reply in replies:
        assert "(system instruction: You are a geography expert" in reply.text
        assert reply.usage_metadata is not None
        assert reply.usage_metadata["input_token_details"]["cache_read"] >= 1024
        assert reply.usage_metadata["input_tokens"] > reply.usage_metadata["input_token_details"]["cache_read"]
    assert replies[0].usage_metadata == replies[1].usage_metadata == replies[2].usage_metadata
    sent = wire(emulator)
    assert sent["cachedContent"] == name and sent["contents"] == [
        {"role": "user", "parts": [{"text": "When was the tower finished?"}]}]
    assert not {"systemInstruction", "tools", "toolConfig"} & set(sent)
    # a conversation without the system message works too: the cache supplies it
    plain = llm.model_copy(update={"cached_content": name})
    assert "geography expert" in plain.invoke("Where?").text
    # the exact count is the request as sent, the cache included; the default counts the messages alone
    assert plain.get_num_tokens_from_messages(question, exact=True) == replies[0].usage_metadata["input_tokens"]
    assert 0 < plain.get_num_tokens_from_messages(question) < replies[0].usage_metadata["input_token_details"][
        "cache_read"]


def test_clashes_with_the_cache_are_refused_before_sending(llm: ChatCometGemini, emulator: Any) -> None:
    name = create_context_cache(llm, [SystemMessage(RULES), HumanMessage(DOC)])
    cached = llm.model_copy(update={"cached_content": name})
    before = len(emulator.requests)
    with pytest.raises(ValueError, match="system instruction \\(system message\\) other than the one in the cache"):
        cached.invoke([SystemMessage("Be verbose."), HumanMessage("Hi")])
    with pytest.raises(ValueError, match="this call sets tools the cache does not hold"):
        list(cached.bind_tools([get_weather]).stream("Hi"))
    with pytest.raises(ValueError, match=r"created for gemini-2\.5-flash, and this call uses gemini-2\.5-pro"):
        cached.invoke("Hi", model="gemini-2.5-pro")
    with pytest.raises(ValueError, match="was not created by this process"):
        llm.bind(cached_content="cachedContents/elsewhere").invoke([SystemMessage(RULES), HumanMessage("Hi")])
    assert len(emulator.requests) == before


async def test_async_creation_tool_choice_and_the_minimum_size(llm: ChatCometGemini, emulator: Any) -> None:
    name = await acreate_context_cache(llm, DOC, tools=[get_weather], tool_choice="any")
    assert emulator.requests[-1]["json"]["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    reply = await llm.bind_tools([get_weather], tool_choice="any").ainvoke("Paris?", cached_content=name)
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "get_weather"
    assert not {"tools", "toolConfig"} & set(wire(emulator))
    with pytest.raises(BadRequestError, match="Cached content is too small"):
        create_context_cache(llm, [HumanMessage("too short")])
    with pytest.raises(TypeError, match="needs a ChatCometGemini"):
        create_context_cache(object(), DOC)
    with pytest.raises(ValueError, match="nothing to cache"):
        create_context_cache(llm, [HumanMessage("")])


@pytest.mark.parametrize("reply", [httpx.Response(404, text="404 page not found"),
                                   httpx.Response(200, html="<html><body>CometAPI console</body></html>")])
def test_a_gateway_without_caches_says_so(reply: httpx.Response) -> None:
    transport = httpx.MockTransport(lambda request: reply)
    llm = ChatCometGemini(api_key="k", base_url="https://api.cometapi.com", max_retries=0,
                          http_client=httpx.Client(transport=transport))
    with pytest.raises(ResourceNotSupportedError, match=r"cachedContents is not served at https://api\.cometapi\.com"):
        create_context_cache(llm, DOC)


async def test_long_answers_are_whole_in_invoke_and_stream_on_in_stream(llm: ChatCometGemini) -> None:
    whole = llm.invoke(LONG)
    assert len(whole.text.split()) == 30 and whole.response_metadata["finish_reason"] == "STOP"
    for chunks in (list(llm.stream(LONG)), [c async for c in llm.astream(LONG)]):
        assert sum(c.chunk_position == "last" for c in chunks) == 1 and chunks[-1].chunk_position == "last"
        full = merged(chunks)
        assert full.text == whole.text and full.usage_metadata == whole.usage_metadata
        assert full.response_metadata["finish_reason"] == "STOP"
    assert (await llm.ainvoke(LONG)).text == whole.text
    off = llm.model_copy(update={"max_continuations": 0})
    first = off.invoke(LONG)
    assert first.response_metadata["finish_reason"] == "CONTINUATION"
    assert first.response_metadata["continuation_token"] and len(first.text.split()) < 30
    with pytest.raises(ValueError, match="max_continuations"):
        ChatCometGemini(api_key="k", max_continuations=-1)
