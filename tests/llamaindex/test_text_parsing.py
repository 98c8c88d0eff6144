"""LlamaIndex's parts that read the model's text, run offline on the emulator: the LLM selectors, the
sub-question generator, a text-completion program without JSON mode, and the ReAct agent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.program import LLMTextCompletionProgram
from llama_index.core.question_gen import LLMQuestionGenerator
from llama_index.core.schema import QueryBundle
from llama_index.core.selectors import LLMMultiSelector, LLMSingleSelector
from llama_index.core.tools import FunctionTool, ToolMetadata
from pydantic import BaseModel

from cometgemini.emulator import EmulatorServer, serve
from llamaindex_cometgemini import CometGemini

# llama-index-workflows reads ``model_computed_fields`` on instances (deprecated by pydantic 2.11), and its
# ReActAgent calls its own deprecated ``is_running`` from within a step
pytestmark = [pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
              pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning")]

CHOICES = [
    ToolMetadata(name="paris", description="Useful for questions about Paris, France and its museums"),
    ToolMetadata(name="tokyo", description="Useful for questions about Tokyo, Japan and its food"),
    ToolMetadata(name="rome", description="Useful for questions about Rome and Italian history"),
]


class Song(BaseModel):
    title: str
    length_seconds: int


class Album(BaseModel):
    name: str
    artist: str
    songs: list[Song]


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny and 21 C in {city}"


def get_time(city: str) -> str:
    """Local time in a city."""
    return f"It is 10:00 in {city}"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve() as server:
        yield server


@pytest.fixture
def llm(emu: EmulatorServer) -> CometGemini:
    emu.clear_requests()
    return CometGemini(model="gemini-2.5-flash", base_url=emu.base_url, max_retries=0)


def sent_text(emu: EmulatorServer) -> str:
    body = emu.requests[-1]["json"]
    return "\n".join(p.get("text", "") for c in body["contents"] for p in c["parts"])


@pytest.mark.parametrize(("question", "index"), [("What food should I try in Tokyo?", 1),
                                                  ("Which museums are in Paris?", 0),
                                                  ("Tell me about Italian history", 2)])
async def test_single_selector_picks_the_relevant_choice(llm: CometGemini, emu: EmulatorServer, question: str,
                                                         index: int) -> None:
    selector = LLMSingleSelector.from_defaults(llm=llm)
    for result in (selector.select(CHOICES, question), await selector.aselect(CHOICES, question)):
        assert [s.index for s in result.selections] == [index]
        assert result.selections[0].reason
    body = emu.requests[-1]["json"]
    assert "generationConfig" not in body or "responseMimeType" not in body["generationConfig"]  # text, parsed


def test_multi_selector_picks_every_relevant_choice(llm: CometGemini) -> None:
    result = LLMMultiSelector.from_defaults(llm=llm).select(CHOICES, "Compare the museums of Paris with Rome's history")
    assert sorted(s.index for s in result.selections) == [0, 2]
    capped = LLMMultiSelector.from_defaults(llm=llm, max_outputs=1).select(CHOICES, "Paris museums or Rome history?")
    assert len(capped.selections) == 1


def test_question_generator_asks_each_relevant_tool(llm: CometGemini) -> None:
    questions = LLMQuestionGenerator.from_defaults(llm=llm).generate(
        CHOICES, QueryBundle("Compare the food in Tokyo with the museums in Paris"))
    assert sorted(q.tool_name for q in questions) == ["paris", "tokyo"]
    assert all("Tokyo" in q.sub_question for q in questions)


async def test_text_completion_program_without_json_mode(llm: CometGemini, emu: EmulatorServer) -> None:
    program = LLMTextCompletionProgram.from_defaults(
        output_cls=Album, prompt_template_str="Generate an example album inspired by the movie {movie}.", llm=llm)
    album = program(movie="Star Wars")
    assert isinstance(album, Album) and album.songs and all(isinstance(s, Song) for s in album.songs)
    assert "JSON schema" in sent_text(emu)  # the format came in words, not as responseJsonSchema
    assert "responseJsonSchema" not in (emu.requests[-1]["json"].get("generationConfig") or {})
    assert isinstance(await program.acall(movie="Alien"), Album)


async def test_react_agent_calls_a_tool_then_answers(llm: CometGemini, emu: EmulatorServer) -> None:
    agent = ReActAgent(tools=[FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)],
                       llm=llm)
    response = await agent.run("What is the weather in 'Paris'?")
    assert "Sunny and 21 C in Paris" in str(response)
    calls = [c.tool_name for c in response.tool_calls]
    assert calls == ["get_weather"]
    assert "Observation:" in sent_text(emu)  # the tool's answer went back as text


async def test_react_agent_uses_two_tools_in_turn(llm: CometGemini) -> None:
    agent = ReActAgent(tools=[FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)],
                       llm=llm)
    response = await agent.run("Call get_weather and get_time for 'Oslo'.")
    assert [c.tool_name for c in response.tool_calls] == ["get_weather", "get_time"]
    assert "Sunny and 21 C in Oslo" in str(response) and "10:00 in Oslo" in str(response)


async def test_react_agent_answers_at_once_when_no_tool_fits(llm: CometGemini) -> None:
    agent = ReActAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=llm)
    response = await agent.run("Hello there!")
    assert not response.tool_calls and "Hello there" in str(response)
