"""tools/dev/interrupt_run.py: an interruption reaches every process of the tree, even those
that started sessions of their own, and an interruption that did not happen fails."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "dev" / "interrupt_run.py"


def _script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "tree.sh"
    script.write_text("#!/bin/bash\n" + body)
    script.chmod(0o755)
    return script


def _sleepers(tag: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", f"sleep {tag}"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_the_whole_tree_dies_including_a_child_in_its_own_session(tmp_path):
    tag = f"{os.getpid() % 1000 + 3000}.5"
    script = _script(tmp_path, f"setsid sleep {tag} &\nsleep {tag} &\necho ready\nwait\n")
    result = subprocess.run([sys.executable, str(TOOL), "--after", "ready", "--delay", "0.3",
                             "--require", "sleep", "--", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent SIGKILL to" in result.stdout
    time.sleep(0.2)
    assert _sleepers(tag) == []


def test_a_command_that_ends_before_the_marker_is_a_failed_interruption(tmp_path):
    script = _script(tmp_path, "echo done\n")
    result = subprocess.run([sys.executable, str(TOOL), "--after", "never", "--", str(script)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "before a line matched" in result.stdout


def test_a_required_process_that_was_not_running_fails(tmp_path):
    script = _script(tmp_path, "echo ready\nsleep 5\n")
    result = subprocess.run([sys.executable, str(TOOL), "--after", "ready", "--require", "terraform", "--",
                             str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no process named 'terraform'" in result.stdout


def test_until_waits_for_the_check_before_the_signal(tmp_path):
    # The tree writes a marker file 1 s after its line; the signal must come after the file exists.
    marker = tmp_path / "held"
    script = _script(tmp_path, f"echo ready\nsleep 1\ntouch {marker}\nsleep 30\n")
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(TOOL), "--after", "ready", "--until", f"test -e {marker}",
                             "--require", "sleep", "--", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert marker.exists() and time.monotonic() - started >= 1.0
    assert "sent SIGKILL to" in result.stdout


def test_until_that_never_succeeds_before_the_command_ends_fails(tmp_path):
    script = _script(tmp_path, "echo ready\nsleep 1\n")
    result = subprocess.run([sys.executable, str(TOOL), "--after", "ready", "--until", "false", "--",
                             str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "before 'false' succeeded" in result.stdout
