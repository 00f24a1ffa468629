# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.dynamodb_restore run by ansible on a backup taken from the emulator (the restore
logic: tests/integration/plugins/module_utils/test_backup_dynamodb.py)."""
from __future__ import annotations

import uuid

import pytest

from ansible_adhoc import run_module


def test_puts_back_the_missing_item(stack, stack_backup, tmp_path):
    table = stack["table"]
    stack["ddb"].delete_item(TableName=table, Key={"stat": {"S": "s1"}})

    args = {"src": str(stack_backup), "source_table": table}
    dry = run_module(tmp_path, "strata.aws.dynamodb_restore", args, check=True)
    assert (dry["changed"], dry["restored"], dry["unchanged"]) == (True, 1, 2)
    restored = run_module(tmp_path, "strata.aws.dynamodb_restore", args)
    assert (restored["changed"], restored["restored"]) == (True, 1)
    assert run_module(tmp_path, "strata.aws.dynamodb_restore", args)["changed"] is False


def test_an_unknown_mode_is_refused(tmp_path, emulator_endpoint):
    bad = run_module(tmp_path, "strata.aws.dynamodb_restore", {"src": str(tmp_path / "backup"), "mode": "replace"})
    assert "value of mode must be one of: missing, overwrite, got: replace" in bad["msg"]


@pytest.fixture
def second_table(stack):
    """Another table of the stack, with two items; removed afterwards."""
    ddb, table = stack["ddb"], f"mod-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "stat", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "stat", "AttributeType": "S"}],
    )
    for i in range(2):
        ddb.put_item(TableName=table, Item={"stat": {"S": f"t{i}"}, "ss": {"SS": ["a", "b"]}})
    yield table
    ddb.delete_table(TableName=table)


def _items(ddb, table):
    return sorted(ddb.scan(TableName=table, ConsistentRead=True)["Items"], key=lambda item: item["stat"]["S"])


def test_a_damaged_table_file_fails_that_table_only_and_writes_nothing_to_it(stack, second_table, tmp_path):
    ddb, first = stack["ddb"], stack["table"]
    dest = tmp_path / "backups" / "local" / "20250102T000000Z"
    for table in (first, second_table):
        assert not run_module(tmp_path, "strata.aws.dynamodb_backup", {"table": table, "dest": str(dest)}).get("failed")
    complete = {"dest": str(dest), "env": "local", "tables": [first, second_table]}
    assert not run_module(tmp_path, "strata.aws.backup_manifest", complete).get("failed")
    before = {table: _items(ddb, table) for table in (first, second_table)}
    damaged = dest / "dynamodb" / f"{first}.jsonl.gz"
    data = bytearray(damaged.read_bytes())
    data[-9] ^= 0x01  # in the gzip trailer: every item still decodes, only the checksum tells
    damaged.write_bytes(bytes(data))
    for table in (first, second_table):
        for item in before[table]:
            ddb.delete_item(TableName=table, Key={"stat": item["stat"]})

    results = {table: run_module(tmp_path, "strata.aws.dynamodb_restore",
                                 {"src": str(dest), "source_table": table, "mode": "overwrite"})
               for table in (first, second_table)}
    bad = results[first]
    assert bad["failed"] is True and bad["changed"] is False
    assert bad["msg"].startswith(f"table {first}: its file failed verification, so nothing was written to {first}: "
                                 f"dynamodb/{first}.jsonl.gz: sha256 is ")
    assert (bad["restored"], _items(ddb, first)) == (0, [])
    good = results[second_table]
    assert (good.get("failed", False), good["changed"], good["restored"]) == (False, True, 2)
    assert _items(ddb, second_table) == before[second_table]


def test_restores_an_aws_export_directory_after_verifying_it(stack, tmp_path, aws_export_dir):
    ddb, table = stack["ddb"], stack["table"]
    items = [{"stat": {"S": f"e{i}"}, "n": {"N": str(i)}, "b": {"B": bytes([i])}, "ss": {"SS": ["x", str(i)]}}
             for i in range(40)]
    prefix_dir, export_dir = aws_export_dir("strata-visits-prod", [items[:25], [], items[25:]])
    args = {"aws_export": str(prefix_dir), "table": table, "mode": "missing"}

    dry = run_module(tmp_path, "strata.aws.dynamodb_restore", args, check=True)
    assert (dry["changed"], dry["restored"], dry["unchanged"]) == (True, 40, 0)
    assert len(_items(ddb, table)) == 3
    done = run_module(tmp_path, "strata.aws.dynamodb_restore", args)
    assert (done["changed"], done["restored"], done["source_table"], done["aws_export"]) == (
        True, 40, "strata-visits-prod", str(export_dir))
    assert [item for item in _items(ddb, table) if item["stat"]["S"].startswith("e")] == sorted(
        items, key=lambda item: item["stat"]["S"])

    first = max((export_dir / "data").iterdir(), key=lambda path: path.stat().st_size)
    first.write_bytes(first.read_bytes()[:-4])
    bad = run_module(tmp_path, "strata.aws.dynamodb_restore", dict(args, mode="overwrite"))
    assert bad["failed"] is True and bad["changed"] is False and bad["restored"] == 0
    assert f"data/{first.name}: " in bad["msg"] and "nothing was written" in bad["msg"]
    assert bad["problems"] and bad["problems"][0].startswith(f"data/{first.name}: ")


def test_src_and_aws_export_exclude_each_other_and_one_is_required(tmp_path, emulator_endpoint):
    both = run_module(tmp_path, "strata.aws.dynamodb_restore", {"src": str(tmp_path), "aws_export": str(tmp_path)})
    assert both["failed"] is True and "mutually exclusive: src|aws_export" in both["msg"]
    neither = run_module(tmp_path, "strata.aws.dynamodb_restore", {"table": "t"})
    assert neither["failed"] is True and "one of the following is required: src, aws_export" in neither["msg"]


def test_restores_a_format_version_1_backup(stack, tmp_path):
    from pathlib import Path

    legacy = Path(__file__).parents[1] / "module_utils" / "fixtures" / "legacy_backup_v1"
    ddb, table = stack["ddb"], stack["table"]
    ddb.create_table(
        TableName="strata-visits-legacy", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    try:
        done = run_module(tmp_path, "strata.aws.dynamodb_restore", {"src": str(legacy)})
        assert (done["changed"], done["restored"], done["table"]) == (True, 3, "strata-visits-legacy")
        stored = ddb.get_item(TableName="strata-visits-legacy", Key={"pk": {"S": "every-type"}},
                              ConsistentRead=True)["Item"]
        assert stored["bs"] == {"BS": [b"\x00", b"\xff\xff", bytes(range(256))]}
        assert stored["n_precise"] == {"N": "12345678901234567890123456789.012345678"}
    finally:
        ddb.delete_table(TableName="strata-visits-legacy")
    assert table  # the stack's own table is untouched by this restore
