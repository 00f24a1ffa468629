# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy's site checks (module_utils/site_checks.py): each check's verdict on an answer."""
from __future__ import annotations

import hashlib

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import site_checks as sc

PAGE = b"<!doctype html><title>strata</title>\n"
DIGEST = hashlib.sha256(PAGE).hexdigest()
URL = "https://d111.cloudfront.net/"


@pytest.mark.parametrize("args, url", [
    (("strata-site-dev", "index.html", "eu-west-1"), "https://strata-site-dev.s3.eu-west-1.amazonaws.com/index.html"),
    (("strata-site-dev", "index.html", "us-east-1", "", True), "https://s3.us-east-1.amazonaws.com/strata-site-dev/index.html"),
    (("s", "a b/c.html", "cn-north-1"), "https://s.s3.cn-north-1.amazonaws.com.cn/a%20b/c.html"),
    (("s", "index.html", "us-east-1", "http://127.0.0.1:4566/", True), "http://127.0.0.1:4566/s/index.html"),
    (("s", "index.html", "us-east-1", "http://localhost:4566"), "http://s.localhost:4566/index.html"),
])
def test_s3_object_url(args, url):
    assert sc.s3_object_url(*args) == url


def test_counter_url_with_or_without_a_trailing_slash():
    assert sc.counter_url("https://a.execute-api.us-east-1.amazonaws.com/") == \
        "https://a.execute-api.us-east-1.amazonaws.com/count"
    assert sc.counter_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/count"


def test_page_passes_on_the_same_bytes():
    result = sc.check_page(URL, 200, PAGE, DIGEST, len(PAGE), "site/index.html")
    assert result["passed"] and result["name"] == "page"
    assert result["got"] == f"HTTP 200, {len(PAGE)} bytes, sha256 {DIGEST}"


@pytest.mark.parametrize("status, body, error, got", [
    (200, PAGE + b" ", "", "other content"),
    (403, b"<Error><Code>AccessDenied</Code></Error>", "", "HTTP 403 <Error><Code>AccessDenied</Code></Error>"),
    (None, b"", "connection refused", "no answer (connection refused)"),
])
def test_page_fails_naming_the_url_what_was_expected_and_what_came(status, body, error, got):
    result = sc.check_page(URL, status, body, DIGEST, len(PAGE), "site/index.html", error)
    assert not result["passed"]
    assert result["message"].startswith(f"page: GET {URL} answered ")
    assert got in result["message"]
    assert f"expected HTTP 200 with the bytes of site/index.html ({len(PAGE)} bytes, sha256 {DIGEST})" in result["message"]


def test_a_long_answer_is_cut_short():
    result = sc.check_page(URL, 500, b"x" * 1000, DIGEST, 1, "i")
    assert len(result["got"]) < 260 and result["got"].endswith("...")


@pytest.mark.parametrize("status", [401, 403])
def test_direct_read_refused_passes_on_a_refusal(status):
    assert sc.check_refused("http://s3/x", status, b"AccessDenied")["passed"]


@pytest.mark.parametrize("status, error, words", [
    (200, "", "read the object"),
    (404, "", "was not refused"),
    (None, "timed out", "was not refused: answered no answer (timed out)"),
])
def test_direct_read_refused_fails_on_anything_else(status, error, words):
    result = sc.check_refused("http://s3/x", status, b"<html>", error)
    assert not result["passed"]
    assert result["message"].startswith("direct_read_refused: unsigned GET http://s3/x ")
    assert words in result["message"] and "expected HTTP 403" in result["message"]


@pytest.mark.parametrize("status, body, count", [
    (200, b'{"count": 41}', 41),
    (200, b'{"count": "41"}', None),
    (200, b'{"count": true}', None),
    (200, b"[1]", None),
    (200, b"not json", None),
    (502, b'{"count": 41}', None),
])
def test_read_count(status, body, count):
    assert sc.read_count(status, body) == count


def test_api_answers():
    result, count = sc.check_answers("http://api/count", 200, b'{"count": 41}')
    assert result["passed"] and count == 41 and result["method"] == "GET"
    result, count = sc.check_answers("http://api/count", 502, b'{"error": "the counter store is unavailable"}')
    assert not result["passed"] and count is None
    assert result["message"] == ('api_answers: GET http://api/count answered HTTP 502 {"error": "the counter store is '
                                 'unavailable"}; expected HTTP 200 with {"count": <whole number>}')


@pytest.mark.parametrize("body, passed", [(b'{"count": 42}', True), (b'{"count": 43}', False), (b'{"count": 41}', False)])
def test_api_counts_exactly_one(body, passed):
    result, count = sc.check_counts("http://api/count", 41, 200, body)
    assert result["passed"] is passed and result["method"] == "POST"
    assert count == int(body[10:12])
    if not passed:
        assert "expected HTTP 200 with {\"count\": 42} (the count read before, 41, plus one)" in result["message"]


def test_a_check_not_run_fails_saying_why():
    result = sc.not_run("api_counts", "http://api/count", "POST", "check mode counts no visit")
    assert not result["passed"] and result["got"] == "not run"
    assert result["message"] == "api_counts: not run, check mode counts no visit"


class Clock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_until_passed_asks_again_until_the_page_matches():
    answers = iter([(200, b"old"), (200, b"old"), (200, PAGE)])
    clock = Clock()
    result = sc.until_passed(lambda: sc.check_page(URL, *next(answers), DIGEST, len(PAGE), "i"), 60, 5, clock, clock.sleep)
    assert result["passed"] and result["attempts"] == 3 and clock.slept == [5, 5]


def test_until_passed_gives_up_after_the_wait_with_the_last_answer():
    clock = Clock()
    result = sc.until_passed(lambda: sc.check_page(URL, 403, b"denied", DIGEST, 1, "i"), 12, 5, clock, clock.sleep)
    assert not result["passed"] and result["attempts"] == 3 and clock.slept == [5, 5]
    assert "HTTP 403 denied" in result["message"]


def test_until_passed_without_a_wait_asks_once():
    clock = Clock()
    result = sc.until_passed(lambda: sc.check_page(URL, 403, b"", DIGEST, 1, "i"), 0, 5, clock, clock.sleep)
    assert result["attempts"] == 1 and clock.slept == []
