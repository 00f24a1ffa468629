# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for a confirmed replacement of the stateful layer's tables and buckets: which resource
was replaced by which, and whether its data was carried over from the verified backup."""
from __future__ import annotations

from collections.abc import Mapping

DESTROYED = "destroyed, not replaced: nothing to carry into"


def _kind(resource_type, types):
    """The kind (table, bucket) whose Terraform type ``types`` (strata_data_resource_types) names."""
    for kind, name in (types or {}).items():
        if name == resource_type:
            return kind
    raise ValueError(f"{resource_type!r} is not a data resource type: expected one of {sorted((types or {}).values())}")


def carry_plan(data_loss, resources, types):
    """One entry per table or bucket an apply replaced or destroyed (``data_loss`` of its summary):
    ``address``, ``kind`` (table or bucket), ``from`` (its name before), ``to`` (the name at the same
    address in ``resources``, the state after the apply; empty when it was destroyed), ``action``
    and ``why``. ``types`` maps each kind to its Terraform resource type (strata_data_resource_types)."""
    plan = []
    for change in data_loss or []:
        now = [resource for resource in resources or [] if resource.get("address") == change["address"]]
        plan.append({"address": change["address"], "kind": _kind(change["type"], types), "from": change["name"],
                     "to": now[0]["name"] if now else "", "action": change["action"], "why": change["why"]})
    return plan


def _run_of(runs, address):
    """The loop result (of the restore tasks) whose item is the entry at ``address``, or {}."""
    for run in runs or []:
        if isinstance(run, Mapping) and isinstance(run.get("item"), Mapping) and run["item"].get("address") == address:
            return run
    return {}


def carry_outcome(plan, runs, backup_report, check_mode=False):
    """What happened to each entry of :func:`carry_plan`, given the results of the tasks that put
    the items and objects back (``runs``, the loop results of both, each with its entry as
    ``item``) and the backup verified before the apply (``backup_report``): the entry with
    ``carried`` (bool), ``count`` (items or objects written; 0 when not carried),
    ``count_in_backup``, ``reason`` (why not), ``backup`` (its directory) and ``line`` (what the
    summary prints)."""
    outcome = []
    for entry in plan or []:
        run = _run_of(runs, entry["address"])
        held = (backup_report.get(entry["kind"] + "s") or {}).get(entry["from"], "?")
        count = run["restored"] if "restored" in run else run.get("uploaded", 0)
        ran = bool(run) and not run.get("skipped", False) and not run.get("failed", False)
        carried = bool(not check_mode and entry["to"] and ran and run.get("carried", True))
        reason = run.get("reason", "") if entry["to"] else DESTROYED
        if carried:
            what = f"{count} of {held} {'items' if entry['kind'] == 'table' else 'objects'} carried over"
        elif check_mode and entry["to"]:
            what = f"would carry {held} over (check mode)"
        else:
            what = f"NOT carried over: {reason}"
        line = f"{entry['address']}: {entry['from']} -> {entry['to'] or '(destroyed)'}, {what} (backup {backup_report['dir']})"
        outcome.append(dict(entry, carried=carried, count=count if carried else 0, count_in_backup=held,
                            reason=reason, backup=backup_report["dir"], line=line))
    return outcome


class FilterModule:
    def filters(self):
        return {"carry_plan": carry_plan, "carry_outcome": carry_outcome}
