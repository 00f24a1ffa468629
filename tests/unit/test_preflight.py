"""Bad input is refused before any AWS call, naming the variable, the value and what was expected.

The playbook runs for real against an endpoint where nothing listens: a run that got as
far as an AWS call would fail differently (the account could not be identified).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from ansible_adhoc import run_module
from playbook_run import run_playbook

ROOT = Path(__file__).resolve().parents[2]


def run_deploy(*extra: str, check: bool = False, result_format: str = "yaml", endpoint: str = ""):
    return run_playbook("deploy.yml", *extra, check=check, endpoint=endpoint,
                        environ={"ANSIBLE_CALLBACK_RESULT_FORMAT": result_format})


@pytest.mark.parametrize(
    ("extra_vars", "expected"),
    [
        ("project_name=My_Site", "project_name is 'My_Site': expected 3 to 30 lowercase letters"),
        ("project_name=", "project_name is '': expected 3 to 30 lowercase letters"),
        ("project_name=ab", "project_name is 'ab': expected 3 to 30"),
        ("project_name=" + "a" * 31, "expected 3 to 30"),
        ("project_name=xn--site", "not starting with 'xn--' or 'sthree-'"),
        ("env=Prod", "env is 'Prod': expected 2 to 16 lowercase letters"),
        ('{"aws_extra_environment": {"aws_profile": "x"}}', "aws_extra_environment has keys ['aws_profile']: expected environment variable names"),
        ("env=dev_1", "env is 'dev_1'"),
        ("aws_region=moon-east-1", "aws_region is 'moon-east-1': expected an AWS region name"),
        ("aws_region=", "aws_region is '': expected an AWS region name"),
        ("aws_endpoint_url=ftp://x", "aws_endpoint_url is 'ftp://x': expected empty (real AWS) or a URL"),
        # The later roles' variables: checked by validate_inventory too, before bootstrap applies anything.
        ("stateless_log_retention_days=-5", "stateless_log_retention_days is '-5': expected a retention CloudWatch Logs accepts: 1, 3, 5,"),
        ("stateful_logs_expiration_days=-1",
         "stateful_logs_expiration_days is '-1': expected a whole number of days, at least 1. Nothing was changed."),
        ("stateful_logs_expiration_days=1.5", "argument 'stateful_logs_expiration_days' is of type str and we were unable to"),
        ("plan_bundle=plans/none-such", "/plans/none-such): expected a plan bundle directory written by playbooks/plan.yml"),
        ("stateful_price_class=Cheap", "value of stateful_price_class must be one of: PriceClass_100"),
        ("backup_s3_concurrency=0", "backup_s3_concurrency is '0': expected at least 1 transfer at a time. Nothing was changed."),
        ("stateless_alarm_email=not-mail", "stateless_alarm_email is 'not-mail': expected empty (no notifications) or an e-mail"),
        ("restore_mode=sometimes", "value of restore_mode must be one of: missing, overwrite, got: sometimes"),
        ("budget_alert_email=ops-at-example.com",
         "budget_alert_email is 'ops-at-example.com': expected empty (no budget) or an e-mail address such as ops@example.com"),
        ("budget_limit_usd=0", "budget_limit_usd is '0': expected an amount in USD above 0, such as 10 or 25.50. Nothing was changed."),
        ("budget_alert_threshold_percent=1500", "budget_alert_threshold_percent is '1500': expected a percentage of budget_limit_usd"),
        ("remove_lock_table=maybe", "argument 'remove_lock_table' is of type str and we were unable to convert to bool"),
        ("remove_lock_table=true", "remove_lock_table is true but strata_state_lock_mode is 'both': the lock table is removed only"
         " with lock mode lockfile (dynamodb and both lock with it). Add -e strata_state_lock_mode=lockfile, or leave"
         " remove_lock_table out. Nothing was changed."),
        # The backup vault's settings.
        ("backup_vault=maybe", "argument 'backup_vault' is of type str and we were unable to convert to bool"),
        ("backup_vault_bucket=Backups_Here", "backup_vault_bucket is 'Backups_Here': expected empty (derived: strata-backups-<account id>)"),
        ("backup_vault_bucket=a..b", "backup_vault_bucket is 'a..b': expected empty"),
        ("strata_state_bucket=10.0.0.1", "strata_state_bucket is '10.0.0.1': expected empty (derived: strata-tfstate-<account id>) or a"
         " valid S3 bucket name"),
        ("strata_state_lock_table=x", "strata_state_lock_table is 'x': expected empty (strata-tfstate-lock) or a DynamoDB table name"),
        ("strata_state_region=mars-1", "strata_state_region is 'mars-1': expected empty (aws_region) or an AWS region name"),
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


def test_a_python_without_boto3_is_named_with_the_fix(tmp_path):
    # A real interpreter without boto3: a bare virtual environment of the same Python.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    bare = tmp_path / "bare" / "bin" / "python"
    assert subprocess.run([str(bare), "-c", "import boto3"], capture_output=True, check=False).returncode != 0
    result = run_deploy("-e", f"ansible_python_interpreter={bare}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"boto3 is not importable from {bare}" in output, output[-3000:]
    assert "run make setup and use .venv/bin/ansible-playbook" in output
    assert "Cannot reach AWS" not in output


# Variables a run gives with -e, or an Automation Controller / AWX survey: checked by the
# preflight before any AWS call, with the variable, the value and what was expected. The
# check loops over every variable, so one run names each bad one.
SURVEY_CASES = {
    "layer": ("network", "layer is 'network': expected one of bootstrap, stateful, stateless"),
    "teardown_bootstrap": ("maybe", "teardown_bootstrap is 'maybe': expected true or false (empty means false)"),
    "confirm_teardown": ("Prod!", "confirm_teardown is 'Prod!': expected empty or the name of the environment"),
    "confirm_replace": ("prod;", "confirm_replace is 'prod;': expected empty or the name of the protected environment"),
    "confirm_rollback": ("a b", "confirm_rollback is 'a b': expected empty or the name of the environment"),
    "confirm_unlock": ("x;y", "confirm_unlock is 'x;y': expected empty (show the locks) or the IDs of the locks to release, separated by commas"),
    "state_version": ("v 1", "state_version is 'v 1': expected empty (list the versions) or an S3 version ID"),
    "allow_replace": ("aws_s3_bucket.site;rm", "allow_replace is 'aws_s3_bucket.site;rm': expected empty or Terraform resource addresses"),
    "restore_from": ("a\nb", "restore_from is 'a\\nb': expected empty (the latest complete backup) or a backup's name"),
    "restore_from_env": ("../dev", "restore_from_env is '../dev': expected empty (this environment)"),
    "restore_into": ("PROD", "restore_into is 'PROD': expected empty or this environment's name"),
    "backup_max_age_hours": ("-3", "backup_max_age_hours is '-3': expected a number of hours above 0 (empty means 24)"),
    "backup_root": (" ", "backup_root is ' ': expected empty (backups/ in the project) or a directory path"),
}


def test_invalid_run_and_survey_variables_fail_before_any_aws_call():
    result = run_deploy("-e", json.dumps({name: value for name, (value, _) in SURVEY_CASES.items()}), result_format="json")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for name, (_, expected) in SURVEY_CASES.items():
        assert expected in output, (name, output[-4000:])
    assert "Ask STS who we are" not in result.stdout, "an AWS call was attempted"


def test_a_number_of_hours_must_be_a_number():
    result = run_deploy("-e", "backup_max_age_hours=soon", result_format="json")
    assert "backup_max_age_hours is 'soon': expected a number of hours above 0" in result.stdout + result.stderr
    assert "Ask STS who we are" not in result.stdout


def test_unanswered_survey_questions_are_not_given():
    """An AWX survey sends '' for every optional question left unanswered: none of them is an error."""
    empty = {name: "" for name in (
        "layer", "teardown_bootstrap", "confirm_teardown", "confirm_replace", "confirm_rollback", "confirm_unlock", "state_version",
        "allow_replace", "restore_from", "restore_from_env", "restore_into", "backup_max_age_hours", "backup_root")}
    result = run_deploy("-e", json.dumps(empty))
    output = result.stdout + result.stderr
    assert "Cannot reach AWS as local" in output, output[-3000:]
    assert "Ask STS who we are" in result.stdout


def test_valid_run_variables_pass_the_preflight():
    given = {"layer": "stateful", "teardown_bootstrap": "yes", "confirm_teardown": "prod", "confirm_replace": "prod",
             "confirm_unlock":
             "da3ab4d5-bb38-2e42-cfee-5786b2850ea9,unreadable", "state_version": "6ac1cc86-bcb9-4671-ad8a-6ebb5571c62d",
             "allow_replace": "aws_dynamodb_table.visits,module.site_bucket.aws_s3_bucket.this",
             "restore_from": "20261123T170234Z", "restore_from_env": "dev", "restore_into": "local",
             "backup_max_age_hours": 12.5}
    result = run_deploy("-e", json.dumps(given))
    output = result.stdout + result.stderr
    assert "Cannot reach AWS as local" in output, output[-3000:]


def test_an_automation_controller_job_needs_backups_that_outlive_it():
    result = run_deploy("-e", json.dumps({"awx_job_id": 42, "backup_root": ""}), result_format="json")
    output = result.stdout + result.stderr
    assert "backup_root is '' in Automation Controller / AWX job 42: expected the path of storage that outlives" in output, output[-3000:]
    assert "Ask STS who we are" not in result.stdout
    result = run_deploy("-e", json.dumps({"awx_job_id": 42, "backup_root": "/mnt/strata-backups"}), result_format="json")
    assert "Cannot reach AWS as local" in result.stdout + result.stderr
    # The backup vault is the off-host copy: with it on, the job's own disk may go.
    result = run_deploy("-e", json.dumps({"awx_job_id": 42, "backup_root": "", "backup_vault": True}), result_format="json")
    assert "Cannot reach AWS as local" in result.stdout + result.stderr


def test_the_backup_vault_is_not_the_state_bucket(emulator_endpoint, tmp_path):
    """Both names are valid alone; once the account is known, the same bucket for both is refused."""
    given = {"strata_state_bucket": "strata-shared-bucket", "backup_vault_bucket": "strata-shared-bucket",
             "strata_work_root": str(tmp_path)}
    result = run_deploy("-e", json.dumps(given), endpoint=emulator_endpoint)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Ask STS who we are" in result.stdout
    assert ("backup_vault_bucket is 'strata-shared-bucket': expected a bucket other than the state bucket "
            "(strata-shared-bucket, strata_state_bucket). Nothing was changed.") in output, output[-3000:]
    assert "Run Terraform" not in output


@pytest.mark.parametrize(("extra_vars", "expected"), [
    ({"plan_bundle": "s3://My_Bucket/plans"}, "plan_bundle is 's3://My_Bucket/plans': expected s3://<bucket>/<prefix>"),
    ({"plan_bundle": "s3://my-bucket"}, "plan_bundle is 's3://my-bucket': expected s3://<bucket>/<prefix>"),
    ({"plan_bundle": "s3://my-bucket/plans/../x"}, "plan_bundle is 's3://my-bucket/plans/../x': expected s3://"),
    ({"plan_bundle_expire_days": 0}, "plan_bundle_expire_days is '0': expected a whole number of days, at least 1"),
    ({"strata_kms_key": "my key"}, "strata_kms_key is 'my key': expected empty (SSE-S3) or a KMS key id"),
])
def test_a_bad_bundle_in_s3_is_refused_before_any_aws_call(extra_vars, expected):
    result = run_deploy("-e", json.dumps(extra_vars), result_format="json")
    output = result.stdout + result.stderr
    assert expected in output and "Nothing was changed." in output, output[-3000:]
    assert "Ask STS who we are" not in result.stdout


PREFLIGHT_ONLY = """\
- name: Preflight only
  hosts: all
  gather_facts: false
  roles:
    - role: validate_inventory
    - role: preflight
  tasks:
    - name: Write down the bundle
      ansible.builtin.copy:
        content: "{{ strata_plan_bundle | to_json }}"
        dest: "{{ bundle_out }}"
        mode: "0600"
"""


def _preflight(tmp_path, endpoint, given):
    playbook = tmp_path / "preflight.yml"
    playbook.write_text(PREFLIGHT_ONLY)
    out = tmp_path / "bundle.json"
    out.unlink(missing_ok=True)
    given = dict({"strata_work_root": str(tmp_path / "work"), "backup_root": str(tmp_path / "backups"),
                  "bundle_out": str(out)}, **given)
    result = run_playbook(playbook, "-e", json.dumps(given), endpoint=endpoint,
                          environ={"ANSIBLE_ROLES_PATH": str(ROOT / "roles")}, timeout=300)
    return result, json.loads(out.read_text()) if out.exists() else None


def test_a_controller_job_plans_into_the_state_bucket_and_applies_from_s3(emulator_endpoint, tmp_path):
    """Under a simulated controller job (awx_job_id) plan.yml's bundle defaults to the state
    bucket's plans/<env>/<job id>, in a private temporary directory meanwhile; deploy.yml given
    that URL downloads the bundle and checks it before anything, and refuses it once a byte of
    a plan file in S3 changed."""
    s3 = boto3.client("s3", endpoint_url=emulator_endpoint, region_name="us-east-1")
    account = boto3.client("sts", endpoint_url=emulator_endpoint, region_name="us-east-1").get_caller_identity()["Account"]
    bucket = f"strata-tfstate-{account}"
    s3.create_bucket(Bucket=bucket)
    try:
        _plan_and_apply_through_s3(tmp_path, emulator_endpoint, s3, account, bucket)
    finally:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)


def _plan_and_apply_through_s3(tmp_path, emulator_endpoint, s3, account, bucket):
    url = f"s3://{bucket}/plans/local/4242"

    result, bundle = _preflight(tmp_path, emulator_endpoint, {"awx_job_id": 4242, "preflight_plan_bundle": "write"})
    assert bundle is not None, (result.stdout + result.stderr)[-3000:]
    assert bundle["mode"] == "plan" and bundle["name"] == url, bundle
    assert bundle["s3"] == {"url": url, "bucket": bucket, "prefix": "plans/local/4242", "kms_key": "", "expire_days": 7}
    assert os.stat(bundle["path"]).st_mode & 0o777 == 0o700
    assert not Path(bundle["path"]).is_relative_to(ROOT)

    # The plans made there, then the bundle copied to S3 as plan.yml does.
    plan = Path(bundle["path"]) / "stateful.tfplan"
    plan.write_bytes(b"PK\x03\x04 a saved plan" * 50)
    record = {"layer": "stateful", "status": "planned", "predecessor": "bootstrap", "plan_file": str(plan), "serial": 1,
              "lineage": "l", "inputs_sha256": "0" * 64, "changes": True, "summary": {"change": 1}}
    written = run_module(tmp_path, "strata.deploy.plan_bundle", {
        "path": bundle["path"], "state": "present", "env": "local", "account_id": account, "layers": [record]})
    assert not written.get("failed"), written
    sent = run_module(tmp_path, "strata.aws.plan_bundle_s3", {
        "path": bundle["path"], "bucket": bucket, "prefix": "plans/local/4242", "state": "present"})
    assert sent["changed"] is True, sent

    # The prefix is used now: a second plan into it is refused before anything is planned.
    again, _bundle = _preflight(tmp_path, emulator_endpoint, {"awx_job_id": 4242, "preflight_plan_bundle": "write"})
    assert again.returncode != 0 and f"{url}/ already holds a plan bundle" in again.stdout, again.stdout[-3000:]

    # The apply job: the bundle downloaded into a private directory and checked.
    result, applied = _preflight(tmp_path, emulator_endpoint, {"awx_job_id": 4243, "plan_bundle": url})
    assert applied is not None, (result.stdout + result.stderr)[-3000:]
    assert applied["mode"] == "apply" and applied["name"] == url and applied["manifest"]["env"] == "local"
    assert (Path(applied["path"]) / "stateful.tfplan").read_bytes() == b"PK\x03\x04 a saved plan" * 50
    assert os.stat(applied["path"]).st_mode & 0o777 == 0o700

    body = bytearray(s3.get_object(Bucket=bucket, Key="plans/local/4242/stateful.tfplan")["Body"].read())
    body[-1] ^= 0x20
    s3.put_object(Bucket=bucket, Key="plans/local/4242/stateful.tfplan", Body=bytes(body))
    refused, _bundle = _preflight(tmp_path, emulator_endpoint, {"plan_bundle": url})
    assert refused.returncode != 0
    assert (f"Refusing plan_bundle '{url}': the plan file of the stateful layer (stateful.tfplan) was altered since it "
            "was reviewed") in refused.stdout, refused.stdout[-3000:]
    assert "nothing was applied. Plan again with playbooks/plan.yml" in refused.stdout
    # The private directories are the playbooks' to remove (plan.yml and deploy.yml do at their end).
    for private in (bundle["path"], applied["path"]):
        shutil.rmtree(private)
