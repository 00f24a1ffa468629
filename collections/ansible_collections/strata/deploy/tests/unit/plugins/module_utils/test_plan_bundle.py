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


def test_reads_are_pinned_by_hash_never_by_value():
    reads = pb.pin_reads({"table_name": "strata-visits-dev", "secret": "s3cr3t-value"})  # pragma: allowlist secret
    assert reads["names"] == ["secret", "table_name"]
    assert "s3cr3t-value" not in json.dumps(reads)
    assert reads["each"]["table_name"] == pb.value_sha256("strata-visits-dev")
    assert pb.pin_reads({"table_name": "strata-visits-dev", "secret": "s3cr3t-value"}) == reads  # pragma: allowlist secret
    assert pb.pin_reads({"table_name": "other"})["sha256"] != reads["sha256"]


def test_changed_reads_name_each_output_changed_gone_or_unknown():
    reads = pb.pin_reads({"table_name": "t1", "site": {"bucket": "b", "arn": "x"}, "domain": "d"})
    assert pb.changed_reads(reads, {"table_name": "t1", "site": {"arn": "x", "bucket": "b"}, "domain": "d"}) == []
    assert pb.changed_reads(reads, {"table_name": "t2", "site": {"arn": "x", "bucket": "b"}}) == ["domain", "table_name"]
    message = pb.reads_refusal("stateless", "stateful", ["table_name"])
    assert message.startswith("Refusing to apply the reviewed plan of the stateless layer: it was planned against "
                              "outputs of the stateful layer that have changed since (table_name)")
    assert "Nothing of the stateless layer was applied" in message and "playbooks/plan.yml" in message


def test_a_layer_whose_reads_its_predecessors_plan_changes_is_marked_at_plan_time(tmp_path):
    for name in ("stateful", "stateless"):
        (tmp_path / f"{name}.tfplan").write_bytes(name.encode())
    common = {"serial": 1, "lineage": "l", "inputs_sha256": "0" * 64, "changes": True}
    stateful = dict(common, layer="stateful", status=pb.PLANNED, predecessor="bootstrap", plan_file="stateful.tfplan",
                    summary={"change": 1, "outputs": {"table_name": "new-name", "domain": "d"}})
    stateless = dict(common, layer="stateless", status=pb.PLANNED, predecessor="stateful", plan_file="stateless.tfplan",
                     summary={"change": 1}, reads=pb.pin_reads({"table_name": "old-name", "domain": "d"}))
    manifest = pb.build_manifest(str(tmp_path), "dev", "1", "us-east-1", [stateful, stateless], "")
    assert manifest["layers"]["stateless"]["reads_changed_by_predecessor"] == ["table_name"]
    line = pb.summary_lines(manifest)[1]
    assert line.startswith("stateless: 0 to add, 1 to change")
    assert "its plan depends on outputs the stateful plan changes (table_name)" in line

    unchanged = dict(stateful, summary={"outputs": {"table_name": "old-name", "domain": "d"}})
    manifest = pb.build_manifest(str(tmp_path), "dev", "1", "us-east-1", [unchanged, stateless], "")
    assert manifest["layers"]["stateless"]["reads_changed_by_predecessor"] == []
    assert "depends on" not in pb.summary_lines(manifest)[1]


@pytest.mark.parametrize(("url", "expected"), [
    ("s3://my-bucket/plans/dev/42", ("my-bucket", "plans/dev/42")),
    ("s3://my-bucket/plans/dev/42/", ("my-bucket", "plans/dev/42")),
    ("s3://b.with.dots/review", ("b.with.dots", "review")),
])
def test_an_s3_location_is_its_bucket_and_prefix(url, expected):
    location = pb.s3_location(url)
    assert (location["bucket"], location["prefix"]) == expected
    assert location["url"] == f"s3://{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("url", [
    "s3://my-bucket", "s3://my-bucket/", "s3://My_Bucket/plans", "s3:///plans", "s3://my-bucket/plans//dev",
    "s3://my-bucket/plans/../other", "s3://my-bucket/./plans", "s3://a..b/plans", "s3://my-bucket/pl\nans",
    "plans/dev", "S3://my-bucket/plans",
])
def test_a_bad_s3_location_is_refused_naming_it(url):
    with pytest.raises(pb.BundleError) as refused:
        pb.s3_location(url)
    assert refused.value.msg.startswith(f"plan_bundle is '{url}': expected s3://<bucket>/<prefix>")


def test_the_default_location_under_a_controller_job_is_the_state_bucket():
    assert pb.default_s3_location("strata-tfstate-123456789012", "dev", 42) == {
        "url": "s3://strata-tfstate-123456789012/plans/dev/42", "bucket": "strata-tfstate-123456789012",
        "prefix": "plans/dev/42"}
    with pytest.raises(pb.BundleError, match="awx_job_id is '4/2': expected the job's id"):
        pb.default_s3_location("b-1", "dev", "4/2")


def test_where_a_bundle_lives():
    state = "strata-tfstate-1"
    # plan.yml in a controller job without plan_bundle: the state bucket.
    assert pb.bundle_location("", "dev", state, job_id="42", write=True)["url"] == f"s3://{state}/plans/dev/42"
    # A given URL wins; a directory or no job: not S3.
    assert pb.bundle_location("s3://other/x", "dev", state, job_id="42", write=True)["bucket"] == "other"
    assert pb.bundle_location("s3://other/x", "dev", state)["prefix"] == "x"
    assert pb.bundle_location("plans/dev/1", "dev", state, job_id="42", write=True) == {}
    assert pb.bundle_location("", "dev", state, write=True) == {}
    # deploy.yml applies only the bundle it is given, even in a controller job.
    assert pb.bundle_location("", "dev", state, job_id="42") == {}


def test_a_local_bundle_is_readable_by_its_owner_only(bundle):
    bundle, record = bundle
    os.chmod(bundle, 0o755)
    os.chmod(bundle / "stateful.tfplan", 0o644)
    write_bundle(bundle, record)
    assert oct(bundle.stat().st_mode & 0o777) == "0o700"
    for path in bundle.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path
