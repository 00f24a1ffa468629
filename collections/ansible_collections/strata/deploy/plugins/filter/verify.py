# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for playbooks/verify.yml and a deploy's last step: the verify report
(reports/verify.json), its lines and its JUnit XML."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.module_utils.junit import junit_xml

# What to run next when a check fails (the inventory is filled in).
NEXT = {
    "page": "upload the site again with a deploy: ansible-playbook playbooks/deploy.yml -i {inventory}",
    "direct_read_refused": (
        "see what changed on the bucket: ansible-playbook playbooks/drift.yml -i {inventory}; a deploy puts its "
        "policy and public access block back: ansible-playbook playbooks/deploy.yml -i {inventory}"),
    "api_answers": (
        "read the counter and its table: ansible-playbook playbooks/status.yml -i {inventory}; "
        "the API's own errors are in the counter's log group"),
    "api_counts": (
        "read the counter and its table: ansible-playbook playbooks/status.yml -i {inventory}; "
        "the API's own errors are in the counter's log group"),
}


def verify_report(result, env, account, generated_at, inventory, local=False):
    """The verify report of an environment (reports/verify.json), from the result of
    strata.deploy.site_check: ``env``, ``account``, ``generated_at``, ``local`` (checked through the
    local page server), ``counted_visit`` (whether a visit was sent), ``checks`` (as the module
    returned them, each with ``next``: what to run when it failed, else empty), ``failed_checks``,
    ``passed``, ``count_before``, ``count_after`` and ``lines`` (what a person reads)."""
    checks = []
    for check in result.get("checks") or []:
        hint = "" if check["passed"] else NEXT.get(check["name"], "").format(inventory=inventory)
        checks.append(dict(check, next=hint))
    failed = [check["name"] for check in checks if not check["passed"]]
    lines = [("ok      " if check["passed"] else "FAILED  ") + check["message"] for check in checks]
    lines += [f"next ({check['name']}): {check['next']}" for check in checks if check["next"]]
    return {
        "env": env,
        "account": account,
        "generated_at": generated_at,
        "local": bool(local),
        "counted_visit": bool(result.get("changed")),
        "checks": checks,
        "failed_checks": failed,
        "passed": bool(checks) and not failed,
        "count_before": result.get("count_before"),
        "count_after": result.get("count_after"),
        "lines": lines,
    }


def verify_junit(report):
    """The verify report as JUnit XML: one testcase per check, with a failure (its message and what
    to run next) when it failed."""
    cases = [{"name": check["name"],
              "failures": [] if check["passed"] else
              [(check["message"], check["message"] + (f"\nnext: {check['next']}" if check.get("next") else ""))]}
             for check in report["checks"]]
    return junit_xml("verify", report["env"], report["generated_at"], cases)


class FilterModule:
    def filters(self):
        return {"verify_report": verify_report, "verify_junit": verify_junit}
