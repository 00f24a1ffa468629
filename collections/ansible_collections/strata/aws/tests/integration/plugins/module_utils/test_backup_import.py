# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_import.py against the emulator: a table of a strata backup in the vault
restores into a NEW table with ImportTable, shaped like the live table, every type intact
(compared item by item); what would import wrongly is refused before a table is created."""
from __future__ import annotations

import uuid

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_export import export_table_to_vault
from ansible_collections.strata.aws.plugins.module_utils.backup_import import create_table, import_table
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import write_manifest
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import upload_backup

from .dynamodb_support import EVERY_TYPE, all_items, backup, numbered, put_items

PREFIX = "test/20250101T000000Z"
ITEMS = EVERY_TYPE + numbered(120)


@pytest.fixture
def vault(s3):
    name = f"vault-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def new_tables(ddb):
    """Names for new tables; whichever were created are deleted afterwards."""
    names = []

    def make():
        names.append(f"imported-{uuid.uuid4().hex[:10]}")
        return names[-1]

    yield make
    existing = set(ddb.list_tables()["TableNames"])
    for name in names:
        if name in existing:
            ddb.delete_table(TableName=name)


@pytest.fixture
def live(ddb, make_table):
    table = make_table()
    put_items(ddb, table, ITEMS)
    return table


@pytest.fixture
def in_vault(ddb, s3, live, vault, tmp_path, source):
    backup(ddb, live, tmp_path / "backup", source)
    upload_backup(s3, str(tmp_path / "backup"), vault, PREFIX)
    return f"s3://{vault}/{PREFIX}"


def test_a_backup_in_the_vault_imports_into_a_new_table_every_type_intact(ddb, s3, live, in_vault, new_tables):
    target = new_tables()
    dry = import_table(ddb, s3, in_vault, target, like=live, check_mode=True)
    assert (dry["imported"], dry["s3_source"]) == (0, f"{in_vault}/dynamodb/{live}.jsonl.gz")
    assert target not in ddb.list_tables()["TableNames"]

    result = import_table(ddb, s3, in_vault, target, like=live, tags={"strata:drill": "test"})
    assert (result["imported"], result["item_count"], result["source_table"]) == (len(ITEMS), len(ITEMS), live)
    assert (result["key_schema"], result["billing_mode"]) == ("pk (S, HASH)", "PAY_PER_REQUEST")
    assert all_items(ddb, target) == all_items(ddb, live)  # item by item, every type
    description = ddb.describe_table(TableName=target)["Table"]
    assert description["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    tags = ddb.list_tags_of_resource(ResourceArn=description["TableArn"])["Tags"]
    assert tags == [{"Key": "strata:drill", "Value": "test"}]

    with pytest.raises(BackupError, match=f"table {target} already exists"):
        import_table(ddb, s3, in_vault, target, like=live)


def test_a_table_dynamodb_exported_into_the_vault_imports_from_its_data_files(
        ddb, s3, live, vault, tmp_path, source, new_tables):
    ddb.update_continuous_backups(TableName=live, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    entry = export_table_to_vault(ddb, s3, live, str(tmp_path / "staging"), source, vault, PREFIX)
    write_manifest(str(tmp_path / "staging"), "test", [live], [])
    upload_backup(s3, str(tmp_path / "staging"), vault, PREFIX)
    target = new_tables()
    result = import_table(ddb, s3, f"s3://{vault}/{PREFIX}", target, like=live)
    assert result["s3_source"] == f"s3://{vault}/{PREFIX}/{entry['export']['dir']}/data/"
    assert (result["imported"], result["item_count"]) == (len(ITEMS), len(ITEMS))
    assert all_items(ddb, target) == all_items(ddb, live)  # item by item, every type


def test_a_damaged_table_file_in_the_vault_creates_no_table(ddb, s3, live, vault, in_vault, new_tables):
    key = f"{PREFIX}/dynamodb/{live}.jsonl.gz"
    data = bytearray(s3.get_object(Bucket=vault, Key=key)["Body"].read())
    data[-9] ^= 0x01
    s3.put_object(Bucket=vault, Key=key, Body=bytes(data), ChecksumAlgorithm="SHA256")
    target = new_tables()
    with pytest.raises(BackupError, match=f"table {live}: the backup failed verification, so {target} was not created"):
        import_table(ddb, s3, in_vault, target, like=live)
    assert target not in ddb.list_tables()["TableNames"]


def test_a_backup_on_disk_or_another_key_schema_is_refused(ddb, s3, live, in_vault, tmp_path, make_dynamodb_table,
                                                           new_tables):
    target = new_tables()
    with pytest.raises(BackupError, match="ImportTable reads only from S3"):
        import_table(ddb, s3, str(tmp_path / "backup"), target, like=live)
    other = make_dynamodb_table("other", hash_key=("id", "N"))
    with pytest.raises(BackupError, match=f"the key schema changed: {live} had pk .S, HASH., {other} has id .N, HASH."):
        import_table(ddb, s3, in_vault, target, like=other)
    assert target not in ddb.list_tables()["TableNames"]


def test_create_table_makes_an_empty_table_of_the_same_shape(ddb, live, new_tables):
    target = new_tables()
    result = create_table(ddb, target, like=live, tags={"strata:drill": "test"})
    assert (result["table"], result["key_schema"]) == (target, "pk (S, HASH)")
    assert all_items(ddb, target) == []
    arn = ddb.describe_table(TableName=target)["Table"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "strata:drill", "Value": "test"}]
