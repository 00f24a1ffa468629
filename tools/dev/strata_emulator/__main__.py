"""Command line of strata's local AWS emulator.

    python -m strata_emulator [--endpoint URL] [--state-dir DIR] {start,stop,status,run}

``start`` serves the patched moto server in the background on the host and port of the
endpoint, recording its pid and log in the state directory (``emulator-<port>.pid`` and
``emulator-<port>.log``); ``stop`` ends only the process that ``start`` recorded;
``status`` exits 0 when it runs and 3 when it does not; ``run`` serves in the foreground
(what ``start`` spawns).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from strata_emulator.process import (
    DEFAULT_ENDPOINT,
    DEFAULT_STATE_DIR,
    EXIT_NOT_RUNNING,
    Emulator,
    EmulatorError,
    parse_endpoint,
    serve_forever,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m strata_emulator",
        description="Run strata's local AWS emulator (moto with fidelity patches).",
    )
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT,
        help="http://host:port to serve on (default: $AWS_ENDPOINT_URL, else %(default)s)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where start keeps the pid file and log (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds start waits for the emulator to answer (default: %(default)s)",
    )
    parser.add_argument("command", choices=["start", "stop", "status", "run"])
    args = parser.parse_args(argv)

    try:
        endpoint = parse_endpoint(args.endpoint)
        if args.command == "run":
            serve_forever(endpoint)
            return 0
        emulator = Emulator(endpoint, args.state_dir)
        if args.command == "start":
            print(emulator.start(args.timeout))
        elif args.command == "stop":
            print(emulator.stop())
        else:
            pid = emulator.running_pid()
            if pid is None:
                print(f"emulator not running at {endpoint.url}")
                return EXIT_NOT_RUNNING
            print(f"emulator running at {endpoint.url} (pid {pid})")
    except EmulatorError as exc:
        print(f"strata_emulator: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
