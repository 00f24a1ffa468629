# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The data guard and a table whose block was removed from the configuration, with real
Terraform, the real AWS provider and the emulator: the plan that would destroy it is refused
like a replacement, naming why and the way to forget it instead; a ``removed`` block with
``lifecycle { destroy = false }`` lets Terraform forget the table, which keeps its items."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
from ansible_collections.strata.deploy.plugins.module_utils.terraform_toolchain import find_mirror, render_config

PROVIDER = "registry.terraform.io/hashicorp/aws"
VERSION = "5.100.0"  # the preflight's strata_terraform_provider_version
ROOT = Path(__file__).resolve().parents[8]

PROVIDER_TF = f"""\
terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "{VERSION}"
    }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}}

variable "label" {{
  type = string
}}
"""
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
def table_layer(layer, emulator_endpoint):
    """The layer holding one DynamoDB table (named after the layer's ``label``) with two items."""
    mirror = find_mirror(PROVIDER, VERSION)
    assert mirror, f"the AWS provider {VERSION} is not in a filesystem mirror on this machine (see DESIGN.md)"
    cache = ROOT / ".strata" / "terraform" / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    (layer.root / "cli.tfrc").write_text(render_config(mirror, [PROVIDER], str(cache)))
    (layer.source / "main.tf").write_text(PROVIDER_TF + TABLE_TF)
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

    (table_layer.source / "main.tf").write_text(PROVIDER_TF)
    refused = table_layer.run("terraform_apply", args)
    assert refused["failed"] is True and refused["changed"] is False
    assert refused["msg"].startswith("Refusing to apply the demo layer: its plan would delete resources that hold data")
    assert f"aws_dynamodb_table.visits ({table_layer.table}): delete, because it was removed from the configuration" in refused["msg"]
    assert "Nothing was changed." in refused["msg"]
    assert "removed { from = aws_dynamodb_table.visits, lifecycle { destroy = false } }" in refused["msg"]
    assert items(table_layer.table) == before
    assert [f"{r['type']}.{r['name']}" for r in table_layer.state()["resources"]] == ["aws_dynamodb_table.visits"]

    (table_layer.source / "main.tf").write_text(PROVIDER_TF + REMOVED_TF)
    forgot = table_layer.run("terraform_apply", args)
    assert forgot.get("failed") is not True, forgot
    assert forgot["changed"] is True and forgot["applied"] is True
    assert forgot["summary"]["forget"] == 1 and forgot["summary"]["destroy"] == 0
    assert forgot["line"].startswith("demo: apply 0 to add, 0 to change, 0 to destroy, 1 to forget (")
    assert table_layer.state()["resources"] == []
    assert items(table_layer.table) == before

    again = table_layer.run("terraform_apply", args)
    assert again["changed"] is False and again["commands"] == ["plan"]
