# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Items, table helpers and fake clients shared by the DynamoDB integration tests of
module_utils (their fixtures, ``ddb``, ``make_table`` and ``source``, are in conftest.py)."""
from __future__ import annotations

import os

from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import export_table
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import write_manifest

EVERY_TYPE = [
    {
        "pk": {"S": "every-type"},
        "s": {"S": "plain"},
        "unicode": {"S": "Zażółć gęślą jaźń · 日本語 · עברית"},
        "emoji": {"S": "🦄👩‍👩‍👧‍👦🏳️‍🌈"},
        "empty_s": {"S": ""},
        "n_int": {"N": "42"},
        "n_negative": {"N": "-17.25"},
        "n_precise": {"N": "12345678901234567890123456789.012345678"},
        "n_tiny": {"N": "-0.000000000000000000000000000000000000001"},
        "n_huge": {"N": "9.9999999999999999999999999999999999999E+125"},
        "b": {"B": bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0x0A])},
        "b_empty": {"B": b""},
        "ss": {"SS": ["a", "ß", "🙂"]},
        "ns": {"NS": ["1", "-2.5", "3.14159265358979323846264338327950288"]},
        "bs": {"BS": [b"\x00", b"\xff\xff", bytes(range(256))]},
        "bool_t": {"BOOL": True},
        "bool_f": {"BOOL": False},
        "null": {"NULL": True},
        "l": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x01\x02"}, {"NULL": True}, {"L": []}, {"M": {}}]},
        "l_empty": {"L": []},
        "m_empty": {"M": {}},
        "m": {"M": {
            "nested": {"M": {"deeper": {"M": {"bs": {"BS": [b"\xde\xad"]}, "ns": {"NS": ["0"]}}}}},
            "list": {"L": [{"M": {"b": {"B": b"\xff"}}}, {"SS": ["only"]}]},
            "key with spaces/and.dots": {"S": "\u0000 control \u001f chars"},
        }},
    },
    {"pk": {"S": "ключ 🔑"}, "only": {"N": "0"}},
    {"pk": {"S": "\u00e9"}, "composed": {"S": "e\u0301"}},
]


def put_items(ddb, table, items):
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        response = ddb.batch_write_item(RequestItems={table: requests})
        assert not response["UnprocessedItems"]


def all_items(ddb, table, key="pk"):
    items = []
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: repr(item[key]))


def delete_all(ddb, table, key_names=("pk",)):
    for item in all_items(ddb, table, key_names[0]):
        ddb.delete_item(TableName=table, Key={name: item[name] for name in key_names})


def numbered(count, start=0):
    return [{"pk": {"S": f"item-{i:06d}"}, "n": {"N": str(i)}, "payload": {"B": os.urandom(16)}}
            for i in range(start, start + count)]


def backup(ddb, table, dest, source, **kwargs):
    """Export ``table`` and complete the backup with its manifest."""
    result = export_table(ddb, table, str(dest), source, **kwargs)
    write_manifest(str(dest), "test", [table], [])
    return result


def _leftovers(dest):
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())


class FailingScans:
    """A DynamoDB client whose Scan raises ``error`` from call number ``fail_at`` (1-based)
    on, possibly only ``times`` times; everything else goes to the real client."""

    def __init__(self, client, error, fail_at=1, times=None):
        self._client = client
        self._error = error
        self._fail_at = fail_at
        self._times = times
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def scan(self, **kwargs):
        self.calls += 1
        failing = self.calls >= self._fail_at and (self._times is None or self.calls < self._fail_at + self._times)
        if failing:
            raise self._error
        return self._client.scan(**kwargs)


def throttled():
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "Scan"
    )
