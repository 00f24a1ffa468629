# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.report_file, run by the ansible CLI: the file and its directory written in one
step with their modes, nothing written in check mode, an unchanged file reported unchanged, and a
host that is not local, a relative path or bad permissions refused with what was expected."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from ansible_adhoc import REPO, run_module
from ansible_collections.strata.deploy.plugins.action.report_file import write


def mode_of(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_the_file_and_its_directory_and_only_when_it_differs(tmp_path):
    target = tmp_path / "work" / "reports" / "deploy.json"
    content = json.dumps({"playbook": "deploy", "outcome": "ok"}, indent=4) + "\n"
    args = {"path": str(target), "content": content}

    checked = run_module(tmp_path, "strata.deploy.report_file", args, check=True)
    assert checked["changed"] and not target.parent.exists()

    first = run_module(tmp_path, "strata.deploy.report_file", args)
    assert first["changed"] and first["path"] == str(target)
    assert target.read_text() == content
    assert mode_of(target) == 0o640 and mode_of(target.parent) == 0o750
    assert [p.name for p in target.parent.iterdir()] == ["deploy.json"], "a temporary file was left"

    again = run_module(tmp_path, "strata.deploy.report_file", args)
    assert not again["changed"]
    other = run_module(tmp_path, "strata.deploy.report_file", dict(args, content="{}\n", mode="0600"))
    assert other["changed"] and target.read_text() == "{}\n" and mode_of(target) == 0o600


def test_refuses_what_it_cannot_do_with_the_reason(tmp_path):
    relative = run_module(tmp_path, "strata.deploy.report_file", {"path": "reports/r.json", "content": "{}"})
    assert relative["failed"] and "path is 'reports/r.json': expected an absolute path" in relative["msg"]
    bad_mode = run_module(tmp_path, "strata.deploy.report_file",
                          {"path": str(tmp_path / "r.json"), "content": "{}", "mode": "rw-r"})
    assert bad_mode["failed"] and "mode is 'rw-r': expected octal permissions such as 0640" in bad_mode["msg"]
    assert not (tmp_path / "r.json").exists()


def test_a_host_that_is_not_local_is_refused(tmp_path):
    # The plugin reads the host's connection from its variables, as an inventory sets it.
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    far:\n      ansible_connection: ssh\n      ansible_host: 192.0.2.1\n")
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = {**os.environ, "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"), "ANSIBLE_HOME": str(tmp_path / "home"),
           "ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "true",
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}
    proc = subprocess.run([str(Path(sys.executable).with_name("ansible")), "far", "-i", str(inventory),
                           "-m", "strata.deploy.report_file",
                           "-a", json.dumps({"path": str(tmp_path / "r.json"), "content": "{}"})],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["far"]
    assert result["failed"] and "the host's connection is 'ssh': expected 'local'" in result["msg"]
    assert not (tmp_path / "r.json").exists()


def test_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "reports" / "plan.json"
    assert write(str(target), "one\n", 0o640, 0o750, check_mode=False)
    assert not write(str(target), "one\n", 0o640, 0o750, check_mode=False)
    assert write(str(target), "two\n", 0o640, 0o750, check_mode=True) and target.read_text() == "one\n"
