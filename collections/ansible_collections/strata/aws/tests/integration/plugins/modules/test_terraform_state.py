# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.terraform_state run by ansible against the emulator: list a state's versions, roll
back to an earlier one (new version, serial above the current, digest item updated, lock taken
and released, nothing deleted), and the refusals (unknown version, another lineage, a held lock)."""
from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl

KEY = "dev/stateful/terraform.tfstate"


def state(serial, lineage="L1", resources=1):
    return (json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": serial, "lineage": lineage,
                        "outputs": {}, "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": f"b{i}",
                                                      "provider": "p", "instances": [{}]} for i in range(resources)]},
                       indent=2) + "\n").encode()


@pytest.fixture
def backend(aws_session):
    """A versioned state bucket whose state has four versions (serials 1-3 of lineage L1, then an
    older one of lineage OLD first), a lock table with the digest of the current one."""
    s3, ddb = aws_session.client("s3"), aws_session.client("dynamodb")
    bucket, table = f"tfstate-{uuid.uuid4().hex[:8]}", f"lock-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ids = {}
    for name, body in (("old", state(7, lineage="OLD")), ("s1", state(1, resources=0)), ("s2", state(2, resources=2)),
                       ("s3", state(3, resources=3))):
        ids[name] = s3.put_object(Bucket=bucket, Key=KEY, Body=body)["VersionId"]
    s3.put_object(Bucket=bucket, Key="other/terraform.tfstate", Body=state(1))
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
    ddb.put_item(TableName=table, Item={"LockID": {"S": tl.digest_item_id(bucket, KEY)},
                                        "Digest": {"S": hashlib.md5(state(3, resources=3)).hexdigest()}})
    yield {"s3": s3, "ddb": ddb, "bucket": bucket, "table": table, "ids": ids}
    ddb.delete_table(TableName=table)


def args(backend, **extra):
    return dict({"bucket": backend["bucket"], "key": KEY, "lock_table": backend["table"]}, **extra)


def test_info_lists_versions_newest_first_and_the_bucket(backend, tmp_path):
    info = run_module(tmp_path, "strata.aws.terraform_state", args(backend, versions=True, bucket_stats=True))
    assert info["changed"] is False and info["bucket_exists"] is True
    assert (info["current"]["serial"], info["current"]["lineage"], info["current"]["resources"]) == (3, "L1", 3)
    assert [v["version_id"] for v in info["versions"]] == [backend["ids"][n] for n in ("s3", "s2", "s1", "old")]
    assert [(v["serial"], v["lineage"], v["resources"]) for v in info["versions"]] == \
        [(3, "L1", 3), (2, "L1", 2), (1, "L1", 0), (7, "OLD", 1)]
    assert info["versions"][0]["is_latest"] and not info["versions"][1]["is_latest"]
    assert info["stats"]["versions"] == 5 and info["stats"]["current_objects"] == 2 and info["stats"]["bytes"] > 0


def test_no_state(backend, tmp_path):
    info = run_module(tmp_path, "strata.aws.terraform_state", args(backend, key="nothing/here.tfstate", versions=True))
    assert (info["current"], info["versions"], info["bucket_exists"]) == (None, [], True)


def test_rollback_writes_a_new_version_above_the_current_serial(backend, tmp_path):
    s3, ddb = backend["s3"], backend["ddb"]
    target = backend["ids"]["s2"]
    check = run_module(tmp_path, "strata.aws.terraform_state", args(backend, state="rollback", version_id=target), check=True)
    assert (check["changed"], check["serial"], check["new_version_id"]) == (True, 4, None)
    assert s3.get_object(Bucket=backend["bucket"], Key=KEY)["VersionId"] == backend["ids"]["s3"]

    done = run_module(tmp_path, "strata.aws.terraform_state", args(backend, state="rollback", version_id=target))
    assert not done.get("failed"), done
    assert (done["changed"], done["serial"], done["versions_before"], done["versions_after"]) == (True, 4, 4, 5)
    body = s3.get_object(Bucket=backend["bucket"], Key=KEY)["Body"].read()
    written = json.loads(body)
    assert (written["serial"], written["lineage"], len(written["resources"])) == (4, "L1", 2)
    digest = ddb.get_item(TableName=backend["table"], Key={"LockID": {"S": tl.digest_item_id(backend["bucket"], KEY)}})
    assert digest["Item"]["Digest"]["S"] == hashlib.md5(body).hexdigest()
    # Every earlier version is still there, and the lock is released in both places.
    listed = s3.list_object_versions(Bucket=backend["bucket"], Prefix=KEY)["Versions"]
    assert set(backend["ids"].values()) <= {v["VersionId"] for v in listed if v["Key"] == KEY}
    assert tl.read_locks(s3, ddb, backend["bucket"], KEY, backend["table"]) == []


@pytest.mark.parametrize("version_id, words", [("no-such-version", "No version no-such-version"),
                                               ("old", "belongs to lineage OLD")])
def test_rollback_refuses_unknown_and_foreign_versions(backend, tmp_path, version_id, words):
    version_id = backend["ids"].get(version_id, version_id)
    refused = run_module(tmp_path, "strata.aws.terraform_state", args(backend, state="rollback", version_id=version_id))
    assert refused["failed"] and words in refused["msg"], refused
    assert backend["s3"].get_object(Bucket=backend["bucket"], Key=KEY)["VersionId"] == backend["ids"]["s3"]


def test_rollback_refuses_while_the_state_is_locked(backend, tmp_path):
    s3, ddb = backend["s3"], backend["ddb"]
    held = tl.new_lock_info(f"{backend['bucket']}/{KEY}", "OperationTypeApply", who="ci@runner")
    s3.put_object(Bucket=backend["bucket"], Key=KEY + ".tflock", Body=json.dumps(held).encode())
    refused = run_module(tmp_path, "strata.aws.terraform_state",
                         args(backend, state="rollback", version_id=backend["ids"]["s1"]))
    assert refused["failed"] and "is locked" in refused["msg"] and held["ID"] in refused["msg"]
    assert s3.get_object(Bucket=backend["bucket"], Key=KEY)["VersionId"] == backend["ids"]["s3"]
    # The lock it could not complete is not left behind in the table, and the holder's stays.
    assert [(lock["id"], lock["held_in"]) for lock in tl.read_locks(s3, ddb, backend["bucket"], KEY, backend["table"])] \
        == [(held["ID"], ["lockfile"])]


def test_no_bucket(tmp_path, emulator_endpoint):
    info = run_module(tmp_path, "strata.aws.terraform_state", {"bucket": f"missing-{uuid.uuid4().hex[:8]}", "key": KEY,
                                                               "bucket_stats": True})
    assert (info.get("failed"), info["current"], info["stats"]["exists"], info["stats"]["versions"]) == (None, None, False, 0)
    assert info["bucket_exists"] is False
