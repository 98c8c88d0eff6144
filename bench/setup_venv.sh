#!/usr/bin/env bash
# Create bench/.venv: ours (editable, all extras) plus the incumbent Gemini integrations and the bench tools.
# Kept apart from the test venv so the incumbents never leak into the tests. Usage: bash bench/setup_venv.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
  "$python" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --upgrade pip
"$here/.venv/bin/python" -m pip install --quiet -e "$root[all]" -r "$here/requirements.txt"
"$here/.venv/bin/python" -m pip check
"$here/.venv/bin/python" - <<'PY'
from importlib.metadata import version
for name in ("cometgemini", "langchain-core", "llama-index-core", "langchain-google-genai",
             "llama-index-llms-google-genai", "google-genai", "httpx", "httpx-aiohttp", "aiohttp"):
    print(f"{name}=={version(name)}")
PY
