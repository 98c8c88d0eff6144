"""The pytest plugin (entry point ``cometgemini``): a user's chains, agents and query engines run offline
against the emulator by asking for a fixture. The first tests use the fixtures as any user would; the
``pytester`` ones run a user's project in a fresh process, where only the installed entry point can
provide them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from cometgemini import InternalServerError

pytest_plugins = ["pytester"]


def test_a_langchain_agent_with_a_tool_runs_offline(chat_comet_gemini: Any, gemini_emulator: Any) -> None:
    from langchain.agents import create_agent
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"It is sunny in {city}."

    gemini_emulator.clear_requests()
    agent = create_agent(chat_comet_gemini, [get_weather])
    state = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    results = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [m.content for m in results] == ["It is sunny in Paris."]
    assert state["messages"][-1].content
    sent = gemini_emulator.last_request["json"]["contents"]
    assert sent[-1]["parts"][0]["functionResponse"]["response"] == {"result": "It is sunny in Paris."}
    assert gemini_emulator.last_request["headers"]["x-goog-api-key"] == "REDACTED"


@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")
def test_a_llamaindex_query_engine_runs_offline(comet_gemini: Any, comet_gemini_embedding: Any,
                                                gemini_emulator: Any) -> None:
    from llama_index.core import Document, VectorStoreIndex

    docs = [Document(text="The Eiffel Tower is in Paris."), Document(text="Mount Fuji is in Japan.")]
    gemini_emulator.clear_requests()
    index = VectorStoreIndex.from_documents(docs, embed_model=comet_gemini_embedding)
    response = index.as_query_engine(llm=comet_gemini, similarity_top_k=1).query("Where is the Eiffel Tower?")
    assert str(response)
    assert [n.node.get_content() for n in response.source_nodes] == ["The Eiffel Tower is in Paris."]
    paths = [r["path"] for r in gemini_emulator.requests]
    assert any(p.endswith(":batchEmbedContents") for p in paths) and paths[-1].endswith(":generateContent")
    prompt = gemini_emulator.last_request["json"]["contents"][-1]["parts"][0]["text"]
    assert "The Eiffel Tower is in Paris." in prompt


def test_the_fault_switch_and_the_embeddings_fixture(gemini_emulator: Any, chat_comet_gemini: Any,
                                                     comet_gemini_embeddings: Any) -> None:
    no_retry = chat_comet_gemini.model_copy(update={"max_retries": 0})
    with gemini_emulator.faults("503"), pytest.raises(InternalServerError, match="overloaded"):
        no_retry.invoke("Hello")
    assert no_retry.invoke("Hello").content
    gemini_emulator.clear_requests()
    with gemini_emulator.faults("503*1"):  # the README's example: the first request fails, the retry succeeds
        assert chat_comet_gemini.invoke("Hello").content
    assert len(gemini_emulator.requests) == 2
    assert len(comet_gemini_embeddings.embed_query("hello")) == 768


_USER_TEST = '''
    from langchain.agents import create_agent
    from langchain_core.tools import tool


    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b


    def test_my_agent(chat_comet_gemini):
        agent = create_agent(chat_comet_gemini, [add])
        state = agent.invoke({"messages": [("user", "Call add(2, 3).")]})
        assert any(m.type == "tool" and m.content == "5" for m in state["messages"])


    def test_my_query_engine(comet_gemini, comet_gemini_embedding, gemini_emulator):
        from llama_index.core import Document, VectorStoreIndex

        index = VectorStoreIndex.from_documents([Document(text="Tea comes from China.")],
                                                embed_model=comet_gemini_embedding)
        assert str(index.as_query_engine(llm=comet_gemini).query("Where does tea come from?"))
        assert gemini_emulator.model == "gemini-2.5-flash"
        assert gemini_emulator.last_request["path"] == "/v1beta/models/gemini-2.5-flash:generateContent"
'''


def test_a_users_project_gets_the_fixtures_from_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncometgemini_model = gemini-2.5-flash\n"
                     "filterwarnings = ignore::DeprecationWarning\n")
    pytester.makepyfile(test_user=textwrap.dedent(_USER_TEST))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_turning_the_plugin_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_x(gemini_emulator):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cometgemini")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'gemini_emulator' not found*"])


_WITHOUT_FRAMEWORKS = '''
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"starlette", "uvicorn", "langchain_core", "langchain", "llama_index"}:
            raise ImportError(f"{name} is not installed here")
        return None

sys.meta_path.insert(0, Block())
import pytest
import cometgemini.emulator.pytest_plugin as plugin
import cometgemini.emulator.record
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[1]]))
'''


def test_the_plugin_loads_without_the_frameworks_and_says_what_is_missing(pytester: pytest.Pytester) -> None:
    test = pytester.makepyfile(test_user="def test_x(chat_comet_gemini):\n    pass\n\n"
                                         "def test_plain():\n    assert True\n")
    done = subprocess.run([sys.executable, "-c", _WITHOUT_FRAMEWORKS, str(test)], capture_output=True, text=True,
                          cwd=pytester.path, timeout=120, check=False)
    assert "1 passed" in done.stdout and "1 error" in done.stdout, done.stdout + done.stderr
    assert "needs the emulator extra: pip install 'cometgemini[emulator]'" in done.stdout
