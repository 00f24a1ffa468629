"""S3 bucket policies: evaluate ``Bool`` conditions and ``aws:SecureTransport``.

Divergences (moto 5.2.x), when moto checks an object request against a bucket policy:
- it evaluates only ``StringEquals`` conditions and treats every other operator as
  matching, and it passes no request context;
- a statement whose condition does not hold yields DENIED, whatever its Effect.
A TLS-only policy -- ``Deny s3:* when {"Bool": {"aws:SecureTransport": "false"}}``, which
strata puts on every bucket -- so denies every object request (HeadObject answers 403 for
a missing key, GetObject 403 for every key), which AWS never does for HTTPS requests.

AWS: a statement applies only when all its conditions hold; the Bool operator compares
the context value case-insensitively; ``aws:SecureTransport`` is "true" for requests
made over TLS. All of strata's calls to AWS use TLS, and the emulator stands in for those
endpoints (reached over loopback), so its requests are evaluated as secure-transport
requests. A statement whose conditions do not hold is skipped, and so is one whose
condition names a key the request does not carry (AWS evaluates such a condition as
false); one that holds applies as before (an unconditional or matching Deny still denies).
"""
from __future__ import annotations

from moto.iam import policy_conditions
from moto.s3 import models

SECURE_TRANSPORT_CONTEXT = {"aws:SecureTransport": "true"}


def _bool_equals(expected, actual: str) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    return str(actual).lower() in {str(v).lower() for v in values}


def apply() -> None:
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult

    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool_equals)

    def get_permission(self, action: str, resource: str):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = IAMPolicy(self.policy.decode())._policy_json["Statement"]
        if isinstance(statements, dict):
            statements = [statements]
        permitted = False
        for statement in statements:
            evaluated = IAMPolicyStatement(statement)
            keys = {key for values in statement.get("Condition", {}).values() for key in values}
            if not keys <= SECURE_TRANSPORT_CONTEXT.keys() or not evaluated._check_conditions(SECURE_TRANSPORT_CONTEXT):
                continue
            result = evaluated.is_action_permitted(action, resource, None, SECURE_TRANSPORT_CONTEXT)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    models.FakeBucket.get_permission = get_permission
