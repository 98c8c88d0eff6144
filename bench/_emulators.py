"""The local emulator as a separate process (so it never shares the client's GIL), pinned to its own core."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["Emulator", "cpu_seconds"]

REPO = Path(__file__).resolve().parents[1]

# The CLI has no switch for the per-stream event cap, so the long-stream emulator is started through the same
# public API the CLI uses (EmulatorConfig + run_emulator), still in its own process.
_LAUNCH = """
import sys
from cometgemini.emulator import EmulatorConfig, run_emulator
port, latency, events = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
run_emulator(EmulatorConfig(latency_ms=latency, max_stream_events=events), port=port)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Emulator:
    """``with Emulator(latency_ms=50, cpu=1) as emu: emu.base_url``."""

    def __init__(self, latency_ms: float = 0, cpu: int | None = None, max_stream_events: int | None = None) -> None:
        self.latency_ms = latency_ms
        self.cpu = cpu
        self.max_stream_events = max_stream_events
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.command: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> Emulator:
        if self.max_stream_events is None:
            command = [sys.executable, "-m", "cometgemini.emulator", "--port", str(self.port),
                       "--latency-ms", str(self.latency_ms)]
        else:
            command = [sys.executable, "-c", _LAUNCH, str(self.port), str(self.latency_ms),
                       str(self.max_stream_events)]
        if self.cpu is not None and shutil.which("taskset") and self.cpu < (os.cpu_count() or 1):
            command = ["taskset", "-c", str(self.cpu), *command]  # taskset execs: same pid
        self.command = command
        env = {k: v for k, v in os.environ.items() if k != "COMETAPI_EMULATOR_KEY"}  # no auth
        self._process = subprocess.Popen(command, cwd=REPO, stdout=self._log, stderr=self._log, env=env)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                httpx.get(f"{self.base_url}/v1beta/models/gemini-2.5-flash", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        self._log.seek(0)
        output = self._log.read().decode("utf-8", "replace")[-2000:]
        self.__exit__(None, None, None)
        raise RuntimeError(f"the emulator did not start ({' '.join(self.command[:6])} ...):\n{output}")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
