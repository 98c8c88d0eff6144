"""Run the emulator with uvicorn in a background thread (``serve``) or in the foreground (``run_emulator``)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import uvicorn

from ._app import DroppedConnection, Emulator, create_app
from ._config import EmulatorConfig

__all__ = ["EmulatorServer", "run_emulator", "serve"]


_QUIET = (DroppedConnection, asyncio.CancelledError)


class _HideDrops(logging.Filter):
    """Keep what the emulator does on purpose out of uvicorn's error log: the connection drops of fault
    ``drop``, and the requests still in flight when it stops (a ``slow`` fault, a client that hung up), which
    uvicorn cancels after its grace period and would otherwise report with a ``CancelledError`` traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Cancel ") and "running task" in record.getMessage():
            return False
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, _QUIET):
                return False
            group = getattr(exc, "exceptions", None)
            if group and any(isinstance(e, _QUIET) for e in group):
                return False
            exc = exc.__cause__ or exc.__context__
        return True


_FILTER = _HideDrops()


def _install_filter() -> None:
    for name in ("uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@dataclass
class EmulatorServer:
    """A running emulator: ``base_url`` to point clients at, ``requests`` it received (newest last)."""

    host: str
    port: int
    config: EmulatorConfig
    emulator: Emulator = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Received requests: method, path, query, headers (API keys redacted) and json body."""
        return list(self.emulator.requests)

    def clear_requests(self) -> None:
        self.emulator.requests.clear()


@contextmanager
def serve(config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0,
          **options: Any) -> Iterator[EmulatorServer]:
    """Start the emulator on a free port in a background thread; stop it on exit.

    ``options`` are ``EmulatorConfig`` fields (``serve(api_key="k", latency_ms=5)``).
    """
    config = replace(config or EmulatorConfig(), **options)
    app = create_app(config)
    _install_filter()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it every response waits ~40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    uv_config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                               timeout_graceful_shutdown=2)
    server = uvicorn.Server(uv_config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="cometgemini-emulator",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the emulator failed to start")
        time.sleep(0.005)
    try:
        yield EmulatorServer(host, sock.getsockname()[1], config, app.state.emulator)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run_emulator(config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Serve in the foreground until interrupted."""
    _install_filter()
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", access_log=False,
                lifespan="off")
