"""The key never leaks: not in reprs, ``str``, DEBUG logs (httpx's, httpcore's, ours), exception messages and
tracebacks, LangChain ``dumps``/``dumpd`` or callback payloads, LlamaIndex ``to_dict``/``to_json`` or
instrumentation payloads. ``http://`` to a non-loopback host is refused unless allowed, and a redirect never
carries the key to another host.

A leak is looked for as any 8-character piece of a distinctive fake key, so a truncated key counts too.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import logging
import re
import threading
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import cometgemini as cg
from cometgemini.emulator import EmulatorServer, serve
from tests.reliability._surfaces import MODEL, MODES, SURFACES, Outcome, fault_headers, run

CANARY = "sk-SECRET-canary-123"
PIECES = [CANARY[i : i + 8] for i in range(len(CANARY) - 7)]


def leaks(text: str) -> list[str]:
    return [piece for piece in PIECES if piece in text]


def assert_clean(text: str, where: str) -> None:
    found = leaks(text)
    assert not found, f"the key leaks through {where}: {found[:3]} in {text[:400]!r}"


def format_error(error: BaseException) -> str:
    """Everything a user could print or log about an error: message, repr, attributes, the whole chain."""
    parts = ["".join(traceback.format_exception(error)), repr(error)]
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(getattr(seen, "__dict__", {}))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.fixture(scope="module")
def keyed() -> Iterator[EmulatorServer]:
    """An emulator that accepts only the canary key."""
    with serve(api_key=CANARY) as server:
        yield server


# ------------------------------------------------------------------------------------------- repr / str


def test_reprs_and_str_hide_the_key() -> None:
    from langchain_cometgemini import ChatCometGemini
    from llamaindex_cometgemini import CometGemini

    core = cg.CometGeminiClient(CANARY, base_url="https://api.example.com")
    lc = ChatCometGemini(model=MODEL, api_key=CANARY, base_url="https://api.example.com")
    li = CometGemini(model=MODEL, api_key=CANARY, base_url="https://api.example.com")
    objects: list[Any] = [core, core.config, lc, lc.client, lc.client.config, li, li.client, li.metadata,
                          lc.bind_tools([{"google_search": {}}]), lc.with_structured_output({"type": "object",
                          "title": "T", "properties": {"a": {"type": "string"}}})]
    for obj in objects:
        assert_clean(repr(obj), f"repr({type(obj).__name__})")
        assert_clean(str(obj), f"str({type(obj).__name__})")
    assert core.config.api_key is not None and core.config.api_key.get_secret_value() == CANARY  # it is there


# ------------------------------------------------------------------------------------------- logs, errors

FAILURES = {
    "503": ("503", cg.InternalServerError),
    "drop": ("drop", cg.APIConnectionError),
    "malformed": ("malformed", cg.MalformedResponseError),
    "timeout": ("slow:0.6", cg.APITimeoutError),
}


def _call_logged(surface: str, mode: str, base_url: str, spec: str | None) -> tuple[Outcome | BaseException]:
    retries = 1 if spec == "503" else 0  # one retry, to log "retrying ..."; more would only cost time
    try:
        return (run(surface, mode, base_url, "hello", headers=fault_headers(spec), max_retries=retries,
                    timeout=0.3, api_key=CANARY),)
    except cg.CometGeminiError as error:
        return (error,)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("mode", MODES)
def test_debug_logs_and_errors_hide_the_key(keyed: EmulatorServer, emulator: EmulatorServer,
                                            caplog: pytest.LogCaptureFixture, surface: str, mode: str) -> None:
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        (ok,) = _call_logged(surface, mode, keyed.base_url, None)
        assert isinstance(ok, Outcome) and ok.text
        for spec, expected in FAILURES.values():
            (error,) = _call_logged(surface, mode, keyed.base_url, spec)
            assert isinstance(error, expected), (spec, error)
            errors.append(error)
        # the wrong key: the session emulator expects "test-key"
        (error,) = _call_logged(surface, mode, emulator.base_url, None)
        assert isinstance(error, cg.AuthenticationError)
        errors.append(error)
    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert "cometgemini" in loggers, loggers  # the capture works ("retrying ..." after the 503)
    if mode in ("invoke", "stream"):
        assert {"httpx", "httpcore"} & loggers, loggers  # and the HTTP stack's DEBUG lines are in it
    for record in caplog.records:
        assert_clean(record.getMessage(), f"log record {record.name}")
        assert_clean(repr(record.args), f"log record args {record.name}")
        if record.exc_info and record.exc_info[1] is not None:
            assert_clean(format_error(record.exc_info[1]), f"logged exception {record.name}")
    assert_clean(caplog.text, "captured log text")
    for error in errors:
        assert_clean(format_error(error), f"{type(error).__name__}")


def test_bearer_auth_logs_hide_the_key(keyed: EmulatorServer, caplog: pytest.LogCaptureFixture) -> None:
    client = cg.CometGeminiClient(CANARY, base_url=keyed.base_url, auth="bearer", max_retries=0)
    with caplog.at_level(logging.DEBUG):
        response = client.generate(MODEL, {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
        with pytest.raises(cg.InternalServerError) as info:
            cg.CometGeminiClient(CANARY, base_url=keyed.base_url, auth="bearer", max_retries=0,
                                 default_headers=fault_headers("500")).generate(
                MODEL, {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    client.close()
    assert response.candidates
    assert_clean(caplog.text, "DEBUG logs (bearer)")
    assert_clean(format_error(info.value), "error (bearer)")


# ------------------------------------------------------------------------------------------- LangChain


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_langchain_serialization_hides_the_key() -> None:
    from langchain_core.load import dumpd, dumps, loads

    from langchain_cometgemini import ChatCometGemini

    llm = ChatCometGemini(model=MODEL, api_key=CANARY, base_url="https://api.example.com")
    for name, text in [("dumps", dumps(llm)), ("dumps(pretty)", dumps(llm, pretty=True)), ("dumpd", repr(dumpd(llm))),
                       ("model_dump", repr(llm.model_dump())), ("model_dump_json", llm.model_dump_json()),
                       ("bound dumps", dumps(llm.bind_tools([{"google_search": {}}]))),
                       ("_identifying_params", repr(llm._identifying_params)),
                       ("ls_params", repr(llm._get_ls_params()))]:
        assert_clean(text, name)
    assert '"COMETAPI_KEY"' in dumps(llm)  # the secret is referenced by name, and restored from it
    restored = loads(dumps(llm), secrets_map={"COMETAPI_KEY": CANARY}, valid_namespaces=["langchain_cometgemini"],
                     allowed_objects=[ChatCometGemini])
    assert restored.api_key is not None and restored.api_key.get_secret_value() == CANARY


class Recorder:
    """A LangChain callback handler that keeps every argument of every callback."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("on_"):
            raise AttributeError(name)

        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append(f"{name} {args!r} {kwargs!r}")

        return record


def _handler(recorder: Recorder) -> Any:
    from langchain_core.callbacks import BaseCallbackHandler

    class Handler(BaseCallbackHandler):
        pass

    handler = Handler()
    for name in dir(BaseCallbackHandler):
        if name.startswith("on_"):
            setattr(handler, name, getattr(recorder, name))
    return handler


def test_langchain_callbacks_and_events_hide_the_key(keyed: EmulatorServer) -> None:
    from langchain_cometgemini import ChatCometGemini

    recorder = Recorder()
    config: Any = {"callbacks": [_handler(recorder)], "metadata": {"run": "secrets"}}
    llm = ChatCometGemini(model=MODEL, api_key=CANARY, base_url=keyed.base_url, max_retries=0)
    assert llm.invoke("hello", config=config).text
    assert "".join(c.text for c in llm.stream("hello", config=config))
    failing = llm.model_copy(update={"default_headers": fault_headers("500")})
    with pytest.raises(cg.InternalServerError):
        failing.invoke("hello", config=config)

    async def events() -> list[Any]:
        out = [e async for e in llm.astream_events("hello", version="v2")]
        await llm.aclose()
        return out

    collected = asyncio.run(events())
    assert any(c.startswith("on_chat_model_start") for c in recorder.calls)
    assert any(c.startswith("on_llm_error") for c in recorder.calls)
    assert any(e["event"] == "on_chat_model_end" for e in collected)
    for call in recorder.calls:
        assert_clean(call, call.split(" ", 1)[0])
    assert_clean(repr(collected), "astream_events")
    llm.close()


# ------------------------------------------------------------------------------------------- LlamaIndex


def test_llamaindex_serialization_hides_the_key() -> None:
    from llamaindex_cometgemini import CometGemini

    llm = CometGemini(model=MODEL, api_key=CANARY, base_url="https://api.example.com")
    for name, text in [("to_dict", repr(llm.to_dict())), ("to_json", llm.to_json()), ("dict", repr(llm.dict())),
                       ("model_dump", repr(llm.model_dump())), ("model_dump_json", llm.model_dump_json()),
                       ("metadata", repr(llm.metadata))]:
        assert_clean(text, name)


@contextlib.contextmanager
def llamaindex_instrumentation() -> Iterator[list[str]]:
    """Every event (serialized) and every span's bound arguments and instance, from the root dispatcher."""
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler

    seen: list[str] = []

    class Events(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            seen.append(f"event {event.class_name()} {event.model_dump()!r}")
            with contextlib.suppress(Exception):  # some payloads hold objects JSON cannot carry
                seen.append(event.model_dump_json())

    class Spans(SimpleSpanHandler):
        def new_span(self, id_: str, bound_args: Any, instance: Any = None, parent_span_id: Any = None,
                     tags: Any = None, **kwargs: Any) -> Any:
            seen.append(f"span {id_} {bound_args!r} {instance!r} {tags!r}")
            return super().new_span(id_, bound_args, instance, parent_span_id, tags, **kwargs)

    root = get_dispatcher()
    events, spans = Events(), Spans()
    root.add_event_handler(events)
    root.add_span_handler(spans)
    try:
        yield seen
    finally:
        root.event_handlers.remove(events)
        root.span_handlers.remove(spans)


def test_llamaindex_instrumentation_and_callbacks_hide_the_key(keyed: EmulatorServer) -> None:
    from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler
    from llama_index.core.llms import ChatMessage

    from llamaindex_cometgemini import CometGemini

    debug = LlamaDebugHandler(print_trace_on_end=False)
    manager = CallbackManager([debug])
    llm = CometGemini(model=MODEL, api_key=CANARY, base_url=keyed.base_url, max_retries=0,
                      callback_manager=manager)
    failing = CometGemini(model=MODEL, api_key=CANARY, base_url=keyed.base_url, max_retries=0,
                          callback_manager=manager, default_headers=fault_headers("500"))
    messages = [ChatMessage(role="user", content="hello")]
    with llamaindex_instrumentation() as seen:
        assert llm.chat(messages).message.content
        assert llm.complete("hello").text
        assert list(llm.stream_chat(messages))[-1].message.content
        with pytest.raises(cg.InternalServerError):
            failing.chat(messages)

        async def go() -> None:
            assert (await llm.achat(messages)).message.content
            await llm.client.aclose()

        asyncio.run(go())
    assert any("LLMChatStartEvent" in s for s in seen) and any(s.startswith("span") for s in seen)
    for item in seen:
        assert_clean(item, "instrumentation " + item[:40])
    payloads = repr([(e.event_type, e.payload) for e in debug.get_events()])
    assert "serialized" in payloads.lower() or "messages" in payloads.lower()
    assert_clean(payloads, "LlamaDebugHandler payloads")
    llm.client.close()


# ------------------------------------------------------------------------------------------- config errors


CONFIG_MISTAKES: list[dict[str, Any]] = [
    {"base_url": "http://api.example.com"},
    {"base_url": "https://api.example.com", "max_retries": -1},
    {"base_url": "https://api.example.com", "timeout": -1},
    {"base_url": "https://api.example.com", "default_headers": {"x-goog-api-key": "other"}},
    {"base_url": "ftp://api.example.com"},
]
@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("settings", CONFIG_MISTAKES, ids=lambda s: next(iter(s.values())) if len(s) == 1 else
                         next(k for k in s if k != "base_url"))
def test_config_errors_do_not_echo_the_key(surface: str, settings: dict[str, Any]) -> None:
    """pydantic's ValidationError prints the input (``input_value={'api_key': 'sk-SECRET-ca...``): settings
    must be checked where only the mistake is named."""
    settings = dict(settings)
    base_url = settings.pop("base_url")
    with pytest.raises(ValueError) as info:
        _construct(surface, base_url, **settings)
    assert_clean(format_error(info.value), "a configuration error")


def _construct(surface: str, base_url: str, **settings: Any) -> Any:
    if surface == "core":
        return cg.CometGeminiClient(CANARY, base_url=base_url, **settings)
    if surface == "langchain":
        from langchain_cometgemini import ChatCometGemini

        return ChatCometGemini(api_key=CANARY, base_url=base_url, **settings)
    from llamaindex_cometgemini import CometGemini

    return CometGemini(api_key=CANARY, base_url=base_url, **settings)


# ------------------------------------------------------------------------------------------- http:// and redirects


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("url", ["http://api.example.com", "HTTP://API.EXAMPLE.COM/v1beta",
                                 "http://localhost.example.com", "http://127.0.0.1.nip.io:8787",
                                 "http://127.0.0.1@evil.example", "http://10.0.0.5:8787", "http://[::ffff:1.2.3.4]"])
def test_plain_http_to_another_host_is_refused(surface: str, url: str) -> None:
    with pytest.raises(ValueError, match="allow_insecure_http") as info:
        _construct(surface, url)
    assert "clear text" in str(info.value)


@pytest.mark.parametrize("surface", SURFACES)
def test_plain_http_when_allowed(surface: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"candidates": [{"content": {"parts": [{"text": "ok"}]},
                                                         "finishReason": "STOP"}]})

    transport = httpx.MockTransport(handler)
    kwargs: dict[str, Any] = {"allow_insecure_http": True, "http_client": httpx.Client(transport=transport)}
    llm = _construct(surface, "http://intranet.example:8080", **kwargs)
    if surface == "core":
        llm.generate(MODEL, {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    elif surface == "langchain":
        llm.invoke("hi")
    else:
        from llama_index.core.llms import ChatMessage

        llm.chat([ChatMessage(role="user", content="hi")])
    assert [str(r.url.host) for r in seen] == ["intranet.example"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787",
                                 "http://127.5.6.7"])
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert cg.CometGeminiClient(CANARY, base_url=url).base_url == url


class _Hop(http.server.BaseHTTPRequestHandler):
    """Redirects every request to ``target``; records what it received."""

    target = ""
    seen: list[dict[str, str]]

    def _any(self) -> None:
        self.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.target:
            self.send_response(307)
            self.send_header("location", self.target + self.path)
        else:
            self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    do_GET = do_POST = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def hop(target: str, seen: list[dict[str, str]]) -> Iterator[str]:
    handler = type("Hop", (_Hop,), {"target": target, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("mode", MODES)
def test_redirect_is_not_followed(surface: str, mode: str) -> None:
    """A real redirect (307, which keeps method and body) to another origin, over real sockets, through the
    default transports (httpx for sync, our aiohttp driver for async): the other host sees nothing."""
    other: list[dict[str, str]] = []
    first: list[dict[str, str]] = []
    with (hop("", other) as elsewhere, hop(elsewhere.replace("127.0.0.1", "localhost"), first) as url,
          pytest.raises(cg.APIStatusError) as info):
        run(surface, mode, url, api_key=CANARY)
    assert len(first) == 1 and first[0].get("x-goog-api-key") == CANARY
    assert other == [], "the redirect was followed"
    assert info.value.status_code == 307
    assert "not followed" in str(info.value)
    assert_clean(format_error(info.value), "the redirect error")


@pytest.mark.parametrize("follow", [True, False])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_redirect_not_followed_even_by_a_users_client(follow: bool, mode: str) -> None:
    """``http_client=httpx.Client(follow_redirects=True)``: httpx would drop ``Authorization`` on a
    cross-origin redirect but keep ``x-goog-api-key``; the client must not follow at all."""
    hosts: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append((request.url.host, request.headers.get("x-goog-api-key")))
        return httpx.Response(301, headers={"location": "https://evil.example/v1beta/steal"})

    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    transport = httpx.MockTransport(handler)
    if mode == "sync":
        client = cg.CometGeminiClient(CANARY, base_url="https://api.example.com",
                                      http_client=httpx.Client(transport=transport, follow_redirects=follow))
        with pytest.raises(cg.APIStatusError):
            client.generate(MODEL, body)
    else:
        async def go() -> None:
            async with httpx.AsyncClient(transport=transport, follow_redirects=follow) as http_async:
                client = cg.CometGeminiClient(CANARY, base_url="https://api.example.com",
                                              http_async_client=http_async)
                with pytest.raises(cg.APIStatusError):
                    await client.agenerate(MODEL, body)

        asyncio.run(go())
    assert hosts == [("api.example.com", CANARY)]


def test_the_leak_check_can_fail() -> None:
    assert leaks(f"x-goog-api-key: {CANARY[:10]}") and leaks(repr({"k": CANARY})) and not leaks(str(uuid.uuid4()))


KEY_SHAPES = re.compile(r"\bsk-[A-Za-z0-9]{20,}|\bAIza[0-9A-Za-z_-]{35}")
"""A CometAPI key (``sk-`` and 48 characters) or a Google API key."""


def test_committed_notebooks_and_docs_hold_no_key() -> None:
    """Stored notebook outputs and docs (``tests/test_notebooks.py`` checks fresh executions)."""
    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("notebooks/*.ipynb"), *root.glob("*.md"), *root.glob("examples/**/*.md"),
             *root.glob("examples/**/*.py")]
    assert any(f.suffix == ".ipynb" for f in files)
    for path in files:
        found = KEY_SHAPES.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(root)} holds what looks like a key: {found[0][:8]}..."
