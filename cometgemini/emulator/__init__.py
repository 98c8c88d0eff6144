"""A local, deterministic emulator of the Gemini API (v1beta) as CometAPI serves it.

``python -m cometgemini.emulator`` runs it; tests use ``serve()``. Behaviour is documented in README.md
next to this file.
"""

from __future__ import annotations

from ._app import Emulator, create_app
from ._config import EmulatorConfig
from ._server import EmulatorServer, run_emulator, serve

__all__ = ["Emulator", "EmulatorConfig", "EmulatorServer", "create_app", "run_emulator", "serve"]
