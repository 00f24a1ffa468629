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


GSI = {"IndexName": "by-gsi", "KeySchema": [{"AttributeName": "gsi", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "ALL"},
       "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 1}}


def test_creation_parameters_copy_the_shape_of_a_table_under_a_new_name():
    from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import creation_parameters

    on_demand = dict(VISITS, TableName="live", TableStatus="ACTIVE", ItemCount=3,
                     BillingModeSummary={"BillingMode": "PAY_PER_REQUEST"},
                     ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
                     SSEDescription={"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "arn:aws:kms:k"})
    assert creation_parameters(on_demand, "scratch") == {
        "TableName": "scratch", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": VISITS["KeySchema"], "AttributeDefinitions": VISITS["AttributeDefinitions"],
        "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "arn:aws:kms:k"},
    }
    provisioned = dict(COMPOSITE, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
                       GlobalSecondaryIndexes=[dict(GSI, IndexStatus="ACTIVE")])
    params = creation_parameters(provisioned, "copy")
    assert params["BillingMode"] == "PROVISIONED"  # no BillingModeSummary: a table created provisioned
    assert params["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    assert params["GlobalSecondaryIndexes"] == [GSI]
    assert "SSESpecification" not in params  # AWS-owned encryption is the default
