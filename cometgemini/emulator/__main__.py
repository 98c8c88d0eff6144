"""``python -m cometgemini.emulator`` / ``cometgemini-emulator``: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import os

from ._config import EmulatorConfig
from ._server import run_emulator

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cometgemini-emulator", description="Local Gemini API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--api-key", default=os.environ.get("COMETAPI_EMULATOR_KEY"),
                        help="require this key (default: $COMETAPI_EMULATOR_KEY; unset = no auth)")
    parser.add_argument("--auth-errors", choices=["cometapi", "google"], default="cometapi",
                        help="answer a missing or wrong key as CometAPI (401) or as Google (400 / 403)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--replay", metavar="DIR", default=None, help="serve recorded responses from DIR")
    parser.add_argument("--fault", default=None, help="server-wide fault spec, e.g. 503 or 429:0.5s")
    parser.add_argument("--fault-rate", type=float, default=1.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = EmulatorConfig(api_key=args.api_key or None, latency_ms=args.latency_ms, replay_dir=args.replay,
                            fault=args.fault, fault_rate=args.fault_rate, fault_seed=args.fault_seed,
                            auth_errors=args.auth_errors)
    print(f"cometgemini emulator listening on http://{args.host}:{args.port}", flush=True)
    run_emulator(config, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
