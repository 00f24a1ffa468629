# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.terraform_plan_file run by ansible with real Terraform (local backend): a plan
saved into a bundle with what its apply must find unchanged, applied exactly once after its
checks; check mode only checks; a changed input is refused before anything is applied."""
from __future__ import annotations

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb


@pytest.fixture
def reviewed(deployed):
    """The layer's plan to label ``two`` saved into a bundle with its manifest written."""
    bundle = deployed.root / "bundle"
    bundle.mkdir()
    saved = deployed.run("terraform_plan_file", deployed.args(label="two", plan_file=str(bundle / "demo.tfplan")))
    assert saved["changed"] is False and saved["commands"] == ["state", "version", "plan", "show"], saved
    record = saved["bundle"]
    assert record["layer"] == "demo" and record["changes"] is True and record["serial"] == deployed.state()["serial"]
    assert record["sha256"] == pb.file_sha256(str(bundle / "demo.tfplan"))
    manifest = pb.build_manifest(str(bundle), "dev", "1", "us-east-1",
                                 [dict(record, status=pb.PLANNED, summary=saved["summary"])], "")
    pb.write_manifest(str(bundle), manifest)
    return deployed, bundle, manifest["layers"]["demo"]


def test_the_reviewed_plan_is_applied_exactly_once(reviewed):
    layer, bundle, entry = reviewed
    args = layer.args(label="two", state="applied", plan_file=str(bundle / entry["plan_file"]), expect=entry)
    checked = layer.run("terraform_plan_file", args, check=True)
    assert checked["changed"] is True and checked["applied"] is False and "apply" not in checked["commands"]
    assert layer.state()["outputs"]["label"]["value"] == "one"

    applied = layer.run("terraform_plan_file", args)
    assert applied["changed"] is True and applied["applied"] is True and applied["outputs"] == {"label": "two"}
    assert applied["commands"] == ["state", "version", "show", "apply", "state"]

    again = layer.run("terraform_plan_file", args)
    assert again["failed"] is True and again["bundle_refused"] is True
    assert "its state moved on since it was planned" in again["msg"] and "Nothing was changed" in again["msg"]


def test_inputs_changed_since_the_review_are_refused(reviewed):
    layer, bundle, entry = reviewed
    args = layer.args(label="three", state="applied", plan_file=str(bundle / entry["plan_file"]), expect=entry)
    refused = layer.run("terraform_plan_file", args)
    assert refused["failed"] is True and "its code or inputs differ" in refused["msg"]
    assert refused["expected"]["inputs_sha256"] != refused["found"]["inputs_sha256"]
    assert layer.state()["outputs"]["label"]["value"] == "one"


def test_applied_needs_the_manifest_entry(deployed):
    missing = deployed.run("terraform_plan_file", deployed.args(state="applied", plan_file=str(deployed.root / "p")))
    assert missing["failed"] is True and "state is applied but all of the following are missing: expect" in missing["msg"]
