# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DynamoDB backup and restore against the emulator: every type survives, exports are
atomic, verification catches corruption, restore modes keep or replace items."""
from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client, source_identity
from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import (
    count_items,
    export_table,
    restore_table,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_format import (
    BackupError,
    verify,
    verify_live,
    write_manifest,
)

EVERY_TYPE = [
    {
        "pk": {"S": "every-type"},
        "s": {"S": "plain"},
        "unicode": {"S": "Zażółć gęślą jaźń · 日本語 · עברית"},
        "emoji": {"S": "🦄👩‍👩‍👧‍👦🏳️‍🌈"},
        "empty_s": {"S": ""},
        "n_int": {"N": "42"},
        "n_negative": {"N": "-17.25"},
        "n_precise": {"N": "12345678901234567890123456789.012345678"},
        "n_tiny": {"N": "-0.000000000000000000000000000000000000001"},
        "n_huge": {"N": "9.9999999999999999999999999999999999999E+125"},
        "b": {"B": bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0x0A])},
        "b_empty": {"B": b""},
        "ss": {"SS": ["a", "ß", "🙂"]},
        "ns": {"NS": ["1", "-2.5", "3.14159265358979323846264338327950288"]},
        "bs": {"BS": [b"\x00", b"\xff\xff", bytes(range(256))]},
        "bool_t": {"BOOL": True},
        "bool_f": {"BOOL": False},
        "null": {"NULL": True},
        "l": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x01\x02"}, {"NULL": True}, {"L": []}, {"M": {}}]},
        "l_empty": {"L": []},
        "m_empty": {"M": {}},
        "m": {"M": {
            "nested": {"M": {"deeper": {"M": {"bs": {"BS": [b"\xde\xad"]}, "ns": {"NS": ["0"]}}}}},
            "list": {"L": [{"M": {"b": {"B": b"\xff"}}}, {"SS": ["only"]}]},
            "key with spaces/and.dots": {"S": "\u0000 control \u001f chars"},
        }},
    },
    {"pk": {"S": "ключ 🔑"}, "only": {"N": "0"}},
    {"pk": {"S": "\u00e9"}, "composed": {"S": "e\u0301"}},
]


@pytest.fixture
def ddb(emulator_endpoint):
    return aws_client("dynamodb")


@pytest.fixture
def make_table(ddb):
    """Create PAY_PER_REQUEST tables (hash key ``pk`` S by default); delete them afterwards."""
    created = []

    def make(keys=(("pk", "S", "HASH"),)):
        name = f"backup-{uuid.uuid4().hex[:10]}"
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": n, "KeyType": k} for n, _unused, k in keys],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t, _unused in keys],
        )
        created.append(name)
        return name

    yield make
    for name in created:
        ddb.delete_table(TableName=name)


@pytest.fixture
def source(ddb):
    return source_identity(ddb)


def put_items(ddb, table, items):
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        response = ddb.batch_write_item(RequestItems={table: requests})
        assert not response["UnprocessedItems"]


def all_items(ddb, table, key="pk"):
    items = []
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: repr(item[key]))


def delete_all(ddb, table, key_names=("pk",)):
    for item in all_items(ddb, table, key_names[0]):
        ddb.delete_item(TableName=table, Key={name: item[name] for name in key_names})


def numbered(count, start=0):
    return [{"pk": {"S": f"item-{i:06d}"}, "n": {"N": str(i)}, "payload": {"B": os.urandom(16)}}
            for i in range(start, start + count)]


def backup(ddb, table, dest, source, **kwargs):
    """Export ``table`` and complete the backup with its manifest."""
    result = export_table(ddb, table, str(dest), source, **kwargs)
    write_manifest(str(dest), "test", [table], [])
    return result


class FailingScans:
    """A DynamoDB client whose Scan raises ``error`` from call number ``fail_at`` (1-based)
    on, possibly only ``times`` times; everything else goes to the real client."""

    def __init__(self, client, error, fail_at=1, times=None):
        self._client = client
        self._error = error
        self._fail_at = fail_at
        self._times = times
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def scan(self, **kwargs):
        self.calls += 1
        failing = self.calls >= self._fail_at and (self._times is None or self.calls < self._fail_at + self._times)
        if failing:
            raise self._error
        return self._client.scan(**kwargs)


def throttled():
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "Scan"
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
    keys = (("id", "B", "HASH"), ("seq", "N", "RANGE"))
    table = make_table(keys)
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


def test_parallel_scan_exports_the_same_items(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(700))

    def exported_lines(dest, segments):
        result = export_table(ddb, table, str(dest), source, segments=segments, page_size=50)
        with gzip.open(dest / result["file"], "rt", encoding="utf-8") as handle:
            return result["item_count"], sorted(handle)

    count1, lines1 = exported_lines(tmp_path / "one", 1)
    count4, lines4 = exported_lines(tmp_path / "four", 4)
    assert count1 == count4 == 700
    assert lines1 == lines4


def _leftovers(dest):
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())


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


def test_throttled_scans_are_retried(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(30))
    flaky = FailingScans(ddb, throttled(), fail_at=1, times=3)
    result = export_table(flaky, table, str(tmp_path), source, retries=5)
    assert result["item_count"] == 30
    assert flaky.calls == 4


def test_throttling_beyond_the_retries_fails_the_export(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(3))
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        export_table(FailingScans(ddb, throttled()), table, str(tmp_path), source, retries=2)
    assert _leftovers(tmp_path) == []


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
    from ansible_collections.strata.aws.plugins.module_utils import backup_dynamodb, backup_format

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

    monkeypatch.setattr(backup_format, "sha256_file", counting("sha256", backup_format.sha256_file))
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


def test_export_of_a_missing_table_names_it(ddb, tmp_path):
    with pytest.raises(BackupError, match="table 'no-such-table' does not exist"):
        export_table(ddb, "no-such-table", str(tmp_path), None)


# --- AWS's export format, old-format backups, AWS export directories, PITR -----------------

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


@pytest.mark.parametrize("pitr", [True, False])
def test_the_manifest_records_the_point_in_time_recovery_window(ddb, make_table, source, tmp_path, pitr):
    table = make_table()
    put_items(ddb, table, numbered(4))
    if pitr:
        ddb.update_continuous_backups(TableName=table,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    result = backup(ddb, table, tmp_path, source)

    entry = json.loads((tmp_path / "manifest.json").read_text())["tables"][0]
    assert entry["pitr"] == result["pitr"]
    assert "pitr_unknown" not in entry
    if pitr:
        live = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        window = live["PointInTimeRecoveryDescription"]
        assert set(entry["pitr"]) >= {"earliest", "latest"}
        for field, key in (("earliest", "EarliestRestorableDateTime"), ("latest", "LatestRestorableDateTime")):
            recorded = datetime.datetime.strptime(entry["pitr"][field], "%Y-%m-%dT%H:%M:%S.%fZ")
            assert entry["pitr"][field].endswith("Z")
            assert abs(recorded.replace(tzinfo=datetime.timezone.utc) - window[key]) < datetime.timedelta(seconds=1)
        assert entry["pitr"]["earliest"] <= entry["pitr"]["latest"]
    else:
        assert entry["pitr"] is None


class NoContinuousBackups:
    """A DynamoDB client whose DescribeContinuousBackups fails with ``code`` (a role without
    dynamodb:DescribeContinuousBackups, an emulator without the call)."""

    def __init__(self, client, code):
        self._client, self._code = client, code

    def __getattr__(self, name):
        return getattr(self._client, name)

    def describe_continuous_backups(self, **kwargs):
        raise ClientError({"Error": {"Code": self._code, "Message": "not for you"}}, "DescribeContinuousBackups")


@pytest.mark.parametrize("code", ["AccessDeniedException", "UnknownOperationException"])
def test_an_unreadable_recovery_window_is_recorded_as_unknown_not_fatal(ddb, make_table, source, tmp_path, code):
    table = make_table()
    put_items(ddb, table, numbered(2))
    result = backup(NoContinuousBackups(ddb, code), table, tmp_path, source)
    entry = json.loads((tmp_path / "manifest.json").read_text())["tables"][0]
    assert (result["item_count"], entry["pitr"]) == (2, None)
    assert entry["pitr_unknown"].startswith(f"DescribeContinuousBackups failed: {code}")


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


# --- key schema ---------------------------------------------------------------------------


def test_the_backup_records_the_key_schema_and_restore_refuses_another(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(40))
    exported = backup(ddb, table, tmp_path, source)
    assert exported["key_schema"] == [{"name": "pk", "type": "S", "key": "HASH"}]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["tables"][0]["key_schema"] == exported["key_schema"]

    renamed = make_table(keys=(("metric", "S", "HASH"),))
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
