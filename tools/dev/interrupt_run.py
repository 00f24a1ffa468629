"""Run a command, and interrupt it for real once it reaches a given point.

    python tools/dev/interrupt_run.py --after REGEX [--until CHECK] [--delay S] [--signal TERM|KILL]
        [--require NAME] [--log FILE] -- COMMAND...

The command's output is echoed (and written to --log). When a line matches --after, the
script runs CHECK (a command line, split like a shell would, no shell) every 0.2 s until it
exits 0 when --until is given (the point a test needs, such as "a lock is held", whatever
the machine's load), then waits --delay seconds and sends the signal to every process of the command's
tree: the command and all its descendants, found through /proc by parent id, whatever
session or process group they moved to (Ansible's workers start sessions of their own,
so a process-group kill would leave Terraform running). It exits 0 once the tree is
gone and the signalled processes included one whose name contains --require (e.g.
terraform), and 1 when the command ended before the point was reached or nothing of
that name was running: an interruption that did not happen is a failed test.

Linux only (it reads /proc). Used by the molecule scenarios that interrupt teardowns
and deploys, and as a library (signal_tree, wait_gone) by kill_sweep.py.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields after the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant, parents first."""
    children = _children_map()
    tree, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        tree.append(pid)
        queue.extend(children.get(pid, []))
    return tree


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def signal_tree(root: int, sig: int) -> list[tuple[int, str]]:
    """Send ``sig`` to the whole tree at once (stopped first, so none can fork away)."""
    tree = process_tree(root)
    named = [(pid, _name(pid)) for pid in tree]
    for pid in tree:
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            pass
    # Children may have forked between the listing and the stop: list again.
    for pid in process_tree(root):
        if pid not in tree:
            named.append((pid, _name(pid)))
            tree.append(pid)
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
    for pid in tree:
        try:
            os.kill(pid, sig)
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    return named


def wait_gone(named: list[tuple[int, str]], timeout: float = 30.0) -> bool:
    """Wait until every process ``signal_tree`` named is gone (re-parented ones included);
    False when some still run after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid, _ in named):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--after", required=True, help="regular expression of the output line to wait for")
    parser.add_argument("--until", default="", help="after that line, a check command to run until it exits 0")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait after that line (and the check)")
    parser.add_argument("--signal", choices=["TERM", "KILL", "INT"], default="KILL")
    parser.add_argument("--require", default="", help="a process name that must be among those signalled")
    parser.add_argument("--log", help="also write the command's output here")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    marker = re.compile(args.after)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    log = open(args.log, "w", encoding="utf-8") if args.log else None
    reached = threading.Event()

    def pump() -> None:
        for line in proc.stdout:
            sys.stdout.write(line)
            if log:
                log.write(line)
                log.flush()
            if marker.search(line):
                reached.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + args.timeout
    while not reached.is_set() and proc.poll() is None and time.monotonic() < deadline:
        reached.wait(0.2)
    if not reached.is_set():
        if proc.poll() is None:
            signal_tree(proc.pid, signal.SIGKILL)
        print(f"interrupt_run: the command ended (exit {proc.wait()}) before a line matched {args.after!r}")
        return 1
    if args.until:
        check = shlex.split(args.until)
        while subprocess.run(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode != 0:
            if proc.poll() is not None or time.monotonic() >= deadline:
                if proc.poll() is None:
                    signal_tree(proc.pid, signal.SIGKILL)
                print(f"interrupt_run: the command ended (exit {proc.wait()}) before {args.until!r} succeeded")
                return 1
            time.sleep(0.2)
    time.sleep(args.delay)
    if proc.poll() is not None:
        print(f"interrupt_run: the command ended (exit {proc.returncode}) during the {args.delay} s delay")
        return 1
    named = signal_tree(proc.pid, getattr(signal, f"SIG{args.signal}"))
    proc.wait()
    reader.join(timeout=30)
    # Descendants that were re-parented (daemonised) must be gone too.
    wait_gone(named)
    print(f"interrupt_run: sent SIG{args.signal} to {len(named)} processes: "
          + ", ".join(f"{name}[{pid}]" for pid, name in named))
    if args.require and not any(args.require in name for _, name in named):
        print(f"interrupt_run: no process named {args.require!r} was running when the signal was sent")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
