# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Terraform state in a versioned S3 bucket: its versions (serial, lineage, resources of each),
a rollback that writes an earlier version's content as the newest one, and the bucket's size.

A rollback is what a careful operator does by hand, with the checks Terraform relies on:

- the version must exist and be of the current state's lineage;
- the state's lock(s) are taken first, the way Terraform takes them (terraform_lock.acquire),
  and released whatever happens;
- the content is written as a new version (every earlier one stays) with ``serial`` one above
  the current serial, so Terraform never mistakes it for an older state;
- the lock table's digest item (``<bucket>/<key>-md5``, attribute ``Digest``) is set to the md5 of
  the new content, or Terraform would refuse the state ("checksum ... does not match").
"""
from __future__ import annotations

import hashlib
import json

from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import S3_ABSENT, ClientError, error_code
from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError


class StateError(StrataAWSError):
    """A state version that cannot be listed or rolled back to, with what to do."""


def summarize(body):
    """Serial, lineage, Terraform version and managed resource count (instances, as Terraform counts
    them: a ``count`` or ``for_each`` resource counts once per instance) of a state's bytes; a
    content that is not a state gives ``valid`` False."""
    try:
        state = json.loads(body)
    except (TypeError, ValueError):
        state = None
    if not isinstance(state, dict) or "lineage" not in state:
        return {"valid": False, "serial": None, "lineage": None, "terraform_version": None, "resources": None}
    resources = [r for r in state.get("resources") or [] if r.get("mode", "managed") == "managed"]
    return {
        "valid": True,
        "serial": state.get("serial"),
        "lineage": state.get("lineage"),
        "terraform_version": state.get("terraform_version"),
        "resources": sum(len(r.get("instances") or []) for r in resources),
        "addresses": sorted(_address(r) for r in resources),
    }


def _address(resource):
    prefix = (resource.get("module") + ".") if resource.get("module") else ""
    return f"{prefix}{resource.get('type')}.{resource.get('name')}"


def rolled_back(body, current_serial):
    """The bytes to write: ``body``'s state with ``serial`` = ``current_serial`` + 1, in Terraform's
    layout (two-space indent, trailing newline)."""
    state = json.loads(body)
    state["serial"] = int(current_serial) + 1
    return (json.dumps(state, indent=2) + "\n").encode()


def md5_hex(data):
    """The digest Terraform keeps in the lock table for a state's bytes."""
    return hashlib.md5(data).hexdigest()  # nosec B324 - Terraform's own checksum, not security


def check_target(versions, version_id, key):
    """The version ``version_id`` of ``versions`` (newest first), refused when unknown, not a state
    or of another lineage than the current (newest) one."""
    target = next((v for v in versions if v["version_id"] == version_id), None)
    known = ", ".join(v["version_id"] for v in versions[:10]) or "none"
    if target is None:
        raise StateError(f"No version {version_id} of the state {key}: nothing was changed. Its versions (newest "
                         f"first): {known}. Run without state_version to list them with serial and lineage.")
    if not target["valid"]:
        raise StateError(f"Version {version_id} of {key} is not a Terraform state (no lineage): refusing to "
                         "roll back to it. Nothing was changed.")
    current = versions[0]
    if current["valid"] and target["lineage"] != current["lineage"]:
        raise StateError(f"Version {version_id} of {key} belongs to lineage {target['lineage']}, the current state "
                         f"to {current['lineage']}: it is another state (a destroyed and recreated layer, or "
                         "another stack), so rolling back to it is refused. Nothing was changed.")
    return target


# --- AWS calls ---------------------------------------------------------------------------

def _versions_of(s3, bucket, key):
    """The raw versions and delete markers of exactly ``key``."""
    versions, markers = [], []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        versions += [v for v in page.get("Versions", []) if v["Key"] == key]
        markers += [m for m in page.get("DeleteMarkers", []) if m["Key"] == key]
    # S3 lists the versions of a key newest first; the latest first whatever the emulator does.
    versions.sort(key=lambda v: not v.get("IsLatest", False))
    return versions, markers


def list_versions(s3, bucket, key):
    """Every version of the state ``bucket``/``key``, newest first: version_id, last_modified,
    size, is_latest, and what its content says (serial, lineage, resources)."""
    versions, markers = _versions_of(s3, bucket, key)
    listed = []
    for version in versions:
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])["Body"].read()
        listed.append(dict(summarize(body), version_id=version["VersionId"],
                           last_modified=version["LastModified"].isoformat(), size=version["Size"],
                           is_latest=bool(version.get("IsLatest"))))
    return listed, len(markers)


def current(s3, bucket, key):
    """The current state's summary with last_modified and size, or None when there is none."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) in S3_ABSENT:
            return None
        raise
    body = response["Body"].read()
    return dict(summarize(body), version_id=response.get("VersionId"),
                last_modified=response["LastModified"].isoformat(), size=len(body))


def bucket_stats(s3, bucket):
    """The whole bucket's object versions: count, delete markers, total bytes, current objects."""
    stats = {"versions": 0, "delete_markers": 0, "bytes": 0, "current_objects": 0, "current_bytes": 0, "exists": True}
    try:
        pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket))
    except ClientError as exc:
        if error_code(exc) != "NoSuchBucket":
            raise
        return dict(stats, exists=False)
    for page in pages:
        for version in page.get("Versions", []):
            stats["versions"] += 1
            stats["bytes"] += version["Size"]
            if version.get("IsLatest"):
                stats["current_objects"] += 1
                stats["current_bytes"] += version["Size"]
        stats["delete_markers"] += len(page.get("DeleteMarkers", []))
    return stats


def rollback(s3, ddb, bucket, key, lock_table, lock_mode, version_id, check_mode=False, who=None):
    """Write version ``version_id``'s content as the newest state (see the module docstring).
    Returns what it did: from/to serials, the target, the new version id and the lock it held."""
    versions, _unused = list_versions(s3, bucket, key)
    target = check_target(versions, version_id, key)
    latest = versions[0]
    result = {"target": target, "previous": latest, "versions_before": len(versions), "changed": True,
              "lock_id": None, "new_version_id": None, "serial": int(latest["serial"] or 0) + 1}
    if check_mode:
        return result
    info = tl.new_lock_info(f"{bucket}/{key}", "OperationTypeApply", info=f"strata rollback to {version_id}", who=who)
    tl.acquire(s3, ddb, bucket, key, lock_table, lock_mode, info)
    result["lock_id"] = info["ID"]
    try:
        # Read again under the lock: a run may have written since the listing.
        now = current(s3, bucket, key)
        if now["version_id"] != latest["version_id"] and now["lineage"] != target["lineage"]:
            raise StateError(f"The state {key} changed to another lineage while the lock was taken; nothing was changed.")
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"].read()
        data = rolled_back(body, now["serial"])
        put = s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json",
                            ServerSideEncryption="AES256")
        result["new_version_id"] = put.get("VersionId")
        result["serial"] = int(now["serial"]) + 1
        result["digest"] = md5_hex(data)
        if lock_table and lock_mode in ("dynamodb", "both"):
            ddb.put_item(TableName=lock_table, Item={"LockID": {"S": tl.digest_item_id(bucket, key)},
                                                     "Digest": {"S": result["digest"]}})
    finally:
        tl.release(s3, ddb, bucket, key, lock_table,
                   {"id": info["ID"], "held_in": [m for m in ("dynamodb", "lockfile")
                                                  if (m == "dynamodb" and lock_mode in ("dynamodb", "both"))
                                                  or (m == "lockfile" and lock_mode in ("lockfile", "both"))]})
    after, _unused = list_versions(s3, bucket, key)
    result["versions_after"] = len(after)
    if len(after) != len(versions) + 1:
        raise StateError(f"After the rollback {key} has {len(after)} versions, expected {len(versions) + 1}.", **result)
    return result
