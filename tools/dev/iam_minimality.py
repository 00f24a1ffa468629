"""Which actions of a policy the recorded runs needed: for each action, the policy without it
is evaluated against every authorization the runs were granted.

    python tools/dev/iam_minimality.py --policy POLICY.json --log REQUESTS.jsonl [--log ...]
        [--principal GLOB] [--json OUT] [--fail-on-unneeded]

The logs are the enforcing emulator's request logs (``STRATA_EMULATOR_REQUEST_LOG``, one JSON
line per request: principal, operation, and each action with its resource, condition keys and
decision; ``strata_emulator.patches.iam_enforcement``). The authorizations considered are the
ones granted (``allowed``) to the principals that ``--principal`` matches (default: every
principal but the emulator's administrator), i.e. the user holding the policy.

For each action the policy's statements name, the action is removed from every statement and
each of those authorizations is evaluated again with the emulator's own evaluation (AWS's rules:
explicit deny, then allow): an authorization then refused is a request of a real run that fails
without the action, and the first such request is printed as the proof. An action no
authorization needs is listed as unneeded: nothing the runs did needed it (a path the runs did
not take may). The exit status is 1 with --fail-on-unneeded when there is one, or when the
policy refuses an authorization the runs were granted (then the logs are not of this policy).
"""
from __future__ import annotations

import argparse
import copy
import fnmatch
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strata_emulator import iam_users
from strata_emulator.iam_arns import Check
from strata_emulator.patches.iam_enforcement import ALLOWED, evaluate, principal_context


@dataclass(frozen=True)
class Granted:
    """One authorization a run was granted, and the request it was for."""

    check: Check
    principal: str
    operation: str

    @property
    def context(self) -> dict[str, str]:
        """The request's context as the enforcing emulator built it (a user's name too, which
        ``${aws:username}`` reads)."""
        return principal_context(self.principal)


def policy_actions(policy: Mapping[str, Any]) -> list[str]:
    """Every action an Allow statement of ``policy`` names, in order, once."""
    seen: dict[str, None] = {}
    for statement in _statements(policy):
        if statement.get("Effect") == "Allow":
            seen.update(dict.fromkeys(_as_list(statement.get("Action", []))))
    return list(seen)


def without_action(policy: Mapping[str, Any], action: str) -> dict[str, Any]:
    """``policy`` with ``action`` removed from every statement (a statement left with no
    action is dropped)."""
    reduced = copy.deepcopy(dict(policy))
    statements = []
    for statement in _statements(reduced):
        actions = [a for a in _as_list(statement.get("Action", [])) if a != action]
        if "Action" in statement and not actions:
            continue
        if "Action" in statement:
            statement["Action"] = actions
        statements.append(statement)
    reduced["Statement"] = statements
    return reduced


def granted(records: Iterable[Mapping[str, Any]], principal_glob: str | None = None) -> list[Granted]:
    """The distinct authorizations the logged requests of the matching principals were granted."""
    found: dict[tuple, Granted] = {}
    for record in records:
        principal = record.get("principal", "")
        if principal_glob is not None and not fnmatch.fnmatchcase(principal, principal_glob):
            continue
        if principal_glob is None and principal.endswith(f":user/{iam_users.ADMIN_USER}"):
            continue
        for item in record.get("checks", []):
            if item.get("decision") != ALLOWED:
                continue
            context = item.get("context") or {}
            key = (item["action"], item["resource"], tuple(sorted(context.items())), principal)
            found.setdefault(key, Granted(Check(item["action"], item["resource"], context), principal,
                                          record.get("operation", "")))
    return list(found.values())


def needs(policy: Mapping[str, Any], grants: list[Granted]) -> dict[str, list[Granted]]:
    """For each action of ``policy``, the granted authorizations it allows that are refused
    without the action."""
    grants = [g for g in grants if evaluate([policy], g.check, g.context) == ALLOWED]
    result = {}
    for action in policy_actions(policy):
        # Removing an action changes the decision only for the checks of actions it matches
        # (IAM matches action names case-insensitively, with wildcards): only those are evaluated again.
        matching = [g for g in grants if fnmatch.fnmatchcase(g.check.action.lower(), action.lower())]
        reduced = [without_action(policy, action)]
        result[action] = [g for g in matching if evaluate(reduced, g.check, g.context) != ALLOWED]
    return result


def refused_now(policy: Mapping[str, Any], grants: list[Granted]) -> list[Granted]:
    """Authorizations the runs were granted that ``policy`` itself refuses."""
    return [g for g in grants if evaluate([policy], g.check, g.context) != ALLOWED]


def report(policy: Mapping[str, Any], grants: list[Granted]) -> dict[str, Any]:
    """The findings as data: per action, the requests that need it (first one named)."""
    needed = needs(policy, grants)
    return {
        "authorizations": len(grants),
        "actions": len(needed),
        "needed": {action: {"requests": len(found), "first": _describe(found[0])}
                   for action, found in needed.items() if found},
        "unneeded": sorted(action for action, found in needed.items() if not found),
        "refused_by_policy": [_describe(g) for g in refused_now(policy, grants)],
    }


def lines(findings: Mapping[str, Any], policy_path: str) -> list[str]:
    """The report as text: a line per action, grouped by service."""
    out = [f"{policy_path}: {findings['actions']} actions against {findings['authorizations']} authorizations granted"]
    by_service: dict[str, list[str]] = {}
    for action, found in findings["needed"].items():
        by_service.setdefault(action.split(":", 1)[0], []).append(
            f"  {action:45} needed by {found['requests']:4} e.g. {found['first']}")
    for action in findings["unneeded"]:
        by_service.setdefault(action.split(":", 1)[0], []).append(f"  {action:45} UNNEEDED: no recorded request needs it")
    for service in sorted(by_service):
        out.append(f"{service}:")
        out.extend(sorted(by_service[service]))
    out.append(f"needed {len(findings['needed'])}, unneeded {len(findings['unneeded'])}"
               + (f": {', '.join(findings['unneeded'])}" if findings["unneeded"] else ""))
    if findings["refused_by_policy"]:
        out.append(f"the policy refuses {len(findings['refused_by_policy'])} authorizations the runs were granted "
                   f"(logs of another policy?), e.g. {findings['refused_by_policy'][0]}")
    return out


def read_logs(paths: Iterable[Path]) -> list[dict[str, Any]]:
    records = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise SystemExit(f"{path}:{number}: not a JSON request record ({error.msg})") from error
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--policy", type=Path, required=True, help="the policy document (JSON)")
    parser.add_argument("--log", type=Path, action="append", required=True, help="an emulator request log (repeatable)")
    parser.add_argument("--principal", help="glob of the principal ARNs to consider (default: all but the administrator)")
    parser.add_argument("--json", type=Path, help="also write the findings as JSON here")
    parser.add_argument("--fail-on-unneeded", action="store_true", help="exit 1 when an action is unneeded")
    args = parser.parse_args(argv)
    missing = [str(p) for p in [args.policy, *args.log] if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    policy = json.loads(args.policy.read_text(encoding="utf-8"))
    grants = granted(read_logs(args.log), args.principal)
    if not grants:
        print(f"no authorization granted to {args.principal or 'a user other than the administrator'} in "
              f"{', '.join(map(str, args.log))}: run strata with the scoped user's keys on an emulator that "
              "records requests (STRATA_EMULATOR_REQUEST_LOG)", file=sys.stderr)
        return 1
    findings = report(policy, grants)
    print("\n".join(lines(findings, str(args.policy))))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(findings, indent=2) + "\n", encoding="utf-8")
    failed = bool(findings["refused_by_policy"]) or (args.fail_on_unneeded and bool(findings["unneeded"]))
    return 1 if failed else 0


def _statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _as_list(policy.get("Statement", []))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _describe(grant: Granted) -> str:
    return f"{grant.operation} ({grant.check.action} on {grant.check.resource})"


if __name__ == "__main__":
    sys.exit(main())
