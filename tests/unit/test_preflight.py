"""Bad input is refused before any AWS call, naming the variable, the value and what was expected.

The playbook runs for real against an endpoint where nothing listens: a run that got as
far as an AWS call would fail differently (the account could not be identified).
"""
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


def run_deploy(*extra: str, check: bool = False) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / "playbooks" / "deploy.yml"),
            "-i", str(ROOT / "inventories" / "local"), *extra]
    if check:
        args.append("--check")
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.parametrize(
    ("extra_vars", "expected"),
    [
        ("project_name=My_Site", "project_name is 'My_Site': expected 3 to 30 lowercase letters"),
        ("project_name=", "project_name is '': expected 3 to 30 lowercase letters"),
        ("project_name=ab", "project_name is 'ab': expected 3 to 30"),
        ("project_name=" + "a" * 31, "expected 3 to 30"),
        ("project_name=xn--site", "not starting with 'xn--' or 'sthree-'"),
        ("env=Prod", "env is 'Prod': expected 2 to 16 lowercase letters"),
        ("env=dev_1", "env is 'dev_1'"),
        ("aws_region=moon-east-1", "aws_region is 'moon-east-1': expected an AWS region name"),
        ("aws_region=", "aws_region is '': expected an AWS region name"),
        ("aws_endpoint_url=ftp://x", "aws_endpoint_url is 'ftp://x': expected empty (real AWS) or a URL"),
        # The later roles' variables: checked by the preflight too, before bootstrap applies anything.
        ("stateless_log_retention_days=-5", "stateless_log_retention_days is '-5': expected a retention CloudWatch Logs accepts"),
        ("stateful_logs_expiration_days=-1", "stateful_logs_expiration_days is '-1': expected a whole number of days, at least 1"),
        ("stateful_logs_expiration_days=1.5", "argument 'stateful_logs_expiration_days' is of type str and we were unable to"),
        ("stateful_price_class=Cheap", "value of stateful_price_class must be one of: PriceClass_100"),
        ("backup_s3_concurrency=0", "backup_s3_concurrency is '0': expected at least 1 transfer at a time"),
        ("stateless_alarm_email=not-mail", "stateless_alarm_email is 'not-mail': expected empty (no notifications) or an e-mail"),
        ("restore_mode=sometimes", "value of restore_mode must be one of: missing, overwrite, got: sometimes"),
        # The backup vault's settings.
        ("backup_vault=maybe", "argument 'backup_vault' is of type str and we were unable to convert to bool"),
        ("backup_vault_bucket=Backups_Here", "backup_vault_bucket is 'Backups_Here': expected empty"),
        ("backup_vault_object_lock_days=-1", "backup_vault_object_lock_days is '-1': expected a whole number of days"),
        ("backup_vault_object_lock_days=30 backup_vault_expiration_days=7",
         "backup_vault_expiration_days is '7': expected a whole number of days, at least 1 and more than "
         "backup_vault_object_lock_days (30)"),
        ("restore_source=tape", "value of restore_source must be one of: , vault, local, got: tape"),
    ],
)
def test_invalid_input_fails_before_any_aws_call(extra_vars, expected):
    result = run_deploy("-e", extra_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert expected in output, output[-3000:]
    assert "Ask STS who we are" not in result.stdout, "an AWS call was attempted"


def test_a_missing_required_variable_is_named():
    result = run_deploy("-e", "@" + str(ROOT / "tests" / "unit" / "data" / "no_project_name.yml"))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "project_name is '': expected 3 to 30" in output and "Ask STS who we are" not in result.stdout


def test_valid_input_gets_as_far_as_aws_and_explains_the_missing_emulator():
    result = run_deploy()
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Cannot reach AWS as local" in output and "make emulator-start" in output, output[-3000:]
