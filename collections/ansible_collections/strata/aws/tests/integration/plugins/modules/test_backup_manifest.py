# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.backup_manifest run by ansible on a backup taken from the emulator: check mode
lists what is pending, the manifest is written last and once (the manifest logic lives in
module_utils/backup_manifest.py)."""
from __future__ import annotations

from ansible_adhoc import run_module


def test_manifest_is_written_last_and_once(stack, tmp_path):
    table, bucket = stack["table"], stack["bucket"]
    dest = tmp_path / "backups" / "local" / "20250101T000000Z"

    dry = run_module(tmp_path, "strata.aws.dynamodb_backup", {"table": table, "dest": str(dest)}, check=True)
    assert dry["changed"] is True
    complete = {"dest": str(dest), "env": "local", "tables": [table], "buckets": [bucket]}
    dry = run_module(tmp_path, "strata.aws.backup_manifest", complete, check=True)
    assert (dry["changed"], dry["pending"]) == (True, [f"table {table}", f"bucket {bucket}"])
    assert not dest.exists()

    run_module(tmp_path, "strata.aws.dynamodb_backup", {"table": table, "dest": str(dest), "segments": 2})
    run_module(tmp_path, "strata.aws.s3_backup", {"bucket": bucket, "dest": str(dest)})

    dry = run_module(tmp_path, "strata.aws.backup_manifest", complete, check=True)
    assert (dry["changed"], dry["pending"], dry["manifest"]["tables"][0]["item_count"]) == (True, [], 3)
    assert not (dest / "manifest.json").exists()
    written = run_module(tmp_path, "strata.aws.backup_manifest", complete)
    assert written["changed"] is True
    assert written["manifest"]["source"]["env"] == "local"
    assert run_module(tmp_path, "strata.aws.backup_manifest", complete)["changed"] is False


def test_a_resource_not_exported_is_named(stack, tmp_path):
    dest = tmp_path / "backup"
    complete = {"dest": str(dest), "env": "x", "tables": [stack["table"]]}
    missing = run_module(tmp_path, "strata.aws.backup_manifest", complete)
    assert missing["failed"] is True
    assert f"table {stack['table']}: not exported into {dest}" in missing["msg"]
