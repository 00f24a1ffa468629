# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy plan_bundle_jobs: a layer's plan saved into a bundle, and the reviewed plan applied
exactly once after its checks, with a recording stand-in for Terraform."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb
from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle_jobs as jobs
from ansible_collections.strata.deploy.plugins.module_utils import terraform_adopt as adopt
from ansible_collections.strata.deploy.plugins.module_utils.terraform_jobs import start
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import Runner, TerraformError
from ansible_collections.strata.deploy.plugins.module_utils.terraform_workdir import PLAN_FILE

UPDATE_PLAN = {"resource_changes": [{"address": "aws_s3_bucket_lifecycle_configuration.logs", "mode": "managed",
                                     "type": "aws_s3_bucket_lifecycle_configuration",
                                     "change": {"actions": ["update"], "before": {}}}],
               "planned_values": {"outputs": {"table": {"value": "t"}}}}
REPLACE_PLAN = {"resource_changes": [{"address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
                                      "action_reason": "", "change": {"actions": ["delete", "create"], "before": {"name": "v"},
                                                                      "replace_paths": [["hash_key"]]}}],
                "planned_values": {"outputs": {}}}
STATE = {"version": 4, "serial": 7, "lineage": "lin-1", "outputs": {}, "resources": []}


class FakeTerraform:
    def __init__(self, work_dir, plan_json, state=None):
        self.work_dir, self.plan_json = work_dir, plan_json
        self.state = dict(STATE if state is None else state)
        self.calls = []
        self.applied = []

    def __call__(self, argv, cwd=None):
        assert cwd == str(self.work_dir)
        command = argv[1]
        self.calls.append(command)
        if command == "init":
            os.makedirs(os.path.join(self.work_dir, ".terraform"), exist_ok=True)
        elif command == "version":
            return 0, json.dumps({"terraform_version": "1.11.0"}), ""
        elif command == "plan":
            out = [a for a in argv if a.startswith("-out=")][0][5:]
            with open(out, "w", encoding="utf-8") as handle:
                handle.write("plan " + json.dumps(self.plan_json))
            return 2, "", ""
        elif command == "show":
            return 0, json.dumps(self.plan_json), ""
        elif command == "state":
            return 0, json.dumps(self.state), ""
        elif command == "apply":
            self.applied.append(argv[-1])
            self.state["serial"] += 1
        return 0, "", ""


@pytest.fixture
def layer(work):
    """The working copy (conftest.py) and an empty bundle directory beside it."""
    bundle = work.parent.parent / "bundle"
    bundle.mkdir()
    return work, bundle


def run(job, fake, work, *args, **kwargs):
    """What strata.deploy.terraform_plan_file does: the working copy initialised when needed, then one job."""
    tf = Runner(fake, "terraform", str(work), "stateful", 300)
    return dict(start(tf), **job(tf, *args, **kwargs))


def plan_into_bundle(work, bundle, plan_json=None):
    fake = FakeTerraform(work, UPDATE_PLAN if plan_json is None else plan_json)
    result = run(jobs.save, fake, work, str(bundle / "stateful.tfplan"))
    return fake, result


def write_bundle(bundle, result, env="dev", account="111111111111"):
    record = dict(result["bundle"], layer="stateful", status=pb.PLANNED, predecessor="bootstrap", summary=result["summary"])
    layers = [{"layer": "bootstrap", "status": pb.AFTER_PREDECESSOR, "predecessor": ""}, record]
    manifest = pb.build_manifest(str(bundle), env, account, "us-east-1", layers, "2026-01-01T00:00:00Z")
    pb.write_manifest(str(bundle), manifest)
    return manifest


def reviewed(manifest, bundle):
    """The plan file and the manifest's entry, as terraform_layer passes them."""
    entry = manifest["layers"]["stateful"]
    return str(bundle / entry["plan_file"]), entry


def test_plan_saves_the_plan_in_the_bundle_with_state_and_inputs_and_applies_nothing(layer):
    work, bundle = layer
    fake, result = plan_into_bundle(work, bundle)
    assert fake.calls == ["init", "state", "version", "plan", "show"]
    assert result["changed"] is False and result["action"] == "plan" and result["applied"] is False
    assert result["bundle"]["plan_file"] == str(bundle / "stateful.tfplan") and result["bundle"]["layer"] == "stateful"
    assert oct((bundle / "stateful.tfplan").stat().st_mode & 0o777) == "0o600"
    assert result["bundle"]["serial"] == 7 and result["bundle"]["lineage"] == "lin-1"
    assert result["bundle"]["changes"] is True
    assert result["bundle"]["sha256"] == pb.file_sha256(str(bundle / "stateful.tfplan"))
    assert not (work / PLAN_FILE).exists()


def test_a_reviewed_plan_is_applied_exactly_once(layer):
    work, bundle = layer
    _unused, result = plan_into_bundle(work, bundle)
    manifest = write_bundle(bundle, result)
    fake = FakeTerraform(work, UPDATE_PLAN)
    applied = run(jobs.apply_reviewed, fake, work, *reviewed(manifest, bundle))
    assert applied["changed"] is True and applied["applied"] is True
    assert fake.calls[-2:] == ["apply", "state"]
    assert fake.applied == [str(bundle / "stateful.tfplan")]
    # The state moved on with that apply: the same bundle is refused the second time.
    with pytest.raises(TerraformError, match="its state moved on since it was planned .serial 7, lineage lin-1 when planned; serial 8"):
        run(jobs.apply_reviewed, fake, work, *reviewed(manifest, bundle))
    assert fake.calls.count("apply") == 1


def test_check_mode_checks_and_applies_nothing(layer):
    work, bundle = layer
    _unused, result = plan_into_bundle(work, bundle)
    manifest = write_bundle(bundle, result)
    fake = FakeTerraform(work, UPDATE_PLAN)
    checked = run(jobs.apply_reviewed, fake, work, *reviewed(manifest, bundle), check_mode=True)
    assert "apply" not in fake.calls and checked["action"] == "plan" and checked["applied"] is False


@pytest.mark.parametrize("change, reason", [
    ("inputs", "its code or inputs differ from those it was planned with"),
    ("code", "its code or inputs differ from those it was planned with"),
    ("lineage", "its state moved on since it was planned"),
    ("plan", "its plan file stateful.tfplan was altered since it was reviewed"),
])
def test_a_stale_or_altered_plan_is_refused_before_anything_is_applied(layer, change, reason):
    work, bundle = layer
    _unused, result = plan_into_bundle(work, bundle)
    manifest = write_bundle(bundle, result)
    fake = FakeTerraform(work, UPDATE_PLAN)
    if change == "inputs":
        (work / "strata.auto.tfvars.json").write_text('{"env": "prod"}\n')
    elif change == "code":
        (work / "main.tf").write_text('resource "terraform_data" "y" {}\n')
    elif change == "lineage":
        fake.state["lineage"] = "lin-2"
    else:
        path = bundle / "stateful.tfplan"
        os.chmod(path, 0o600)
        path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(TerraformError, match=reason) as refused:
        run(jobs.apply_reviewed, fake, work, *reviewed(manifest, bundle))
    assert "Nothing was changed" in refused.value.msg and refused.value.details["bundle_refused"]
    assert set(refused.value.details["expected"]) == set(refused.value.details["found"]) == {
        "sha256", "serial", "lineage", "inputs_sha256"}
    assert "apply" not in fake.calls and "show" not in fake.calls


def test_a_reviewed_replacement_of_a_table_is_named_and_still_guarded(layer):
    work, bundle = layer
    _unused, result = plan_into_bundle(work, bundle, REPLACE_PLAN)
    manifest = write_bundle(bundle, result)
    lines = pb.summary_lines(manifest)
    assert lines[0].startswith("bootstrap: planned after its predecessor")
    assert lines[1] == ("stateful: 1 to add, 0 to change, 1 to destroy, 1 to replace; "
                        "data at risk: aws_dynamodb_table.visits (v): replace")
    fake = FakeTerraform(work, REPLACE_PLAN)
    with pytest.raises(TerraformError, match="allow_replace=aws_dynamodb_table.visits"):
        run(jobs.apply_reviewed, fake, work, *reviewed(manifest, bundle))
    assert "apply" not in fake.calls


CREATE_PLAN = {"resource_changes": [{"address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
                                     "change": {"actions": ["create"], "before": None, "after": {"name": "v"}}}],
               "planned_values": {"outputs": {}}}


def test_a_reviewed_plan_that_creates_again_what_an_interrupted_apply_created_is_refused(layer):
    # The apply of a reviewed plan journals what it creates (terraform_adopt.py) until it ends:
    # killed in between, the journal stays and the same plan would stop at "already exists".
    work, bundle = layer
    _unused, result = plan_into_bundle(work, bundle, CREATE_PLAN)
    manifest = write_bundle(bundle, result)
    adopt.record(str(work), CREATE_PLAN)
    fake = FakeTerraform(work, CREATE_PLAN)
    with pytest.raises(TerraformError, match=r"an apply of it was interrupted after AWS created "
                                             r"aws_dynamodb_table.visits \(v\)") as refused:
        run(jobs.apply_reviewed, fake, work, *reviewed(manifest, bundle), check_mode=True)
    assert "Nothing was changed" in refused.value.msg and refused.value.details["bundle_refused"]
    assert refused.value.details["interrupted"] == [
        {"address": "aws_dynamodb_table.visits", "type": "aws_dynamodb_table", "id": "v"}]
    assert "apply" not in fake.calls

    # Once the journal is gone (a deploy adopted the table), the same plan's apply journals and clears.
    adopt.clear(str(work))
    applied = run(jobs.apply_reviewed, fake, work, *reviewed(manifest, bundle))
    assert applied["applied"] is True and fake.applied == [str(bundle / "stateful.tfplan")]
    assert adopt.journal(str(work)) == []
