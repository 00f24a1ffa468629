# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_export.py against the emulator: a table backed up by DynamoDB's own
export straight into the vault restores exactly (every type), from the vault itself and from
a downloaded copy; it verifies without downloading the items, and any damage to a file of the
export is named and refused with nothing written. (The emulator lays exports out as AWS does:
strata_emulator/patches/dynamodb_export.py.)"""
from __future__ import annotations

import json
import uuid

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import restore_table
from ansible_collections.strata.aws.plugins.module_utils.backup_export import PitrOff, export_table_to_vault
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import (
    find_damage,
    verify,
    verify_live,
    write_manifest,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import download_backup, upload_backup
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import count_items

from .dynamodb_support import EVERY_TYPE, all_items, delete_all, numbered, put_items

PREFIX = "test/20250101T000000Z"
ITEMS = EVERY_TYPE + numbered(150)


@pytest.fixture
def s3(emulator_endpoint):
    return aws_client("s3")


@pytest.fixture
def vault(s3):
    name = f"vault-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def pitr_table(ddb, make_table):
    table = make_table()
    ddb.update_continuous_backups(TableName=table,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    put_items(ddb, table, ITEMS)
    return table


def _exported_backup(ddb, s3, table, vault, dest, source):
    """The backup role's export path: export into the vault, manifest here, upload (manifest last)."""
    entry = export_table_to_vault(ddb, s3, table, str(dest), source, vault, PREFIX)
    write_manifest(str(dest), "test", [table], [])
    upload_backup(s3, str(dest), vault, PREFIX)
    return entry, f"s3://{vault}/{PREFIX}"


def _flip_a_byte(s3, bucket, key):
    data = bytearray(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    data[len(data) // 2] ^= 0x01
    s3.put_object(Bucket=bucket, Key=key, Body=bytes(data))


def test_an_exported_backup_restores_every_type_exactly(ddb, s3, pitr_table, vault, tmp_path, source):
    entry, uri = _exported_backup(ddb, s3, pitr_table, vault, tmp_path / "staging", source)
    export = entry["export"]
    assert (entry["method"], entry["item_count"], entry["table_format"]) == ("export", len(ITEMS), "dynamodb_json_item")
    assert export["dir"].startswith(f"dynamodb/{pitr_table}/AWSDynamoDB/") and export["files"] >= 2
    assert entry["file"] == f"{export['dir']}/manifest-files.json" and entry["pitr"]["earliest"]
    assert export["arn"].endswith(f":table/{pitr_table}/export/{export['id']}")
    # Nothing of the table was written here: only the part record.
    assert sorted(p.name for p in (tmp_path / "staging").rglob("*") if p.is_file()) == [
        f"dynamodb.{pitr_table}.json", "manifest.json"]

    manifest = verify(uri, s3=s3)
    assert manifest["format_version"] == 3 and manifest["tables"][0]["export"] == export
    assert verify_live(manifest, lambda t: count_items(ddb, t), lambda b: 0,
                       lambda e: None if ddb.describe_export(ExportArn=e["export"]["arn"])["ExportDescription"][
                           "ItemCount"] == e["item_count"] else "differs") == {"tables": {pitr_table: len(ITEMS)},
                                                                               "buckets": {}}

    delete_all(ddb, pitr_table)
    restored = restore_table(ddb, uri, mode="overwrite", s3=s3)
    assert (restored["restored"], restored["item_count"]) == (len(ITEMS), len(ITEMS))
    assert all_items(ddb, pitr_table) == sorted(ITEMS, key=lambda item: repr(item["pk"]))

    # The same backup downloaded: verified by reading every data file (MD5, gzip, count), restored from disk.
    local = download_backup(s3, vault, "test", "20250101T000000Z", str(tmp_path / "download"))
    assert find_damage(local)[1] == []
    delete_all(ddb, pitr_table)
    assert restore_table(ddb, local, mode="missing")["restored"] == len(ITEMS)
    assert all_items(ddb, pitr_table) == sorted(ITEMS, key=lambda item: repr(item["pk"]))


@pytest.mark.parametrize("damaged", ["data file", "manifest-files.json", "manifest-summary.json"])
def test_a_damaged_file_of_the_export_is_refused_with_nothing_written(ddb, s3, pitr_table, vault, tmp_path, source,
                                                                      damaged):
    entry, uri = _exported_backup(ddb, s3, pitr_table, vault, tmp_path / "staging", source)
    export_dir = f"{PREFIX}/{entry['export']['dir']}"
    files = [json.loads(line) for line in
             s3.get_object(Bucket=vault, Key=f"{export_dir}/manifest-files.json")["Body"].read().splitlines()]
    key = {"data file": next(f["dataFileS3Key"] for f in files if f["itemCount"]),
           "manifest-files.json": f"{export_dir}/manifest-files.json",
           "manifest-summary.json": f"{export_dir}/manifest-summary.json"}[damaged]
    _flip_a_byte(s3, vault, key)
    named = key.rsplit("/", 1)[1]

    _manifest, found = find_damage(uri, s3=s3)
    assert [d["resource"] for d in found] == ["table"] and named in found[0]["problem"], found
    with pytest.raises(BackupError) as failure:
        verify(uri, s3=s3)
    assert named in failure.value.msg
    delete_all(ddb, pitr_table)
    for mode in ("overwrite", "missing"):
        with pytest.raises(BackupError) as failure:
            restore_table(ddb, uri, mode=mode, s3=s3)
        assert "failed verification, so nothing was written" in failure.value.msg and named in failure.value.msg
        assert failure.value.details["restored"] == 0
    assert all_items(ddb, pitr_table) == []
    # Downloaded, the damage is found by reading the files.
    local = download_backup(s3, vault, "test", "20250101T000000Z", str(tmp_path / "download"))
    assert named in find_damage(local)[1][0]["problem"]


def test_a_table_without_point_in_time_recovery_is_not_exported(ddb, s3, make_table, vault, tmp_path, source):
    table = make_table()
    put_items(ddb, table, numbered(3))
    with pytest.raises(PitrOff, match="point-in-time recovery is off"):
        export_table_to_vault(ddb, s3, table, str(tmp_path), source, vault, PREFIX)
    assert "Contents" not in s3.list_objects_v2(Bucket=vault)
    assert not (tmp_path / "parts").exists()


def test_an_export_into_a_missing_vault_fails_naming_it(ddb, s3, pitr_table, tmp_path, source):
    with pytest.raises(BackupError, match="FAILED: S3NoSuchBucket"):
        export_table_to_vault(ddb, s3, pitr_table, str(tmp_path), source, f"gone-{uuid.uuid4().hex[:8]}", PREFIX)
    assert not (tmp_path / "parts").exists()
