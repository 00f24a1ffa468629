# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The data guard and a table whose block was removed from the configuration, with real
Terraform, the real AWS provider and the emulator: the plan that would destroy it is refused
like a replacement, naming why and the way to forget it instead; a ``removed`` block with
``lifecycle { destroy = false }`` lets Terraform forget the table, which keeps its items."""
from __future__ import annotations

import uuid

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client

TABLE_TF = """\
resource "aws_dynamodb_table" "visits" {
  name         = var.label
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "stat"

  attribute {
    name = "stat"
    type = "S"
  }
}
"""
REMOVED_TF = """\
removed {
  from = aws_dynamodb_table.visits

  lifecycle {
    destroy = false
  }
}
"""


@pytest.fixture
def table_layer(aws_layer):
    """The layer holding one DynamoDB table (named after the layer's ``label``) with two items."""
    layer = aws_layer
    (layer.source / "main.tf").write_text(layer.head + TABLE_TF)
    name = f"strata-removed-{uuid.uuid4().hex[:8]}"
    created = layer.run("terraform_apply", layer.args(label=name))
    assert created["applied"] is True, created
    ddb = aws_client("dynamodb")
    for stat in ("visits", "likes"):
        ddb.put_item(TableName=name, Item={"stat": {"S": stat}, "n": {"N": "7"}})
    layer.table = name
    yield layer
    if name in ddb.list_tables()["TableNames"]:
        ddb.delete_table(TableName=name)


def items(name):
    return sorted(aws_client("dynamodb").scan(TableName=name)["Items"], key=lambda item: item["stat"]["S"])


def test_a_removed_table_block_is_refused_and_a_removed_block_forgets_the_table(table_layer):
    before = items(table_layer.table)
    assert len(before) == 2
    args = table_layer.args(label=table_layer.table)

    (table_layer.source / "main.tf").write_text(table_layer.head)
    refused = table_layer.run("terraform_apply", args)
    assert refused["failed"] is True and refused["changed"] is False
    assert refused["msg"].startswith("Refusing to apply the demo layer: its plan would delete resources that hold data")
    assert f"aws_dynamodb_table.visits ({table_layer.table}): delete, because it was removed from the configuration" in refused["msg"]
    assert "Nothing was changed." in refused["msg"]
    assert "removed { from = aws_dynamodb_table.visits, lifecycle { destroy = false } }" in refused["msg"]
    assert items(table_layer.table) == before
    assert [f"{r['type']}.{r['name']}" for r in table_layer.state()["resources"]] == ["aws_dynamodb_table.visits"]

    (table_layer.source / "main.tf").write_text(table_layer.head + REMOVED_TF)
    forgot = table_layer.run("terraform_apply", args)
    assert forgot.get("failed") is not True, forgot
    assert forgot["changed"] is True and forgot["applied"] is True
    assert forgot["summary"]["forget"] == 1 and forgot["summary"]["destroy"] == 0
    assert forgot["line"].startswith("demo: apply 0 to add, 0 to change, 0 to destroy, 1 to forget (")
    assert table_layer.state()["resources"] == []
    assert items(table_layer.table) == before

    again = table_layer.run("terraform_apply", args)
    assert again["changed"] is False and again["commands"] == ["plan"]
