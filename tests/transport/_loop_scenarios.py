"""Scripts as users write them, each moving a model between event loops: ``python _loop_scenarios.py CASE
BASE_URL``. Each prints its answers; ``test_loops.py`` runs them in a fresh interpreter (aiohttp and asyncio
report unclosed sessions, connectors, transports and sockets from ``__del__``, at collection or at exit) and
reads stderr."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable

KEY = "test-key"
MODEL = "gemini-2.5-flash"
CASES: dict[str, Callable[[str], None]] = {}


def case(function: Callable[[str], None]) -> Callable[[str], None]:
    CASES[function.__name__] = function
    return function


def _chat(url: str) -> object:
    from langchain_cometgemini import ChatCometGemini

    return ChatCometGemini(model=MODEL, api_key=KEY, base_url=url)


def _li(url: str) -> object:
    from llama_index.core import Settings

    from llamaindex_cometgemini import CometGemini, CometGeminiEmbedding

    Settings.llm = CometGemini(model=MODEL, api_key=KEY, base_url=url)
    Settings.embed_model = CometGeminiEmbedding(api_key=KEY, base_url=url)
    return Settings.llm


@case
def loop_closed_then_asyncio_run(url: str) -> None:
    llm = _chat(url)
    loop = asyncio.new_event_loop()
    print(loop.run_until_complete(llm.ainvoke("one")).content[:20])  # type: ignore[attr-defined]
    loop.close()
    print(asyncio.run(llm.ainvoke("two")).content[:20])  # type: ignore[attr-defined]


@case
def loop_closed_at_exit(url: str) -> None:
    llm = _chat(url)
    loop = asyncio.new_event_loop()
    print(loop.run_until_complete(llm.ainvoke("one")).content[:20])  # type: ignore[attr-defined]
    loop.close()


@case
def loop_kept_between_asyncio_runs(url: str) -> None:
    """A loop of the user's own, run now and then, with ``asyncio.run`` in between; closed at the end."""
    from langchain_cometgemini import CometGeminiEmbeddings

    llm = _chat(url)
    embeddings = CometGeminiEmbeddings(api_key=KEY, base_url=url)
    loop = asyncio.new_event_loop()
    for _ in range(2):
        print(loop.run_until_complete(llm.ainvoke("kept")).content[:20])  # type: ignore[attr-defined]
        print(len(loop.run_until_complete(embeddings.aembed_query("kept"))))
        print(asyncio.run(llm.ainvoke("run")).content[:20])  # type: ignore[attr-defined]
        print(len(asyncio.run(embeddings.aembed_query("run"))))
    loop.close()


@case
def llamaindex_from_documents_use_async_then_aquery(url: str) -> None:
    from llama_index.core import Document, VectorStoreIndex

    _li(url)
    index = VectorStoreIndex.from_documents([Document(text="Paris is in France.")], use_async=True)
    print(asyncio.run(index.as_query_engine().aquery("Where is Paris?")).response[:20])  # type: ignore[union-attr]


@case
def llamaindex_sync_index_then_asyncio_run(url: str) -> None:
    from llama_index.core import Document, VectorStoreIndex

    _li(url)
    index = VectorStoreIndex.from_documents([Document(text="Paris is in France.")])
    engine = index.as_query_engine()
    print(asyncio.run(engine.aquery("Where is Paris?")).response[:20])  # type: ignore[union-attr]
    print(asyncio.run(engine.aquery("And Rome?")).response[:20])  # type: ignore[union-attr]


@case
def llamaindex_title_extractor_then_achat(url: str) -> None:
    from llama_index.core.extractors import TitleExtractor
    from llama_index.core.llms import ChatMessage
    from llama_index.core.schema import TextNode

    llm = _li(url)
    metadata = TitleExtractor(llm=llm, nodes=1, show_progress=False).extract([TextNode(text="Paris is in France.")])
    print(bool(metadata[0]["document_title"]))
    answer = asyncio.run(llm.achat([ChatMessage(role="user", content="hi")]))  # type: ignore[attr-defined]
    print(answer.message.content[:20])


@case
def abandoned_streams(url: str) -> None:
    """Streams left after their first chunk, in both frameworks, sync and async."""
    from llama_index.core.llms import ChatMessage

    llm = _chat(url)
    li = _li(url)

    async def leave() -> None:
        async for chunk in llm.astream("[[words:3000]]"):  # type: ignore[attr-defined]
            print(bool(chunk.content))
            break
        async for response in await li.astream_chat([ChatMessage(role="user", content="[[words:3000]]")]):  # type: ignore[attr-defined]
            print(bool(response.delta))
            break

    asyncio.run(leave())
    asyncio.run(leave())
    for chunk in llm.stream("[[words:3000]]"):  # type: ignore[attr-defined]
        print(bool(chunk.content))
        break
    print(llm.invoke("after").content[:20])  # type: ignore[attr-defined]


@case
def stream_abandoned_on_a_loop_then_closed(url: str) -> None:
    import cometgemini as cg

    client = cg.CometGeminiClient(KEY, base_url=url)
    body = {"contents": [{"role": "user", "parts": [{"text": "[[words:3000]]"}]}]}
    loop = asyncio.new_event_loop()
    stream = client.astream(MODEL, body)
    print(bool(loop.run_until_complete(stream.__anext__()).text))
    loop.close()
    print(asyncio.run(client.agenerate(MODEL, body)).text[:20])  # type: ignore[index]
    del stream


if __name__ == "__main__":
    CASES[sys.argv[1]](sys.argv[2])
    gc.collect()
    print("end")
