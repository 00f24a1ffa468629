# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the preflight's IAM check: the (action, resource) checks a playbook needs, derived
from iam/actions.yml, and the sentence that refuses a run whose caller lacks some of them."""
from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.strata.deploy.plugins.module_utils import access_denied

ACCESS = ("write", "read")


def _flat(items):
    """A list of actions, YAML aliases of lists spliced in (as tools/dev/iam_policies.py reads them)."""
    out = []
    for item in items or []:
        out.extend(_flat(item) if isinstance(item, list) else [str(item)])
    return out


def concrete_arn(pattern, project, account, region, env, name=None):
    """One resource of ``pattern`` (an ARN of iam/actions.yml) in this environment: account and
    region filled in; the name from ``{project}`` on replaced by ``name`` when given (the state
    bucket, the lock table), else ``{project}`` by the project name and each ``*`` of the name
    by ``env``, so a policy scoped to the project's names is evaluated on a name of it."""
    if pattern == "*":
        return pattern
    parts = pattern.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise AnsibleFilterError(f"iam_checks: resource {pattern!r} of iam/actions.yml is not an ARN pattern")
    partition, service, arn_region, arn_account, resource = parts[1:]
    arn_region = region if arn_region == "*" else arn_region
    arn_account = account if arn_account == "*" else arn_account
    if name and "{project}" in resource:
        resource = resource[:resource.index("{project}")] + str(name)
    else:
        resource = resource.replace("{project}", project).replace("*", env)
    return f"arn:{partition}:{service}:{arn_region}:{arn_account}:{resource}"


def iam_checks(actions, access="write", project="", account="", region="", env="", names=None):
    """The checks a playbook needs, as ``[{action, resource}]``: from ``actions`` (iam/actions.yml
    as data), every role's ``read`` actions, and its ``write`` ones too when ``access`` is
    ``write``, each on one concrete resource of its kind (``concrete_arn`` of the kind's first
    ARN, ``names`` giving some kinds' names). Resources written with a policy variable
    (``${aws:username}``: the caller itself) are left out."""
    if access not in ACCESS:
        raise AnsibleFilterError(f"iam_checks: access is {access!r}, expected one of {', '.join(ACCESS)}")
    if not isinstance(actions, Mapping) or not isinstance(actions.get("resources"), Mapping) \
            or not isinstance(actions.get("roles"), Mapping):
        raise AnsibleFilterError("iam_checks: expected iam/actions.yml as data (resources and roles)")
    names = names or {}
    wanted = {}
    for entries in actions["roles"].values():
        for entry in entries or []:
            kind = entry["resource"]
            if kind not in actions["resources"]:
                raise AnsibleFilterError(f"iam_checks: iam/actions.yml names resource {kind!r}, which it does not define")
            listed = _flat(entry.get("read")) + (_flat(entry.get("write")) if access == "write" else [])
            known = wanted.setdefault(kind, [])
            known.extend(a for a in listed if a not in known)
    checks = []
    for kind, kind_actions in wanted.items():
        pattern = str(actions["resources"][kind]["arns"][0])
        if "${" in pattern or not kind_actions:
            continue
        resource = concrete_arn(pattern, project, account, region, env, names.get(kind))
        checks.extend({"action": action, "resource": resource} for action in kind_actions)
    return checks


def iam_denied_message(simulation):
    """The refusal of a run whose caller lacks some checks: ``simulation`` is
    strata.aws.iam_simulate's result; each denied action with its resource, the policy file that
    grants them, that nothing was changed and the next step. Empty when nothing is denied."""
    denied = list((simulation or {}).get("denied") or [])
    if not denied:
        return ""
    listed = "; ".join(f"{d['action']} on {d['resource']}" + (" (explicit Deny)" if d.get("decision") == "explicitDeny" else "")
                       for d in denied)
    who = simulation.get("principal") or "the caller"
    what = (f"The IAM policies of {who} do not allow {len(denied)} action{'s' if len(denied) > 1 else ''} this playbook "
            f"needs (IAM's policy simulator, asked before anything is touched): {listed}.")
    steps = []
    allowed_by_file = [d for d in denied if d.get("decision") != "explicitDeny"]
    if allowed_by_file:
        deploy_only = any(not access_denied.is_read(d["action"]) for d in allowed_by_file)
        grants = (access_denied.DEPLOY_POLICY if deploy_only
                  else f"{access_denied.READONLY_POLICY} (and {access_denied.DEPLOY_POLICY})")
        steps.append(f"{grants} grants {'them' if len(allowed_by_file) > 1 else 'it'}: attach that policy to the caller, or "
                     f"add the actions to the policy it holds (docs/least-privilege.md; make iam PROJECT=<name> writes "
                     f"the policies of another project name)")
    if len(allowed_by_file) < len(denied):
        steps.append("an explicit Deny of another policy of the caller (or of an organization) refuses the actions so "
                     "marked: no policy file of strata can override that; lift the Deny")
    return f"{what} Nothing was changed. {'; '.join(steps)}, then run the same command again."


class FilterModule:
    def filters(self):
        return {"iam_checks": iam_checks, "iam_denied_message": iam_denied_message}
