# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_manifest.py against the emulator, on backups of a table: the manifest
refuses missing files and is written once, verification catches a flipped byte and a count
that differs, live verification compares item counts. The same for buckets:
test_backup_s3.py; manifest versions and table formats: tests/unit/plugins/module_utils/test_backup_manifest.py."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import export_table, restore_table
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import verify, verify_live, write_manifest
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import count_items

from .dynamodb_support import all_items, backup, delete_all, numbered, put_items


def test_manifest_refuses_a_missing_file(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(5))
    result = export_table(ddb, table, str(tmp_path), source)
    os.unlink(result["path"])
    with pytest.raises(BackupError, match=rf"{result['file']}: file is missing"):
        write_manifest(str(tmp_path), "test", [table], [])
    assert not (tmp_path / "manifest.json").exists()


def test_finished_backup_is_never_modified(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(5))
    backup(ddb, table, tmp_path, source)
    assert write_manifest(str(tmp_path), "test", [table], [])["changed"] is False
    for check_mode in (True, False):
        with pytest.raises(BackupError, match="already holds a finished backup"):
            export_table(ddb, table, str(tmp_path), source, check_mode=check_mode)
    with pytest.raises(BackupError, match="already exists for env 'test'"):
        write_manifest(str(tmp_path), "prod", [table], [])


def test_a_flipped_byte_fails_verify_and_restore(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(50))
    result = backup(ddb, table, tmp_path, source)
    data = bytearray(open(result["path"], "rb").read())
    data[len(data) // 2] ^= 0x01
    open(result["path"], "wb").write(bytes(data))

    with pytest.raises(BackupError, match=rf"{result['file']}: sha256 is [0-9a-f]+, manifest says"):
        verify(str(tmp_path))
    delete_all(ddb, table)
    with pytest.raises(BackupError, match="failed verification"):
        restore_table(ddb, str(tmp_path), mode="overwrite")
    assert all_items(ddb, table) == []


def test_a_manifest_count_that_differs_fails_verify(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(8))
    backup(ddb, table, tmp_path, source)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["tables"][0]["item_count"] = 9
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="holds 8 items, manifest says 9"):
        verify(str(tmp_path))


def test_live_verify_compares_item_counts(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(120))
    backup(ddb, table, tmp_path, source)
    manifest = verify(str(tmp_path))

    def count(name):
        return count_items(ddb, name)

    assert verify_live(manifest, count, lambda bucket: 0) == {"tables": {table: 120}, "buckets": {}}
    put_items(ddb, table, numbered(1, start=500))
    with pytest.raises(BackupError, match=f"table {table}: live holds 121 items, backup holds 120"):
        verify_live(manifest, count, lambda bucket: 0)
