# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make a confirmed replacement possible once its data is in a verified backup: empty each
bucket (every object version and delete marker: Terraform deletes the old bucket of a
replacement with the settings of its state, where force_destroy is off) and lift each
table's deletion protection. Plain boto3; no Ansible imports."""
from __future__ import annotations

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import DEFAULT_RETRIES, call_with_backoff
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError

DELETE_BATCH = 1000  # DeleteObjects' limit


def _chunks(entries, size):
    for start in range(0, len(entries), size):
        yield entries[start:start + size]


def versions_of(page):
    """The ``{Key, VersionId}`` of every object version and delete marker of one
    ListObjectVersions page."""
    return [{"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]


def empty_bucket(client, bucket, check_mode=False, retries=DEFAULT_RETRIES):
    """Delete every object version and delete marker of ``bucket``; the number deleted (in
    check mode, to delete). A version that cannot be deleted raises ``BackupError`` naming it."""
    deleted = 0
    while True:
        entries = []
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            entries.extend(versions_of(page))
        if check_mode or not entries:
            return deleted + (len(entries) if check_mode else 0)
        for batch in _chunks(entries, DELETE_BATCH):
            response = call_with_backoff(client.delete_objects, retries, Bucket=bucket,
                                         Delete={"Objects": batch, "Quiet": True})
            errors = response.get("Errors") or []
            if errors:
                raise BackupError(
                    f"bucket {bucket}: could not delete {len(errors)} object version(s), first "
                    f"{errors[0].get('Key')} ({errors[0].get('Code')}: {errors[0].get('Message')})",
                    bucket=bucket, deleted=deleted)
            deleted += len(batch)


def lift_deletion_protection(client, table, check_mode=False, retries=DEFAULT_RETRIES):
    """Turn ``table``'s deletion protection off; True when it was on."""
    described = call_with_backoff(client.describe_table, retries, TableName=table)["Table"]
    if not described.get("DeletionProtectionEnabled"):
        return False
    if not check_mode:
        call_with_backoff(client.update_table, retries, TableName=table, DeletionProtectionEnabled=False)
    return True
