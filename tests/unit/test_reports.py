"""Every playbook returns its outcome with set_stats and writes the same as reports/<playbook>.json,
also when a guard refuses it. Runs a real teardown of a protected environment against the
in-process emulator: the preflight passes (STS answers), the confirmation is missing, and
the refusal is reported before anything is touched.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_refused_teardown_reports_the_refusal(emulator_endpoint, tmp_path):
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": emulator_endpoint,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_SHOW_CUSTOM_STATS": "1",
        # The default callback prints the stats on one line: JSON reads back, YAML would not.
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / "playbooks" / "teardown.yml"),
            "-i", str(ROOT / "inventories" / "local"),
            "-e", json.dumps({"env": "prod", "strata_work_root": str(tmp_path), "confirm_teardown": ""})]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "prod is a protected environment" in output, output[-3000:]
    assert "Backup | Read what is deployed" not in output, "the teardown went on after the refusal"

    report = json.loads((tmp_path / "strata-prod" / "reports" / "teardown.json").read_text())
    assert report["playbook"] == "teardown" and report["env"] == "prod" and report["outcome"] == "refused"
    assert "Confirm with -e confirm_teardown=prod. Nothing was changed." in report["message"]
    assert report["report_file"] == str(tmp_path / "strata-prod" / "reports" / "teardown.json")
    assert len(report["account"]) == 12
    # The same document is the job's stats (ANSIBLE_SHOW_CUSTOM_STATS prints them after the recap).
    stats = json.loads(result.stdout[result.stdout.index("CUSTOM STATS"):].split("RUN:", 1)[1])
    assert stats == {"strata_teardown": {"prod": report}}
