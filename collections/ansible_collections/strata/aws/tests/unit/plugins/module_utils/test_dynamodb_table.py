# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/dynamodb_table.py: the key schema a backup records and how a restore compares it
(pure logic, no AWS)."""
from __future__ import annotations

from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import (
    describe_key_schema,
    key_schema,
    key_schema_change,
)

VISITS = {"KeySchema": [{"AttributeName": "stat", "KeyType": "HASH"}],
          "AttributeDefinitions": [{"AttributeName": "stat", "AttributeType": "S"}]}
COMPOSITE = {"KeySchema": [{"AttributeName": "at", "KeyType": "RANGE"}, {"AttributeName": "pk", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "at", "AttributeType": "N"},
                                      {"AttributeName": "gsi", "AttributeType": "S"}]}


def test_key_schema_puts_the_hash_key_first_with_its_type():
    assert key_schema(VISITS) == [{"name": "stat", "type": "S", "key": "HASH"}]
    assert key_schema(COMPOSITE) == [{"name": "pk", "type": "S", "key": "HASH"},
                                     {"name": "at", "type": "N", "key": "RANGE"}]
    assert describe_key_schema(key_schema(COMPOSITE)) == "pk (S, HASH), at (N, RANGE)"


def test_the_same_key_schema_is_no_change():
    assert key_schema_change(key_schema(VISITS), key_schema(VISITS), "old", "new") is None


def test_a_backup_without_a_recorded_key_schema_is_not_compared():
    assert key_schema_change(None, key_schema(COMPOSITE), "old", "new") is None


def test_a_renamed_retyped_or_added_key_is_a_change_naming_both():
    renamed = [{"name": "metric", "type": "S", "key": "HASH"}]
    retyped = [{"name": "stat", "type": "N", "key": "HASH"}]
    added = key_schema(VISITS) + [{"name": "at", "type": "N", "key": "RANGE"}]
    for new in (renamed, retyped, added):
        change = key_schema_change(key_schema(VISITS), new, "t-old", "t-new")
        assert change.startswith("the key schema changed: t-old had stat (S, HASH), t-new has ")
        assert describe_key_schema(new) in change
