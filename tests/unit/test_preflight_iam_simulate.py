"""The preflight's IAM check (roles/preflight/tasks/iam_simulate.yml) on an emulator enforcing
IAM, run by ansible-playbook as users holding strata's policies: a deploy by the read-only user is
refused at the preflight, naming each denied action, its resource and iam/strata-deploy.json,
before Terraform runs and with nothing created; the deploy user passes the check; a user who may
not simulate goes on with one line saying so."""
from __future__ import annotations

import json
from pathlib import Path

import boto3
from playbook_run import ROOT, run_playbook

from strata_emulator import iam_users

ACCOUNT = "123456789012"
DEPLOY = ROOT / "iam" / "strata-deploy.json"
READONLY = ROOT / "iam" / "strata-readonly.json"
REFUSED = "Refuse a caller whose policies lack what this playbook needs"
NOT_CHECKED = "IAM permissions not checked up front"


def _extra(tmp_path: Path, user: iam_users.UserCredentials) -> str:
    """-e @<file>: the user's keys as aws_extra_environment (a file only its owner reads, never the command line)."""
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"aws_extra_environment": user.environment(), "project_name": "strata",
                                 "strata_work_root": str(tmp_path / "work")}))
    extra.chmod(0o600)
    return f"@{extra}"


def _preflight_only(tmp_path: Path) -> Path:
    """The first play of every playbook, alone: nothing after the preflight runs."""
    playbook = tmp_path / "preflight.yml"
    playbook.write_text("- name: Preflight\n  hosts: all\n  gather_facts: false\n"
                        "  roles: [{role: validate_inventory}, {role: preflight}]\n")
    return playbook


def _said(result) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_a_read_only_user_is_refused_a_deploy_at_the_preflight_and_nothing_is_created(enforcing, tmp_path):
    endpoint = enforcing[0]
    user = iam_users.create_user(endpoint, str(READONLY))
    result = run_playbook("deploy.yml", "-e", _extra(tmp_path, user), endpoint=endpoint)
    said = _said(result)
    assert result.returncode != 0
    assert f"TASK [preflight : {REFUSED}]" in said, said[-3000:]
    assert f"The IAM policies of {user.arn} do not allow" in said
    assert f"s3:CreateBucket on arn:aws:s3:::strata-tfstate-{ACCOUNT}" in said
    assert f"dynamodb:CreateTable on arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/strata-tfstate-lock" in said
    assert "lambda:CreateFunction on arn:aws:lambda:us-east-1" in said
    assert "Nothing was changed. iam/strata-deploy.json grants them: attach that policy to the caller" in said
    assert "make iam PROJECT=<name>" in said
    # No read is denied: the read-only policy grants every one.
    assert "s3:GetObject on" not in said and "dynamodb:DescribeTable on" not in said
    # Refused before Terraform ran: no task of the bootstrap layer, no working copy, nothing in AWS.
    assert "TASK [bootstrap" not in said and "TASK [terraform_layer" not in said
    assert not (tmp_path / "work" / "strata-local" / "bootstrap").exists()

    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id=iam_users.ADMIN_ACCESS_KEY_ID,
                            aws_secret_access_key=iam_users.ADMIN_SECRET_ACCESS_KEY)
    assert f"strata-tfstate-{ACCOUNT}" not in [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
    assert "strata-tfstate-lock" not in client("dynamodb").list_tables()["TableNames"]
    assert user.secret_access_key not in said


def test_the_deploy_user_passes_the_check(enforcing, tmp_path):
    endpoint, log = enforcing
    user = iam_users.create_user(endpoint, str(DEPLOY))
    result = run_playbook(_preflight_only(tmp_path), "-e", _extra(tmp_path, user), endpoint=endpoint)
    said = _said(result)
    assert result.returncode == 0, said[-3000:]
    asked_task = "TASK [preflight : Ask IAM's policy simulator whether the caller may call what this playbook needs]"
    assert said.split(asked_task, 1)[1].lstrip(" *").startswith("ok: [local]"), said[-3000:]
    assert said.split(f"TASK [preflight : {REFUSED}]", 1)[1].lstrip(" *").startswith("skipping: [local]")
    assert NOT_CHECKED not in said
    asked = [json.loads(line) for line in log.read_text().splitlines()]
    simulations = [r for r in asked if r["operation"] == "SimulatePrincipalPolicy" and r["principal"] == user.arn]
    # One or two calls, each allowed on the caller itself.
    assert 1 <= len(simulations) <= 2
    assert all(c == {"action": "iam:SimulatePrincipalPolicy", "resource": user.arn, "decision": "allowed"}
               for r in simulations for c in r["checks"])


def test_a_user_who_may_not_simulate_goes_on_with_one_line(enforcing, tmp_path):
    endpoint = enforcing[0]
    document = json.loads(DEPLOY.read_text())
    document["Statement"] = [s for s in document["Statement"] if "iam:SimulatePrincipalPolicy" not in s["Action"]]
    policy = tmp_path / "no-simulate.json"
    policy.write_text(json.dumps(document))
    user = iam_users.create_user(endpoint, str(policy))
    result = run_playbook(_preflight_only(tmp_path), "-e", _extra(tmp_path, user), endpoint=endpoint)
    said = _said(result)
    assert result.returncode == 0, said[-3000:]
    assert (f"{NOT_CHECKED}: the caller may not call iam:SimulatePrincipalPolicy on it: {user.arn} (AccessDenied); "
            "a refused call is named where it fails.") in said
