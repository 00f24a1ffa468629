# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for the rollback role: a state's versions, and what Terraform would change after a rollback."""
from __future__ import annotations


def state_version_lines(versions):
    """One line per version of a state (``versions`` of strata.aws.terraform_state, newest first):
    its version ID, when it was written, serial, lineage, resource count, and whether it is the
    current one."""
    return [f"{version['version_id']}  {version['last_modified']}  serial {version['serial']}  lineage "
            f"{version['lineage']}  {version['resources']} resources" + ("  (current)" if version["is_latest"] else "")
            for version in versions or []]


def rollback_plan_lines(report, changes, inventory):
    """What the plan after a rollback says: the layer's report line (``report``: its
    terraform_layer_reports entry), each change (``changes``: its summary's), the tables and buckets
    whose data a deploy would put at risk, and the command to run next (``inventory`` as messages
    quote it)."""
    lines = [report["line"]] + [f"{change['address']}: {change['action']}" for change in changes or []]
    if report["data_loss"]:
        lines.append("Data at risk: " + ", ".join(item["address"] for item in report["data_loss"])
                     + " (a deploy refuses this without -e allow_replace after a backup)")
    lines.append("Next: " + (f"ansible-playbook playbooks/deploy.yml -i {inventory} applies this plan (--check shows it again)"
                             if report["changed"] else
                             "nothing to apply; the infrastructure already matches the rolled-back state"))
    return lines


class FilterModule:
    def filters(self):
        return {"state_version_lines": state_version_lines, "rollback_plan_lines": rollback_plan_lines}
