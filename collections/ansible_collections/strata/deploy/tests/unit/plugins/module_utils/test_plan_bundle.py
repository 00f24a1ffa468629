# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy plan bundles: the manifest, its checks and refusals (a layer's plan saved and
applied through Terraform is tested in test_plan_bundle_jobs.py)."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb


@pytest.fixture
def bundle(tmp_path):
    """A bundle directory holding the stateful layer's plan file, and that layer's record as
    strata.deploy.terraform_plan_file returns it (RV(bundle))."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "stateful.tfplan").write_bytes(b"PK\x03\x04 a saved plan")
    record = {"layer": "stateful", "plan_file": str(bundle / "stateful.tfplan"), "sha256": "not read from here",
              "serial": 7, "lineage": "lin-1", "inputs_sha256": "0" * 64, "changes": True}
    return bundle, record


def write_bundle(bundle, record, env="dev", account="111111111111"):
    summary = {"add": 0, "change": 1, "destroy": 0, "replace": 0, "data_loss": []}
    layers = [{"layer": "bootstrap", "status": pb.AFTER_PREDECESSOR, "predecessor": ""},
              dict(record, status=pb.PLANNED, predecessor="bootstrap", summary=summary)]
    manifest = pb.build_manifest(str(bundle), env, account, "us-east-1", layers, "2026-01-01T00:00:00Z")
    pb.write_manifest(str(bundle), manifest)
    return manifest


def test_the_manifest_is_written_last_and_the_plans_become_read_only(bundle):
    bundle, record = bundle
    write_bundle(bundle, record)
    assert oct((bundle / "stateful.tfplan").stat().st_mode & 0o777) == "0o400"
    assert oct((bundle / "manifest.json").stat().st_mode & 0o777) == "0o600"
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["format"] == pb.FORMAT and manifest["order"] == ["bootstrap", "stateful"]
    assert "plan_file" not in manifest["layers"]["bootstrap"]
    # The plan file's sha256 is read when the manifest is built, never taken from the record.
    assert manifest["layers"]["stateful"]["sha256"] == pb.file_sha256(str(bundle / "stateful.tfplan"))
    assert manifest["layers"]["stateful"]["plan_file"] == "stateful.tfplan"


def test_verify_refuses_another_environment_or_account_and_an_altered_plan(bundle):
    bundle, record = bundle
    write_bundle(bundle, record, env="dev", account="111111111111")
    assert pb.verify_bundle(str(bundle), "dev", "111111111111")["env"] == "dev"
    with pytest.raises(pb.BundleError, match="made for environment dev in account 111111111111; this run deploys environment prod"):
        pb.verify_bundle(str(bundle), "prod", "111111111111")
    with pytest.raises(pb.BundleError, match="this run deploys environment dev in account 222222222222"):
        pb.verify_bundle(str(bundle), "dev", "222222222222")
    path = bundle / "stateful.tfplan"
    os.chmod(path, 0o600)
    path.write_bytes(b"edited")
    with pytest.raises(pb.BundleError, match=r"plan file of the stateful layer \(stateful.tfplan\) was altered"):
        pb.verify_bundle(str(bundle), "dev", "111111111111")


def test_verify_names_what_is_not_a_bundle(tmp_path):
    with pytest.raises(pb.BundleError, match="no such directory"):
        pb.verify_bundle(str(tmp_path / "missing"), "dev", "1")
    with pytest.raises(pb.BundleError, match="has no manifest.json"):
        pb.verify_bundle(str(tmp_path), "dev", "1")
    (tmp_path / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(pb.BundleError, match="not a strata plan bundle"):
        pb.verify_bundle(str(tmp_path), "dev", "1")


def test_a_planned_layer_without_its_plan_file_is_not_written(tmp_path):
    with pytest.raises(pb.BundleError, match="plan of the stateful layer .* is missing"):
        pb.build_manifest(str(tmp_path), "dev", "1", "us-east-1",
                          [{"layer": "stateful", "status": pb.PLANNED, "plan_file": "stateful.tfplan", "inputs_sha256": "x"}], "")


def test_layer_refusal_passes_an_unchanged_plan():
    entry = {"sha256": "a", "serial": 1, "lineage": "l", "inputs_sha256": "i", "plan_file": "p"}
    assert pb.layer_refusal("stateful", entry, dict(entry)) is None
