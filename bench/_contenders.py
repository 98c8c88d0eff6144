"""The clients under test, each behind one small uniform interface.

A contender is built by a factory that is handed the emulator's base URL. It may offer a sync call, a sync
stream (returning how many chunks it yielded) and an async factory (called inside the running event loop, since
async clients bind to their loop) returning ``(acall, aclose)``. A factory raises ``Unavailable`` when its
package is not installed, so the bench still runs in the test venv without the incumbents.

Every contender receives the same prompt and returns the answer text (or the chunk count), so each pays for
decoding the response the way a user of it would.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

MODEL = "gemini-2.5-flash"
KEY = "bench-key"
HEADERS = {"x-goog-api-key": KEY, "content-type": "application/json"}

AsyncCall = Callable[[str], Awaitable[Any]]
AsyncClose = Callable[[], Awaitable[None]]


class Unavailable(Exception):
    """The contender's package is not installed here."""


@dataclass
class Contender:
    name: str
    group: str  # "floor", "sdk", "langchain", "llamaindex", "ours"
    call: Callable[[str], Any] | None = None
    stream: Callable[[str], int] | None = None
    make_async: Callable[[], Awaitable[tuple[AsyncCall, AsyncClose]]] | None = None


def _body(prompt: str) -> bytes:
    return json.dumps({"contents": [{"role": "user", "parts": [{"text": prompt}]}]}).encode()


def _text(data: dict[str, Any]) -> str:
    return "".join(p.get("text", "") for p in data["candidates"][0]["content"].get("parts", []))


def _urls(base_url: str) -> tuple[str, str]:
    root = f"{base_url}/v1beta/models/{MODEL}"
    return f"{root}:generateContent", f"{root}:streamGenerateContent?alt=sse"


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module} is not installed") from exc


# --------------------------------------------------------------------------------------------- floors


def raw_httpx(base_url: str) -> Contender:
    httpx = _need("httpx")
    client = httpx.Client(headers=HEADERS)
    gen_url, stream_url = _urls(base_url)

    def call(prompt: str) -> str:
        response = client.post(gen_url, content=_body(prompt))
        response.raise_for_status()
        return _text(json.loads(response.content))

    def stream(prompt: str) -> int:
        count = 0
        with client.stream("POST", stream_url, content=_body(prompt)) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    _text(json.loads(line[5:]))
                    count += 1
        return count

    return Contender("raw httpx", "floor", call, stream, None)


def raw_aiohttp(base_url: str) -> Contender:
    _need("aiohttp")

    async def make() -> tuple[AsyncCall, AsyncClose]:
        return await _raw_aiohttp_call(base_url)

    return Contender("raw aiohttp", "floor", make_async=make)


def _httpx_async(base_url: str, name: str, transport: Callable[[Any], Any] | None) -> Contender:
    httpx = _need("httpx")
    gen_url, _ = _urls(base_url)

    async def make() -> tuple[AsyncCall, AsyncClose]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        if transport is None:
            client = httpx.AsyncClient(headers=HEADERS, limits=limits)
        else:
            client = httpx.AsyncClient(headers=HEADERS, transport=transport(limits))

        async def acall(prompt: str) -> str:
            response = await client.post(gen_url, content=_body(prompt))
            response.raise_for_status()
            return _text(json.loads(response.content))

        return acall, client.aclose

    return Contender(name, "floor", make_async=make)


def httpx_async_plain(base_url: str) -> Contender:
    return _httpx_async(base_url, "httpx.AsyncClient (httpcore pool)", None)


def httpx_async_aiohttp(base_url: str) -> Contender:
    transport = _need("httpx_aiohttp").AiohttpTransport
    return _httpx_async(base_url, "httpx.AsyncClient + AiohttpTransport", lambda limits: transport(limits=limits))


def httpx_request_aiohttp_transport(base_url: str) -> Contender:
    """httpx ``Request``/``Response`` objects sent straight through ``AiohttpTransport``, bypassing
    ``httpx.AsyncClient.send`` (its auth, redirect, cookie-jar and event-hook layers): what a client that owns
    its requests could do while keeping httpx's types."""
    httpx = _need("httpx")
    transport_cls = _need("httpx_aiohttp").AiohttpTransport
    gen_url, _ = _urls(base_url)

    async def make() -> tuple[AsyncCall, AsyncClose]:
        transport = transport_cls(limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
        url, headers = httpx.URL(gen_url), httpx.Headers(HEADERS)
        timeout = httpx.Timeout(120.0, connect=10.0).as_dict()

        async def acall(prompt: str) -> str:
            request = httpx.Request("POST", url, headers=headers, content=_body(prompt),
                                    extensions={"timeout": timeout})
            response = await transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            return _text(json.loads(response.content))

        return acall, transport.aclose

    return Contender("httpx Request -> AiohttpTransport (no AsyncClient)", "floor", make_async=make)


# --------------------------------------------------------------------------------------------- incumbents


def google_genai_sdk(base_url: str) -> Contender:
    genai = _need("google.genai")
    types = _need("google.genai.types")

    def client() -> Any:
        return genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=base_url))

    sync = client()

    def call(prompt: str) -> str:
        return str(sync.models.generate_content(model=MODEL, contents=prompt).text)

    def stream(prompt: str) -> int:
        return sum(1 for _ in sync.models.generate_content_stream(model=MODEL, contents=prompt))

    async def make() -> tuple[AsyncCall, AsyncClose]:
        aio = client().aio

        async def acall(prompt: str) -> str:
            return str((await aio.models.generate_content(model=MODEL, contents=prompt)).text)

        return acall, aio.aclose

    return Contender("google-genai SDK", "sdk", call, stream, make)


async def _aclose(model: Any) -> None:
    """Close a model's async pool: its own public ``aclose`` if it has one (ours: ``ChatCometGemini`` and
    ``CometGemini``), else the google-genai client inside the incumbents."""
    if hasattr(model, "aclose"):
        await model.aclose()
        return
    # ChatGoogleGenerativeAI.client, GoogleGenAI._client: a google-genai Client (they have no aclose)
    inner = getattr(model, "client", None) or getattr(model, "_client", None)
    closer = getattr(getattr(inner, "aio", inner), "aclose", None)
    if closer is not None:
        await closer()


def _langchain(name: str, group: str, build: Callable[[], Any]) -> Contender:
    model = build()

    def call(prompt: str) -> str:
        return str(model.invoke(prompt).content)

    def stream(prompt: str) -> int:
        return sum(1 for _ in model.stream(prompt))

    async def make() -> tuple[AsyncCall, AsyncClose]:
        fresh = build()  # its async client binds to this loop

        async def acall(prompt: str) -> str:
            return str((await fresh.ainvoke(prompt)).content)

        return acall, lambda: _aclose(fresh)

    return Contender(name, group, call, stream, make)


def _llamaindex(name: str, group: str, build: Callable[[], Any]) -> Contender:
    chat_message = _need("llama_index.core.llms").ChatMessage
    model = build()

    def messages(prompt: str) -> list[Any]:
        return [chat_message(role="user", content=prompt)]

    def call(prompt: str) -> str:
        return str(model.chat(messages(prompt)).message.content)

    def stream(prompt: str) -> int:
        return sum(1 for _ in model.stream_chat(messages(prompt)))

    async def make() -> tuple[AsyncCall, AsyncClose]:
        fresh = build()

        async def acall(prompt: str) -> str:
            return str((await fresh.achat(messages(prompt))).message.content)

        return acall, lambda: _aclose(fresh)

    return Contender(name, group, call, stream, make)


def langchain_google_genai(base_url: str) -> Contender:
    cls = _need("langchain_google_genai").ChatGoogleGenerativeAI
    # 4.x: the custom endpoint is the `base_url` field (alias `client_options`, or {"api_endpoint": ...})
    return _langchain("ChatGoogleGenerativeAI", "langchain",
                      lambda: cls(model=MODEL, api_key=KEY, base_url=base_url, max_retries=0))


def llamaindex_google_genai(base_url: str) -> Contender:
    cls = _need("llama_index.llms.google_genai").GoogleGenAI
    types = _need("google.genai.types")
    # context_window and max_tokens given, so the constructor does not call models.get
    return _llamaindex("GoogleGenAI (llama-index)", "llamaindex", lambda: cls(
        model=MODEL, api_key=KEY, http_options=types.HttpOptions(base_url=base_url),
        context_window=1_048_576, max_tokens=8192))


# --------------------------------------------------------------------------------------------- ours


def ours_client(base_url: str) -> Contender:
    cls = _need("cometgemini").CometGeminiClient
    sync = cls(api_key=KEY, base_url=base_url)

    def request(prompt: str) -> dict[str, Any]:
        return {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}

    def call(prompt: str) -> str:
        return str(sync.generate(MODEL, request(prompt)).text)

    def stream(prompt: str) -> int:
        return sum(1 for _ in sync.stream(MODEL, request(prompt)))

    async def make() -> tuple[AsyncCall, AsyncClose]:
        client = cls(api_key=KEY, base_url=base_url)

        async def acall(prompt: str) -> str:
            return str((await client.agenerate(MODEL, request(prompt))).text)

        return acall, client.aclose

    return Contender("CometGeminiClient", "ours", call, stream, make)


def chat_comet_gemini(base_url: str) -> Contender:
    cls = _need("langchain_cometgemini").ChatCometGemini
    return _langchain("ChatCometGemini", "ours", lambda: cls(model=MODEL, api_key=KEY, base_url=base_url))


def comet_gemini_llamaindex(base_url: str) -> Contender:
    cls = _need("llamaindex_cometgemini").CometGemini
    return _llamaindex("CometGemini (llama-index)", "ours",
                       lambda: cls(model=MODEL, api_key=KEY, base_url=base_url))


# --------------------------------------------------------------------------------------------- framework floors


def langchain_floor(_base_url: str) -> Contender:
    """A LangChain chat model that answers at once: what LangChain itself costs per call and per chunk."""
    core = _need("langchain_core.language_models.chat_models")
    messages = _need("langchain_core.messages")
    outputs = _need("langchain_core.outputs")

    class ConstantChat(core.BaseChatModel):  # type: ignore[misc,name-defined]
        events: int = 500

        @property
        def _llm_type(self) -> str:
            return "constant"

        def _generate(self, messages_: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            message = messages.AIMessage(content="hello")
            return outputs.ChatResult(generations=[outputs.ChatGeneration(message=message)])

        def _stream(self, messages_: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Iterator[Any]:
            for _ in range(self.events):
                # BaseChatModel.stream itself calls on_llm_new_token and keeps the chunks
                yield outputs.ChatGenerationChunk(message=messages.AIMessageChunk(content="word "))

    model = ConstantChat()

    def stream(prompt: str) -> int:
        model.events = _events_in(prompt)
        return sum(1 for _ in model.stream(prompt))

    return Contender("LangChain floor (no I/O)", "framework", lambda p: model.invoke(p).content, stream)


def _chat_only_llm() -> Any:
    """A LlamaIndex ``CustomLLM`` base for the floors: a chat model whose completion methods refuse."""
    llms = _need("llama_index.core.llms")

    class ChatOnlyLLM(llms.CustomLLM):  # type: ignore[misc,name-defined]
        @property
        def metadata(self) -> Any:
            return llms.LLMMetadata(is_chat_model=True)

        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

    return ChatOnlyLLM


def llamaindex_floor(_base_url: str) -> Contender:
    """A LlamaIndex LLM that answers at once, with the decorators real integrations use."""
    llms = _need("llama_index.core.llms")
    callbacks = _need("llama_index.core.llms.callbacks")
    ChatMessage, ChatResponse = llms.ChatMessage, llms.ChatResponse

    class ConstantLLM(_chat_only_llm()):  # type: ignore[misc]
        events: int = 500

        @callbacks.llm_chat_callback()
        def chat(self, messages: Any, **kw: Any) -> Any:
            return ChatResponse(message=ChatMessage(role="assistant", content="hello"))

        @callbacks.llm_chat_callback()
        def stream_chat(self, messages: Any, **kw: Any) -> Any:
            def gen() -> Iterator[Any]:
                text = ""
                for _ in range(self.events):
                    text += "word "
                    yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta="word ")
            return gen()

    model = ConstantLLM()

    def call(prompt: str) -> Any:
        return model.chat([ChatMessage(role="user", content=prompt)]).message.content

    def stream(prompt: str) -> int:
        model.events = _events_in(prompt)
        return sum(1 for _ in model.stream_chat([ChatMessage(role="user", content=prompt)]))

    return Contender("LlamaIndex floor (no I/O)", "framework", call, stream)


async def _raw_aiohttp_call(base_url: str) -> tuple[Callable[[str], Awaitable[str]], AsyncClose]:
    """One aiohttp session and the raw call over it: the ``raw aiohttp`` floor, and what the framework floors
    wrap."""
    aiohttp = _need("aiohttp")
    gen_url, _ = _urls(base_url)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200), headers=HEADERS)

    async def answer(prompt: str) -> str:
        async with session.post(gen_url, data=_body(prompt)) as response:
            response.raise_for_status()
            return _text(json.loads(await response.read()))

    return answer, session.close


def langchain_over_aiohttp(base_url: str) -> Contender:
    """The least any LangChain chat model can cost over raw aiohttp: ``ainvoke`` of a model whose ``_agenerate``
    is the raw aiohttp call and one ``AIMessage`` (no request or response conversion)."""
    core = _need("langchain_core.language_models.chat_models")
    messages = _need("langchain_core.messages")
    outputs = _need("langchain_core.outputs")

    async def make() -> tuple[AsyncCall, AsyncClose]:
        answer, close = await _raw_aiohttp_call(base_url)

        class AiohttpChat(core.BaseChatModel):  # type: ignore[misc,name-defined]
            @property
            def _llm_type(self) -> str:
                return "raw-aiohttp"

            def _generate(self, messages_: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
                raise NotImplementedError

            async def _agenerate(self, messages_: Any, stop: Any = None, run_manager: Any = None,
                                 **kw: Any) -> Any:
                message = messages.AIMessage(content=await answer(messages_[-1].content))
                return outputs.ChatResult(generations=[outputs.ChatGeneration(message=message)])

        model = AiohttpChat()

        async def acall(prompt: str) -> str:
            return str((await model.ainvoke(prompt)).content)

        return acall, close

    return Contender("LangChain floor (raw aiohttp inside)", "framework", make_async=make)


def llamaindex_over_aiohttp(base_url: str) -> Contender:
    """The least any LlamaIndex LLM can cost over raw aiohttp: ``achat`` (with the decorator real integrations
    use) around the raw aiohttp call and one ``ChatResponse``."""
    llms = _need("llama_index.core.llms")
    callbacks = _need("llama_index.core.llms.callbacks")
    ChatMessage, ChatResponse = llms.ChatMessage, llms.ChatResponse

    async def make() -> tuple[AsyncCall, AsyncClose]:
        answer, close = await _raw_aiohttp_call(base_url)

        class AiohttpLLM(_chat_only_llm()):  # type: ignore[misc]
            @callbacks.llm_chat_callback()
            async def achat(self, messages: Any, **kw: Any) -> Any:
                text = await answer(messages[-1].content)
                return ChatResponse(message=ChatMessage(role="assistant", content=text))

        model = AiohttpLLM()

        async def acall(prompt: str) -> str:
            return str((await model.achat([ChatMessage(role="user", content=prompt)])).message.content)

        return acall, close

    return Contender("LlamaIndex floor (raw aiohttp inside)", "framework", make_async=make)


def _events_in(prompt: str) -> int:
    import re

    found = re.search(r"\[\[words:(\d+)\]\]", prompt)
    return int(found.group(1)) if found else 1


SYNC_FACTORIES = (raw_httpx, google_genai_sdk, langchain_google_genai, llamaindex_google_genai,
                  ours_client, chat_comet_gemini, comet_gemini_llamaindex, langchain_floor, llamaindex_floor)
ASYNC_FACTORIES = (raw_aiohttp, httpx_async_plain, httpx_async_aiohttp, httpx_request_aiohttp_transport,
                   google_genai_sdk, langchain_google_genai,
                   llamaindex_google_genai, ours_client, chat_comet_gemini, comet_gemini_llamaindex,
                   langchain_over_aiohttp, llamaindex_over_aiohttp)
MEMORY_FACTORIES = {"ChatCometGemini": chat_comet_gemini, "CometGemini (llama-index)": comet_gemini_llamaindex,
                    "CometGeminiClient": ours_client, "raw httpx": raw_httpx,
                    "LangChain floor (no I/O)": langchain_floor, "LlamaIndex floor (no I/O)": llamaindex_floor}


def build(factories: tuple[Callable[[str], Contender], ...], base_url: str) -> tuple[list[Contender], list[str]]:
    """The contenders that can run here, and a note for each one that cannot."""
    built: list[Contender] = []
    notes: list[str] = []
    for factory in factories:
        try:
            built.append(factory(base_url))
        except Unavailable as exc:
            notes.append(f"skipped {factory.__name__}: {exc}")
    return built, notes
