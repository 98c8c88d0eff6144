"""Turning samples into rows, rows into markdown tables, and ratios into a chart."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

from _stats import fmt_bytes, fmt_seconds, median, p99, table

__all__ = ["GOALS", "chart", "progress", "render", "summarize"]

# issue 8's goals, as ratios to the floor measured in the same run
GOALS: dict[str, dict[str, float]] = {
    "calls": {"ChatCometGemini": 1.4, "CometGemini (llama-index)": 1.4},
    "streams": {"ChatCometGemini": 2.0, "CometGemini (llama-index)": 2.5},
    "throughput": {"ChatCometGemini": 0.8, "CometGemini (llama-index)": 0.8},
}
IMPORT_GOAL = 0.150  # seconds over the framework alone

_STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.1f}s] {message} ...", file=sys.stderr, flush=True)


def summarize(samples: dict[str, tuple[list[float], list[float]]], contenders: list[Any],
              floor: str) -> list[dict[str, Any]]:
    floor_median = median(samples[floor][0]) if floor in samples else math.nan
    floor_cpu = median(samples[floor][1]) if floor in samples else math.nan
    rows = []
    for contender in contenders:
        if contender.name not in samples:
            continue
        walls, cpus = samples[contender.name]
        wall = median(walls)
        rows.append({
            "name": contender.name, "group": contender.group, "n": len(walls), "median": wall, "p99": p99(walls),
            "cpu_median": median(cpus), "ratio": None if math.isnan(floor_median) else wall / floor_median,
            "cpu_ratio": None if math.isnan(floor_cpu) or not floor_cpu else median(cpus) / floor_cpu,
        })
    return rows


def _ratio(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}x"


def _goal(section: str, name: str, ratio: float | None) -> str:
    goal = GOALS[section].get(name)
    if goal is None:
        return ""
    if ratio is None:
        return f"goal {goal}x"
    met = ratio >= goal if section == "throughput" else ratio <= goal
    return f"{'met' if met else 'MISSED'} ({'>=' if section == 'throughput' else '<='} {goal}x)"


def _timing_table(rows: list[dict[str, Any]], section: str) -> str:
    return table(
        ["contender", "median", "p99", "ratio to floor", "goal", "client CPU (median)", "CPU ratio", "n"],
        [[r["name"], fmt_seconds(r["median"]), fmt_seconds(r["p99"]), _ratio(r["ratio"]),
          _goal(section, r["name"], r["ratio"]), fmt_seconds(r["cpu_median"]), _ratio(r["cpu_ratio"]), str(r["n"])]
         for r in rows],
    )


def _imports_table(rows: list[dict[str, Any]]) -> str:
    def over(row: dict[str, Any]) -> str:
        value = row["over_baseline"]
        if value is None:
            return ""
        text = f"{value * 1e3:+.0f} ms over {row['baseline']}"
        if row["baseline"] != "python -c pass":
            text += " (imported after it)"
        if "cometgemini" in row["label"]:
            text += " (goal <= 150 ms: " + ("met)" if value <= IMPORT_GOAL else "MISSED)")
        return text

    return table(
        ["import", "process wall", "import time (in process)", "RSS delta", "over its baseline"],
        [[r["label"], fmt_seconds(r["wall_median"]), fmt_seconds(r["import_median"]),
          fmt_bytes(r["rss_delta_median"]), over(r)] for r in rows],
    )


def _throughput_table(rows: list[dict[str, Any]]) -> str:
    floor = next((r.get("client_cpu_per_request") for r in rows if r["name"] == "raw aiohttp"), None)

    def cpu(row: dict[str, Any]) -> str:
        value = row.get("client_cpu_per_request")
        if value is None:
            return "n/a"
        return fmt_seconds(value) + (f" ({value / floor:.2f}x)" if floor else "")

    return table(
        ["contender", "req/s (median)", "min .. max", "ratio to raw aiohttp", "goal", "client CPU per request",
         "emulator CPU busy"],
        [[r["name"], f"{r['rate_median']:.0f}", f"{r['rate_min']:.0f} .. {r['rate_max']:.0f}", _ratio(r["ratio"]),
          _goal("throughput", r["name"], r["ratio"]), cpu(r),
          "n/a" if math.isnan(r["server_cpu"]) else f"{r['server_cpu'] * 100:.0f}%"] for r in rows],
    )


def _memory_table(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        small, large = r["events"]
        growth = r[f"peak_{large}"] / r[f"peak_{small}"] if r[f"peak_{small}"] else math.nan
        out.append([r["name"], f"{r[f'chunks_{small}']} / {r[f'chunks_{large}']}",
                    fmt_bytes(r[f"peak_{small}"]), fmt_bytes(r[f"peak_{large}"]), f"{growth:.2f}x",
                    f"{r['bytes_per_extra_event']:.0f} B"])
    small, large = rows[0]["events"]
    return table(["contender", "chunks", f"tracemalloc peak, {small} events", f"peak, {large} events",
                  "peak growth", "retained per extra event"], out)


def render(results: Any) -> str:
    meta = results.meta
    parts = [f"# cometgemini bench results ({'quick' if meta['quick'] else 'full'})",
             f"{meta['date']}; Python {meta['python']}; {meta['machine']}; {meta['pinning']}; "
             f"{meta['load_at_start']} at start, {meta.get('load_at_end', 'n/a')} at end"]
    if results.imports:
        parts += ["## Import (fresh process, median)", _imports_table(results.imports)]
    if results.calls:
        parts += ["## One non-streaming call (sequential, interleaved)", _timing_table(results.calls, "calls")]
    if results.streams:
        events = results.streams[0]["server_events"]
        parts += [f"## One streamed event ({events}-event stream: wall / events)",
                  _timing_table(results.streams, "streams")]
        parts.append("chunks seen per stream: " + ", ".join(f"{r['name']} {r['chunks_seen']}"
                                                           for r in results.streams))
    if results.throughput:
        sizes = meta["sizes"]
        parts += [f"## Async: {sizes['async_calls']} calls, {sizes['in_flight']} in flight, emulator latency "
                  f"{sizes['async_latency_ms']:g} ms", _throughput_table(results.throughput)]
    if results.memory:
        parts += ["## Memory over a long stream (fresh process per cell)", _memory_table(results.memory)]
    if results.notes:
        parts += ["## Notes", "\n".join(f"- {n}" for n in results.notes)]
    return "\n\n".join(parts) + "\n"


def chart(results: Any, path: Path) -> str:
    """Ratios to the floors, one panel per test, with the goals drawn in. Returns a note."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed"
    panels = [("calls", "non-streaming call\n(time / raw httpx; lower is better)", results.calls),
              ("streams", "streamed event\n(time / raw httpx; lower is better)", results.streams),
              ("throughput", "async throughput\n(req/s / raw aiohttp; higher is better)", results.throughput)]
    panels = [p for p in panels if p[2]]
    if not panels:
        return "chart skipped: no ratios"
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 5), squeeze=False)
    colors = {"floor": "#999999", "sdk": "#4c72b0", "langchain": "#dd8452", "llamaindex": "#c44e52",
              "ours": "#55a868", "framework": "#cccccc"}
    for ax, (section, title, all_rows) in zip(axes[0], panels, strict=True):
        rows = [r for r in all_rows if r["ratio"] is not None]
        names = [r["name"] for r in rows]
        ax.barh(names, [r["ratio"] for r in rows], color=[colors.get(r["group"], "#333333") for r in rows])
        for i, r in enumerate(rows):
            cpu = r.get("cpu_ratio")
            if cpu is not None:  # client CPU alone, without the server's share of the wall time
                ax.plot(cpu, i, marker="x", color="black", markersize=6)
            label = f"  {r['ratio']:.2f}x" + (f" (CPU {cpu:.2f}x)" if cpu is not None else "")
            ax.text(max(r["ratio"], cpu or 0), i, label, va="center", fontsize=8)
            goal = GOALS[section].get(r["name"])
            if goal is not None:
                ax.plot([goal, goal], [i - 0.4, i + 0.4], color="black", linestyle="--", linewidth=1.5)
        ax.axvline(1.0, color="#555555", linewidth=0.8)
        ax.set_title(title, fontsize=10)
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle("cometgemini vs incumbents: wall-time ratios to the raw floors (bars), client-CPU ratios (x), "
                 f"issue 8 goals (dashed) - {results.meta['date']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart written to {path}"
