# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_manifest.py: the manifest's versions and the table formats it names, on
real directories, no emulator. Writing and verifying manifests of real backups:
tests/integration/plugins/module_utils/test_backup_manifest.py."""
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import load_manifest

TABLE = {"name": "t", "item_count": 0, "file": "dynamodb/t.jsonl.gz", "bytes": 0, "sha256": "0" * 64}


def _manifest(tmp_path, version, **table):
    data = {"format": "strata-backup", "format_version": version, "source": {"env": "dev"},
            "tables": [dict(TABLE, **table)], "buckets": []}
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    return str(tmp_path)


def test_a_version_1_manifest_holds_the_legacy_table_format(tmp_path):
    assert "table_format" not in load_manifest(_manifest(tmp_path, 1))["tables"][0]


def test_a_version_2_manifest_names_each_tables_format(tmp_path):
    assert load_manifest(_manifest(tmp_path, 2, table_format="dynamodb_json_item"))["tables"][0]["table_format"] == \
        "dynamodb_json_item"
    with pytest.raises(BackupError, match="table 't' names no table_format"):
        load_manifest(_manifest(tmp_path, 2))
    with pytest.raises(BackupError, match="table_format 'csv', expected one of dynamodb_json_item, strata_typed_json"):
        load_manifest(_manifest(tmp_path, 2, table_format="csv"))


def test_an_unknown_manifest_version_is_refused(tmp_path):
    with pytest.raises(BackupError, match="version 3, expected 'strata-backup' version 1 or 2"):
        load_manifest(_manifest(tmp_path, 3, table_format="dynamodb_json_item"))
