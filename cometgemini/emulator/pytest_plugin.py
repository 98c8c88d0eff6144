"""pytest plugin: test your chains, agents and query engines against the local Gemini API emulator.

Installed with cometgemini (a ``pytest11`` entry point named ``cometgemini``); the fixtures need the
``emulator`` extra, and the model fixtures the ``langchain`` or ``llamaindex`` extra. Nothing heavy is
imported until a fixture is used, so the plugin loads everywhere. Turn it off with ``-p no:cometgemini``.

Fixtures:

* ``gemini_emulator`` (session): a running emulator, a ``GeminiEmulator`` with ``base_url``, ``api_key``,
  ``requests`` (what it received, keys redacted), ``last_request``, ``clear_requests()`` and the fault
  switch ``faults("503*2")`` (a context manager; see the emulator README for the fault syntax).
* ``chat_comet_gemini``: a LangChain ``ChatCometGemini`` pointed at it.
* ``comet_gemini``: a LlamaIndex ``CometGemini`` pointed at it.
* ``comet_gemini_embeddings`` / ``comet_gemini_embedding``: the LangChain / LlamaIndex embedding models.

::

    def test_my_agent(chat_comet_gemini):
        agent = create_agent(chat_comet_gemini, [get_weather])
        assert agent.invoke({"messages": [("user", "What is the weather in Paris?")]})["messages"][-1].content

ini options (``pyproject.toml`` ``[tool.pytest.ini_options]``): ``cometgemini_model`` (model id of the
chat fixtures; default: the adapters' default) and ``cometgemini_strict_signatures`` (also refuse thought
signatures the emulator did not issue for that very part; default false).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import EmulatorServer

__all__ = ["GeminiEmulator"]

_KEY = "cometgemini-pytest-key"


@dataclass
class GeminiEmulator:
    """The session's emulator, as the fixtures see it."""

    server: EmulatorServer
    api_key: str
    model: str | None
    """Model id of the chat fixtures (None: the adapters' default)."""

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Requests received, oldest first: method, path, query, headers (keys redacted), json body."""
        return self.server.requests

    @property
    def last_request(self) -> dict[str, Any]:
        received = self.server.requests
        if not received:
            raise LookupError("the emulator has received no request yet")
        return received[-1]

    def clear_requests(self) -> None:
        self.server.clear_requests()

    @contextmanager
    def faults(self, spec: str, *, rate: float = 1.0, seed: int = 0) -> Iterator[None]:
        """Answer requests with a fault inside the block: ``"503"``, ``"429:0.1s*2"``, ``"drop"``, ..."""
        from ._faults import FaultState

        emulator = self.server.emulator
        before = emulator.faults
        emulator.faults = FaultState(spec, rate, seed)
        try:
            yield
        finally:
            emulator.faults = before


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("cometgemini_model", "model id of the chat_comet_gemini / comet_gemini fixtures", default="")
    parser.addini("cometgemini_strict_signatures", "emulator refuses thought signatures it did not issue",
                  type="bool", default=False)


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"this fixture needs the {extra} extra: pip install 'cometgemini[{extra}]'") from exc


@pytest.fixture(scope="session")
def gemini_emulator(pytestconfig: pytest.Config) -> Iterator[GeminiEmulator]:
    """A Gemini API emulator on a free loopback port for the whole session."""
    server_module = _need("cometgemini.emulator._server", "emulator")
    strict = bool(pytestconfig.getini("cometgemini_strict_signatures"))
    model = str(pytestconfig.getini("cometgemini_model")) or None
    with server_module.serve(api_key=_KEY, strict_signatures=strict) as server:
        yield GeminiEmulator(server, _KEY, model)


def _model_kwargs(emulator: GeminiEmulator) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"api_key": emulator.api_key, "base_url": emulator.base_url}
    if emulator.model:
        kwargs["model"] = emulator.model
    return kwargs


@pytest.fixture
def chat_comet_gemini(gemini_emulator: GeminiEmulator) -> Any:
    """``langchain_cometgemini.ChatCometGemini`` talking to the emulator."""
    return _need("langchain_cometgemini", "langchain").ChatCometGemini(**_model_kwargs(gemini_emulator))


@pytest.fixture
def comet_gemini(gemini_emulator: GeminiEmulator) -> Any:
    """``llamaindex_cometgemini.CometGemini`` talking to the emulator."""
    return _need("llamaindex_cometgemini", "llamaindex").CometGemini(**_model_kwargs(gemini_emulator))


@pytest.fixture
def comet_gemini_embeddings(gemini_emulator: GeminiEmulator) -> Any:
    """``langchain_cometgemini.CometGeminiEmbeddings`` talking to the emulator."""
    module = _need("langchain_cometgemini", "langchain")
    return module.CometGeminiEmbeddings(api_key=gemini_emulator.api_key, base_url=gemini_emulator.base_url)


@pytest.fixture
def comet_gemini_embedding(gemini_emulator: GeminiEmulator) -> Any:
    """``llamaindex_cometgemini.CometGeminiEmbedding`` talking to the emulator."""
    module = _need("llamaindex_cometgemini", "llamaindex")
    return module.CometGeminiEmbedding(api_key=gemini_emulator.api_key, base_url=gemini_emulator.base_url)
