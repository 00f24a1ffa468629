# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore a table of a strata backup into a NEW table, shaped like an existing one.

``import_table``: DynamoDB's ImportTable creates the table from the backup's files where they
are in the backup vault (``s3://<vault>/<env>/<name>``): a streamed table's file
(``dynamodb/<table>.jsonl.gz``, whose ``{"Item": ...}`` lines are DynamoDB JSON, gzipped), or
the data files of a table the backup holds as DynamoDB's own export. No item passes through
the machine that runs it. The file is checked against the manifest first (size and SHA-256,
from what S3 keeps), the table is created with the key schema, attribute definitions, billing
mode, throughput, global secondary indexes and encryption of the table it is ``like``
(``dynamodb_table.creation_parameters``), and the import must account for every item the
manifest records, with no error.

``create_table``: CreateTable of the same shape, empty, for a backup on disk (ImportTable reads
only from S3), which ``backup_dynamodb.restore_table`` then streams into.

Both tag the new table (``tags``) and wait until it is ACTIVE.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import time

from ansible_collections.strata.aws.plugins.module_utils.aws_export import data_prefix, read_export
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    call_with_backoff,
    error_code,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    BackupError,
    summary,
    table_format,
    table_method,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import export_damage, load_manifest, select
from ansible_collections.strata.aws.plugins.module_utils.backup_store import VaultStore, as_store
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import (
    creation_parameters,
    describe,
    describe_key_schema,
    key_schema,
    key_schema_change,
)

IMPORT_TIMEOUT = 3600
"""Seconds to wait for an import (AWS's take minutes even for a small table)."""
POLL_INTERVAL = 15
"""Longest wait between two DescribeImport (or DescribeTable) calls; the first come sooner."""


def _exists(client, table, retries):
    try:
        call_with_backoff(client.describe_table, retries, TableName=table)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return False
        raise
    return True


def _tag_list(tags):
    return [{"Key": str(k), "Value": str(v)} for k, v in sorted((tags or {}).items())]


def _poll(read, done, what, timeout, poll_interval, sleep=time.sleep, clock=time.monotonic):
    """Call ``read()`` until ``done(answer)``; the last answer. Raises after ``timeout`` seconds."""
    deadline = clock() + timeout
    delay = 0.5
    while True:
        answer = read()
        if done(answer):
            return answer
        if clock() + delay > deadline:
            raise BackupError(f"{what} not finished after {timeout} s (timeout)")
        sleep(delay)
        delay = min(poll_interval, delay * 2)


def _wait_active(client, table, timeout, poll_interval, retries, sleep):
    return _poll(lambda: describe(client, table, retries), lambda t: t["TableStatus"] == "ACTIVE",
                 f"table {table}", timeout, poll_interval, sleep)


def _refuse_existing(client, table, retries):
    if _exists(client, table, retries):
        raise BackupError(f"table {table} already exists: a restore into a new table creates it; choose a name no "
                          "table has (or restore into the existing table with strata.aws.dynamodb_restore)",
                          table=table)


def import_source(store, entry):
    """Where ImportTable reads the table of the manifest ``entry`` from, in the vault ``store``:
    ``(s3_bucket, s3_key_prefix)``. A streamed table: its file's full key (so that no other
    file matches the prefix); DynamoDB's export: the prefix of its data files. Nothing is read
    for a streamed table; an export's manifest-files.json is read to find its data."""
    if table_method(entry) == "export":
        export = read_export(store, entry["export"]["dir"])
        return store.bucket, store.key(data_prefix(export))
    return store.bucket, store.key(entry["file"])


def _checked_entry(store, source_table, target):
    entry = select(load_manifest(store), "tables", source_table, "table")
    if table_method(entry) == "export":
        problems = export_damage(store, entry)
    else:
        problem = store.file_problem(entry["file"], entry["bytes"], entry["sha256"])
        problems = [problem] if problem else []
    if problems:
        raise BackupError(summary(f"table {entry['name']}: the backup failed verification, so {target} was not "
                                  "created", problems), problems=problems, table=target)
    return entry


def import_table(client, s3, src, table, like, source_table=None, tags=None, timeout=IMPORT_TIMEOUT,
                 poll_interval=POLL_INTERVAL, retries=DEFAULT_RETRIES, check_mode=False, sleep=time.sleep):
    """Create ``table`` with ImportTable from the table ``source_table`` of the backup ``src``
    (the ``s3://`` URI of a backup in the vault; ``source_table`` may be omitted when the backup
    holds one table), shaped like the existing table ``like``, tagged with ``tags``.

    Refuses, before anything is created, an existing ``table``, a backup not in S3, a file that
    differs from the manifest, and a ``like`` whose key schema is not the one the backup recorded.
    Waits for the import; fails when it does not complete, reports errors, or imported another
    number of items than the manifest records. Returns ``table``, ``source_table``,
    ``item_count``, ``imported``, ``import_arn``, ``key_schema`` (text), ``billing_mode``,
    ``s3_source`` and ``seconds`` (the import's own duration, from the request to ACTIVE).
    """
    store = as_store(src, s3, retries)
    if not isinstance(store, VaultStore):
        raise BackupError(f"src {src}: ImportTable reads only from S3; expected a backup in the vault "
                          "(s3://<vault>/<env>/<name>), or create the table empty and stream a backup on disk "
                          "into it (method create)", table=table)
    entry = _checked_entry(store, source_table, table)
    shape = describe(client, like, retries)
    change = key_schema_change(entry.get("key_schema"), key_schema(shape), entry["name"], like)
    if change:
        raise BackupError(f"table {entry['name']}: {change}; {table} was not created", table=table)
    _refuse_existing(client, table, retries)
    params = creation_parameters(shape, table)
    bucket, prefix = import_source(store, entry)
    result = {"table": table, "source_table": entry["name"], "item_count": entry["item_count"],
              "key_schema": describe_key_schema(key_schema(shape)), "billing_mode": params["BillingMode"],
              "s3_source": f"s3://{bucket}/{prefix}", "table_format": table_format(entry)}
    if check_mode:
        return dict(result, imported=0, import_arn="", seconds=0.0)
    started = time.monotonic()
    answer = call_with_backoff(
        client.import_table, retries,
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": prefix},
        InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP", TableCreationParameters=params,
    )["ImportTableDescription"]
    arn = answer["ImportArn"]
    done = _poll(lambda: call_with_backoff(client.describe_import, retries, ImportArn=arn)["ImportTableDescription"],
                 lambda d: d["ImportStatus"] not in ("IN_PROGRESS", "CANCELLING"), f"import {arn}", timeout,
                 poll_interval, sleep)
    result.update(import_arn=arn, imported=done.get("ImportedItemCount", 0))
    problems = []
    if done["ImportStatus"] != "COMPLETED":
        problems.append(f"import {arn} {done['ImportStatus']}: {done.get('FailureCode')} {done.get('FailureMessage')}")
    if done.get("ErrorCount"):
        problems.append(f"import {arn}: {done['ErrorCount']} items could not be imported")
    if result["imported"] != entry["item_count"]:
        problems.append(f"import {arn}: imported {result['imported']} items, the manifest records {entry['item_count']}")
    if problems:
        raise BackupError(summary(f"table {entry['name']}: the import into {table} failed", problems),
                          problems=problems, **result)
    description = _wait_active(client, table, timeout, poll_interval, retries, sleep)
    if tags:
        call_with_backoff(client.tag_resource, retries, ResourceArn=description["TableArn"], Tags=_tag_list(tags))
    return dict(result, seconds=round(time.monotonic() - started, 3))


def create_table(client, table, like, tags=None, timeout=IMPORT_TIMEOUT, poll_interval=POLL_INTERVAL,
                 retries=DEFAULT_RETRIES, check_mode=False, sleep=time.sleep):
    """Create ``table`` empty, shaped like the existing table ``like`` and tagged with ``tags``
    (CreateTable, then wait until ACTIVE); refuses an existing ``table``. Returns ``table``,
    ``key_schema`` (text), ``billing_mode`` and ``seconds``."""
    shape = describe(client, like, retries)
    _refuse_existing(client, table, retries)
    params = creation_parameters(shape, table)
    result = {"table": table, "key_schema": describe_key_schema(key_schema(shape)),
              "billing_mode": params["BillingMode"]}
    if check_mode:
        return dict(result, seconds=0.0)
    started = time.monotonic()
    if tags:
        params["Tags"] = _tag_list(tags)
    call_with_backoff(client.create_table, retries, **params)
    _wait_active(client, table, timeout, poll_interval, retries, sleep)
    return dict(result, seconds=round(time.monotonic() - started, 3))
