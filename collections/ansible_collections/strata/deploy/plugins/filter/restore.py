# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for the restore role: what goes where."""
from __future__ import annotations

import re


def restore_plan(resources, env, source_env, deployed, tables=None, buckets=None):
    """Each table and bucket of a backup (``resources`` of strata.aws.backup_find: ``kind``, ``name``,
    ``chosen``, ...) with its ``target`` in environment ``env``: the name mapped in ``tables`` or
    ``buckets``, else its name with the source environment's suffix (``-<source_env>``) replaced by
    ``-<env>``; and ``deployed``, whether ``deployed`` (the stateful layer's tables and buckets by
    name) holds the target. Kept: the resources of the chosen backup, and those found only in older
    backups when they are deployed here."""
    suffix = re.compile("-" + re.escape(source_env) + "$")
    plan = []
    for resource in resources or []:
        table = resource["kind"] == "table"
        mapping = (tables if table else buckets) or {}
        target = mapping.get(resource["name"], suffix.sub(lambda _match: "-" + env, resource["name"]))
        here = target in ((deployed or {}).get("tables" if table else "buckets") or [])
        if resource["chosen"] or here:
            plan.append(dict(resource, target=target, deployed=here))
    return plan


class FilterModule:
    def filters(self):
        return {"restore_plan": restore_plan}
