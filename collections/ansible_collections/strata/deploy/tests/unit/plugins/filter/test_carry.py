# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.carry_plan and carry_outcome: what a confirmed replacement did with the data."""
from __future__ import annotations

import pytest

from ansible_collections.strata.deploy.plugins.filter.carry import FilterModule, carry_outcome, carry_plan

TABLE = "aws_dynamodb_table.visits"
BUCKET = "module.site_bucket.aws_s3_bucket.this"
LOGS = "module.logs_bucket.aws_s3_bucket.this"
DATA_LOSS = [
    {"address": TABLE, "type": "aws_dynamodb_table", "name": "v-dev", "action": "replace",
     "why": "changing name forces a replacement", "reason": "", "replace_paths": ["name"]},
    {"address": BUCKET, "type": "aws_s3_bucket", "name": "s-dev", "action": "replace", "why": "changing bucket forces a replacement",
     "reason": "", "replace_paths": ["bucket"]},
    {"address": LOGS, "type": "aws_s3_bucket", "name": "l-dev", "action": "delete", "why": "it was removed from the configuration",
     "reason": "delete_because_no_resource_config", "replace_paths": []},
]
RESOURCES = [
    {"address": TABLE, "type": "aws_dynamodb_table", "name": "v2-dev"},
    {"address": BUCKET, "type": "aws_s3_bucket", "name": "s2-dev"},
    {"address": "aws_lambda_function.counter", "type": "aws_lambda_function", "name": None},
]
TYPES = {"table": "aws_dynamodb_table", "bucket": "aws_s3_bucket"}
BACKUP = {"dir": "/backups/dev/20260101T000000Z", "verified": True, "tables": {"v-dev": 121}, "buckets": {"s-dev": 5, "l-dev": 2}}


def test_the_plan_pairs_each_replaced_resource_with_its_replacement():
    assert carry_plan(DATA_LOSS, RESOURCES, TYPES) == [
        {"address": TABLE, "kind": "table", "from": "v-dev", "to": "v2-dev", "action": "replace",
         "why": "changing name forces a replacement"},
        {"address": BUCKET, "kind": "bucket", "from": "s-dev", "to": "s2-dev", "action": "replace",
         "why": "changing bucket forces a replacement"},
        {"address": LOGS, "kind": "bucket", "from": "l-dev", "to": "", "action": "delete",
         "why": "it was removed from the configuration"},
    ]
    assert carry_plan([], RESOURCES, TYPES) == []


def test_the_plan_refuses_a_type_that_holds_no_data():
    with pytest.raises(ValueError, match="'aws_lambda_function' is not a data resource type"):
        carry_plan([dict(DATA_LOSS[0], type="aws_lambda_function")], RESOURCES, TYPES)


def test_carried_over_and_destroyed():
    runs = [{"item": {"address": TABLE}, "restored": 121, "changed": True},
            {"item": {"address": BUCKET}, "uploaded": 5, "changed": True}]
    table, bucket, logs = carry_outcome(carry_plan(DATA_LOSS, RESOURCES, TYPES), runs, BACKUP)
    assert table["line"] == ("aws_dynamodb_table.visits: v-dev -> v2-dev, 121 of 121 items carried over "
                             "(backup /backups/dev/20260101T000000Z)")
    assert (table["carried"], table["count"], table["count_in_backup"], table["reason"]) == (True, 121, 121, "")
    assert bucket["line"] == f"{BUCKET}: s-dev -> s2-dev, 5 of 5 objects carried over (backup /backups/dev/20260101T000000Z)"
    assert logs == dict(carry_plan(DATA_LOSS, RESOURCES, TYPES)[2], carried=False, count=0, count_in_backup=2,
                        reason="destroyed, not replaced: nothing to carry into", backup=BACKUP["dir"],
                        line=f"{LOGS}: l-dev -> (destroyed), NOT carried over: destroyed, not replaced: nothing to carry into "
                             "(backup /backups/dev/20260101T000000Z)")


def test_a_table_whose_key_changed_is_not_carried_and_says_why():
    runs = [{"item": {"address": TABLE}, "restored": 0, "carried": False,
             "reason": "the key schema changed: v2-dev has stat (S, HASH)"}]
    table = carry_outcome(carry_plan(DATA_LOSS[:1], RESOURCES, TYPES), runs, BACKUP)[0]
    assert (table["carried"], table["count"], table["count_in_backup"]) == (False, 0, 121)
    assert table["line"].endswith("v-dev -> v2-dev, NOT carried over: the key schema changed: v2-dev has stat (S, HASH) "
                                  "(backup /backups/dev/20260101T000000Z)")


def test_a_skipped_or_failed_run_carries_nothing():
    plan = carry_plan(DATA_LOSS[:1], RESOURCES, TYPES)
    for run in ({"item": {"address": TABLE}, "skipped": True}, {"item": {"address": TABLE}, "failed": True, "restored": 3}):
        table = carry_outcome(plan, [run], BACKUP)[0]
        assert (table["carried"], table["count"]) == (False, 0)
        assert "NOT carried over: " in table["line"]
    assert carry_outcome(plan, [], BACKUP)[0]["carried"] is False


def test_check_mode_says_what_would_be_carried():
    table, _bucket, logs = carry_outcome(carry_plan(DATA_LOSS, RESOURCES, TYPES), [], BACKUP, check_mode=True)
    assert table["line"] == "aws_dynamodb_table.visits: v-dev -> v2-dev, would carry 121 over (check mode) (backup /backups/dev/20260101T000000Z)"
    assert table["carried"] is False
    assert "NOT carried over: destroyed, not replaced" in logs["line"]


def test_a_resource_the_backup_does_not_count_is_a_question_mark():
    table = carry_outcome(carry_plan(DATA_LOSS[:1], RESOURCES, TYPES), [], {"dir": "s3://vault/dev/x"}, check_mode=True)[0]
    assert table["count_in_backup"] == "?"
    assert "would carry ? over" in table["line"]


def test_the_plugin_exports_the_filters():
    assert FilterModule().filters() == {"carry_plan": carry_plan, "carry_outcome": carry_outcome}
