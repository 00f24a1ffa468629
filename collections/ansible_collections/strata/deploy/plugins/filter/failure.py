# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that turn a failed task's result into the sentence a person should read."""
from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.strata.deploy.plugins.module_utils import access_denied

LOOP_SUMMARY = "One or more items failed"


def failure_cause(result, default="see the failed task above"):
    """Why a task failed: its ``msg``, or, for a loop (whose own ``msg`` only says that one or more
    items failed), the message of its first failed item, looked for the same way. ``default`` when
    the result says nothing. A refusal by AWS (AccessDenied) that the message does not explain
    yet (a module other than strata's) is explained first: the action, the resource, the policy
    file of strata that grants it and the next step, then the module's own words."""
    if not isinstance(result, Mapping):
        return default
    for item in result.get("results") or []:
        if isinstance(item, Mapping) and item.get("failed"):
            return failure_cause(item, default)
    msg = result.get("msg")
    if isinstance(msg, (list, tuple)):
        msg = " ".join(str(part) for part in msg)
    msg = str(msg or "").strip()
    if not msg or msg == LOOP_SUMMARY:
        return default
    refusal = access_denied.parse(msg, code=_error_code(result))
    if refusal and not msg.startswith("AWS refused") and "AWS refused" not in msg:
        return f"{access_denied.message(refusal)} ({msg})"
    return msg


def _error_code(result):
    """The AWS error code of a failed AWS module's result (amazon.aws's ``error.code``)."""
    error = result.get("error")
    return error.get("code") if isinstance(error, Mapping) else result.get("error_code")


class FilterModule:
    def filters(self):
        return {"failure_cause": failure_cause}
