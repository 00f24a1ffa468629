# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.dynamodb_backup run by ansible against the emulator (the export logic:
tests/integration/plugins/module_utils/test_backup_dynamodb.py)."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client


def test_check_mode_then_export(stack, tmp_path):
    table = stack["table"]
    dest = tmp_path / "backups" / "local" / "20250101T000000Z"

    dry = run_module(tmp_path, "strata.aws.dynamodb_backup", {"table": table, "dest": str(dest)}, check=True)
    assert dry["changed"] is True and "item_count" not in dry
    assert not dest.exists()

    exported = run_module(tmp_path, "strata.aws.dynamodb_backup", {"table": table, "dest": str(dest), "segments": 2})
    assert (exported["changed"], exported["item_count"]) == (True, 3)
    assert (exported["table_format"], exported["pitr"]) == ("dynamodb_json_item", None)
    assert Path(exported["file"]) == (dest / "dynamodb" / f"{table}.jsonl.gz").resolve()


def test_segments_below_one_fail_naming_the_parameter(stack, tmp_path):
    export = {"table": stack["table"], "dest": str(tmp_path / "backup")}
    bad = run_module(tmp_path, "strata.aws.dynamodb_backup", dict(export, segments=0))
    assert bad["failed"] is True
    assert bad["msg"] == "parameter segments must be at least 1, got 0"


def test_the_old_name_dynamodb_export_still_works(stack, tmp_path):
    """meta/runtime.yml redirects strata.aws.dynamodb_export here, with a deprecation."""
    dest = tmp_path / "backup"
    exported = run_module(tmp_path, "strata.aws.dynamodb_export", {"table": stack["table"], "dest": str(dest)})
    assert (exported["changed"], exported["item_count"]) == (True, 3)
    assert Path(exported["file"]) == (dest / "dynamodb" / f"{stack['table']}.jsonl.gz").resolve()


@pytest.fixture
def vault(emulator_endpoint):
    s3 = aws_client("s3")
    bucket = f"vault-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    return bucket


def test_method_export_writes_the_table_into_the_vault_and_verifies_there(stack, vault, tmp_path):
    """The backup role's export path through the modules: DynamoDB exports the table into the
    vault, S3 copies the objects there, the manifest goes last, and the backup verifies in
    place (live counts and DescribeExport included); the same backup with the export's data
    file damaged fails verification."""
    stack["ddb"].update_continuous_backups(TableName=stack["table"],
                                           PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    staging = tmp_path / "backups" / "local" / ".20250101T000000Z.staging"
    where = {"vault": vault, "vault_prefix": "local/20250101T000000Z"}
    dry = run_module(tmp_path, "strata.aws.dynamodb_backup",
                     dict(where, table=stack["table"], dest=str(staging), method="export"), check=True)
    assert dry["changed"] is True and dry["method"] == "export" and "Contents" not in stack["s3"].list_objects_v2(
        Bucket=vault)

    exported = run_module(tmp_path, "strata.aws.dynamodb_backup",
                          dict(where, table=stack["table"], dest=str(staging), method="export"))
    assert (exported["method"], exported["item_count"], "method_reason" in exported) == ("export", 3, False), exported
    assert exported["file"].startswith(f"s3://{vault}/local/20250101T000000Z/dynamodb/{stack['table']}/AWSDynamoDB/")
    copied = run_module(tmp_path, "strata.aws.s3_backup", dict(where, bucket=stack["bucket"], dest=str(staging)))
    assert (copied["copied"], copied["downloaded"]) == (2, 0), copied
    assert not run_module(tmp_path, "strata.aws.backup_manifest", {
        "dest": str(staging), "env": "local", "tables": [stack["table"]], "buckets": [stack["bucket"]]}).get("failed")
    assert not run_module(tmp_path, "strata.aws.backup_upload",
                          {"src": str(staging), "bucket": vault, "prefix": where["vault_prefix"]}).get("failed")
    uri = f"s3://{vault}/{where['vault_prefix']}"
    verified = run_module(tmp_path, "strata.aws.backup_verify", {"src": uri, "live": True})
    assert not verified.get("failed") and verified["damaged"] == [], verified

    data = next(o["Key"] for o in stack["s3"].list_objects_v2(Bucket=vault)["Contents"]
                if "/data/" in o["Key"] and o["Size"] > 0)
    stack["s3"].put_object(Bucket=vault, Key=data, Body=b"not the export")
    damaged = run_module(tmp_path, "strata.aws.backup_verify", {"src": uri, "live": True})
    assert damaged["failed"] is True and data.rsplit("/", 1)[1] in damaged["msg"], damaged


def test_method_export_streams_a_table_without_point_in_time_recovery(stack, vault, tmp_path):
    dest = tmp_path / "backup"
    streamed = run_module(tmp_path, "strata.aws.dynamodb_backup", {
        "table": stack["table"], "dest": str(dest), "method": "export", "vault": vault,
        "vault_prefix": "local/20250101T000000Z"})
    assert (streamed["method"], streamed["item_count"]) == ("stream", 3), streamed
    assert "point-in-time recovery is off" in streamed["method_reason"]
    assert any("point-in-time recovery is off" in w for w in streamed.get("warnings", [])), streamed
    assert Path(streamed["file"]) == (dest / "dynamodb" / f"{stack['table']}.jsonl.gz").resolve()

    refused = run_module(tmp_path, "strata.aws.dynamodb_backup",
                         {"table": stack["table"], "dest": str(tmp_path / "b2"), "method": "export"})
    assert refused["failed"] is True and "vault" in refused["msg"] and "required" in refused["msg"], refused
