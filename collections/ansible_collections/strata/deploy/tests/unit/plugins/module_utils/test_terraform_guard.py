# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy terraform_guard: a plan that loses data is refused, naming each table or bucket,
why, and the confirmation that lets it through; what the caller backed up passes."""
from __future__ import annotations

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp
from ansible_collections.strata.deploy.plugins.module_utils.terraform_guard import data_loss_refusal, guard
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import TerraformError

PLAN = {"resource_changes": [
    {"address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
     "change": {"actions": ["delete", "create"], "before": {"name": "strata-visits-dev"}, "replace_paths": [["hash_key"]]}},
    {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "action_reason": "delete_because_no_resource_config",
     "change": {"actions": ["delete"], "before": {"bucket": "strata-logs-dev"}}},
    {"address": "aws_lambda_function.counter", "mode": "managed", "type": "aws_lambda_function",
     "change": {"actions": ["delete", "create"], "before": {"function_name": "counter"}}},
]}


def test_every_table_or_bucket_that_loses_data_is_named_with_why():
    message = data_loss_refusal("stateful", tp.summarize_plan(PLAN), allow_replace=[])
    assert message.startswith("Refusing to apply the stateful layer: its plan would delete/replace resources that hold data: ")
    assert ("aws_dynamodb_table.visits (strata-visits-dev): replace, because changing hash_key forces a replacement; "
            "aws_s3_bucket.logs (strata-logs-dev): delete, because it was removed from the configuration.") in message
    assert "counter" not in message
    assert "Nothing was changed" in message
    assert "-e allow_replace=aws_dynamodb_table.visits,aws_s3_bucket.logs " in message


def test_what_the_caller_backed_up_passes_and_the_rest_is_still_refused():
    summary = tp.summarize_plan(PLAN)
    partly = data_loss_refusal("stateful", summary, allow_replace=["aws_s3_bucket.logs"])
    assert "aws_s3_bucket.logs" not in partly and "-e allow_replace=aws_dynamodb_table.visits " in partly
    assert data_loss_refusal("stateful", summary, ["aws_s3_bucket.logs", "aws_dynamodb_table.visits"]) is None
    assert data_loss_refusal("stateless", tp.summarize_plan({"resource_changes": PLAN["resource_changes"][2:]}), []) is None


def test_guard_raises_the_refusal_with_the_plan_as_details():
    summary = tp.summarize_plan(PLAN)
    with pytest.raises(TerraformError) as raised:
        guard("stateful", summary, ["aws_s3_bucket.logs"])
    assert raised.value.msg == data_loss_refusal("stateful", summary, ["aws_s3_bucket.logs"])
    assert raised.value.details == {"data_loss": summary["data_loss"], "summary": summary}
    assert guard("stateful", summary, ["aws_s3_bucket.logs", "aws_dynamodb_table.visits"]) is None
