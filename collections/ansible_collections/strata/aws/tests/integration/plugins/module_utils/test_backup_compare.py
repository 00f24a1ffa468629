# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_compare.py against the emulator: a table and a bucket restored from a
backup (on disk and in the vault) compare equal item by item and object by object; a changed
item, a changed object, a missing one and an extra one are each named."""
from __future__ import annotations

import uuid

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_compare import raise_on_difference, verify_restored
from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import export_table, restore_table
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import write_manifest
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import backup_bucket
from ansible_collections.strata.aws.plugins.module_utils.backup_s3_restore import restore_bucket
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import upload_backup

from .dynamodb_support import EVERY_TYPE, numbered, put_items
from .s3_support import OBJECTS, put_objects, settle


@pytest.fixture
def restored(ddb, s3, make_table, make_bucket, tmp_path, source):
    """A live table and bucket, their backup, and a scratch table and bucket restored from it."""
    table, bucket = make_table(), make_bucket()
    put_items(ddb, table, EVERY_TYPE + numbered(40))
    put_objects(s3, bucket, OBJECTS)
    dest = tmp_path / "backup"
    settle()
    export_table(ddb, table, str(dest), source)
    backup_bucket(s3, bucket, str(dest), source)
    write_manifest(str(dest), "test", [table], [bucket])
    scratch_table, scratch_bucket = make_table(), make_bucket()
    restore_table(ddb, str(dest), table, scratch_table, mode="overwrite")
    restore_bucket(s3, str(dest), bucket, scratch_bucket)
    return {"dest": str(dest), "tables": {table: scratch_table}, "buckets": {bucket: scratch_bucket}}


def test_a_faithful_restore_compares_equal_from_disk_and_from_the_vault(ddb, s3, restored):
    result = verify_restored(restored["dest"], restored["tables"], restored["buckets"], dynamodb=ddb, s3=s3)
    assert result["ok"] is True and result["problems"] == []
    [table], [bucket] = result["tables"], result["buckets"]
    assert (table["expected"], table["actual"]) == (len(EVERY_TYPE) + 40,) * 2
    assert (bucket["expected"], bucket["actual"]) == (len(OBJECTS),) * 2
    raise_on_difference(result)

    vault = f"vault-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=vault)
    upload_backup(s3, restored["dest"], vault, "test/20250101T000000Z")
    from_vault = verify_restored(f"s3://{vault}/test/20250101T000000Z", restored["tables"], restored["buckets"],
                                 dynamodb=ddb, s3=s3)
    assert from_vault["ok"] is True


def test_each_changed_missing_and_extra_item_or_object_is_named(ddb, s3, restored):
    [scratch_table] = restored["tables"].values()
    [scratch_bucket] = restored["buckets"].values()
    ddb.update_item(TableName=scratch_table, Key={"pk": {"S": "item-000003"}},
                    UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": {"N": "-1"}})
    ddb.delete_item(TableName=scratch_table, Key={"pk": {"S": "every-type"}})
    ddb.put_item(TableName=scratch_table, Item={"pk": {"S": "intruder"}})
    s3.put_object(Bucket=scratch_bucket, Key="index.html", Body=b"<html>hellO</html>",
                  ContentType="text/html; charset=utf-8", CacheControl="max-age=60",
                  Metadata={"owner": "site", "revision": "42"})
    s3.copy_object(Bucket=scratch_bucket, Key="empty", CopySource={"Bucket": scratch_bucket, "Key": "empty"},
                   ContentType="text/csv", MetadataDirective="REPLACE")
    s3.delete_object(Bucket=scratch_bucket, Key="folder/child")

    result = verify_restored(restored["dest"], restored["tables"], restored["buckets"], dynamodb=ddb, s3=s3)
    assert result["ok"] is False
    problems = result["problems"]
    assert f"table {scratch_table}: 1 items of the backup missing: pk=every-type" in problems
    assert f"table {scratch_table}: 1 items not in the backup: pk=intruder" in problems
    assert any(p.startswith(f"table {scratch_table}: pk=item-000003: item checksum is ") for p in problems)
    assert f"bucket {scratch_bucket}: 1 objects of the backup missing: folder/child" in problems
    assert any(p.startswith(f"bucket {scratch_bucket}: index.html: sha256 is ") for p in problems)
    assert f"bucket {scratch_bucket}: empty: content_type is 'text/csv', the backup has 'text/plain'" in problems
    with pytest.raises(BackupError, match="the restored resources differ from the backup: "):
        raise_on_difference(result)


def test_an_item_changed_in_the_table_file_with_its_checksum_rewritten_is_found(ddb, s3, restored):
    import gzip
    import hashlib
    import json
    from pathlib import Path

    dest = Path(restored["dest"])
    [source] = restored["tables"]
    path = dest / "dynamodb" / f"{source}.jsonl.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    changed = [line.replace('"n":{"N":"7"}', '"n":{"N":"8"}') for line in lines]
    assert changed != lines
    path.write_bytes(gzip.compress(("\n".join(changed) + "\n").encode()))
    manifest = json.loads((dest / "manifest.json").read_text())
    manifest["tables"][0].update(bytes=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    (dest / "manifest.json").write_text(json.dumps(manifest))
    scratch = restored["tables"][source]
    delete = [{"DeleteRequest": {"Key": {"pk": item["pk"]}}} for item in ddb.scan(TableName=scratch)["Items"]]
    for start in range(0, len(delete), 25):
        ddb.batch_write_item(RequestItems={scratch: delete[start:start + 25]})
    restore_table(ddb, str(dest), source, scratch, mode="overwrite")  # the file matches its rewritten checksum

    result = verify_restored(str(dest), restored["tables"], {}, dynamodb=ddb, s3=s3)
    assert result["ok"] is False
    assert any("the file was changed after the backup was taken" in p for p in result["problems"])
    assert any(p.startswith(f"table {scratch}: its items' digest is ") for p in result["problems"])
