"""Run one of strata's playbooks for real, with the project's ansible.cfg, against an endpoint
where nothing listens unless one is given: a run that got as far as AWS fails differently from
one refused before any call."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    """A local port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_playbook(playbook: str | Path, *extra: str, inventory: str = "local", endpoint: str = "",
                 check: bool = False, environ: dict | None = None,
                 timeout: int = 180) -> subprocess.CompletedProcess:
    """``ansible-playbook playbook -i inventories/<inventory> *extra`` (``--check`` when asked);
    ``playbook`` is a path or a name under playbooks/; ``environ`` adds to this process's
    environment."""
    path = Path(playbook) if Path(playbook).is_absolute() else ROOT / "playbooks" / playbook
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint or f"http://127.0.0.1:{closed_port()}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(environ or {}),
    }
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(path), "-i", str(ROOT / "inventories" / inventory),
            *extra]
    if check:
        args.append("--check")
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
