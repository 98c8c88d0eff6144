"""Writes the notebooks in this folder from the cell sources below, without outputs.

    python notebooks/_build.py          # (re)write every notebook
    python notebooks/_build.py --check  # exit 1 if a notebook differs from what this script writes

Edit the cells here, not in Jupyter: the committed notebooks carry no outputs (no key, no machine path, no
port number ever lands in git) and the same script always writes the same bytes. CI executes them against the
emulator (``tests/test_notebooks.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the cell modules beside this script, however it is loaded

from _cells import SETUP, SETUP_NOTE, TEARDOWN, code, md  # noqa: E402
from _resources_cells import RESOURCES  # noqa: E402

# ------------------------------------------------------------------------------------------- 01 quickstart

QUICKSTART = [
    md("""
# 01 · Quickstart: LangChain and LlamaIndex on Gemini's native API

Chat, streaming, thinking levels, thought summaries and `thoughtsTokenCount`, first with LangChain's
`ChatCometGemini`, then with LlamaIndex's `CometGemini`.
"""),
    md(SETUP_NOTE),
    code(SETUP),
    md("## LangChain: chat and streaming"),
    code("""
from langchain_cometgemini import ChatCometGemini

llm = ChatCometGemini(model="gemini-3-flash-preview", base_url=BASE_URL)
reply = llm.invoke("Why is the sky blue? One sentence.")
print(reply.text)
print(reply.usage_metadata)
"""),
    code("""
for chunk in llm.stream("Name three uses of a paperclip, one line each."):
    print(chunk.text, end="", flush=True)
"""),
    md("""
## Thinking level

Gemini 3 models take `thinking_level` (`minimal`, `low`, `medium`, `high`); Gemini 2.5 models take
`thinking_budget` instead. Thinking is billed as output and reported apart from the answer:
`usage_metadata["output_token_details"]["reasoning"]` is Gemini's `thoughtsTokenCount`.
"""),
    code("""
question = "How many r's are in 'strawberry'?"
for level in ["minimal", "low", "high"]:
    reply = llm.invoke(question, thinking_level=level)
    reasoning = reply.usage_metadata.get("output_token_details", {}).get("reasoning", 0)
    print(f"{level:>8}: {reasoning:4d} thinking tokens, answer: {reply.text[:60]!r}")
"""),
    md("""
## Thought summaries

With `include_thoughts=True` the reply also carries a summary of the model's reasoning, as `reasoning`
blocks in `content_blocks` (streamed too).
"""),
    code("""
thinker = ChatCometGemini(model="gemini-3-flash-preview", base_url=BASE_URL, thinking_level="low",
                          include_thoughts=True)
for chunk in thinker.stream("Is 2027 a prime number?"):
    for block in chunk.content_blocks:
        if block["type"] == "reasoning":
            print("[thought]", block.get("reasoning", ""), flush=True)
        elif block["type"] == "text":
            print(block["text"], end="", flush=True)
"""),
    code("""
reply = thinker.invoke("Is 2027 a prime number?")
thoughts = [b["reasoning"] for b in reply.content_blocks if b["type"] == "reasoning"]
print("thought summary:", thoughts[0][:200] if thoughts else "(none)")
print("thoughtsTokenCount:", reply.usage_metadata.get("output_token_details", {}).get("reasoning", 0))
"""),
    md("## LlamaIndex: chat and streaming"),
    code("""
from llama_index.core.llms import ChatMessage

from llamaindex_cometgemini import CometGemini

li_llm = CometGemini(model="gemini-3-flash-preview", base_url=BASE_URL)
response = li_llm.chat([ChatMessage(role="user", content="Why is the sky blue? One sentence.")])
print(response.message.content)
print({k: v for k, v in response.additional_kwargs.items() if k.endswith("tokens") or k.endswith("count")})
"""),
    code("""
for chunk in li_llm.stream_complete("Name three uses of a paperclip, one line each."):
    print(chunk.delta, end="", flush=True)
"""),
    md("""
## LlamaIndex: thinking level, thoughts and `thoughtsTokenCount`

Thought summaries come back as `ThinkingBlock`s; the token count is in `additional_kwargs` and in the raw
`usageMetadata`.
"""),
    code("""
from llama_index.core.base.llms.types import ThinkingBlock

li_thinker = CometGemini(model="gemini-3-flash-preview", base_url=BASE_URL, thinking_level="HIGH",
                         include_thoughts=True)
response = li_thinker.chat([ChatMessage(role="user", content="Is 2027 a prime number?")])
for block in response.message.blocks:
    if isinstance(block, ThinkingBlock):
        print("[thought]", (block.content or "")[:200])
print("answer:", response.message.content)
print("thoughts_token_count:", response.additional_kwargs.get("thoughts_token_count"))
print("raw usageMetadata.thoughtsTokenCount:", response.raw.usage_metadata.thoughts_token_count)
"""),
    code("""
# streamed: thought text arrives in additional_kwargs["thinking_delta"], the answer in delta
for chunk in li_thinker.stream_chat([ChatMessage(role="user", content="Is 2027 a prime number?")]):
    if chunk.additional_kwargs.get("thinking_delta"):
        print("[thought]", chunk.additional_kwargs["thinking_delta"][:120])
    print(chunk.delta or "", end="", flush=True)
"""),
    code(TEARDOWN),
]


# ------------------------------------------------------------------------------------------- 02 agent

AGENT = [
    md("""
# 02 · A LangChain agent: tools, thought signatures across turns, grounded answers

A `create_agent` agent (LangGraph underneath) with two tools; the conversation saved as JSON and continued
later with its thought signatures intact; Google Search grounding with citations; an agent with a function and
Google Search in one request.
"""),
    md(SETUP_NOTE),
    code(SETUP),
    code("""
import json

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, messages_from_dict, messages_to_dict
from langchain_core.tools import tool

from langchain_cometgemini import ChatCometGemini


@tool
def get_weather(city: str) -> str:
    \"\"\"Today's weather in a city.\"\"\"
    return f"{city}: 18 °C, light rain."


@tool
def get_local_time(city: str) -> str:
    \"\"\"The local time in a city.\"\"\"
    return f"It is 14:05 in {city}."


llm = ChatCometGemini(model="gemini-3-flash-preview", base_url=BASE_URL, thinking_level="low")
agent = create_agent(llm, [get_weather, get_local_time], system_prompt="Be brief.")
"""),
    md("## Turn 1: the agent calls tools"),
    code("""
state = agent.invoke({"messages": [HumanMessage('Use get_weather and get_local_time for "Dublin".')]})
for message in state["messages"]:
    message.pretty_print()
"""),
    md("""
## Thought signatures

Gemini 3 signs its function calls. The signature must go back with the call on every later request of the
turn, or Gemini answers 400 ("Function call is missing a thought_signature"). `ChatCometGemini` keeps them in
`additional_kwargs["thought_signatures"]`, which survives serialization.
"""),
    code("""
for message in state["messages"]:
    for where, signature in message.additional_kwargs.get("thought_signatures", {}).items():
        what = "the tool-call step" if message.tool_calls else "the final answer"
        print(f"{what}: signature on {where!r}: {signature[:16]}…")
"""),
    md("## Save the conversation as JSON, load it, continue"),
    code("""
saved = json.dumps(messages_to_dict(state["messages"]))  # what you would store in a database or a file
print(f"saved {len(state['messages'])} messages ({len(saved)} bytes of JSON);",
      "signatures included:", "thought_signatures" in saved)

restored = messages_from_dict(json.loads(saved))
assert [m.additional_kwargs for m in restored] == [m.additional_kwargs for m in state["messages"]]
state = agent.invoke({"messages": [*restored, HumanMessage('Now use get_weather for "Cork".')]})
print(state["messages"][-1].text)
"""),
    code("""
# With the emulator we can look at the request itself: each step's calls went back with the signature Gemini
# put on the first call of that step (that is where Gemini puts it; later calls of a step carry none).
if emulator is not None:
    sent = emulator.requests[-1]["json"]["contents"]
    calls = [p for c in sent if c["role"] == "model" for p in c["parts"] if "functionCall" in p]
    print([(p["functionCall"]["name"], "thoughtSignature" in p) for p in calls])
"""),
    md("""
## LangGraph memory instead of JSON

A checkpointer keeps the state per `thread_id`; signatures are kept the same way.
"""),
    code("""
from langgraph.checkpoint.memory import InMemorySaver

remembering = create_agent(llm, [get_weather], checkpointer=InMemorySaver())
thread = {"configurable": {"thread_id": "trip-1"}}
remembering.invoke({"messages": [HumanMessage('Use get_weather for "Galway".')]}, thread)
final = remembering.invoke({"messages": [HumanMessage("And should I take an umbrella?")]}, thread)
print(len(final["messages"]), "messages in the thread;", final["messages"][-1].text[:200])
"""),
    md("## Streaming an agent run"),
    code("""
question = 'Use get_local_time for "Tokyo".'
for chunk, meta in agent.stream({"messages": [HumanMessage(question)]}, stream_mode="messages"):
    if meta["langgraph_node"] == "model" and chunk.text:
        print(chunk.text, end="", flush=True)
    elif meta["langgraph_node"] == "tools":
        print(f"[{chunk.name} → {chunk.content}]")
"""),
    md("""
## Grounded answers with citations

Bind Google Search as a built-in tool. The reply's `content_blocks` carry the search (`server_tool_call` /
`server_tool_result`) and citations as annotations on the text; the raw `grounding_metadata` is in
`response_metadata`. Segment offsets are **UTF-8 byte offsets**, so inline markers are placed in bytes.
"""),
    code("""
searcher = llm.bind_tools([{"google_search": {}}])
reply = searcher.invoke("Who won the most recent Tour de France?")
print(reply.text, "\\n")

citations = [a for b in reply.content_blocks if b["type"] == "text" for a in b.get("annotations", [])]
sources = list(dict.fromkeys(c["url"] for c in citations))
for n, url in enumerate(sources, 1):
    title = next(c["title"] for c in citations if c["url"] == url)
    print(f"[{n}] {title}: {url[:90]}")
print("searched for:", reply.response_metadata.get("grounding_metadata", {}).get("web_search_queries"))
"""),
    code("""
def with_markers(text: str, citations: list[dict]) -> str:
    \"\"\"The answer with [n] after each supported segment (offsets are UTF-8 bytes).\"\"\"
    data = text.encode()
    for c in sorted(citations, key=lambda c: c["end_index"], reverse=True):
        data = data[: c["end_index"]] + f" [{sources.index(c['url']) + 1}]".encode() + data[c["end_index"] :]
    return data.decode()


print(with_markers(reply.text, citations))
"""),
    md("""
## An agent that searches: your function and Google Search in one request

On Gemini 3 a built-in tool and your functions go in the same request: `ChatCometGemini` adds the
`toolConfig.includeServerSideToolInvocations` flag Gemini requires for that. The model searches on Google's side
while you run your function; its search steps come back in the message as `server_tool_call` /
`server_tool_result` blocks (each with its own thought signature), `tool_calls` hold only your functions, and
the whole turn goes back unchanged on the next request. (Models before Gemini 3 cannot combine them: you get a
`ValueError` that says so, before anything is sent.)
"""),
    code("""
researcher = create_agent(llm, [get_weather, {"google_search": {}}], system_prompt="Cite sources as [n].")
question = "What is the weather in Dublin? Also search the web for the date of the Dublin marathon."
state = researcher.invoke({"messages": [HumanMessage(question)]})
for message in state["messages"]:
    for block in message.content if isinstance(message.content, list) else []:
        if block.get("type") == "server_tool_call":
            print(f"server-side {block['name']}: {block['args']}  (signed: {'signature' in block['extras']})")
    for call in getattr(message, "tool_calls", []):
        print(f"your function: {call['name']}({call['args']})")
answer = state["messages"][-1]
print("\\n" + answer.text[:600])
"""),
    code("""
citations = [a for b in answer.content_blocks if b["type"] == "text" for a in b.get("annotations", [])]
for n, url in enumerate(dict.fromkeys(c["url"] for c in citations), 1):
    print(f"[{n}] {next(c['title'] for c in citations if c['url'] == url)}: {url[:90]}")
print("thinking tokens:", sum((m.usage_metadata or {}).get("output_token_details", {}).get("reasoning", 0)
                              for m in state["messages"] if m.type == "ai"))
"""),
    code("""
# One request per model call, each with the flag and the search steps of earlier calls sent back as they came.
if emulator is not None:
    for request in emulator.requests[-2:]:
        body = request["json"]
        steps = [p for c in body["contents"] for p in c["parts"] if "toolCall" in p or "toolResponse" in p]
        print(body["toolConfig"], "| tools:", [next(iter(t)) for t in body["tools"]],
              "| search steps sent back:", len(steps))
"""),
    code(TEARDOWN),
]


# ------------------------------------------------------------------------------------------- 03 LlamaIndex

RAG = [
    md("""
# 03 · LlamaIndex: a RAG pipeline and a `FunctionAgent`

`CometGeminiEmbedding` embeds the documents in `examples/docs`, `CometGemini` answers over them; then a
`FunctionAgent` uses the index as one of its tools.
"""),
    md(SETUP_NOTE),
    code(SETUP),
    code("""
from pathlib import Path

from llama_index.core import Document, Settings, VectorStoreIndex

from llamaindex_cometgemini import CometGemini, CometGeminiEmbedding

Settings.llm = CometGemini(model="gemini-3-flash-preview", base_url=BASE_URL, thinking_level="LOW")
Settings.embed_model = CometGeminiEmbedding(base_url=BASE_URL)

files = sorted(Path("../examples/docs").glob("*.md"))
documents = [Document(text=f.read_text(encoding="utf-8"), metadata={"file_name": f.name}) for f in files]
assert documents, "open this notebook from the notebooks/ folder: it reads ../examples/docs"
print([d.metadata["file_name"] for d in documents])
"""),
    md("## Index and query"),
    code("""
index = VectorStoreIndex.from_documents(documents)
engine = index.as_query_engine(similarity_top_k=2)
answer = engine.query("How is thinking billed, and what does thoughtsTokenCount report?")
print(answer, "\\n")
for hit in answer.source_nodes:
    print(f"{hit.score:.2f}  {hit.node.metadata['file_name']}")
"""),
    md("## Streaming the answer"),
    code("""
streaming = index.as_query_engine(similarity_top_k=2, streaming=True)
response = streaming.query("Why are grounding offsets tricky with accented text?")
for token in response.response_gen:
    print(token, end="", flush=True)
print("\\n\\nsources:", [n.node.metadata["file_name"] for n in response.source_nodes])
"""),
    md("## A chat engine that remembers the conversation"),
    code("""
chat = index.as_chat_engine(chat_mode="condense_plus_context")
print(chat.chat("What is a thought signature?"), "\\n")
print(chat.chat("What happens if an agent drops it?"))
"""),
    md("""
## A `FunctionAgent`

The index becomes a tool next to an ordinary Python function. Gemini 3's thought signatures ride along in
the agent's `Memory`, so the second run continues the same conversation (`memory.aget_all()` can be saved as
JSON and loaded later, signatures included).
"""),
    code("""
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCall, ToolCallResult
from llama_index.core.memory import Memory
from llama_index.core.tools import QueryEngineTool


def word_count(text: str) -> int:
    \"\"\"The number of words in a text.\"\"\"
    return len(text.split())


docs_tool = QueryEngineTool.from_defaults(
    engine, name="search_docs", description="Answers questions about Gemini features from the project docs."
)
agent = FunctionAgent(tools=[docs_tool, word_count], llm=Settings.llm,
                      system_prompt="Use search_docs for facts about Gemini.")
memory = Memory.from_defaults(session_id="notebook-03", token_limit=40_000)


async def run(question: str) -> None:
    handler = agent.run(question, memory=memory)
    async for event in handler.stream_events():
        if isinstance(event, ToolCall) and not isinstance(event, ToolCallResult):
            print(f"→ {event.tool_name}({event.tool_kwargs})")
        elif isinstance(event, ToolCallResult):
            print(f"← {str(event.tool_output)[:100]}")
        elif isinstance(event, AgentStream):
            print(event.delta, end="", flush=True)
    await handler
    print()


await run('Use search_docs to answer "what does the googleSearch tool return?"')
"""),
    code("""
await run("Call word_count on the sentence 'thought signatures must survive JSON'.")
"""),
    code(TEARDOWN),
]


# ------------------------------------------------------------------------------------------- 04 structured

STRUCTURED = [
    md("""
# 04 · Structured output, image input, image and speech output

Answers as pydantic objects (LangChain and LlamaIndex), an image sent to the model, an image-generation
model's picture shown inline, and a text-to-speech model's voice played inline.
"""),
    md(SETUP_NOTE),
    code(SETUP),
    md("## Structured output with LangChain"),
    code("""
from pydantic import BaseModel, Field

from langchain_cometgemini import ChatCometGemini


class Recipe(BaseModel):
    \"\"\"A recipe.\"\"\"

    name: str
    servings: int = Field(description="How many people it feeds")
    ingredients: list[str]
    vegetarian: bool


llm = ChatCometGemini(model="gemini-3-flash-preview", base_url=BASE_URL, thinking_level="low")
recipe = llm.with_structured_output(Recipe).invoke("A simple pancake recipe for 4 people.")
print(repr(recipe))
"""),
    code("""
# include_raw=True also returns the AIMessage (usage, thinking tokens) and any parsing error
result = llm.with_structured_output(Recipe, include_raw=True).invoke("A tomato soup for 2.")
print(result["parsed"])
print("parsing error:", result["parsing_error"], "| usage:", result["raw"].usage_metadata)
"""),
    md("## Structured output with LlamaIndex"),
    code("""
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate

from llamaindex_cometgemini import CometGemini

li_llm = CometGemini(model="gemini-3-flash-preview", base_url=BASE_URL, thinking_level="LOW")
print(repr(li_llm.structured_predict(Recipe, PromptTemplate("A simple {dish} recipe."), dish="omelette")))
structured = li_llm.as_structured_llm(Recipe)
print(structured.chat([ChatMessage(role="user", content="A fruit salad for 6.")]).raw)
"""),
    md("""
## Image input

A small PNG made right here with `zlib` and `struct` (no imaging library), sent as a standard image block.
"""),
    code("""
import base64
import struct
import zlib

from IPython.display import Image, display


def gradient_png(width: int = 48, height: int = 48) -> bytes:
    \"\"\"An RGB gradient, red to the right and green downwards, as PNG bytes.\"\"\"
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 96))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\\x89PNG\\r\\n\\x1a\\n" + body


png = gradient_png()
display(Image(data=png))
"""),
    code("""
from langchain_core.messages import HumanMessage

message = HumanMessage(content=[
    {"type": "text", "text": "Describe the colours in this image in one sentence."},
    {"type": "image", "base64": base64.b64encode(png).decode(), "mime_type": "image/png"},
])
reply = llm.invoke([message])
print(reply.text)
print("prompt tokens, the image included:", reply.usage_metadata["input_tokens"])
"""),
    code("""
from llama_index.core.base.llms.types import ImageBlock, TextBlock

response = li_llm.chat([ChatMessage(role="user", blocks=[
    TextBlock(text="Which corner of this image is brightest?"),
    ImageBlock(image=png, image_mimetype="image/png"),
])])
print(response.message.content)
"""),
    md("""
## Image output

An image model with `response_modalities=["TEXT", "IMAGE"]` returns the picture as an `image` block
(base64), shown here with `IPython.display.Image`.
"""),
    code("""
painter = ChatCometGemini(model="gemini-2.5-flash-image", base_url=BASE_URL, response_modalities=["TEXT", "IMAGE"])
picture = painter.invoke("A tiny pixel-art lighthouse at night.")
for block in picture.content_blocks:
    if block["type"] == "text":
        print(block["text"])
    elif block["type"] == "image":
        print(block["mime_type"], len(base64.b64decode(block["base64"])), "bytes")
        display(Image(data=base64.b64decode(block["base64"]), width=128))
"""),
    code("""
# the same with LlamaIndex: an ImageBlock in the reply
li_painter = CometGemini(model="gemini-2.5-flash-image", base_url=BASE_URL, response_modalities=["TEXT", "IMAGE"])
response = li_painter.chat([ChatMessage(role="user", content="A tiny pixel-art cactus.")])
for block in response.message.blocks:
    if isinstance(block, ImageBlock):
        display(Image(data=block.resolve_image().read(), width=128))
"""),
    md("""
## Speech output

A text-to-speech model with `response_modalities=["AUDIO"]` and a voice (`speech_config="Kore"`, or Gemini's
full `speechConfig`) answers with audio only. Gemini sends raw 24 kHz PCM; both adapters hand it out as WAV,
so `IPython.display.Audio` plays it as it is: a LangChain `audio` block, a LlamaIndex `AudioBlock`.
"""),
    code("""
from IPython.display import Audio

speaker = ChatCometGemini(model="gemini-2.5-flash-preview-tts", base_url=BASE_URL,
                          response_modalities=["AUDIO"], speech_config="Kore")
spoken = speaker.invoke("Say cheerfully: have a wonderful day!")
(audio,) = [block for block in spoken.content_blocks if block["type"] == "audio"]
wav = base64.b64decode(audio["base64"])
print(audio["mime_type"], len(wav), "bytes |", spoken.usage_metadata["output_token_details"])
display(Audio(data=wav))
"""),
    code("""
# the same with LlamaIndex: an AudioBlock (format "wav") in the reply
from llama_index.core.base.llms.types import AudioBlock

li_speaker = CometGemini(model="gemini-2.5-flash-preview-tts", base_url=BASE_URL,
                         response_modalities=["AUDIO"], speech_config="Puck")
response = li_speaker.chat([ChatMessage(role="user", content="Say: good morning!")])
for block in response.message.blocks:
    if isinstance(block, AudioBlock):
        display(Audio(data=block.resolve_audio().read()))
"""),
    code(TEARDOWN),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_langchain_agent.ipynb": AGENT,
    "03_llamaindex_rag_agent.ipynb": RAG,
    "04_structured_multimodal_image.ipynb": STRUCTURED,
    "05_caches_files_and_batch_mode.ipynb": RESOURCES,
}


def build(name: str) -> str:
    """The notebook's JSON text: no outputs, fixed cell ids, so the same cells always give the same bytes."""
    cells = NOTEBOOKS[name]
    for number, cell in enumerate(cells):
        cell["id"] = f"{name[:2]}-{number:02d}"
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = build(name)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python notebooks/_build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
