# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.restore_plan: which table or bucket of a backup goes where."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.strata.deploy.plugins.filter.restore import (
    FilterModule,
    imported_table_name,
    restore_outcome,
    restore_plan,
)

RESOURCES = [
    {"kind": "table", "name": "strata-visits-dev", "chosen": True, "dir": "/b/dev/2", "backup": "20250102T000000Z"},
    {"kind": "bucket", "name": "strata-site-dev", "chosen": True, "dir": "/b/dev/2", "backup": "20250102T000000Z"},
    {"kind": "bucket", "name": "strata-logs-dev", "chosen": False, "dir": "/b/dev/1", "backup": "20250101T000000Z"},
    {"kind": "table", "name": "strata-dev-archive", "chosen": False, "dir": "/b/dev/1", "backup": "20250101T000000Z"},
]
HERE = {"tables": ["strata-visits-dev"], "buckets": ["strata-site-dev", "strata-logs-dev"]}


def test_into_its_own_environment_every_deployed_resource():
    assert restore_plan(RESOURCES, "dev", "dev", HERE) == [
        dict(RESOURCES[0], target="strata-visits-dev", live="strata-visits-dev", deployed=True),
        dict(RESOURCES[1], target="strata-site-dev", live="strata-site-dev", deployed=True),
        dict(RESOURCES[2], target="strata-logs-dev", live="strata-logs-dev", deployed=True),
    ]


def test_into_another_environment_the_suffix_is_replaced_and_only_the_suffix():
    plan = restore_plan(RESOURCES, "stage", "dev", {"tables": ["strata-visits-stage"], "buckets": []})
    assert [(item["name"], item["target"], item["deployed"]) for item in plan] == [
        ("strata-visits-dev", "strata-visits-stage", True), ("strata-site-dev", "strata-site-stage", False)]
    assert restore_plan(RESOURCES[3:], "stage", "dev", {"tables": ["strata-dev-archive"]}) == [
        dict(RESOURCES[3], target="strata-dev-archive", live="strata-dev-archive", deployed=True)]


def test_a_mapping_wins_over_the_suffix():
    plan = restore_plan(RESOURCES, "dev", "dev", {"tables": ["renamed"], "buckets": ["strata-site-dev"]},
                        tables={"strata-visits-dev": "renamed"}, buckets={"strata-logs-dev": "gone"})
    assert [(item["target"], item["deployed"]) for item in plan] == [("renamed", True), ("strata-site-dev", True)]


def test_nothing_deployed_keeps_the_chosen_backup_only():
    plan = restore_plan(RESOURCES, "dev", "dev", {})
    assert [(item["target"], item["deployed"]) for item in plan] == [("strata-visits-dev", False), ("strata-site-dev", False)]


def test_import_names_a_new_table_after_the_live_one_and_the_backup():
    plan = restore_plan(RESOURCES, "dev", "dev", HERE, method="import")
    assert [(item["name"], item["target"], item["live"], item["deployed"]) for item in plan] == [
        ("strata-visits-dev", "strata-visits-dev-restored-20250102t000000z", "strata-visits-dev", True),
        ("strata-site-dev", "strata-site-dev", "strata-site-dev", True),
        ("strata-logs-dev", "strata-logs-dev", "strata-logs-dev", True),
    ]
    assert imported_table_name("strata-visits-dev", "20250102T000000Z") == "strata-visits-dev-restored-20250102t000000z"


def test_import_from_another_environment_is_shaped_like_this_one_s_table():
    plan = restore_plan(RESOURCES[:1], "stage", "dev", {"tables": ["strata-visits-stage"]}, method="import")
    assert [(item["target"], item["live"], item["deployed"]) for item in plan] == [
        ("strata-visits-stage-restored-20250102t000000z", "strata-visits-stage", True)]


def test_import_takes_the_new_name_from_the_mapping_and_needs_the_live_table_deployed():
    plan = restore_plan(RESOURCES, "dev", "dev", {"buckets": ["strata-site-dev"]}, method="import",
                        tables={"strata-visits-dev": "visits-as-of-monday"})
    assert [(item["target"], item["live"], item["deployed"]) for item in plan] == [
        ("visits-as-of-monday", "strata-visits-dev", False), ("strata-site-dev", "strata-site-dev", True)]


def test_an_older_backup_s_table_is_imported_only_when_its_live_table_is_deployed():
    plan = restore_plan(RESOURCES[3:], "dev", "dev", {"tables": ["strata-dev-archive"]}, method="import")
    assert [item["target"] for item in plan] == ["strata-dev-archive-restored-20250101t000000z"]
    assert restore_plan(RESOURCES[3:], "dev", "dev", HERE, method="import") == []


def test_an_unknown_method_or_a_name_too_long_for_dynamodb_is_refused():
    with pytest.raises(AnsibleFilterError, match="restore_method is 'copy'; expected one of stream, import"):
        restore_plan(RESOURCES, "dev", "dev", HERE, method="copy")
    long_name = [dict(RESOURCES[0], name="t" * 240 + "-dev")]
    with pytest.raises(AnsibleFilterError, match="longer than 255 characters; name it with restore_tables"):
        restore_plan(long_name, "dev", "dev", HERE, method="import")


STREAMED = [{"table": "strata-visits-dev", "restored": 301, "changed": True, "failed": False}]
OBJECTS = [{"bucket": "strata-site-dev", "uploaded": 3, "changed": True},
           {"bucket": "strata-logs-dev", "failed": True, "msg": "s3://strata-logs-dev/a: damaged"}]


def _import(source, target, imported=301, failed=False, msg=""):
    item = {"kind": "table", "name": source, "target": target, "live": source}
    if failed:
        return {"failed": True, "msg": msg, "item": item}
    return {"table": target, "imported": imported, "changed": True, "failed": False, "item": item}


def test_the_outcome_of_a_streamed_restore_names_what_failed():
    assert restore_outcome(STREAMED, OBJECTS) == {
        "tables": {"strata-visits-dev": 301}, "new_tables": {},
        "buckets": {"strata-site-dev": 3}, "not_restored": ["s3://strata-logs-dev/a: damaged"]}


def test_an_imported_table_is_new_only_once_verified():
    good, doubted = _import("strata-visits-dev", "strata-visits-dev-restored-1"), _import("strata-a-dev", "new-a")
    failed = _import("strata-b-dev", "new-b", failed=True, msg="table new-b already exists")
    verified = [{"ok": True, "failed": False, "item": good},
                {"ok": False, "failed": True, "msg": "table new-a: 1 item differs", "item": doubted}]
    outcome = restore_outcome([], OBJECTS[:1], imported=[good, doubted, failed], verified=verified)
    assert outcome == {
        "tables": {"strata-visits-dev-restored-1": 301, "new-a": 301},
        "new_tables": {"strata-visits-dev": "strata-visits-dev-restored-1"},
        "buckets": {"strata-site-dev": 3},
        "not_restored": ["table new-b already exists", "table new-a: 1 item differs"]}


def test_in_check_mode_the_import_names_the_table_it_would_create():
    would = _import("strata-visits-dev", "strata-visits-dev-restored-1", imported=0)
    skipped = [{"skipped": True, "changed": False, "item": would}]
    outcome = restore_outcome([{"skipped": True}], [], imported=[would], verified=skipped)
    assert outcome["new_tables"] == {"strata-visits-dev": "strata-visits-dev-restored-1"}
    assert outcome["tables"] == {"strata-visits-dev-restored-1": 0} and outcome["not_restored"] == []


def test_the_plugin_exports_the_filters():
    assert FilterModule().filters() == {"restore_plan": restore_plan, "restore_outcome": restore_outcome}
