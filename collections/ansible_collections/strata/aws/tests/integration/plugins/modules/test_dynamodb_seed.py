# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.dynamodb_seed run by ansible itself against the emulator: check mode, apply,
run again and nothing changes, and clear failures. The seeding logic:
tests/integration/plugins/module_utils/test_dynamodb_seed.py."""
from __future__ import annotations

import pytest

from ansible_adhoc import run_module

from ..module_utils.test_dynamodb_seed import _all_items


@pytest.fixture
def client(aws_session):
    return aws_session.client("dynamodb")


MODULE = "strata.aws.dynamodb_seed"


def test_module_through_ansible(tmp_path, client, make_dynamodb_table, emulator_endpoint):
    table = make_dynamodb_table("seed")
    client.put_item(TableName=table, Item={"stat": {"S": "Quantity"}, "viewCount": {"N": "41"}})
    args = {
        "table": table,
        "region": "us-east-1",
        "endpoint_url": emulator_endpoint,
        "items": [{"stat": "Quantity", "viewCount": 0}, {"stat": "Ratio", "value": 0.25}],
    }

    checked = run_module(tmp_path, MODULE, args, check=True)
    assert checked["changed"] is True
    assert checked["written"] == [{"stat": "Ratio"}]
    assert checked["present"] == [{"stat": "Quantity"}]
    assert len(_all_items(client, table)) == 1

    applied = run_module(tmp_path, MODULE, args)
    assert (applied["changed"], applied["written"], applied["table"]) == (True, [{"stat": "Ratio"}], table)
    ratio = client.get_item(TableName=table, Key={"stat": {"S": "Ratio"}})["Item"]
    assert ratio["value"] == {"N": "0.25"}

    again = run_module(tmp_path, MODULE, args)
    assert (again["changed"], again["written"]) == (False, [])
    assert again["present"] == [{"stat": "Quantity"}, {"stat": "Ratio"}]
    counter = client.get_item(TableName=table, Key={"stat": {"S": "Quantity"}})["Item"]
    assert counter["viewCount"] == {"N": "41"}


def test_module_failures_through_ansible(tmp_path, emulator_endpoint):
    # No endpoint_url or region: boto3 takes AWS_ENDPOINT_URL and AWS_REGION from the environment.
    missing = run_module(tmp_path, MODULE, {"table": "absent", "items": [{"stat": "Quantity"}]})
    assert missing["failed"] is True
    assert "table='absent': no such DynamoDB table" in missing["msg"]

    no_items = run_module(tmp_path, MODULE, {"table": "absent"})
    assert no_items["failed"] is True
    assert "missing required arguments: items" in no_items["msg"]

    not_dicts = run_module(tmp_path, MODULE, {"table": "absent", "items": ["Quantity"]})
    assert not_dicts["failed"] is True
    assert "items" in not_dicts["msg"] and "dict" in not_dicts["msg"]
