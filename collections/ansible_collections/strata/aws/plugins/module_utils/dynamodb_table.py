# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A DynamoDB table as the low-level client sees it: items as typed JSON, scans (sequential
or in parallel segments), item counts, the table's description and key schema, and its
point-in-time recovery window.

Items keep every type descriptor exactly as the low-level client returns them (no
TypeDeserializer), so numbers keep their precision and sets stay sets; only binary values
(B, BS) are base64 encoded, as JSON cannot hold bytes (``encode_item``, ``decode_item``).
A parallel scan keeps its memory bounded whatever the table size (``scan_pages``).

Used by the backup and restore of tables (``backup_dynamodb``) and by ``dynamodb_counter``.
Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import base64
import datetime
import queue
import threading

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    call_with_backoff,
    error_code,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError

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


# --- description and key schema -----------------------------------------------------------


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


def creation_parameters(description, name):
    """What a new table ``name`` needs to be shaped like the table DescribeTable described
    (``description``), as CreateTable and ImportTable's ``TableCreationParameters`` take it: key
    schema, the attribute definitions the keys and indexes use, billing mode (with provisioned
    or on-demand throughput), global secondary indexes and server-side encryption. Local
    secondary indexes, streams, TTL, point-in-time recovery, deletion protection and tags are
    not part of it (ImportTable takes none of them)."""
    billing = (description.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
    params = {
        "TableName": name,
        "KeySchema": [dict(k) for k in description["KeySchema"]],
        "AttributeDefinitions": [dict(a) for a in description["AttributeDefinitions"]],
        "BillingMode": billing,
    }

    def throughput(described):
        units = described.get("ProvisionedThroughput") or {}
        return {"ReadCapacityUnits": units.get("ReadCapacityUnits") or 1,
                "WriteCapacityUnits": units.get("WriteCapacityUnits") or 1}

    if billing == "PROVISIONED":
        params["ProvisionedThroughput"] = throughput(description)
    elif description.get("OnDemandThroughput"):
        params["OnDemandThroughput"] = dict(description["OnDemandThroughput"])
    indexes = []
    for index in description.get("GlobalSecondaryIndexes") or []:
        created = {"IndexName": index["IndexName"], "KeySchema": [dict(k) for k in index["KeySchema"]],
                   "Projection": dict(index["Projection"])}
        if billing == "PROVISIONED":
            created["ProvisionedThroughput"] = throughput(index)
        indexes.append(created)
    if indexes:
        params["GlobalSecondaryIndexes"] = indexes
    sse = description.get("SSEDescription") or {}
    if sse.get("Status") in ("ENABLED", "ENABLING") and sse.get("SSEType") == "KMS":
        params["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
        if sse.get("KMSMasterKeyArn"):
            params["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyArn"]
    return params


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
