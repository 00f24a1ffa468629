# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One numeric attribute of one DynamoDB item (the visitor counter): read it, save the item
into a strata backup, and set it only if it still holds the value that was read.

The write is ``UpdateItem SET #a = :new`` with ``ConditionExpression #a = :expected``: a
visit counted (``ADD``) between the read and the write makes the condition fail, and nothing
is written. Pure helpers (``key_of``, ``whole_number``, ``refusal``) are separate from the calls.
"""
from __future__ import annotations

import json
from decimal import Decimal

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    call_with_backoff,
    error_code,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    TABLE_FORMAT,
    atomic_file,
    gzip_stream,
    resolve,
    table_file,
    table_line,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import finish_part, start_part
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import describe, encode_item, pitr_window
from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError
from ansible_collections.strata.aws.plugins.module_utils.protection import plain

try:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
except ImportError:  # reported by the module's base (AnsibleAWSModule checks boto3)
    TypeDeserializer = TypeSerializer = None


class CounterError(StrataAWSError):
    """A read, backup or conditional write that cannot go on; the message says what next."""


def key_of(key):
    """The low-level (typed) key of a plain ``key`` such as ``{"stat": "Quantity"}``; strings
    and whole numbers only (DynamoDB key attributes are S, N or B)."""
    if not isinstance(key, dict) or not key:
        raise CounterError(f"key must be a non-empty mapping of key attribute to value, got {key!r}")
    typed = {}
    for name, value in key.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            raise CounterError(f"key attribute {name} is {value!r}: expected a non-empty string or a whole number")
        typed[name] = TypeSerializer().serialize(value)
    return typed


def whole_number(typed_value):
    """The int a typed value ``{"N": "42"}`` holds, or None when it is not a whole number."""
    if not isinstance(typed_value, dict) or set(typed_value) != {"N"}:
        return None
    number = Decimal(typed_value["N"])
    return int(number) if number == number.to_integral_value() else None


def describe_key(key):
    """``{"stat": "Quantity"}`` as it appears in messages."""
    return json.dumps(key, sort_keys=True)


def refusal(table, key, attribute, expected, current_item):
    """Why a conditional write was refused, and what to do next."""
    where = f"table {table}, item {describe_key(key)}"
    if current_item is None:
        now = "the item is gone now"
    elif attribute not in current_item:
        now = f"the item has no {attribute} now"
    else:
        now = f"{attribute} is {plain(TypeDeserializer().deserialize(current_item[attribute]))} now"
    return (f"{where}: {now}, not {expected} as it was read and backed up; it changed in between (a visit counted?). "
            "Nothing was written. Run the command again: it reads, backs up and writes anew.")


def read_item(client, table, key, retries=DEFAULT_RETRIES):
    """The item at ``key`` (typed, as the low-level client returns it), or None; a strongly
    consistent read."""
    response = call_with_backoff(client.get_item, retries, TableName=table, Key=key_of(key), ConsistentRead=True)
    return response.get("Item")


def summary(typed_item, attribute):
    """(plain item or None, the attribute's whole-number value or None)."""
    if typed_item is None:
        return None, None
    deserializer = TypeDeserializer()
    item = plain({name: deserializer.deserialize(value) for name, value in typed_item.items()})
    return item, whole_number(typed_item.get(attribute))


def backup_item(client, table, typed_item, dest, source, retries=DEFAULT_RETRIES, check_mode=False):
    """Save ``typed_item`` (None: no item) into ``dest`` as a strata backup's table file,
    ``dynamodb/<table>.jsonl.gz``, in the same form as ``strata.aws.dynamodb_backup`` (one
    ``{"Item": ...}`` line), and write its part record, so that ``strata.aws.backup_manifest``
    completes the backup and ``strata.aws.dynamodb_restore`` puts the item back. Returns the
    manifest entry and the absolute ``path``; in check mode writes nothing."""
    describe(client, table, retries)
    relpath = table_file(table)
    path = resolve(dest, relpath)
    start_part(dest, "dynamodb", table, check_mode)
    if check_mode:
        return {"name": table, "file": relpath, "path": path}
    with atomic_file(path) as out:
        with gzip_stream(out) as gz:
            if typed_item is not None:
                gz.write(table_line(encode_item(typed_item)))
    pitr, unknown = pitr_window(client, table, retries)
    entry = {"name": table, "item_count": 0 if typed_item is None else 1, "file": relpath,
             "bytes": out.size, "sha256": out.hexdigest(), "table_format": TABLE_FORMAT, "pitr": pitr}
    if unknown:
        entry["pitr_unknown"] = unknown
    finish_part(dest, "dynamodb", table, entry, source)
    return dict(entry, path=path)


def set_if_unchanged(client, table, key, attribute, value, expected, retries=DEFAULT_RETRIES):
    """Set ``attribute`` to ``value`` only if it holds ``expected`` (so only if the item exists).
    On a mismatch nothing is written and ``CounterError`` says what the item holds now."""
    try:
        call_with_backoff(
            client.update_item, retries, TableName=table, Key=key_of(key),
            UpdateExpression="SET #a = :new",
            ConditionExpression="#a = :expected",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":new": {"N": str(value)}, ":expected": {"N": str(expected)}},
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        current = read_item(client, table, key, retries)
        now = summary(current, attribute)[1]
        raise CounterError(refusal(table, key, attribute, expected, current), expected=expected, current=now) from None
