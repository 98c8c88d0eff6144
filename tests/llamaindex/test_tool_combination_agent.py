"""A LlamaIndex ``FunctionAgent`` (then an ``AgentWorkflow``) with a function tool and Google Search on Gemini 3,
multi-turn, against the emulator in strict-signature mode, with the memory saved to JSON between the turns:
every request carries the flag and the whole history, each model turn exactly as the emulator streamed it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage, CitationBlock
from llama_index.core.tools import FunctionTool

from cometgemini._streaming import SSEDecoder, StreamAccumulator, StreamParser
from cometgemini._types import to_wire
from llamaindex_cometgemini import CometGemini
from tests._replay import as_sent

# llama-index-workflows reads ``model_computed_fields`` on instances (deprecated by pydantic 2.11)
pytestmark = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")

KEY = "test-key"
MODEL = "gemini-3-flash-preview"


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny and 21 C in {city}"


@pytest.fixture(scope="module")
def strict() -> Iterator[Any]:
    from cometgemini.emulator import serve

    with serve(api_key=KEY, strict_signatures=True) as server:
        yield server


def _streamed_answer(client: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The parts the emulator streams for ``body``, accumulated as one answer."""
    response = client.post(f"/v1beta/models/{MODEL}:streamGenerateContent", params={"alt": "sse"}, json=body)
    decoder, parser, accumulator = SSEDecoder(), StreamParser(), StreamAccumulator()
    for payload in decoder.feed(response.content):
        accumulator.add(parser.parse(payload))
    parser.finish(decoder.close())
    return [to_wire(p) for p in accumulator.result().candidates[0].content.parts]


async def _restored(messages: list[ChatMessage], session: str) -> Any:
    from llama_index.core.memory import Memory

    saved = json.dumps([m.model_dump(mode="json") for m in messages])
    memory = Memory.from_defaults(session_id=session, token_limit=100_000)
    await memory.aput_messages([ChatMessage.model_validate(d) for d in json.loads(saved)])
    return memory


async def test_function_agent_with_a_function_and_google_search(strict: Any) -> None:
    from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ToolCallResult
    from llama_index.core.memory import Memory

    llm = CometGemini(model=MODEL, api_key=KEY, base_url=strict.base_url, built_in_tools=[{"googleSearch": {}}])
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=llm)
    memory = Memory.from_defaults(session_id="first", token_limit=100_000)
    strict.clear_requests()
    handler = agent.run("What is the weather in Paris? Also search the web for news about Paris.", memory=memory)
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    await handler
    assert [r.tool_name for r in results] == ["get_weather"]  # the search ran on the server, not as a tool

    workflow = AgentWorkflow(agents=[agent])
    handler = workflow.run("And what is the weather in Rome?", memory=await _restored(await memory.aget_all(), "2"))
    final = await handler
    await llm.aclose()
    assert str(final).strip()

    requests = [r["json"] for r in strict.requests if "GenerateContent" in r["path"]]
    assert len(requests) == 4  # call + answer, per turn
    assert all(r["toolConfig"] == {"includeServerSideToolInvocations": True} for r in requests)
    with httpx.Client(base_url=strict.base_url, headers={"x-goog-api-key": KEY}) as client:
        for before, after in itertools.pairwise(requests):
            n = len(before["contents"])
            assert after["contents"][:n] == before["contents"]  # nothing dropped, ever
            assert as_sent(after["contents"][n]["parts"]) == as_sent(_streamed_answer(client, before))
    last = requests[-1]["contents"]
    kinds = [[next(k for k in p if k != "thoughtSignature") for p in c["parts"]] for c in last]
    assert kinds[:4] == [["text"], ["functionCall", "toolCall", "toolResponse"], ["functionResponse"],
                         ["text", "text"]]  # the answer text, then its stream's signed empty part
    assert kinds[4:] == [["text"], ["functionCall"], ["functionResponse"]]


def test_search_steps_and_citations_on_a_plain_chat(strict: Any) -> None:
    llm = CometGemini(model=MODEL, api_key=KEY, base_url=strict.base_url, built_in_tools=[{"googleSearch": {}}],
                      tool_config={"includeServerSideToolInvocations": True})
    first = llm.chat([ChatMessage(role="user", content="What happened in Tokyo today?")]).message
    steps = first.additional_kwargs["server_tool_steps"]
    assert [next(k for k in s if k in ("toolCall", "toolResponse")) for s in steps] == ["toolCall", "toolResponse"]
    assert steps[0]["toolCall"]["args"]["queries"] == ["What happened in Tokyo today"]
    assert any(isinstance(b, CitationBlock) for b in first.blocks)
    restored = ChatMessage.model_validate_json(first.model_dump_json())
    second = llm.chat([ChatMessage(role="user", content="What happened in Tokyo today?"), restored,
                       ChatMessage(role="user", content="And in Osaka?")])
    assert second.message.content  # the strict emulator took the echoed steps
    llm.close()
