"""What every notebook shares: the first cell (which endpoint), the last (stop the emulator), and the two
cell makers. Imported by ``_build.py`` and the notebooks' cell modules."""

from __future__ import annotations

import nbformat

SETUP = '''\
import os
from contextlib import ExitStack

from cometgemini.emulator import serve

_stack = ExitStack()  # closed in the last cell
if os.environ.get("COMETAPI_KEY"):
    emulator = None
    BASE_URL = None  # the classes read COMETAPI_KEY and COMETAPI_BASE_URL themselves
    print("Endpoint: CometAPI (key from COMETAPI_KEY)")
else:
    emulator = _stack.enter_context(serve())  # the bundled Gemini emulator, inside this kernel
    BASE_URL = emulator.base_url
    print(f"No COMETAPI_KEY set: using the bundled emulator at {BASE_URL} (deterministic canned answers)")'''

SETUP_NOTE = (
    "The first cell picks the endpoint: with `COMETAPI_KEY` set, CometAPI (`COMETAPI_BASE_URL` if set); "
    "without it, the bundled Gemini emulator is started inside this kernel. The emulator speaks the real wire "
    "protocol (thought signatures, grounding, streaming) but its answers are canned, so expect odd prose."
)

TEARDOWN = '''\
_stack.close()  # stops the emulator, if this notebook started one
print("done")'''


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip("\n"))
