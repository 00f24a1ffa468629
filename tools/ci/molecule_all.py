"""Run molecule scenarios side by side, each against an emulator of its own.

The scenarios share nothing but the project's files: each has its own emulator port
(STRATA_MOLECULE_PORT, _TEARDOWN, _DAY2, set by the Makefile), its own ephemeral
directory and working copies. The ephemeral directory is a new one for every run: molecule's
own is named after the project directory's base name and keeps the scenario's state, so a run
killed before its destroy step would make the next run of any checkout of that name skip its
create step ("instances already created") and find no emulator. Most of a scenario's time is spent waiting on Terraform and
the emulator, so on a machine with few cores they finish together in little more than the
longest one takes alone. Each line of output is prefixed with its scenario; the run fails
when any scenario fails, and says which.

    python tools/ci/molecule_all.py [--serial] [scenario ...]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def scenarios() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "molecule").glob("*/molecule.yml"))


def start(name: str, ephemeral: str) -> subprocess.Popen:
    molecule = Path(sys.executable).parent / "molecule"
    env = dict(os.environ, MOLECULE_EPHEMERAL_DIRECTORY=ephemeral)
    return subprocess.Popen([str(molecule), "test", "-s", name], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1)


def relay(name: str, process: subprocess.Popen, lock: threading.Lock, began: float, results: dict) -> None:
    width = max(len(s) for s in scenarios())
    for line in process.stdout:
        with lock:
            sys.stdout.write(f"[{name:<{width}}] {line}")
            sys.stdout.flush()
    results[name] = (process.wait(), time.monotonic() - began)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="*", help="scenarios to run (default: every one in molecule/)")
    parser.add_argument("--serial", action="store_true", help="one after the other, as molecule test --all does")
    args = parser.parse_args(argv)
    names = args.scenario or scenarios()
    unknown = sorted(set(names) - set(scenarios()))
    if unknown:
        parser.error(f"no such scenario: {', '.join(unknown)} (there are: {', '.join(scenarios())})")

    lock = threading.Lock()
    results: dict[str, tuple[int, float]] = {}
    groups = [[name] for name in names] if args.serial else [names]
    for group in groups:
        began = time.monotonic()
        ephemeral = {name: tempfile.mkdtemp(prefix=f"strata-molecule-{name}-") for name in group}
        running = {name: start(name, ephemeral[name]) for name in group}
        relays = [threading.Thread(target=relay, args=(name, proc, lock, began, results))
                  for name, proc in running.items()]
        try:
            for thread in relays:
                thread.start()
            for thread in relays:
                thread.join()
        finally:
            # Interrupted (Ctrl-C): molecule's own cleanup runs on SIGTERM.
            for proc in running.values():
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=300)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            for directory in ephemeral.values():
                shutil.rmtree(directory, ignore_errors=True)

    print()
    for name in names:
        rc, seconds = results[name]
        print(f"molecule {name}: {'passed' if rc == 0 else f'FAILED (exit {rc})'} in {seconds / 60:.1f} min")
    failed = [name for name in names if results[name][0] != 0]
    if failed:
        print(f"Failed: {', '.join(failed)}; its lines above are prefixed [{failed[0]}]", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
