"""CometGemini with context caches and long answers, against the loopback emulator: a cache made from chat
messages and tools, then used with ``cached_content=`` (the wire request carries the cache and not what it
holds; the cached tokens are in ``additional_kwargs`` and inside what ``TokenCountingHandler`` reads), clashes
refused before sending, gateways without caches, and answers that come in CONTINUATION hops."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.tools import FunctionTool

from cometgemini import BadRequestError, ResourceNotSupportedError
from llamaindex_cometgemini import CometGemini, acreate_context_cache, create_context_cache

DOC = "The Eiffel Tower is in Paris. It was finished in 1889. " * 120  # ~1,300 tokens: above Flash's minimum
RULES = "You are a geography expert. Be concise."
LONG = "Count for me [[words:30]] [[continue:2]]"


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


WEATHER = FunctionTool.from_defaults(get_weather)


def system(text: str = RULES) -> ChatMessage:
    return ChatMessage(role=MessageRole.SYSTEM, content=text)


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


@pytest.fixture
def llm(emulator: Any) -> CometGemini:
    return CometGemini(model="gemini-2.5-flash", api_key="test-key", base_url=emulator.base_url, max_retries=0)


def wire(emulator: Any) -> dict[str, Any]:
    return dict(emulator.requests[-1]["json"])


async def test_a_cache_made_from_messages_and_tools_is_used_end_to_end(llm: CometGemini, emulator: Any) -> None:
    name = create_context_cache(llm, [system(), user(DOC)], ttl=600, tools=[WEATHER], display_name="doc")
    made = emulator.requests[-1]
    assert (made["method"], made["path"]) == ("POST", "/v1beta/cachedContents")
    assert made["json"]["systemInstruction"] == {"parts": [{"text": RULES}]}
    assert made["json"]["contents"] == [{"role": "user", "parts": [{"text": DOC}]}]
    assert made["json"]["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
    assert (made["json"]["ttl"], made["json"]["displayName"]) == ("600s", "doc")
    counter = TokenCountingHandler()
    cached = CometGemini(model="gemini-2.5-flash", api_key="test-key", base_url=llm.base_url, cached_content=name,
                         callback_manager=CallbackManager([counter]))
    question = [system(), user("When was the tower finished?")]
    responses = [cached.chat(question), await cached.achat(question),
                 list(cached.stream_chat(question))[-1], [r async for r in await cached.astream_chat(question)][-1],
                 cached.chat_with_tools([WEATHER], chat_history=question)]
    for response in responses:
        kwargs = response.additional_kwargs
        assert kwargs["cached_content_token_count"] >= 1024
        assert kwargs["prompt_tokens"] > kwargs["cached_content_token_count"]
        assert response.raw is not None and response.raw.usage_metadata is not None
    assert "(system instruction: You are a geography expert" in (responses[0].message.content or "")
    assert responses[0].additional_kwargs["prompt_tokens"] == responses[2].additional_kwargs["prompt_tokens"]
    sent = wire(emulator)
    assert sent["cachedContent"] == name and sent["contents"] == [
        {"role": "user", "parts": [{"text": "When was the tower finished?"}]}]
    assert not {"systemInstruction", "tools", "toolConfig"} & set(sent)
    assert counter.prompt_llm_token_count >= 2 * responses[0].additional_kwargs["cached_content_token_count"]
    # per call too, and without the system message: the cache supplies it
    reply = llm.chat([user("Where?")], cached_content=name)
    assert "geography expert" in (reply.message.content or "")


def test_clashes_with_the_cache_are_refused_before_sending(llm: CometGemini, emulator: Any) -> None:
    name = create_context_cache(llm, [system(), user(DOC)])
    before = len(emulator.requests)
    with pytest.raises(ValueError, match="system instruction \\(system message\\) other than the one in the cache"):
        llm.chat([system("Be verbose."), user("Hi")], cached_content=name)
    with pytest.raises(ValueError, match="this call sets tools the cache does not hold"):
        llm.chat_with_tools([WEATHER], chat_history=[user("Hi")], cached_content=name)
    with pytest.raises(ValueError, match="this call sets tools the cache does not hold"):
        list(CometGemini(model="gemini-2.5-flash", api_key="k", base_url=llm.base_url, cached_content=name,
                         built_in_tools=[{"googleSearch": {}}]).stream_chat([user("Hi")]))
    with pytest.raises(ValueError, match="was not created by this process"):
        llm.chat([system(), user("Hi")], cached_content="cachedContents/elsewhere")
    assert len(emulator.requests) == before


async def test_async_creation_built_in_tools_and_the_minimum_size(emulator: Any) -> None:
    llm = CometGemini(model="gemini-2.5-flash", api_key="test-key", base_url=emulator.base_url,
                      built_in_tools=[{"googleSearch": {}}])
    name = await acreate_context_cache(llm, DOC)
    assert emulator.requests[-1]["json"]["tools"] == [{"googleSearch": {}}]
    reply = await llm.achat([user("Who built the tower?")], cached_content=name)
    assert reply.additional_kwargs.get("grounding_metadata") and "tools" not in wire(emulator)
    with pytest.raises(BadRequestError, match="Cached content is too small"):
        create_context_cache(llm, "too short")
    with pytest.raises(TypeError, match="needs a CometGemini"):
        create_context_cache(object(), DOC)


@pytest.mark.parametrize("reply", [httpx.Response(404, text="404 page not found"),
                                   httpx.Response(405, text="Method Not Allowed")])
def test_a_gateway_without_caches_says_so(reply: httpx.Response) -> None:
    transport = httpx.MockTransport(lambda request: reply)
    llm = CometGemini(api_key="k", base_url="https://api.cometapi.com", max_retries=0,
                      http_client=httpx.Client(transport=transport))
    with pytest.raises(ResourceNotSupportedError, match=r"not served at https://api\.cometapi\.com") as raised:
        create_context_cache(llm, [user(DOC)])
    assert "generativelanguage.googleapis.com" in str(raised.value)


async def test_long_answers_are_whole_in_chat_and_stream_on_in_stream_chat(llm: CometGemini) -> None:
    whole = llm.complete(LONG)
    assert len(whole.text.split()) == 30 and whole.additional_kwargs["finish_reason"] == "STOP"
    streams = [list(llm.stream_chat([user(LONG)])), [r async for r in await llm.astream_chat([user(LONG)])]]
    for responses in streams:
        assert "".join(r.delta or "" for r in responses) == whole.text
        assert responses[-1].message.content == whole.text
        assert [r.additional_kwargs.get("finish_reason") for r in responses].count("STOP") == 1
        assert responses[-1].additional_kwargs["total_tokens"] == whole.additional_kwargs["total_tokens"]
    assert (await llm.acomplete(LONG)).text == whole.text
    off = CometGemini(model="gemini-2.5-flash", api_key="test-key", base_url=llm.base_url, max_continuations=0)
    first = off.chat([user(LONG)])
    assert first.additional_kwargs["finish_reason"] == "CONTINUATION"
    assert first.additional_kwargs["continuation_token"] and len((first.message.content or "").split()) < 30
    with pytest.raises(ValueError, match="max_continuations"):
        CometGemini(api_key="k", max_continuations=-1)
