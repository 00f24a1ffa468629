# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore the objects of one bucket of a backup (backup_s3.py writes it) into a bucket.

Restore checks each object's file against the index (size, SHA-256) just before uploading
it; a damaged or missing file fails that object only: the others are restored, then the
restore fails naming each object it could not restore. A backup in the vault is restored
server-side too: each object, checked from what S3 keeps of it, is copied from the vault
into the bucket with its recorded headers and metadata.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    call_with_backoff,
    error_code,
    ordered_map,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError, summary
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import load_manifest, select
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import HEADERS, ForwardLookup, list_objects
from ansible_collections.strata.aws.plugins.module_utils.backup_store import as_store
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import COPY_THRESHOLD, PART_SIZE, copy_object

# Larger objects are uploaded in parts (a single PutObject takes at most 5 GiB).
MULTIPART_THRESHOLD = 1024 ** 3


def _upload_args(entry):
    args = {header: entry[field] for header, field in HEADERS.items() if entry.get(field)}
    args["Metadata"] = entry["metadata"]
    return args


def _identical(client, bucket, entry, live, retries):
    """True when the live object has the entry's bytes (size and MD5 ETag) and headers."""
    if live["Size"] != entry["size"] or live["ETag"] != f'"{entry["md5"]}"':
        return False
    head = call_with_backoff(client.head_object, retries, Bucket=bucket, Key=entry["key"])
    return all(head.get(header) == value for header, value in _upload_args(entry).items()) and all(
        head.get(header) is None for header, field in HEADERS.items() if not entry.get(field)
    )


def _upload(client, bucket, entry, path, if_absent, retries):
    """Upload one object with its recorded headers; False when ``if_absent`` and it exists."""
    args = _upload_args(entry)
    if entry["size"] >= MULTIPART_THRESHOLD:
        # s3transfer splits the upload into parts; it has no conditional write, so the
        # listing checked beforehand is what keeps existing objects in ``missing`` mode.
        client.upload_file(path, bucket, entry["key"], ExtraArgs=args)
        return True
    if if_absent:
        args["IfNoneMatch"] = "*"

    def put():  # each attempt reads the file from its start
        with open(path, "rb") as body:
            return client.put_object(Bucket=bucket, Key=entry["key"], Body=body, **args)

    try:
        call_with_backoff(put, retries)
    except ClientError as exc:
        if if_absent and error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict"):
            return False
        raise BackupError(f"cannot upload s3://{bucket}/{entry['key']}: {exc}", bucket=bucket,
                          key=entry["key"]) from exc
    return True


def _copy_back(client, store, bucket, entry, retries, threshold, part_size):
    """Copy one object of a backup in the vault into ``bucket`` server-side, with its recorded headers."""
    try:
        copy_object(client, store.bucket, store.key(entry["file"]), bucket, entry["key"], entry["size"],
                    threshold=threshold, part_size=part_size, retries=retries, headers=_upload_args(entry))
    except ClientError as exc:
        raise BackupError(f"cannot copy {store.location(entry['file'])} to s3://{bucket}/{entry['key']}: {exc}",
                          bucket=bucket, key=entry["key"]) from exc
    return True


def restore_bucket(client, src, source_bucket=None, bucket=None, mode="missing", concurrency=8,
                   retries=DEFAULT_RETRIES, check_mode=False, copy_threshold=COPY_THRESHOLD, part_size=PART_SIZE):
    """Restore one bucket of the backup in ``src`` into ``bucket`` (default: its own name).
    ``src`` is a backup directory, or the ``s3://`` URI of a backup in the vault: its objects
    are then copied from the vault server-side (``copy_object``, in parts past
    ``copy_threshold``), each with its recorded headers and metadata.

    ``mode`` missing: upload only keys the bucket does not hold (a conditional PutObject also
    keeps a key created meanwhile); existing objects are left as they are.
    ``mode`` overwrite: make every key of the backup equal to it; objects that already have
    the recorded bytes and headers are skipped, all others are uploaded.
    Keys the bucket holds that the backup does not are never touched.

    The bucket's index is checked against the manifest (size, SHA-256) before anything is
    uploaded: when it differs, nothing can be trusted and nothing is uploaded. Each object to
    upload is then checked against its index entry (size, SHA-256; one read of the file, then
    the upload reads it again): a damaged or missing file is skipped and listed in
    ``failed_objects``, and every other object is restored. Objects left unchanged are not
    read. Raises ``BackupError`` at the end when an object failed, naming each one, with the
    counts and ``failed_objects`` as details.

    Returns ``uploaded``, ``uploaded_bytes``, ``unchanged``, ``failed_objects`` (empty),
    ``bucket``, ``source_bucket`` and ``object_count``.
    """
    store = as_store(src, client, retries)
    entry = select(load_manifest(store), "buckets", source_bucket, "bucket")
    name, index = entry["name"], entry["index"]
    target = bucket or name
    result = {"bucket": target, "source_bucket": name, "object_count": entry["object_count"],
              "uploaded": 0, "uploaded_bytes": 0, "unchanged": 0, "failed_objects": []}
    problem = store.file_problem(index, entry["index_bytes"], entry["index_sha256"])
    if problem is not None:
        result["failed_objects"].append({"key": None, "file": index, "reason": problem})
        raise BackupError(
            f"bucket {name}: its index failed verification, so no object of it can be trusted; "
            f"nothing was uploaded to {target}: {problem}",
            **result,
        )
    live = ForwardLookup(list_objects(client, target, retries), key=lambda o: o["Key"])

    def restore(planned):
        """(index entry, outcome: uploaded, unchanged or failed, problem)."""
        obj, current = planned
        if current is not None and (mode == "missing" or _identical(client, target, obj, current, retries)):
            return obj, "unchanged", None
        problem = store.object_problem(obj, f"s3://{name}/{obj['key']}")
        if problem is not None:
            return obj, "failed", problem
        if check_mode:
            return obj, "uploaded", None
        if store.is_local:
            uploaded = _upload(client, target, obj, store.path(obj["file"]), mode == "missing", retries)
        else:
            uploaded = _copy_back(client, store, target, obj, retries, copy_threshold, part_size)
        return obj, "uploaded" if uploaded else "unchanged", None

    listed = 0

    def planned():
        nonlocal listed
        for obj in store.gzip_lines(index):
            listed += 1
            yield obj, live.get(obj["key"])

    for obj, outcome, problem in ordered_map(restore, planned(), concurrency):
        if outcome == "failed":
            result["failed_objects"].append({"key": obj["key"], "file": obj["file"], "reason": problem})
            continue
        result[outcome] += 1
        if outcome == "uploaded":
            result["uploaded_bytes"] += obj["size"]
    problems = [failure["reason"] for failure in result["failed_objects"]]
    if listed != entry["object_count"]:
        problems.append(f"{index}: lists {listed} objects, manifest says {entry['object_count']}")
    if problems:
        raise BackupError(
            summary(
                f"bucket {name}: {len(result['failed_objects'])} of {listed} objects failed verification and were "
                f"not restored to {target} (all the others were: {result['uploaded']} uploaded, "
                f"{result['unchanged']} unchanged)",
                problems,
            ),
            **result,
        )
    return result
