# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.dynamodb_import run by ansible: a table of a backup in the vault imported into a
new table like the live one, and an empty table created like it (the import logic:
tests/integration/plugins/module_utils/test_backup_import.py)."""
from __future__ import annotations

import uuid

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import upload_backup


def _items(ddb, table):
    return sorted(ddb.scan(TableName=table, ConsistentRead=True)["Items"], key=lambda item: item["stat"]["S"])


def test_imports_a_backup_in_the_vault_into_a_new_table_like_the_live_one(stack, stack_backup, tmp_path):
    ddb, s3, live = stack["ddb"], stack["s3"], stack["table"]
    vault = f"vault-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=vault)
    upload_backup(s3, str(stack_backup), vault, "local/20250101T000000Z")
    imported, created = f"imported-{uuid.uuid4().hex[:8]}", f"created-{uuid.uuid4().hex[:8]}"
    args = {"src": f"s3://{vault}/local/20250101T000000Z", "source_table": live, "table": imported, "like": live,
            "tags": {"strata:drill": "local"}}
    try:
        dry = run_module(tmp_path, "strata.aws.dynamodb_import", args, check=True)
        assert (dry["changed"], dry["imported"]) == (True, 0)
        assert imported not in ddb.list_tables()["TableNames"]
        result = run_module(tmp_path, "strata.aws.dynamodb_import", args)
        assert (result["changed"], result["imported"], result["key_schema"]) == (True, 3, "stat (S, HASH)")
        assert _items(ddb, imported) == _items(ddb, live)
        again = run_module(tmp_path, "strata.aws.dynamodb_import", args)
        assert again["failed"] is True and f"table {imported} already exists" in again["msg"]

        empty = run_module(tmp_path, "strata.aws.dynamodb_import", {"method": "create", "table": created, "like": live})
        assert (empty["changed"], _items(ddb, created)) == (True, [])
        missing_src = run_module(tmp_path, "strata.aws.dynamodb_import", {"table": created, "like": live})
        assert missing_src["failed"] is True and "method is import but all of the following are missing: src" in missing_src["msg"]
    finally:
        for table in (imported, created):
            if table in ddb.list_tables()["TableNames"]:
                ddb.delete_table(TableName=table)
