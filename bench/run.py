"""Side-by-side benchmark: cometgemini's adapters against the other Gemini integrations, in one run.

Every contender talks to the same local emulator, which runs as a separate process pinned to its own core
(the client is pinned to the other). Contenders are interleaved: each repetition visits every contender in
turn (starting one further along each time), so drift in the machine's speed hits them all alike. Ratios are
taken against the raw floors measured in the same run: a plain ``httpx.Client`` for sync, raw ``aiohttp`` for
async.

    bench/.venv/bin/python bench/run.py                 # full run (about 10 minutes on 2 cores)
    python bench/run.py --quick                         # seconds; CI runs this in the test venv

Contenders whose package is missing (the incumbents in the test venv) are skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _contenders as cont
import _report
from _emulators import REPO, Emulator, cpu_seconds
from _stats import median

CALL_PROMPT = "[[words:20]]"  # a short answer: the cost is the call, not the payload


@dataclass(frozen=True)
class Sizes:
    calls: int = 300  # sequential non-streaming calls per contender
    call_batch: int = 10  # calls in a row per contender per round
    warmup: int = 20
    stream_events: int = 500
    stream_reps: int = 30
    async_calls: int = 1000
    in_flight: int = 100
    async_reps: int = 3
    async_latency_ms: float = 50
    import_reps: int = 5
    memory_events: tuple[int, int] = (1000, 10000)


QUICK = Sizes(calls=4, call_batch=2, warmup=1, stream_events=20, stream_reps=2, async_calls=20, in_flight=5,
              async_reps=1, async_latency_ms=5, import_reps=1, memory_events=(50, 200))


@dataclass
class Results:
    meta: dict[str, Any] = field(default_factory=dict)
    imports: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    streams: list[dict[str, Any]] = field(default_factory=list)
    throughput: list[dict[str, Any]] = field(default_factory=list)
    memory: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rotated(items: list[Any], step: int) -> list[Any]:
    if not items:
        return items
    step %= len(items)
    return items[step:] + items[:step]


# --------------------------------------------------------------------------------------------- (a) imports

# (label, statement, the import it is compared with: its framework alone, or a bare interpreter for the lazy
# package imports, which must not import their framework at all)
BARE, LANGCHAIN, LLAMAINDEX = "python -c pass", "langchain_core BaseChatModel", "llama_index.core"
IMPORTS: list[tuple[str, str, str | None]] = [
    (BARE, "pass", None),
    ("httpx", "import httpx", None),
    ("cometgemini", "import cometgemini", None),
    ("langchain_core", "import langchain_core", None),
    (LANGCHAIN, "from langchain_core.language_models import BaseChatModel", None),
    (LLAMAINDEX, "import llama_index.core", None),
    ("import langchain_cometgemini", "import langchain_cometgemini", BARE),
    ("from langchain_cometgemini import ChatCometGemini", "from langchain_cometgemini import ChatCometGemini",
     LANGCHAIN),
    ("import llamaindex_cometgemini", "import llamaindex_cometgemini", BARE),
    ("from llamaindex_cometgemini import CometGemini", "from llamaindex_cometgemini import CometGemini", LLAMAINDEX),
    ("from langchain_google_genai import ChatGoogleGenerativeAI",
     "from langchain_google_genai import ChatGoogleGenerativeAI", LANGCHAIN),
    ("from llama_index.llms.google_genai import GoogleGenAI", "from llama_index.llms.google_genai import GoogleGenAI",
     LLAMAINDEX),
    ("from google import genai", "from google import genai", None),
]
QUICK_IMPORTS = (BARE, "cometgemini", "import langchain_cometgemini", "import llamaindex_cometgemini")

_IMPORT_CHILD = r"""
import sys, time
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1])
exec(sys.argv[2])  # the framework, already loaded, when measuring the marginal cost
r0 = rss(); t0 = time.perf_counter()
exec(sys.argv[1])
t1 = time.perf_counter(); r1 = rss()
import os
print("BENCH", t1 - t0, (r1 - r0) * os.sysconf("SC_PAGE_SIZE"))
"""


def _import_env() -> dict[str, str]:
    """Imports as an installed package sees them: from bytecode caches. This machine sets
    PYTHONDONTWRITEBYTECODE, and our editable sources have no caches, so every package writes its caches
    under one private prefix instead (same footing for all, and no __pycache__ in the work tree)."""
    import tempfile

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "cometgemini-bench-pycache")
    return env


def _import_once(statement: str, env: dict[str, str] | None, before: str = "pass") -> tuple[float, float, float] | str:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _IMPORT_CHILD, statement, before], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False, env=env)
    wall = time.perf_counter() - started
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        return (done.stderr.strip().splitlines() or ["failed"])[-1]
    _, seconds, rss = line.split()
    return wall, float(seconds), float(rss)


def bench_imports(sizes: Sizes, results: Results, quick: bool) -> None:
    """Each import in a fresh interpreter. For an import with a framework baseline, also its marginal cost:
    timed in a process that imported the framework first (the exact figure behind the <= 150 ms goal)."""
    statements = {label: statement for label, statement, _ in IMPORTS}
    samples: dict[str, list[tuple[float, float, float]]] = {label: [] for label in statements}
    marginal: dict[str, list[float]] = {label: [] for label in statements}
    # quick: only the cheap imports, from the caches pip wrote; full: a warm-up pass writes every cache first
    cases = [c for c in IMPORTS if c[0] in QUICK_IMPORTS] if quick else list(IMPORTS)
    warm_up = not quick
    env = None if quick else _import_env()
    for rep in range(sizes.import_reps + warm_up):
        for label, statement, baseline in _rotated(list(cases), rep):
            outcome = _import_once(statement, env)
            if isinstance(outcome, str):
                results.notes.append(f"import skipped, {label}: {outcome}")
                cases = [c for c in cases if c[0] != label]
                continue
            if rep >= warm_up:
                samples[label].append(outcome)
            if baseline is not None and baseline != BARE and rep >= warm_up:
                extra = _import_once(statement, env, before=statements[baseline])
                if not isinstance(extra, str):
                    marginal[label].append(extra[1])
    in_process = {label: median([s[1] for s in runs]) for label, runs in samples.items() if runs}
    for label, _, baseline in cases:
        runs = samples[label]
        over = median(marginal[label]) if marginal[label] else None
        if baseline == BARE:
            over = in_process[label] - in_process.get(BARE, 0.0)
        results.imports.append({
            "label": label, "baseline": baseline, "reps": len(runs),
            "wall_median": median([s[0] for s in runs]), "import_median": in_process[label],
            "rss_delta_median": median([s[2] for s in runs]), "over_baseline": over,
            "difference_of_medians": in_process[label] - in_process[baseline] if baseline in in_process else None,
        })


# --------------------------------------------------------------------------------------------- (b), (c) sync


def _timed_rounds(contenders: list[cont.Contender], run: Callable[[cont.Contender], Any], rounds: int,
                  batch: int, results: Results) -> dict[str, tuple[list[float], list[float]]]:
    """Interleaved: each round runs ``batch`` timed calls of every contender, starting one further along."""
    samples: dict[str, tuple[list[float], list[float]]] = {c.name: ([], []) for c in contenders}
    live = list(contenders)
    for rnd in range(rounds):
        for contender in _rotated(live, rnd):
            gc.collect()  # one contender's garbage is not collected on the next one's clock
            walls, cpus = samples[contender.name]
            try:
                for _ in range(batch):
                    c0, t0 = time.thread_time(), time.perf_counter()
                    run(contender)
                    walls.append(time.perf_counter() - t0)
                    cpus.append(time.thread_time() - c0)
            except Exception as exc:
                results.notes.append(f"{contender.name} failed and was dropped: {type(exc).__name__}: {exc}")
                live.remove(contender)
    return {name: s for name, s in samples.items() if any(c.name == name for c in live)}


def _warm(contenders: list[cont.Contender], run: Callable[[cont.Contender], Any], times: int,
          results: Results) -> list[cont.Contender]:
    ready = []
    for contender in contenders:
        try:
            for _ in range(times):
                run(contender)
            ready.append(contender)
        except Exception as exc:
            results.notes.append(f"{contender.name} failed in warm-up and was skipped: {type(exc).__name__}: {exc}")
    return ready


def bench_calls(contenders: list[cont.Contender], sizes: Sizes, results: Results) -> None:
    callers = _warm([c for c in contenders if c.call], lambda c: c.call(CALL_PROMPT), sizes.warmup, results)
    rounds = max(1, sizes.calls // sizes.call_batch)
    samples = _timed_rounds(callers, lambda c: c.call(CALL_PROMPT), rounds, sizes.call_batch, results)
    results.calls = _report.summarize(samples, callers, "raw httpx")


def bench_streams(contenders: list[cont.Contender], sizes: Sizes, results: Results) -> None:
    prompt = f"[[words:{sizes.stream_events}]]"
    streamers = _warm([c for c in contenders if c.stream], lambda c: c.stream(prompt), 2, results)
    chunks: dict[str, int] = {}

    def run(contender: cont.Contender) -> None:
        assert contender.stream is not None
        chunks[contender.name] = contender.stream(prompt)

    samples = _timed_rounds(streamers, run, sizes.stream_reps, 1, results)
    events = chunks.get("raw httpx", sizes.stream_events)  # what the server sent, counted by the floor
    per_event = {name: ([w / events for w in walls], [c / events for c in cpus])
                 for name, (walls, cpus) in samples.items()}
    results.streams = _report.summarize(per_event, streamers, "raw httpx")
    for row in results.streams:
        row["chunks_seen"] = chunks.get(row["name"])
        row["server_events"] = events


# --------------------------------------------------------------------------------------------- (d) async


async def _throughput(contender: cont.Contender, calls: int, in_flight: int) -> tuple[float, float]:
    """Requests per second, and the client process's CPU seconds per request, over ``calls`` calls."""
    assert contender.make_async is not None
    acall, aclose = await contender.make_async()
    try:
        await asyncio.gather(*(acall(CALL_PROMPT) for _ in range(in_flight)))  # opens the pool
        per_worker, extra = divmod(calls, in_flight)

        async def worker(count: int) -> None:
            for _ in range(count):
                await acall(CALL_PROMPT)

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(per_worker + (i < extra)) for i in range(in_flight)))
        return calls / (time.perf_counter() - started), (time.process_time() - cpu) / calls
    finally:
        await aclose()


def bench_async(contenders: list[cont.Contender], sizes: Sizes, emulator: Emulator, results: Results) -> None:
    live = [c for c in contenders if c.make_async]
    rates: dict[str, list[float]] = {c.name: [] for c in live}
    server_cpu: dict[str, list[float]] = {c.name: [] for c in live}
    client_cpu: dict[str, list[float]] = {c.name: [] for c in live}
    for rep in range(sizes.async_reps):
        for contender in _rotated(list(live), rep):
            gc.collect()
            cpu0, t0 = cpu_seconds(emulator.pid), time.perf_counter()
            try:
                rate, cpu = asyncio.run(_throughput(contender, sizes.async_calls, sizes.in_flight))
            except Exception as exc:
                results.notes.append(f"{contender.name} failed in the async test: {type(exc).__name__}: {exc}")
                live.remove(contender)
                continue
            rates[contender.name].append(rate)
            client_cpu[contender.name].append(cpu)
            server_cpu[contender.name].append((cpu_seconds(emulator.pid) - cpu0) / (time.perf_counter() - t0))
    floor = median(rates.get("raw aiohttp", []))
    for contender in live:
        rate = median(rates[contender.name])
        results.throughput.append({
            "name": contender.name, "group": contender.group, "reps": len(rates[contender.name]),
            "rate_median": rate, "rate_min": min(rates[contender.name]), "rate_max": max(rates[contender.name]),
            "ratio": None if math.isnan(floor) else rate / floor, "server_cpu": median(server_cpu[contender.name]),
            "client_cpu_per_request": median(client_cpu[contender.name]),
        })


# --------------------------------------------------------------------------------------------- (e) memory


def memory_child(name: str, events: list[int], base_url: str) -> None:
    """In a fresh process: the tracemalloc peak over one stream of each length in ``events``, as JSON.

    The peak is taken above what was allocated before the stream, and reset between streams. (An RSS
    high-water mark is no use here: the stream reuses memory the imports freed, so it never moves.)
    """
    import tracemalloc

    contender = cont.MEMORY_FACTORIES[name](base_url)
    assert contender.stream is not None
    contender.stream("[[words:10]]")  # lazy imports and pools are paid before measuring
    tracemalloc.start()
    out = {}
    for count in events:
        gc.collect()
        tracemalloc.reset_peak()
        size = tracemalloc.get_traced_memory()[0]
        chunks = contender.stream(f"[[words:{count}]]")
        out[count] = {"chunks": chunks, "peak": tracemalloc.get_traced_memory()[1] - size}
    print(json.dumps(out))


def bench_memory(sizes: Sizes, base_url: str, results: Results, quick: bool) -> None:
    small, large = sizes.memory_events
    for name in ("CometGeminiClient", "raw httpx") if quick else cont.MEMORY_FACTORIES:
        child = [sys.executable, __file__, "--memory-child", name, f"{small},{large}", base_url]
        done = subprocess.run(child, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            results.notes.append(f"memory skipped, {name}: {(done.stderr.strip().splitlines() or ['failed'])[-1]}")
            continue
        traced = json.loads(done.stdout.strip().splitlines()[-1])
        row: dict[str, Any] = {"name": name, "events": [small, large]}
        for count in (small, large):
            row[f"peak_{count}"], row[f"chunks_{count}"] = traced[str(count)]["peak"], traced[str(count)]["chunks"]
        row["bytes_per_extra_event"] = (row[f"peak_{large}"] - row[f"peak_{small}"]) / (large - small)
        results.memory.append(row)


# --------------------------------------------------------------------------------------------- main


def _pin_client(cpu: int | None) -> str:
    if cpu is None or not hasattr(os, "sched_setaffinity") or cpu >= (os.cpu_count() or 1):
        return "not pinned"
    os.sched_setaffinity(0, {cpu})
    return f"client pinned to CPU {cpu}"


def _meta(args: argparse.Namespace, sizes: Sizes, pinning: str) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in ("cometgemini", "httpx", "httpx-aiohttp", "aiohttp", "pydantic", "langchain-core",
                 "llama-index-core", "google-genai", "langchain-google-genai", "llama-index-llms-google-genai"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    return {"command": " ".join([Path(sys.executable).name, *sys.argv]), "quick": args.quick,
            "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "pinning": pinning, "sizes": asdict(sizes), "versions": versions,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_at_start": _load()}


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average n/a"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--only", default="imports,calls,streams,async,memory",
                        help="comma-separated sections to run (default: all)")
    parser.add_argument("--async-reps", type=int, help="repetitions of the async test (default 3)")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    parser.add_argument("--chart", type=Path, help="write the ratio chart (PNG, needs matplotlib) here")
    parser.add_argument("--client-cpu", type=int, default=0, help="pin the client to this CPU (-1: don't pin)")
    parser.add_argument("--server-cpu", type=int, default=1, help="pin the emulator to this CPU (-1: don't pin)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only re-print (and --chart) saved results")
    parser.add_argument("--memory-child", nargs=3, metavar=("NAME", "EVENTS", "URL"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child:
        name, events, url = args.memory_child
        memory_child(name, [int(e) for e in events.split(",")], url)
        return 0
    if args.render:
        results = Results(**json.loads(args.render.read_text()))
        print(_report.render(results))
        if args.chart:
            print(_report.chart(results, args.chart))
        return 0
    sizes = QUICK if args.quick else Sizes()
    if args.async_reps:
        sizes = replace(sizes, async_reps=args.async_reps)
    sections = set(args.only.split(","))
    server_cpu = None if args.server_cpu < 0 else args.server_cpu
    results = Results()
    results.meta = _meta(args, sizes, _pin_client(None if args.client_cpu < 0 else args.client_cpu))
    if "imports" in sections:
        _report.progress("imports")
        bench_imports(sizes, results, quick=args.quick)
    if sections & {"calls", "streams"}:
        with Emulator(latency_ms=0, cpu=server_cpu) as emulator:
            results.meta["emulator"] = " ".join(emulator.command)
            contenders, notes = cont.build(cont.SYNC_FACTORIES, emulator.base_url)
            results.notes += notes
            if "calls" in sections:
                _report.progress("sequential calls")
                bench_calls(contenders, sizes, results)
            if "streams" in sections:
                _report.progress("streams")
                bench_streams(contenders, sizes, results)
    if "async" in sections:
        _report.progress("async throughput")
        with Emulator(latency_ms=sizes.async_latency_ms, cpu=server_cpu) as emulator:
            contenders, notes = cont.build(cont.ASYNC_FACTORIES, emulator.base_url)
            results.notes += [n for n in notes if n not in results.notes]
            bench_async(contenders, sizes, emulator, results)
    if "memory" in sections:
        _report.progress("memory")
        with Emulator(cpu=server_cpu, max_stream_events=max(sizes.memory_events) * 2) as emulator:
            bench_memory(sizes, emulator.base_url, results, quick=args.quick)
    results.meta["load_at_end"] = _load()
    print(_report.render(results))
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=1, default=str) + "\n")
    if args.chart:
        print(_report.chart(results, args.chart))
    return 0


if __name__ == "__main__":
    sys.exit(main())
