"""Client-side cost alone: every contender served by ``httpx.MockTransport`` replaying bodies recorded from the
emulator, so no server, socket or scheduler noise is in the figures (a diagnostic beside run.py, not the
issue's measure). CPU time of the calling thread, medians over interleaved rounds.

    bench/.venv/bin/python bench/micro.py
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _contenders as cont
import httpx
from _emulators import Emulator
from _stats import table

EVENTS = 500
BASE = "http://127.0.0.1:9"  # loopback: never contacted (MockTransport), and no insecure-http refusal


def record() -> tuple[bytes, list[bytes]]:
    """A non-streaming body and the events of a 500-event stream, as the emulator sends them."""
    with Emulator(latency_ms=0) as emulator:
        gen_url, stream_url = cont._urls(emulator.base_url)
        body = httpx.post(gen_url, content=cont._body("[[words:20]]"), headers=cont.HEADERS).content
        raw = httpx.post(stream_url, content=cont._body(f"[[words:{EVENTS}]]"), headers=cont.HEADERS).content
    events = [e + b"\r\n\r\n" for e in raw.split(b"\r\n\r\n") if e.strip()]
    return body, events


def mock_client(body: bytes, events: list[bytes]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if "alt=sse" in str(request.url):
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(list(events)))
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


def contenders(body: bytes, events: list[bytes]) -> list[cont.Contender]:
    """The contenders of run.py, each given a mocked httpx client where it accepts one."""
    built = [_raw(mock_client(body, events))]
    try:
        from cometgemini import CometGeminiClient

        core = CometGeminiClient(api_key=cont.KEY, base_url=BASE, http_client=mock_client(body, events))
        def request(prompt: str) -> dict[str, Any]:
            return {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}

        built.append(cont.Contender("CometGeminiClient", "ours", lambda p: core.generate(cont.MODEL, request(p)).text,
                                    lambda p: sum(1 for _ in core.stream(cont.MODEL, request(p)))))
    except ImportError:
        pass
    factories: list[Callable[[], cont.Contender]] = [
        lambda: cont._langchain("ChatCometGemini", "ours", lambda: cont._need("langchain_cometgemini").ChatCometGemini(
            model=cont.MODEL, api_key=cont.KEY, base_url=BASE, http_client=mock_client(body, events))),
        lambda: cont._llamaindex("CometGemini (llama-index)", "ours", lambda: cont._need(
            "llamaindex_cometgemini").CometGemini(model=cont.MODEL, api_key=cont.KEY, base_url=BASE,
                                                  http_client=mock_client(body, events))),
        lambda: _sdk(body, events),
        lambda: cont.langchain_floor(BASE),
        lambda: cont.llamaindex_floor(BASE),
    ]
    for factory in factories:
        try:
            built.append(factory())
        except cont.Unavailable as exc:
            print(f"skipped: {exc}", file=sys.stderr)
    return built


def _raw(client: httpx.Client) -> cont.Contender:
    import json

    gen_url, stream_url = cont._urls(BASE)

    def call(prompt: str) -> str:
        return cont._text(json.loads(client.post(gen_url, content=cont._body(prompt)).content))

    def stream(prompt: str) -> int:
        with client.stream("POST", stream_url, content=cont._body(prompt)) as response:
            return sum(1 for line in response.iter_lines() if line.startswith("data:") and json.loads(line[5:]))

    return cont.Contender("raw httpx", "floor", call, stream)


def _sdk(body: bytes, events: list[bytes]) -> cont.Contender:
    genai = cont._need("google.genai")
    types = cont._need("google.genai.types")
    client = genai.Client(api_key=cont.KEY, http_options=types.HttpOptions(
        base_url=BASE, httpx_client=mock_client(body, events)))
    return cont.Contender(
        "google-genai SDK", "sdk", lambda p: client.models.generate_content(model=cont.MODEL, contents=p).text,
        lambda p: sum(1 for _ in client.models.generate_content_stream(model=cont.MODEL, contents=p)))


def measure(built: list[cont.Contender], run: Callable[[cont.Contender], Any], rounds: int,
            per: int) -> dict[str, float]:
    for contender in built:
        for _ in range(3):
            run(contender)
    samples: dict[str, list[float]] = {c.name: [] for c in built}
    for rnd in range(rounds):
        for contender in built[rnd % len(built):] + built[: rnd % len(built)]:
            gc.collect()
            start = time.thread_time()
            for _ in range(per):
                run(contender)
            samples[contender.name].append((time.thread_time() - start) / per)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    body, events = record()
    built = contenders(body, events)
    calls = measure(built, lambda c: c.call("[[words:20]]"), rounds=20, per=50)
    streams = measure([c for c in built if c.stream], lambda c: c.stream(f"[[words:{len(events)}]]"), rounds=15,
                      per=2)
    floor_call, floor_event = calls["raw httpx"], streams["raw httpx"] / len(events)
    rows = []
    for contender in built:
        per_event = streams[contender.name] / len(events)
        call = calls[contender.name]
        rows.append([contender.name, f"{call * 1e6:.0f} us", f"{(call - floor_call) * 1e6:+.0f} us",
                     f"{call / floor_call:.2f}x",
                     f"{per_event * 1e6:.1f} us", f"{(per_event - floor_event) * 1e6:+.1f} us",
                     f"{per_event / floor_event:.2f}x"])
    print(f"# Client CPU only (httpx.MockTransport replaying emulator bodies; {len(events)}-event stream)\n")
    print(table(["contender", "call", "over raw httpx", "ratio", "per event", "over raw httpx", "ratio"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
