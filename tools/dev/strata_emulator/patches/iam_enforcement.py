"""IAM enforcement: check each request's real actions on its real resource ARNs.

moto 5.2.5 (server mode, ``INITIAL_NO_AUTH_ACTION_COUNT``) checks a signed request against
its IAM user's policies, but:

- every service other than S3 (and IAM/STS roles) is checked against the resource ``*``,
  so a statement scoped to ``table/strata-*`` or ``function:strata-*`` refuses even the
  table or function it names;
- the action is ``<signing name>:<API operation>``: CloudWatch's is ``monitoring:...``
  (AWS: ``cloudwatch:``), Budgets' ``budgets:CreateBudget`` (AWS: ``budgets:ModifyBudget``),
  API Gateway's ``apigateway:CreateApi`` (AWS: ``apigateway:POST`` on the resource path),
  CloudFront's carry an API version suffix, Lambda's Invoke is not ``lambda:InvokeFunction``;
- S3's action table names ``HeadBucket``, ``GetPublicAccessBlock`` and
  ``PutPublicAccessBlock`` (AWS: ``s3:ListBucket``, ``s3:GetBucketPublicAccessBlock``,
  ``s3:PutBucketPublicAccessBlock``) and lacks the encryption, ownership controls, Object
  Lock, request payment and replication sub-resources, whose requests it checks as
  ``s3:ListBucket`` (GET) or ``s3:CreateBucket`` (PUT); DeleteObjects is checked once as
  ``s3:DeleteObject`` on the bucket's ARN, not per object (``s3:DeleteObjectVersion`` for a
  version); a copy's source and ``s3:BypassGovernanceRetention`` are never checked;
- it never checks ``iam:PassRole`` (Lambda's CreateFunction passes a role);
- action names match case-sensitively and ``?`` is a regular expression; ``NotResource``
  is ignored; a statement whose condition does not hold yields a refusal (AWS: the
  statement does not apply); only ``StringEquals`` is evaluated;
- a signed GET or DELETE with parameters fails its signature check (moto signs its
  parsed query as the body: Lambda's GetFunction, API Gateway's GetApi);
- its refusals are 403s with an XML ``ErrorResponse`` whatever the protocol: a JSON
  service's client (boto3, the AWS SDK for Go) finds no error code in it, and the message
  names neither the resource nor why.

AWS (Service Authorization Reference; IAM policy evaluation logic): each request is
authorized as the actions and resources listed for its operation, every one of which must
be allowed and none explicitly denied. This patch computes them with
``strata_emulator.iam_arns.resolve`` for DynamoDB (tables, indexes, streams, exports,
imports), Lambda (functions, and ``iam:PassRole`` on the execution role), CloudWatch Logs
(log groups, log streams), CloudWatch (alarms), Budgets (budgets), API Gateway v2 (resource
paths), CloudFront (distributions, origin access controls), IAM (roles, users, policies),
STS and SNS (topics), and S3 (buckets and objects, per key for DeleteObjects) and evaluates
the caller's identity policies with AWS's rules: an explicit Deny wins, then an Allow whose
Action/NotAction, Resource/NotResource and Condition all match; wildcards ``*`` and ``?``;
actions case-insensitive. Condition operators evaluated: String(Not)Equals/Like,
Arn(Not)Equals/Like, Bool, Null (with ...IfExists); context keys: ``aws:SecureTransport``
(true: the emulator stands in for AWS's TLS endpoints), ``aws:RequestedRegion``,
``aws:PrincipalArn``, ``aws:username`` (a user's name), ``iam:PassedToService`` (on PassRole);
policy variables in Resource and NotResource (``${aws:username}``; ``${*}``, ``${?}``, ``${$}``)
take their value from that context, and one without a value makes its pattern match nothing,
as AWS does. A refusal answers in the
service's protocol, as AWS does: JSON services (DynamoDB, Logs, Budgets, CloudWatch over
JSON) HTTP 400 ``{"__type": "...#AccessDeniedException", "Message": ...}``; REST-JSON
(Lambda, API Gateway) 403 ``AccessDeniedException``; query (IAM, STS, CloudWatch) 403
``AccessDenied`` (SNS ``AuthorizationError``); CloudFront 403 ``AccessDenied``; S3 403
``AccessDenied``. The message is AWS's (S3's too, where moto said only ``Access Denied``): ``User: <arn> is not authorized to perform: <action> on
resource: <arn> because no identity-based policy allows the <action> action`` (or ``with an
explicit deny in an identity-based policy``).

What it cannot compute (checked against ``*``, so only a ``*`` statement allows them):
operations of other services and operations these resolvers do not name (a
``dynamodb:ListTables`` is ``*`` in AWS too; a Lambda layer or event source mapping is not);
DynamoDB Streams' GetRecords (its shard iterator names no stream); API Gateway tags are
named by the tagged resource's percent-encoded ARN, as AWS does. A DeleteObjects of which
one key is refused answers every key as refused (AWS deletes the allowed keys). Resource
policies (bucket policies are evaluated separately by moto and
``s3_bucket_policy``), permission boundaries, SCPs, session policies and tag-based
conditions (``aws:ResourceTag``) are not evaluated; an unknown condition operator makes
its statement not apply. Presigned S3 URLs and unsigned requests are refused while
enforcing.

Switching enforcement on and recording requests is the launcher's job
(``launcher.start_in_thread(enforce_iam=..., request_log=...)``): it marks each request
of its server with ``SERVER``. A server that sets nothing keeps moto's own switch
(``INITIAL_NO_AUTH_ACTION_COUNT``). While enforcing, the emulator's administrator
(``strata_emulator.iam_users.ADMIN_ACCESS_KEY_ID``) always exists.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from werkzeug.exceptions import HTTPException

from strata_emulator import iam_arns, iam_users
from strata_emulator.iam_arns import ANY, ApiRequest, Check

ALLOWED = "allowed"
IMPLICIT_DENY = "implicit deny"
EXPLICIT_DENY = "explicit deny"
UNCHECKED = "unchecked"

# The signing names whose IAM prefix differs.
_ACTION_PREFIX = {"monitoring": "cloudwatch"}


class RequestLog:
    """CloudTrail-like record of the requests a server answered: one JSON object per line
    (time, principal, service, operation, and each action with its resource, its condition keys
    and decision)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)


@dataclass(frozen=True)
class ServerIam:
    """How one emulator server treats IAM: enforce the caller's policies or not, and where
    to record each request's authorizations (None: nowhere)."""

    enforce: bool = False
    request_log: RequestLog | None = None


# Set by the launcher's WSGI wrapper for the requests of its server.
SERVER: contextvars.ContextVar[ServerIam | None] = contextvars.ContextVar("strata_emulator_iam", default=None)


# --- policy evaluation -------------------------------------------------------------------------


def _wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    expected_values = [str(v) for v in _as_list(expected)]
    if operator == "Null":
        return (key not in context) == (expected_values[0].lower() == "true")
    if key not in context:
        return if_exists
    actual = str(context[key])
    if operator in ("StringEquals", "ArnEquals"):
        return actual in expected_values
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() in {v.lower() for v in expected_values}
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return actual not in expected_values
    if operator in ("StringLike", "ArnLike"):
        return any(_wildcard(v, actual, ignore_case=False) for v in expected_values)
    if operator in ("StringNotLike", "ArnNotLike"):
        return not any(_wildcard(v, actual, ignore_case=False) for v in expected_values)
    if operator == "Bool":
        return actual.lower() in {v.lower() for v in expected_values}
    return False  # an operator this emulator does not evaluate: the statement does not apply


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "\0", "?": "\1", "$": "$"}  # ${*} and ${?} match the character itself


def _with_variables(pattern: str, context: Mapping[str, str]) -> str | None:
    """A Resource pattern with its policy variables (``${aws:username}``) replaced from the
    request's context; None when one has no value (the pattern then matches nothing)."""
    missing = False

    def value(found: re.Match[str]) -> str:
        nonlocal missing
        key = found.group(1)
        if key in _SPECIAL:
            return _SPECIAL[key]
        if key not in context:
            missing = True
            return ""
        return str(context[key]).replace("*", "\0").replace("?", "\1")
    replaced = _VARIABLE.sub(value, pattern)
    return None if missing else replaced


def _resource_matches(pattern: str, resource: str, context: Mapping[str, str]) -> bool:
    if pattern == "*":
        return True
    if "${" in pattern:
        replaced = _with_variables(pattern, context)
        if replaced is None:
            return False
        # A literal * or ? from a variable's value matches that character alone.
        regex = "".join(".*" if c == "*" else "." if c == "?" else "\\*" if c == "\0" else "\\?" if c == "\1"
                        else re.escape(c) for c in replaced)
        return re.fullmatch(regex, resource, re.DOTALL) is not None
    return _wildcard(pattern, resource, ignore_case=False)


def _statement_applies(statement: Mapping[str, Any], check: Check, context: Mapping[str, str]) -> bool:
    if "NotAction" in statement:
        if any(_wildcard(a, check.action, ignore_case=True) for a in _as_list(statement["NotAction"])):
            return False
    elif not any(_wildcard(a, check.action, ignore_case=True) for a in _as_list(statement.get("Action", []))):
        return False
    if "NotResource" in statement:
        if any(_resource_matches(r, check.resource, context) for r in _as_list(statement["NotResource"])):
            return False
    elif not any(_resource_matches(r, check.resource, context) for r in _as_list(statement.get("Resource", []))):
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        for key, expected in conditions.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def evaluate(policies: Iterable[Mapping[str, Any]], check: Check, context: Mapping[str, str]) -> str:
    """AWS's identity-policy evaluation of one (action, resource): an explicit Deny wins,
    then any Allow; nothing that applies is an implicit deny."""
    context = {**context, **check.context}
    allowed = False
    for policy in policies:
        for statement in _as_list(policy.get("Statement", [])):
            if not _statement_applies(statement, check, context):
                continue
            if statement.get("Effect") == "Deny":
                return EXPLICIT_DENY
            allowed = allowed or statement.get("Effect") == "Allow"
    return ALLOWED if allowed else IMPLICIT_DENY


def denial_message(principal: str, check: Check, decision: str) -> str:
    on = "" if check.resource == ANY else f" on resource: {check.resource}"
    why = ("with an explicit deny in an identity-based policy" if decision == EXPLICIT_DENY
           else f"because no identity-based policy allows the {check.action} action")
    return f"User: {principal} is not authorized to perform: {check.action}{on} {why}"


# --- refusals in each protocol -----------------------------------------------------------------

_JSON_SERVICES = frozenset({"dynamodb", "dynamodbstreams", "logs", "budgets"})
_REST_JSON_SERVICES = frozenset({"lambda", "apigatewayv2"})


class AccessDenied(HTTPException):
    """A refusal, rendered in the service's protocol."""

    def __init__(self, status: int, body: str, headers: Mapping[str, str]):
        super().__init__(description=body)
        self.code = status
        self.headers = dict(headers)


# moto's errors for a key it does not know or a signature that does not match are XML; JSON
# services name them otherwise.
_JSON_CREDENTIAL_ERRORS = {"InvalidClientTokenId": "UnrecognizedClientException",
                           "SignatureDoesNotMatch": "InvalidSignatureException"}


def _json_protocol(service: str, content_type: str) -> bool:
    return service in _JSON_SERVICES or (service == "cloudwatch" and "json" in content_type)


def denial(service: str, content_type: str, message: str, code: str = "AccessDeniedException") -> AccessDenied:
    """AWS's answer to a refused request of ``service`` (its request's Content-Type picks
    CloudWatch's protocol)."""
    request_id = "strata-emulator-access-denied"
    if _json_protocol(service, content_type):
        body = json.dumps({"__type": f"com.amazon.coral.service#{code}", "Message": message})
        return AccessDenied(400, body, {"Content-Type": content_type or "application/x-amz-json-1.0",
                                        "x-amzn-ErrorType": code,
                                        "x-amzn-RequestId": request_id})
    if service in _REST_JSON_SERVICES:
        key = "message" if service == "apigatewayv2" else "Message"
        payload = {key: message} if service == "apigatewayv2" else {"Type": "User", key: message}
        return AccessDenied(403, json.dumps(payload), {"Content-Type": "application/json",
                                                       "x-amzn-ErrorType": code,
                                                       "x-amzn-RequestId": request_id})
    code = "AuthorizationError" if service == "sns" else "AccessDenied"
    namespace = ' xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"' if service == "cloudfront" else ""
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse{namespace}><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return AccessDenied(403, body, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id})


# --- the request's parts ---------------------------------------------------------------------


def _flatten(querystring: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in querystring.items()}


def _params(response: Any) -> dict[str, Any]:
    """The operation's input: a JSON body, else the form or query, plus the URI's labels."""
    params: dict[str, Any] = {}
    body = response.body
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            body = ""
    # DynamoDB's handler parses its JSON body itself (``body`` is then a dict).
    parsed = body if isinstance(body, Mapping) else None
    if isinstance(body, str) and body.lstrip().startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    if isinstance(parsed, dict):
        params.update(parsed)
    else:
        params.update(_flatten(response.querystring))
    params.update(getattr(response, "uri_match", None) or {})
    return params


def _role_path(response: Any) -> Callable[[str], str]:
    def lookup(name: str) -> str:
        try:
            from moto.iam.models import iam_backends

            return str(iam_backends[response.current_account][response.partition].get_role(name).path or "/")
        except Exception:  # noqa: BLE001 - an unknown role keeps the default path
            return "/"
    return lookup


def api_request(response: Any, operation: str) -> ApiRequest:
    return ApiRequest(
        service=response.boto3_service_name if operation else "s3",
        operation=operation,
        method=response.method,
        path=response.raw_path.split("?", 1)[0],
        query=parse_qs(urlparse(response.uri).query, keep_blank_values=True),
        params=_params(response) if operation else {},
        headers=dict(response.headers.items()),
        region=response.region,
        account=response.current_account,
        lookup_role_path=_role_path(response),
    )


# --- authorization -----------------------------------------------------------------------------


def _enforcing(response: Any) -> bool:
    """The server's setting, else moto's own switch (INITIAL_NO_AUTH_ACTION_COUNT)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    server = SERVER.get()
    if server is not None:
        return server.enforce
    if ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return True
    ActionAuthenticatorMixin.request_count += 1
    return False


def _caller(response: Any, iam_request_cls: type, action: str, enforce: bool) -> Any:
    """moto's IAM request of the caller: it finds the user of the access key and, when
    enforcing, checks the signature. None when not enforcing and the key is no user's."""
    headers = response.headers
    if "Authorization" not in headers:
        return None
    parsed_url = urlparse(response.uri)
    path = response.raw_path + (f"?{parsed_url.query}" if parsed_url.query and "?" not in response.raw_path else "")
    # The signature covers the body as sent: moto passes its parsed query as the data (right
    # for a form, whose body werkzeug consumed), so a
    # GET whose URL carries parameters (Lambda's GetFunction) failed its own signature check.
    from moto.core.exceptions import ServiceException

    try:
        caller = iam_request_cls(account_id=response.current_account, method=response.method, path=path,
                                 data=response.data if response.form_data else {}, body=response.raw_body, headers=headers, action=action)
    except (HTTPException, ServiceException):
        # An unknown key: moto raises S3's refusals as ServiceException, the others' as HTTPException.
        if enforce:
            raise
        return None
    if enforce:
        caller.check_signature()
    return caller


def policy_documents(policies: Iterable[Any]) -> list[dict[str, Any]]:
    """The documents of moto's policy objects, as ``evaluate`` reads them."""
    from moto.iam.access_control import IAMPolicy

    return [IAMPolicy(policy)._policy_json for policy in policies]


def principal_context(principal: str, region: str | None = None) -> dict[str, str]:
    """The condition keys and policy variables every request of ``principal`` carries: a user's
    name too (``${aws:username}``), and the region when the request names one."""
    context = {"aws:SecureTransport": "true", "aws:PrincipalArn": principal}
    if region:
        context["aws:RequestedRegion"] = region
    if ":user/" in principal:
        context["aws:username"] = principal.rsplit("/", 1)[1]
    return context


def _policies(caller: Any) -> list[dict[str, Any]]:
    return policy_documents(caller._access_key.collect_policies())


def _authorize(response: Any, iam_request_cls: type, operation: str, checks: list[Check],
               refuse: Callable[[Any, Check, str], None]) -> None:
    """Evaluate every check for the caller, record them, and refuse the request when
    enforcing and one is not allowed."""
    server = SERVER.get()
    enforce = _enforcing(response)
    if not enforce and (server is None or server.request_log is None):
        return  # nothing to check, nothing to record
    if enforce:
        iam_users.ensure_admin(response.current_account, response.partition)
        if "Authorization" not in response.headers:
            _record(server, response, operation, "anonymous", [(c, IMPLICIT_DENY) for c in checks], enforce)
            refuse(None, checks[0] if checks else Check("*", ANY), IMPLICIT_DENY)
    try:
        caller = _caller(response, iam_request_cls, checks[0].action if checks else operation, enforce)
    except HTTPException as exc:
        service = response.boto3_service_name if operation else "s3"
        code = getattr(exc, "error_type", "")
        if code in _JSON_CREDENTIAL_ERRORS and (_json_protocol(service, response.headers.get("Content-Type", ""))
                                                or service in _REST_JSON_SERVICES):
            error = denial(service, response.headers.get("Content-Type", ""), str(getattr(exc, "message", code)),
                           _JSON_CREDENTIAL_ERRORS[code])
            response.response_headers.update(error.headers)
            raise error from None
        raise
    if caller is None:
        _record(server, response, operation, response.get_access_key(), [(c, UNCHECKED) for c in checks], enforce)
        return
    principal = caller._access_key.arn
    policies = _policies(caller)
    context = principal_context(principal, response.region)
    decisions = []
    for check in checks:
        # moto, like AWS, always answers sts:GetCallerIdentity.
        decision = ALLOWED if check.action == "sts:GetCallerIdentity" else evaluate(policies, check, context)
        decisions.append((check, decision))
    _record(server, response, operation, principal, decisions, enforce)
    if enforce:
        for check, decision in decisions:
            if decision != ALLOWED:
                refuse(caller, check, decision)


def _record(server: ServerIam | None, response: Any, operation: str, principal: str,
            decisions: list[tuple[Check, str]], enforce: bool) -> None:
    if server is None or server.request_log is None:
        return
    server.request_log.write({
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        "principal": principal,
        "service": response.boto3_service_name if operation else "s3",
        "operation": operation or f"{response.method} {response.raw_path.split('?', 1)[0]}",
        "enforced": enforce,
        "checks": [{"action": c.action, "resource": c.resource, "decision": d, **({"context": dict(c.context)} if c.context else {})}
                   for c, d in decisions],
    })


def _refuse_json(response: Any) -> Callable[[Any, Check, str], None]:
    def refuse(caller: Any, check: Check, decision: str) -> None:
        principal = caller._access_key.arn if caller is not None else "anonymous"
        error = denial(response.boto3_service_name, response.headers.get("Content-Type", ""),
                       denial_message(principal, check, decision))
        response.response_headers.update(error.headers)
        raise error
    return refuse


def _refuse_s3(caller: Any, check: Check, decision: str) -> None:
    """S3's AccessDenied, its message naming the caller, action and resource as AWS's does for
    a caller of the bucket's own account (moto's says only "Access Denied")."""
    from moto.s3.exceptions import S3AccessDeniedError, S3ClientError

    if caller is None:
        raise S3AccessDeniedError()
    raise S3ClientError("AccessDenied", denial_message(caller._access_key.arn, check, decision))


def apply() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequest, S3IAMRequest

    def authorize_normal(self: Any, resource: str = ANY) -> None:
        if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return
        operation = self._get_action()
        resolved = iam_arns.resolve(api_request(self, operation))
        if resolved is None:
            signing_name = _signing_name(self.headers.get("Authorization", "")) or self.boto3_service_name
            resolved = [Check(f"{_ACTION_PREFIX.get(signing_name, signing_name)}:{operation}", resource)]
        _authorize(self, IAMRequest, operation, resolved, _refuse_json(self))

    def authorize_s3(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        request = api_request(self, "")
        if request.method.upper() == "POST" and "delete" in request.query and key_name is None and bucket_name:
            per_key = iam_arns.s3_delete_objects_checks(
                bucket_name, _delete_objects(self.body),
                (request.header("x-amz-bypass-governance-retention") or "").lower() == "true")
            checks = [check for key_checks in per_key for check in key_checks]
        else:
            checks = iam_arns.s3_checks(request, bucket_name, key_name)
        _authorize(self, S3IAMRequest, "", checks, _refuse_s3)

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize_normal
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = authorize_s3


def _signing_name(authorization: str) -> str:
    """The service of a SigV4 credential scope (``Credential=<key>/<date>/<region>/<service>/...``)."""
    scope = authorization.partition("Credential=")[2].partition(",")[0].split("/")
    return scope[3] if len(scope) > 3 else ""


def _delete_objects(body: Any) -> list[dict[str, Any]]:
    import xmltodict

    try:
        parsed = xmltodict.parse(body, strip_whitespace=False)
    except Exception:  # noqa: BLE001 - moto answers MalformedXML itself
        return []
    objects = (parsed.get("Delete") or {}).get("Object", [])
    return objects if isinstance(objects, list) else [objects]

