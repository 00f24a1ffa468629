"""After each run of the replacement play (replace.yml, REPLACE_STAGE): what the second
environment's tables and buckets hold, compared with the snapshot taken before the first run
(replace_data.py), and what reports/deploy.json says."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from replace_data import BUCKET, TABLE, items, objects, plain

from conftest import PROJECT

STAGE = os.environ.get("REPLACE_STAGE", "")
NEW_TABLE = f"{PROJECT}-visits2-second"
NEW_BUCKET = f"{PROJECT}-site2-second"


@pytest.fixture(scope="module")
def snapshot():
    return json.loads(Path(os.environ["REPLACE_SNAPSHOT"]).read_text())


@pytest.fixture(scope="module")
def report():
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "work" / f"{PROJECT}-second" / "reports" / "deploy.json"
    return json.loads(path.read_text())


def _replacement(report, address):
    found = [r for r in report["replacements"] if r["address"] == address]
    assert len(found) == 1, report["replacements"]
    return found[0]


@pytest.mark.skipif(STAGE != "refused", reason="after the refused runs only")
def test_a_refused_replacement_changed_nothing(session, snapshot):
    assert len(snapshot["items"]) == 121
    assert plain(items(session.client("dynamodb"), TABLE)) == snapshot["items"]
    assert plain(objects(session.client("s3"), BUCKET)) == snapshot["objects"]
    assert NEW_TABLE not in session.client("dynamodb").list_tables()["TableNames"]


@pytest.mark.skipif(STAGE != "carried", reason="after the confirmed replacement only")
def test_the_replacement_table_holds_every_item_and_the_counter(session, snapshot, report):
    ddb = session.client("dynamodb")
    assert plain(items(ddb, NEW_TABLE)) == snapshot["items"]
    counter = ddb.get_item(TableName=NEW_TABLE, Key={"stat": {"S": "Quantity"}}, ConsistentRead=True)["Item"]
    assert counter["viewCount"] == {"N": "77"}
    assert TABLE not in ddb.list_tables()["TableNames"]
    carried = _replacement(report, "aws_dynamodb_table.visits")
    assert (carried["from"], carried["to"], carried["carried"]) == (TABLE, NEW_TABLE, True)
    assert carried["count"] == carried["count_in_backup"] == 121
    assert Path(carried["backup"], "manifest.json").is_file()


@pytest.mark.skipif(STAGE != "carried", reason="after the confirmed replacement only")
def test_the_replacement_bucket_holds_every_object_with_its_bytes(session, snapshot, report):
    s3 = session.client("s3")
    now = plain(objects(s3, NEW_BUCKET))
    for key, was in snapshot["objects"].items():
        assert now.get(key) == was, key
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    carried = _replacement(report, "module.site_bucket.aws_s3_bucket.this")
    assert (carried["from"], carried["to"], carried["carried"]) == (BUCKET, NEW_BUCKET, True)
    assert carried["count"] == carried["count_in_backup"] == len(snapshot["objects"])


@pytest.mark.skipif(STAGE != "key_changed", reason="after the replacement that changes the key only")
def test_a_changed_key_schema_is_not_carried_and_the_backup_is_kept(session, snapshot, report):
    ddb = session.client("dynamodb")
    key = ddb.describe_table(TableName=NEW_TABLE)["Table"]["KeySchema"]
    assert key == [{"AttributeName": "metric", "KeyType": "HASH"}]
    assert [item["metric"]["S"] for item in items(ddb, NEW_TABLE)] == ["Quantity"]  # the seed item only
    kept = _replacement(report, "aws_dynamodb_table.visits")
    assert (kept["carried"], kept["count"], kept["count_in_backup"]) == (False, 0, 121)
    assert "the key schema changed" in kept["reason"]
    assert "stat (S, HASH)" in kept["reason"] and "metric (S, HASH)" in kept["reason"]
    manifest = json.loads(Path(kept["backup"], "manifest.json").read_text())
    table = [t for t in manifest["tables"] if t["name"] == NEW_TABLE]
    assert table and table[0]["item_count"] == 121
