# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy terraform_jobs: which Terraform commands each job runs, with a recording stand-in for Terraform."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import terraform_jobs as jobs
from ansible_collections.strata.deploy.plugins.module_utils import terraform_workdir as wd
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import Runner, TerraformError

NOOP_PLAN = {"resource_changes": [{"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket",
                                   "change": {"actions": ["no-op"], "before": {"bucket": "b"}}}],
             "prior_state": {"values": {"root_module": {"resources": [
                 {"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket", "values": {"bucket": "b"}}]}}},
             "planned_values": {"outputs": {"site_bucket_id": {"value": "b"}}}}
CREATE_PLAN = {"resource_changes": [{"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket",
                                     "change": {"actions": ["create"], "before": None}}],
               "planned_values": {"outputs": {}}}
DRIFT_PLAN = {"resource_drift": [{"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket",
                                  "change": {"actions": ["update"], "before": {"bucket": "b", "tags": {}},
                                             "after": {"bucket": "b", "tags": {"owner": "someone"}}}}],
              "prior_state": NOOP_PLAN["prior_state"],
              "planned_values": {"outputs": {"site_bucket_id": {"value": "b"}}}}
RAW = {"version": 4, "serial": 3, "outputs": {"site_bucket_id": {"value": "b", "type": "string"}},
       "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "site", "instances": [{"attributes": {"bucket": "b"}}]},
                     {"mode": "data", "type": "aws_iam_policy_document", "name": "x", "instances": [{"attributes": {}}]}]}
AFTER = {"values": {"outputs": {"site_bucket_id": {"value": "b"}}, "root_module": {"resources": [
    {"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket", "values": {"bucket": "b"}}]}}}


class FakeTerraform:
    """Answers like Terraform: ``plan`` exits 2 when ``plan_json`` changes something. Records
    each command's first word in ``calls`` and its whole argv in ``argvs``."""

    def __init__(self, work_dir, plan_json, state_json=None, fail=None):
        self.work_dir, self.plan_json, self.fail = work_dir, plan_json, fail
        self.state_json = AFTER if state_json is None else state_json
        self.calls = []
        self.argvs = []

    def __call__(self, argv, cwd=None):
        assert cwd == str(self.work_dir)
        command = argv[1]
        self.calls.append(command)
        self.argvs.append(argv)
        if self.fail and command == self.fail[0]:
            return self.fail[1], "", self.fail[2]
        if command == "init":
            os.makedirs(os.path.join(self.work_dir, ".terraform"), exist_ok=True)
            return 0, "", ""
        if command == "plan":
            open(os.path.join(self.work_dir, wd.PLAN_FILE), "w").close()
            changes = any(c["change"]["actions"] != ["no-op"] for c in self.plan_json.get("resource_changes", []))
            return (2 if changes else 0), "", ""
        if command == "show":
            return 0, json.dumps(self.plan_json if argv[-1] == wd.PLAN_FILE else self.state_json), ""
        if command == "state":
            return 0, json.dumps(RAW), ""
        return 0, "", ""

    def argv(self, command):
        return next(argv for argv in self.argvs if argv[1] == command)


def run(job, fake, work, *args, files=None, **kwargs):
    """What a module does: bring the working copy up to date and init it when needed, then one job."""
    tf = Runner(fake, "terraform", str(work), "stateful", 300)
    return dict(jobs.start(tf, files=files), **job(tf, *args, **kwargs))


def test_first_run_inits_then_a_noop_run_only_plans_and_shows(work):
    fake = FakeTerraform(work, NOOP_PLAN)
    first = run(jobs.apply, fake, work)
    # A plan that changes nothing is not shown as JSON: the raw state (state pull) is read instead.
    assert fake.calls == ["init", "plan", "state"]
    assert first["changed"] is False and first["initialised"] is True
    assert first["outputs"] == {"site_bucket_id": "b"}
    assert first["resources"] == [{"address": "aws_s3_bucket.site", "type": "aws_s3_bucket", "name": "b"}]
    assert first["commands"] == ["init", "plan", "state"]
    fake.calls.clear()
    second = run(jobs.apply, fake, work)
    assert fake.calls == ["plan", "state"]
    assert second["initialised"] is False and second["planned_ahead"] is False
    assert not (work / wd.PLAN_FILE).exists()


def test_changes_are_applied_from_the_saved_plan_and_the_plan_file_removed(work):
    fake = FakeTerraform(work, CREATE_PLAN)
    result = run(jobs.apply, fake, work)
    assert fake.calls == ["init", "plan", "show", "apply", "state"]
    assert result["changed"] and result["applied"] and result["action"] == "apply"
    assert fake.argv("apply")[-1] == wd.PLAN_FILE and f"-out={wd.PLAN_FILE}" in fake.argv("plan")
    assert result["summary"]["add"] == 1
    assert result["outputs"] == {"site_bucket_id": "b"}
    assert not (work / wd.PLAN_FILE).exists()
    assert result["line"].startswith("stateful: apply 1 to add, 0 to change, 0 to destroy (")


def test_check_mode_plans_and_reports_without_applying(work):
    fake = FakeTerraform(work, CREATE_PLAN)
    result = run(jobs.apply, fake, work, check_mode=True)
    assert "apply" not in fake.calls
    assert result["changed"] and not result["applied"] and result["action"] == "plan"


def test_targets_limit_the_plan(work):
    fake = FakeTerraform(work, CREATE_PLAN)
    run(jobs.apply, fake, work, targets=["aws_s3_bucket.site", "module.x"])
    plan = fake.argv("plan")
    assert plan[-2:] == ["-target=aws_s3_bucket.site", "-target=module.x"] and "-destroy" not in plan


def test_read_only_shows_the_state(work):
    fake = FakeTerraform(work, NOOP_PLAN)
    result = run(jobs.read, fake, work)
    assert fake.calls == ["init", "state"]
    assert result["summary"]["prior_resources"] == 1 and result["changed"] is False
    assert result["outputs"] == {"site_bucket_id": "b"} and result["action"] == "read"
    assert result["line"].startswith("stateful: read 0 to add, 0 to change, 0 to destroy (")


def test_drift_runs_a_refresh_only_plan_and_names_what_changed(work):
    fake = FakeTerraform(work, DRIFT_PLAN)
    result = run(jobs.drift, fake, work)
    assert fake.calls == ["init", "plan", "show"]
    assert "-refresh-only" in fake.argv("plan") and "apply" not in fake.calls
    assert result["drift"] == [{"address": "aws_s3_bucket.site", "type": "aws_s3_bucket", "action": "update",
                                "attributes": ["tags.owner"]}]
    assert result["changed"] is False and result["action"] == "drift"
    assert result["resources"] == [{"address": "aws_s3_bucket.site", "type": "aws_s3_bucket", "name": "b"}]
    assert result["line"].startswith("stateful: drift 1 resource(s) changed outside Terraform (")
    assert not (work / wd.PLAN_FILE).exists()


def test_destroy_plans_with_destroy_flag(work):
    fake = FakeTerraform(work, CREATE_PLAN)
    result = run(jobs.destroy, fake, work, targets=["aws_s3_bucket.site"])
    assert fake.argv("plan")[-2:] == ["-destroy", "-target=aws_s3_bucket.site"]
    assert result["action"] == "destroy" and result["applied"] and result["planned_ahead"] is False


def test_a_held_lock_is_explained_and_the_plan_file_still_removed(work):
    stderr = ("Error: Error acquiring the state lock\n\nLock Info:\n  ID:        1234\n  Who:       me@host\n"
              "  Operation: OperationTypeApply\n\nTerraform acquires a state lock...")
    fake = FakeTerraform(work, NOOP_PLAN, fail=("plan", 1, stderr))
    (work / wd.PLAN_FILE).write_text("old")
    with pytest.raises(TerraformError) as raised:
        run(jobs.apply, fake, work)
    assert "The stateful state is locked by another run" in raised.value.msg
    assert "ID: 1234" in raised.value.msg and "Nothing was changed" in raised.value.msg
    assert raised.value.details["locked"] is True
    assert raised.value.details["lock"] == {"id": "1234", "who": "me@host", "operation": "OperationTypeApply",
                                            "created": None, "path": None}
    assert not (work / wd.PLAN_FILE).exists()


def test_migrate_moves_the_state_without_a_prompt_and_records_the_init(work):
    fake = FakeTerraform(work, NOOP_PLAN)
    result = jobs.migrate(Runner(fake, "terraform", str(work), "bootstrap", 300))
    assert [argv[1:4] for argv in fake.argvs] == [["init", "-migrate-state", "-force-copy"]]
    assert result["changed"] and result["action"] == "migrate"
    assert not wd.needs_init(str(work))


def test_migrate_in_check_mode_runs_nothing(work):
    fake = FakeTerraform(work, NOOP_PLAN)
    result = jobs.migrate(Runner(fake, "terraform", str(work), "bootstrap", 300), check_mode=True)
    assert fake.calls == [] and result["commands"] == []
    assert result["changed"] and result["action"] == "migrate"
    assert wd.needs_init(str(work))


REPLACE_TABLE = {"resource_changes": [{
    "address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
    "action_reason": "replace_because_cannot_update",
    "change": {"actions": ["delete", "create"], "before": {"name": "strata-visits-dev"}, "replace_paths": [["hash_key"]]}}]}


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_plan_that_replaces_a_table_is_refused_before_anything_is_applied(work, check_mode):
    fake = FakeTerraform(work, REPLACE_TABLE)
    with pytest.raises(TerraformError) as raised:
        run(jobs.apply, fake, work, check_mode=check_mode)
    assert "apply" not in fake.calls
    message = raised.value.msg
    assert "Refusing to apply the stateful layer" in message
    assert "aws_dynamodb_table.visits (strata-visits-dev): replace, because changing hash_key forces a replacement" in message
    assert "-e allow_replace=aws_dynamodb_table.visits" in message and "Nothing was changed" in message
    assert raised.value.details["data_loss"][0]["address"] == "aws_dynamodb_table.visits"
    assert not (work / wd.PLAN_FILE).exists()


def test_an_allowed_replacement_is_applied(work):
    fake = FakeTerraform(work, REPLACE_TABLE)
    result = run(jobs.apply, fake, work, allow_replace=["aws_dynamodb_table.visits"])
    assert "apply" in fake.calls and result["summary"]["replace"] == 1


def test_a_destroy_is_not_refused_by_the_apply_guard_unless_asked(work):
    fake = FakeTerraform(work, REPLACE_TABLE)
    run(jobs.destroy, fake, work)
    assert "apply" in fake.calls
    fake.calls.clear()
    with pytest.raises(TerraformError, match="Refusing to apply the stateful layer"):
        run(jobs.destroy, fake, work, guard_data=True)
    assert "apply" not in fake.calls


def test_a_run_writes_its_generated_files_before_terraform_starts(work):
    seen = {}
    fake = FakeTerraform(work, NOOP_PLAN)

    def execute(argv, cwd=None):
        seen.setdefault(argv[1], (work / "strata.auto.tfvars.json").read_text())
        return fake(argv, cwd=cwd)

    result = run(jobs.apply, execute, work, files={"strata.auto.tfvars.json": '{"env": "prod"}\n'})
    assert seen["init"] == seen["plan"] == '{"env": "prod"}\n'
    assert "strata.auto.tfvars.json" in result["synced"]
