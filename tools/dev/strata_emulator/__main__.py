"""Command line of strata's local AWS emulator.

    python -m strata_emulator [--endpoint URL] [--state-dir DIR] [--enforce-iam]
                              [--request-log FILE] {start,stop,status,run,user}

``start`` serves the patched moto server in the background on the host and port of the
endpoint, recording its pid and log in the state directory (``emulator-<port>.pid`` and
``emulator-<port>.log``); ``stop`` ends only the process that ``start`` recorded;
``status`` exits 0 when it runs and 3 when it does not; ``run`` serves in the foreground
(what ``start`` spawns).

``--enforce-iam`` (or ``STRATA_EMULATOR_ENFORCE_IAM=1``): every request must be signed by
an IAM user of the emulator and is refused unless that user's policies allow each of its
actions on its resources (the administrator ``testing``/``testing`` always exists).
``--request-log FILE`` (or ``STRATA_EMULATOR_REQUEST_LOG``): one JSON line per request with
its actions, resources and decisions. ``user --policy FILE`` (``admin``: every action) creates
on the running emulator a user holding exactly that policy and prints the ``export`` lines of
its access key (``--keys-file FILE``: writes them to FILE, owner only, as JSON environment
variables, for a run that must not show them).
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

TRUE = ("1", "true", "yes", "on")


def _parser() -> argparse.ArgumentParser:
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
    parser.add_argument(
        "--enforce-iam",
        action="store_true",
        default=os.environ.get("STRATA_EMULATOR_ENFORCE_IAM", "").lower() in TRUE,
        help="refuse what the signing IAM user's policies do not allow "
             "(default: on when $STRATA_EMULATOR_ENFORCE_IAM is 1)",
    )
    parser.add_argument(
        "--request-log",
        type=Path,
        default=Path(os.environ["STRATA_EMULATOR_REQUEST_LOG"]) if os.environ.get("STRATA_EMULATOR_REQUEST_LOG") else None,
        help="record each request's actions, resources and decisions in this file, one JSON "
             "line each (default: $STRATA_EMULATOR_REQUEST_LOG)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{start,stop,status,run,user}")
    commands.add_parser("start", help="serve in the background and wait until it answers")
    commands.add_parser("stop", help="stop the emulator that start started")
    commands.add_parser("status", help="exit 0 when it runs, 3 when it does not")
    commands.add_parser("run", help="serve in the foreground")
    user = commands.add_parser("user", help="create an IAM user holding exactly one policy; print its keys")
    user.add_argument("--policy", required=True,
                      help="a JSON policy file (e.g. iam/strata-deploy.json), or admin for every action")
    user.add_argument("--name", help="the user's name (default: the policy's name and a random suffix)")
    user.add_argument("--region", default=os.environ.get("AWS_REGION") or "us-east-1",
                      help="the region to call the emulator in (default: $AWS_REGION, else %(default)s)")
    user.add_argument("--keys-file", type=Path,
                      help="write the key as JSON environment variables (AWS_ACCESS_KEY_ID, "
                           "AWS_SECRET_ACCESS_KEY) to this file, owner only, instead of printing it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    try:
        endpoint = parse_endpoint(args.endpoint)
        if args.command == "run":
            serve_forever(endpoint, enforce_iam=args.enforce_iam, request_log=args.request_log)
            return 0
        if args.command == "user":
            return _user(endpoint.url, args)
        emulator = Emulator(endpoint, args.state_dir, enforce_iam=args.enforce_iam, request_log=args.request_log)
        if args.command == "start":
            print(emulator.start(args.timeout))
        elif args.command == "stop":
            print(emulator.stop())
        else:
            pid = emulator.running_pid() or emulator.recorded_emulator_pid()
            if pid is None:
                print(f"emulator not running at {endpoint.url}")
                return EXIT_NOT_RUNNING
            print(f"emulator running at {endpoint.url} (pid {pid})")
    except EmulatorError as exc:
        print(f"strata_emulator: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _user(endpoint_url: str, args: argparse.Namespace) -> int:
    from strata_emulator import iam_users

    try:
        credentials = iam_users.create_user(endpoint_url, args.policy, args.name, args.region)
    except iam_users.PolicyError as exc:
        raise EmulatorError(str(exc)) from None
    print(f"# IAM user {credentials.arn} holding {args.policy}", file=sys.stderr)
    if args.keys_file:
        credentials.write_environment(args.keys_file)
        print(f"# its keys: {args.keys_file}", file=sys.stderr)
    else:
        print(credentials.exports())
    return 0


if __name__ == "__main__":
    sys.exit(main())
