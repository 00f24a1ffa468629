# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for playbooks/drift.yml: the drift report (reports/drift.json) and its JUnit XML."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.module_utils.junit import junit_xml

NOT_DEPLOYED = "not deployed (no resources in its state)"
# Result keys of a task that describe the task rather than what it read.
TASK_KEYS = ("invocation", "changed", "failed")


def _layer(name, result, deployed):
    """One layer's record: a resource counts as drifted when it was deleted outside Terraform, or
    when a normal plan would change it back (a refresh-only plan also lists attributes the state
    merely never recorded: those stay in ``refresh_only``)."""
    changes = result.get("changes") or []
    planned = [change["address"] for change in changes]
    found = result.get("drift") or []
    drift = [item for item in found if item["address"] in planned] \
        + [item for item in found if item["action"] == "delete" and item["address"] not in planned]
    drifted = [item["address"] for item in drift]
    return {
        "name": name,
        "deployed": name in deployed,
        "resources": len(result.get("resources") or []),
        "seconds": result.get("seconds", 0),
        "skipped": "" if name in deployed else NOT_DEPLOYED,
        "drift": drift,
        "refresh_only": [item for item in found if item["address"] not in drifted],
        "plan": changes,
        "failures": [f"{item['address']}: {item['action']}" for item in drift],
    }


def _drift_line(layer, item):
    if item["action"] == "delete":
        return f"{layer}: {item['address']} was deleted outside Terraform"
    attributes = ": " + ", ".join(item["attributes"]) if item.get("attributes") else ""
    return f"{layer}: {item['address']} {item['action']}d outside Terraform{attributes}"


def _lines(layers, protection, expect_point_in_time_recovery, expect_deletion_protection):
    lines = []
    for layer in layers.values():
        lines += [_drift_line(layer["name"], item) for item in layer["drift"]]
        if layer["deployed"] and not layer["drift"]:
            lines.append(f"{layer['name']}: no drift ({layer['resources']} resources)")
        elif not layer["deployed"]:
            lines.append(f"{layer['name']}: not deployed, nothing to compare")
    problems = protection.get("problems") or []
    lines += [f"protection: {problem}" for problem in problems]
    if not problems:
        lines.append(
            f"protection: versioning and public access blocks on {len(protection.get('buckets') or {})} bucket(s)"
            + (", PITR" if expect_point_in_time_recovery else "")
            + (", deletion protection" if expect_deletion_protection else "")
            + ", seed items present")
    return lines


def drift_report(results, layers, deployed, protection, env, account, generated_at,
                 expect_point_in_time_recovery=False, expect_deletion_protection=False):
    """The drift report of an environment (reports/drift.json).

    ``results`` maps each deployed layer to what its runs found (``drift``, ``resources`` and
    ``seconds`` of the refresh-only plan, ``changes`` of the plan of what a deploy would change
    back); ``layers`` names every layer in order, ``deployed`` those whose state holds resources;
    ``protection`` is the result of strata.aws.protection_info. Returns ``env``, ``account``,
    ``generated_at``, ``layers`` (per layer: ``name``, ``deployed``, ``resources``, ``seconds``,
    ``skipped``, ``drift``, ``refresh_only``, ``plan``, ``failures``), ``drifted_resources``,
    ``protections``, ``protection_problems``, ``drifted`` and ``lines`` (what a person reads)."""
    records = {name: _layer(name, (results or {}).get(name) or {}, deployed) for name in layers}
    problems = protection.get("problems") or []
    drifted = sum(len(layer["drift"]) for layer in records.values())
    return {
        "env": env,
        "account": account,
        "generated_at": generated_at,
        "layers": records,
        "drifted_resources": drifted,
        "protections": {key: value for key, value in protection.items() if key not in TASK_KEYS},
        "protection_problems": problems,
        "drifted": drifted > 0 or len(problems) > 0,
        "lines": _lines(records, protection, expect_point_in_time_recovery, expect_deletion_protection),
    }


def drift_junit(report):
    """The drift report as JUnit XML: one testcase per layer (skipped when not deployed) with one
    failure per drifted resource, and a testcase ``data protections`` with one failure per missing
    protection."""
    cases = list(report["layers"].values()) + [
        {"name": "data protections", "seconds": 0, "skipped": "", "failures": report["protection_problems"]}]
    return junit_xml("drift", report["env"], report["generated_at"], cases)


class FilterModule:
    def filters(self):
        return {"drift_report": drift_report, "drift_junit": drift_junit}
