# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Terraform S3-backend state locks, read and released the way Terraform itself keeps them.

The S3 backend locks a state in one or two places (lock mode ``dynamodb``, ``lockfile`` or
``both``):

- the DynamoDB lock table: an item ``LockID = <bucket>/<key>`` whose ``Info`` attribute is the
  lock's JSON (``ID``, ``Operation``, ``Info``, ``Who``, ``Version``, ``Created``, ``Path``);
- the state bucket: an object ``<key>.tflock`` holding the same JSON.

In mode ``both`` a run that died between the two writes (or a hand-made cleanup) can leave the
lock in one place only; every function here treats each place on its own and groups what it
finds by lock ID. The same table also holds the state's digest item (``<bucket>/<key>-md5``,
attribute ``Digest``), which is never a lock.

Pure logic (parsing, ages, grouping, which release is allowed) is separate from the boto3
calls, so it is unit-tested without an emulator.
"""
from __future__ import annotations

import datetime
import getpass
import json
import socket
import uuid

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import ClientError, error_code
from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError

LOCKFILE_SUFFIX = ".tflock"
MECHANISMS = ("dynamodb", "lockfile")
STATE_OPTIONS = {
    "bucket": {"type": "str", "required": True},
    "key": {"type": "str", "required": True, "no_log": False},  # an object's key, not a secret
}
"""The module options that name a state object, its bucket and key (terraform_lock, terraform_state)."""


class LockError(StrataAWSError):
    """A lock that cannot be released or taken, with the message the user should read."""


def lock_item_id(bucket, key):
    """The lock table's ``LockID`` of a state's lock."""
    return f"{bucket}/{key}"


def digest_item_id(bucket, key):
    """The lock table's ``LockID`` of a state's digest item (attribute ``Digest``)."""
    return f"{bucket}/{key}-md5"


def lockfile_key(key):
    """The S3 key of a state's lock file."""
    return key + LOCKFILE_SUFFIX


def parse_time(text):
    """Terraform's ``Created`` (RFC 3339, nanoseconds, ``Z`` or an offset) as an aware datetime,
    or None when it cannot be read."""
    if not text or not isinstance(text, str):
        return None
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    date, sep, rest = value.partition(".")
    if sep:
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        value = f"{date}.{(digits + '000000')[:6]}{rest}"
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def human_age(seconds):
    """``45s``, ``12m 5s``, ``3h 2m``, ``4d 1h``; ``unknown`` for None."""
    if seconds is None:
        return "unknown"
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def parse_info(raw):
    """A lock's JSON (bytes or str) as a dict; a lock whose content is not Terraform's JSON is
    still a lock: it gets ``ID`` None and its text under ``raw``."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        info = json.loads(raw)
    except (TypeError, ValueError):
        info = None
    if not isinstance(info, dict):
        return {"ID": None, "raw": raw}
    return info


def describe(mechanism, info, now):
    """One place's lock, in the shape the module returns."""
    created = parse_time(info.get("Created"))
    age = (now - created).total_seconds() if created else None
    return {
        "id": info.get("ID"),
        "who": info.get("Who"),
        "operation": info.get("Operation"),
        "info": info.get("Info"),
        "version": info.get("Version"),
        "path": info.get("Path"),
        "created": info.get("Created"),
        "age_seconds": None if age is None else int(age),
        "age": human_age(age),
        "held_in": [mechanism],
    }


def group_locks(entries):
    """``[(mechanism, described lock)]`` grouped by lock ID (one lock held in both places is one
    entry with ``held_in: [dynamodb, lockfile]``; locks of different IDs stay apart)."""
    grouped = []
    for mechanism, lock in entries:
        same = next((g for g in grouped if g["id"] is not None and g["id"] == lock["id"]), None)
        if same:
            same["held_in"].append(mechanism)
        else:
            grouped.append(dict(lock, held_in=[mechanism]))
    for lock in grouped:
        lock["held_in"] = [m for m in MECHANISMS if m in lock["held_in"]]
    return grouped


def describe_line(layer, lock):
    """One line naming a lock, for messages."""
    places = " and ".join({"dynamodb": "the lock table", "lockfile": "the .tflock object"}[m] for m in lock["held_in"])
    return (f"{layer} lock {lock['id'] or '(unreadable ' + repr(lock.get('raw', ''))[:60] + ')'}: "
            f"{lock['operation'] or '?'} by {lock['who'] or '?'}, created {lock['created'] or '?'} "
            f"({lock['age']} ago), held in {places}")


def release_command(command, layer, lock_id):
    """The exact command that releases one lock: ``command`` is the unlock playbook's command line
    with its inventory (``ansible-playbook playbooks/unlock.yml -i inventories/dev``)."""
    return f"{command} -e layer={layer} -e confirm_unlock={lock_id or 'unreadable'}"


def with_commands(locks, command):
    """Each lock (with its ``layer``) given the ``command`` that releases it (see release_command)."""
    return [dict(lock, command=release_command(command, lock["layer"], lock["id"])) for lock in locks]


def held_lines(env, locks, command, state=None):
    """What a person reads about the locks held in an environment (or on one ``state``: ``layer``,
    ``bucket``, ``key``): one line per lock with the command that releases it, and, for several,
    the one command that releases them all."""
    where = f"the {state['layer']} state of {env} (s3://{state['bucket']}/{state['key']})" if state else \
        f"any state of {env}"
    if not locks:
        return [f"No lock is held on {where}: nothing to release."]
    if state:
        lines = [f"The {state['layer']} state of {env} (s3://{state['bucket']}/{state['key']}) is locked; nothing was changed:"]
    else:
        lines = [f"{len(locks)} lock(s) held on the states of {env}; nothing was changed:"]
    for lock in locks:
        lines.append(f"{describe_line(lock['layer'], lock)}. Release it with: {lock['command']}")
    if len(locks) > 1:
        ids = ",".join(lock["id"] or "unreadable" for lock in locks)
        lines.append(f"Or release them all at once: {command} -e confirm_unlock={ids}")
    lines.append(f"A live run holds its lock while it works: make sure no deploy, teardown or other Terraform run of {env} "
                 "is going on before releasing one.")
    return lines


def met_lines(env, layer, lock_id, waited, locks, command):
    """What a run that met a held lock says: who holds it, that nothing was changed, what to do
    (the command that releases it if its run died), and the other locks held in ``env``."""
    mine = next((lock for lock in locks if lock["layer"] == layer and lock["id"] == lock_id), None)
    if mine is None:
        holder = f"lock {lock_id or '(unknown ID)'}, released since"
    else:
        holder = describe_line(layer, mine).split(": ", 1)[1]
        holder = f"lock {mine['id'] or 'unreadable'}, {holder}"
    lines = [f"The {layer} state of {env} is locked by another run ({holder}). This run waited {waited} s for it "
             f"(terraform_layer_lock_timeout) and changed nothing in the {layer} layer.",
             "If that run is still going, let it finish, then run the same command again."]
    if mine is not None:
        lines.append(f"If it died, release its lock with: {mine['command']} and then run the same command again.")
    others = [lock for lock in locks if lock is not mine]
    if others:
        lines.append(f"Other locks held on the states of {env}:")
        lines += [f"{describe_line(lock['layer'], lock)}. Release it with: {lock['command']}" for lock in others]
    return lines


def released_lines(env, released, check_mode=False):
    """One line per lock released (``layer``, ``id``, ``held_in``), naming where it was held."""
    places = {"dynamodb": "the lock table", "lockfile": "the .tflock object"}
    verb = "Would release" if check_mode else "Released"
    return [f"{verb} the {lock['layer']} lock {lock['id'] or 'unreadable'} of {env} from "
            f"{' and '.join(places[place] for place in lock['held_in'])}." for lock in released]


def choose_releases(locks, lock_ids, scope):
    """The locks to release for ``lock_ids`` (each an ID, or ``unreadable`` for a lock whose content
    is not Terraform's JSON), every one found before any is released; a LockError naming the locks
    there are when an ID is not held. ``scope`` names where was looked, for example
    ``stateful state`` or ``states of dev``."""
    chosen, missing = [], []
    for lock_id in dict.fromkeys(lock_ids):
        found = [lock for lock in locks if lock["id"] == lock_id or (lock["id"] is None and lock_id == "unreadable")]
        chosen.extend(found)
        if not found:
            missing.append(lock_id)
    if not missing:
        return chosen
    ids = ", ".join(missing)
    if not locks:
        raise LockError(f"No lock is held on the {scope}, so there is nothing to release for ID {ids}. "
                        "Nothing was changed.", locks=[])
    held = "; ".join(describe_line(lock.get("layer", "state"), lock) for lock in locks)
    held_ids = ",".join(lock["id"] or "unreadable" for lock in locks)
    raise LockError(f"Refusing to release: ID {ids} is not the lock that is held on the {scope}. Held: {held}. "
                    f"Nothing was changed. If a lock is stale, confirm with its ID (-e confirm_unlock=<{held_ids}>).",
                    locks=locks)


def new_lock_info(path, operation, info="", who=None, version="strata", now=None):
    """A lock's JSON the way Terraform writes it, with a fresh ID."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return {
        "ID": str(uuid.uuid4()),
        "Operation": operation,
        "Info": info,
        "Who": who or f"{getpass.getuser()}@{socket.gethostname()}",
        "Version": version,
        "Created": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "Path": path,
    }


# --- AWS calls ---------------------------------------------------------------------------

def _raw_item(ddb, table, bucket, key):
    try:
        item = ddb.get_item(TableName=table, Key={"LockID": {"S": lock_item_id(bucket, key)}},
                            ConsistentRead=True).get("Item")
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    if not item:
        return None
    return item.get("Info", {}).get("S", "")


def _raw_lockfile(s3, bucket, key):
    try:
        return s3.get_object(Bucket=bucket, Key=lockfile_key(key))["Body"].read()
    except ClientError as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise


def read_locks(s3, ddb, bucket, key, lock_table=None, now=None):
    """Every lock on the state ``bucket``/``key``, grouped by ID (see group_locks)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    entries = []
    if lock_table:
        raw = _raw_item(ddb, lock_table, bucket, key)
        if raw is not None:
            entries.append(("dynamodb", describe("dynamodb", parse_info(raw), now)))
    raw = _raw_lockfile(s3, bucket, key)
    if raw is not None:
        entries.append(("lockfile", dict(describe("lockfile", parse_info(raw), now),
                                         raw=None if parse_info(raw).get("ID") else raw.decode("utf-8", "replace"))))
    return group_locks(entries)


def read_states_locks(s3, ddb, bucket, states, lock_table=None, now=None):
    """Every lock on each of ``states`` (``layer``, ``key``) in ``bucket``, each lock with its
    ``layer`` and ``key``, in the order of ``states``."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return [dict(lock, layer=state["layer"], key=state["key"])
            for state in states for lock in read_locks(s3, ddb, bucket, state["key"], lock_table, now)]


def release(s3, ddb, bucket, key, lock_table, lock):
    """Release ``lock`` in every place holding it. The lock table's item is deleted only while its
    ID is still ``lock``'s (a lock taken since by another run stays). Returns the places released."""
    released = []
    for mechanism in lock["held_in"]:
        if mechanism == "dynamodb":
            kwargs = {}
            if lock["id"]:
                kwargs = {"ConditionExpression": "contains(Info, :id)", "ExpressionAttributeValues": {":id": {"S": lock["id"]}}}
            try:
                ddb.delete_item(TableName=lock_table, Key={"LockID": {"S": lock_item_id(bucket, key)}}, **kwargs)
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                raise LockError(f"The lock table's lock on {bucket}/{key} changed while it was being released "
                                f"(another run took it); it was left in place.", released=released) from exc
        else:
            current = _raw_lockfile(s3, bucket, key)
            if current is not None and lock["id"] and parse_info(current).get("ID") != lock["id"]:
                raise LockError(f"The lock file of {bucket}/{key} changed while it was being released "
                                f"(another run took it); it was left in place.", released=released)
            s3.delete_object(Bucket=bucket, Key=lockfile_key(key))
        released.append(mechanism)
    return released


def acquire(s3, ddb, bucket, key, lock_table, lock_mode, info):
    """Take the lock ``info`` (see new_lock_info) the way Terraform does: a conditional put of the
    lock table's item (mode dynamodb or both) and of the ``.tflock`` object (lockfile or both).
    When either is already held, nothing stays taken and a LockError names the holder."""
    body = json.dumps(info)
    taken = []
    try:
        if lock_mode in ("dynamodb", "both"):
            try:
                ddb.put_item(TableName=lock_table,
                             Item={"LockID": {"S": lock_item_id(bucket, key)}, "Info": {"S": body}},
                             ConditionExpression="attribute_not_exists(LockID)")
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                raise LockError(f"The state {bucket}/{key} is locked: "
                                f"{_raw_item(ddb, lock_table, bucket, key)}", locked=True) from exc
            taken.append("dynamodb")
        if lock_mode in ("lockfile", "both"):
            if _raw_lockfile(s3, bucket, key) is not None:
                raise LockError(f"The state {bucket}/{key} is locked: "
                                f"{_raw_lockfile(s3, bucket, key).decode('utf-8', 'replace')}", locked=True)
            try:
                s3.put_object(Bucket=bucket, Key=lockfile_key(key), Body=body.encode(), IfNoneMatch="*",
                              ContentType="application/json")
            except ClientError as exc:
                if error_code(exc) not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                    raise
                raise LockError(f"The state {bucket}/{key} was locked by another run meanwhile.", locked=True) from exc
            taken.append("lockfile")
    except Exception:
        release(s3, ddb, bucket, key, lock_table, {"id": info["ID"], "held_in": taken})
        raise
    return taken
