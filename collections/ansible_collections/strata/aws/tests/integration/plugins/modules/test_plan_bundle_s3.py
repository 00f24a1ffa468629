# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.plan_bundle_s3 run by ansible against the emulator, with strata.deploy.plan_bundle
writing and verifying the manifest as the playbooks do: a bundle goes to S3 encrypted, read back,
manifest last, under an expiration rule; downloaded into a private directory it verifies, and
one byte changed in S3 (a plan file, or the manifest) is refused before anything is applied.
(A bundle in S3 applied through Terraform: strata.deploy's tests/integration/plugins/modules/test_plan_bundle_in_s3.py.)"""
from __future__ import annotations

import json
import stat
import uuid

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client

ACCOUNT = "123456789012"


@pytest.fixture
def bucket(emulator_endpoint):
    s3 = aws_client("s3")
    name = f"plans-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def bundle(tmp_path):
    """A plan bundle as plan.yml writes it (two plan files, the manifest written by strata.deploy.plan_bundle)."""
    path = tmp_path / "bundle"
    path.mkdir(mode=0o700)
    layers = []
    for layer, predecessor in (("stateful", "bootstrap"), ("stateless", "stateful")):
        plan = path / f"{layer}.tfplan"
        plan.write_bytes(f"PK\x03\x04 the saved plan of {layer} ".encode() * 100)
        layers.append({"layer": layer, "status": "planned", "predecessor": predecessor, "plan_file": str(plan),
                       "serial": 3, "lineage": "lin", "inputs_sha256": "0" * 64, "changes": True,
                       "summary": {"add": 1, "change": 0, "destroy": 0, "replace": 0}})
    written = run_module(tmp_path, "strata.deploy.plan_bundle", {
        "path": str(path), "state": "present", "env": "dev", "account_id": ACCOUNT, "layers": layers})
    assert not written.get("failed"), written
    return path


def _upload(tmp_path, bundle, bucket, prefix, **extra):
    return run_module(tmp_path, "strata.aws.plan_bundle_s3",
                      dict({"path": str(bundle), "bucket": bucket, "prefix": prefix, "state": "present"}, **extra))


def _fetch_and_verify(tmp_path, bucket, prefix, name="fetched"):
    dest = tmp_path / name
    fetched = run_module(tmp_path, "strata.aws.plan_bundle_s3",
                         {"path": str(dest), "bucket": bucket, "prefix": prefix, "state": "fetched"})
    assert not fetched.get("failed"), fetched
    verified = run_module(tmp_path, "strata.deploy.plan_bundle", {
        "path": str(dest), "state": "verify", "env": "dev", "account_id": ACCOUNT,
        "origin": f"s3://{bucket}/{prefix}"})
    return dest, fetched, verified


def test_a_bundle_goes_to_s3_encrypted_read_back_manifest_last_and_expiring(tmp_path, bundle, bucket):
    s3 = aws_client("s3")
    checked = _upload(tmp_path, bundle, bucket, "plans/dev/42")
    assert checked["changed"] is True and checked["encryption"] == "AES256", checked
    assert [f["name"] for f in checked["files"]] == ["stateful.tfplan", "stateless.tfplan", "manifest.json"]
    assert checked["uri"] == f"s3://{bucket}/plans/dev/42/"

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="plans/")["Contents"]}
    assert keys == {f"plans/dev/42/{name}" for name in ("stateful.tfplan", "stateless.tfplan", "manifest.json")}
    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256", (key, head)
    # Written last.
    stamps = {k: s3.head_object(Bucket=bucket, Key=k)["LastModified"] for k in keys}
    assert stamps["plans/dev/42/manifest.json"] == max(stamps.values())
    # The bytes in S3 are the bundle's.
    for entry in checked["files"]:
        assert s3.get_object(Bucket=bucket, Key=entry["key"])["Body"].read() == (bundle / entry["name"]).read_bytes()

    # The prefix expires after 7 days.
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    ours = [r for r in rules if r["ID"] == checked["lifecycle"]["rule"]]
    assert checked["lifecycle"]["changed"] is True and len(ours) == 1, rules
    assert ours[0]["Expiration"]["Days"] == 7 and ours[0]["Status"] == "Enabled"
    assert (ours[0].get("Filter") or {}).get("Prefix", ours[0].get("Prefix")) == "plans/dev/42/"

    # A bundle is written once.
    again = _upload(tmp_path, bundle, bucket, "plans/dev/42")
    assert again["failed"] is True and "already holds a plan bundle" in again["msg"], again

    dest, fetched, verified = _fetch_and_verify(tmp_path, bucket, "plans/dev/42")
    assert not verified.get("failed"), verified
    assert verified["manifest"]["env"] == "dev" and verified["lines"][0].startswith("stateful: 1 to add")
    # Downloaded readable by its owner only.
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    for entry in fetched["files"]:
        assert stat.S_IMODE((dest / entry["name"]).stat().st_mode) == 0o600
        assert (dest / entry["name"]).read_bytes() == (bundle / entry["name"]).read_bytes()


def test_check_mode_refuses_a_used_prefix_and_uploads_nothing(tmp_path, bundle, bucket):
    s3 = aws_client("s3")
    empty = tmp_path / "empty"
    empty.mkdir()
    checked = run_module(tmp_path, "strata.aws.plan_bundle_s3",
                         {"path": str(empty), "bucket": bucket, "prefix": "plans/dev/7", "state": "present"}, check=True)
    assert not checked.get("failed") and checked["files"] == [], checked
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert _upload(tmp_path, bundle, bucket, "plans/dev/7")["changed"] is True
    used = run_module(tmp_path, "strata.aws.plan_bundle_s3",
                      {"path": str(empty), "bucket": bucket, "prefix": "plans/dev/7", "state": "present"}, check=True)
    assert used["failed"] is True and f"s3://{bucket}/plans/dev/7/ already holds a plan bundle" in used["msg"]


def test_one_byte_changed_in_a_plan_file_in_s3_is_refused_naming_it(tmp_path, bundle, bucket):
    s3 = aws_client("s3")
    assert _upload(tmp_path, bundle, bucket, "plans/dev/43")["changed"] is True
    key = "plans/dev/43/stateless.tfplan"
    body = bytearray(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[10] ^= 0x01
    s3.put_object(Bucket=bucket, Key=key, Body=bytes(body))

    _dest, _fetched, refused = _fetch_and_verify(tmp_path, bucket, "plans/dev/43")
    assert refused["failed"] is True, refused
    assert refused["msg"].startswith(f"Refusing plan_bundle 's3://{bucket}/plans/dev/43': the plan file of the "
                                     "stateless layer (stateless.tfplan) was altered since it was reviewed")
    assert "Nothing was changed: nothing was applied. Plan again with playbooks/plan.yml" in refused["msg"]


def test_a_changed_manifest_is_refused(tmp_path, bundle, bucket):
    s3 = aws_client("s3")
    assert _upload(tmp_path, bundle, bucket, "plans/dev/44")["changed"] is True
    key = "plans/dev/44/manifest.json"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    # A plan file's recorded sha256 changed to match another plan: the file no longer matches.
    forged = json.loads(json.dumps(manifest))
    forged["layers"]["stateful"]["sha256"] = forged["layers"]["stateless"]["sha256"]
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(forged).encode())
    _dest, _fetched, refused = _fetch_and_verify(tmp_path, bucket, "plans/dev/44", "one")
    assert refused["failed"] is True and "the plan file of the stateful layer (stateful.tfplan) was altered" in refused["msg"]

    # A plan file named outside the bundle.
    forged["layers"]["stateful"]["plan_file"] = "../one/stateful.tfplan"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(forged).encode())
    _dest, _fetched, refused = _fetch_and_verify(tmp_path, bucket, "plans/dev/44", "two")
    assert refused["failed"] is True and "'../one/stateful.tfplan', not a file of the bundle" in refused["msg"], refused

    # One byte of the manifest itself.
    body = bytearray(json.dumps(manifest).encode())
    body[0] = ord("[")
    s3.put_object(Bucket=bucket, Key=key, Body=bytes(body))
    _dest, _fetched, refused = _fetch_and_verify(tmp_path, bucket, "plans/dev/44", "three")
    assert refused["failed"] is True and f"plan_bundle is 's3://{bucket}/plans/dev/44': its manifest.json is not valid JSON" in refused["msg"]

    # Another environment's bundle.
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(dict(manifest, env="prod")).encode())
    _dest, _fetched, refused = _fetch_and_verify(tmp_path, bucket, "plans/dev/44", "four")
    assert refused["failed"] is True and "was made for environment prod" in refused["msg"]


def test_an_incomplete_or_foreign_prefix_is_refused(tmp_path, bucket):
    s3 = aws_client("s3")
    s3.put_object(Bucket=bucket, Key="plans/dev/45/stateful.tfplan", Body=b"x")
    fetched = run_module(tmp_path, "strata.aws.plan_bundle_s3",
                         {"path": str(tmp_path / "d"), "bucket": bucket, "prefix": "plans/dev/45"})
    assert fetched["failed"] is True and "it holds no manifest.json" in fetched["msg"] and "Nothing was applied" in fetched["msg"]
    s3.put_object(Bucket=bucket, Key="plans/dev/45/manifest.json", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="plans/dev/45/nested/x", Body=b"x")
    fetched = run_module(tmp_path, "strata.aws.plan_bundle_s3",
                         {"path": str(tmp_path / "d"), "bucket": bucket, "prefix": "plans/dev/45"})
    assert fetched["failed"] is True and "plans/dev/45/nested/x is not a file of a plan bundle" in fetched["msg"]


def test_a_kms_key_encrypts_with_kms_and_a_covering_rule_is_kept(tmp_path, bundle, bucket):
    s3, kms = aws_client("s3"), aws_client("kms")
    key_id = kms.create_key(Description="plan bundles")["KeyMetadata"]["KeyId"]
    # The bucket's own rules: one that already expires plans/ (as the state bucket's bootstrap rule), one other.
    rules = [
        {"ID": "expire-plan-bundles", "Status": "Enabled", "Filter": {"Prefix": "plans/"}, "Expiration": {"Days": 7}},
        {"ID": "expire-noncurrent-versions", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})

    sent = _upload(tmp_path, bundle, bucket, "plans/dev/46", kms_key=key_id)
    assert sent["changed"] is True and sent["encryption"] == "aws:kms", sent
    assert sent["lifecycle"] == {"rule": "expire-plan-bundles", "changed": False}
    for entry in sent["files"]:
        head = s3.head_object(Bucket=bucket, Key=entry["key"])
        assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"], head
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]] == [
        "expire-plan-bundles", "expire-noncurrent-versions"]

    # A shorter expiration asked for: strata's rule for the prefix joins, the others stay.
    sent = _upload(tmp_path, bundle, bucket, "plans/dev/47", expire_days=2)
    assert sent["lifecycle"]["changed"] is True, sent
    held = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert set(held) == {"expire-plan-bundles", "expire-noncurrent-versions", sent["lifecycle"]["rule"]}
    assert held[sent["lifecycle"]["rule"]]["Expiration"]["Days"] == 2

    _dest, _fetched, verified = _fetch_and_verify(tmp_path, bucket, "plans/dev/46")
    assert not verified.get("failed"), verified


def test_bad_options_are_refused(tmp_path, bundle, bucket):
    missing = _upload(tmp_path, bundle, f"{bucket}-none", "plans/dev/48")
    assert missing["failed"] is True and f"the bucket {bucket}-none does not exist" in missing["msg"], missing
    refused = _upload(tmp_path, bundle, bucket, "plans/dev/48", expire_days=0)
    assert refused["failed"] is True and "parameter expire_days must be at least 1, got 0" in refused["msg"]
    incomplete = tmp_path / "incomplete"
    incomplete.mkdir()
    (incomplete / "stateful.tfplan").write_bytes(b"x")
    refused = _upload(tmp_path, incomplete, bucket, "plans/dev/48")
    assert refused["failed"] is True and "has no manifest.json: only a complete plan bundle is copied" in refused["msg"]
