# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy terraform_runner: the exact Terraform command lines, what a failure says, a
held lock as data, and the state inside a saved plan."""
from __future__ import annotations

import json
import zipfile

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import terraform_runner as rn

LOCKED = ("Error: Error acquiring the state lock\n\nLock Info:\n  ID:        1234\n  Path:      b/dev/stateful\n"
          "  Operation: OperationTypePlan\n  Who:       me@host\n  Version:   1.11.4\n"
          "  Created:   2026-01-01 00:00:00 +0000 UTC\n  Info:\n\nTerraform acquires a state lock...")


class Answers:
    """Answers every command with ``(rc, stdout, stderr)`` and records (argv, cwd)."""

    def __init__(self, rc=0, out="", err=""):
        self.answer = (rc, out, err)
        self.calls = []

    def __call__(self, argv, cwd=None):
        self.calls.append((argv, cwd))
        return self.answer


def test_each_command_line_is_exact_and_runs_in_the_working_copy():
    execute = Answers()
    tf = rn.Runner(execute, "/usr/bin/terraform", "/w/stateful", "stateful", 0)
    tf.init()
    tf.init("-migrate-state", "-force-copy")
    execute.answer = (2, "", "")
    assert tf.plan("p.tfplan", "-lock=false") == 2
    execute.answer = (0, "", "")
    tf.apply("p.tfplan")
    assert [argv for argv, _cwd in execute.calls] == [
        ["/usr/bin/terraform", "init", "-reconfigure", "-input=false", "-no-color", "-lock-timeout=0s"],
        ["/usr/bin/terraform", "init", "-migrate-state", "-force-copy", "-input=false", "-no-color", "-lock-timeout=0s"],
        ["/usr/bin/terraform", "plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock-timeout=0s",
         "-out=p.tfplan", "-lock=false"],
        ["/usr/bin/terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=0s", "p.tfplan"],
    ]
    assert {cwd for _argv, cwd in execute.calls} == {"/w/stateful"}
    assert tf.commands == ["init", "init", "plan", "apply"]


def test_a_runner_beside_shares_execute_but_not_its_record():
    execute = Answers(out="{}")
    tf = rn.Runner(execute, "terraform", "/w/bootstrap", "bootstrap", 5)
    later = tf.beside("/w/stateless", "stateless")
    later.state_pull()
    assert execute.calls[-1] == (["terraform", "state", "pull"], "/w/stateless")
    assert later.commands == ["state"] and tf.commands == []
    assert (later.layer, later.lock_timeout) == ("stateless", 5)


def test_json_answers_are_parsed_and_empty_ones_are_empty():
    assert rn.Runner(Answers(out='{"serial": 3}'), "terraform", "/w", "x", 0).state_pull() == {"serial": 3}
    assert rn.Runner(Answers(out="  \n"), "terraform", "/w", "x", 0).show_json("p") == {}
    assert rn.Runner(Answers(out='{"terraform_version": "1.11.4"}'), "terraform", "/w", "x", 0).version() == "1.11.4"
    assert rn.Runner(Answers(out="Terraform v1.11.4\n"), "terraform", "/w", "x", 0).version() == "Terraform v1.11.4"


def test_a_failure_names_the_command_the_layer_and_terraform_s_words():
    tf = rn.Runner(Answers(rc=1, err="Error: Invalid reference\n"), "terraform", "/w", "stateless", 0)
    with pytest.raises(rn.TerraformError) as raised:
        tf.plan("p")
    assert raised.value.msg == "terraform plan failed for the stateless layer (exit 1): Error: Invalid reference"
    assert raised.value.details["locked"] is False and "lock" not in raised.value.details
    assert raised.value.details["rc"] == 1


def test_a_held_lock_is_a_message_and_data():
    assert rn.lock_holder("Error: Invalid reference") is None and rn.lock_message("anything", "x") is None
    assert rn.lock_holder(LOCKED) == {"id": "1234", "who": "me@host", "operation": "OperationTypePlan",
                                      "created": "2026-01-01 00:00:00 +0000 UTC", "path": "b/dev/stateful"}
    message = rn.lock_message(LOCKED, "stateful")
    assert message.startswith("The stateful state is locked by another run (ID: 1234 Path: b/dev/stateful")
    assert message.endswith("release its lock with playbooks/unlock.yml and its ID.")
    tf = rn.Runner(Answers(rc=1, err=LOCKED), "terraform", "/w", "stateful", 0)
    with pytest.raises(rn.TerraformError) as raised:
        tf.apply("p")
    assert raised.value.msg == message and raised.value.details["lock"]["id"] == "1234"
    assert rn.lock_holder("Error: Error acquiring the state lock\n") == dict.fromkeys(
        ("id", "who", "operation", "created", "path"))


# The S3 backend refused the lock write (a read-only caller): a refusal, not a lock held by another run.
REFUSED_LOCK = (
    "Error: Error acquiring the state lock\n\nError message: operation error DynamoDB: PutItem, https response error "
    "StatusCode: 400, RequestID: 1, api error AccessDeniedException: User: arn:aws:iam::123456789012:user/ro is not\n"
    "authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/strata-tfstate-lock\n"
    "because no identity-based policy allows the dynamodb:PutItem action\n\nTerraform acquires a state lock to protect...")


def test_a_refused_call_names_action_resource_policy_file_and_terraform_s_words():
    tf = rn.Runner(Answers(rc=1, err=REFUSED_LOCK), "terraform", "/w", "bootstrap", 0)
    with pytest.raises(rn.TerraformError) as raised:
        tf.plan("p")
    msg = raised.value.msg
    assert msg.startswith("AWS refused dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/strata-tfstate-lock"
                          " to arn:aws:iam::123456789012:user/ro (AccessDeniedException) during the bootstrap layer's "
                          "terraform plan. iam/strata-deploy.json grants it")
    assert "plans without taking the state lock: run the same command with TF_CLI_ARGS_plan=-lock=false" in msg
    assert "Terraform said: Error: Error acquiring the state lock Error message: operation error DynamoDB" in msg
    assert raised.value.details["locked"] is False and "lock" not in raised.value.details
    assert raised.value.details["access_denied"]["action"] == "dynamodb:PutItem"
    assert raised.value.details["access_denied"]["policy"] == ["iam/strata-deploy.json"]
    assert rn.denied_message("Error: Invalid reference", "x", "plan") == (None, None)
    applied, _refusal = rn.denied_message(REFUSED_LOCK, "bootstrap", "apply")
    assert "TF_CLI_ARGS_plan" not in applied


def test_the_seconds_of_a_run_count_from_its_start(monkeypatch):
    clock = iter([100.0, 103.26])
    monkeypatch.setattr(rn.time, "monotonic", lambda: next(clock))
    assert rn.Runner(Answers(), "terraform", "/w", "x", 0).seconds() == 3.3


def test_plan_state_reads_the_state_inside_a_plan_file(tmp_path):
    path = tmp_path / "p.tfplan"
    with zipfile.ZipFile(path, "w") as plan:
        plan.writestr("tfstate", json.dumps({"serial": 7}))
    assert rn.plan_state(str(path))["serial"] == 7
    with zipfile.ZipFile(tmp_path / "no-state.tfplan", "w") as plan:
        plan.writestr("tfplan", b"\x00")
    assert rn.plan_state(str(tmp_path / "no-state.tfplan")) is None
    (tmp_path / "not-a-zip").write_text("x")
    assert rn.plan_state(str(tmp_path / "not-a-zip")) is None
    assert rn.plan_state(str(tmp_path / "missing")) is None
