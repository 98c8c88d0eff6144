"""Notebook 05's cells: context caches, the Files API and Batch mode (written by ``_build.py``)."""

from __future__ import annotations

from _cells import TEARDOWN, code, md

# ------------------------------------------------------------------------------------------- 05 files, batches

RESOURCES_SETUP = """\
import os
from contextlib import ExitStack

from cometgemini.emulator import serve

_stack = ExitStack()  # closed in the last cell
# Caches, files and Batch mode are Google's API resources; CometAPI documents none, so this notebook always runs on
# the bundled emulator. To run it on Google instead: BASE_URL = "https://generativelanguage.googleapis.com"
# and KEY = your Google API key.
emulator = _stack.enter_context(serve(file_processing_seconds=1, batch_pending_seconds=1, batch_running_seconds=1))
BASE_URL, KEY = emulator.base_url, None
print(f"Caches, files and Batch mode: using the bundled emulator at {BASE_URL} (deterministic canned answers)")"""

RESOURCES = [
    md("""
# 05 · Context caches, files and Batch mode

The API's resources: context caches (pay for a long prefix once, reuse it at the cached rate), the Files API
(upload once, use the file in many requests for 48 hours) and Batch mode (many requests at half the price,
answered within 24 hours), with the core client and from both frameworks, and when to reach for Batch mode,
`abatch` or Ray.
"""),
    md("""
Caches, files and Batch mode are served by Google's API; CometAPI documents none of them, and a gateway that
lacks them answers with a `ResourceNotSupportedError` that says to point `base_url` at
`https://generativelanguage.googleapis.com`. This notebook runs on the bundled emulator, which keeps caches,
files and batches in memory and moves them through the same states as Google (faster: a video processes for a
second, a batch runs for two).
"""),
    code(RESOURCES_SETUP),
    md("""
## Context caches

A cache holds the start of a conversation (a long document, a system instruction, tools) for one model, for a
while (`ttl`). Requests that name it send only what follows, and its tokens are billed at the cached rate.
`create_context_cache(llm, messages, ttl=..., tools=...)` makes one from framework messages (system messages
become its system instruction) and returns its name for `cached_content=`. Google's minimum size applies:
1,024 tokens on Flash models.
"""),
    code("""
from langchain_core.messages import HumanMessage, SystemMessage

from cometgemini import CometGeminiClient
from langchain_cometgemini import ChatCometGemini, create_context_cache

client = CometGeminiClient(KEY, base_url=BASE_URL)
handbook = " ".join(f"Rule {n}: orders over {n * 10} euros ship free to zone {n % 7}." for n in range(1, 160))
rules = "You answer questions about the shipping handbook, in one sentence."

llm = ChatCometGemini(model="gemini-2.5-flash", api_key=KEY, base_url=BASE_URL)
name = create_context_cache(llm, [SystemMessage(rules), HumanMessage(handbook)], ttl=600, display_name="handbook")
cached = llm.model_copy(update={"cached_content": name})
reply = cached.invoke("Which zone does rule 12 ship to?")  # only this question travels
print(name)
print(reply.text)
usage = reply.usage_metadata
print("input tokens:", usage["input_tokens"], "| read from the cache:", usage["input_token_details"]["cache_read"])
"""),
    md("""
The cache already holds the system instruction: a request that also sends a different one (or tools, or a tool
config) is refused before anything is sent, since Gemini would refuse it. The core client manages caches:
`get`, `list`, `update` (a new `ttl` or `expire_time`), `delete`, and their async twins.
"""),
    code("""
try:
    cached.invoke([SystemMessage("You are a pirate."), HumanMessage("Which zone does rule 3 ship to?")])
except ValueError as error:
    print("refused before sending:", str(error)[:110], "...")

cache = client.caches.update(name, ttl=3600)
print(cache.display_name, "|", cache.usage_metadata.total_token_count, "tokens | expires", cache.expire_time)
print("caches:", [c.name for c in client.caches.list()])
"""),
    code("""
from llama_index.core.base.llms.types import ChatMessage

from llamaindex_cometgemini import CometGemini
from llamaindex_cometgemini import create_context_cache as create_llamaindex_cache

li_llm = CometGemini(model="gemini-2.5-flash", api_key=KEY, base_url=BASE_URL)
li_name = create_llamaindex_cache(li_llm, [ChatMessage(role="system", content=rules),
                                           ChatMessage(role="user", content=handbook)], ttl=600)
response = li_llm.chat([ChatMessage(role="user", content="What does rule 3 say?")], cached_content=li_name)
print(response.message.content)
print("cached tokens:", response.additional_kwargs["cached_content_token_count"])

for stored in client.caches.list():
    client.caches.delete(stored.name)
print("caches left:", client.caches.list())
"""),
    md("""
## Upload a file

`client.files.upload` takes a path, bytes or a binary file object and sends it with Google's resumable
protocol, in chunks (8 MiB by default; 256 KiB here, to see them), calling `progress(sent, total)` after each.
The MIME type is guessed from a path; bytes need `mime_type`. A video is `PROCESSING` for a while:
`wait_active` polls until it is `ACTIVE`.
"""),
    code("""
video = b"\\x00\\x00\\x00\\x18ftypmp42" + bytes(600 * 1024)  # a stand-in for a real clip


def progress(sent: int, total: int) -> None:
    print(f"  sent {sent:>7} of {total} bytes")


file = client.files.upload(video, mime_type="video/mp4", display_name="clip.mp4", chunk_size=256 * 1024,
                           progress=progress)
print(file.name, file.state, file.size_bytes, "bytes, expires", file.expiration_time)
file = client.files.wait_active(file.name, poll_interval=0.2)
print(file.name, file.state, file.uri)
"""),
    md("""
## Use it from LangChain and LlamaIndex

LangChain's standard blocks take the file's name as `file_id` (or its name or URI as `url`); LlamaIndex blocks
take its URI (a `DocumentBlock` also takes the bare `files/...` name). Either way the request carries
`fileData{fileUri, mimeType}`.
"""),
    code("""
reply = llm.invoke([HumanMessage(content=[
    {"type": "text", "text": "What happens in this clip?"},
    {"type": "video", "file_id": file.name, "mime_type": "video/mp4"},
])])
print(reply.text)
"""),
    code("""
from llama_index.core.base.llms.types import TextBlock, VideoBlock

response = li_llm.chat([ChatMessage(role="user", blocks=[
    TextBlock(text="Summarize the clip."), VideoBlock(url=file.uri, video_mimetype="video/mp4"),
])])
print(response.message.content)
"""),
    md("""
## Let the model upload large media itself

`file_mode="hybrid"` sends media larger than `file_upload_threshold` bytes (20 MB by default, Google's inline
limit) through the Files API, waits until the file is `ACTIVE`, and refers to it; `"fileapi"` does so for all
media. An upload is remembered, so a conversation that replays the same video on every turn uploads it once.
Uploads show a tqdm progress bar when tqdm is installed; this notebook turns it off to keep its output short.
"""),
    code("""
import base64

os.environ["TQDM_DISABLE"] = "1"
uploader = ChatCometGemini(model="gemini-2.5-flash", api_key=KEY, base_url=BASE_URL, file_mode="hybrid",
                           file_upload_threshold=100 * 1024)
message = HumanMessage(content=[
    {"type": "text", "text": "Describe this clip."},
    {"type": "video", "base64": base64.b64encode(video).decode(), "mime_type": "video/mp4"},
])
first = uploader.invoke([message])
again = uploader.invoke([message, first, HumanMessage("And in one word?")])
print(again.text)
print("files now stored:", [f.display_name or f.name for f in client.files.list()])
"""),
    code("""
for stored in client.files.list():
    client.files.delete(stored.name)
print("files left:", client.files.list())
"""),
    md("""
## Batch mode with the core client

`client.batches.create` takes a list of requests, a `{key: request}` mapping (the keys come back with the
results) or the name of an uploaded JSONL file. A batch moves from `BATCH_STATE_PENDING` to `_RUNNING` to
`_SUCCEEDED` (or `_FAILED`, `_CANCELLED`, `_EXPIRED`); `wait` polls with growing waits, and `results` gives each
request's `GenerateContentResponse` or its error, in order.
"""),
    code("""
def ask(text: str) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


job = client.batches.create("gemini-2.5-flash", {"sky": ask("Why is the sky blue?"),
                                                  "tea": ask("How long should green tea steep?")},
                            display_name="two-questions")
print(job.name, job.state)
job = client.batches.wait(job.name, poll_interval=0.5)
print(job.state, job.batch_stats)
for result in client.batches.results(job.name):
    print(f"{result.key}: {result.unwrap().text[:70]}...")
"""),
    md("""
For large batches (more than 20 MB of requests), write them as JSONL with `batch_jsonl`, upload the file and
create the batch from its name; the results come back as a generated file that `results` downloads.
"""),
    code("""
from cometgemini import batch_jsonl

lines = batch_jsonl([ask(f"Give me a fun fact about the number {n}.") for n in range(3)])
source = client.files.upload(lines, mime_type="application/jsonl", display_name="facts.jsonl")
job = client.batches.wait(client.batches.create("gemini-2.5-flash", source.name).name, poll_interval=0.5)
print(job.state, "results in", job.output.responses_file)
for result in client.batches.results(job.name):
    print(result.key, result.unwrap().text[:60])
"""),
    md("""
## Batch mode from LangChain and LlamaIndex

`submit_batch` takes what `invoke` / `chat` take, one per request, and returns the job's name;
`collect_batch` waits and returns `AIMessage`s / `ChatResponse`s converted exactly as the live path converts
them. A request that failed is raised, or stands in its place with `return_exceptions=True`. (`llm.batch` and
`abatch` stay live calls.)
"""),
    code("""
name = llm.submit_batch(["Name a river in Europe.", "Name a desert in Asia.", "[[block]] refused"],
                        temperature=0.2)
for message in llm.collect_batch(name, poll_interval=0.5, return_exceptions=True):
    print(type(message).__name__, "|", getattr(message, "text", message))
"""),
    code("""
name = li_llm.submit_batch({"a": "Say hello in French.", "b": [ChatMessage(role="user", content="And in German?")]})
for response in li_llm.collect_batch(name, poll_interval=0.5):
    print(response.message.content[:60], "| tokens:", response.additional_kwargs["total_tokens"])
"""),
    code("""
# a batch can be cancelled while it waits or runs
job = client.batches.create("gemini-2.5-flash", [ask("Never mind.")])
client.batches.cancel(job.name)
print(client.batches.wait(job.name, poll_interval=0.2).state)
"""),
    md("""
## Batch mode, `abatch` or Ray?

* **Batch mode** when the answers can wait (up to 24 hours, usually minutes), at half the price:
  `submit_batch` / `collect_batch`, or `client.batches`.
* **`abatch` / `batch` on one machine** when you need the answers now, thousands of calls an hour:
  `await llm.abatch(inputs, config={"max_concurrency": 32})`.
* **Ray Data** when more than one machine should send, or the data already lives in Ray:
  `examples/ray_enrich.py` (one model, so one connection pool, per actor; retries by the model).

Ray itself is not started here: `python examples/ray_enrich.py` runs the pipeline on a local cluster.
"""),
    code(TEARDOWN),
]
