# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_format.py: choosing a backup in the backup root (find_backup), the
manifest's versions and table formats, and AWS export directories, on real directories, no
emulator."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_format import (
    BackupError,
    backup_created,
    find_aws_export,
    find_backup,
    line_item,
    list_backups,
    load_aws_export,
    load_manifest,
    md5_matches,
    table_line,
    verify_aws_export,
)


def make_backup(root, env, name, created_at="2025-01-01T00:00:00Z", manifest_env=None, manifest=True):
    """A backup directory ``<root>/<env>/<name>``, complete (with a manifest of
    ``manifest_env``, default ``env``) unless ``manifest`` is False."""
    path = root / env / name
    path.mkdir(parents=True)
    if manifest:
        data = {
            "format": "strata-backup", "format_version": 1,
            "source": {"account": "123456789012", "region": "us-east-1", "endpoint_url": None,
                       "env": manifest_env or env},
            "tables": [], "buckets": [],
        }
        if created_at is not None:
            data["created_at"] = created_at
        (path / "manifest.json").write_text(json.dumps(data))
    return path


def test_latest_complete_backup_by_manifest_time_not_mtime(tmp_path):
    make_backup(tmp_path, "dev", "20250103T000000Z", created_at="2025-01-03T00:00:00Z")
    newest = make_backup(tmp_path, "dev", "b-named-oddly", created_at="2025-01-05T12:00:00Z")
    older = make_backup(tmp_path, "dev", "20250104T000000Z", created_at="2025-01-04T00:00:00Z")
    os.utime(newest, (0, 0))  # mtime says oldest; the manifest says newest
    os.utime(older, None)
    result = find_backup(str(tmp_path), "dev")
    assert (result["dir"], result["name"]) == (str(newest), "b-named-oddly")
    assert result["manifest"]["created_at"] == "2025-01-05T12:00:00Z"
    assert [b["name"] for b in result["backups"]] == ["b-named-oddly", "20250104T000000Z", "20250103T000000Z"]
    assert result["backups"][0] == {"name": "b-named-oddly", "created": "2025-01-05T12:00:00Z", "path": str(newest)}


def test_a_manifest_without_created_at_is_dated_by_its_name(tmp_path):
    make_backup(tmp_path, "dev", "20250102T000000Z", created_at="2025-01-02T00:00:00Z")
    make_backup(tmp_path, "dev", "20250109T101010Z", created_at=None)
    make_backup(tmp_path, "dev", "undated", created_at=None)
    result = find_backup(str(tmp_path), "dev")
    assert result["name"] == "20250109T101010Z"
    assert [(b["name"], b["created"]) for b in result["backups"]] == [
        ("20250109T101010Z", "2025-01-09T10:10:10Z"), ("20250102T000000Z", "2025-01-02T00:00:00Z"), ("undated", ""),
    ]


def test_backup_created_prefers_the_manifest():
    assert backup_created("20250101T000000Z", {"created_at": "2026-02-03T04:05:06Z"}).isoformat() == "2026-02-03T04:05:06+00:00"
    assert backup_created("20250101T000000Z", {}).isoformat() == "2025-01-01T00:00:00+00:00"
    assert backup_created("manual", {"created_at": "yesterday"}) is None


def test_an_incomplete_backup_is_never_chosen(tmp_path):
    complete = make_backup(tmp_path, "dev", "20250101T000000Z")
    make_backup(tmp_path, "dev", "20250102T000000Z", manifest=False)
    (tmp_path / "dev" / "20250103T000000Z").mkdir()
    (tmp_path / "dev" / "20250103T000000Z" / "manifest.json").write_text("{not json")
    result = find_backup(str(tmp_path), "dev")
    assert result["dir"] == str(complete)
    assert [(s["name"], s["kind"]) for s in result["ignored"]] == [
        ("20250102T000000Z", "incomplete"), ("20250103T000000Z", "invalid"),
    ]
    with pytest.raises(BackupError, match=r"name '20250102T000000Z': .*20250102T000000Z has no manifest.json, "
                                          r"so the backup is incomplete; expected a complete backup"):
        find_backup(str(tmp_path), "dev", "20250102T000000Z")


def test_no_backup_fails_a_restore_and_is_empty_for_reuse(tmp_path):
    make_backup(tmp_path, "dev", "20250102T000000Z", manifest=False)
    make_backup(tmp_path, "prod", "20250101T000000Z")
    with pytest.raises(BackupError, match=rf"{tmp_path}/dev holds no complete backup of env 'dev' .*"
                                          r"20250102T000000Z: incomplete: no manifest.json.*take a backup first"):
        find_backup(str(tmp_path), "dev")
    assert find_backup(str(tmp_path), "dev", purpose="reuse") == {
        "dir": "", "name": "", "manifest": {}, "backups": [], "env_dir": str(tmp_path / "dev"),
        "ignored": [{"name": "20250102T000000Z", "kind": "incomplete", "reason": "incomplete: no manifest.json"}],
        "resources": [],
    }
    assert find_backup(str(tmp_path / "nothing-here"), "dev", purpose="reuse")["dir"] == ""


def test_a_named_backup_by_name_relative_or_absolute_path(tmp_path):
    chosen = make_backup(tmp_path, "dev", "20250101T000000Z")
    make_backup(tmp_path, "dev", "20250102T000000Z", created_at="2025-01-02T00:00:00Z")
    for name in ("20250101T000000Z", "./20250101T000000Z/", str(chosen), str(tmp_path / "dev" / ".." / "dev" / "20250101T000000Z")):
        result = find_backup(str(tmp_path), "dev", name)
        assert (result["dir"], result["name"]) == (str(chosen), "20250101T000000Z"), name
        assert [b["name"] for b in result["backups"]] == ["20250102T000000Z", "20250101T000000Z"]


@pytest.mark.parametrize("name", ["../prod/20250101T000000Z", "..", ".", "20250101T000000Z/..", "20250101T000000Z/dynamodb"])
def test_a_name_that_leaves_the_env_dir_is_refused(tmp_path, name):
    make_backup(tmp_path, "dev", "20250101T000000Z")
    (tmp_path / "dev" / "20250101T000000Z" / "dynamodb").mkdir()
    make_backup(tmp_path, "prod", "20250101T000000Z")
    with pytest.raises(BackupError) as err:
        find_backup(str(tmp_path), "dev", name)
    assert err.value.msg.startswith(f"name {name!r} resolves to ")
    assert f"which is not inside {tmp_path}/dev: expected a backup directory directly inside {tmp_path}/dev" in err.value.msg


def test_an_absolute_path_outside_the_root_is_refused(tmp_path):
    root = tmp_path / "root"
    make_backup(root, "dev", "20250101T000000Z")
    elsewhere = make_backup(tmp_path / "elsewhere", "dev", "20250101T000000Z")
    with pytest.raises(BackupError, match=rf"name '{elsewhere}' resolves to {elsewhere}, which is not inside {root}/dev"):
        find_backup(str(root), "dev", str(elsewhere))


def test_symlinks_are_resolved_before_the_check(tmp_path):
    root = tmp_path / "root"
    inside = make_backup(root, "dev", "20250101T000000Z")
    outside = make_backup(tmp_path / "elsewhere", "dev", "20250109T000000Z", created_at="2025-01-09T00:00:00Z")
    (root / "dev" / "escape").symlink_to(outside)
    (root / "dev" / "latest").symlink_to(inside)

    with pytest.raises(BackupError, match=rf"name 'escape' resolves to {outside}, which is not inside {root}/dev"):
        find_backup(str(root), "dev", "escape")
    by_alias = find_backup(str(root), "dev", "latest")
    assert (by_alias["dir"], by_alias["name"]) == (str(inside), "20250101T000000Z")
    latest = find_backup(str(root), "dev")
    assert latest["dir"] == str(inside)
    assert [b["name"] for b in latest["backups"]] == ["20250101T000000Z"]
    assert [(s["name"], s["kind"]) for s in latest["ignored"]] == [("escape", "outside")]


def test_a_backup_root_reached_through_a_symlink(tmp_path):
    real = tmp_path / "real"
    backup = make_backup(real, "dev", "20250101T000000Z")
    (tmp_path / "link").symlink_to(real)
    result = find_backup(str(tmp_path / "link"), "dev", str(backup))
    assert result["dir"] == str(tmp_path / "link" / "dev" / "20250101T000000Z")


def test_a_backup_of_another_env_is_refused(tmp_path):
    make_backup(tmp_path, "dev", "20250101T000000Z")
    make_backup(tmp_path, "dev", "20250105T000000Z", created_at="2025-01-05T00:00:00Z", manifest_env="prod")
    with pytest.raises(BackupError) as err:
        find_backup(str(tmp_path), "dev", "20250105T000000Z")
    assert err.value.msg == (
        f"name '20250105T000000Z': {tmp_path}/dev/20250105T000000Z is a backup of env 'prod' (its manifest's "
        "source.env), expected a backup of env 'dev'; refusing to use another environment's backup"
    )
    latest = find_backup(str(tmp_path), "dev")
    assert latest["name"] == "20250101T000000Z"
    assert latest["ignored"] == [{"name": "20250105T000000Z", "kind": "foreign",
                                  "reason": "its manifest is for env 'prod', not 'dev'"}]


@pytest.mark.parametrize("env", ["", ".", "..", "dev/..", "a/b"])
def test_env_must_be_one_directory_name(tmp_path, env):
    with pytest.raises(BackupError, match=rf"env {env!r}: expected an environment name"):
        find_backup(str(tmp_path), env)


def test_a_named_backup_that_does_not_exist(tmp_path):
    (tmp_path / "dev").mkdir()
    with pytest.raises(BackupError, match=rf"name 'nope': {tmp_path}/dev/nope does not exist or is not a directory; "
                                          rf"expected a backup directory directly inside {tmp_path}/dev"):
        find_backup(str(tmp_path), "dev", "nope")


def test_unknown_purpose(tmp_path):
    with pytest.raises(BackupError, match="purpose 'keep': expected one of restore, reuse"):
        find_backup(str(tmp_path), "dev", purpose="keep")


def test_list_backups_of_a_missing_env_dir(tmp_path):
    assert list_backups(str(tmp_path), "dev") == ([], [])


def _holding(path, tables=(), buckets=()):
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"] = [{"name": name, "file": f"tables/{name}.jsonl.gz", "item_count": 0, "bytes": 0,
                           "sha256": "0" * 64} for name in tables]
    manifest["buckets"] = [{"name": name, "index": f"buckets/{name}/index.jsonl", "object_count": 0, "bytes": 0,
                            "index_bytes": 0, "index_sha256": "0" * 64} for name in buckets]
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_each_resource_comes_from_the_newest_backup_that_holds_it(tmp_path):
    """A teardown interrupted after the table was destroyed, then run again: its second
    backup holds only the buckets; the table is still found in the first."""
    first = make_backup(tmp_path, "dev", "20250101T000000Z", created_at="2025-01-01T00:00:00Z")
    _holding(first, tables=["t"], buckets=["site", "logs"])
    second = make_backup(tmp_path, "dev", "20250101T001000Z", created_at="2025-01-01T00:10:00Z")
    _holding(second, buckets=["site", "logs"])
    found = find_backup(str(tmp_path), "dev")
    assert found["dir"] == str(second)
    assert [(r["kind"], r["name"], r["backup"], r["chosen"]) for r in found["resources"]] == [
        ("bucket", "site", "20250101T001000Z", True),
        ("bucket", "logs", "20250101T001000Z", True),
        ("table", "t", "20250101T000000Z", False),
    ]


def test_a_named_backup_restores_only_what_it_holds(tmp_path):
    first = make_backup(tmp_path, "dev", "20250101T000000Z", created_at="2025-01-01T00:00:00Z")
    _holding(first, tables=["t"], buckets=["site"])
    second = make_backup(tmp_path, "dev", "20250101T001000Z", created_at="2025-01-01T00:10:00Z")
    _holding(second, buckets=["site"])
    found = find_backup(str(tmp_path), "dev", name="20250101T001000Z")
    assert [(r["kind"], r["name"], r["dir"]) for r in found["resources"]] == [("bucket", "site", str(second))]


# --- manifest versions and table formats ---------------------------------------------------

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


def test_a_table_line_is_an_item_line_and_each_format_checks_its_shape():
    typed = {"pk": {"S": "ü"}, "b": {"B": "AAE="}}
    line = table_line(typed)
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    assert json.loads(line) == {"Item": typed}
    assert line_item(json.loads(line), "dynamodb_json_item") == typed
    assert line_item(typed, "strata_typed_json") == typed
    for bad in (typed, {"Item": typed, "x": 1}, {"Item": []}, []):
        with pytest.raises(ValueError, match="Item"):
            line_item(bad, "dynamodb_json_item")


# --- AWS export directories -----------------------------------------------------------------


def test_md5_checksum_is_base64_of_the_digest_as_aws_writes_it_or_hex():
    digest = hashlib.md5(b"data").digest()
    assert md5_matches(base64.b64encode(digest).decode(), digest)
    assert md5_matches(digest.hex(), digest)
    assert md5_matches(digest.hex().upper(), digest)
    assert not md5_matches(base64.b64encode(hashlib.md5(b"other").digest()).decode(), digest)
    assert not md5_matches("not base64 at all!", digest)


def test_an_aws_export_is_found_from_its_prefix_its_awsdynamodb_dir_or_itself(aws_export_dir):
    prefix_dir, export_dir = aws_export_dir("t", [[{"pk": {"S": "a"}}]])
    for path in (prefix_dir, prefix_dir / "AWSDynamoDB", export_dir):
        assert find_aws_export(str(path)) == str(export_dir)
    export = load_aws_export(str(prefix_dir))
    assert (export["table"], export["item_count"], export["export_id"]) == ("t", 1, "01732000000000-a1b2c3d4")
    assert export["files"][0]["file"].startswith("data/") and export["files"][0]["file"].endswith(".json.gz")


def test_several_exports_or_none_are_refused_naming_them(tmp_path, aws_export_dir):
    prefix_dir, _unused = aws_export_dir("t", [[]], export_id="01700000000000-aaaaaaaa")
    aws_export_dir("t", [[]], export_id="01700000000001-bbbbbbbb")
    with pytest.raises(BackupError, match="holds 2 exports .01700000000000-aaaaaaaa, 01700000000001-bbbbbbbb"):
        find_aws_export(str(prefix_dir))
    with pytest.raises(BackupError, match="is not an AWS DynamoDB export"):
        find_aws_export(str(tmp_path / "awsexport" / "exports"))
    with pytest.raises(BackupError, match="does not exist"):
        find_aws_export(str(tmp_path / "nowhere"))


def test_every_damaged_data_file_of_an_aws_export_is_named(aws_export_dir):
    items = [{"pk": {"S": str(i)}} for i in range(9)]
    _unused, export_dir = aws_export_dir("t", [items[:3], items[3:6], items[6:], []])
    verify_aws_export(str(export_dir))
    keys = [json.loads(line)["dataFileS3Key"] for line in (export_dir / "manifest-files.json").read_text().splitlines()]
    names = [key.rsplit("/", 1)[1] for key in keys]
    (export_dir / "data" / names[0]).write_bytes(b"\0" + (export_dir / "data" / names[0]).read_bytes()[1:])
    (export_dir / "data" / names[2]).unlink()
    (export_dir / "data" / names[3]).write_bytes(b"junk")

    with pytest.raises(BackupError) as failure:
        verify_aws_export(str(export_dir))
    problems = failure.value.details["problems"]
    assert [p.split(":")[0] for p in problems] == [f"data/{names[0]}", f"data/{names[2]}", f"data/{names[3]}"]
    assert "md5 is " in problems[0] and "manifest-files.json says" in problems[0]
    assert problems[1] == f"data/{names[2]}: file is missing"


def test_a_whole_file_with_another_line_count_or_a_truncated_one(aws_export_dir):
    _unused, export_dir = aws_export_dir("t", [[{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]])
    line = json.loads((export_dir / "manifest-files.json").read_text())
    path = export_dir / "data" / line["dataFileS3Key"].rsplit("/", 1)[1]

    def rewrite(data):
        path.write_bytes(data)
        line["md5Checksum"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        (export_dir / "manifest-files.json").write_text(json.dumps(line) + "\n")

    whole = path.read_bytes()
    rewrite(whole[:-8])  # the gzip trailer cut off
    with pytest.raises(BackupError, match=r"not a whole gzip file \(the gzip stream stops in the middle"):
        verify_aws_export(str(export_dir))
    rewrite(gzip.compress(b'{"Item":{"pk":{"S":"a"}}}\n') + gzip.compress(b'{"Item":{"pk":{"S":"b"}}}'))
    verify_aws_export(str(export_dir))  # two gzip members, the last line without its newline: 2 items
    rewrite(gzip.compress(b'{"Item":{"pk":{"S":"a"}}}\n'))
    with pytest.raises(BackupError, match="holds 1 items, manifest-files.json says 2"):
        verify_aws_export(str(export_dir))


@pytest.mark.parametrize("field, value, message", [
    ("exportType", "INCREMENTAL_EXPORT", "only a FULL_EXPORT holds whole items"),
    ("outputFormat", "ION", "only DYNAMODB_JSON exports restore"),
    ("itemCount", None, "expected an export summary with an itemCount"),
])
def test_exports_it_cannot_restore_are_refused(aws_export_dir, field, value, message):
    _unused, export_dir = aws_export_dir("t", [[]])
    summary = json.loads((export_dir / "manifest-summary.json").read_text())
    summary[field] = value
    (export_dir / "manifest-summary.json").write_text(json.dumps(summary))
    with pytest.raises(BackupError, match=message):
        load_aws_export(str(export_dir))


def test_a_data_file_key_cannot_leave_the_export(aws_export_dir):
    _unused, export_dir = aws_export_dir("t", [[]])
    line = json.loads((export_dir / "manifest-files.json").read_text())
    line["dataFileS3Key"] = "AWSDynamoDB/01732000000000-a1b2c3d4/data/../../../../etc/passwd"
    (export_dir / "manifest-files.json").write_text(json.dumps(line) + "\n")
    with pytest.raises(BackupError) as failure:
        verify_aws_export(str(export_dir))
    assert "points outside" in failure.value.msg
