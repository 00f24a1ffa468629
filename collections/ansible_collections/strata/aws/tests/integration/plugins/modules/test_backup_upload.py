# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.backup_upload and strata.aws.backup_find with a vault, run by ansible against the
emulator: a backup goes into the vault manifest last and is verified there; the vault's
backups are chosen by the same rules as local ones, downloaded, and verify as the original."""
from __future__ import annotations

import filecmp
import shutil
import uuid

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client


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
