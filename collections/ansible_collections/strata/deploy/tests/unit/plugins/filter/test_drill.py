# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.drill_plan, drill_report, drill_junit and drill_record: the scratch names of a
restore drill, reports/drill.json (recovery time and point against the objectives) and its JUnit."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.strata.deploy.plugins.filter.drill import (
    FilterModule,
    drill_junit,
    drill_plan,
    drill_record,
    drill_report,
)

MANIFEST = {"created_at": "2026-01-01T00:00:00Z",
            "tables": [{"name": "strata-visits-dev"}],
            "buckets": [{"name": "strata-site-dev"}, {"name": "strata-logs-dev"}]}
BACKUP = {"name": "20260101T000000Z", "dir": "s3://vault/dev/20260101T000000Z", "manifest": MANIFEST}
VERIFIED_TABLE = {"tables": [{"expected": 301, "actual": 301}], "buckets": [], "problems": [], "ok": True}
VERIFIED_BUCKET = {"tables": [], "buckets": [{"expected": 5, "actual": 5}], "problems": [], "ok": True}


def runs(table_verify=None, restore=None):
    table_verify = VERIFIED_TABLE if table_verify is None else table_verify
    return [
        {"kind": "table", "source": "strata-visits-dev", "target": "strata-drill-dev-20260101t060000z",
         "method": "import", "started_at": 100.0, "verified_at": 130.5, "create": {"changed": True},
         "restore": restore or {"skipped": True}, "verify": table_verify},
        {"kind": "bucket", "source": "strata-site-dev", "target": "strata-drill-dev-20260101t060000z",
         "method": "copy", "started_at": 130.5, "verified_at": 140.0, "create": {"changed": True},
         "restore": {"uploaded": 5}, "verify": VERIFIED_BUCKET},
    ]


REMOVED = {"tables": ["strata-drill-dev-20260101t060000z"], "buckets": ["strata-drill-dev-20260101t060000z"]}


def report(run_list=None, removed=None, generated_at="2026-01-01T06:03:00Z", rto=60, rpo=24, **kwargs):
    removed = REMOVED if removed is None else removed
    return drill_report(runs() if run_list is None else run_list, BACKUP, env="dev", account="123456789012",
                        generated_at=generated_at, started_at=95.0, finished_at=140.0, rto_objective_minutes=rto,
                        rpo_objective_hours=rpo, source="vault", method="import", prefix="strata-drill-dev-",
                        leftovers={"tables": ["strata-drill-dev-old"], "buckets": []}, removed=removed, **kwargs)


def test_the_plan_names_scratch_resources_never_the_live_ones():
    plan = drill_plan(MANIFEST, "strata-drill-dev-", "20260101T060000Z")
    assert plan == [
        {"kind": "table", "source": "strata-visits-dev", "target": "strata-drill-dev-20260101t060000z"},
        {"kind": "bucket", "source": "strata-site-dev", "target": "strata-drill-dev-20260101t060000z"},
        {"kind": "bucket", "source": "strata-logs-dev", "target": "strata-drill-dev-20260101t060000z-2"},
    ]
    assert drill_plan({"tables": [], "buckets": []}, "p-", "s") == []
    with pytest.raises(AnsibleFilterError, match="longer than 63"):
        drill_plan(MANIFEST, "a-very-long-project-name-drill-production-eu-west-", "20260101T060000Z")
    with pytest.raises(AnsibleFilterError, match="are both needed"):
        drill_plan(MANIFEST, "", "20260101T060000Z")


def test_a_clean_drill_measures_each_resource_and_the_whole():
    done = report()
    assert (done["outcome"], done["ok"], done["problems"], done["missed_objectives"]) == ("ok", True, [], [])
    assert [(r["kind"], r["seconds"], r["expected"], r["actual"], r["ok"]) for r in done["resources"]] == [
        ("table", 30.5, 301, 301, True), ("bucket", 9.5, 5, 5, True)]
    assert done["rto"] == {"seconds": 45.0, "minutes": 0.75, "objective_minutes": 60.0, "met": True}
    assert done["rpo"] == {"backup_created": "2026-01-01T00:00:00Z", "age_hours": 6.05, "objective_hours": 24.0,
                           "met": True}
    assert done["scratch"] == {"prefix": "strata-drill-dev-", "leftovers_removed": ["strata-drill-dev-old"],
                               "not_removed": []}
    assert done["lines"][0] == "Drill of dev from backup 20260101T000000Z (vault, tables by import): ok"
    assert drill_record(done)["rto"] == done["rto"] and "resources" not in drill_record(done)


def test_differences_failed_steps_missed_objectives_and_leftovers_are_each_named():
    differs = dict(VERIFIED_TABLE, ok=False, problems=["table t: stat=a: item checksum is x, the backup's is y"])
    done = report(runs(differs), removed={"tables": [], "buckets": REMOVED["buckets"]}, rto=0.5, rpo=1)
    assert done["outcome"] == "failed"
    assert done["problems"] == ["table t: stat=a: item checksum is x, the backup's is y"]
    assert done["missed_objectives"] == [
        "recovery time 0.75 minutes is above the objective of 0.5 minutes (rto_objective_minutes)",
        "recovery point: the backup is 6.05 hours old, above the objective of 1 hours (backup_max_age_hours)"]
    assert done["cleanup_problems"] == ["scratch table strata-drill-dev-20260101t060000z was not removed"]

    failed_import = runs({"skipped": True}, restore={"failed": True, "msg": "import failed: 3 items could not be imported"})
    problems = report(failed_import)["problems"]
    assert problems == ["import failed: 3 items could not be imported", "not verified: the restore failed"]
    assert report([])["problems"] == ["the backup holds no table and no bucket: nothing was restored"]
    cleanup_failed = report(removed={"failed": True, "msg": "AccessDenied"})
    assert cleanup_failed["cleanup_problems"][0] == "removing the scratch resources failed: AccessDenied"


def test_the_junit_has_a_case_per_resource_and_per_objective():
    done = report(rto=0.5)
    root = ET.fromstring(drill_junit(done).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("strata.drill.dev", "5", "1")
    names = [case.get("name") for case in suite.findall("testcase")]
    assert names == ["table strata-visits-dev", "bucket strata-site-dev", "recovery time", "recovery point", "cleanup"]
    [failure] = suite.findall("testcase/failure")
    assert failure.get("message").startswith("recovery time 0.75 minutes")
    assert set(FilterModule().filters()) == {"drill_plan", "drill_report", "drill_junit", "drill_record"}
