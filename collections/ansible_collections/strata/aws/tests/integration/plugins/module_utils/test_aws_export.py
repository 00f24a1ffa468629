# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/aws_export.py against the emulator: an AWS DynamoDB export directory (built by
the ``aws_export_dir`` fixture, tests/conftest.py) restores every type, found from its prefix
or from itself; any damage in it is named and nothing is written; an export of another table
than the one named is refused. Reading and verifying exports alone:
tests/unit/plugins/module_utils/test_aws_export.py."""
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import restore_table
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError

from .dynamodb_support import EVERY_TYPE, all_items, delete_all, numbered

EXPORTED = EVERY_TYPE + numbered(230)


def _split(items, parts):
    return [items[i::parts] for i in range(parts)]


@pytest.mark.parametrize("where", ["prefix", "export"])
def test_an_aws_export_directory_restores_every_type(ddb, make_table, tmp_path, aws_export_dir, where):
    source_table, target = "strata-visits-prod", make_table()
    prefix_dir, export_dir = aws_export_dir(source_table, _split(EXPORTED, 3) + [[]])
    path = prefix_dir if where == "prefix" else export_dir

    dry = restore_table(ddb, aws_export=str(path), table=target, mode="missing", check_mode=True)
    assert (dry["restored"], dry["unchanged"], all_items(ddb, target)) == (len(EXPORTED), 0, [])
    result = restore_table(ddb, aws_export=str(path), table=target, mode="missing")
    assert result == {"table": target, "source_table": source_table, "item_count": len(EXPORTED),
                      "aws_export": str(export_dir),
                      "export_arn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{source_table}"
                                    "/export/01732000000000-a1b2c3d4",
                      "export_time": "2026-11-23T10:00:00.000Z", "restored": len(EXPORTED), "unchanged": 0, "carried": True, "reason": ""}
    assert all_items(ddb, target) == sorted(EXPORTED, key=lambda item: repr(item["pk"]))

    again = restore_table(ddb, aws_export=str(path), table=target, mode="missing")
    assert (again["restored"], again["unchanged"]) == (0, len(EXPORTED))
    delete_all(ddb, target)
    assert restore_table(ddb, aws_export=str(path), table=target, mode="overwrite",
                         check_mode=True)["restored"] == len(EXPORTED)
    assert all_items(ddb, target) == []
    assert restore_table(ddb, aws_export=str(path), table=target, mode="overwrite")["restored"] == len(EXPORTED)
    assert all_items(ddb, target) == sorted(EXPORTED, key=lambda item: repr(item["pk"]))


def _damage_export(export_dir, damage):
    files = [json.loads(line) for line in (export_dir / "manifest-files.json").read_text().splitlines()]
    name = files[1]["dataFileS3Key"].rsplit("/", 1)[1]
    path = export_dir / "data" / name
    data = path.read_bytes()
    if damage == "flipped byte":
        path.write_bytes(data[:-30] + bytes([data[-30] ^ 0x01]) + data[-29:])
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "missing":
        path.unlink()
    elif damage == "file count":
        files[1]["itemCount"] += 1
        (export_dir / "manifest-files.json").write_text("".join(json.dumps(f) + "\n" for f in files))
        summary = json.loads((export_dir / "manifest-summary.json").read_text())
        summary["itemCount"] += 1  # the totals still add up: only the file's own count tells
        (export_dir / "manifest-summary.json").write_text(json.dumps(summary))
    elif damage == "summary count":
        summary = json.loads((export_dir / "manifest-summary.json").read_text())
        summary["itemCount"] += 1
        (export_dir / "manifest-summary.json").write_text(json.dumps(summary))
        return "manifest-files.json lists"
    return f"data/{name}: "


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "missing", "file count", "summary count"])
def test_a_damaged_aws_export_fails_naming_the_file_with_nothing_written(ddb, make_table, tmp_path,
                                                                         aws_export_dir, damage):
    target = make_table()
    _unused, export_dir = aws_export_dir("strata-visits-prod", _split(EXPORTED, 3))
    named = _damage_export(export_dir, damage)

    for mode in ("overwrite", "missing"):
        with pytest.raises(BackupError) as failure:
            restore_table(ddb, aws_export=str(export_dir), table=target, mode=mode)
        assert failure.value.msg.startswith(
            f"table strata-visits-prod: the AWS export {export_dir} failed verification, "
            f"so nothing was written to {target}: {named}")
        assert (failure.value.details["restored"], failure.value.details["unchanged"]) == (0, 0)
        assert all_items(ddb, target) == []


def test_an_aws_export_of_another_table_than_source_table_is_refused(ddb, make_table, tmp_path, aws_export_dir):
    target = make_table()
    _unused, export_dir = aws_export_dir("strata-visits-prod", [numbered(3)])
    with pytest.raises(BackupError, match="is of table 'strata-visits-prod'"):
        restore_table(ddb, aws_export=str(export_dir), source_table="strata-visits-dev", table=target)
    with pytest.raises(BackupError, match="give either src"):
        restore_table(ddb, str(tmp_path), aws_export=str(export_dir), table=target)
    assert all_items(ddb, target) == []
