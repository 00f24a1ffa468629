# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""meta/runtime.yml against the emulator: module_defaults for group/strata.aws.aws reach the
AWS modules (the old name dynamodb_export too), and dynamodb_export runs dynamodb_backup
with a deprecation warning."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_adhoc import REPO


def run_playbook(workdir: Path, play: dict) -> subprocess.CompletedProcess:
    (workdir / "ansible.cfg").write_text("[defaults]\n")
    (workdir / "play.yml").write_text(yaml.safe_dump([play]))
    env = {
        # No AWS_ENDPOINT_URL nor region: only module_defaults can point the modules at the emulator.
        **{k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION")},
        "ANSIBLE_CONFIG": str(workdir / "ansible.cfg"),
        "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", "-c", "local", "play.yml"]
    return subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True, timeout=180, check=False)


def test_group_module_defaults_and_the_old_name(stack, tmp_path, emulator_endpoint):
    dest = tmp_path / "backup"
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/strata.aws.aws": {"region": "us-east-1", "endpoint_url": emulator_endpoint, "retries": 2}},
        "tasks": [
            {"name": "seed", "strata.aws.dynamodb_seed": {"table": stack["table"], "items": [{"stat": "s0"}]},
             "register": "seeded"},
            {"name": "old name", "strata.aws.dynamodb_export": {"table": stack["table"], "dest": str(dest)},
             "register": "exported"},
            {"name": "show", "ansible.builtin.debug": {"msg": "RESULT {{ {'seeded': seeded, 'exported': exported} | to_json }}"}},
        ],
    }
    proc = run_playbook(tmp_path, play)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "strata.aws.dynamodb_export has been deprecated" in output
    assert "renamed strata.aws.dynamodb_backup" in output
    line = next(line for line in proc.stdout.splitlines() if '"msg": "RESULT ' in line)
    results = json.loads(json.loads("{" + line.strip() + "}")["msg"][len("RESULT "):])
    assert (results["seeded"]["written"], results["seeded"]["present"]) == ([], [{"stat": "s0"}])
    assert (results["exported"]["changed"], results["exported"]["item_count"]) == (True, 3)
    assert (dest / "dynamodb" / f"{stack['table']}.jsonl.gz").exists()
