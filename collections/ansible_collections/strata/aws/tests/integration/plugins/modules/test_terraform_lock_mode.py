# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.terraform_lock_mode run by ansible against the emulator: the mode a run uses read
from the record next to each state, a move that skips both refused, the record written (and the
digest item deleted going to lockfile), and the lock table's removal refused while it holds a lock
or a state still locks with it."""
from __future__ import annotations

import json
import uuid

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl

KEYS = {"bootstrap": "bootstrap/terraform.tfstate", "stateful": "dev/stateful/terraform.tfstate"}
STATES = [{"layer": layer, "key": key} for layer, key in KEYS.items()]


@pytest.fixture
def backend(aws_session):
    s3, ddb = aws_session.client("s3"), aws_session.client("dynamodb")
    bucket, table = f"tfstate-{uuid.uuid4().hex[:8]}", f"lock-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for key in KEYS.values():
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
    ddb.put_item(TableName=table, Item={"LockID": {"S": tl.digest_item_id(bucket, KEYS["stateful"])},
                                        "Digest": {"S": "0" * 32}})
    yield {"s3": s3, "ddb": ddb, "bucket": bucket, "table": table}
    ddb.delete_table(TableName=table)


def args(backend, **extra):
    return dict({"bucket": backend["bucket"], "lock_table": backend["table"], "states": STATES}, **extra)


def record(backend, key):
    return backend["s3"].get_object(Bucket=backend["bucket"], Key=key + ".lock-mode")["Body"].read().decode().strip()


def test_records_read_written_and_a_move_that_skips_both_refused(backend, tmp_path):
    first = run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="dynamodb"))
    assert [(s["recorded"], s["run_mode"], s["changing"]) for s in first["states"]] == [(None, "dynamodb", True)] * 2
    assert first["lock_table_exists"] and not first["changed"]
    assert first["bucket_exists"] and [s["exists"] for s in first["states"]] == [True, True]

    check = run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="dynamodb", state="present"),
                       check=True)
    assert check["changed"]
    assert "Contents" not in backend["s3"].list_objects_v2(Bucket=backend["bucket"], Prefix="dev/stateful/terraform.tfstate.")

    run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="dynamodb", state="present"))
    assert record(backend, KEYS["stateful"]) == "dynamodb"
    again = run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="dynamodb", state="present"))
    assert not again["changed"]

    refused = run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="lockfile"))
    assert refused["failed"]
    assert "Refusing to move the bootstrap state" in refused["msg"] and "from lock mode dynamodb to lockfile" in refused["msg"]

    both = run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="both"))
    assert [(s["recorded"], s["run_mode"]) for s in both["states"]] == [("dynamodb", "dynamodb")] * 2


def test_going_to_lockfile_deletes_the_digest_and_removal_is_checked(backend, tmp_path):
    ddb, bucket, table = backend["ddb"], backend["bucket"], backend["table"]
    run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="both", state="present"))
    done = run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="lockfile", state="present"))
    assert done["digests_deleted"] == [KEYS["stateful"]]
    assert "Item" not in ddb.get_item(TableName=table, Key={"LockID": {"S": tl.digest_item_id(bucket, KEYS["stateful"])}})

    # Every state is recorded lockfile now; one more state in the bucket still locks with the table.
    backend["s3"].put_object(Bucket=bucket, Key="prod/stateful/terraform.tfstate", Body=b"{}")
    info = tl.new_lock_info(f"{bucket}/{KEYS['stateful']}", "OperationTypeApply", who="ci@runner")
    ddb.put_item(TableName=table, Item={"LockID": {"S": tl.lock_item_id(bucket, KEYS["stateful"])},
                                        "Info": {"S": json.dumps(info)}})
    locks = run_module(tmp_path, "strata.aws.terraform_lock_mode",
                       args(backend, target="lockfile", states=[], check_removal="locks"))
    assert locks["failed"] and f"(lock {info['ID']}, OperationTypeApply by ci@runner" in locks["msg"]
    assert "prod/stateful" not in locks["msg"]
    full = run_module(tmp_path, "strata.aws.terraform_lock_mode",
                      args(backend, target="lockfile", states=[], check_removal="all"))
    assert full["failed"] and "prod/stateful/terraform.tfstate (no recorded mode)" in full["msg"]

    ddb.delete_item(TableName=table, Key={"LockID": {"S": tl.lock_item_id(bucket, KEYS["stateful"])}})
    backend["s3"].delete_object(Bucket=bucket, Key="prod/stateful/terraform.tfstate")
    removal = args(backend, target="lockfile", states=[], check_removal="all")
    allowed = run_module(tmp_path, "strata.aws.terraform_lock_mode", removal)
    assert not allowed.get("failed"), allowed
    assert allowed["lock_items"] == [] and allowed["lock_table_exists"]


def test_where_the_states_live_is_read_with_the_lock_modes(backend, tmp_path):
    # The bootstrap role learns from this one call whether the bucket and each state exist.
    backend["s3"].delete_object(Bucket=backend["bucket"], Key=KEYS["stateful"])
    some = run_module(tmp_path, "strata.aws.terraform_lock_mode", args(backend, target="dynamodb"))
    assert some["bucket_exists"] and [s["exists"] for s in some["states"]] == [True, False]

    missing = dict(args(backend, target="dynamodb"), bucket=f"none-{uuid.uuid4().hex[:8]}")
    none = run_module(tmp_path, "strata.aws.terraform_lock_mode", missing)
    assert not none.get("failed"), none
    assert none["bucket_exists"] is False and [s["exists"] for s in none["states"]] == [False, False]
    assert [s["recorded"] for s in none["states"]] == [None, None]
