# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a DynamoDB table to a backup and restore it, keeping every type descriptor.

Items are written exactly as the low-level client returns them (no TypeDeserializer), so
numbers keep their precision and sets stay sets; only binary values (B, BS) are base64
encoded, as JSON cannot hold bytes. Each line is ``{"Item": {...}}``, the line AWS's own
DynamoDB JSON export writes (``backup_format.table_line``), so AWS's ImportTable can create a
table from the file. Export streams item by item into gzip (no page is ever joined into one
string): memory does not grow with the table. The export also records the table's
point-in-time recovery window (DescribeContinuousBackups).

Restore reads both table formats (``{"Item": ...}`` lines, and the bare typed items of
format_version 1 backups), and also restores from an AWS export directory
(ExportTableToPointInTime's output, downloaded): every data file is checked against
manifest-files.json (MD5, item count) and the counts against manifest-summary.json before
any item is written.

Restore checks the table file's size and SHA-256 against the manifest first (one sequential
read of the raw bytes, nothing parsed) and writes nothing from a file that differs; then it
parses the file once, streaming the items into the table, and checks the item count at the
end. Checking the digest while streaming instead would find a damaged file only after its
items had been written; reading the raw bytes once more is the simplest way to write only
from a verified file.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import base64
import datetime
import io
import itertools
import queue
import threading
import time
import zlib

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    backoff_delay,
    call_with_backoff,
    error_code,
    ordered_map,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_format import (
    AWS_FILES,
    TABLE_FORMAT,
    BackupError,
    atomic_file,
    aws_export_problems,
    file_problem,
    finish_part,
    gzip_stream,
    line_item,
    load_aws_export,
    load_manifest,
    read_gzip_lines,
    resolve,
    select,
    start_part,
    summary,
    table_file,
    table_format,
    table_line,
)

WRITE_BATCH = 25  # BatchWriteItem's limit
READ_BATCH = 100  # BatchGetItem's limit
WRITE_BUFFER = 256 * 1024  # export: bytes of JSON lines handed to gzip at a time
_SEGMENT_DONE = object()


# --- typed JSON ---------------------------------------------------------------------------


def _encode_value(value):
    (kind, data), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(data).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode("ascii") for b in data]}
    if kind == "M":
        return {"M": encode_item(data)}
    if kind == "L":
        return {"L": [_encode_value(v) for v in data]}
    return value


def _decode_value(value):
    (kind, data), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(data)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in data]}
    if kind == "M":
        return {"M": decode_item(data)}
    if kind == "L":
        return {"L": [_decode_value(v) for v in data]}
    return value


def encode_item(item):
    """A low-level DynamoDB item as JSON-ready typed values (bytes become base64 text)."""
    return {name: _encode_value(value) for name, value in item.items()}


def decode_item(item):
    """The inverse of ``encode_item``: typed JSON back to what the low-level client takes."""
    return {name: _decode_value(value) for name, value in item.items()}


# --- scanning -----------------------------------------------------------------------------


def _scan_pages(client, table, retries, consistent_read, segment=None, segments=1, **extra):
    """Yield every Scan response page of one segment (or of the whole table)."""
    kwargs = dict(TableName=table, ConsistentRead=consistent_read, **extra)
    if segments > 1:
        kwargs.update(Segment=segment, TotalSegments=segments)
    while True:
        page = call_with_backoff(client.scan, retries, **kwargs)
        yield page
        if not page.get("LastEvaluatedKey"):
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _parallel_pages(client, table, retries, consistent_read, segments, **extra):
    """Yield Scan pages of ``segments`` parallel segments as they arrive.

    Each segment is scanned by its own thread into a queue of at most ``segments`` pages, so
    memory is bounded by about ``2 * segments`` pages whatever the table size. The first
    error of any segment stops the others and is raised here.
    """
    pages = queue.Queue(maxsize=segments)
    stop = threading.Event()

    def put(message):
        while not stop.is_set():
            try:
                pages.put(message, timeout=0.1)
                return
            except queue.Full:
                continue

    def scan_segment(segment):
        try:
            for page in _scan_pages(client, table, retries, consistent_read, segment, segments, **extra):
                put(page)
                if stop.is_set():
                    return
            put(_SEGMENT_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    threads = [threading.Thread(target=scan_segment, args=(s,), daemon=True) for s in range(segments)]
    for thread in threads:
        thread.start()
    try:
        done = 0
        while done < segments:
            message = pages.get()
            if message is _SEGMENT_DONE:
                done += 1
            elif isinstance(message, BaseException):
                raise message
            else:
                yield message
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def scan_pages(client, table, segments=1, page_size=None, consistent_read=False,
               retries=DEFAULT_RETRIES, **extra):
    """Yield the Scan response pages of a whole table, with ``segments`` parallel segments."""
    if page_size:
        extra["Limit"] = page_size
    if segments > 1:
        return _parallel_pages(client, table, retries, consistent_read, segments, **extra)
    return _scan_pages(client, table, retries, consistent_read, **extra)


def count_items(client, table, consistent_read=False, retries=DEFAULT_RETRIES):
    """Exact number of items in ``table`` (paginated ``Scan Select=COUNT``)."""
    pages = scan_pages(client, table, consistent_read=consistent_read, retries=retries, Select="COUNT")
    return sum(page["Count"] for page in pages)


def describe(client, table, retries=DEFAULT_RETRIES):
    """DescribeTable's ``Table``; a missing table is reported by name."""
    try:
        return call_with_backoff(client.describe_table, retries, TableName=table)["Table"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise BackupError(f"table {table!r} does not exist", table=table) from exc
        raise


def key_schema(description):
    """A table's key schema from DescribeTable's ``Table``, as the backup records it:
    ``[{"name", "type", "key"}]``, the hash key first (``type`` S, N or B; ``key`` HASH or RANGE)."""
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions") or []}
    ordered = sorted(description.get("KeySchema") or [], key=lambda k: k["KeyType"] != "HASH")
    return [{"name": k["AttributeName"], "type": types.get(k["AttributeName"]), "key": k["KeyType"]} for k in ordered]


def describe_key_schema(schema):
    """``stat (S, HASH)``-style text of a :func:`key_schema`."""
    return ", ".join(f"{k['name']} ({k['type']}, {k['key']})" for k in schema) or "none"


def key_schema_change(backed_up, table, source_table, target):
    """Why the items of ``source_table`` (its recorded ``backed_up`` key schema) cannot be
    written into ``target`` (its ``table`` key schema), or None when the key attributes' names,
    types and roles are the same. A backup that recorded no key schema (written before it was
    recorded) is not compared: None."""
    if not backed_up or backed_up == table:
        return None
    return (f"the key schema changed: {source_table} had {describe_key_schema(backed_up)}, "
            f"{target} has {describe_key_schema(table)}; its items do not fit the new key as they are")


# --- point-in-time recovery ---------------------------------------------------------------


def _utc_text(moment):
    """An AWS timestamp (datetime) as UTC ISO 8601 text with milliseconds and ``Z``."""
    if not isinstance(moment, datetime.datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def pitr_window(client, table, retries=DEFAULT_RETRIES):
    """The table's point-in-time recovery window: ``(window, unknown)``.

    ``window`` is ``{"earliest", "latest"}`` (UTC text; plus ``recovery_period_days`` when AWS
    reports it) when recovery is on, None when it is off or could not be read; ``unknown`` is
    None, or why it could not be read (the AWS error, e.g. AccessDeniedException without
    ``dynamodb:DescribeContinuousBackups``, or an emulator that lacks the call). The window is
    information for the manifest, so it never fails a backup.
    """
    try:
        response = call_with_backoff(client.describe_continuous_backups, retries, TableName=table)
    except ClientError as exc:
        return None, f"DescribeContinuousBackups failed: {error_code(exc)}: {exc}"
    description = response.get("ContinuousBackupsDescription") or {}
    pitr = description.get("PointInTimeRecoveryDescription") or {}
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        return None, None
    window = {"earliest": _utc_text(pitr.get("EarliestRestorableDateTime")),
              "latest": _utc_text(pitr.get("LatestRestorableDateTime"))}
    if "RecoveryPeriodInDays" in pitr:
        window["recovery_period_days"] = pitr["RecoveryPeriodInDays"]
    return window, None


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
    with atomic_file(path) as out:
        # One line at a time (a page is never joined into one string) through a small buffer,
        # so that gzip compresses in blocks rather than item by item.
        with gzip_stream(out) as gz, io.BufferedWriter(gz, WRITE_BUFFER) as lines:
            for page in scan_pages(client, table, segments, page_size, consistent_read, retries):
                for item in page["Items"]:
                    lines.write(table_line(encode_item(item)))
                    item_count += 1
    pitr, unknown = pitr_window(client, table, retries)
    entry = {"name": table, "item_count": item_count, "file": relpath,
             "bytes": out.size, "sha256": out.hexdigest(), "table_format": TABLE_FORMAT, "pitr": pitr,
             "key_schema": schema}
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


def _backup_source(src, source_table, target):
    """What to restore from the strata backup in ``src``: its table file, checked against the
    manifest (size, SHA-256) first."""
    entry = select(load_manifest(src), "tables", source_table, "table")
    name, relpath = entry["name"], entry["file"]
    target = target or name
    result = {"table": target, "source_table": name, "item_count": entry["item_count"]}
    problem = file_problem(src, relpath, entry["bytes"], entry["sha256"])
    if problem is not None:
        raise BackupError(
            f"table {name}: its file failed verification, so nothing was written to {target}: {problem}",
            **result, restored=0, unchanged=0,
        )
    files = [{"file": relpath, "path": resolve(src, relpath), "item_count": entry["item_count"]}]
    # The key schema the backup recorded (restore_table compares it with the target's).
    result["backup_key_schema"] = entry.get("key_schema")
    return result, files, table_format(entry), "manifest", "although it matches its manifest"


def _aws_export_source(aws_export, source_table, target):
    """What to restore from the AWS export directory ``aws_export``: its data files, every one
    checked (MD5, item count) and the counts against the summary first."""
    export = load_aws_export(aws_export)
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
    files = [{"file": f["file"], "path": resolve(export["dir"], f["file"]), "item_count": f["item_count"]}
             for f in export["files"]]
    return result, files, TABLE_FORMAT, AWS_FILES, f"although it matched {AWS_FILES}"


def restore_table(client, src=None, source_table=None, table=None, mode="overwrite", concurrency=4,
                  retries=DEFAULT_RETRIES, check_mode=False, aws_export=None, key_schema_changed="fail"):
    """Restore one table into ``table`` (default: the source table's own name), either from the
    strata backup in ``src`` (``source_table`` naming one of its tables) or from the AWS export
    directory ``aws_export`` (ExportTableToPointInTime's ``AWSDynamoDB/<export-id>``, downloaded;
    ``source_table``, when given, must be the table it was exported from).

    ``mode`` overwrite: BatchWriteItem every item, replacing items with the same key.
    ``mode`` missing: write only items whose key is absent (looked up with BatchGetItem,
    then written with a conditional PutItem, so an item created meanwhile is kept too).

    What is restored from is checked before anything is written: a strata backup's table file
    against the manifest (size, SHA-256); every data file of an AWS export against
    manifest-files.json (MD5, item count) and their counts against manifest-summary.json. A
    file that differs (damaged, truncated, missing) raises ``BackupError`` naming it, and
    nothing is written. The files are then parsed once, as the items are written; both table
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
        result, files, line_format, recorder, matched = _aws_export_source(aws_export, source_table, table)
    else:
        result, files, line_format, recorder, matched = _backup_source(src, source_table, table)
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
                for line in read_gzip_lines(current["path"]):
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
