"""A local, deterministic emulator of the Gemini API (v1beta) as CometAPI serves it.

``python -m cometgemini.emulator`` runs it; tests use ``serve()``. Behaviour is documented in README.md
next to this file.

Names are imported on first use: the server needs the ``emulator`` extra (starlette, uvicorn), while the
recorder (``cometgemini.emulator.record``) and the pytest plugin load without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import Emulator, create_app
    from ._config import EmulatorConfig
    from ._server import EmulatorServer, run_emulator, serve

__all__ = ["Emulator", "EmulatorConfig", "EmulatorServer", "create_app", "run_emulator", "serve"]

_WHERE = {
    "Emulator": "._app",
    "create_app": "._app",
    "EmulatorConfig": "._config",
    "EmulatorServer": "._server",
    "run_emulator": "._server",
    "serve": "._server",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(_WHERE[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cometgemini.emulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
