# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions behind strata.deploy.site_check: what each check of a deployed site expects and
whether an HTTP answer meets it. No I/O here: the module makes the requests and passes the answers.

A check's result is a dict with ``name``, ``url``, ``method``, ``passed``, ``expected``, ``got`` and
``message`` (one sentence naming the check, the URL, what was expected and what came back)."""
from __future__ import annotations

import hashlib
import json
from urllib.parse import quote, urlsplit

PAGE = "page"
DIRECT_READ_REFUSED = "direct_read_refused"
API_ANSWERS = "api_answers"
API_COUNTS = "api_counts"
# Every check, in the order verify runs them.
CHECKS = (PAGE, DIRECT_READ_REFUSED, API_ANSWERS, API_COUNTS)
# The counter's route on the API (lambda/visitor_counter/app.py: GET reads, POST counts).
COUNTER_ROUTE = "count"
# What a refused anonymous read answers: 403 AccessDenied (401 from a proxy in front).
REFUSED_STATUSES = (401, 403)
MAX_SHOWN = 200


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def s3_object_url(bucket, key, region, endpoint_url="", path_style=False):
    """The address of an object for a plain, unsigned HTTP request: virtual-hosted on AWS's regional
    endpoint (path-style when asked), or on ``endpoint_url`` (an emulator) when given."""
    path = quote(key, safe="/~")
    if endpoint_url:
        parts = urlsplit(endpoint_url.rstrip("/"))
        if path_style:
            return f"{parts.scheme}://{parts.netloc}/{bucket}/{path}"
        return f"{parts.scheme}://{bucket}.{parts.netloc}/{path}"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if path_style:
        return f"https://s3.{region}.{suffix}/{bucket}/{path}"
    return f"https://{bucket}.s3.{region}.{suffix}/{path}"


def counter_url(api_url):
    """The counter's address on an API (``api_url`` with or without its trailing slash)."""
    return f"{api_url.rstrip('/')}/{COUNTER_ROUTE}"


def _shown(body):
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def _answer(status, body, error=""):
    if error:
        return f"no answer ({error})"
    return f"HTTP {status} {_shown(body)}".rstrip()


def _result(name, url, method, passed, expected, got, message):
    return {"name": name, "url": url, "method": method, "passed": passed, "expected": expected, "got": got,
            "message": message}


def check_page(url, status, body, expected_sha256, expected_size, source, error=""):
    """The site answers ``url`` with HTTP 200 and exactly the bytes of ``source`` (the file the
    site role uploads): compared by sha256."""
    expected = f"HTTP 200 with the bytes of {source} ({expected_size} bytes, sha256 {expected_sha256})"
    if error or status != 200:
        got = _answer(status, body, error)
        return _result(PAGE, url, "GET", False, expected, got,
                       f"page: GET {url} answered {got}; expected {expected}")
    got_sha256 = sha256(body)
    got = f"HTTP 200, {len(body)} bytes, sha256 {got_sha256}"
    if got_sha256 != expected_sha256:
        return _result(PAGE, url, "GET", False, expected, got,
                       f"page: GET {url} answered other content ({got}); expected {expected}")
    return _result(PAGE, url, "GET", True, expected, got, f"page: GET {url} answered the deployed {source}")


def check_refused(url, status, body, error=""):
    """A direct, unsigned read of the site's object is refused (HTTP 401 or 403)."""
    expected = "HTTP 403 (the bucket is readable only through the CDN)"
    got = _answer(status, body, error)
    if not error and status in REFUSED_STATUSES:
        return _result(DIRECT_READ_REFUSED, url, "GET", True, expected, got,
                       f"direct_read_refused: unsigned GET {url} was refused ({got})")
    what = "read the object" if status == 200 and not error else "was not refused"
    return _result(DIRECT_READ_REFUSED, url, "GET", False, expected, got,
                   f"direct_read_refused: unsigned GET {url} {what}: answered {got}; expected {expected}")


def read_count(status, body):
    """The count of a counter answer (HTTP 200, JSON ``{"count": <whole number>}``), else None."""
    if status != 200:
        return None
    try:
        value = json.loads(body).get("count")
    except (ValueError, AttributeError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_answers(url, status, body, error=""):
    """The API reads the counter without counting: GET answers HTTP 200 with a whole number."""
    expected = 'HTTP 200 with {"count": <whole number>}'
    got = _answer(status, body, error)
    count = None if error else read_count(status, body)
    if count is None:
        return _result(API_ANSWERS, url, "GET", False, expected, got,
                       f"api_answers: GET {url} answered {got}; expected {expected}"), None
    return _result(API_ANSWERS, url, "GET", True, expected, got,
                   f"api_answers: GET {url} read the counter: {count}"), count


def check_counts(url, before, status, body, error=""):
    """The API counts a visit: POST answers HTTP 200 with the count read before plus exactly one."""
    expected = f'HTTP 200 with {{"count": {before + 1}}} (the count read before, {before}, plus one)'
    got = _answer(status, body, error)
    count = None if error else read_count(status, body)
    if count != before + 1:
        return _result(API_COUNTS, url, "POST", False, expected, got,
                       f"api_counts: POST {url} answered {got}; expected {expected}"), count
    return _result(API_COUNTS, url, "POST", True, expected, got,
                   f"api_counts: POST {url} counted one visit: {before} -> {count}"), count


def until_passed(run, wait, interval, clock, sleep):
    """Run ``run`` (a check, returning its result) again every ``interval`` seconds until it passes
    or ``wait`` seconds have gone by (a CDN still serving the page an invalidation replaces); the
    last result, with ``attempts``. Only for checks that change nothing."""
    deadline = clock() + wait
    attempts = 1
    result = run()
    while not result["passed"] and clock() + interval <= deadline:
        sleep(interval)
        attempts += 1
        result = run()
    return dict(result, attempts=attempts)


def not_run(name, url, method, reason):
    """A check that did not run (its precondition failed): it fails, saying why."""
    return _result(name, url, method, False, "", "not run", f"{name}: not run, {reason}")
