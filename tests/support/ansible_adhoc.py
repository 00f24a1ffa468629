"""Run one module through the ansible CLI, isolated from the project's configuration."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def adhoc_command(workdir: Path, module: str, args: dict, *options: str, environ=None) -> tuple[list[str], dict]:
    """The command line and environment of ``ansible localhost -m module -a args *options`` in
    ``workdir``, with an empty ansible.cfg and ANSIBLE_HOME of its own there and the project's
    collections; its environment is ``environ`` (default: this process's) plus those settings."""
    config = workdir / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = {
        **(os.environ if environ is None else environ),
        "ANSIBLE_CONFIG": str(config),
        "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    command = [
        str(Path(sys.executable).with_name("ansible")), "localhost", "-i", "localhost,", "-c", "local",
        "-m", module, "-a", json.dumps(args), *options,
    ]
    return command, env


def adhoc(workdir: Path, module: str, args: dict, *options: str, environ=None) -> subprocess.CompletedProcess:
    """Run ``ansible localhost -m module -a args *options`` in ``workdir`` (see :func:`adhoc_command`)."""
    command, env = adhoc_command(workdir, module, args, *options, environ=environ)
    return subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True, timeout=120, check=False)


def run_module(workdir: Path, module: str, args: dict, check: bool = False) -> dict:
    """Run ``module`` on localhost with ``args``; return the host's result from the JSON callback."""
    environ = {
        **os.environ,
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "true",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    proc = adhoc(workdir, module, args, *(["--check"] if check else []), environ=environ)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
