# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_catalog.py: choosing a backup in the backup root (find_backup), on real
directories, no emulator."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_catalog import backup_created, find_backup, list_backups
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError


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
