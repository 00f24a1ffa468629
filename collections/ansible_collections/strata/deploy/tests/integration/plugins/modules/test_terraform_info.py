# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.terraform_info run by ansible with real Terraform (local backend): it reads the
state's outputs and resources, or runs a refresh-only plan, and never changes the state."""
from __future__ import annotations


def test_read_reports_the_state_and_changes_nothing(deployed):
    before = (deployed.work / "terraform.tfstate").read_bytes()
    read = deployed.run("terraform_info", deployed.args(label="another"))
    assert read["changed"] is False and read["commands"] == ["state"]
    assert read["outputs"] == {"label": "one"}, "the state, not the new inputs"
    assert [r["address"] for r in read["resources"]] == ["terraform_data.marker"]
    assert read["summary"]["prior_resources"] == 1 and read["line"].startswith("demo: read 0 to add")
    assert "drift" not in read and "applied" not in read
    assert (deployed.work / "terraform.tfstate").read_bytes() == before


def test_drift_runs_a_refresh_only_plan_and_removes_it(deployed):
    serial = deployed.state()["serial"]
    drift = deployed.run("terraform_info", deployed.args(drift=True))
    assert drift["changed"] is False and drift["commands"] == ["plan", "show"]
    assert drift["drift"] == [] and drift["line"].startswith("demo: drift 0 resource(s) changed outside Terraform (")
    assert drift["outputs"] == {"label": "one"} and len(drift["resources"]) == 1
    assert deployed.state()["serial"] == serial
    assert not (deployed.work / "strata.tfplan").exists()


def test_a_new_backend_is_initialised_before_the_read(deployed):
    args = deployed.args()
    args["files"] = {"backend.tf": 'terraform {\n  backend "local" {\n    path = "terraform.tfstate"\n  }\n}\n'}
    read = deployed.run("terraform_info", args)
    assert read["initialised"] is True and read["synced"] == ["backend.tf"]
    assert read["commands"] == ["init", "state"] and read["outputs"] == {"label": "one"}
