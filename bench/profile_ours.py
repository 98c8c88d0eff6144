"""Where our adapters spend their time: pyinstrument call trees, cProfile self-time tops and an import profile.

    bench/.venv/bin/python bench/profile_ours.py            # writes bench/profiles/*.txt (gitignored)
    bench/.venv/bin/python bench/profile_ours.py --only ChatCometGemini.stream

Same emulator set-up as run.py: a separate process pinned to CPU 1, the client on CPU 0.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _contenders as cont
from _emulators import REPO, Emulator

OUT = Path(__file__).resolve().parent / "profiles"
CALLS, STREAM_WORDS, STREAMS = 400, 500, 20


def _workloads(base_url: str) -> dict[str, Callable[[], Any]]:
    chat = cont.chat_comet_gemini(base_url)
    llama = cont.comet_gemini_llamaindex(base_url)
    core = cont.ours_client(base_url)
    floor = cont.raw_httpx(base_url)
    words = f"[[words:{STREAM_WORDS}]]"

    def calls(contender: cont.Contender) -> Callable[[], Any]:
        assert contender.call is not None
        return lambda: [contender.call("[[words:20]]") for _ in range(CALLS)]  # type: ignore[misc]

    def streams(contender: cont.Contender) -> Callable[[], Any]:
        assert contender.stream is not None
        return lambda: [contender.stream(words) for _ in range(STREAMS)]  # type: ignore[misc]

    def gathered(contender: cont.Contender) -> Callable[[], Any]:
        async def run() -> None:
            assert contender.make_async is not None
            acall, aclose = await contender.make_async()
            sem = asyncio.Semaphore(100)

            async def one() -> None:
                async with sem:
                    await acall("[[words:20]]")

            await asyncio.gather(*(one() for _ in range(1000)))
            await aclose()

        return lambda: asyncio.run(run())

    return {
        "raw-httpx.call": calls(floor), "raw-httpx.stream": streams(floor),
        "CometGeminiClient.generate": calls(core), "CometGeminiClient.stream": streams(core),
        "ChatCometGemini.invoke": calls(chat), "ChatCometGemini.stream": streams(chat),
        "CometGemini.chat": calls(llama), "CometGemini.stream_chat": streams(llama),
        "ChatCometGemini.ainvoke": gathered(chat), "CometGemini.achat": gathered(llama),
        "CometGeminiClient.agenerate": gathered(core),
    }


def _profile(name: str, work: Callable[[], Any]) -> None:
    from pyinstrument import Profiler

    work()  # warm: lazy imports, pools
    profiler = Profiler(interval=0.0002)
    profiler.start()
    work()
    profiler.stop()
    tree = profiler.output_text(unicode=False, color=False, show_all=False)
    stats_out = io.StringIO()
    prof = cProfile.Profile()
    prof.enable()
    work()
    prof.disable()
    pstats.Stats(prof, stream=stats_out).sort_stats("tottime").print_stats(30)
    (OUT / f"{name}.txt").write_text(tree + "\n\n# cProfile, top 30 by self time\n" + stats_out.getvalue())
    print(f"== {name}: {profiler.last_session.duration:.2f} s profiled -> {OUT / (name + '.txt')}")


def import_profile(statement: str) -> str:
    """``python -X importtime``, summed per top-level package (self time), biggest first."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = "/tmp/cometgemini-bench-pycache"
    subprocess.run([sys.executable, "-c", statement], env=env, cwd=REPO, check=True)  # write caches
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], env=env, cwd=REPO,
                          capture_output=True, text=True, check=True)
    per_package: dict[str, int] = defaultdict(int)
    per_module: list[tuple[int, int, str]] = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if found:
            own, total, name = int(found.group(1)), int(found.group(2)), found.group(4)
            per_package[name.split(".")[0]] += own
            per_module.append((own, total, name))
    lines = [f"# {statement}: self time per top-level package (ms)"]
    lines += [f"{us / 1000:8.1f}  {pkg}" for pkg, us in sorted(per_package.items(), key=lambda x: -x[1])[:25]]
    lines += ["", "# biggest modules by self time (ms; cumulative in brackets)"]
    biggest = sorted(per_module)[-30:][::-1]
    lines += [f"{own / 1000:8.1f}  ({total / 1000:7.1f})  {name}" for own, total, name in biggest]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--no-imports", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    if not args.no_imports:
        for statement in ("from langchain_cometgemini import ChatCometGemini",
                          "from llamaindex_cometgemini import CometGemini", "import cometgemini"):
            report = import_profile(statement)
            slug = re.sub(r"\W+", "-", statement).strip("-")
            (OUT / f"import-{slug}.txt").write_text(report + "\n")
            print(report.split("\n\n")[0], "\n")
    with Emulator(latency_ms=0, cpu=1) as emulator:
        work = _workloads(emulator.base_url)
        with Emulator(latency_ms=50, cpu=1) as slow:
            slow_work = _workloads(slow.base_url)
            for name in ("ChatCometGemini.ainvoke", "CometGemini.achat", "CometGeminiClient.agenerate"):
                work[name] = slow_work[name]
            chosen = args.only.split(",") if args.only else list(work)
            for name in chosen:
                _profile(name, work[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
