# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.state_version_lines and rollback_plan_lines."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.filter.rollback import FilterModule, rollback_plan_lines, state_version_lines


def test_one_line_per_version_the_current_one_marked():
    versions = [
        {"version_id": "v3", "last_modified": "2026-01-03T00:00:00+00:00", "serial": 7, "lineage": "abc", "resources": 12,
         "is_latest": True},
        {"version_id": "v1", "last_modified": "2026-01-01T00:00:00+00:00", "serial": None, "lineage": None, "resources": 0,
         "is_latest": False},
    ]
    assert state_version_lines(versions) == [
        "v3  2026-01-03T00:00:00+00:00  serial 7  lineage abc  12 resources  (current)",
        "v1  2026-01-01T00:00:00+00:00  serial None  lineage None  0 resources",
    ]
    assert state_version_lines([]) == []


def test_a_plan_that_changes_something_and_puts_data_at_risk():
    report = {"line": "stateful: plan 1 to add, 1 to change, 1 to destroy (5.0 s)", "changed": True,
              "data_loss": [{"address": "aws_dynamodb_table.visits"}, {"address": "module.site_bucket.aws_s3_bucket.this"}]}
    changes = [{"address": "aws_dynamodb_table.visits", "action": "replace"}, {"address": "aws_lambda_function.c", "action": "update"}]
    assert rollback_plan_lines(report, changes, "inventories/dev") == [
        "stateful: plan 1 to add, 1 to change, 1 to destroy (5.0 s)",
        "aws_dynamodb_table.visits: replace",
        "aws_lambda_function.c: update",
        "Data at risk: aws_dynamodb_table.visits, module.site_bucket.aws_s3_bucket.this (a deploy refuses this without "
        "-e allow_replace after a backup)",
        "Next: ansible-playbook playbooks/deploy.yml -i inventories/dev applies this plan (--check shows it again)",
    ]


def test_a_plan_that_changes_nothing():
    report = {"line": "stateful: plan 0 to add, 0 to change, 0 to destroy (3.0 s)", "changed": False, "data_loss": []}
    assert rollback_plan_lines(report, [], "inventories/dev") == [
        "stateful: plan 0 to add, 0 to change, 0 to destroy (3.0 s)",
        "Next: nothing to apply; the infrastructure already matches the rolled-back state",
    ]


def test_the_plugin_exports_the_filters():
    assert FilterModule().filters() == {"state_version_lines": state_version_lines, "rollback_plan_lines": rollback_plan_lines}
