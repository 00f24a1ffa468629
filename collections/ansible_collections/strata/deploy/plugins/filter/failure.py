# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that turn a failed task's result into the sentence a person should read."""
from __future__ import annotations

from collections.abc import Mapping

LOOP_SUMMARY = "One or more items failed"


def failure_cause(result, default="see the failed task above"):
    """Why a task failed: its ``msg``, or, for a loop (whose own ``msg`` only says that one or more
    items failed), the message of its first failed item, looked for the same way. ``default`` when
    the result says nothing."""
    if not isinstance(result, Mapping):
        return default
    for item in result.get("results") or []:
        if isinstance(item, Mapping) and item.get("failed"):
            return failure_cause(item, default)
    msg = result.get("msg")
    if isinstance(msg, (list, tuple)):
        msg = " ".join(str(part) for part in msg)
    msg = str(msg or "").strip()
    return msg if msg and msg != LOOP_SUMMARY else default


class FilterModule:
    def filters(self):
        return {"failure_cause": failure_cause}
