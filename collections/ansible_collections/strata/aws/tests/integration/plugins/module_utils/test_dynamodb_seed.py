# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/dynamodb_seed.py against the emulator: only absent items are ever written.
The module itself, run through ansible: tests/integration/plugins/modules/test_dynamodb_seed.py."""
from __future__ import annotations

import functools
import re

import pytest

from ansible_collections.strata.aws.plugins.module_utils import dynamodb_seed
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_seed import SeedError, Seeder, seed_table


@pytest.fixture
def client(aws_session):
    return aws_session.client("dynamodb")


@pytest.fixture
def make_table(make_dynamodb_table):
    """Create a PAY_PER_REQUEST table with the given key schema (``hash_key``, ``range_key``;
    ``stat`` by default); dropped afterwards."""
    return functools.partial(make_dynamodb_table, "seed")


def _all_items(client, table):
    items = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def test_absent_items_are_written_with_their_types(client, make_table):
    table = make_table()
    result = seed_table(table, [
        {"stat": "Quantity", "viewCount": 0},
        {"stat": "Meta", "ratio": 0.1, "tags": ["a", 1], "extra": {"on": True, "none": None}},
    ])
    assert result == {"written": [{"stat": "Quantity"}, {"stat": "Meta"}], "present": []}
    quantity = client.get_item(TableName=table, Key={"stat": {"S": "Quantity"}})["Item"]
    assert quantity == {"stat": {"S": "Quantity"}, "viewCount": {"N": "0"}}
    meta = client.get_item(TableName=table, Key={"stat": {"S": "Meta"}})["Item"]
    assert meta["ratio"] == {"N": "0.1"}
    assert meta["tags"] == {"L": [{"S": "a"}, {"N": "1"}]}
    assert meta["extra"] == {"M": {"on": {"BOOL": True}, "none": {"NULL": True}}}


def test_present_items_are_left_alone_even_when_values_differ(client, make_table):
    table = make_table()
    client.put_item(TableName=table, Item={"stat": {"S": "Quantity"}, "viewCount": {"N": "41"}})
    items = [{"stat": "Quantity", "viewCount": 0}, {"stat": "Other", "viewCount": 0}]

    first = seed_table(table, items)
    second = seed_table(table, items)

    assert first == {"written": [{"stat": "Other"}], "present": [{"stat": "Quantity"}]}
    assert second == {"written": [], "present": [{"stat": "Quantity"}, {"stat": "Other"}]}
    item = client.get_item(TableName=table, Key={"stat": {"S": "Quantity"}})["Item"]
    assert item["viewCount"] == {"N": "41"}


def test_check_mode_reports_but_writes_nothing(client, make_table):
    table = make_table()
    client.put_item(TableName=table, Item={"stat": {"S": "Kept"}})

    result = seed_table(table, [{"stat": "Quantity", "viewCount": 0}, {"stat": "Kept"}], check_mode=True)

    assert result == {"written": [{"stat": "Quantity"}], "present": [{"stat": "Kept"}]}
    assert _all_items(client, table) == [{"stat": {"S": "Kept"}}]


def test_missing_table_is_a_clear_error(emulator_endpoint):
    with pytest.raises(SeedError, match=r"table='no-such-table': no such DynamoDB table in region us-east-1"):
        seed_table("no-such-table", [{"stat": "Quantity"}])


def test_wrong_key_type_names_item_attribute_type_and_value_and_writes_nothing(client, make_table):
    table = make_table()
    items = [{"stat": "Quantity", "viewCount": 0}, {"stat": 5, "viewCount": 0}]

    with pytest.raises(SeedError) as err:
        seed_table(table, items)

    assert str(err.value) == (
        "items[1].stat: expected a non-empty string (S, the table's key type), got 5 (int)"
    )
    assert _all_items(client, table) == []


@pytest.mark.parametrize("bad_item, message", [
    ({"viewCount": 0}, "items[1]: missing key attribute 'stat' (string, S)"),
    ({"stat": ""}, "items[1].stat: expected a non-empty string"),
    ({"stat": "first", "x": 1}, "items[0] and items[1] have the same key"),
    ({}, "items[1]: expected a non-empty mapping"),
    ({"stat": "a", "x": float("nan")}, "items[1]: cannot convert to DynamoDB types"),
])
def test_invalid_items_are_rejected_before_any_write(client, make_table, bad_item, message):
    table = make_table()
    with pytest.raises(SeedError, match=re.escape(message)):
        seed_table(table, [{"stat": "first"}, bad_item])
    assert _all_items(client, table) == []


def test_number_keys_must_be_numbers(make_table):
    table = make_table(hash_key=("id", "N"))
    with pytest.raises(SeedError, match=r"items\[0\].id: expected a non-empty number \(N, the table's key type\), "
                                        r"got '7' \(str\)"):
        seed_table(table, [{"id": "7"}])
    with pytest.raises(SeedError, match=r"got True \(bool\)"):
        seed_table(table, [{"id": True}])


def test_binary_keys_from_python_callers(make_table):
    table = make_table(hash_key=("id", "B"))
    assert seed_table(table, [{"id": b"\x01"}]) == {"written": [{"id": b"\x01"}], "present": []}
    assert seed_table(table, [{"id": bytearray(b"\x01")}])["present"] == [{"id": bytearray(b"\x01")}]
    with pytest.raises(SeedError, match=r"items\[0\].id: expected a non-empty binary \(B"):
        seed_table(table, [{"id": "AQ=="}])


def test_more_than_one_batch_reads_in_batches_of_100(client, make_table):
    table = make_table()
    for i in range(0, 250, 3):
        client.put_item(TableName=table, Item={"stat": {"S": f"k{i:03}"}, "viewCount": {"N": "41"}})
    items = [{"stat": f"k{i:03}", "viewCount": 0} for i in range(250)]
    seeder = Seeder(client, table)
    batch_sizes = []
    client.meta.events.register(
        "before-parameter-build.dynamodb.BatchGetItem",
        lambda params, **_: batch_sizes.append(len(params["RequestItems"][table]["Keys"])),
    )

    result = seeder.seed(items)

    assert batch_sizes == [100, 100, 50]
    expected_present = [{"stat": f"k{i:03}"} for i in range(0, 250, 3)]
    assert result["present"] == expected_present
    assert len(result["written"]) == 250 - len(expected_present)
    stored = {i["stat"]["S"]: i["viewCount"]["N"] for i in _all_items(client, table)}
    assert len(stored) == 250
    assert {stored[k["stat"]] for k in expected_present} == {"41"}
    assert {stored[k["stat"]] for k in result["written"]} == {"0"}


def test_composite_keys(client, make_table):
    table = make_table(hash_key=("pk", "S"), range_key=("sk", "N"))
    client.put_item(TableName=table, Item={"pk": {"S": "site"}, "sk": {"N": "1.5"}, "v": {"S": "old"}})
    items = [
        {"pk": "site", "sk": 1.50, "v": "new"},  # same key as the stored item: 1.50 == 1.5
        {"pk": "site", "sk": 2, "v": "new"},
        {"pk": "other", "sk": 1.5, "v": "new"},
    ]

    result = seed_table(table, items)

    assert result["present"] == [{"pk": "site", "sk": 1.5}]
    assert result["written"] == [{"pk": "site", "sk": 2}, {"pk": "other", "sk": 1.5}]
    kept = client.get_item(TableName=table, Key={"pk": {"S": "site"}, "sk": {"N": "1.5"}})["Item"]
    assert kept["v"] == {"S": "old"}
    assert len(_all_items(client, table)) == 3
    with pytest.raises(SeedError, match=r"items\[0\]: missing key attribute 'sk' \(number, N\)"):
        seed_table(table, [{"pk": "site"}])


def test_unprocessed_keys_are_retried_with_backoff(client, make_table):
    """The emulator never throttles, so its first answer is rewritten to defer some keys."""
    table = make_table()
    client.put_item(TableName=table, Item={"stat": {"S": "a"}, "viewCount": {"N": "41"}})
    client.put_item(TableName=table, Item={"stat": {"S": "b"}, "viewCount": {"N": "41"}})
    calls = []

    def defer_keys_on_first_call(parsed, **_):
        calls.append(parsed)
        if len(calls) == 1:
            parsed["Responses"][table] = []
            parsed["UnprocessedKeys"] = {table: {"Keys": [{"stat": {"S": "a"}}, {"stat": {"S": "b"}}]}}

    client.meta.events.register("after-call.dynamodb.BatchGetItem", defer_keys_on_first_call)
    sleeps = []
    result = Seeder(client, table, sleep=sleeps.append).seed([{"stat": "a"}, {"stat": "b"}, {"stat": "c"}])

    assert len(calls) == 2
    assert sleeps and sleeps[0] > 0
    assert result == {"written": [{"stat": "c"}], "present": [{"stat": "a"}, {"stat": "b"}]}
    assert client.get_item(TableName=table, Key={"stat": {"S": "a"}})["Item"]["viewCount"] == {"N": "41"}


def test_keys_left_unprocessed_give_up_with_a_clear_error(client, make_table):
    table = make_table()

    def always_defer(parsed, **_):
        parsed["UnprocessedKeys"] = {table: {"Keys": [{"stat": {"S": "a"}}]}}

    client.meta.events.register("after-call.dynamodb.BatchGetItem", always_defer)
    with pytest.raises(SeedError, match="kept returning UnprocessedKeys .* nothing was written"):
        Seeder(client, table, sleep=lambda _: None).seed([{"stat": "a"}])
    assert _all_items(client, table) == []


def test_item_created_between_read_and_write_counts_as_present(aws_session, client, make_table):
    table = make_table()
    other_writer = aws_session.client("dynamodb")

    def race(params, **_):
        if params["Item"]["stat"] == {"S": "raced"}:
            other_writer.put_item(TableName=table, Item={"stat": {"S": "raced"}, "viewCount": {"N": "7"}})

    client.meta.events.register("before-parameter-build.dynamodb.PutItem", race)
    result = Seeder(client, table).seed([{"stat": "raced", "viewCount": 0}, {"stat": "calm"}])

    assert result == {"written": [{"stat": "calm"}], "present": [{"stat": "raced"}]}
    item = client.get_item(TableName=table, Key={"stat": {"S": "raced"}})["Item"]
    assert item["viewCount"] == {"N": "7"}


def test_explicit_endpoint_and_region_are_used(emulator_endpoint, make_table, monkeypatch):
    table = make_table()
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    client = dynamodb_seed.dynamodb_client(region="us-east-1", endpoint_url=emulator_endpoint)
    assert client.meta.endpoint_url == emulator_endpoint
    assert Seeder(client, table).seed([{"stat": "x"}]) == {"written": [{"stat": "x"}], "present": []}
