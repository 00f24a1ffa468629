# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWS's refusals (AccessDenied), turned into the sentence a person should read: the action
refused, the resource, the policy file of strata that grants it, and the next step.

Pure functions over the text AWS returns, as botocore's ``ClientError`` carries it (its code
and message) or as Terraform prints it (``api error AccessDeniedException: User: ... is not
authorized to perform: dynamodb:PutItem on resource: arn:...``). strata.aws and strata.deploy
each keep this file (neither collection depends on the other); tests/unit/test_one_home.py
checks that the two copies are the same and that ``READ_VERBS`` is the one
tools/dev/iam_policies.py sorts iam/actions.yml's actions by. Standard library only.
"""
from __future__ import annotations

import re

# The error codes of a refusal by IAM, across services (S3: AccessDenied, JSON services:
# AccessDeniedException, EC2: UnauthorizedOperation; some services spell it otherwise).
CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
         "UnauthorizedException", "Forbidden")

# An action whose name starts so changes nothing: iam/strata-readonly.json grants it too.
READ_VERBS = ("Get", "List", "Describe", "View", "BatchGet", "Scan", "Query", "Simulate", "GET")

DEPLOY_POLICY = "iam/strata-deploy.json"
READONLY_POLICY = "iam/strata-readonly.json"

# "User: <arn> is not authorized to perform: <action> on resource: <arn> because ..." (AWS's
# wording; the resource may be quoted, may be absent, and "with an explicit deny" may follow).
_NOT_AUTHORIZED = re.compile(
    r"(?:User:\s*(?P<principal>\S+)\s+is\s+)?not\s+authorized\s+to\s+perform:?\s+(?P<action>[A-Za-z0-9-]+:[A-Za-z0-9*-]+)"
    r"(?:\s+on\s+resource:?\s+\"?(?P<resource>[^\s\"]+)\"?)?"
    r"(?P<rest>[^\n]*)"
)
# Terraform's AWS SDK names the call: "operation error DynamoDB: PutItem, https response error
# StatusCode: 403, ..., api error AccessDeniedException: ...".
_OPERATION = re.compile(r"operation error (?P<service>[A-Za-z0-9 ]+?): (?P<operation>[A-Za-z0-9]+)")
_API_ERROR = re.compile(r"api error (?P<code>[A-Za-z]+):")
# botocore's ClientError as text: "An error occurred (AccessDenied) when calling the GetObject operation: ...".
_BOTOCORE = re.compile(r"An error occurred \((?P<code>[A-Za-z]+)\) when calling the (?P<operation>[A-Za-z0-9]+) operation")
# The IAM prefix of a service, by the SDK's service ID (where the two differ in more than case).
_SERVICE_PREFIX = {
    "CloudWatch Logs": "logs",
    "ApiGatewayV2": "apigateway",
    "API Gateway": "apigateway",
    "Lambda": "lambda",
}


def is_access_denied(code):
    """Whether ``code`` (an AWS error code) is a refusal by IAM."""
    return str(code or "") in CODES


def is_read(action):
    """Whether ``action`` (``service:Name``, or an operation's ``Name``) changes nothing."""
    return bool(action) and action.split(":", 1)[-1].startswith(READ_VERBS)


def policy_for(action):
    """The policy files of strata that grant ``action``: both for a read (read-only runs need
    it), the deploy policy for a write."""
    return [READONLY_POLICY, DEPLOY_POLICY] if is_read(action) else [DEPLOY_POLICY]


def _action_from_operation(service, operation):
    prefix = _SERVICE_PREFIX.get(service.strip(), service.strip().replace(" ", "").lower())
    return f"{prefix}:{operation}"


def parse(message, code=None, operation=None):
    """The refusal in ``message`` as a dict (``action``, ``operation``, ``resource``,
    ``principal``, ``explicit_deny``, ``code``), or None when ``message`` is no refusal.

    ``code`` is the error code when the caller has it (botocore's ``ClientError``); without it,
    the message must say ``not authorized to perform`` or carry the code of a refusal as
    Terraform (``api error <code>:``) or botocore (``An error occurred (<code>) when calling
    the <Operation> operation``) print it. An action the message does not name is taken from
    Terraform's ``operation error <Service>: <Operation>``, else left empty with the call's
    name in ``operation`` (``operation``, or botocore's); so is an unnamed resource. Runs of
    white space count as one space (Terraform wraps its messages)."""
    text = " ".join(str(message or "").split())
    api_error = _API_ERROR.search(text)
    botocore = _BOTOCORE.search(text)
    code = code or (api_error.group("code") if api_error else botocore.group("code") if botocore else None)
    named = _NOT_AUTHORIZED.search(text)
    if not (is_access_denied(code) or named):
        return None
    called = _OPERATION.search(text)
    operation = (called.group("operation") if called else None) or operation or (
        botocore.group("operation") if botocore else "")
    if named:
        action, resource, principal = named.group("action"), named.group("resource") or "", named.group("principal") or ""
        explicit = "explicit deny" in (named.group("rest") or "")
    else:
        action = _action_from_operation(called.group("service"), called.group("operation")) if called else ""
        resource, principal, explicit = "", "", False
    return {"action": action, "operation": operation, "resource": resource.rstrip(".,"),
            "principal": principal.rstrip(":"), "explicit_deny": explicit, "code": code or "AccessDenied"}


def message(refusal, doing=None):
    """The sentence for a refusal (a dict from :func:`parse`): what was refused, on what, for
    whom, which of strata's policy files grants it and what to do next. ``doing`` says what
    strata was doing (``the stateful layer's terraform apply``)."""
    operation = refusal.get("operation")
    action = refusal.get("action") or (f"the {operation} call" if operation else "a call")
    what = f"AWS refused {action}"
    if refusal.get("resource"):
        what += f" on {refusal['resource']}"
    if refusal.get("principal"):
        what += f" to {refusal['principal']}"
    what += f" ({refusal.get('code') or 'AccessDenied'})"
    if doing:
        what += f" during {doing}"
    policies = policy_for(refusal.get("action") or operation)
    if refusal.get("explicit_deny"):
        step = ("An explicit Deny of another policy of the caller (or of an organization) refuses it: "
                f"{' and '.join(policies)} cannot override that; lift the Deny")
    else:
        grants = " (and " + policies[1] + ")" if len(policies) > 1 else ""
        step = (f"{policies[0]}{grants} grants it: attach that policy to the caller, or add the "
                f"action to the policy it holds (docs/least-privilege.md; make iam PROJECT=<name> "
                f"writes the policies of another project name)")
    return f"{what}. {step}, then run the same command again."
