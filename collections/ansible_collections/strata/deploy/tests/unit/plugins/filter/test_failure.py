# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.failure_cause: the cause of a failure, not a loop's summary."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.filter.failure import FilterModule, failure_cause

ENOSPC = "file operation failed: [Errno 28] No space left on device: '/backups/local/x/dynamodb/t.jsonl.gz'"


def test_a_plain_failure_is_its_message():
    assert failure_cause({"failed": True, "msg": "Refusing: nothing was changed."}) == "Refusing: nothing was changed."


def test_a_loop_is_its_first_failed_item_not_its_summary():
    result = {"failed": True, "msg": "One or more items failed", "results": [
        {"failed": False, "msg": "fine"}, {"failed": True, "msg": ENOSPC}, {"failed": True, "msg": "later"}]}
    assert failure_cause(result) == ENOSPC


def test_nested_loops_and_list_messages():
    inner = {"failed": True, "msg": "One or more items failed", "results": [{"failed": True, "msg": ["a", "b"]}]}
    assert failure_cause({"failed": True, "msg": "One or more items failed", "results": [inner]}) == "a b"


def test_nothing_to_say_gives_the_default():
    assert failure_cause({"failed": True, "msg": "One or more items failed", "results": []}) == "see the failed task above"
    assert failure_cause(None, "none") == "none"
    assert failure_cause({"failed": True}, "no message") == "no message"


def test_a_refusal_another_module_reported_is_explained_first():
    said = ("Failed to get object: An error occurred (AccessDenied) when calling the PutObject operation: User: "
            "arn:aws:iam::1:user/ro is not authorized to perform: s3:PutObject on resource: "
            "\"arn:aws:s3:::strata-backups-1/local/x/manifest.json\" because no identity-based policy allows it")
    cause = failure_cause({"failed": True, "msg": said, "error": {"code": "AccessDenied"}})
    assert cause.startswith("AWS refused s3:PutObject on arn:aws:s3:::strata-backups-1/local/x/manifest.json to "
                            "arn:aws:iam::1:user/ro (AccessDenied). iam/strata-deploy.json grants it")
    assert cause.endswith(f"then run the same command again. ({said})")
    coded = failure_cause({"failed": True, "msg": "Access Denied", "error_code": "AccessDenied"})
    assert coded.startswith("AWS refused a call (AccessDenied). iam/strata-deploy.json grants it")


def test_a_refusal_already_explained_is_left_as_it_is():
    said = "AWS refused dynamodb:PutItem (AccessDeniedException). iam/strata-deploy.json grants it: ..."
    assert failure_cause({"failed": True, "msg": said, "error_code": "AccessDeniedException"}) == said


def test_the_plugin_exports_the_filter():
    assert FilterModule().filters()["failure_cause"] is failure_cause
