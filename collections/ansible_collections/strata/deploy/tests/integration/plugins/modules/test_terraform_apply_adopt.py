# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An apply killed after AWS created a table and a bucket, before Terraform saved them in the
state, with real Terraform, the real AWS provider and the emulator: the next apply adopts them
(imports them, the table's items kept) instead of stopping at "already exists", creates what
the killed one had not reached, and the apply after it changes nothing."""
from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest

from ansible_adhoc import adhoc_command
from interrupt_run import signal_tree, wait_gone  # tools/dev: kills a whole process tree
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
from ansible_collections.strata.deploy.plugins.module_utils import terraform_adopt as adopt

# The table and the first bucket are created at once; the pause holds the apply open after
# them (Terraform saves the state at its end), and the second bucket waits for the pause.
CONFIG_TF = """\
variable "pause" {
  type = number
}

resource "aws_dynamodb_table" "visits" {
  name         = var.label
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "stat"

  attribute {
    name = "stat"
    type = "S"
  }
}

resource "aws_s3_bucket" "site" {
  bucket = "${var.label}-site"
}

resource "terraform_data" "pause" {
  provisioner "local-exec" {
    command = "sleep ${var.pause}"
  }
}

resource "aws_s3_bucket" "logs" {
  bucket     = "${var.label}-logs"
  depends_on = [terraform_data.pause]
}
"""


@pytest.fixture
def adopt_layer(aws_layer):
    layer = aws_layer
    (layer.source / "main.tf").write_text(layer.head + CONFIG_TF)
    layer.label = f"strata-adopt-{uuid.uuid4().hex[:8]}"
    # State in S3, as strata keeps it: a local state file is written at every step of an apply,
    # the S3 backend's state only when the apply ends (or every 20 s of it at most).
    layer.state_bucket = f"{layer.label}-state"
    aws_client("s3").create_bucket(Bucket=layer.state_bucket)
    yield layer
    ddb, s3 = aws_client("dynamodb"), aws_client("s3")
    if layer.label in ddb.list_tables()["TableNames"]:
        ddb.delete_table(TableName=layer.label)
    for bucket in (f"{layer.label}-site", f"{layer.label}-logs", layer.state_bucket):
        if bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=bucket)


def args(layer, pause):
    given = layer.args(label=layer.label)
    given["files"]["strata.auto.tfvars.json"] = json.dumps({"label": layer.label, "pause": pause}) + "\n"
    given["files"]["backend.tf"] = (
        'terraform {\n  backend "s3" {\n'
        f'    bucket         = "{layer.state_bucket}"\n    key            = "demo/terraform.tfstate"\n'
        '    region         = "us-east-1"\n    use_path_style = true\n    use_lockfile   = true\n  }\n}\n')
    return given


def exists(layer):
    buckets = {b["Name"] for b in aws_client("s3").list_buckets()["Buckets"]}
    return {"table": layer.label in aws_client("dynamodb").list_tables()["TableNames"],
            "site": f"{layer.label}-site" in buckets, "logs": f"{layer.label}-logs" in buckets}


def state_addresses(layer):
    s3 = aws_client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=layer.state_bucket).get("Contents", [])]
    if "demo/terraform.tfstate" not in keys:
        return []
    body = s3.get_object(Bucket=layer.state_bucket, Key="demo/terraform.tfstate")["Body"].read()
    return sorted(f"{r['type']}.{r['name']}" for r in json.loads(body)["resources"] if r["mode"] == "managed")


def test_an_apply_killed_after_aws_created_its_objects_is_adopted_by_the_next(adopt_layer):
    layer = adopt_layer
    command, env = adhoc_command(layer.root, "strata.deploy.terraform_apply", args(layer, 120))
    proc = subprocess.Popen(command, env=env, cwd=layer.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (exists(layer)["table"] and exists(layer)["site"]):
            assert proc.poll() is None and time.monotonic() < deadline, "the apply ended before creating its objects"
            time.sleep(0.5)
        time.sleep(2)
    finally:
        killed = signal_tree(proc.pid, 9)
        assert wait_gone(killed), killed
    assert any(name == "terraform" for _pid, name in killed), killed

    # What the kill left: the table and the first bucket in AWS, not in the state; the journal.
    assert exists(layer) == {"table": True, "site": True, "logs": False}
    assert state_addresses(layer) == []
    # The kill left the state's lock (use_lockfile): released as unlock.yml would.
    aws_client("s3").delete_object(Bucket=layer.state_bucket, Key="demo/terraform.tfstate.tflock")
    journal = adopt.journal(str(layer.work))
    assert {(e["address"], e["id"]) for e in journal} == {
        ("aws_dynamodb_table.visits", layer.label), ("aws_s3_bucket.site", f"{layer.label}-site"),
        ("aws_s3_bucket.logs", f"{layer.label}-logs")}
    # Written after the kill (a restore, the application): kept by the adoption.
    aws_client("dynamodb").put_item(TableName=layer.label, Item={"stat": {"S": "visits"}, "n": {"N": "7"}})

    again = layer.run("terraform_apply", args(layer, 0))
    assert again.get("failed") is not True, again
    assert again["applied"] is True
    assert {e["address"] for e in again["adopted"]} == {"aws_dynamodb_table.visits", "aws_s3_bucket.site"}
    assert any("adopted aws_dynamodb_table.visits (" + layer.label + ")" in w for w in again.get("warnings", [])), again
    assert state_addresses(layer) == ["aws_dynamodb_table.visits", "aws_s3_bucket.logs", "aws_s3_bucket.site",
                                      "terraform_data.pause"]
    assert exists(layer) == {"table": True, "site": True, "logs": True}
    items = aws_client("dynamodb").scan(TableName=layer.label)["Items"]
    assert items == [{"stat": {"S": "visits"}, "n": {"N": "7"}}]
    assert not (layer.work / adopt.JOURNAL).exists() and not (layer.work / adopt.IMPORTS).exists()

    last = layer.run("terraform_apply", args(layer, 0))
    assert last["changed"] is False and last["commands"] == ["plan"], last
