# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DynamoDB backup and restore against the emulator: every type survives, exports are
atomic, a damaged file is refused before anything is written, restore modes keep or replace
items, old-format backups keep restoring, the key schema is recorded and checked. Scans and
the recovery window: test_dynamodb_table.py; the manifest and verification:
test_backup_manifest.py; restoring from AWS export directories: test_aws_export.py."""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import export_table, restore_table
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import verify, write_manifest

from .dynamodb_support import (
    EVERY_TYPE,
    FailingScans,
    _leftovers,
    all_items,
    backup,
    delete_all,
    numbered,
    put_items,
)


def test_every_type_round_trips_exactly(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, EVERY_TYPE)
    before = all_items(ddb, table)

    result = backup(ddb, table, tmp_path, source)
    assert result["item_count"] == len(EVERY_TYPE)
    lines = [json.loads(line) for line in gzip.open(tmp_path / result["file"], "rt", encoding="utf-8")]
    assert all(set(line) == {"Item"} for line in lines)  # AWS's DynamoDB JSON export line
    stored = next(line["Item"] for line in lines if line["Item"]["pk"] == {"S": "every-type"})
    assert stored["n_precise"] == {"N": "12345678901234567890123456789.012345678"}
    assert stored["b"] == {"B": "//4AgMMoCg=="}
    assert stored["emoji"] == {"S": "🦄👩‍👩‍👧‍👦🏳️‍🌈"}

    delete_all(ddb, table)
    assert all_items(ddb, table) == []
    restored = restore_table(ddb, str(tmp_path), mode="overwrite")
    assert (restored["restored"], restored["unchanged"]) == (len(EVERY_TYPE), 0)
    assert all_items(ddb, table) == before


def test_composite_binary_key_round_trips_in_both_modes(ddb, make_table, source, tmp_path):
    table = make_table(hash_key=("id", "B"), range_key=("seq", "N"))
    items = [{"id": {"B": bytes([i, 0xFF])}, "seq": {"N": str(-i)}, "v": {"S": f"v{i}"}} for i in range(60)]
    put_items(ddb, table, items)
    before = all_items(ddb, table, "id")
    backup(ddb, table, tmp_path, source)

    delete_all(ddb, table, ("id", "seq"))
    put_items(ddb, table, items[:10])
    result = restore_table(ddb, str(tmp_path), mode="missing")
    assert (result["restored"], result["unchanged"]) == (50, 10)
    assert all_items(ddb, table, "id") == before


def test_ten_thousand_items_restore_into_another_table(ddb, make_table, source, tmp_path):
    table, target = make_table(), make_table()
    put_items(ddb, table, numbered(10_000))

    exported = backup(ddb, table, tmp_path, source)
    assert exported["item_count"] == 10_000
    verify(str(tmp_path))
    result = restore_table(ddb, str(tmp_path), table=target, mode="overwrite")
    assert result == {"table": target, "source_table": table, "item_count": 10_000,
                      "restored": 10_000, "unchanged": 0, "carried": True, "reason": ""}
    assert all_items(ddb, target) == all_items(ddb, table)


@pytest.mark.parametrize("segments", [1, 4])
def test_interrupted_export_leaves_no_file_and_no_manifest(ddb, make_table, source, tmp_path, segments):
    table = make_table()
    put_items(ddb, table, numbered(300))
    failing = FailingScans(ddb, RuntimeError("connection lost mid-export"), fail_at=3)

    with pytest.raises(RuntimeError, match="connection lost"):
        export_table(failing, table, str(tmp_path), source, segments=segments, page_size=20)
    assert failing.calls >= 3
    assert _leftovers(tmp_path) == []

    with pytest.raises(BackupError, match=f"table {table}: not exported"):
        write_manifest(str(tmp_path), "test", [table], [])
    assert not (tmp_path / "manifest.json").exists()


def test_failed_reexport_does_not_leave_the_older_part_record(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(40))
    export_table(ddb, table, str(tmp_path), source)
    with pytest.raises(RuntimeError):
        export_table(FailingScans(ddb, RuntimeError("boom")), table, str(tmp_path), source)
    with pytest.raises(BackupError, match="not exported"):
        write_manifest(str(tmp_path), "test", [table], [])


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "missing"])
def test_a_damaged_table_file_fails_the_restore_before_writing_anything(ddb, make_table, source, tmp_path, damage):
    table = make_table()
    put_items(ddb, table, numbered(120))
    result = backup(ddb, table, tmp_path, source)
    path = tmp_path / result["file"]
    data = path.read_bytes()
    if damage == "flipped byte":
        path.write_bytes(data[:-100] + bytes([data[-100] ^ 0x01]) + data[-99:])  # past the first items
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.unlink()
    delete_all(ddb, table)

    for mode in ("overwrite", "missing"):
        with pytest.raises(BackupError) as failure:
            restore_table(ddb, str(tmp_path), mode=mode)
        assert failure.value.msg.startswith(
            f"table {table}: its file failed verification, so nothing was written to {table}: {result['file']}: ")
        assert failure.value.details == {"table": table, "source_table": table, "item_count": 120,
                                         "restored": 0, "unchanged": 0}
        assert all_items(ddb, table) == []


def test_restore_reads_the_raw_file_once_and_parses_it_once(ddb, make_table, source, tmp_path, monkeypatch):
    from ansible_collections.strata.aws.plugins.module_utils import backup_dynamodb, backup_manifest

    table = make_table()
    put_items(ddb, table, numbered(60))
    backup(ddb, table, tmp_path, source)
    delete_all(ddb, table)
    calls = {"sha256": 0, "parse": 0}

    def counting(name, func):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return func(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(backup_manifest, "sha256_file", counting("sha256", backup_manifest.sha256_file))
    monkeypatch.setattr(backup_dynamodb, "read_gzip_lines", counting("parse", backup_dynamodb.read_gzip_lines))
    assert restore_table(ddb, str(tmp_path), mode="overwrite")["restored"] == 60
    assert calls == {"sha256": 1, "parse": 1}
    assert len(all_items(ddb, table)) == 60


def test_a_file_that_matches_its_manifest_but_is_not_gzip_fails_naming_it(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(3))
    result = backup(ddb, table, tmp_path, source)
    path = tmp_path / result["file"]
    path.write_bytes(b"not gzip at all")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["tables"][0].update(bytes=path.stat().st_size,
                                 sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(BackupError, match=rf"{result['file']}: unreadable after 0 lines"):
        verify(str(tmp_path))
    with pytest.raises(BackupError, match=rf"table {table}: {result['file']} is unreadable after 0 items"):
        restore_table(ddb, str(tmp_path), mode="overwrite")


def test_export_hands_gzip_bounded_writes_not_joined_pages(ddb, make_table, source, tmp_path, monkeypatch):
    import gzip as gzip_module

    from ansible_collections.strata.aws.plugins.module_utils import backup_dynamodb

    table = make_table()
    put_items(ddb, table, numbered(5000))
    writes = []

    class RecordingGzip(gzip_module.GzipFile):
        def write(self, data):
            writes.append(len(data))
            return super().write(data)

    monkeypatch.setattr(backup_dynamodb, "gzip_stream",
                        lambda out: RecordingGzip(filename="", mode="wb", fileobj=out, mtime=0))
    result = export_table(ddb, table, str(tmp_path), source)
    assert result["item_count"] == 5000
    assert sum(writes) > backup_dynamodb.WRITE_BUFFER  # more than one buffer of lines ...
    assert max(writes) <= backup_dynamodb.WRITE_BUFFER  # ... never handed over at once
    with gzip_module.open(result["path"], "rt", encoding="utf-8") as handle:
        assert sum(1 for _unused in handle) == 5000


def test_restore_missing_keeps_existing_items_and_overwrite_replaces_them(ddb, make_table, source, tmp_path):
    table = make_table()
    items = numbered(30)
    put_items(ddb, table, items)
    backup(ddb, table, tmp_path, source)

    changed = {"pk": {"S": "item-000001"}, "n": {"N": "-1"}}
    ddb.put_item(TableName=table, Item=changed)
    ddb.delete_item(TableName=table, Key={"pk": {"S": "item-000002"}})
    new = {"pk": {"S": "not-in-backup"}, "n": {"N": "7"}}
    ddb.put_item(TableName=table, Item=new)

    assert restore_table(ddb, str(tmp_path), mode="missing", check_mode=True)["restored"] == 1
    assert len(all_items(ddb, table)) == 30
    result = restore_table(ddb, str(tmp_path), mode="missing")
    assert (result["restored"], result["unchanged"]) == (1, 29)
    current = {item["pk"]["S"]: item for item in all_items(ddb, table)}
    assert current["item-000001"] == changed
    assert current["item-000002"] == items[2]

    result = restore_table(ddb, str(tmp_path), mode="overwrite")
    assert (result["restored"], result["unchanged"]) == (30, 0)
    current = {item["pk"]["S"]: item for item in all_items(ddb, table)}
    assert current["item-000001"] == items[1]
    assert current["not-in-backup"] == new


def test_check_mode_export_writes_nothing(ddb, make_table, tmp_path):
    table = make_table()
    result = export_table(ddb, table, str(tmp_path / "b"), None, check_mode=True)
    assert result["file"] == f"dynamodb/{table}.jsonl.gz"
    assert not (tmp_path / "b").exists()


# --- AWS's export line format and old-format backups -------------------------------------

LEGACY_BACKUP = Path(__file__).parent / "fixtures" / "legacy_backup_v1"
"""A format_version 1 backup as strata wrote it before the AWS line format: one bare typed item
a line (no ``Item``), no ``table_format``, of a table ``strata-visits-legacy`` holding
EVERY_TYPE. Written by the export of that time; kept byte for byte so it keeps restoring."""


def test_a_new_backup_line_is_an_item_line_a_plain_json_loads_reads(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, EVERY_TYPE[1:])
    result = backup(ddb, table, tmp_path, source)

    with open(tmp_path / result["file"], "rb") as handle:
        first = gzip.decompress(handle.read()).split(b"\n", maxsplit=1)[0]
    line = json.loads(first)
    assert "Item" in line and set(line) == {"Item"}
    assert line["Item"]["pk"] in ({"S": "ключ 🔑"}, {"S": "\u00e9"})
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert (manifest["format_version"], manifest["tables"][0]["table_format"]) == (2, "dynamodb_json_item")


def _legacy_copy(tmp_path):
    dest = tmp_path / "legacy"
    shutil.copytree(LEGACY_BACKUP, dest)
    return dest


def test_an_old_format_backup_keeps_restoring_every_type(ddb, make_table, tmp_path):
    src = _legacy_copy(tmp_path)
    manifest = json.loads((src / "manifest.json").read_text())
    assert manifest["format_version"] == 1 and "table_format" not in manifest["tables"][0]
    with gzip.open(src / manifest["tables"][0]["file"], "rt", encoding="utf-8") as handle:
        assert "Item" not in json.loads(handle.readline())  # the old line form: the bare item
    verify(str(src))

    target = make_table()
    result = restore_table(ddb, str(src), table=target, mode="missing")
    assert result == {"table": target, "source_table": "strata-visits-legacy", "item_count": 3,
                      "restored": 3, "unchanged": 0, "carried": True, "reason": ""}
    assert all_items(ddb, target) == sorted(EVERY_TYPE, key=lambda item: repr(item["pk"]))
    delete_all(ddb, target)
    assert restore_table(ddb, str(src), table=target, mode="overwrite")["restored"] == 3
    assert all_items(ddb, target) == sorted(EVERY_TYPE, key=lambda item: repr(item["pk"]))


def test_a_file_whose_lines_do_not_have_its_formats_shape_fails_naming_it(ddb, make_table, source, tmp_path):
    """A file in the old line form under a manifest that says dynamodb_json_item (or the
    reverse) is refused, not restored as garbage items."""
    table = make_table()
    put_items(ddb, table, numbered(3))
    result = backup(ddb, table, tmp_path, source)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["tables"][0]["table_format"] = "strata_typed_json"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    verify(str(tmp_path))  # an {"Item": ...} line is a JSON object: the shape check of the old form passes
    delete_all(ddb, table)

    legacy = _legacy_copy(tmp_path)
    manifest = json.loads((legacy / "manifest.json").read_text())
    manifest.update(format_version=2)
    manifest["tables"][0]["table_format"] = "dynamodb_json_item"
    (legacy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match=r'unreadable after 0 lines \(expected a line \{"Item": \{\.\.\.\}\}\)'):
        verify(str(legacy))
    with pytest.raises(BackupError, match=r"strata-visits-legacy.jsonl.gz is unreadable after 0 items"):
        restore_table(ddb, str(legacy), table=table, mode="overwrite")
    assert all_items(ddb, table) == []
    assert result["item_count"] == 3


# --- key schema ---------------------------------------------------------------------------


def test_the_backup_records_the_key_schema_and_restore_refuses_another(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(40))
    exported = backup(ddb, table, tmp_path, source)
    assert exported["key_schema"] == [{"name": "pk", "type": "S", "key": "HASH"}]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["tables"][0]["key_schema"] == exported["key_schema"]

    renamed = make_table(hash_key=("metric", "S"))
    with pytest.raises(BackupError) as failure:
        restore_table(ddb, str(tmp_path), table=renamed, mode="overwrite")
    assert "the key schema changed" in failure.value.msg
    assert "pk (S, HASH)" in failure.value.msg and "metric (S, HASH)" in failure.value.msg
    assert failure.value.details["restored"] == 0

    result = restore_table(ddb, str(tmp_path), table=renamed, mode="overwrite", key_schema_changed="skip")
    assert (result["carried"], result["restored"]) == (False, 0)
    assert f"{table} had pk (S, HASH), {renamed} has metric (S, HASH)" in result["reason"]
    assert all_items(ddb, renamed, key="metric") == []

    same_key = make_table()
    result = restore_table(ddb, str(tmp_path), table=same_key, mode="overwrite", key_schema_changed="skip")
    assert (result["carried"], result["restored"]) == (True, 40)
    assert all_items(ddb, same_key) == all_items(ddb, table)
