# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""S3 backup against the emulator: bytes and metadata round-trip, backups are incremental,
verification catches corruption, objects copied server-side into the vault (restore has its
own tests, test_backup_s3_restore.py; the ``source`` fixture is in conftest.py)."""
from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import find_damage, verify, verify_live, write_manifest
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import backup_bucket, count_objects
from ansible_collections.strata.aws.plugins.module_utils.backup_s3_restore import restore_bucket
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import upload_backup

from .s3_support import (
    HEADERS,
    OBJECTS,
    CountingGets,
    backup,
    delete_all,
    flip_a_byte,
    index_entries,
    put_objects,
    settle,
    snapshot,
)


def test_objects_round_trip_with_bytes_and_metadata(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, OBJECTS)
    before = snapshot(s3, bucket)
    assert before["index.html"][1] == {"owner": "site", "revision": "42"}

    result = backup(s3, bucket, tmp_path, source, concurrency=4)
    total = sum(len(body) for body, _unused in OBJECTS.values())
    assert (result["object_count"], result["bytes"], result["downloaded"]) == (len(OBJECTS), total, len(OBJECTS))
    assert all(p.resolve().is_relative_to(tmp_path.resolve()) for p in tmp_path.rglob("*"))
    verify(str(tmp_path))

    delete_all(s3, bucket)
    restored = restore_bucket(s3, str(tmp_path), mode="missing", concurrency=4)
    assert (restored["uploaded"], restored["unchanged"]) == (len(OBJECTS), 0)
    assert snapshot(s3, bucket) == before


def test_incremental_backup_downloads_only_what_changed(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"obj/{i:03d}": (os.urandom(2048), {}) for i in range(40)})
    settle()
    first = tmp_path / "first"
    backup(s3, bucket, first, source)

    s3.put_object(Bucket=bucket, Key="obj/005", Body=b"changed body")
    s3.copy_object(Bucket=bucket, Key="obj/006", CopySource={"Bucket": bucket, "Key": "obj/006"},
                   Metadata={"retagged": "yes"}, MetadataDirective="REPLACE")
    s3.put_object(Bucket=bucket, Key="obj/new", Body=b"new object")
    s3.delete_object(Bucket=bucket, Key="obj/007")

    gets = CountingGets(s3)
    second = tmp_path / "second"
    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["object_count"], result["downloaded"], result["reused"]) == (40, 3, 37)
    assert gets.count == 3
    verify(str(second))
    entries = {e["key"]: e for e in index_entries(second, bucket)}
    assert entries["obj/006"]["metadata"] == {"retagged": "yes"}
    reused = second / entries["obj/010"]["file"]
    # A real copy, not a hard link: the two backups share no file.
    assert reused.read_bytes() == (first / entries["obj/010"]["file"]).read_bytes()
    assert not os.path.samefile(reused, first / entries["obj/010"]["file"])
    assert os.stat(reused).st_nlink == 1

    delete_all(s3, bucket)
    restore_bucket(s3, str(second))
    assert s3.get_object(Bucket=bucket, Key="obj/005")["Body"].read() == b"changed body"
    assert s3.head_object(Bucket=bucket, Key="obj/006")["Metadata"] == {"retagged": "yes"}


def test_a_change_in_the_second_of_the_download_is_never_missed(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"page": (b"body", {"Metadata": {"v": "1"}})})
    backup(s3, bucket, tmp_path / "first", source)
    s3.copy_object(Bucket=bucket, Key="page", CopySource={"Bucket": bucket, "Key": "page"},
                   Metadata={"v": "2"}, MetadataDirective="REPLACE")
    backup(s3, bucket, tmp_path / "second", source, previous=str(tmp_path / "first"))
    assert index_entries(tmp_path / "second", bucket)[0]["metadata"] == {"v": "2"}


def test_rerun_into_the_same_destination_reuses_its_files(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"k{i}": (os.urandom(100), {}) for i in range(10)})
    settle()
    backup_bucket(s3, bucket, str(tmp_path), source)
    gets = CountingGets(s3)
    result = backup_bucket(s3, bucket, str(tmp_path), source)
    assert (result["downloaded"], result["reused"], gets.count) == (0, 10, 0)


def test_a_corrupted_previous_file_is_downloaded_again(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"alpha", {}), "b": (b"bravo", {})})
    settle()
    first = tmp_path / "first"
    backup(s3, bucket, first, source)
    entry = next(e for e in index_entries(first, bucket) if e["key"] == "a")
    (first / entry["file"]).write_bytes(b"ALPHA")

    second = tmp_path / "second"
    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["downloaded"], result["reused"]) == (1, 1)
    verify(str(second))


@pytest.mark.parametrize("damaged", ["first", "second"])
def test_incremental_backups_share_no_file_so_damage_stays_in_one(s3, make_bucket, source, tmp_path, damaged):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"obj/{i:02d}": (os.urandom(1024), {"Metadata": {"i": str(i)}}) for i in range(12)})
    settle()
    first, second = tmp_path / "first", tmp_path / "second"
    backup(s3, bucket, first, source)
    at_first = snapshot(s3, bucket)
    s3.put_object(Bucket=bucket, Key="obj/00", Body=b"changed after the first backup")
    at_second = snapshot(s3, bucket)
    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["downloaded"], result["reused"]) == (1, 11)

    files = {name: {e["key"]: dest / e["file"] for e in index_entries(dest, bucket)}
             for name, dest in (("first", first), ("second", second))}
    for key, path in files["second"].items():
        assert os.stat(path).st_ino != os.stat(files["first"][key]).st_ino, key
        assert os.stat(path).st_nlink == 1, key

    flip_a_byte(files[damaged]["obj/05"])
    intact = second if damaged == "first" else first
    verify(str(intact))
    with pytest.raises(BackupError, match=rf"\(s3://{bucket}/obj/05\): sha256 is"):
        verify(str(tmp_path / damaged))

    delete_all(s3, bucket)
    restored = restore_bucket(s3, str(intact))
    assert (restored["uploaded"], restored["failed_objects"]) == (12, [])
    assert snapshot(s3, bucket) == (at_second if damaged == "first" else at_first)


def test_a_damaged_previous_file_is_not_copied_into_the_next_backup(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"alpha" * 100, {}), "b": (b"bravo" * 100, {})})
    settle()
    first, second = tmp_path / "first", tmp_path / "second"
    backup(s3, bucket, first, source)
    entry = next(e for e in index_entries(first, bucket) if e["key"] == "a")
    flip_a_byte(first / entry["file"])

    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["downloaded"], result["reused"]) == (1, 1)
    assert (second / entry["file"]).read_bytes() == b"alpha" * 100
    assert not list(second.rglob(".*.tmp"))
    verify(str(second))


def test_verify_names_every_damaged_object(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"k{i}": (f"v{i}".encode(), {}) for i in range(5)})
    backup(s3, bucket, tmp_path, source)
    files = {e["key"]: e["file"] for e in index_entries(tmp_path, bucket)}
    for key in ("k0", "k3"):
        flip_a_byte(tmp_path / files[key])
    os.unlink(tmp_path / files["k4"])

    manifest, damaged = find_damage(str(tmp_path))
    assert [(d["resource"], d["name"], d["key"], d["file"]) for d in damaged] == [
        ("bucket", bucket, key, files[key]) for key in ("k0", "k3", "k4")]
    with pytest.raises(BackupError) as failure:
        verify(str(tmp_path))
    assert failure.value.details["problems"] == [d["problem"] for d in damaged]
    assert failure.value.details["damaged"] == damaged


def test_check_mode_backup_reports_and_writes_nothing(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"1", {}), "b": (b"22", {})})
    settle()
    first = tmp_path / "first"
    backup(s3, bucket, first, source)
    s3.put_object(Bucket=bucket, Key="c", Body=b"333")

    result = backup_bucket(s3, bucket, str(tmp_path / "dry"), None, previous=str(first), check_mode=True)
    assert {k: result[k] for k in ("object_count", "bytes", "downloaded", "reused")} == {
        "object_count": 3, "bytes": 6, "downloaded": 1, "reused": 2}
    assert not (tmp_path / "dry").exists()


def test_a_flipped_byte_in_an_object_fails_verify_naming_the_file(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"x": (b"some bytes", {}), "y": (b"other bytes", {})})
    backup(s3, bucket, tmp_path, source)
    entry = next(e for e in index_entries(tmp_path, bucket) if e["key"] == "y")
    path = tmp_path / entry["file"]
    data = bytearray(path.read_bytes())
    data[0] ^= 0x80
    path.write_bytes(bytes(data))

    with pytest.raises(BackupError, match=rf"{entry['file']} \(s3://{bucket}/y\): sha256 is") as failure:
        verify(str(tmp_path))
    assert failure.value.details["problems"] == [failure.value.msg.split(": ", 1)[1]]
    # Restore reads only the files of the objects it uploads: "y" still in the bucket needs none.
    assert restore_bucket(s3, str(tmp_path))["unchanged"] == 2
    s3.delete_object(Bucket=bucket, Key="y")
    with pytest.raises(BackupError, match="failed verification"):
        restore_bucket(s3, str(tmp_path))


def test_a_missing_object_file_fails_verify(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"x": (b"x", {})})
    backup(s3, bucket, tmp_path, source)
    entry = index_entries(tmp_path, bucket)[0]
    os.unlink(tmp_path / entry["file"])
    with pytest.raises(BackupError, match=rf"{entry['file']} \(s3://{bucket}/x\): file is missing"):
        verify(str(tmp_path))


def test_manifest_refuses_missing_object_files_and_indexes(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"x": (b"x", {}), "y": (b"y", {})})
    result = backup_bucket(s3, bucket, str(tmp_path), source)
    entry = index_entries(tmp_path, bucket)[1]
    os.unlink(tmp_path / entry["file"])
    with pytest.raises(BackupError, match=rf"{entry['file']} \(s3://{bucket}/y\): file is missing"):
        write_manifest(str(tmp_path), "test", [], [bucket])
    os.unlink(tmp_path / result["index"])
    with pytest.raises(BackupError, match=rf"{result['index']}: file is missing"):
        write_manifest(str(tmp_path), "test", [], [bucket])
    with pytest.raises(BackupError, match="bucket other-bucket: not exported"):
        write_manifest(str(tmp_path), "test", [], ["other-bucket"])


def test_live_verify_compares_object_counts(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"k{i}": (b"v", {}) for i in range(5)})
    backup(s3, bucket, tmp_path, source)
    manifest = verify(str(tmp_path))

    def count(name):
        return count_objects(s3, name)

    assert verify_live(manifest, lambda table: 0, count)["buckets"] == {bucket: 5}
    s3.delete_object(Bucket=bucket, Key="k0")
    with pytest.raises(BackupError, match=f"bucket {bucket}: live holds 4 objects, backup holds 5"):
        verify_live(manifest, lambda table: 0, count)


VAULT_PREFIX = "test/20250101T000000Z"


def _vault_backup(s3, bucket, vault, dest, source, **kwargs):
    """The backup role's export path for a bucket: copies into the vault, index and manifest
    here, then the manifest (last) into the vault."""
    result = backup_bucket(s3, bucket, str(dest), source, vault=vault, vault_prefix=VAULT_PREFIX, **kwargs)
    write_manifest(str(dest), "test", [], [bucket])
    upload_backup(s3, str(dest), vault, VAULT_PREFIX)
    return result, f"s3://{vault}/{VAULT_PREFIX}"


def test_objects_copied_server_side_keep_bytes_and_metadata(s3, make_bucket, source, tmp_path):
    bucket, vault = make_bucket(), make_bucket()
    objects = dict(OBJECTS, **{"media/big.mp4": (os.urandom(11 * 1024 * 1024 + 9), {
        "ContentType": "video/mp4", "CacheControl": "no-cache", "Metadata": {"take": "2"}})})
    put_objects(s3, bucket, objects)
    before = snapshot(s3, bucket)
    gets = CountingGets(s3)

    result, uri = _vault_backup(s3, bucket, vault, tmp_path / "staging", source, concurrency=4,
                                copy_threshold=5 * 1024 * 1024, part_size=5 * 1024 * 1024)
    total = sum(len(body) for body, _unused in objects.values())
    assert (result["object_count"], result["bytes"], result["copied"], result["copied_bytes"], result["downloaded"]) == (
        len(objects), total, len(objects), total, 0)
    assert gets.count == 0  # no object's bytes came through this machine
    # Here: only the index, the part record and the manifest.
    assert sorted(str(p.relative_to(tmp_path / "staging")) for p in (tmp_path / "staging").rglob("*") if p.is_file()) == [
        "manifest.json", f"parts/s3.{bucket}.json", f"s3/{bucket}/index.jsonl.gz"]

    index = {entry["key"]: entry for entry in index_entries(tmp_path / "staging", bucket)}
    for key, (body, metadata, headers) in before.items():
        entry = index[key]
        copy = s3.get_object(Bucket=vault, Key=f"{VAULT_PREFIX}/{entry['file']}", ChecksumMode="ENABLED")
        assert copy["Body"].read() == body, key
        assert (copy["Metadata"], {h: copy.get(h) for h in HEADERS}) == (metadata, headers), key
        assert copy["ChecksumSHA256"] == entry["checksum_sha256"], key
    big = index["media/big.mp4"]
    assert big["checksum_sha256"].endswith("-3") and big["part_size"] == 5 * 1024 * 1024 and big["sha256"] is None
    assert index["index.html"]["sha256"] == hashlib.sha256(objects["index.html"][0]).hexdigest()

    assert verify(uri, s3=s3)["format_version"] == 3
    delete_all(s3, bucket)
    restored = restore_bucket(s3, uri, mode="missing", concurrency=4, copy_threshold=5 * 1024 * 1024, part_size=5 * 1024 * 1024)
    assert (restored["uploaded"], restored["unchanged"], restored["failed_objects"]) == (len(objects), 0, [])
    assert snapshot(s3, bucket) == before


def test_a_damaged_copy_in_the_vault_fails_that_object_only(s3, make_bucket, source, tmp_path):
    bucket, vault = make_bucket(), make_bucket()
    put_objects(s3, bucket, OBJECTS)
    _result, uri = _vault_backup(s3, bucket, vault, tmp_path / "staging", source)
    entry = next(e for e in index_entries(tmp_path / "staging", bucket) if e["key"] == "index.html")
    s3.put_object(Bucket=vault, Key=f"{VAULT_PREFIX}/{entry['file']}", Body=b"<html>HELLO</html>")

    _manifest, damaged = find_damage(uri, s3=s3)
    assert [(d["resource"], d["key"]) for d in damaged] == [("bucket", "index.html")], damaged
    delete_all(s3, bucket)
    with pytest.raises(BackupError) as failure:
        restore_bucket(s3, uri, mode="missing")
    assert [f["key"] for f in failure.value.details["failed_objects"]] == ["index.html"]
    restored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert restored == set(OBJECTS) - {"index.html"}
