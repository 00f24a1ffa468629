"""A state bucket that exists but holds no strata bootstrap state is not adopted.

A real deploy against the in-process emulator: the bucket is made first with an object of
its own, the run stops before Terraform starts, says what to do, and the bucket keeps
exactly what it held.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_bucket_strata_does_not_manage_is_refused_and_left_alone(emulator_endpoint, aws_session, tmp_path):
    s3 = aws_session.client("s3")
    bucket = f"foreign-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="theirs.txt", Body=b"not strata's")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": emulator_endpoint,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / "playbooks" / "deploy.yml"),
            "-i", str(ROOT / "inventories" / "local"),
            "-e", json.dumps({"strata_state_bucket": bucket, "strata_work_root": str(tmp_path)})]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"The state bucket '{bucket}' already exists in account" in output, output[-3000:]
    assert "so strata does not manage it" in output and "-e strata_state_bucket=<name>" in output
    assert "Run Terraform" not in result.stdout, "Terraform ran after the refusal"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["theirs.txt"]
    assert s3.get_object(Bucket=bucket, Key="theirs.txt")["Body"].read() == b"not strata's"
    assert not list(tmp_path.glob("*/bootstrap/terraform.tfstate"))
