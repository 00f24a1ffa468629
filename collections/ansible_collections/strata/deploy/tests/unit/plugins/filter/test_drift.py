# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.drift_report and drift_junit: reports/drift.json and drift.junit.xml."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.strata.deploy.plugins.filter.drift import FilterModule, drift_junit, drift_report

LAYERS = ["bootstrap", "stateful", "stateless"]
PAB = "module.site_bucket.aws_s3_bucket_public_access_block.this"
RESULTS = {
    "bootstrap": {"drift": [], "resources": [{"address": "a"}] * 4, "seconds": 2.5, "changes": []},
    "stateful": {
        "drift": [
            {"address": PAB, "type": "aws_s3_bucket_public_access_block", "action": "delete", "attributes": []},
            {"address": "aws_dynamodb_table.visits", "type": "aws_dynamodb_table", "action": "update",
             "attributes": ["point_in_time_recovery.0.enabled", "tags"]},
            # Only recorded differently (a refresh-only plan lists it, a deploy changes nothing).
            {"address": "module.site_bucket.aws_s3_bucket.this", "type": "aws_s3_bucket", "action": "update",
             "attributes": ["server_side_encryption_configuration"]},
        ],
        "resources": [{"address": "module.site_bucket.aws_s3_bucket.this", "type": "aws_s3_bucket", "name": "s-local"}] * 9,
        "seconds": 7.1,
        # A deleted resource drifts whether or not the plan names it (here it does not).
        "changes": [{"address": "aws_dynamodb_table.visits", "action": "update"}],
    },
}
CLEAN = {"problems": [], "buckets": {"tf": {}, "s-local": {}, "l-local": {}}, "tables": {"v-local": {}},
         "items": [], "changed": False, "failed": False, "invocation": {"module_args": {}}}


def report(results=None, deployed=("bootstrap", "stateful"), protection=None, **expect):
    results = RESULTS if results is None else results
    protection = CLEAN if protection is None else protection
    return drift_report(results, LAYERS, list(deployed), protection, env="local", account="123456789012",
                        generated_at="2026-01-01T00:00:00Z", **expect)


def test_deleted_and_planned_changes_drift_refresh_only_noise_does_not():
    layers = report()["layers"]
    stateful = layers["stateful"]
    assert [item["address"] for item in stateful["drift"]] == ["aws_dynamodb_table.visits", PAB]
    assert [item["address"] for item in stateful["refresh_only"]] == ["module.site_bucket.aws_s3_bucket.this"]
    assert stateful["failures"] == ["aws_dynamodb_table.visits: update", f"{PAB}: delete"]
    assert (stateful["resources"], stateful["seconds"], stateful["skipped"], stateful["deployed"]) == (9, 7.1, "", True)
    assert stateful["plan"] == RESULTS["stateful"]["changes"]
    assert layers["stateless"] == {"name": "stateless", "deployed": False, "resources": 0, "seconds": 0,
                                   "skipped": "not deployed (no resources in its state)", "drift": [], "refresh_only": [],
                                   "plan": [], "failures": []}
    assert list(layers) == LAYERS


def test_the_lines_name_each_drifted_resource_and_the_protections():
    result = report(expect_point_in_time_recovery=True, expect_deletion_protection=True)
    assert result["lines"] == [
        "bootstrap: no drift (4 resources)",
        "stateful: aws_dynamodb_table.visits updated outside Terraform: point_in_time_recovery.0.enabled, tags",
        f"stateful: {PAB} was deleted outside Terraform",
        "stateless: not deployed, nothing to compare",
        "protection: versioning and public access blocks on 3 bucket(s), PITR, deletion protection, seed items present",
    ]
    assert (result["drifted"], result["drifted_resources"], result["protection_problems"]) == (True, 2, [])
    assert result["protections"] == {"problems": [], "buckets": CLEAN["buckets"], "tables": {"v-local": {}}, "items": []}
    assert (result["env"], result["account"], result["generated_at"]) == ("local", "123456789012", "2026-01-01T00:00:00Z")


def test_a_missing_protection_alone_is_drift():
    clean = {name: dict(result, drift=[], changes=[]) for name, result in RESULTS.items()}
    protection = dict(CLEAN, problems=["bucket s-local: no public access block"])
    result = report(clean, protection=protection)
    assert result["lines"][-1] == "protection: bucket s-local: no public access block"
    assert (result["drifted"], result["drifted_resources"]) == (True, 0)
    calm = report(clean)
    assert (calm["drifted"], calm["lines"][-1]) == (
        False, "protection: versioning and public access blocks on 3 bucket(s), seed items present")


def test_nothing_deployed():
    result = report({}, deployed=(), protection={"problems": [], "buckets": {"tf": {}}})
    assert result["lines"] == [f"{name}: not deployed, nothing to compare" for name in LAYERS] + [
        "protection: versioning and public access blocks on 1 bucket(s), seed items present"]
    assert result["drifted"] is False


def test_junit_one_case_per_layer_one_failure_per_drifted_resource():
    document = drift_junit(report(protection=dict(CLEAN, problems=["bucket s-local: no public access block"])))
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="strata drift" tests="4" failures="3">')
    assert f'<failure type="drift" message="{PAB}: delete">{PAB}: delete</failure>' in document
    root = ET.fromstring(document)
    suite = root.find("testsuite")
    assert suite.attrib == {"name": "strata.drift.local", "tests": "4", "failures": "3", "timestamp": "2026-01-01T00:00:00Z"}
    cases = suite.findall("testcase")
    assert [(case.get("classname"), case.get("name"), case.get("time")) for case in cases] == [
        ("strata.drift.local", "bootstrap", "2.5"), ("strata.drift.local", "stateful", "7.1"),
        ("strata.drift.local", "stateless", "0"), ("strata.drift.local", "data protections", "0")]
    assert cases[2].find("skipped").get("message") == "not deployed (no resources in its state)"
    assert [failure.text for failure in cases[1].findall("failure")] == ["aws_dynamodb_table.visits: update", f"{PAB}: delete"]
    assert [failure.get("message") for failure in cases[3].findall("failure")] == ["bucket s-local: no public access block"]
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None


def test_junit_escapes_what_xml_cannot_hold_as_text():
    problem = 'bucket "a&b" <x>: it\'s gone\x01\nsecond line'
    document = drift_junit({"env": "lo<c>al", "generated_at": "t", "protection_problems": [problem], "layers": {}})
    case = ET.fromstring(document).find("testsuite/testcase")
    assert case.get("classname") == "strata.drift.lo<c>al"
    failure = case.find("failure")
    assert failure.text == 'bucket "a&b" <x>: it\'s gone\ufffd\nsecond line'
    assert failure.get("message") == 'bucket "a&b" <x>: it\'s gone\ufffd\nsecond line'


def test_the_plugin_exports_the_filters():
    assert FilterModule().filters() == {"drift_report": drift_report, "drift_junit": drift_junit}
