# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.terraform_lock run by ansible against the emulator, with locks made the way
Terraform makes them (the lock table's item with the JSON in ``Info``, the ``.tflock`` object
with the same JSON): show, refuse a wrong ID, release with the right one in every place, the
half-held lock of mode ``both``, check mode, and taking a lock (module_utils.acquire)."""
from __future__ import annotations

import json
import uuid

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl

KEY = "dev/stateful/terraform.tfstate"


@pytest.fixture
def backend(aws_session):
    """A versioned state bucket with a state object and a lock table (with a digest item)."""
    s3, ddb = aws_session.client("s3"), aws_session.client("dynamodb")
    bucket, table = f"tfstate-{uuid.uuid4().hex[:8]}", f"lock-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key=KEY, Body=b'{"version": 4, "serial": 1, "lineage": "l", "resources": []}')
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
    ddb.put_item(TableName=table, Item={"LockID": {"S": tl.digest_item_id(bucket, KEY)}, "Digest": {"S": "0" * 32}})
    yield {"s3": s3, "ddb": ddb, "bucket": bucket, "table": table}
    ddb.delete_table(TableName=table)


def terraform_lock(backend, where=("dynamodb", "lockfile"), lock_id=None, key=KEY):
    """Lock the state as Terraform does; returns the lock's ID."""
    info = tl.new_lock_info(f"{backend['bucket']}/{key}", "OperationTypeApply", who="ci@runner")
    if lock_id:
        info["ID"] = lock_id
    if "dynamodb" in where:
        backend["ddb"].put_item(TableName=backend["table"], Item={
            "LockID": {"S": f"{backend['bucket']}/{key}"}, "Info": {"S": json.dumps(info)}})
    if "lockfile" in where:
        backend["s3"].put_object(Bucket=backend["bucket"], Key=key + ".tflock", Body=json.dumps(info).encode())
    return info["ID"]


def args(backend, **extra):
    return dict({"bucket": backend["bucket"], "key": KEY, "lock_table": backend["table"], "layer": "stateful"}, **extra)


def held(backend):
    s3, ddb = backend["s3"], backend["ddb"]
    item = ddb.get_item(TableName=backend["table"], Key={"LockID": {"S": f"{backend['bucket']}/{KEY}"}}).get("Item")
    files = [o["Key"] for o in s3.list_objects_v2(Bucket=backend["bucket"]).get("Contents", [])]
    return {"dynamodb": bool(item), "lockfile": KEY + ".tflock" in files}


def test_no_lock(backend, tmp_path):
    result = run_module(tmp_path, "strata.aws.terraform_lock", args(backend))
    assert (result.get("failed"), result["changed"], result["locks"]) == (None, False, [])


def test_show_refuse_a_wrong_id_then_release_in_both_places(backend, tmp_path):
    lock_id = terraform_lock(backend)
    shown = run_module(tmp_path, "strata.aws.terraform_lock", args(backend))
    assert [(lock["id"], lock["who"], lock["operation"], lock["held_in"]) for lock in shown["locks"]] == \
        [(lock_id, "ci@runner", "OperationTypeApply", ["dynamodb", "lockfile"])]
    assert shown["locks"][0]["age_seconds"] >= 0 and shown["lines"][0].startswith(f"stateful lock {lock_id}: ")

    wrong = run_module(tmp_path, "strata.aws.terraform_lock", args(backend, state="absent", lock_id="not-it"))
    assert wrong["failed"] and "ID not-it is not the lock that is held" in wrong["msg"]
    assert held(backend) == {"dynamodb": True, "lockfile": True}

    check = run_module(tmp_path, "strata.aws.terraform_lock", args(backend, state="absent", lock_id=lock_id), check=True)
    assert (check["changed"], check["released"]) == (True, ["dynamodb", "lockfile"])
    assert held(backend) == {"dynamodb": True, "lockfile": True}

    released = run_module(tmp_path, "strata.aws.terraform_lock", args(backend, state="absent", lock_id=lock_id))
    assert (released["changed"], released["released"]) == (True, ["dynamodb", "lockfile"])
    assert held(backend) == {"dynamodb": False, "lockfile": False}
    # The digest item is not a lock and stays.
    digest = backend["ddb"].get_item(TableName=backend["table"],
                                     Key={"LockID": {"S": tl.digest_item_id(backend["bucket"], KEY)}})
    assert digest["Item"]["Digest"]["S"] == "0" * 32
    again = run_module(tmp_path, "strata.aws.terraform_lock", args(backend, state="absent", lock_id=lock_id))
    assert again["failed"] and "No lock is held on the stateful state" in again["msg"]


@pytest.mark.parametrize("where", [("dynamodb",), ("lockfile",)])
def test_half_held_lock_of_mode_both(backend, tmp_path, where):
    lock_id = terraform_lock(backend, where=where)
    shown = run_module(tmp_path, "strata.aws.terraform_lock", args(backend))
    assert [lock["held_in"] for lock in shown["locks"]] == [list(where)]
    released = run_module(tmp_path, "strata.aws.terraform_lock", args(backend, state="absent", lock_id=lock_id))
    assert released["released"] == list(where)
    assert held(backend) == {"dynamodb": False, "lockfile": False}


def test_two_different_locks_are_shown_apart_and_released_one_at_a_time(backend, tmp_path):
    first = terraform_lock(backend, where=("dynamodb",))
    second = terraform_lock(backend, where=("lockfile",))
    shown = run_module(tmp_path, "strata.aws.terraform_lock", args(backend))
    assert [(lock["id"], lock["held_in"]) for lock in shown["locks"]] == [(first, ["dynamodb"]), (second, ["lockfile"])]
    run_module(tmp_path, "strata.aws.terraform_lock", args(backend, state="absent", lock_id=second))
    assert held(backend) == {"dynamodb": True, "lockfile": False}


STATES = [{"layer": "bootstrap", "key": "bootstrap/terraform.tfstate"}, {"layer": "stateful", "key": KEY},
          {"layer": "stateless", "key": "dev/stateless/terraform.tfstate"}]
UNLOCK = "ansible-playbook playbooks/unlock.yml -i inventories/dev"


def test_every_lock_of_an_environment_with_its_command_then_several_released_at_once(backend, tmp_path):
    boot = terraform_lock(backend, where=("lockfile",), key=STATES[0]["key"])
    stateful = terraform_lock(backend)
    every = {"bucket": backend["bucket"], "states": STATES, "lock_table": backend["table"], "command": UNLOCK, "env": "dev"}
    shown = run_module(tmp_path, "strata.aws.terraform_lock", every)
    assert [(lock["layer"], lock["id"], lock["held_in"], lock["command"]) for lock in shown["locks"]] == [
        ("bootstrap", boot, ["lockfile"], f"{UNLOCK} -e layer=bootstrap -e confirm_unlock={boot}"),
        ("stateful", stateful, ["dynamodb", "lockfile"], f"{UNLOCK} -e layer=stateful -e confirm_unlock={stateful}")]
    assert shown["held_lines"][-2] == f"Or release them all at once: {UNLOCK} -e confirm_unlock={boot},{stateful}"

    wrong = run_module(tmp_path, "strata.aws.terraform_lock", dict(every, state="absent", lock_ids=[boot, "not-it"]))
    assert wrong["failed"] and "ID not-it is not the lock that is held on the states of dev" in wrong["msg"]
    assert held(backend) == {"dynamodb": True, "lockfile": True}
    assert len(run_module(tmp_path, "strata.aws.terraform_lock", every)["locks"]) == 2

    released = run_module(tmp_path, "strata.aws.terraform_lock", dict(every, state="absent", lock_ids=[boot, stateful]))
    assert released["changed"] and [(r["layer"], r["held_in"]) for r in released["released_locks"]] == \
        [("bootstrap", ["lockfile"]), ("stateful", ["dynamodb", "lockfile"])]
    after = run_module(tmp_path, "strata.aws.terraform_lock", every)
    assert after["locks"] == [] and after["held_lines"] == ["No lock is held on any state of dev: nothing to release."]


def test_lockfile_only_without_a_lock_table(backend, tmp_path):
    lock_id = terraform_lock(backend, where=("lockfile",))
    shown = run_module(tmp_path, "strata.aws.terraform_lock", {"bucket": backend["bucket"], "key": KEY})
    assert [lock["id"] for lock in shown["locks"]] == [lock_id]


def test_a_missing_lock_table_is_no_lock(backend, tmp_path):
    shown = run_module(tmp_path, "strata.aws.terraform_lock", args(backend, lock_table="no-such-table"))
    assert shown["locks"] == [] and not shown.get("failed")


def test_acquire_takes_both_places_and_refuses_a_held_lock(backend):
    s3, ddb = backend["s3"], backend["ddb"]
    mine = tl.new_lock_info(f"{backend['bucket']}/{KEY}", "OperationTypeApply")
    assert tl.acquire(s3, ddb, backend["bucket"], KEY, backend["table"], "both", mine) == ["dynamodb", "lockfile"]
    locks = tl.read_locks(s3, ddb, backend["bucket"], KEY, backend["table"])
    assert [(lock["id"], lock["held_in"]) for lock in locks] == [(mine["ID"], ["dynamodb", "lockfile"])]
    other = tl.new_lock_info(f"{backend['bucket']}/{KEY}", "OperationTypeApply")
    with pytest.raises(tl.LockError):
        tl.acquire(s3, ddb, backend["bucket"], KEY, backend["table"], "both", other)
    assert tl.release(s3, ddb, backend["bucket"], KEY, backend["table"], locks[0]) == ["dynamodb", "lockfile"]


def test_acquire_leaves_nothing_taken_when_only_the_lockfile_is_held(backend):
    s3, ddb = backend["s3"], backend["ddb"]
    terraform_lock(backend, where=("lockfile",))
    mine = tl.new_lock_info(f"{backend['bucket']}/{KEY}", "OperationTypeApply")
    with pytest.raises(tl.LockError):
        tl.acquire(s3, ddb, backend["bucket"], KEY, backend["table"], "both", mine)
    assert held(backend) == {"dynamodb": False, "lockfile": True}
