"""``python -m cometgemini.emulator`` / ``cometgemini-emulator``: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import os

from ._config import EmulatorConfig
from ._server import run_emulator

__all__ = ["main", "parse_args"]


def parse_args(argv: list[str] | None = None) -> tuple[EmulatorConfig, str, int]:
    """``(config, host, port)`` from the command line."""
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
    parser.add_argument("--any-model", action="store_true",
                        help="serve any gemini-* model id, not only the catalog's (unknown ids are 404 otherwise)")
    parser.add_argument("--cache-min-tokens", type=int, default=None,
                        help="smallest context cache accepted (default: Google's minimum for the model)")
    defaults = EmulatorConfig()
    parser.add_argument("--file-processing-seconds", type=float, default=defaults.file_processing_seconds,
                        help="how long an uploaded video or audio file stays PROCESSING")
    parser.add_argument("--batch-pending-seconds", type=float, default=defaults.batch_pending_seconds,
                        help="how long a batch stays BATCH_STATE_PENDING")
    parser.add_argument("--batch-running-seconds", type=float, default=defaults.batch_running_seconds,
                        help="how long a batch then stays BATCH_STATE_RUNNING before it succeeds")
    args = parser.parse_args(argv)
    config = EmulatorConfig(api_key=args.api_key or None, latency_ms=args.latency_ms, replay_dir=args.replay,
                            fault=args.fault, fault_rate=args.fault_rate, fault_seed=args.fault_seed,
                            any_model=args.any_model, cache_min_tokens=args.cache_min_tokens,
                            file_processing_seconds=args.file_processing_seconds,
                            batch_pending_seconds=args.batch_pending_seconds,
                            batch_running_seconds=args.batch_running_seconds,
                            auth_errors=args.auth_errors)
    return config, args.host, args.port


def main(argv: list[str] | None = None) -> None:
    config, host, port = parse_args(argv)
    print(f"cometgemini emulator listening on http://{host}:{port}", flush=True)
    run_emulator(config, host=host, port=port)


if __name__ == "__main__":
    main()
