# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether the caller's IAM policies allow a list of (action, resource) checks, asked of IAM's
policy simulator (``iam:SimulatePrincipalPolicy``) before anything is touched.

Pure functions: the IAM principal whose policies are simulated for a caller ARN (STS
GetCallerIdentity's), the checks cut into simulation calls, and the refused checks read from
the answers. ``simulate`` runs them with an IAM client. Standard library only, but for the
client it is given.
"""
from __future__ import annotations

import re

from ansible_collections.strata.aws.plugins.module_utils import access_denied

# Actions per SimulatePrincipalPolicy call: its answer holds one result per action (100 per
# page by default), each with one decision per resource of the call.
MAX_ACTIONS = 100

# The answers that mean "this caller's policies cannot be simulated", not "something broke":
# the caller may not call the simulator (a refusal), or IAM does not know the principal.
NOT_SIMULATED_CODES = ("NoSuchEntity", "InvalidInput") + access_denied.CODES

_IAM_PRINCIPAL = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):(?:user|role)/.+$")
_ASSUMED_ROLE = re.compile(r"^arn:(?P<partition>[\w-]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[\w+=,.@-]+)/[^/]+$")


def principal(caller_arn):
    """``(principal ARN, reason)``: the IAM user or role whose policies apply to ``caller_arn``
    (an assumed-role session maps to its role), or ``(None, why not)`` for a caller that is no
    IAM user or role (the account's root user, a federated user, anything else)."""
    arn = str(caller_arn or "")
    if _IAM_PRINCIPAL.match(arn):
        return arn, ""
    assumed = _ASSUMED_ROLE.match(arn)
    if assumed:
        # The session's ARN has no path: a role under a path other than / is not found by IAM
        # (NoSuchEntity), and the check is then skipped.
        return f"arn:{assumed['partition']}:iam::{assumed['account']}:role/{assumed['role']}", ""
    if re.match(r"^arn:[\w-]+:iam::\d{12}:root$", arn):
        return None, f"the caller is the account's root user ({arn}), which no IAM policy limits"
    if ":federated-user/" in arn:
        return None, f"the caller is a federated user ({arn}), whose session policies IAM cannot simulate"
    return None, f"the caller ({arn or 'unknown'}) is no IAM user or role"


def unique_checks(checks):
    """``checks`` as (action, resource) pairs, each once, in their order."""
    seen = {}
    for check in checks:
        pair = (str(check["action"]), str(check["resource"]))
        seen.setdefault(pair, None)
    return list(seen)


def batches(checks, max_actions=MAX_ACTIONS):
    """The simulation calls for ``checks`` ((action, resource) pairs): each ``(actions,
    resources)``, whole resources gathered while their actions fit ``max_actions`` (a resource
    with more is split). A call evaluates every action on every resource; only the pairs asked
    are read from it (``refused``)."""
    by_resource = {}
    for action, resource in checks:
        by_resource.setdefault(resource, [])
        if action not in by_resource[resource]:
            by_resource[resource].append(action)
    calls = []
    actions, resources = [], []
    for resource, wanted in by_resource.items():
        for start in range(0, len(wanted), max_actions):
            part = wanted[start:start + max_actions]
            merged = actions + [a for a in part if a not in actions]
            if resources and len(merged) > max_actions:
                calls.append((actions, resources))
                actions, resources, merged = [], [], list(part)
            actions, resources = merged, resources + ([resource] if resource not in resources else [])
    if resources:
        calls.append((actions, resources))
    return calls


def decisions(evaluation_results):
    """{(action, resource): decision} from SimulatePrincipalPolicy's ``EvaluationResults``: each
    resource's ``ResourceSpecificResults`` when present, else the result's own resource (IAM once
    answered one result per action and resource)."""
    found = {}
    for result in evaluation_results:
        action = result.get("EvalActionName", "")
        specific = result.get("ResourceSpecificResults") or []
        if specific:
            for entry in specific:
                found[(action, entry.get("EvalResourceName", ""))] = entry.get("EvalResourceDecision", "")
        else:
            found[(action, result.get("EvalResourceName", "*"))] = result.get("EvalDecision", "")
    return found


def refused(checks, found):
    """The checks ``found`` does not say ``allowed``, each as ``action``, ``resource``,
    ``decision`` (``implicitDeny``, ``explicitDeny``, or ``not evaluated`` when the answer
    lacks it) and ``policy`` (strata's policy files that grant the action)."""
    denied = []
    for action, resource in checks:
        decision = found.get((action, resource), "not evaluated")
        if decision != "allowed":
            denied.append({"action": action, "resource": resource, "decision": decision,
                           "policy": access_denied.policy_for(action)})
    return denied


def simulate(iam, principal_arn, checks, max_actions=MAX_ACTIONS):
    """Run ``checks`` ((action, resource) pairs) for ``principal_arn`` with the IAM client
    ``iam``; ``(refused checks, number of calls)``. botocore's errors go to the caller."""
    found = {}
    calls = 0
    for actions, resources in batches(checks, max_actions):
        request = {"PolicySourceArn": principal_arn, "ActionNames": actions, "ResourceArns": resources}
        while True:
            answer = iam.simulate_principal_policy(**request)
            calls += 1
            found.update(decisions(answer.get("EvaluationResults", [])))
            if not answer.get("IsTruncated"):
                break
            request["Marker"] = answer["Marker"]
    return refused(checks, found), calls
