# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy terraform_run: which Terraform commands run, with a recording stand-in for Terraform."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import terraform_run as tr

NOOP_PLAN = {"resource_changes": [{"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket",
                                   "change": {"actions": ["no-op"], "before": {"bucket": "b"}}}],
             "prior_state": {"values": {"root_module": {"resources": [
                 {"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket", "values": {"bucket": "b"}}]}}},
             "planned_values": {"outputs": {"site_bucket_id": {"value": "b"}}}}
CREATE_PLAN = {"resource_changes": [{"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket",
                                     "change": {"actions": ["create"], "before": None}}],
               "planned_values": {"outputs": {}}}
RAW = {"version": 4, "serial": 3, "outputs": {"site_bucket_id": {"value": "b", "type": "string"}},
       "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "site", "instances": [{"attributes": {"bucket": "b"}}]},
                     {"mode": "data", "type": "aws_iam_policy_document", "name": "x", "instances": [{"attributes": {}}]}]}
AFTER = {"values": {"outputs": {"site_bucket_id": {"value": "b"}}, "root_module": {"resources": [
    {"address": "aws_s3_bucket.site", "mode": "managed", "type": "aws_s3_bucket", "values": {"bucket": "b"}}]}}}


class FakeTerraform:
    """Answers like Terraform: ``plan`` exits 2 when ``plan_json`` changes something."""

    def __init__(self, work_dir, plan_json, state_json=None, fail=None):
        self.work_dir, self.plan_json, self.fail = work_dir, plan_json, fail
        self.state_json = AFTER if state_json is None else state_json
        self.calls = []

    def __call__(self, argv):
        command = argv[1]
        self.calls.append(command)
        if self.fail and command == self.fail[0]:
            return self.fail[1], "", self.fail[2]
        if command == "init":
            os.makedirs(os.path.join(self.work_dir, ".terraform"), exist_ok=True)
            return 0, "", ""
        if command == "plan":
            open(os.path.join(self.work_dir, tr.PLAN_FILE), "w").close()
            changes = any(c["change"]["actions"] != ["no-op"] for c in self.plan_json.get("resource_changes", []))
            return (2 if changes else 0), "", ""
        if command == "show":
            return 0, json.dumps(self.plan_json if argv[-1] == tr.PLAN_FILE else self.state_json), ""
        if command == "state":
            return 0, json.dumps(RAW), ""
        return 0, "", ""


@pytest.fixture
def work(tmp_path):
    (tmp_path / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    (tmp_path / "main.tf").write_text('module "site" {\n  source = "../modules/private_bucket"\n}\n')
    return tmp_path


def test_first_run_inits_then_a_noop_run_only_plans_and_shows(work):
    fake = FakeTerraform(work, NOOP_PLAN)
    first = tr.run(fake, "terraform", str(work), "stateful")
    # A plan that changes nothing is not shown as JSON: the raw state (state pull) is read instead.
    assert fake.calls == ["init", "plan", "state"]
    assert first["changed"] is False and first["initialised"] is True
    assert first["outputs"] == {"site_bucket_id": "b"}
    assert first["resources"] == [{"address": "aws_s3_bucket.site", "type": "aws_s3_bucket", "name": "b"}]
    fake.calls.clear()
    second = tr.run(fake, "terraform", str(work), "stateful")
    assert fake.calls == ["plan", "state"]
    assert second["initialised"] is False
    assert not (work / tr.PLAN_FILE).exists()


def test_backend_or_module_change_reinitialises(work):
    fake = FakeTerraform(work, NOOP_PLAN)
    tr.run(fake, "terraform", str(work), "stateful")
    (work / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    assert tr.needs_init(str(work))
    tr.run(fake, "terraform", str(work), "stateful")
    (work / "extra.tf").write_text('module "logs" {\n  source = "../modules/other"\n}\n')
    assert tr.needs_init(str(work))
    (work / "extra.tf").write_text('module "logs" {\n  source = "../modules/other"\n  x = 1\n}\n')
    tr.run(fake, "terraform", str(work), "stateful")
    (work / "extra.tf").write_text('module "logs" {\n  source = "../modules/other"\n  x = 2\n}\n')
    assert not tr.needs_init(str(work))


def test_changes_are_applied_from_the_saved_plan_and_the_plan_file_removed(work):
    fake = FakeTerraform(work, CREATE_PLAN)
    result = tr.run(fake, "terraform", str(work), "stateful")
    assert fake.calls == ["init", "plan", "show", "apply", "state"]
    assert result["changed"] and result["applied"] and result["action"] == "apply"
    assert result["summary"]["add"] == 1
    assert result["outputs"] == {"site_bucket_id": "b"}
    assert not (work / tr.PLAN_FILE).exists()
    assert result["line"].startswith("stateful: apply 1 to add, 0 to change, 0 to destroy (")


def test_check_mode_plans_and_reports_without_applying(work):
    fake = FakeTerraform(work, CREATE_PLAN)
    result = tr.run(fake, "terraform", str(work), "stateful", check_mode=True)
    assert "apply" not in fake.calls
    assert result["changed"] and not result["applied"] and result["action"] == "plan"


def test_read_only_shows_the_state(work):
    fake = FakeTerraform(work, NOOP_PLAN)
    result = tr.run(fake, "terraform", str(work), "stateful", state="read")
    assert fake.calls == ["init", "state"]
    assert result["summary"]["prior_resources"] == 1 and result["changed"] is False


def test_destroy_plans_with_destroy_flag(work):
    calls = []
    fake = FakeTerraform(work, CREATE_PLAN)

    def execute(argv):
        calls.append(argv)
        return fake(argv)

    tr.run(execute, "terraform", str(work), "stateful", state="absent")
    plan = next(argv for argv in calls if argv[1] == "plan")
    assert "-destroy" in plan


def test_a_held_lock_is_explained_and_the_plan_file_still_removed(work):
    stderr = ("Error: Error acquiring the state lock\n\nLock Info:\n  ID:        1234\n  Who:       me@host\n"
              "  Operation: OperationTypeApply\n\nTerraform acquires a state lock...")
    fake = FakeTerraform(work, NOOP_PLAN, fail=("plan", 1, stderr))
    (work / tr.PLAN_FILE).write_text("old")
    with pytest.raises(tr.TerraformError) as raised:
        tr.run(fake, "terraform", str(work), "stateful")
    assert "The stateful state is locked by another run" in raised.value.msg
    assert "ID: 1234" in raised.value.msg and "Nothing was changed" in raised.value.msg
    assert raised.value.details["locked"] is True
    assert raised.value.details["lock"] == {"id": "1234", "who": "me@host", "operation": "OperationTypeApply",
                                            "created": None, "path": None}
    assert not (work / tr.PLAN_FILE).exists()


def test_config_sync_follows_symlinks_skips_leftovers_and_removes_stale_files(tmp_path):
    repo = tmp_path / "terraform"
    (repo / "shared").mkdir(parents=True)
    (repo / "shared" / "versions.tf").write_text("terraform {}\n")
    layer = repo / "stateful"
    layer.mkdir()
    (layer / "main.tf").write_text("# main\n")
    (layer / ".terraform.lock.hcl").write_text("# lock\n")
    (layer / "versions.tf").symlink_to("../shared/versions.tf")
    for leftover in ("backend_override.tf", "terraform.tfstate", "plan.tfplan", "README.md", "backend.tf"):
        (layer / leftover).write_text("x\n")
    (layer / ".terraform").mkdir()
    (repo / "modules" / "private_bucket").mkdir(parents=True)
    (repo / "modules" / "private_bucket" / "main.tf").write_text("# module\n")
    work = tmp_path / "work" / "stateful"
    work.mkdir(parents=True)
    (work / "gone.tf").write_text("# removed from the layer\n")
    (work / "backend.tf").write_text("# the runner's own\n")

    changed = tr.sync_config(str(layer), str(work))
    assert sorted(changed) == [".terraform.lock.hcl", "gone.tf", "main.tf", "versions.tf"]
    assert sorted(p.name for p in work.iterdir()) == [".terraform.lock.hcl", "backend.tf", "main.tf", "versions.tf"]
    assert not (work / "versions.tf").is_symlink() and (work / "versions.tf").read_text() == "terraform {}\n"
    assert (work / "backend.tf").read_text() == "# the runner's own\n"
    assert tr.sync_config(str(layer), str(work)) == []
    assert tr.sync_tree(str(repo / "modules"), str(tmp_path / "work" / "modules")) == ["private_bucket/main.tf"]
    assert (tmp_path / "work" / "modules" / "private_bucket" / "main.tf").read_text() == "# module\n"


def test_a_layer_without_configuration_is_refused(tmp_path):
    with pytest.raises(tr.TerraformError, match="No Terraform files"):
        tr.sync_config(str(tmp_path), str(tmp_path / "work"))


def test_migrate_moves_the_state_without_a_prompt_and_records_the_init(work):
    calls = []
    fake = FakeTerraform(work, NOOP_PLAN)

    def execute(argv):
        calls.append(argv)
        return fake(argv)

    result = tr.run(execute, "terraform", str(work), "bootstrap", state="migrate")
    assert [argv[1:4] for argv in calls] == [["init", "-migrate-state", "-force-copy"]]
    assert result["changed"] and result["action"] == "migrate"
    assert not tr.needs_init(str(work))


REPLACE_TABLE = {"resource_changes": [{
    "address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
    "action_reason": "replace_because_cannot_update",
    "change": {"actions": ["delete", "create"], "before": {"name": "strata-visits-dev"}, "replace_paths": [["hash_key"]]}}]}


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_plan_that_replaces_a_table_is_refused_before_anything_is_applied(work, check_mode):
    fake = FakeTerraform(work, REPLACE_TABLE)
    with pytest.raises(tr.TerraformError) as raised:
        tr.run(fake, "terraform", str(work), "stateful", check_mode=check_mode)
    assert "apply" not in fake.calls
    message = raised.value.msg
    assert "Refusing to apply the stateful layer" in message
    assert "aws_dynamodb_table.visits (strata-visits-dev): replace, because changing hash_key forces a replacement" in message
    assert "-e allow_replace=aws_dynamodb_table.visits" in message and "Nothing was changed" in message
    assert not (work / tr.PLAN_FILE).exists()


def test_an_allowed_replacement_is_applied(work):
    fake = FakeTerraform(work, REPLACE_TABLE)
    result = tr.run(fake, "terraform", str(work), "stateful", allow_replace=["aws_dynamodb_table.visits"])
    assert "apply" in fake.calls and result["summary"]["replace"] == 1


def test_a_destroy_is_not_refused_by_the_apply_guard(work):
    fake = FakeTerraform(work, REPLACE_TABLE)
    tr.run(fake, "terraform", str(work), "stateful", state="absent")
    assert "apply" in fake.calls


def test_generated_files_are_written_once_and_only_by_name(tmp_path):
    work = tmp_path / "work" / "stateful"
    files = {"backend.tf": 'terraform {\n  backend "local" {}\n}\n', "strata.auto.tfvars.json": '{\n    "env": "dev"\n}\n'}
    assert tr.write_files(str(work), files) == ["backend.tf", "strata.auto.tfvars.json"]
    assert (work / "backend.tf").read_text() == files["backend.tf"]
    assert oct((work / "backend.tf").stat().st_mode & 0o777) == "0o640"
    before = (work / "backend.tf").stat().st_mtime_ns
    assert tr.write_files(str(work), files) == []
    assert (work / "backend.tf").stat().st_mtime_ns == before
    assert tr.write_files(str(work), dict(files, **{"strata.auto.tfvars.json": "{}\n"})) == ["strata.auto.tfvars.json"]
    with pytest.raises(tr.TerraformError, match="not a file name in the working copy"):
        tr.write_files(str(work), {"../escape.tf": "x"})
    assert not (tmp_path / "work" / "escape.tf").exists()


def test_a_run_writes_its_generated_files_before_terraform_starts(work):
    seen = {}
    fake = FakeTerraform(work, NOOP_PLAN)

    def execute(argv):
        seen.setdefault(argv[1], (work / "strata.auto.tfvars.json").read_text())
        return fake(argv)

    result = tr.run(execute, "terraform", str(work), "stateful", files={"strata.auto.tfvars.json": '{"env": "dev"}\n'})
    assert seen["plan"] == '{"env": "dev"}\n'
    assert "strata.auto.tfvars.json" in result["synced"]
