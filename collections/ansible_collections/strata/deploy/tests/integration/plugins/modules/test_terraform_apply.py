# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.terraform_apply run by ansible with real Terraform (local backend): the first
apply, a redeploy that costs one plan, check mode, a destroy, credentials never shown, and the
old name terraform_run still running it, deprecated. (ansible's JSON callback puts the task's
module name in ``action``, so the module's own action is read from ``line``.)"""
from __future__ import annotations


def test_apply_then_a_redeploy_runs_one_plan_and_changes_nothing(layer):
    first = layer.run("terraform_apply", layer.args())
    assert first["changed"] is True and first["applied"] is True
    assert first["commands"] == ["init", "plan", "show", "apply", "state"]
    assert first["initialised"] is True and "main.tf" in first["synced"] and "backend.tf" in first["synced"]
    assert first["outputs"] == {"label": "one"} and first["summary"]["add"] == 1
    assert [r["address"] for r in first["resources"]] == ["terraform_data.marker"]
    assert first["line"].startswith("demo: apply 1 to add, 0 to change, 0 to destroy (")
    serial = layer.state()["serial"]

    again = layer.run("terraform_apply", layer.args())
    # init only when needed, the plan's own state read from the plan file: one Terraform process.
    assert again["commands"] == ["plan"] and again["initialised"] is False and again["synced"] == []
    assert again["changed"] is False and again["applied"] is False and again["planned_ahead"] is False
    assert again["outputs"] == {"label": "one"} and len(again["resources"]) == 1
    assert layer.state()["serial"] == serial
    assert not (layer.work / "strata.tfplan").exists()


def test_check_mode_plans_and_applies_nothing(deployed):
    serial = deployed.state()["serial"]
    checked = deployed.run("terraform_apply", deployed.args(label="two"), check=True)
    assert checked["changed"] is True and checked["applied"] is False and checked["line"].startswith("demo: plan 0 to add, 1 to change")
    assert checked["summary"]["changes"][0]["address"] == "terraform_data.marker"
    assert checked["summary"]["changes"][0]["action"] == "update"
    assert deployed.state()["serial"] == serial
    assert deployed.state()["outputs"]["label"]["value"] == "one"


def test_absent_destroys_and_a_second_destroy_changes_nothing(deployed):
    gone = deployed.run("terraform_apply", deployed.args(state="absent"))
    assert gone["changed"] is True and gone["resources"] == [] and gone["outputs"] == {}
    assert gone["line"].startswith("demo: destroy 0 to add, 0 to change, 1 to destroy (")
    assert gone["commands"] == ["plan", "show", "apply", "state"]
    again = deployed.run("terraform_apply", deployed.args(state="absent"))
    assert again["changed"] is False and again["resources"] == []


def test_a_terraform_error_fails_naming_the_layer(layer):
    (layer.source / "broken.tf").write_text("resource \"terraform_data\" \"x\" {\n  input = var.missing\n}\n")
    failed = layer.run("terraform_apply", layer.args())
    assert failed["failed"] is True and failed["locked"] is False
    assert failed["msg"].startswith("terraform plan failed for the demo layer (exit 1)")
    assert "var.missing" in failed["msg"]
    masked = failed["invocation"]["module_args"]["environment"]
    assert masked["STRATA_TEST_SECRET"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # pragma: allowlist secret (the mask, not a value)


def test_the_old_name_runs_terraform_apply_deprecated(deployed):
    result = deployed.run("terraform_run", deployed.args())
    assert result["changed"] is False and result["commands"] == ["plan"] and result["line"].startswith("demo: apply 0 to add")
    warning = result["deprecations"][0]
    assert warning["version"] == "1.0.0" and "strata.deploy.terraform_run has been deprecated" in warning["msg"]
    for module in ("terraform_apply", "terraform_info", "terraform_plan_file", "terraform_migrate"):
        assert f"strata.deploy.{module}" in warning["msg"]
