# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.dynamodb_counter run by ansible against the emulator: read, a one-item backup that
backup_manifest completes, backup_verify passes and dynamodb_restore puts back, check mode, the
conditional write, and a real concurrent increment (UpdateItem ADD, as the Lambda counts a visit)
between the backup and the write, refused with nothing written. The pure helpers:
tests/unit/plugins/module_utils/test_dynamodb_counter.py."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ansible_adhoc import run_module

MODULE = "strata.aws.dynamodb_counter"
KEY = {"stat": "Quantity"}


@pytest.fixture
def ddb(aws_session):
    return aws_session.client("dynamodb")


@pytest.fixture
def table(ddb):
    """A visits table (hash key ``stat``) whose counter item holds 42, and another item."""
    name = f"counter-{uuid.uuid4().hex[:10]}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "stat", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "stat", "AttributeType": "S"}])
    ddb.put_item(TableName=name, Item={"stat": {"S": "Quantity"}, "viewCount": {"N": "42"}, "note": {"S": "seed"}})
    ddb.put_item(TableName=name, Item={"stat": {"S": "Other"}, "viewCount": {"N": "7"}})
    yield name
    ddb.delete_table(TableName=name)


def count(ddb, table, stat="Quantity"):
    item = ddb.get_item(TableName=table, Key={"stat": {"S": stat}}, ConsistentRead=True).get("Item")
    return None if item is None else int(item["viewCount"]["N"])


def test_read_changes_nothing(tmp_path, ddb, table):
    read = run_module(tmp_path, MODULE, {"table": table, "key": KEY})
    assert read["changed"] is False and read["written"] is False, read
    assert (read["present"], read["value"]) == (True, 42)
    assert read["item"] == {"stat": "Quantity", "viewCount": 42, "note": "seed"}
    assert "backup" not in read
    assert count(ddb, table) == 42


def test_backup_set_and_restore(tmp_path, ddb, table):
    dest = tmp_path / "backups" / "counter" / "dev" / "20260101T000000Z"
    saved = run_module(tmp_path, MODULE, {"table": table, "key": KEY, "backup": str(dest)})
    assert saved["changed"] is True and saved["value"] == 42, saved
    assert saved["backup"]["item_count"] == 1
    assert Path(saved["backup"]["path"]).is_file()

    manifest = run_module(tmp_path, "strata.aws.backup_manifest", {"dest": str(dest), "env": "dev", "tables": [table]})
    assert manifest.get("failed") is not True, manifest
    assert manifest["manifest"]["tables"][0]["item_count"] == 1
    verified = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest)})
    assert verified.get("failed") is not True and verified["problems"] == [], verified

    written = run_module(tmp_path, MODULE, {"table": table, "key": KEY, "value": 0, "expected": saved["value"]})
    assert (written["changed"], written["written"], written["value"]) == (True, True, 42), written
    assert count(ddb, table) == 0
    assert count(ddb, table, "Other") == 7

    restored = run_module(tmp_path, "strata.aws.dynamodb_restore",
                          {"src": str(dest), "source_table": table, "table": table, "mode": "overwrite"})
    assert restored.get("failed") is not True, restored
    assert count(ddb, table) == 42
    assert ddb.get_item(TableName=table, Key={"stat": {"S": "Quantity"}})["Item"]["note"] == {"S": "seed"}
    assert count(ddb, table, "Other") == 7


def test_a_concurrent_increment_is_refused_and_nothing_is_written(tmp_path, ddb, table):
    dest = tmp_path / "backup"
    saved = run_module(tmp_path, MODULE, {"table": table, "key": KEY, "backup": str(dest)})
    assert saved["value"] == 42
    # A visit counted between the backup and the write, exactly as the Lambda counts it.
    ddb.update_item(TableName=table, Key={"stat": {"S": "Quantity"}}, UpdateExpression="ADD #c :one",
                    ExpressionAttributeNames={"#c": "viewCount"}, ExpressionAttributeValues={":one": {"N": "1"}})
    refused = run_module(tmp_path, MODULE, {"table": table, "key": KEY, "value": 0, "expected": saved["value"]})
    assert refused["failed"] is True, refused
    assert f"table {table}, item {{\"stat\": \"Quantity\"}}: viewCount is 43 now, not 42" in refused["msg"]
    assert "Nothing was written" in refused["msg"] and "Run the command again" in refused["msg"]
    assert refused["current"] == 43
    assert count(ddb, table) == 43


def test_check_mode_writes_nothing(tmp_path, ddb, table):
    dest = tmp_path / "backup"
    checked = run_module(tmp_path, MODULE, {"table": table, "key": KEY, "backup": str(dest), "value": 5, "expected": 42},
                         check=True)
    assert (checked["changed"], checked["written"], checked["value"]) == (True, False, 42), checked
    assert checked["diff"] == {"before": {"viewCount": 42}, "after": {"viewCount": 5}}
    assert not dest.exists() or not any(dest.rglob("*"))
    assert count(ddb, table) == 42


def test_a_missing_item_is_never_created(tmp_path, ddb, table):
    key = {"stat": "Absent"}
    read = run_module(tmp_path, MODULE, {"table": table, "key": key})
    assert (read["present"], read["item"], read["value"]) == (False, None, None)
    refused = run_module(tmp_path, MODULE, {"table": table, "key": key, "value": 3, "expected": 0})
    assert refused["failed"] is True and "the item is gone now" in refused["msg"], refused
    assert ddb.get_item(TableName=table, Key={"stat": {"S": "Absent"}}).get("Item") is None


def test_bad_input_fails_before_writing(tmp_path, ddb, table):
    negative = run_module(tmp_path, MODULE, {"table": table, "key": KEY, "value": -1, "expected": 42})
    assert negative["failed"] is True and "value must be at least 0, got -1" in negative["msg"], negative
    alone = run_module(tmp_path, MODULE, {"table": table, "key": KEY, "value": 1})
    assert alone["failed"] is True and "expected" in alone["msg"], alone
    missing = run_module(tmp_path, MODULE, {"table": "no-such-table", "key": KEY})
    assert missing["failed"] is True and "table 'no-such-table' does not exist" in missing["msg"], missing
    assert count(ddb, table) == 42
