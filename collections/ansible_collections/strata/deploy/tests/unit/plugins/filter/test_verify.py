# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.verify_report and verify_junit: reports/verify.json and verify.junit.xml."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.strata.deploy.plugins.filter.verify import FilterModule, verify_junit, verify_report
from ansible_collections.strata.deploy.plugins.module_utils import site_checks as sc

PAGE = sc.check_page("http://127.0.0.1:8080/", 200, b"x", sc.sha256(b"x"), 1, "site/index.html")
REFUSED = sc.check_refused("http://127.0.0.1:4566/s/index.html", 403, b"AccessDenied")
ANSWERS = sc.check_answers("http://127.0.0.1:8080/count", 200, b'{"count": 41}')[0]
COUNTS = sc.check_counts("http://127.0.0.1:8080/count", 41, 200, b'{"count": 42}')[0]


def report(*checks, changed=False, before=41, after=None):
    result = {"checks": list(checks), "changed": changed, "count_before": before, "count_after": after,
              "failed_checks": [], "invocation": {}}
    return verify_report(result, env="local", account="123456789012", generated_at="2026-01-01T00:00:00Z",
                         inventory="inventories/local", local=True)


def test_every_check_passed():
    got = report(PAGE, REFUSED, ANSWERS, COUNTS, changed=True, after=42)
    assert got["passed"] and got["failed_checks"] == [] and got["counted_visit"]
    assert (got["count_before"], got["count_after"]) == (41, 42)
    assert [check["next"] for check in got["checks"]] == ["", "", "", ""]
    assert got["lines"] == ["ok      " + check["message"] for check in (PAGE, REFUSED, ANSWERS, COUNTS)]
    assert set(got) == {"env", "account", "generated_at", "local", "counted_visit", "checks", "failed_checks", "passed",
                        "count_before", "count_after", "lines"}


def test_a_failed_check_is_named_with_what_to_run_next():
    page = sc.check_page("http://127.0.0.1:8080/", 404, b'{"error": "no such resource: /"}', sc.sha256(b"x"), 1, "i")
    got = report(page, REFUSED, ANSWERS)
    assert not got["passed"] and got["failed_checks"] == ["page"]
    assert got["lines"][0] == "FAILED  " + page["message"]
    assert got["lines"][-1] == ("next (page): upload the site again with a deploy: "
                                "ansible-playbook playbooks/deploy.yml -i inventories/local")
    assert got["checks"][0]["next"].endswith("playbooks/deploy.yml -i inventories/local")


def test_each_check_has_its_next_command():
    answers = sc.check_answers("http://a/count", 502, b"")[0]
    refused = sc.check_refused("http://s3/x", 200, b"")
    got = report(refused, answers)
    assert got["failed_checks"] == ["direct_read_refused", "api_answers"]
    assert "playbooks/drift.yml -i inventories/local" in got["checks"][0]["next"]
    assert "playbooks/status.yml -i inventories/local" in got["checks"][1]["next"]


def test_no_check_is_no_pass():
    assert not report()["passed"]


def test_junit_has_a_testcase_per_check_and_a_failure_per_failed_one():
    answers = sc.check_answers("http://a/count", 502, b"\x00bad")[0]
    root = ET.fromstring(verify_junit(report(PAGE, REFUSED, answers)).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite.get("name") == "strata.verify.local" and suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["page", "direct_read_refused", "api_answers"]
    assert [len(case.findall("failure")) for case in cases] == [0, 0, 1]
    failure = cases[2].find("failure")
    assert failure.get("message").startswith("api_answers: GET http://a/count answered HTTP 502")
    assert "next: read the counter and its table" in failure.text


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"verify_report", "verify_junit"}
