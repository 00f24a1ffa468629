"""Run molecule scenarios side by side, each against an emulator of its own.

The scenarios share nothing but the project's files: each has its own emulator port
(STRATA_MOLECULE_PORT, _TEARDOWN, _DAY2, set by the Makefile; killsweep's sweep picks free
ports for its emulators itself), its own ephemeral
directory and working copies. The ephemeral directory is a new one for every run: molecule's
own is named after the project directory's base name and keeps the scenario's state, so a run
killed before its destroy step would make the next run of any checkout of that name skip its
create step ("instances already created") and find no emulator. Most of a scenario's time is spent waiting on Terraform and
the emulator, so on a machine with few cores they finish together in little more than the
longest one takes alone. Each line of output is prefixed with its scenario; the run fails
when any scenario fails, and says which.

Without scenario names it runs every scenario but those in ON_REQUEST: the killsweep sample
alone takes longer than the other three side by side, so it runs when named
(``make molecule MOLECULE_ARGS=killsweep``; ``make kill-sweep`` runs the sweep itself).

Every scenario's emulator records its requests (STRATA_EMULATOR_REQUEST_LOG) in
build/molecule-requests/<scenario>.jsonl. When the scenarios passed, the actions of the deploy
policy (iam/actions.yml, for the scenarios' project name) are weighed against what the user
holding it was granted in those runs (tools/dev/iam_minimality.py): each action needed is shown
with the first request that needs it, the actions no run needed are listed, and the findings are
written to build/molecule-requests/minimality.json. It fails only when the policy refuses an
authorization the runs were granted (the logs are not of this policy).

    python tools/ci/molecule_all.py [--serial] [scenario ...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = ROOT / "build" / "molecule-requests"
# The scenarios' project name and the user create.yml gives the deploy policy (molecule/default).
PROJECT = "molecule"
DEPLOY_USER = "strata-deploy"
# Scenarios run only when named: the kill sweep's sample would add more to every make test
# than the three others take together.
ON_REQUEST = frozenset({"killsweep"})


def scenarios() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "molecule").glob("*/molecule.yml"))


def default_scenarios() -> list[str]:
    """What runs when no scenario is named: every one but those run only on request."""
    return [name for name in scenarios() if name not in ON_REQUEST]


def start(name: str, ephemeral: str) -> subprocess.Popen:
    molecule = Path(sys.executable).parent / "molecule"
    env = dict(os.environ, MOLECULE_EPHEMERAL_DIRECTORY=ephemeral,
               STRATA_EMULATOR_REQUEST_LOG=str(REQUESTS / f"{name}.jsonl"))
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
    parser.add_argument("scenario", nargs="*", help="scenarios to run (default: every one in molecule/ but"
                        f" {', '.join(sorted(ON_REQUEST))}, which runs when named)")
    parser.add_argument("--serial", action="store_true", help="one after the other, as molecule test --all does")
    args = parser.parse_args(argv)
    names = args.scenario or default_scenarios()
    unknown = sorted(set(names) - set(scenarios()))
    if unknown:
        parser.error(f"no such scenario: {', '.join(unknown)} (there are: {', '.join(scenarios())})")

    shutil.rmtree(REQUESTS, ignore_errors=True)
    REQUESTS.mkdir(parents=True)
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
        return 1
    return minimality(sorted(REQUESTS.glob("*.jsonl")))


def minimality(logs: list[Path]) -> int:
    """Weigh the deploy policy's actions against what its user was granted in ``logs``."""
    sys.path.insert(0, str(ROOT / "tools" / "dev"))
    import iam_minimality  # tools/dev: evaluates with the emulator's own IAM evaluation

    grants = iam_minimality.granted(iam_minimality.read_logs(logs), f"*:user/{DEPLOY_USER}")
    print(f"\niam minimality: {len(grants)} distinct authorizations granted to {DEPLOY_USER} in "
          f"{', '.join(log.stem for log in logs) or 'no log'}")
    if not grants:
        print(f"iam minimality: nothing to weigh: no request of {DEPLOY_USER} was recorded (killsweep runs as the "
              "administrator; the other scenarios do too with STRATA_MOLECULE_SCOPED=0)")
        return 0
    policies = REQUESTS / "iam"
    subprocess.run([sys.executable, str(ROOT / "tools" / "dev" / "iam_policies.py"), "--project", PROJECT,
                    "--out", str(policies)], check=True, cwd=ROOT)
    policy_file = policies / f"{PROJECT}-deploy.json"
    findings = iam_minimality.report(json.loads(policy_file.read_text(encoding="utf-8")), grants)
    (REQUESTS / "minimality.json").write_text(json.dumps(findings, indent=2) + "\n", encoding="utf-8")
    print("\n".join(iam_minimality.lines(findings, f"iam/strata-deploy.json (as {policy_file.name})")))
    return 1 if findings["refused_by_policy"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
