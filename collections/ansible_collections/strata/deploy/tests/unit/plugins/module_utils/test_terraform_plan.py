# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy terraform_plan: what a plan does and what a state holds, from Terraform's JSON."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp


def change(address, actions, type_="aws_s3_bucket_policy", before=None, replace_paths=None, reason=None, mode="managed"):
    item = {"address": address, "mode": mode, "type": type_,
            "change": {"actions": actions, "before": before, "replace_paths": replace_paths or []}}
    if reason:
        item["action_reason"] = reason
    return item


def state(*resources, outputs=None, child=None):
    root = {"resources": list(resources)}
    if child:
        root["child_modules"] = [{"resources": list(child)}]
    return {"values": {"root_module": root, "outputs": outputs or {}}}


TABLE = {"address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
         "values": {"name": "strata-visits-dev"}}
BUCKET = {"address": "module.site_bucket.aws_s3_bucket.this", "mode": "managed", "type": "aws_s3_bucket",
          "values": {"bucket": "strata-site-dev"}}
DATA = {"address": "data.aws_iam_policy_document.x", "mode": "data", "type": "aws_iam_policy_document", "values": {}}


def test_state_resources_walks_child_modules_and_names_data_resources():
    found = tp.state_resources(state(TABLE, DATA, child=[BUCKET]))
    assert found == [
        {"address": "aws_dynamodb_table.visits", "type": "aws_dynamodb_table", "name": "strata-visits-dev"},
        {"address": "module.site_bucket.aws_s3_bucket.this", "type": "aws_s3_bucket", "name": "strata-site-dev"},
    ]


def test_empty_state_has_no_resources_and_no_outputs():
    assert tp.state_resources({"format_version": "1.0"}) == []
    assert tp.state_outputs({}) == {}
    assert tp.state_resources(None) == []


def test_state_without_outputs_still_counts_its_resources():
    """A destroy that died half-way leaves resources and no outputs: resources decide."""
    half = state(TABLE)
    assert tp.state_outputs(half) == {}
    assert len(tp.state_resources(half)) == 1


def test_counts_follow_terraforms_plan_line():
    plan = {"resource_changes": [
        change("a.b", ["create"]), change("a.c", ["update"]), change("a.d", ["delete"]),
        change("a.e", ["delete", "create"]), change("a.f", ["no-op"]), change("data.x.y", ["read"], mode="data"),
    ], "prior_state": state(TABLE)}
    summary = tp.summarize_plan(plan)
    assert (summary["add"], summary["change"], summary["destroy"], summary["replace"]) == (2, 1, 2, 1)
    assert [c["address"] for c in summary["changes"]] == ["a.b", "a.c", "a.d", "a.e"]
    assert summary["prior_resources"] == 1
    assert summary["data_loss"] == []


def test_replaced_table_is_named_with_the_attribute_that_forces_it():
    plan = {"resource_changes": [
        change("aws_dynamodb_table.visits", ["delete", "create"], "aws_dynamodb_table",
               before={"name": "strata-visits-dev"}, replace_paths=[["hash_key"]], reason="replace_because_cannot_update"),
    ]}
    (loss,) = tp.summarize_plan(plan)["data_loss"]
    assert loss["address"] == "aws_dynamodb_table.visits"
    assert loss["name"] == "strata-visits-dev"
    assert loss["action"] == "replace"
    assert loss["replace_paths"] == ["hash_key"]
    assert "hash_key" in loss["why"]


def test_deleted_bucket_says_why():
    plan = {"resource_changes": [
        change("aws_s3_bucket.logs", ["delete"], "aws_s3_bucket", before={"bucket": "strata-logs-dev"},
               reason="delete_because_no_resource_config"),
        change("aws_s3_bucket_policy.logs", ["delete"]),
    ]}
    (loss,) = tp.summarize_plan(plan)["data_loss"]
    assert loss["name"] == "strata-logs-dev"
    assert loss["why"] == "it was removed from the configuration"


def test_planned_outputs_keep_only_known_values():
    plan = {"planned_values": {"outputs": {"a": {"sensitive": False, "value": "x"}, "b": {"sensitive": False}}}}
    assert tp.summarize_plan(plan)["outputs"] == {"a": "x"}


def test_summary_line():
    summary = {"add": 1, "change": 0, "destroy": 1, "replace": 1}
    assert tp.summary_line("stateful", "plan", summary, 2.5) == \
        "stateful: plan 1 to add, 0 to change, 1 to destroy, 1 replaced (2.5 s)"


def test_moved_resources_are_counted_and_not_destroyed():
    moved = change("module.state_bucket.aws_s3_bucket.this", ["no-op"], "aws_s3_bucket")
    moved["previous_address"] = "aws_s3_bucket.state"
    summary = tp.summarize_plan({"resource_changes": [moved]})
    assert (summary["move"], summary["destroy"], summary["data_loss"]) == (1, 0, [])
    assert tp.summary_line("bootstrap", "apply", summary, 1.0) == \
        "bootstrap: apply 0 to add, 0 to change, 0 to destroy, 1 moved (1.0 s)"


def test_a_forgotten_table_is_counted_apart_and_loses_no_data():
    forgotten = change("aws_dynamodb_table.visits", ["forget"], "aws_dynamodb_table")
    summary = tp.summarize_plan({"resource_changes": [forgotten]})
    assert (summary["forget"], summary["destroy"], summary["data_loss"]) == (1, 0, [])
    assert summary["changes"][0]["action"] == "forget"
    assert tp.summary_line("stateful", "apply", summary, 1.0) == \
        "stateful: apply 0 to add, 0 to change, 0 to destroy, 1 to forget (1.0 s)"


def test_drift_names_each_resource_and_the_attributes_that_changed():
    plan = {"resource_drift": [
        {"address": "module.site_bucket.aws_s3_bucket_public_access_block.this", "mode": "managed",
         "type": "aws_s3_bucket_public_access_block",
         "change": {"actions": ["delete"], "before": {"block_public_acls": True}, "after": None}},
        {"address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
         "change": {"actions": ["update"],
                    "before": {"point_in_time_recovery": [{"enabled": True}], "tags_all": {"a": "1"}, "name": "t"},
                    "after": {"point_in_time_recovery": [{"enabled": False}], "tags_all": {"a": "2"}, "name": "t"}}},
        {"address": "data.aws_caller_identity.x", "mode": "data", "type": "aws_caller_identity",
         "change": {"actions": ["update"], "before": {}, "after": {"x": 1}}},
    ]}
    assert tp.summarize_drift(plan) == [
        {"address": "module.site_bucket.aws_s3_bucket_public_access_block.this",
         "type": "aws_s3_bucket_public_access_block", "action": "delete", "attributes": []},
        {"address": "aws_dynamodb_table.visits", "type": "aws_dynamodb_table", "action": "update",
         "attributes": ["point_in_time_recovery.0.enabled"]},
    ]
    assert tp.summarize_drift({}) == []


def test_raw_state_gives_the_same_resources_and_outputs_as_show_json():
    raw = {"outputs": {"table": {"value": "strata-visits-dev", "type": "string"}},
           "resources": [
               {"mode": "managed", "type": "aws_dynamodb_table", "name": "visits",
                "instances": [{"attributes": {"name": "strata-visits-dev"}}]},
               {"module": "module.site_bucket", "mode": "managed", "type": "aws_s3_bucket", "name": "this",
                "instances": [{"attributes": {"bucket": "strata-site-dev"}}]},
               {"mode": "managed", "type": "aws_apigatewayv2_route", "name": "count",
                "instances": [{"index_key": "GET /count", "attributes": {}}, {"index_key": 0, "attributes": {}}]},
               {"mode": "data", "type": "aws_caller_identity", "name": "x", "instances": [{"attributes": {}}]}]}
    assert tp.raw_state_resources(raw) == [
        {"address": "aws_dynamodb_table.visits", "type": "aws_dynamodb_table", "name": "strata-visits-dev"},
        {"address": "module.site_bucket.aws_s3_bucket.this", "type": "aws_s3_bucket", "name": "strata-site-dev"},
        {"address": 'aws_apigatewayv2_route.count["GET /count"]', "type": "aws_apigatewayv2_route", "name": None},
        {"address": "aws_apigatewayv2_route.count[0]", "type": "aws_apigatewayv2_route", "name": None},
    ]
    assert tp.raw_state_outputs(raw) == {"table": "strata-visits-dev"}
    assert tp.raw_state_resources({}) == [] and tp.raw_state_outputs(None) == {}


def test_the_outputs_a_plan_read_from_other_states():
    remote = {"address": "data.terraform_remote_state.stateful", "mode": "data", "type": "terraform_remote_state",
              "values": {"backend": "s3", "outputs": {"table_name": "strata-visits-dev", "domain": "d1"}}}
    other = {"address": "data.aws_caller_identity.me", "mode": "data", "type": "aws_caller_identity",
             "values": {"outputs": {"not": "an output"}}}
    plan = {"prior_state": {"values": {"root_module": {"resources": [other], "child_modules": [
        {"resources": [remote]}]}}}}
    assert tp.remote_state_outputs(plan) == {"table_name": "strata-visits-dev", "domain": "d1"}
    assert tp.remote_state_outputs({}) == {}
