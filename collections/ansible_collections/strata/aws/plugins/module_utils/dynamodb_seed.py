# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed a DynamoDB table: write items only where their key is absent.

A redeploy must never reset data, so seeding reads which keys already exist
(BatchGetItem, 100 keys per call) and writes only the missing items, each with
a conditional PutItem (``attribute_not_exists`` on the hash key). An item that
appears between the read and the write fails its condition and counts as
present: nothing already in the table is ever overwritten.
"""
from __future__ import annotations

import math
import time
from decimal import Decimal

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    BotoCoreError,
    ClientError,
    aws_client,
)
from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError

try:
    from boto3.dynamodb.types import TypeSerializer
except ImportError:  # reported by the module's base (AnsibleAWSModule checks boto3)
    HAS_BOTO3 = False
else:
    HAS_BOTO3 = True

BATCH_GET_LIMIT = 100
"""Most keys BatchGetItem accepts in one request."""

UNPROCESSED_RETRIES = 8
"""Rounds of BatchGetItem retries for UnprocessedKeys before giving up."""

_TYPE_NAMES = {"S": "string", "N": "number", "B": "binary"}


class SeedError(StrataAWSError):
    """A seeding failure with a message meant for the person running it."""


def _plain_to_dynamo(value):
    """Turn plain JSON-like data into what TypeSerializer accepts (floats -> Decimal)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a number DynamoDB can store")
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: _plain_to_dynamo(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_to_dynamo(item) for item in value]
    return value


def _key_type_matches(value, attr_type: str) -> bool:
    if attr_type == "S":
        return isinstance(value, str) and value != ""
    if attr_type == "N":
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    return isinstance(value, (bytes, bytearray)) and len(value) > 0


def _canonical_key(typed_key: dict, key_names: list[str]) -> tuple:
    """A hashable form of a typed key in which equal numbers compare equal ("1.50" == "1.5")."""
    parts = []
    for name in key_names:
        ((attr_type, raw),) = typed_key[name].items()
        if attr_type == "N":
            raw = Decimal(raw)
        elif attr_type == "B":
            raw = bytes(raw)
        parts.append((name, attr_type, raw))
    return tuple(parts)


class Seeder:
    """Seed one table through a boto3 DynamoDB client."""

    def __init__(self, client, table: str, sleep=time.sleep, unprocessed_retries: int = UNPROCESSED_RETRIES):
        self.client = client
        self.table = table
        self._sleep = sleep
        self._unprocessed_retries = unprocessed_retries
        self._serializer = TypeSerializer()
        self.key_schema = self._describe_key_schema()
        self.key_names = [name for name, _unused in self.key_schema]
        self.hash_key = self.key_names[0]

    def _describe_key_schema(self) -> list[tuple[str, str]]:
        """Return [(attribute, type)] for the hash key and, if any, the range key."""
        try:
            table = self.client.describe_table(TableName=self.table)["Table"]
        except ClientError as err:
            if err.response["Error"]["Code"] == "ResourceNotFoundException":
                raise SeedError(
                    f"table={self.table!r}: no such DynamoDB table in region "
                    f"{self.client.meta.region_name}; create the table before seeding it"
                ) from err
            raise _aws_error(f"describing table {self.table!r}", err) from err
        except BotoCoreError as err:
            raise _aws_error(f"describing table {self.table!r}", err) from err
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        ordered = sorted(table["KeySchema"], key=lambda k: k["KeyType"] != "HASH")
        return [(k["AttributeName"], types[k["AttributeName"]]) for k in ordered]

    def prepare(self, items: list) -> list[tuple[dict, dict, dict]]:
        """Validate and serialise every item before anything is written.

        Returns (plain key, typed key, typed item) per item, in input order.
        """
        prepared = []
        seen = {}
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not item:
                raise SeedError(f"items[{index}]: expected a non-empty mapping of attributes, got {item!r}")
            for name, attr_type in self.key_schema:
                if name not in item:
                    raise SeedError(
                        f"items[{index}]: missing key attribute {name!r} "
                        f"({_TYPE_NAMES[attr_type]}, {attr_type}) that table {self.table!r} requires"
                    )
                value = item[name]
                if not _key_type_matches(value, attr_type):
                    raise SeedError(
                        f"items[{index}].{name}: expected a non-empty {_TYPE_NAMES[attr_type]} "
                        f"({attr_type}, the table's key type), got {value!r} ({type(value).__name__})"
                    )
            try:
                typed = {k: self._serializer.serialize(_plain_to_dynamo(v)) for k, v in item.items()}
            except (TypeError, ValueError, ArithmeticError) as err:
                raise SeedError(f"items[{index}]: cannot convert to DynamoDB types: {err}") from err
            typed_key = {name: typed[name] for name in self.key_names}
            canonical = _canonical_key(typed_key, self.key_names)
            if canonical in seen:
                raise SeedError(
                    f"items[{seen[canonical]}] and items[{index}] have the same key; each key may appear once"
                )
            seen[canonical] = index
            plain_key = {name: item[name] for name in self.key_names}
            prepared.append((plain_key, typed_key, typed))
        return prepared

    def existing_keys(self, typed_keys: list[dict]) -> set[tuple]:
        """Canonical forms of those keys that are already in the table."""
        names = {f"#k{i}": name for i, name in enumerate(self.key_names)}
        found = set()
        for start in range(0, len(typed_keys), BATCH_GET_LIMIT):
            request = {
                self.table: {
                    "Keys": typed_keys[start:start + BATCH_GET_LIMIT],
                    "ProjectionExpression": ", ".join(names),
                    "ExpressionAttributeNames": names,
                    "ConsistentRead": True,
                }
            }
            for attempt in range(self._unprocessed_retries + 1):
                try:
                    response = self.client.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError) as err:
                    raise _aws_error(f"reading keys from table {self.table!r}", err) from err
                for item in response.get("Responses", {}).get(self.table, []):
                    found.add(_canonical_key(item, self.key_names))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                if attempt == self._unprocessed_retries:
                    raise SeedError(
                        f"table {self.table!r} kept returning UnprocessedKeys after "
                        f"{self._unprocessed_retries} retries (throttled?); nothing was written"
                    )
                self._sleep(min(0.05 * 2 ** attempt, 5.0))
        return found

    def put_if_absent(self, typed_item: dict) -> bool:
        """Write one item unless its key exists; True if it was written."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=typed_item,
                ConditionExpression="attribute_not_exists(#hash)",
                ExpressionAttributeNames={"#hash": self.hash_key},
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def seed(self, items: list, check_mode: bool = False) -> dict:
        """Write the absent items; return {"written": [keys], "present": [keys]}."""
        prepared = self.prepare(items)
        existing = self.existing_keys([typed_key for _unused, typed_key, _unused in prepared])
        written, present = [], []
        for index, (plain_key, typed_key, typed_item) in enumerate(prepared):
            if _canonical_key(typed_key, self.key_names) in existing:
                present.append(plain_key)
                continue
            if not check_mode:
                try:
                    if not self.put_if_absent(typed_item):
                        present.append(plain_key)
                        continue
                except (ClientError, BotoCoreError) as err:
                    raise SeedError(
                        f"items[{index}] (key {plain_key!r}): write to table {self.table!r} failed after "
                        f"writing {len(written)} item(s) {written!r}: {_describe(err)}"
                    ) from err
            written.append(plain_key)
        return {"written": written, "present": present}


def _describe(err) -> str:
    if isinstance(err, ClientError):
        error = err.response["Error"]
        return f"{error.get('Code')}: {error.get('Message')}"
    return str(err)


def _aws_error(action: str, err) -> SeedError:
    return SeedError(f"{action} failed: {_describe(err)}")


def dynamodb_client(region: str | None = None, endpoint_url: str | None = None, retries: int = DEFAULT_RETRIES):
    """A DynamoDB client for Python callers (the module gets its client from its base,
    ``aws_module.client``); with endpoint_url None, boto3 honours AWS_ENDPOINT_URL."""
    try:
        return aws_client("dynamodb", region, endpoint_url, retries)
    except BotoCoreError as err:
        raise SeedError(f"cannot create a DynamoDB client (region={region!r}): {err}") from err


def seed_table(table: str, items: list, region: str | None = None,
               endpoint_url: str | None = None, check_mode: bool = False) -> dict:
    """Seed ``table`` with ``items`` (plain JSON form); see :class:`Seeder`."""
    return Seeder(dynamodb_client(region, endpoint_url), table).seed(items, check_mode=check_mode)
