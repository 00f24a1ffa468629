"""playbooks/counter.yml refuses bad input before any AWS call, naming the variable, the value
and what was expected. Run for real against an endpoint where nothing listens (a run that got as
far as AWS would fail differently). The counter on a real deployment: molecule day2 (counter.yml)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_counter(inventory: str, *extra: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / "playbooks" / "counter.yml"),
            "-i", str(ROOT / "inventories" / inventory), *extra]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.parametrize(
    ("inventory", "extra_vars", "expected"),
    [
        ("local", ["counter_action=add"], "value of counter_action must be one of: read, set, reset, got: add"),
        ("local", ["counter_action=set", "counter_value=ten"], "counter_value is 'ten': expected a whole number, 0 or more"),
        ("local", ["counter_action=set"], "counter_action is set: expected -e counter_value=<a whole number, 0 or more>"),
        # An unanswered survey question ('') is not a value: set still needs one.
        ("local", ["counter_action=set", "counter_value="], "counter_action is set: expected -e counter_value=<a whole number, 0 or more>"),
        ("local", ["counter_action=reset", "counter_value=3"],
         "counter_value is 3 but counter_action is reset: expected counter_value only with -e counter_action=set"),
        ("prod", ["counter_action=reset", "confirm_counter=dev"],
         "prod is a protected environment (prod): to reset its counter, confirm with -e confirm_counter=prod (got dev)"),
    ],
)
def test_bad_input_is_refused_before_any_aws_call(inventory, extra_vars, expected):
    result = run_counter(inventory, *[arg for value in extra_vars for arg in ("-e", value)])
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert expected in output, output[-3000:]
    assert "Ask STS who we are" not in result.stdout, "an AWS call was attempted"


def test_an_unanswered_counter_value_is_not_given():
    """A survey's '' for counter_value with the default read passes the checks and goes as far as AWS."""
    result = run_counter("local", "-e", "counter_value=")
    assert "Ask STS who we are" in result.stdout, (result.stdout + result.stderr)[-3000:]
