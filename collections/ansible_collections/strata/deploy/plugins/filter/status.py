# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for playbooks/status.yml: the status report (reports/status.json) and its screen."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _result_of(results, layer):
    """The loop result (over strata_states) of ``layer``."""
    for result in results or []:
        item = result.get("item")
        if (item.get("layer") if isinstance(item, Mapping) else item) == layer:
            return result
    return {}


def _age_hours(generated_at, created_at):
    if not created_at:
        return None
    age = datetime.strptime(generated_at, TIME_FORMAT) - datetime.strptime(created_at, TIME_FORMAT)
    return round(age.total_seconds() / 3600, 1)


def status_report(states, layers, locks, items, backup, env, account, generated_at, backup_root,
                  max_age_hours, state_bucket, drill=None):
    """The status report of an environment (reports/status.json).

    ``states`` and ``locks`` are the loop results (over strata_states) of strata.aws.terraform_state
    (the state bucket's statistics with the bootstrap layer's) and strata.aws.terraform_lock;
    ``layers`` names the layers in order; ``items`` is the result of strata.aws.protection_info for
    the seed items (skipped without a table), ``backup`` that of strata.aws.backup_find. Returns
    ``env``, ``account``, ``generated_at``, ``layers`` (per layer: ``name``, ``deployed``,
    ``resources``, ``serial``, ``lineage``, ``last_write``, ``locks``), ``backup`` (``root``,
    ``name``, ``created_at``, ``age_hours``, ``max_age_hours``, ``too_old``), ``seed_items`` and
    ``state_bucket`` (its ``name`` and statistics), and ``drill``: the last restore drill's record
    (``strata.deploy.drill_record``, as the drill keeps it in the state bucket), or None."""
    records = []
    for name in layers:
        state = _result_of(states, name).get("current") or {}
        records.append({
            "name": name, "deployed": state.get("resources", 0) > 0, "resources": state.get("resources", 0),
            "serial": state.get("serial"), "lineage": state.get("lineage"), "last_write": state.get("last_modified"),
            "locks": _result_of(locks, name)["locks"]})
    created_at = (backup.get("manifest") or {}).get("created_at", "")
    max_age_hours = float(max_age_hours)
    age_hours = _age_hours(generated_at, created_at)
    bucket_stats = (states[0] if states else {}).get("stats") or {}
    return {
        "env": env,
        "account": account,
        "generated_at": generated_at,
        "layers": records,
        "backup": {"root": backup_root, "name": backup.get("name", ""), "created_at": created_at,
                   "age_hours": age_hours, "max_age_hours": max_age_hours,
                   "too_old": age_hours is None or age_hours > max_age_hours},
        "seed_items": items.get("items", []),
        "state_bucket": dict({"name": state_bucket}, **bucket_stats),
        "drill": drill or None,
    }


def _layer_line(layer):
    state = (f"serial {layer['serial']}, {layer['resources']} resources, last write {layer['last_write']}"
             if layer["deployed"] else "not deployed")
    locks = layer["locks"]
    held = (f"{len(locks)} lock(s): {', '.join(str(lock['id']) for lock in locks)} by "
            f"{', '.join(str(lock['who']) for lock in locks)} ({', '.join(str(lock['age']) for lock in locks)} "
            "old; see playbooks/unlock.yml)") if locks else "unlocked"
    return f"{layer['name']:<9} {state}, {held}"


def status_lines(report):
    """What playbooks/status.yml shows of :func:`status_report`, one line per fact."""
    lines = [f"{report['env']} in account {report['account']} at {report['generated_at']}"]
    lines += [_layer_line(layer) for layer in report["layers"]]
    backup = report["backup"]
    if backup["name"]:
        lines.append(f"backup    {backup['name']} ({backup['age_hours']} h old, objective {backup['max_age_hours']} h)"
                     + (": TOO OLD, run playbooks/backup.yml" if backup["too_old"] else ": ok"))
    else:
        lines.append(f"backup    none in {backup['root']}/{report['env']}: run playbooks/backup.yml")
    for item in report["seed_items"]:
        rest = {key: value for key, value in item["item"].items() if key not in item["key"]} if item["present"] else None
        lines.append(f"item      {json.dumps(item['key'])}: " + (json.dumps(rest) if item["present"] else "MISSING"))
    drill = report.get("drill")
    if drill:
        rto, rpo = drill.get("rto") or {}, drill.get("rpo") or {}
        lines.append(f"drill     {drill.get('generated_at')}: {str(drill.get('outcome', '?')).upper()} from backup "
                     f"{(drill.get('backup') or {}).get('name')}, recovery time {rto.get('minutes')} min (objective "
                     f"{rto.get('objective_minutes')}), recovery point {rpo.get('age_hours')} h (objective "
                     f"{rpo.get('objective_hours')})")
    else:
        lines.append("drill     none recorded: run playbooks/drill.yml")
    bucket = report["state_bucket"]
    lines.append(f"state     s3://{bucket['name']}: {bucket.get('versions', '?')} object versions "
                 f"({bucket.get('current_objects', '?')} current, {bucket.get('delete_markers', '?')} delete markers), "
                 f"{round(bucket.get('bytes', 0) / 1024, 1)} KiB in all")
    return lines


class FilterModule:
    def filters(self):
        return {"status_report": status_report, "status_lines": status_lines}
