# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.dynamodb_backup run by ansible against the emulator (the export logic:
tests/integration/plugins/module_utils/test_backup_dynamodb.py)."""
from __future__ import annotations

from pathlib import Path

from ansible_adhoc import run_module


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
