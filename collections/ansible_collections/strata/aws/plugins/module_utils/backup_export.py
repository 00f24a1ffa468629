# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A table backed up by DynamoDB itself: ExportTableToPointInTime writes the table, as of the
request, straight into the backup vault under the backup's prefix
(``<prefix>/dynamodb/<table>/AWSDynamoDB/<export-id>/``), from its point-in-time recovery
data, using no read capacity. No item passes through the machine that runs the backup.

strata waits for the export, reads its two small manifests (manifest-summary.json and
manifest-files.json), checks them against DescribeExport and each data file against what S3
keeps (``aws_export.aws_export_problems``: the object is there, its ETag is the manifest's
and agrees with its md5Checksum), and records the export in the backup's part record: the
manifests' sizes and SHA-256, the export's ARN and time, its files and bytes
(``backup_manifest`` describes the entry). The manifest of the backup then binds every item:
its SHA-256 of manifest-files.json, whose MD5 of each data file S3's ETag agrees with.

A table whose point-in-time recovery is off cannot be exported: ``PitrOff`` says so, and the
caller streams it instead (``backup_dynamodb.export_table``).

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import hashlib
import time

from ansible_collections.strata.aws.plugins.module_utils.aws_export import (
    AWS_FILES,
    AWS_SUMMARY,
    aws_export_problems,
    read_export,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    call_with_backoff,
    error_code,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    TABLE_FORMAT,
    BackupError,
    summary,
    table_export_prefix,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import finish_part, start_part
from ansible_collections.strata.aws.plugins.module_utils.backup_store import VaultStore
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import describe, key_schema, pitr_window

EXPORT_TIMEOUT = 4 * 3600
"""Seconds to wait for an export (AWS's take minutes for a small table, longer for a large one)."""
POLL_INTERVAL = 20
"""Longest wait between two DescribeExport calls (the first come sooner)."""


class PitrOff(BackupError):
    """The table cannot be exported: its point-in-time recovery is off."""


def _wait(client, arn, timeout, poll_interval, retries, sleep=time.sleep, clock=time.monotonic):
    """DescribeExport until the export is no longer IN_PROGRESS; its description."""
    deadline = clock() + timeout
    delay = 1.0
    while True:
        description = call_with_backoff(client.describe_export, retries, ExportArn=arn)["ExportDescription"]
        if description["ExportStatus"] != "IN_PROGRESS":
            return description
        if clock() + delay > deadline:
            raise BackupError(
                f"export {arn} still IN_PROGRESS after {timeout} s (export_timeout): the backup is not "
                "complete; run it again later or with a longer export_timeout", export_arn=arn)
        sleep(delay)
        delay = min(poll_interval, delay * 2)


def _record(raw):
    return {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}


def check_export(description, export):
    """What is wrong with the export ``read_export`` read (``export``) against DynamoDB's
    ``description`` of it (DescribeExport): its ARN, and its item count (the summary's, the
    sum of manifest-files.json's and DescribeExport's must agree). A list; empty when it agrees."""
    problems = []
    if export["export_arn"] != description["ExportArn"]:
        problems.append(f"{AWS_SUMMARY} names export {export['export_arn']}, DynamoDB exported {description['ExportArn']}")
    listed = sum(f["item_count"] for f in export["files"])
    counts = {AWS_SUMMARY: export["item_count"], AWS_FILES: listed}
    if "ItemCount" in description:
        counts["DescribeExport"] = description["ItemCount"]
    if len(set(counts.values())) > 1:
        problems.append("item counts differ: " + ", ".join(f"{where} {count}" for where, count in counts.items()))
    return problems


def export_table_to_vault(client, s3, table, dest, source, vault, prefix, retries=DEFAULT_RETRIES,
                          timeout=EXPORT_TIMEOUT, poll_interval=POLL_INTERVAL, check_mode=False, sleep=time.sleep):
    """Export ``table`` with ExportTableToPointInTime into ``s3://vault/prefix/dynamodb/<table>/``,
    wait for it, check it (``check_export``, then every data file from S3's HeadObject) and
    write its part record into ``dest`` (the backup's local directory, which holds the part
    records and the manifest).

    Raises ``PitrOff`` when the table's point-in-time recovery is off (nothing is exported),
    ``BackupError`` when the export fails, times out or does not check out. Returns the
    manifest entry (``name``, ``item_count``, ``file``, ``bytes``, ``sha256``, ``table_format``,
    ``method`` ``export``, ``export``, ``pitr``, ``key_schema``).
    """
    description = describe(client, table, retries)
    schema = key_schema(description)
    pitr, unknown = pitr_window(client, table, retries)
    if pitr is None and unknown is None:
        raise PitrOff(f"table {table}: point-in-time recovery is off, so DynamoDB cannot export it", table=table)
    start_part(dest, "dynamodb", table, check_mode)
    store = VaultStore(s3, vault, prefix, retries)
    base = table_export_prefix(table)
    if check_mode:
        return {"name": table, "method": "export", "file": None, "export": {"uri": store.location(base)}}
    try:
        started = call_with_backoff(
            client.export_table_to_point_in_time, retries, TableArn=description["TableArn"], S3Bucket=vault,
            S3Prefix=store.key(base), ExportFormat="DYNAMODB_JSON", ExportType="FULL_EXPORT",
        )["ExportDescription"]
    except ClientError as exc:
        if error_code(exc) == "PointInTimeRecoveryUnavailableException":
            raise PitrOff(f"table {table}: point-in-time recovery is off, so DynamoDB cannot export it "
                          f"({exc})", table=table) from exc
        raise
    arn = started["ExportArn"]
    done = _wait(client, arn, timeout, poll_interval, retries, sleep)
    if done["ExportStatus"] != "COMPLETED":
        raise BackupError(f"table {table}: export {arn} {done['ExportStatus']}: {done.get('FailureCode')} "
                          f"{done.get('FailureMessage')}", export_arn=arn)
    manifest_key = done.get("ExportManifest") or ""
    own = f"{store.key(base)}/"
    if not manifest_key.startswith(own) or not manifest_key.endswith(f"/{AWS_SUMMARY}"):
        raise BackupError(f"table {table}: export {arn} reports its manifest at {manifest_key!r}, not under "
                          f"{store.location(base)}/", export_arn=arn)
    export_dir = manifest_key[len(store.prefix) + 1 if store.prefix else 0:].rsplit("/", 1)[0]
    export = read_export(store, export_dir)
    problems = check_export(done, export) + aws_export_problems(export)
    if problems:
        raise BackupError(summary(f"table {table}: export {arn} in {store.location(export_dir)} failed verification",
                                  problems), problems=problems, export_arn=arn)
    data_bytes = 0
    for entry in export["files"]:
        head = store.head(f"{export_dir}/{entry['file']}")
        data_bytes += head["ContentLength"]
    files_record = _record(export["files_bytes"])
    entry = {
        "name": table,
        "item_count": export["item_count"],
        "file": f"{export_dir}/{AWS_FILES}",
        **files_record,
        "table_format": TABLE_FORMAT,
        "method": "export",
        "export": {
            "arn": arn,
            "id": export["export_id"],
            "time": export["export_time"],
            "dir": export_dir,
            "summary": dict(file=f"{export_dir}/{AWS_SUMMARY}", **_record(export["summary_bytes"])),
            "files": len(export["files"]),
            "data_bytes": data_bytes,
        },
        "pitr": pitr,
        "key_schema": schema,
    }
    if unknown:
        entry["pitr_unknown"] = unknown
    finish_part(dest, "dynamodb", table, entry, source)
    return entry
