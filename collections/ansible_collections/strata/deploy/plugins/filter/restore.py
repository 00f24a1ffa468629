# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for the restore role: what goes where."""
from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

METHODS = ("stream", "import")
"""How a table is restored: streamed into this environment's deployed table, or imported into a new one."""
MAX_TABLE_NAME = 255
"""DynamoDB's longest table name."""


def imported_table_name(live, backup):
    """The new table a backup's table is imported into by default: ``<live>-restored-<backup>``,
    the backup's name in lower case (``strata-visits-dev-restored-20250101t000000z``)."""
    return f"{live}-restored-{str(backup).lower()}"


def restore_plan(resources, env, source_env, deployed, tables=None, buckets=None, method="stream"):
    """Each table and bucket of a backup (``resources`` of strata.aws.backup_find: ``kind``, ``name``,
    ``chosen``, ``backup``, ...) with its ``target`` in environment ``env``, its ``live`` resource
    (this environment's own: the name mapped in ``tables`` or ``buckets``, else its name with the
    source environment's suffix (``-<source_env>``) replaced by ``-<env>``) and ``deployed``,
    whether ``deployed`` (the stateful layer's tables and buckets by name) holds the live resource.

    With ``method`` ``stream`` (and for every bucket) the target is the live resource itself. With
    ``import`` a table goes into a NEW table, shaped like the live one: the name ``tables`` maps it
    to, else ``<live>-restored-<backup name in lower case>``.

    Kept: the resources of the chosen backup, and those found only in older backups when their live
    resource is deployed here."""
    if method not in METHODS:
        raise AnsibleFilterError(f"restore_plan: restore_method is {method!r}; expected one of {', '.join(METHODS)}")
    suffix = re.compile("-" + re.escape(source_env) + "$")
    plan = []
    for resource in resources or []:
        table = resource["kind"] == "table"
        mapping = (tables if table else buckets) or {}
        own = suffix.sub(lambda _match: "-" + env, resource["name"])
        if table and method == "import":
            live = own
            target = mapping.get(resource["name"]) or imported_table_name(live, resource.get("backup", ""))
            if len(target) > MAX_TABLE_NAME:
                raise AnsibleFilterError(f"restore_plan: the new table {target} is longer than {MAX_TABLE_NAME} "
                                         f"characters; name it with restore_tables ({resource['name']}: <new name>)")
        else:
            live = target = mapping.get(resource["name"], own)
        here = live in ((deployed or {}).get("tables" if table else "buckets") or [])
        if resource["chosen"] or here:
            plan.append(dict(resource, target=target, live=live, deployed=here))
    return plan


def _failed(result):
    return bool(result.get("failed"))


def _counts(results, written):
    return {r["table" if "table" in r else "bucket"]: r[written] for r in results or []
            if ("table" in r or "bucket" in r) and written in r}


def restore_outcome(streamed, buckets, imported=None, verified=None):
    """What a restore did, from the registered loop results of the restore role's tasks:
    ``streamed`` (strata.aws.dynamodb_restore), ``buckets`` (strata.aws.s3_restore), ``imported``
    (strata.aws.dynamodb_import) and ``verified`` (strata.aws.restore_verify of each import, looped
    over the successful imports). Returns ``tables`` (table to items written, or imported),
    ``new_tables`` (backed-up table to the new table it was imported into, where the import and its
    verification succeeded; in check mode, where it would be), ``buckets`` (bucket to objects
    uploaded) and ``not_restored`` (the message of every failure)."""
    doubted = {r["item"]["item"]["target"] for r in verified or [] if _failed(r)}
    imports = [r for r in imported or [] if not r.get("skipped")]
    return {
        "tables": dict(_counts(streamed, "restored"), **_counts(imports, "imported")),
        "new_tables": {r["item"]["name"]: r["item"]["target"] for r in imports
                       if not _failed(r) and r["item"]["target"] not in doubted},
        "buckets": _counts(buckets, "uploaded"),
        "not_restored": [str(r.get("msg", "failed")) for results in (streamed, imports, verified, buckets)
                         for r in results or [] if _failed(r)],
    }


class FilterModule:
    def filters(self):
        return {"restore_plan": restore_plan, "restore_outcome": restore_outcome}
