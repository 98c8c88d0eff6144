"""A short tour of cometgemini: what ``make demo`` runs.

1. A LangChain agent with a function tool and Google Search in the same requests (Gemini 3 runs the search on
   its side while you run the function): the answer streamed, its citations and the thinking tokens it used.
2. Structured output straight into a pydantic model.
3. A LlamaIndex RAG answer over the documents in ``examples/docs``, streamed, with its sources.

With ``COMETAPI_KEY`` set the tour talks to CometAPI (``COMETAPI_BASE_URL`` if set). Without one it starts the
bundled Gemini emulator in this process and runs the same tour there, offline. The key is never printed.

    python examples/demo.py
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHAT_MODEL = "gemini-3-flash-preview"
DOCS = Path(__file__).resolve().parent / "docs"
RULE = "─" * 72


# ---------------------------------------------------------------------------------------------- output


def say(text: str = "", end: str = "\n") -> None:
    print(text, end=end, flush=True)


def section(number: int, title: str) -> None:
    say(f"\n{RULE}\n {number}/3  {title}\n{RULE}")


class Progress:
    """A label, then a dot a second while a slow call runs, so a long wait never looks like a hang."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def start(self) -> Progress:
        say(f"  … {self.label} ", end="")
        self._started = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._tick, daemon=True)
        self._thread.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            say(".", end="")

    def stop(self, note: str = "") -> None:
        """End the progress line (once); ``note`` goes after it."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        say(f"{note + ' ' if note else ''}({time.monotonic() - self._started:.1f} s)")

    def __enter__(self) -> Progress:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop("done" if exc[0] is None else "failed")


# ---------------------------------------------------------------------------------------------- endpoint


def _where(url: str) -> str:
    """Scheme and host only: a URL could carry credentials, and those are never printed."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


@contextlib.contextmanager
def endpoint() -> Iterator[str | None]:
    """The base URL for the tour: ``None`` (the classes read ``COMETAPI_*``) or a local emulator's."""
    if os.environ.get("COMETAPI_KEY"):
        url = os.environ.get("COMETAPI_BASE_URL") or "https://api.cometapi.com"
        say(f"Endpoint: CometAPI at {_where(url)} (key from COMETAPI_KEY). Model: {CHAT_MODEL}.")
        yield None
        return
    from cometgemini.emulator import serve

    with serve() as server:
        say(f"No COMETAPI_KEY is set, so this tour started the bundled Gemini emulator at {server.base_url}.")
        say("Its answers are canned and deterministic (no model, no network), but every request and response")
        say("has the real wire format. Set COMETAPI_KEY to run the same tour against CometAPI.")
        yield server.base_url


# ---------------------------------------------------------------------------------------------- 1. agent


def _citations(message: Any) -> list[dict[str, Any]]:
    """The citation annotations of an answer's standard content blocks (LangChain v1 format)."""
    return [
        note
        for block in message.content_blocks
        if block["type"] == "text"
        for note in block.get("annotations") or []
        if note.get("type") == "citation"
    ]


def _sources(message: Any) -> dict[str, str]:
    """The web sources a grounded answer cites: URL to title, numbered in order of first citation."""
    return {note["url"]: str(note.get("title")) for note in _citations(message) if note.get("url")}


def _reasoning_tokens(message: Any) -> int:
    usage = getattr(message, "usage_metadata", None) or {}
    return int((usage.get("output_token_details") or {}).get("reasoning", 0))


def make_tools() -> list[Any]:
    """A local function, and Google Search as a built-in tool: on Gemini 3 both go in one request (the request
    then carries ``toolConfig.includeServerSideToolInvocations``, set by ChatCometGemini), the model searches on
    Google's side, and its search steps come back in the answer as ``server_tool_call`` blocks."""
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Today's weather in a city."""
        return f"{city}: 24 °C, sunny, light wind from the west."

    return [get_weather, {"google_search": {}}]


def _searches(message: Any) -> list[str]:
    """The queries of the Google Search steps the model took on the server while writing ``message`` (its own
    ``server_tool_call`` blocks; ``content_blocks`` would also summarize the grounding of any answer)."""
    return [query for block in message.content if isinstance(block, dict)
            and block.get("type") == "server_tool_call" and block.get("name") == "web_search"
            for query in (block.get("args") or {}).get("queries", [])]


class AgentView:
    """Prints an agent run as it happens: progress while waiting, tool calls and results, the streamed answer."""

    def __init__(self) -> None:
        self.progress = Progress("the model is thinking").start()
        self.answers: list[Any] = []  # every AIMessage of the run, for the token count
        self.pending_calls = 0
        self.streaming = False

    def update(self, update: dict[str, Any]) -> None:
        from langchain_core.messages import AIMessage, ToolMessage

        for message in (m for node in update.values() for m in (node or {}).get("messages", [])):
            if isinstance(message, AIMessage):
                self.answers.append(message)
                for query in _searches(message):
                    self.progress.stop()
                    say(f"  ⌕ the model searched Google (server-side) for {query!r}")
                self._calls(message.tool_calls)
            elif isinstance(message, ToolMessage):
                self.progress.stop()
                first_line = str(message.content).splitlines()[0] if message.content else ""
                say(f"  ← {message.name} returned: {first_line[:80]}")
                self.pending_calls -= 1
                self._wait("running the tools" if self.pending_calls > 0 else "the model reads the results")

    def _calls(self, calls: list[Any]) -> None:
        if not calls:
            return
        self.progress.stop()
        for call in calls:
            args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
            say(f"  → the model calls {call['name']}({args})")
        self.pending_calls += len(calls)
        self._wait("running the tools")

    def _wait(self, label: str) -> None:
        self.progress.label = label
        self.progress.start()

    def token(self, text: str) -> None:
        if not self.streaming:
            self.progress.stop()
            say("  answer: ", end="")
            self.streaming = True
        say(text, end="")

    def end(self) -> None:
        self.progress.stop()
        say()


def run_agent(base_url: str | None) -> None:
    from langchain.agents import create_agent

    from langchain_cometgemini import ChatCometGemini

    section(1, "LangChain agent: a function tool + Google Search, in one request")
    llm = ChatCometGemini(model=CHAT_MODEL, base_url=base_url, thinking_level="low")
    agent = create_agent(llm, make_tools(), system_prompt="Answer in two or three sentences.")
    question = "What is the weather in Lisbon? Also search the web for Lisbon's famous landmarks, then suggest a plan."
    say(f"  question: {question}")
    view = AgentView()
    for mode, data in agent.stream({"messages": [("user", question)]}, stream_mode=["messages", "updates"]):
        if mode == "updates":
            view.update(data)
        elif data[1].get("langgraph_node") == "model" and data[0].text:  # (chunk, metadata)
            view.token(data[0].text)
    view.end()
    llm.close()  # the connection pool the agent's calls shared
    _agent_summary(view.answers)


def _agent_summary(answers: list[Any]) -> None:
    grounded = [m for m in answers if _citations(m)]
    for reply in grounded:
        queries = (reply.response_metadata.get("grounding_metadata") or {}).get("web_search_queries") or []
        say(f"\n  Google Search grounding: searched for {'; '.join(q for q in queries if q) or '(none reported)'}")
        sources = list(_sources(reply))
        for i, (url, title) in enumerate(_sources(reply).items(), 1):
            say(f"    [{i}] {title}  {url}")
        for note in _citations(reply):
            marker = sources.index(note["url"]) + 1 if note.get("url") in sources else "?"
            say(f"    “{str(note.get('cited_text', ''))[:70]}” [{marker}]")
    if not grounded:
        say("\n  (the model answered without searching, so there are no citations)")
    thinking = sum(_reasoning_tokens(m) for m in answers)
    say(f"\n  thinking tokens (usage_metadata.output_token_details.reasoning): {thinking} in "
        f"{len(answers)} model calls, the searches included (they ran inside those calls)")


# ---------------------------------------------------------------------------------------------- 2. structured


def run_structured(base_url: str | None) -> None:
    from pydantic import BaseModel, Field

    from langchain_cometgemini import ChatCometGemini

    class TripPlan(BaseModel):
        """A one-day city trip."""

        city: str
        country: str
        best_month: str = Field(description="The best month to visit")
        highlights: list[str] = Field(description="Three things to see")

    section(2, "Structured output: with_structured_output(TripPlan)")
    llm = ChatCometGemini(model=CHAT_MODEL, base_url=base_url, thinking_level="low")
    prompt = 'Plan one day in "Porto": its country, the best month to go and three highlights.'
    say(f"  prompt: {prompt}")
    with Progress("asking for JSON that follows TripPlan's schema"):
        plan = llm.with_structured_output(TripPlan).invoke(prompt)
    llm.close()
    assert isinstance(plan, TripPlan)
    say(f"  {type(plan).__name__} (a validated pydantic object):")
    for name, value in plan.model_dump().items():
        say(f"    {name:<11} {value!r}")


# ---------------------------------------------------------------------------------------------- 3. RAG


def _index(docs: list[Any], embed_model: Any) -> Any:
    """A vector index over ``docs``; if the endpoint serves no embeddings, a summary index (all documents)."""
    from llama_index.core import SummaryIndex, VectorStoreIndex

    from cometgemini import EmbeddingsNotSupportedError

    try:
        with Progress(f"embedding {len(docs)} documents with {embed_model.model_name}"):
            return VectorStoreIndex.from_documents(docs, embed_model=embed_model)
    except EmbeddingsNotSupportedError as exc:
        say(f"  this endpoint serves no embeddings ({type(exc).__name__}), so every document goes to the model")
        return SummaryIndex.from_documents(docs)


def run_rag(base_url: str | None) -> None:
    from llama_index.core import Document

    from llamaindex_cometgemini import CometGemini, CometGeminiEmbedding

    section(3, "LlamaIndex RAG over examples/docs")
    files = sorted(DOCS.glob("*.md"))
    say(f"  documents: {', '.join(f.name for f in files)}")
    docs = [Document(text=f.read_text(encoding="utf-8"), metadata={"file_name": f.name}) for f in files]
    llm = CometGemini(model=CHAT_MODEL, base_url=base_url, thinking_level="LOW")
    embed_model = CometGeminiEmbedding(base_url=base_url)
    engine = _index(docs, embed_model).as_query_engine(llm=llm, similarity_top_k=2, streaming=True)
    question = "Why must an agent send thought signatures back, and what happens if it does not?"
    say(f"  question: {question}")
    progress = Progress("retrieving and thinking").start()
    response = engine.query(question)
    started = False
    for token in response.response_gen:
        if token and not started:
            progress.stop()
            say("  answer: ", end="")
            started = True
        say(token, end="")
    progress.stop()
    llm.client.close()
    embed_model.client.close()
    say("\n\n  sources:")
    for i, hit in enumerate(response.source_nodes, 1):
        first_line = hit.node.get_content().strip().splitlines()[0]
        score = f" (similarity {hit.score:.2f})" if hit.score is not None else ""
        say(f"    [{i}] {hit.node.metadata.get('file_name')}{score}: {first_line}")


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    from cometgemini import CometGeminiError

    started = time.monotonic()
    if hasattr(sys.stdout, "reconfigure"):  # a terminal without UTF-8 gets "?" for the box-drawing characters
        sys.stdout.reconfigure(errors="replace")
    say("cometgemini tour: Gemini's native API from LangChain and LlamaIndex")
    try:
        with endpoint() as base_url:
            run_agent(base_url)
            run_structured(base_url)
            run_rag(base_url)
    except CometGeminiError as exc:
        say(f"\nThe tour stopped: {type(exc).__name__}: {exc}")
        return 1
    say(f"\n{RULE}\nTour finished in {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
