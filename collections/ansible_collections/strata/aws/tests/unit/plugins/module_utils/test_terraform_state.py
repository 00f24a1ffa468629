# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/terraform_state.py without AWS: what a state's bytes say, the rolled-back
content and its digest, and which versions a rollback refuses."""
from __future__ import annotations

import hashlib
import json

import pytest

from ansible_collections.strata.aws.plugins.module_utils import terraform_state as ts


def state(serial=3, lineage="L1", resources=2):
    return json.dumps({
        "version": 4, "terraform_version": "1.11.4", "serial": serial, "lineage": lineage, "outputs": {},
        "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": f"b{i}", "instances": [{}]}
                      for i in range(resources)]
        + [{"mode": "managed", "type": "aws_cloudwatch_metric_alarm", "name": "each", "instances": [{}, {}]}]
        + [{"mode": "data", "type": "aws_caller_identity", "name": "me", "instances": []}]
        + [{"module": "module.site", "mode": "managed", "type": "aws_s3_bucket", "name": "this", "instances": [{}]}],
    }).encode()


def test_summarize_counts_managed_resources_only():
    summary = ts.summarize(state(resources=2))
    assert (summary["valid"], summary["serial"], summary["lineage"], summary["resources"]) == (True, 3, "L1", 5)
    assert summary["addresses"] == ["aws_cloudwatch_metric_alarm.each", "aws_s3_bucket.b0", "aws_s3_bucket.b1",
                                    "module.site.aws_s3_bucket.this"]


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"serial": 1}'])
def test_summarize_something_that_is_not_a_state(body):
    assert ts.summarize(body)["valid"] is False


def test_rolled_back_content_has_the_next_serial_and_terraforms_layout():
    data = ts.rolled_back(state(serial=3), current_serial=9)
    assert json.loads(data)["serial"] == 10 and json.loads(data)["lineage"] == "L1"
    assert data.endswith(b"}\n") and b'\n  "version": 4' in data
    assert ts.md5_hex(data) == hashlib.md5(data).hexdigest()


def versions():
    return [dict(ts.summarize(state(serial=5)), version_id="v5"),
            dict(ts.summarize(state(serial=4, resources=1)), version_id="v4"),
            dict(ts.summarize(state(serial=9, lineage="OLD")), version_id="old"),
            dict(ts.summarize(b"junk"), version_id="junk")]


def test_check_target_accepts_a_version_of_the_same_lineage():
    assert ts.check_target(versions(), "v4", "k")["resources"] == 4


@pytest.mark.parametrize("version_id, words", [
    ("nope", "No version nope"),
    ("old", "belongs to lineage OLD"),
    ("junk", "is not a Terraform state"),
])
def test_check_target_refuses(version_id, words):
    with pytest.raises(ts.StateError) as refused:
        ts.check_target(versions(), version_id, "dev/stateful/terraform.tfstate")
    assert words in refused.value.msg and "Nothing was changed" in refused.value.msg.replace("nothing", "Nothing")
