# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.restore_plan: which table or bucket of a backup goes where."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.filter.restore import FilterModule, restore_plan

RESOURCES = [
    {"kind": "table", "name": "strata-visits-dev", "chosen": True, "dir": "/b/dev/2"},
    {"kind": "bucket", "name": "strata-site-dev", "chosen": True, "dir": "/b/dev/2"},
    {"kind": "bucket", "name": "strata-logs-dev", "chosen": False, "dir": "/b/dev/1"},
    {"kind": "table", "name": "strata-dev-archive", "chosen": False, "dir": "/b/dev/1"},
]
HERE = {"tables": ["strata-visits-dev"], "buckets": ["strata-site-dev", "strata-logs-dev"]}


def test_into_its_own_environment_every_deployed_resource():
    assert restore_plan(RESOURCES, "dev", "dev", HERE) == [
        dict(RESOURCES[0], target="strata-visits-dev", deployed=True),
        dict(RESOURCES[1], target="strata-site-dev", deployed=True),
        dict(RESOURCES[2], target="strata-logs-dev", deployed=True),
    ]


def test_into_another_environment_the_suffix_is_replaced_and_only_the_suffix():
    plan = restore_plan(RESOURCES, "stage", "dev", {"tables": ["strata-visits-stage"], "buckets": []})
    assert [(item["name"], item["target"], item["deployed"]) for item in plan] == [
        ("strata-visits-dev", "strata-visits-stage", True), ("strata-site-dev", "strata-site-stage", False)]
    assert restore_plan(RESOURCES[3:], "stage", "dev", {"tables": ["strata-dev-archive"]}) == [
        dict(RESOURCES[3], target="strata-dev-archive", deployed=True)]


def test_a_mapping_wins_over_the_suffix():
    plan = restore_plan(RESOURCES, "dev", "dev", {"tables": ["renamed"], "buckets": ["strata-site-dev"]},
                        tables={"strata-visits-dev": "renamed"}, buckets={"strata-logs-dev": "gone"})
    assert [(item["target"], item["deployed"]) for item in plan] == [("renamed", True), ("strata-site-dev", True)]


def test_nothing_deployed_keeps_the_chosen_backup_only():
    plan = restore_plan(RESOURCES, "dev", "dev", {})
    assert [(item["target"], item["deployed"]) for item in plan] == [("strata-visits-dev", False), ("strata-site-dev", False)]


def test_the_plugin_exports_the_filter():
    assert FilterModule().filters() == {"restore_plan": restore_plan}
