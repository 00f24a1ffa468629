# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lock mode of each Terraform state in the state bucket, and the rules for changing it.

The S3 backend locks a state with the DynamoDB lock table (``dynamodb``), an S3 ``.tflock``
object (``lockfile``) or both (``both``). Two runs exclude each other only when they take a
common lock, so a run configured with ``dynamodb`` and one configured with ``lockfile`` can both
write the same state. strata therefore:

- records, next to each state, the lock mode its runs use: the object ``<key>.lock-mode``
  (its body is the mode's name) in the state bucket, where every machine and every run reads it;
- runs each layer with the recorded (old) mode and only then re-initialises it with the mode the
  inventory asks for and records that: a run that changes the mode holds the locks every other run
  of the old configuration takes, so the two exclude each other;
- refuses a move between ``dynamodb`` and ``lockfile`` that does not pass through ``both``
  (they share no lock: a machine still on the old mode would not see the new runs' locks);
- removes the lock table only when every state in the bucket is recorded ``lockfile`` and the
  table holds no lock item (the digest items ``<bucket>/<key>-md5`` are not locks).

When a state goes to ``lockfile`` while the table stays, its digest item is deleted: nothing
keeps it up to date any more, and a stale digest would make Terraform refuse the state
("checksum ... does not match") on the way back to ``dynamodb`` or ``both``.

Pure logic (the move rules, the messages) is separate from the boto3 calls, so it is unit-tested
without an emulator.
"""
from __future__ import annotations

from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import S3_ABSENT, ClientError, error_code
from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError

MODES = ("dynamodb", "lockfile", "both")
RECORD_SUFFIX = ".lock-mode"
STATE_SUFFIX = ".tfstate"
PLACES = {"dynamodb": "the lock table", "lockfile": "the .tflock object", "both": "the lock table and the .tflock object"}


class LockModeError(StrataAWSError):
    """A lock-mode change strata refuses, with the message the user should read."""


def record_key(key):
    """The S3 key of the record of a state's lock mode."""
    return key + RECORD_SUFFIX


def uses_table(mode):
    return mode in ("dynamodb", "both")


def run_mode(layer, recorded, target, state_url, command):
    """The lock mode a run of ``layer`` uses: the recorded one (the lock every other run of that
    state takes), or ``target`` when nothing is recorded yet (a first deploy). A move between
    ``dynamodb`` and ``lockfile`` is refused with a LockModeError naming the layer, both modes and
    what to do next (``command`` is the deploy command without the lock mode)."""
    if target not in MODES:
        raise LockModeError(f"Lock mode {target!r} of the {layer} layer: expected one of {', '.join(MODES)}.")
    if recorded is None or recorded == target:
        return target
    if recorded not in MODES:
        raise LockModeError(
            f"The {layer} state ({state_url}) records the unknown lock mode {recorded!r} in "
            f"{state_url}{RECORD_SUFFIX}; expected one of {', '.join(MODES)}. Nothing was changed. "
            f"Write the mode its runs use into that object, then run again.")
    if {recorded, target} == {"dynamodb", "lockfile"}:
        raise LockModeError(
            f"Refusing to move the {layer} state ({state_url}) from lock mode {recorded} to {target} in one "
            f"step: runs configured with {recorded} lock {PLACES[recorded]} and runs configured with {target} "
            f"{PLACES[target]}, so during the change they would not exclude each other. Nothing was changed. "
            f"Pass through both, which takes both locks: {command} -e strata_state_lock_mode=both, make sure "
            f"every machine and pipeline of this environment uses both, then {command} "
            f"-e strata_state_lock_mode={target}.", recorded=recorded, target=target)
    return recorded


def lock_items(items, bucket_prefix=None):
    """The lock items among the lock table's ``items`` (raw DynamoDB items): every item but the
    states' digest items (``LockID`` ending in ``-md5`` with a ``Digest`` attribute)."""
    locks = []
    for item in items:
        lock_id = item.get("LockID", {}).get("S", "")
        if lock_id.endswith("-md5") and "Digest" in item:
            continue
        if bucket_prefix and not lock_id.startswith(bucket_prefix):
            continue
        info = tl.parse_info(item.get("Info", {}).get("S", ""))
        locks.append({"lock_id": lock_id, "id": info.get("ID"), "who": info.get("Who"),
                      "operation": info.get("Operation"), "created": info.get("Created")})
    return locks


def removal_refusal(table, locks, not_lockfile, command):
    """The message refusing to remove the lock table, or None when it may go."""
    reasons = []
    if locks:
        held = "; ".join(f"{lock['lock_id']} (lock {lock['id'] or 'unreadable'}, {lock['operation'] or '?'} by "
                         f"{lock['who'] or '?'}, created {lock['created'] or '?'})" for lock in locks)
        reasons.append(f"it holds {len(locks)} lock(s): {held}. A run holds its lock while it works: wait "
                       f"for it; if the lock is stale, release it with playbooks/unlock.yml (-e layer=<layer>)")
    if not_lockfile:
        states = ", ".join(f"{key} ({mode or 'no recorded mode'})" for key, mode in not_lockfile)
        reasons.append(f"these states still lock with it: {states}. Deploy each of their environments with "
                       f"-e strata_state_lock_mode=lockfile first")
    if not reasons:
        return None
    return (f"Refusing to remove the lock table {table}: " + "; ".join(reasons)
            + f". Nothing was changed; the table stays. Then run again: {command}.")


# --- AWS calls ---------------------------------------------------------------------------

def read_record(s3, bucket, key):
    """The recorded lock mode of the state ``key``, or None (no record, or no bucket yet)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=record_key(key))["Body"].read()
    except ClientError as exc:
        if error_code(exc) in S3_ABSENT:
            return None
        raise
    return body.decode("utf-8", "replace").strip() or None


def bucket_exists(s3, bucket):
    """Whether the state bucket ``bucket`` exists; a bucket this account may not read (another
    account's, whose name is taken, or missing s3:ListBucket) is refused with what to do."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = error_code(exc)
        if code in S3_ABSENT:
            return False
        if code in ("403", "AccessDenied", "Forbidden"):
            raise LockModeError(
                f"The state bucket '{bucket}' exists but these credentials may not read it (HTTP 403): "
                "it belongs to another account, or they lack s3:ListBucket on it. Nothing was changed. "
                "Choose another name with -e strata_state_bucket=<name>, or grant the permission."
            ) from exc
        raise
    return True


def object_exists(s3, bucket, key):
    """Whether the object ``key`` is in ``bucket`` (False when the bucket does not exist)."""
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) in S3_ABSENT:
            return False
        raise
    return True


def write_record(s3, bucket, key, mode):
    s3.put_object(Bucket=bucket, Key=record_key(key), Body=(mode + "\n").encode(), ContentType="text/plain",
                  ServerSideEncryption="AES256")


def table_exists(ddb, table):
    if not table:
        return False
    try:
        ddb.describe_table(TableName=table)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return False
        raise
    return True


def scan_table(ddb, table):
    items = []
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items += page.get("Items", [])
    return items


def bucket_states(s3, bucket):
    """Every state in the bucket (keys ending in .tfstate)."""
    keys = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(STATE_SUFFIX)]
    except ClientError as exc:
        if error_code(exc) != "NoSuchBucket":
            raise
    return keys


def delete_digest(ddb, table, bucket, key):
    """Delete the digest item of ``key``; True when there was one."""
    response = ddb.delete_item(TableName=table, Key={"LockID": {"S": tl.digest_item_id(bucket, key)}},
                               ReturnValues="ALL_OLD")
    return bool(response.get("Attributes"))
