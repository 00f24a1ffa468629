# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.backup_upload and strata.aws.backup_find with a vault, run by ansible against the
emulator: a backup goes into the vault manifest last and is verified there; the vault's
backups are chosen by the same rules as local ones, downloaded, and verify as the original."""
from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import uuid

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import MIB, b64_sha256, file_checksums


@pytest.fixture
def vault(emulator_endpoint):
    s3 = aws_client("s3")
    bucket = f"vault-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    yield bucket
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=bucket)


def _same_tree(left, right):
    compared = filecmp.dircmp(left, right)
    assert not (compared.left_only or compared.right_only or compared.diff_files), compared.report()
    for sub in compared.common_dirs:
        _same_tree(left / sub, right / sub)


def test_upload_verify_find_download(stack_backup, vault, tmp_path):
    s3 = aws_client("s3")
    args = {"src": str(stack_backup), "bucket": vault, "prefix": "local/20250101T000000Z"}
    sent = run_module(tmp_path, "strata.aws.backup_upload", args)
    assert sent["changed"] is True and sent["uploaded"] == sent["files"] > 3, sent
    assert sent["uri"] == f"s3://{vault}/local/20250101T000000Z/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=vault, Prefix="local/")["Contents"]]
    assert "local/20250101T000000Z/manifest.json" in keys and len(keys) == sent["files"]
    # The manifest went last.
    stamps = {k: s3.head_object(Bucket=vault, Key=k)["LastModified"] for k in keys}
    assert stamps["local/20250101T000000Z/manifest.json"] == max(stamps.values())

    again = run_module(tmp_path, "strata.aws.backup_upload", args)
    assert again["changed"] is False and again["uploaded"] == 0, again

    # An incomplete backup in the vault (no manifest) is never chosen, and a named one is refused.
    s3.put_object(Bucket=vault, Key="local/20990101T000000Z/parts/x.json", Body=b"{}")
    found = run_module(tmp_path, "strata.aws.backup_find",
                       {"root": str(tmp_path / "none"), "env": "local", "vault": vault,
                        "download_to": str(tmp_path / "download")})
    assert found["name"] == "20250101T000000Z" and found["vault_dir"] == f"s3://{vault}/local/20250101T000000Z", found
    assert found["ignored"] == [{"name": "20990101T000000Z", "kind": "incomplete", "reason": "incomplete: no manifest.json"}]
    assert found["dir"] == str(tmp_path / "download" / "local" / "20250101T000000Z")
    assert {r["dir"] for r in found["resources"]} == {found["dir"]}
    _same_tree(stack_backup, tmp_path / "download" / "local" / "20250101T000000Z")
    verified = run_module(tmp_path, "strata.aws.backup_verify", {"src": found["dir"]})
    assert not verified.get("failed"), verified

    named = run_module(tmp_path, "strata.aws.backup_find",
                       {"root": str(tmp_path), "env": "local", "vault": vault, "name": "20990101T000000Z"})
    assert named["failed"] is True and "incomplete: no manifest.json" in named["msg"], named
    outside = run_module(tmp_path, "strata.aws.backup_find",
                         {"root": str(tmp_path), "env": "local", "vault": vault, "name": "../../etc"})
    assert outside["failed"] is True and "not inside" in outside["msg"], outside

    # A different backup under the same name is refused; so is an incomplete one.
    other = tmp_path / "other"
    shutil.copytree(stack_backup, other)
    (other / "manifest.json").write_text((other / "manifest.json").read_text().replace("local", "elsewhere"))
    refused = run_module(tmp_path, "strata.aws.backup_upload", dict(args, src=str(other)))
    assert refused["failed"] is True and "already holds another backup's manifest" in refused["msg"], refused
    (other / "manifest.json").unlink()
    refused = run_module(tmp_path, "strata.aws.backup_upload", dict(args, src=str(other), prefix="local/x"))
    assert refused["failed"] is True and "only a complete backup goes into the vault" in refused["msg"]
    assert "Contents" not in s3.list_objects_v2(Bucket=vault, Prefix="local/x/")


def test_a_file_past_the_threshold_goes_up_in_parts_and_reads_back(stack, vault, tmp_path):
    """multipart_threshold set low: the object file past it goes up in parts, each with its
    SHA-256; S3 keeps the composite checksum of the parts, which the read-back compares with
    the file's, here and on every later run; an object replaced in the vault is named."""
    s3 = aws_client("s3")
    big = os.urandom(11 * MIB + 5)
    s3.put_object(Bucket=stack["bucket"], Key="media/big.bin", Body=big)
    try:
        dest = tmp_path / "backups" / "local" / "20250101T000000Z"
        for module, args in (("strata.aws.dynamodb_backup", {"table": stack["table"], "dest": str(dest)}),
                             ("strata.aws.s3_backup", {"bucket": stack["bucket"], "dest": str(dest)}),
                             ("strata.aws.backup_manifest", {"dest": str(dest), "env": "local",
                                                             "tables": [stack["table"]], "buckets": [stack["bucket"]]})):
            assert not run_module(tmp_path, module, args).get("failed")
    finally:
        s3.delete_object(Bucket=stack["bucket"], Key="media/big.bin")
    args = {"src": str(dest), "bucket": vault, "prefix": "local/20250101T000000Z",
            "multipart_threshold": 5 * MIB, "part_size": 5 * MIB}
    sent = run_module(tmp_path, "strata.aws.backup_upload", args)
    assert sent["changed"] is True and sent["uploaded"] == sent["files"], sent

    heads = {o["Key"]: s3.head_object(Bucket=vault, Key=o["Key"], ChecksumMode="ENABLED")
             for o in s3.list_objects_v2(Bucket=vault, Prefix="local/")["Contents"]}
    in_parts = {k: h for k, h in heads.items() if h["ContentLength"] >= 5 * MIB}
    assert len(in_parts) == 1, heads
    key, head = next(iter(in_parts.items()))
    local = dest / key[len("local/20250101T000000Z/"):]
    assert local.read_bytes() == big == s3.get_object(Bucket=vault, Key=key)["Body"].read()
    assert head["ChecksumSHA256"] == file_checksums(local, 5 * MIB)[2] and head["ChecksumSHA256"].endswith("-3")
    assert head["ETag"].strip('"').endswith("-3")
    # Every file below the threshold went in one PutObject, with the SHA-256 of the whole.
    for small_key, small in heads.items():
        if small_key != key:
            path = dest / small_key[len("local/20250101T000000Z/"):]
            assert small["ChecksumSHA256"] == b64_sha256(hashlib.sha256(path.read_bytes()).hexdigest()), small_key

    again = run_module(tmp_path, "strata.aws.backup_upload", args)
    assert again["changed"] is False and again["uploaded"] == 0 and not again.get("failed"), again
    verified = run_module(tmp_path, "strata.aws.backup_verify", {"src": f"s3://{vault}/local/20250101T000000Z"})
    assert not verified.get("failed"), verified

    # The object in the vault replaced by other bytes of the same size: the read-back names it.
    s3.put_object(Bucket=vault, Key=key, Body=os.urandom(len(big)))
    damaged = run_module(tmp_path, "strata.aws.backup_upload", args)
    assert damaged["failed"] is True and key in damaged["msg"], damaged
    damaged = run_module(tmp_path, "strata.aws.backup_verify", {"src": f"s3://{vault}/local/20250101T000000Z"})
    assert damaged["failed"] is True and "media/big.bin" in damaged["msg"], damaged
