# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_vault.py without an emulator: the vault's backups are chosen by the
same rules as those of a backup root (one implementation, backup_catalog.choose_backup), the
upload order puts the manifest last, and a read-back that differs is named. The vault is a
directory served through a minimal stand-in of the S3 client's listing and reads."""
from __future__ import annotations

import io
import json
import os

import pytest
from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils.backup_catalog import find_backup
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import (
    backup_files,
    find_vault_backup,
    object_problem,
)

from .test_backup_catalog import _holding, make_backup


class DirectoryBucket:
    """The listing (ListObjectsV2 with a delimiter) and GetObject of a bucket whose keys are
    the files under ``root``."""

    def __init__(self, root):
        self.root = root

    def get_paginator(self, _name):
        return self

    def paginate(self, Bucket, Prefix, Delimiter=None):  # noqa: N803 - boto3's names
        base = os.path.join(self.root, Prefix)
        names = sorted(os.listdir(base)) if os.path.isdir(base) else []
        yield {"CommonPrefixes": [{"Prefix": f"{Prefix}{n}/"} for n in names if os.path.isdir(os.path.join(base, n))]}

    def get_object(self, Bucket, Key):  # noqa: N803
        path = os.path.join(self.root, Key)
        if not os.path.isfile(path):
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "missing"}}, "GetObject")
        with open(path, "rb") as handle:
            return {"Body": io.BytesIO(handle.read())}


def _tree(tmp_path):
    first = make_backup(tmp_path, "dev", "20250101T000000Z", created_at="2025-01-01T00:00:00Z")
    _holding(first, tables=["t"], buckets=["site", "logs"])
    second = make_backup(tmp_path, "dev", "20250101T001000Z", created_at="2025-01-01T00:10:00Z")
    _holding(second, buckets=["site", "logs"])
    make_backup(tmp_path, "dev", "20250102T000000Z", manifest=False)
    make_backup(tmp_path, "dev", "20250103T000000Z", manifest_env="prod")
    return tmp_path


def _comparable(found):
    return (found["name"], [(r["kind"], r["name"], r["backup"], r["chosen"]) for r in found["resources"]],
            [b["name"] for b in found["backups"]], found["ignored"])


@pytest.mark.parametrize("name", [None, "20250101T000000Z"])
def test_the_vault_chooses_as_the_backup_root_does(tmp_path, name):
    root = _tree(tmp_path)
    local = find_backup(str(root), "dev", name)
    vault = find_vault_backup(DirectoryBucket(str(root)), "vault", "dev", name)
    assert _comparable(vault) == _comparable(local)
    assert vault["dir"] == f"s3://vault/dev/{local['name']}"
    assert vault["env_dir"] == "s3://vault/dev"


def test_a_named_backup_must_be_a_complete_one_of_the_env(tmp_path):
    bucket = DirectoryBucket(str(_tree(tmp_path)))
    with pytest.raises(BackupError, match="incomplete: no manifest.json"):
        find_vault_backup(bucket, "vault", "dev", "20250102T000000Z")
    with pytest.raises(BackupError, match="its manifest is for env 'prod'"):
        find_vault_backup(bucket, "vault", "dev", "20250103T000000Z")
    with pytest.raises(BackupError, match="not inside s3://vault/dev/"):
        find_vault_backup(bucket, "vault", "dev", "../prod/20250101T000000Z")
    with pytest.raises(BackupError, match="no such backup"):
        find_vault_backup(bucket, "vault", "dev", "20300101T000000Z")


def test_an_empty_vault_fails_a_restore_and_is_empty_for_reuse(tmp_path):
    bucket = DirectoryBucket(str(tmp_path))
    with pytest.raises(BackupError, match="s3://vault/dev holds no complete backup"):
        find_vault_backup(bucket, "vault", "dev")
    assert find_vault_backup(bucket, "vault", "dev", purpose="reuse")["dir"] == ""


def test_an_unreadable_manifest_in_the_vault_is_ignored_with_the_reason(tmp_path):
    make_backup(tmp_path, "dev", "20250101T000000Z")
    broken = make_backup(tmp_path, "dev", "20250104T000000Z")
    (broken / "manifest.json").write_text(json.dumps({"format": "other"}))
    found = find_vault_backup(DirectoryBucket(str(tmp_path)), "vault", "dev")
    assert found["name"] == "20250101T000000Z"
    assert [(i["name"], i["kind"]) for i in found["ignored"]] == [("20250104T000000Z", "invalid")]


def test_backup_files_put_the_manifest_last_and_skip_temporary_files(tmp_path):
    backup = make_backup(tmp_path, "dev", "20250101T000000Z")
    (backup / "s3" / "b").mkdir(parents=True)
    (backup / "s3" / "b" / "index.jsonl.gz").write_bytes(b"x")
    (backup / "s3" / "b" / ".index.jsonl.gz.abc.tmp").write_bytes(b"x")
    (backup / "a.json").write_text("{}")
    assert backup_files(str(backup)) == ["a.json", "s3/b/index.jsonl.gz", "manifest.json"]
    (backup / "manifest.json").unlink()
    with pytest.raises(BackupError, match="only a complete backup goes into the vault"):
        backup_files(str(backup))


def test_object_problem_names_what_differs():
    where = "s3://vault/dev/x/manifest.json"
    assert object_problem({"ContentLength": 3, "ChecksumSHA256": "c2hh"}, where, 3, "c2hh") is None
    assert object_problem(None, where, 3, "c2hh") == f"{where}: missing from the vault"
    assert object_problem({"ContentLength": 2, "ChecksumSHA256": "c2hh"}, where, 3, "c2hh") == \
        f"{where}: 2 bytes in the vault, 3 on disk"
    assert object_problem({"ContentLength": 3}, where, 3, "c2hh") == \
        f"{where}: SHA-256 not recorded in the vault, c2hh on disk"
