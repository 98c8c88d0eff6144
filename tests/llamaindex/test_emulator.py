"""``CometGemini`` in real LlamaIndex flows against the loopback emulator (no network beyond 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage, CitationBlock, ImageBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Context, HumanResponseEvent, InputRequiredEvent, JsonSerializer
from pydantic import BaseModel

from cometgemini import BadRequestError, InternalServerError, ResponseBlockedError
from llamaindex_cometgemini import CometGemini

# llama-index-workflows reads ``model_computed_fields`` on instances (deprecated by pydantic 2.11)
pytestmark = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")

KEY = "test-key"
DOCS = [
    Document(text="The Eiffel Tower is in Paris. It was completed in 1889."),
    Document(text="Mount Fuji is the highest mountain in Japan, at 3776 metres."),
    Document(text="The Danube flows through ten countries, including Austria and Hungary."),
]


@pytest.fixture(scope="module")
def strict() -> Iterator[Any]:
    """An emulator that also rejects signatures it did not issue or that no longer match their part."""
    from cometgemini.emulator import EmulatorConfig, serve

    with serve(EmulatorConfig(api_key=KEY, strict_signatures=True)) as server:
        yield server


def _llm(server: Any, **kwargs: Any) -> CometGemini:
    return CometGemini(api_key=KEY, base_url=server.base_url, **kwargs)


def _embedding(server: Any) -> Any:
    try:
        from llamaindex_cometgemini import CometGeminiEmbedding
    except ImportError:  # pragma: no cover - the embedding class is written separately
        from llama_index.core.embeddings import MockEmbedding

        return MockEmbedding(embed_dim=8)
    return CometGeminiEmbedding(api_key=KEY, base_url=server.base_url)


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny and 21 C in {city}"


def get_time(city: str) -> str:
    """Local time in a city."""
    return f"It is 12:00 in {city}"


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


async def confirm_booking(ctx: Context, city: str) -> str:
    """Book a trip to a city after the user confirms."""
    answer = await ctx.wait_for_event(
        HumanResponseEvent, waiter_id="confirm", waiter_event=InputRequiredEvent(prefix=f"Book {city}?")
    )
    return f"Booked {city}" if answer.response == "yes" else "Cancelled"


# FunctionTool finds the Context parameter by its real type, not by the string this module's
# ``from __future__ import annotations`` leaves
confirm_booking.__annotations__ = {"ctx": Context, "city": str, "return": str}


# ------------------------------------------------------------------------------------------- plain calls


def test_chat_stream_and_thoughts(emulator: Any) -> None:
    llm = _llm(emulator, include_thoughts=True)
    response = llm.chat([ChatMessage(role="user", content="Hello [[words:6]]")])
    assert len((response.message.content or "").split()) == 6
    assert any(isinstance(b, ThinkingBlock) and b.content for b in response.message.blocks)
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="Hello [[words:6]]")]))
    assert "".join(c.delta or "" for c in chunks) == response.message.content
    assert "".join(c.additional_kwargs.get("thinking_delta", "") for c in chunks)
    assert chunks[-1].additional_kwargs["total_tokens"] == response.additional_kwargs["total_tokens"]


async def test_async_chat_and_stream(emulator: Any) -> None:
    llm = _llm(emulator)
    response = await llm.achat([ChatMessage(role="user", content="Hi [[words:4]]")])
    chunks = [c async for c in await llm.astream_chat([ChatMessage(role="user", content="Hi [[words:4]]")])]
    await llm.aclose()
    assert chunks[-1].message.content == response.message.content


def test_blocked_safety_and_faults(emulator: Any) -> None:
    llm = _llm(emulator)
    with pytest.raises(ResponseBlockedError, match="blockReason"):
        llm.chat([ChatMessage(role="user", content="[[block]] something")])
    with pytest.raises(ResponseBlockedError):
        list(llm.stream_chat([ChatMessage(role="user", content="[[block]] something")]))
    safety = llm.chat([ChatMessage(role="user", content="[[safety]] something")])
    assert safety.additional_kwargs["finish_reason"] == "SAFETY"
    flaky = _llm(emulator, max_retries=0, default_headers={"x-emulator-fault": "503"})
    with pytest.raises(InternalServerError):
        flaky.chat([ChatMessage(role="user", content="Hi")])
    recovering = _llm(emulator, max_retries=2, default_headers={"x-emulator-fault": "503*1",
                                                                "x-emulator-fault-key": "li-retry"})
    assert recovering.chat([ChatMessage(role="user", content="Hi")]).message.content


def test_google_search_citations_and_image_output(emulator: Any) -> None:
    search = _llm(emulator, built_in_tools=[{"googleSearch": {}}])
    response = search.chat([ChatMessage(role="user", content="Who won the last match?")])
    assert response.additional_kwargs.get("grounding_metadata")
    assert any(isinstance(b, CitationBlock) for b in response.message.blocks)
    painter = _llm(emulator, response_modalities=["TEXT", "IMAGE"])
    picture = painter.chat([ChatMessage(role="user", content="Draw a cat")])
    assert any(isinstance(b, ImageBlock) and b.image_mimetype == "image/png" for b in picture.message.blocks)


def test_thinking_setting_refused_before_the_request(emulator: Any) -> None:
    with pytest.raises(ValueError, match="thinking_level"):
        _llm(emulator, model="gemini-2.5-flash", thinking_level="LOW")


def test_signature_dropped_is_refused_by_the_emulator(strict: Any) -> None:
    """The emulator must catch the bug we protect against, or the agent tests below prove nothing."""
    llm = _llm(strict)
    response = llm.chat_with_tools(TOOLS, user_msg="Call get_weather for Paris", tool_required=True)
    message = response.message.model_copy(deep=True)
    message.additional_kwargs = {}
    call = next(b for b in message.blocks if isinstance(b, ToolCallBlock))
    history = [ChatMessage(role="user", content="Call get_weather for Paris"), message,
               ChatMessage(role="tool", content="sunny", additional_kwargs={"tool_call_id": call.tool_call_id})]
    with pytest.raises(BadRequestError, match="thought_signature"):
        llm.chat_with_tools(TOOLS, chat_history=history)


# ------------------------------------------------------------------------------------------- RAG


@pytest.fixture
def rag_settings(emulator: Any) -> Iterator[CometGemini]:
    llm = _llm(emulator)
    old_llm, old_embed = Settings._llm, Settings._embed_model
    Settings.llm, Settings.embed_model = llm, _embedding(emulator)
    yield llm
    Settings._llm, Settings._embed_model = old_llm, old_embed


def test_query_engine_sync_async_streaming(rag_settings: CometGemini) -> None:
    index = VectorStoreIndex.from_documents(DOCS)
    answer = index.as_query_engine(similarity_top_k=2).query("Where is the Eiffel Tower?")
    assert str(answer).strip() and len(answer.source_nodes) == 2
    streaming = index.as_query_engine(streaming=True).query("How high is Mount Fuji?")
    text = "".join(streaming.response_gen)  # type: ignore[union-attr]
    assert text.strip()


async def test_query_engine_async(rag_settings: CometGemini) -> None:
    index = VectorStoreIndex.from_documents(DOCS)
    answer = await index.as_query_engine().aquery("Where does the Danube flow?")
    assert str(answer).strip()
    streaming = await index.as_query_engine(streaming=True).aquery("Where does the Danube flow?")
    pieces = [piece async for piece in streaming.async_response_gen()]  # type: ignore[union-attr]
    assert "".join(pieces).strip()


def test_condense_plus_context_chat_engine(rag_settings: CometGemini) -> None:
    index = VectorStoreIndex.from_documents(DOCS)
    engine = index.as_chat_engine(chat_mode="condense_plus_context")
    first = engine.chat("Tell me about the Eiffel Tower")
    second = engine.chat("When was it completed?")
    assert str(first).strip() and str(second).strip()
    assert len(engine.chat_history) == 4


def test_token_counting_equals_emulator_usage(emulator: Any) -> None:
    counter = TokenCountingHandler()
    llm = _llm(emulator, callback_manager=CallbackManager([counter]), include_thoughts=True)
    usages: list[dict[str, Any]] = []

    class Collect(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            if isinstance(event, LLMChatEndEvent) and event.response is not None:
                usages.append(event.response.raw.model_dump(by_alias=True)["usageMetadata"])

    handler = Collect()
    get_dispatcher().add_event_handler(handler)
    try:
        llm.chat([ChatMessage(role="user", content="Count me [[words:7]]")])
        list(llm.stream_chat([ChatMessage(role="user", content="Count me too [[words:9]]")]))
        llm.chat_with_tools(TOOLS, user_msg="Call get_weather for Rome", tool_required=True)
    finally:
        get_dispatcher().event_handlers.remove(handler)
    assert len(usages) == 3 and len(counter.llm_token_counts) == 3
    assert counter.total_llm_token_count == sum(u["totalTokenCount"] for u in usages)
    assert counter.prompt_llm_token_count == sum(u.get("promptTokenCount", 0) for u in usages)


# ------------------------------------------------------------------------------------------- agents


def _dump(messages: list[ChatMessage]) -> str:
    return json.dumps([m.model_dump(mode="json") for m in messages])


async def _memory_from(saved: str, session: str) -> Any:
    from llama_index.core.memory import Memory

    memory = Memory.from_defaults(session_id=session, token_limit=100_000)
    await memory.aput_messages([ChatMessage.model_validate(d) for d in json.loads(saved)])
    return memory


async def test_function_agent_parallel_calls_memory_to_json_and_back(strict: Any) -> None:
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
    from llama_index.core.memory import Memory

    llm = _llm(strict)
    agent = FunctionAgent(tools=TOOLS, llm=llm, system_prompt="You are helpful.")
    memory = Memory.from_defaults(session_id="first", token_limit=100_000)
    handler = agent.run("Call get_weather and get_time for Paris", memory=memory)
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    await handler
    assert {r.tool_name for r in results} == {"get_weather", "get_time"}

    restored = await _memory_from(_dump(await memory.aget_all()), "second")
    handler = agent.run("Now call get_weather and get_time for Rome", memory=restored)
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    final = await handler
    await llm.aclose()
    assert {r.tool_kwargs["city"] for r in results} == {"Rome"}
    assert str(final).strip()
    last = strict.requests[-1]["json"]
    model_turns = [c for c in last["contents"] if c["role"] == "model"]
    signed = [p for c in model_turns for p in c["parts"] if "functionCall" in p and "thoughtSignature" in p]
    assert len(signed) == 2  # one per step, each on the step's first call, both survived JSON


@pytest.mark.filterwarnings("ignore::workflows.context.state_store.UnserializableKeyWarning")
async def test_function_agent_memory_restored_mid_run(strict: Any) -> None:
    """The run pauses for a human answer; context and memory go to JSON; fresh copies finish the run."""
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.memory import Memory
    llm = _llm(strict)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(async_fn=confirm_booking), *TOOLS], llm=llm)
    memory = Memory.from_defaults(session_id="paused", token_limit=100_000)
    handler = agent.run("Call confirm_booking and get_weather for Oslo", memory=memory)
    saved_ctx = saved_memory = ""
    async for event in handler.stream_events():
        if isinstance(event, InputRequiredEvent):
            saved_ctx = json.dumps(handler.ctx.to_dict(serializer=JsonSerializer()))  # type: ignore[union-attr]
            saved_memory = _dump(await memory.aget_all())
            await handler.cancel_run()
            break
    assert saved_ctx, "the run never asked for input"
    restored = Context.from_dict(agent, json.loads(saved_ctx), serializer=JsonSerializer())
    handler = agent.run(ctx=restored)
    await handler.ctx.store.set("memory", await _memory_from(saved_memory, "resumed"))  # type: ignore[union-attr]
    handler.ctx.send_event(HumanResponseEvent(response="yes"))  # type: ignore[union-attr]
    final = await handler
    await llm.aclose()
    assert str(final).strip()
    sent = strict.requests[-1]["json"]["contents"]
    responses = [p["functionResponse"] for c in sent for p in c["parts"] if "functionResponse" in p]
    assert any(r["name"] == "confirm_booking" and "Booked Oslo" in json.dumps(r) for r in responses)
    signed = [p for c in sent for p in c["parts"] if "functionCall" in p and "thoughtSignature" in p]
    assert signed


@pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning")
async def test_react_agent(emulator: Any) -> None:
    from llama_index.core.agent.workflow import ReActAgent

    llm = _llm(emulator)
    agent = ReActAgent(tools=TOOLS, llm=llm)
    final = await agent.run("What is the weather in Lima?")
    await llm.aclose()
    assert str(final).strip()  # the emulator does not speak ReAct: its text is taken as the answer


async def test_agent_workflow_handoff(strict: Any) -> None:
    from llama_index.core.agent.workflow import AgentOutput, AgentWorkflow, FunctionAgent, ToolCallResult

    llm = _llm(strict)
    weather = FunctionAgent(name="weather", description="Knows the weather.", tools=[TOOLS[0]], llm=llm,
                            can_handoff_to=["clock"])
    clock = FunctionAgent(name="clock", description="Knows the time.", tools=[TOOLS[1]], llm=llm)
    workflow = AgentWorkflow(agents=[weather, clock], root_agent="weather")
    handler = workflow.run(user_msg="Call handoff for clock")
    events = [ev async for ev in handler.stream_events() if isinstance(ev, (AgentOutput, ToolCallResult))]
    final = await handler
    await llm.aclose()
    handoffs = [ev for ev in events if isinstance(ev, ToolCallResult) and ev.tool_name == "handoff"]
    assert handoffs and handoffs[0].tool_kwargs["to_agent"] == "clock"
    assert [ev.current_agent_name for ev in events if isinstance(ev, AgentOutput)][-1] == "clock"
    assert str(final).strip()


# ------------------------------------------------------------------------------------------- structured


class City(BaseModel):
    name: str
    country: str
    population: int


def test_structured_predict_and_structured_llm(emulator: Any) -> None:
    llm = _llm(emulator)
    city = llm.structured_predict(City, PromptTemplate("Describe {city}"), city="Paris")
    assert isinstance(city, City)
    structured = llm.as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Describe Rome")])
    assert City.model_validate_json(response.message.content or "")
    partials = list(llm.stream_structured_predict(City, PromptTemplate("Describe {city}"), city="Oslo"))
    assert isinstance(partials[-1], City)


async def test_astructured_predict_with_tools_falls_back_to_a_forced_call(emulator: Any) -> None:
    llm = _llm(emulator)
    city = await llm.astructured_predict(City, PromptTemplate("Describe Lima"), llm_kwargs={"tools": [TOOLS[0]]})
    await llm.aclose()
    assert isinstance(city, City)
    sent = emulator.requests[-1]["json"]
    assert sent["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"] == ["City"]


async def test_count_tokens_matches_the_prompt_tokens_of_the_answer(emulator: Any) -> None:
    llm = _llm(emulator, model="gemini-2.5-flash")
    messages = [ChatMessage(role="system", content="Be brief."),
                ChatMessage(role="user", content="Tell me about the weather in Paris today")]
    counted = llm.count_tokens(messages)
    answer = await llm.achat(messages)
    assert counted == answer.raw.usage_metadata.prompt_token_count > 0
    assert await llm.acount_tokens(messages) == counted
    await llm.aclose()
