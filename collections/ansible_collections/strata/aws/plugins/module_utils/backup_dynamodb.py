# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a DynamoDB table to a backup and restore it, keeping every type descriptor.

Items are written as typed JSON (``dynamodb_table.encode_item``: exactly what the low-level
client returns, binary values base64 encoded). Each line is ``{"Item": {...}}``, the line AWS's
own DynamoDB JSON export writes (``backup_layout.table_line``), so AWS's ImportTable can create a
table from the file. Export streams item by item into gzip (no page is ever joined into one
string): memory does not grow with the table. The export also records the table's
point-in-time recovery window (DescribeContinuousBackups) and its key schema.

Restore reads both table formats (``{"Item": ...}`` lines, and the bare typed items of
format_version 1 backups), tables a backup holds as DynamoDB's own export (``method:
export``), and also restores from an AWS export directory (ExportTableToPointInTime's output,
downloaded or where it lies in S3; ``aws_export``): every data file is checked against
manifest-files.json (on disk: MD5, item count; in S3: the ETag S3 keeps) and the counts
against manifest-summary.json before any item is written. A backup is read where it is
(``backup_store``): a directory, or its prefix in the backup vault, streamed from S3 without
being downloaded.

Restore checks the table file's size and SHA-256 against the manifest first (one sequential
read of the raw bytes, nothing parsed) and writes nothing from a file that differs; then it
parses the file once, streaming the items into the table, and checks the item count at the
end. Checking the digest while streaming instead would find a damaged file only after its
items had been written; reading the raw bytes once more is the simplest way to write only
from a verified file.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import functools
import io
import itertools
import time
import zlib

from ansible_collections.strata.aws.plugins.module_utils.aws_export import (
    AWS_FILES,
    aws_export_problems,
    export_lines,
    find_aws_export,
    find_export,
    read_export,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    backoff_delay,
    call_with_backoff,
    error_code,
    ordered_map,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    TABLE_FORMAT,
    BackupError,
    ItemsDigest,
    atomic_file,
    gzip_stream,
    item_digest,
    line_item,
    resolve,
    summary,
    table_file,
    table_format,
    table_line,
    table_method,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import (
    export_damage,
    finish_part,
    load_manifest,
    select,
    start_part,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_store import LocalStore, VaultStore, as_store, is_s3_uri
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import (
    decode_item,
    describe,
    encode_item,
    key_schema,
    key_schema_change,
    pitr_window,
    scan_pages,
)

WRITE_BATCH = 25  # BatchWriteItem's limit
READ_BATCH = 100  # BatchGetItem's limit
WRITE_BUFFER = 256 * 1024  # export: bytes of JSON lines handed to gzip at a time


# --- export -------------------------------------------------------------------------------


def export_table(client, table, dest, source, segments=1, page_size=None, consistent_read=False,
                 retries=DEFAULT_RETRIES, check_mode=False):
    """Stream every item of ``table`` into ``dest/dynamodb/<table>.jsonl.gz``, one
    ``{"Item": ...}`` line per item (``TABLE_FORMAT``).

    The file appears under its final name only once complete; then the table's point-in-time
    recovery window is read (``pitr_window``) and a part record for the manifest is written.
    Returns the manifest entry (``name``, ``item_count``, ``file``, ``bytes``, ``sha256``,
    ``table_format``, ``pitr`` and, when the window could not be read, ``pitr_unknown``) plus
    the absolute ``path``.
    """
    schema = key_schema(describe(client, table, retries))
    relpath = table_file(table)
    path = resolve(dest, relpath)
    start_part(dest, "dynamodb", table, check_mode)
    if check_mode:
        return {"name": table, "file": relpath, "path": path}
    item_count = 0
    digest = ItemsDigest()
    with atomic_file(path) as out:
        # One line at a time (a page is never joined into one string) through a small buffer,
        # so that gzip compresses in blocks rather than item by item.
        with gzip_stream(out) as gz, io.BufferedWriter(gz, WRITE_BUFFER) as lines:
            for page in scan_pages(client, table, segments, page_size, consistent_read, retries):
                for item in page["Items"]:
                    typed = encode_item(item)
                    lines.write(table_line(typed))
                    digest.add(item_digest(typed))
                    item_count += 1
    pitr, unknown = pitr_window(client, table, retries)
    entry = {"name": table, "item_count": item_count, "file": relpath,
             "bytes": out.size, "sha256": out.hexdigest(), "table_format": TABLE_FORMAT, "pitr": pitr,
             "key_schema": schema, "items_sha256": digest.hexdigest()}
    if unknown:
        entry["pitr_unknown"] = unknown
    finish_part(dest, "dynamodb", table, entry, source)
    return dict(entry, path=path)


# --- restore ------------------------------------------------------------------------------


def _chunks(iterable, size):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _key_id(item, key_names):
    return tuple((name, *item[name].items()) for name in key_names)


def _write_batch(client, table, items, retries):
    """BatchWriteItem ``items``, retrying UnprocessedItems with backoff."""
    requests = {table: [{"PutRequest": {"Item": item}} for item in items]}
    for attempt in itertools.count():
        response = call_with_backoff(client.batch_write_item, retries, RequestItems=requests)
        requests = response.get("UnprocessedItems") or {}
        if not requests:
            return
        if attempt >= retries:
            raise BackupError(
                f"table {table}: {len(requests[table])} items still unprocessed after {retries} retries"
            )
        time.sleep(backoff_delay(attempt))


def _existing_keys(client, table, items, key_names, retries):
    """Keys (as ``_key_id``) of those of ``items`` that ``table`` already holds."""
    names = {f"#k{i}": name for i, name in enumerate(key_names)}
    request = {table: {
        "Keys": [{name: item[name] for name in key_names} for item in items],
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
        "ConsistentRead": True,
    }}
    found = set()
    for attempt in itertools.count():
        response = call_with_backoff(client.batch_get_item, retries, RequestItems=request)
        found.update(_key_id(item, key_names) for item in response["Responses"].get(table, []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
        if attempt >= retries:
            raise BackupError(f"table {table}: keys still unprocessed after {retries} retries")
        time.sleep(backoff_delay(attempt))


def _put_if_absent(client, table, item, hash_key, retries):
    """PutItem unless an item with the key exists; True when written."""
    try:
        call_with_backoff(
            client.put_item, retries, TableName=table, Item=item,
            ConditionExpression="attribute_not_exists(#k)", ExpressionAttributeNames={"#k": hash_key},
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _backup_source(store, source_table, target):
    """What to restore from the strata backup in ``store``: its table file, checked against
    the manifest (size, SHA-256) first, or the export DynamoDB wrote of the table, checked as
    ``backup_manifest.export_damage`` checks it."""
    entry = select(load_manifest(store), "tables", source_table, "table")
    name, relpath = entry["name"], entry["file"]
    target = target or name
    result = {"table": target, "source_table": name, "item_count": entry["item_count"]}
    # The key schema the backup recorded (restore_table compares it with the target's).
    schema = entry.get("key_schema")
    if table_method(entry) == "export":
        problems = export_damage(store, entry)
        if problems:
            raise BackupError(
                summary(f"table {name}: its export {store.uri}/{entry['export']['dir']} failed verification, "
                        f"so nothing was written to {target}", problems),
                **result, problems=problems, restored=0, unchanged=0,
            )
        export = read_export(store, entry["export"]["dir"])
        files = [{"file": f"{entry['export']['dir']}/{f['file']}", "lines": functools.partial(export_lines, export, f),
                  "item_count": f["item_count"]} for f in export["files"]]
        return dict(result, backup_key_schema=schema), files, table_format(entry), AWS_FILES, \
            f"although it matched {AWS_FILES}"
    problem = store.file_problem(relpath, entry["bytes"], entry["sha256"])
    if problem is not None:
        raise BackupError(
            f"table {name}: its file failed verification, so nothing was written to {target}: {problem}",
            **result, restored=0, unchanged=0,
        )
    files = [{"file": relpath, "lines": functools.partial(store.gzip_lines, relpath), "item_count": entry["item_count"]}]
    return dict(result, backup_key_schema=schema), files, table_format(entry), "manifest", "although it matches its manifest"


def _aws_export_source(aws_export, source_table, target, s3):
    """What to restore from the AWS export ``aws_export`` (a directory, or an ``s3://`` URI of
    where DynamoDB wrote it): its data files, every one checked (on disk: MD5, item count; in
    S3: the ETag S3 keeps) and the counts against the summary first."""
    if is_s3_uri(aws_export):
        if s3 is None:
            raise BackupError(f"aws_export {aws_export} is in S3: an S3 client is needed to read it")
        store = VaultStore.from_uri(s3, aws_export)
        export = read_export(store, find_export(store))
    else:
        export = read_export(LocalStore(find_aws_export(aws_export)))
    name = export["table"]
    if source_table and name and source_table != name:
        raise BackupError(
            f"source_table {source_table!r}: the AWS export {export['dir']} is of table {name!r} "
            f"({export['table_arn']})", restored=0, unchanged=0,
        )
    name = name or source_table
    target = target or name
    if not target:
        raise BackupError(f"the AWS export {export['dir']} names no table (tableArn): give table",
                          restored=0, unchanged=0)
    result = {"table": target, "source_table": name, "item_count": export["item_count"],
              "aws_export": export["dir"], "export_arn": export["export_arn"], "export_time": export["export_time"]}
    problems = aws_export_problems(export)
    if problems:
        raise BackupError(
            summary(f"table {name}: the AWS export {export['dir']} failed verification, "
                    f"so nothing was written to {target}", problems),
            **result, problems=problems, restored=0, unchanged=0,
        )
    files = [{"file": f["file"], "lines": functools.partial(export_lines, export, f), "item_count": f["item_count"]}
             for f in export["files"]]
    return result, files, TABLE_FORMAT, AWS_FILES, f"although it matched {AWS_FILES}"


def restore_table(client, src=None, source_table=None, table=None, mode="overwrite", concurrency=4,
                  retries=DEFAULT_RETRIES, check_mode=False, aws_export=None, key_schema_changed="fail", s3=None):
    """Restore one table into ``table`` (default: the source table's own name), either from the
    strata backup in ``src`` (``source_table`` naming one of its tables) or from the AWS export
    ``aws_export`` (ExportTableToPointInTime's ``AWSDynamoDB/<export-id>``, downloaded, or its
    ``s3://`` URI; ``source_table``, when given, must be the table it was exported from).
    ``src`` is a backup directory or the ``s3://`` URI of a backup in the vault; what is in
    S3 is streamed with the S3 client ``s3``, never downloaded to disk.

    ``mode`` overwrite: BatchWriteItem every item, replacing items with the same key.
    ``mode`` missing: write only items whose key is absent (looked up with BatchGetItem,
    then written with a conditional PutItem, so an item created meanwhile is kept too).

    What is restored from is checked before anything is written: a strata backup's table file
    against the manifest (size, SHA-256); every data file of an export (an AWS export, or a
    table the backup holds as one) against manifest-files.json (on disk: MD5, item count; in
    S3: the ETag) and their counts against manifest-summary.json. A file that differs
    (damaged, truncated, missing) raises ``BackupError`` naming it, and nothing is written. The files are then parsed once, as the items are written; both table
    formats (``{"Item": ...}`` lines and format_version 1's bare items) are read.
    A strata backup records each table's key schema (since it was recorded): when the target's
    differs, nothing is written and ``key_schema_changed`` decides: ``fail`` raises
    ``BackupError`` saying old and new, ``skip`` returns ``carried`` false with that ``reason``.
    Returns the counts of items restored (or, in check mode, to restore) and left unchanged,
    and ``carried`` (true).
    """
    if (src is None) == (aws_export is None):
        raise BackupError("give either src (a strata backup) or aws_export (an AWS export directory)")
    if aws_export is not None:
        result, files, line_format, recorder, matched = _aws_export_source(aws_export, source_table, table, s3)
    else:
        result, files, line_format, recorder, matched = _backup_source(as_store(src, s3, retries), source_table, table)
    name, target = result["source_table"], result["table"]
    described = describe(client, target, retries)
    key_names = [k["AttributeName"] for k in described["KeySchema"]]
    change = key_schema_change(result.pop("backup_key_schema", None), key_schema(described), name, target)
    if change:
        if key_schema_changed == "skip":
            return dict(result, restored=0, unchanged=0, carried=False, reason=change + "; nothing was written")
        raise BackupError(f"table {name}: {change}; nothing was written to {target}", **result, restored=0, unchanged=0)
    read = 0
    counts = []

    def items():
        nonlocal read
        for current in files:
            before = read
            try:
                for line in current["lines"]():
                    item = decode_item(line_item(line, line_format))
                    read += 1
                    yield item
            except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
                # The file matched its record: it was written this way.
                raise BackupError(
                    f"table {name}: {current['file']} is unreadable after {read - before} items ({exc}) {matched}; "
                    f"items before that point may have been written to {target}",
                    **result, restored=restored, unchanged=unchanged,
                ) from exc
            counts.append((current, read - before))

    if mode == "overwrite":
        if check_mode:
            return dict(result, restored=result["item_count"], unchanged=0, carried=True, reason="")

        def restore(batch):
            _write_batch(client, target, batch, retries)
            return len(batch), 0

        batches = _chunks(items(), WRITE_BATCH)
    else:
        def restore(batch):
            existing = _existing_keys(client, target, batch, key_names, retries)
            missing = [item for item in batch if _key_id(item, key_names) not in existing]
            if check_mode:
                return len(missing), len(batch) - len(missing)
            written = sum(_put_if_absent(client, target, item, key_names[0], retries) for item in missing)
            return written, len(batch) - written

        batches = _chunks(items(), READ_BATCH)

    restored = unchanged = 0
    for done, kept in ordered_map(restore, batches, concurrency):
        restored += done
        unchanged += kept
    differ = [f"{current['file']} holds {held} items, {recorder} says {current['item_count']}"
              for current, held in counts if held != current["item_count"]]
    if differ:
        raise BackupError(
            f"table {name}: {'; '.join(differ)} (the {read} items "
            f"{'it holds' if len(files) == 1 else 'they hold'} were restored to {target})",
            **result, restored=restored, unchanged=unchanged,
        )
    return dict(result, restored=restored, unchanged=unchanged, carried=True, reason="")
