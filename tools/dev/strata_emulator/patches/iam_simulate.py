"""IAM SimulatePrincipalPolicy: what a principal's policies decide, without calling anything.

moto 5.2.5 has no SimulatePrincipalPolicy: the server answers HTTP 500 (``NotImplementedError``).
strata's preflight asks it, before anything is touched, whether the caller may call the actions
a playbook needs on this environment's resources.

AWS (IAM API Reference, SimulatePrincipalPolicy and EvaluationResult): ``PolicySourceArn`` names
an IAM user, group or role; every action of ``ActionNames`` is evaluated on every resource of
``ResourceArns`` (``*`` when none) against the identity policies of that principal (a user's
inline and attached policies and those of its groups; a role's), and the answer holds one
``EvaluationResult`` per action: ``EvalActionName``, ``EvalResourceName``, ``EvalDecision``
(``allowed``, ``implicitDeny`` or ``explicitDeny``; over several resources the most
restrictive) and, per resource, ``ResourceSpecificResults`` (``EvalResourceName``,
``EvalResourceDecision``). Results are paged (``MaxItems``, default 100; ``IsTruncated``,
``Marker``). An unknown principal is ``NoSuchEntity``; a malformed ARN ``InvalidInput``.

This patch answers it with the emulator's own evaluation
(``strata_emulator.patches.iam_enforcement.evaluate``), so a simulation decides as the enforcing
emulator then decides each request, with the context ``aws:SecureTransport`` and, for a user,
``aws:username`` and ``aws:PrincipalArn``. What the caller must hold to ask is authorized by
``iam_enforcement`` like any request: ``iam:SimulatePrincipalPolicy`` on the ``PolicySourceArn``
(``strata_emulator.iam_arns``). Not simulated: ``PolicyInputList``, ``ResourcePolicy``,
``ContextEntries``, ``CallerArn`` (accepted and ignored), permission boundaries, SCPs;
``MatchedStatements`` and ``MissingContextValues`` are answered empty.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from strata_emulator.iam_arns import Check
from strata_emulator.patches import iam_enforcement

# The API's decision names (iam_enforcement's are words).
DECISIONS = {iam_enforcement.ALLOWED: "allowed", iam_enforcement.IMPLICIT_DENY: "implicitDeny",
             iam_enforcement.EXPLICIT_DENY: "explicitDeny"}
_RESTRICTIVENESS = ("allowed", "implicitDeny", "explicitDeny")
_PRINCIPAL = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):(?P<kind>user|role|group)(?P<path>/.*/|/)"
                        r"(?P<name>[\w+=,.@-]+)$")
DEFAULT_MAX_ITEMS = 100


class SimulationError(Exception):
    """An IAM error answer: its code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def principal_policies(backend: Any, arn: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The identity policies of the user, role or group ``arn`` names, and its evaluation context."""
    found = _PRINCIPAL.match(arn or "")
    if not found:
        raise SimulationError("InvalidInput", f"Invalid ARN: {arn!r} is not the ARN of an IAM user, group or role.")
    kind, name = found["kind"], found["name"]
    context = iam_enforcement.principal_context(arn)
    try:
        if kind == "user":
            backend.get_user(name)
            policies = [backend.get_user_policy(name, p) for p in backend.list_user_policies(name)]
            policies += backend.list_attached_user_policies(name)[0]
            for group in backend.get_groups_for_user(name):
                policies += [backend.get_group_policy(group.name, p) for p in backend.list_group_policies(group.name)]
                policies += backend.list_attached_group_policies(group.name)[0]
        elif kind == "role":
            backend.get_role(name)
            policies = [backend.get_role_policy(name, p)[1] for p in backend.list_role_policies(name)]
            policies += backend.list_attached_role_policies(name)[0]
        else:
            backend.get_group(name)
            policies = [backend.get_group_policy(name, p) for p in backend.list_group_policies(name)]
            policies += backend.list_attached_group_policies(name)[0]
    except SimulationError:
        raise
    except Exception as exc:  # noqa: BLE001 - moto's NoSuchEntity (or any lookup failure) of the principal
        raise SimulationError("NoSuchEntity", f"The {kind} with name {name} cannot be found. ({exc})") from None
    return iam_enforcement.policy_documents(policies), context


def simulate(policies: list[dict[str, Any]], context: dict[str, str], actions: list[str],
             resources: list[str]) -> list[dict[str, Any]]:
    """One result per action: its decision on each resource, and the most restrictive of them."""
    resources = resources or ["*"]
    results = []
    for action in actions:
        per_resource = [{"EvalResourceName": resource,
                         "EvalResourceDecision": DECISIONS[iam_enforcement.evaluate(policies, Check(action, resource),
                                                                                    context)]}
                        for resource in resources]
        decision = max((r["EvalResourceDecision"] for r in per_resource), key=_RESTRICTIVENESS.index)
        results.append({"EvalActionName": action,
                        "EvalResourceName": resources[0] if len(resources) == 1 else "*",
                        "EvalDecision": decision,
                        "ResourceSpecificResults": per_resource})
    return results


def page(results: list[dict[str, Any]], marker: str | None, max_items: int | None) -> tuple[list[dict[str, Any]], str]:
    """The page of ``results`` after ``marker``, and the marker of the next page ('' when none)."""
    start = int(marker) if marker and marker.isdigit() else 0
    size = max_items or DEFAULT_MAX_ITEMS
    end = start + size
    return results[start:end], (str(end) if end < len(results) else "")


def render(results: list[dict[str, Any]], next_marker: str) -> str:
    members = []
    for result in results:
        specific = "".join(
            f"<member><EvalResourceName>{escape(r['EvalResourceName'])}</EvalResourceName>"
            f"<EvalResourceDecision>{r['EvalResourceDecision']}</EvalResourceDecision>"
            "<MatchedStatements/><MissingContextValues/></member>"
            for r in result["ResourceSpecificResults"])
        members.append(
            f"<member><EvalActionName>{escape(result['EvalActionName'])}</EvalActionName>"
            f"<EvalResourceName>{escape(result['EvalResourceName'])}</EvalResourceName>"
            f"<EvalDecision>{result['EvalDecision']}</EvalDecision>"
            f"<MatchedStatements/><MissingContextValues/>"
            f"<ResourceSpecificResults>{specific}</ResourceSpecificResults></member>")
    truncated = f"<IsTruncated>true</IsTruncated><Marker>{next_marker}</Marker>" if next_marker else (
        "<IsTruncated>false</IsTruncated>")
    return ('<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<SimulatePrincipalPolicyResult><EvaluationResults>{''.join(members)}</EvaluationResults>{truncated}"
            "</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>strata-emulator-simulate</RequestId>"
            "</ResponseMetadata></SimulatePrincipalPolicyResponse>")


def apply() -> None:
    from moto.iam.responses import IamResponse

    def simulate_principal_policy(self: IamResponse) -> Any:
        try:
            policies, context = principal_policies(self.backend, self._get_param("PolicySourceArn"))
        except SimulationError as error:
            from moto.iam.exceptions import InvalidInput, NoSuchEntity

            raise (NoSuchEntity if error.code == "NoSuchEntity" else InvalidInput)(error.message) from None
        max_items = self._get_param("MaxItems")
        results = simulate(policies, context, self._get_param("ActionNames") or [],
                           self._get_param("ResourceArns") or [])
        shown, next_marker = page(results, self._get_param("Marker"), int(max_items) if max_items else None)
        return render(shown, next_marker)

    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]

