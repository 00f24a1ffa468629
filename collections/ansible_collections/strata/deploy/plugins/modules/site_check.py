#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: check a deployed site over HTTP, as a visitor sees it."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: site_check
short_description: Check a deployed site over HTTP - its page, its bucket refusing a direct read, its counter
description:
  - Runs, over plain HTTP(S) and in this order, the checks of a deployed strata site, and reports each one as
    passed or failed with the URL, what was expected and what came back. It never fails on a failed check (the
    caller writes the report first, then fails); it fails only on bad options.
  - C(page) - GET O(page_url) answers HTTP 200 with exactly the bytes of O(page_file), the file the site role uploads
    (compared by sha256).
  - C(direct_read_refused) - an unsigned GET of the site's object straight from its bucket (O(bucket), O(object_key),
    addressed on AWS's regional endpoint or on O(endpoint_url)) is refused, HTTP 403.
  - C(api_answers) - GET O(api_url)C(/count) answers HTTP 200 with the counter as JSON (its C(count) a whole number),
    without changing it.
  - C(api_counts) - only with O(count_visit=true) - POST O(api_url)C(/count) counts one visit and answers the count
    read just before plus exactly one. This is the one change to data the checks make.
version_added: 0.4.0
options:
  page_url:
    description: The site's address (its CDN URL, or the local page server).
    type: str
    required: true
  page_file:
    description: The file the page must answer with, byte for byte (the site's C(index.html)).
    type: path
    required: true
  page_wait:
    description: >-
      Seconds to keep asking for the page (every 5 seconds) while it does not match yet, for a CDN still serving
      the page an invalidation replaces; 0 asks once.
    type: int
    default: 0
  bucket:
    description: The site's bucket.
    type: str
    required: true
  object_key:
    description: The object read directly from the bucket.
    type: str
    default: index.html
  region:
    description: The bucket's region (its regional endpoint on AWS).
    type: str
    required: true
  endpoint_url:
    description: An S3 endpoint other than AWS's (a local emulator); empty for AWS.
    type: str
    default: ''
  path_style:
    description: Address the bucket path-style (C(<endpoint>/<bucket>/<key>)) instead of virtual-hosted.
    type: bool
    default: false
  api_url:
    description: The API's address; the counter is at C(<api_url>/count).
    type: str
    required: true
  count_visit:
    description: Also count one visit (POST) and check that the counter went up by exactly one.
    type: bool
    default: false
  timeout:
    description: Seconds each request may take.
    type: int
    default: 15
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
attributes:
  check_mode:
    support: full
    details: In check mode the reading checks run and no visit is counted (C(api_counts) is reported as not run).
author: strata maintainers (@strata-deploy)
"""

EXAMPLES = r"""
- name: Check the site, counting no visit
  strata.deploy.site_check:
    page_url: https://d111111abcdef8.cloudfront.net/
    page_file: /srv/strata/site/index.html
    bucket: strata-site-dev
    region: us-east-1
    api_url: https://abc123.execute-api.us-east-1.amazonaws.com
  register: checks

- name: Check the site and count one visit
  strata.deploy.site_check:
    page_url: https://d111111abcdef8.cloudfront.net/
    page_file: /srv/strata/site/index.html
    bucket: strata-site-dev
    region: us-east-1
    api_url: https://abc123.execute-api.us-east-1.amazonaws.com
    count_visit: true
"""

RETURN = r"""
checks:
  description:
    - One entry per check, in the order run - C(name) (C(page), C(direct_read_refused), C(api_answers), C(api_counts)),
      C(url), C(method), C(passed), C(expected), C(got) and C(message), one sentence naming the check, the URL, what
      was expected and what came back; C(page) also has C(attempts), how many times it was asked (O(page_wait)).
  returned: always
  type: list
  elements: dict
  sample:
    - name: page
      url: https://d111111abcdef8.cloudfront.net/
      method: GET
      passed: true
      expected: HTTP 200 with the bytes of /srv/strata/site/index.html (1834 bytes, sha256 9f86d0...)
      got: HTTP 200, 1834 bytes, sha256 9f86d0...
      message: "page: GET https://d111111abcdef8.cloudfront.net/ answered the deployed /srv/strata/site/index.html"
failed_checks:
  description: The names of the checks that failed.
  returned: always
  type: list
  elements: str
count_before:
  description: The counter as the API read it (null when it could not be read).
  returned: always
  type: int
count_after:
  description: The counter the API answered after counting the visit (null when no visit was counted).
  returned: always
  type: int
changed:
  description: Whether a visit was sent to the counter (POST), whatever it answered.
  returned: always
  type: bool
"""

import hashlib
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError

from ansible_collections.strata.deploy.plugins.module_utils import site_checks

PAGE_INTERVAL = 5


def _request(url, method, timeout, headers=None):
    """(status, body, error) of one request: an HTTP error status is an answer, not an error."""
    try:
        response = open_url(url, method=method, timeout=timeout, headers=headers, follow_redirects="safe",
                            use_proxy=True, validate_certs=True, force=True, data=b"" if method == "POST" else None)
        return response.getcode(), response.read(), ""
    except HTTPError as err:
        return err.code, err.read() if err.fp is not None else b"", ""
    except (URLError, OSError, ValueError) as err:
        return None, b"", str(getattr(err, "reason", err))


def _file_digest(module, path):
    try:
        with open(path, "rb") as source:
            data = source.read()
    except OSError as err:
        module.fail_json(msg=f"page_file is '{path}': it cannot be read ({err}); expected the site's index.html, "
                             "as the site role uploads it")
    return hashlib.sha256(data).hexdigest(), len(data)


def run_checks(module, params):
    expected_sha256, expected_size = _file_digest(module, params["page_file"])
    timeout = params["timeout"]
    checks = []

    def page():
        status, body, error = _request(params["page_url"], "GET", timeout)
        return site_checks.check_page(params["page_url"], status, body, expected_sha256, expected_size,
                                      params["page_file"], error)

    checks.append(site_checks.until_passed(page, params["page_wait"], PAGE_INTERVAL, time.monotonic, time.sleep))

    direct = site_checks.s3_object_url(params["bucket"], params["object_key"], params["region"],
                                       params["endpoint_url"], params["path_style"])
    status, body, error = _request(direct, "GET", timeout)
    checks.append(site_checks.check_refused(direct, status, body, error))

    counter = site_checks.counter_url(params["api_url"])
    status, body, error = _request(counter, "GET", timeout)
    answered, before = site_checks.check_answers(counter, status, body, error)
    checks.append(answered)

    after = None
    if params["count_visit"]:
        if before is None:
            checks.append(site_checks.not_run(site_checks.API_COUNTS, counter, "POST",
                                              "the counter could not be read first (api_answers)"))
        elif module.check_mode:
            checks.append(site_checks.not_run(site_checks.API_COUNTS, counter, "POST", "check mode counts no visit"))
        else:
            status, body, error = _request(counter, "POST", timeout, {"Content-Type": "application/json"})
            counted, after = site_checks.check_counts(counter, before, status, body, error)
            checks.append(counted)
    return checks, before, after


def main():
    module = AnsibleModule(
        argument_spec=dict(
            page_url=dict(type="str", required=True),
            page_file=dict(type="path", required=True),
            page_wait=dict(type="int", default=0),
            bucket=dict(type="str", required=True),
            object_key=dict(type="str", default="index.html", no_log=False),
            region=dict(type="str", required=True),
            endpoint_url=dict(type="str", default=""),
            path_style=dict(type="bool", default=False),
            api_url=dict(type="str", required=True),
            count_visit=dict(type="bool", default=False),
            timeout=dict(type="int", default=15),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for name in ("page_url", "api_url") + (("endpoint_url",) if params["endpoint_url"] else ()):
        if not params[name].startswith(("http://", "https://")):
            module.fail_json(msg=f"{name} is '{params[name]}': expected an http:// or https:// URL")
    checks, before, after = run_checks(module, params)
    posted = any(check["name"] == site_checks.API_COUNTS and check["got"] != "not run" for check in checks)
    module.exit_json(changed=posted, checks=checks,
                     failed_checks=[check["name"] for check in checks if not check["passed"]],
                     count_before=before, count_after=after)


if __name__ == "__main__":
    main()
