"""What AWS authorizes for a request: its IAM actions and the resource ARN of each.

AWS checks every request against the caller's policies as one or more (action, resource)
pairs named in the Service Authorization Reference: DynamoDB's ``PutItem`` on
``arn:aws:dynamodb:<region>:<account>:table/<name>``, S3's ``HeadObject`` as
``s3:GetObject`` on ``arn:aws:s3:::<bucket>/<key>``, API Gateway's ``CreateApi`` as
``apigateway:POST`` on ``arn:aws:apigateway:<region>::/apis``, a ``BatchWriteItem`` once per
table it names. An action that AWS authorizes on no resource type is checked against
``*``. ``resolve`` computes those pairs from a request's parts, for the services strata
uses; it returns ``None`` for the services it does not cover.

Pure functions over an ``ApiRequest``: the emulator's IAM patch
(``strata_emulator.patches.iam_enforcement``) builds one from each request moto serves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

PARTITION = "aws"
ANY = "*"


@dataclass(frozen=True)
class Check:
    """One authorization AWS makes for a request: ``action`` on ``resource``, with the
    request's condition keys (``context``) that the action's statements may test."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiRequest:
    """The parts of a request that decide what AWS authorizes.

    ``service`` is boto3's service name; ``operation`` the API operation (empty for S3,
    whose actions follow from method, query and headers); ``path`` the URL path as sent
    (percent-encoded); ``query`` the URL's query parameters; ``params`` the operation's
    input (a JSON body, a form, or the URI's labels); ``lookup_role_path`` gives an
    existing IAM role's path ("/" when unknown).
    """

    service: str
    operation: str
    method: str = "POST"
    path: str = "/"
    query: Mapping[str, list[str]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    account: str = "123456789012"
    lookup_role_path: Callable[[str], str] = field(default=lambda name: "/", compare=False)

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def first_query(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def resolve(request: ApiRequest) -> list[Check] | None:
    """The (action, resource) pairs AWS authorizes for ``request``; None when the service
    is not one this module covers."""
    resolver = _RESOLVERS.get(request.service)
    return None if resolver is None else resolver(request)


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def _listed(request: ApiRequest, name: str) -> list[str]:
    """A list parameter from a JSON body (``Names: [...]``) or a query/form
    (``Names.member.1``, ``Names.member.2``)."""
    value = request.params.get(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [value]
    members = sorted(
        ((int(key.rsplit(".", 1)[1]), values) for key, values in request.params.items()
         if re.fullmatch(rf"{re.escape(name)}\.member\.\d+", key)),
    )
    return [str(value) for _, value in members]


# --- DynamoDB ---------------------------------------------------------------------------

# Operations AWS authorizes on no resource type.
_DYNAMODB_ACCOUNT_WIDE = frozenset({
    "ListTables", "ListBackups", "ListExports", "ListImports", "ListGlobalTables",
    "ListContributorInsights", "DescribeLimits", "DescribeEndpoints",
    "DescribeReservedCapacity", "DescribeReservedCapacityOfferings",
})
_TRANSACT_ACTIONS = {"Get": "GetItem", "Put": "PutItem", "Update": "UpdateItem",
                     "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


def _dynamodb(request: ApiRequest) -> list[Check]:
    op = request.operation

    def table(name: str) -> str:
        return name if name.startswith("arn:") else _arn("dynamodb", request.region, request.account, f"table/{name}")

    if op in _DYNAMODB_ACCOUNT_WIDE:
        return [Check(f"dynamodb:{op}", ANY)]
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [Check(f"dynamodb:{op}", table(name)) for name in request.params.get("RequestItems") or {}]
    if op in ("TransactGetItems", "TransactWriteItems"):
        checks = []
        for item in request.params.get("TransactItems") or []:
            for kind, body in item.items():
                checks.append(Check(f"dynamodb:{_TRANSACT_ACTIONS.get(kind, kind)}", table(body["TableName"])))
        return checks
    if op in ("ListTagsOfResource", "TagResource", "UntagResource"):
        return [Check(f"dynamodb:{op}", str(request.params.get("ResourceArn", ANY)))]
    if op == "ExportTableToPointInTime":
        return [Check(f"dynamodb:{op}", str(request.params.get("TableArn", ANY)))]
    if op == "DescribeExport":
        return [Check(f"dynamodb:{op}", str(request.params.get("ExportArn", ANY)))]
    if op == "DescribeImport":
        return [Check(f"dynamodb:{op}", str(request.params.get("ImportArn", ANY)))]
    if op == "ImportTable":
        name = (request.params.get("TableCreationParameters") or {}).get("TableName")
        return [Check(f"dynamodb:{op}", table(name) if name else ANY)]
    name = request.params.get("TableName")
    if not name:
        return [Check(f"dynamodb:{op}", ANY)]
    resource = table(name)
    if op in ("Query", "Scan") and request.params.get("IndexName"):
        resource += f"/index/{request.params['IndexName']}"
    return [Check(f"dynamodb:{op}", resource)]


def _dynamodbstreams(request: ApiRequest) -> list[Check]:
    arn = request.params.get("StreamArn")
    return [Check(f"dynamodb:{request.operation}", str(arn) if arn else ANY)]


# --- Lambda -------------------------------------------------------------------------------

_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"}
_LAMBDA_ACCOUNT_WIDE = frozenset({"ListFunctions", "GetAccountSettings", "ListEventSourceMappings",
                                  "ListLayers", "ListCodeSigningConfigs", "CreateEventSourceMapping"})


def _lambda_function_arn(request: ApiRequest, name: str) -> str:
    """A function name, partial ARN (``<account>:function:<name>``) or ARN, as AWS's ARN."""
    name = unquote(name)
    if name.startswith("arn:"):
        return name
    if ":function:" in name:
        account, _, rest = name.partition(":function:")
        return _arn("lambda", request.region, account, f"function:{rest}")
    return _arn("lambda", request.region, request.account, f"function:{name}")


def _lambda(request: ApiRequest) -> list[Check]:
    op = request.operation
    action = f"lambda:{_LAMBDA_ACTIONS.get(op, op)}"
    if op in _LAMBDA_ACCOUNT_WIDE:
        return [Check(action, ANY)]
    if op in ("ListTags", "TagResource", "UntagResource"):
        resource = request.params.get("Resource") or request.params.get("ARN")
        return [Check(action, unquote(str(resource)) if resource else ANY)]
    name = request.params.get("FunctionName")
    if not name:
        return [Check(action, ANY)]
    function = _lambda_function_arn(request, str(name))
    qualifier = request.params.get("Qualifier") or request.first_query("Qualifier")
    if qualifier and function.count(":") == 6:
        function += f":{qualifier}"
    checks = [Check(action, function)]
    role = request.params.get("Role") if op in ("CreateFunction", "UpdateFunctionConfiguration") else None
    if role:
        # AWS also authorizes passing the execution role to Lambda (iam:PassRole).
        checks.append(Check("iam:PassRole", str(role), {"iam:PassedToService": "lambda.amazonaws.com"}))
    return checks


# --- CloudWatch Logs -----------------------------------------------------------------------

_LOGS_ACCOUNT_WIDE = frozenset({"DescribeLogGroups", "DescribeDestinations", "DescribeQueries",
                                "DescribeResourcePolicies", "DescribeExportTasks", "DescribeQueryDefinitions"})


def _logs(request: ApiRequest) -> list[Check]:
    op = request.operation
    action = f"logs:{op}"
    if op in _LOGS_ACCOUNT_WIDE:
        return [Check(action, ANY)]
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [Check(action, str(request.params.get("resourceArn", ANY)))]
    group = request.params.get("logGroupName") or request.params.get("logGroupIdentifier")
    if not group:
        return [Check(action, ANY)]
    group = str(group)
    if group.startswith("arn:"):
        group = group.split(":log-group:", 1)[1].removesuffix(":*")
    resource = _arn("logs", request.region, request.account, f"log-group:{group}")
    stream = request.params.get("logStreamName")
    if stream and op in ("CreateLogStream", "PutLogEvents", "DeleteLogStream", "GetLogEvents"):
        resource += f":log-stream:{stream}"
    return [Check(action, resource)]


# --- CloudWatch ----------------------------------------------------------------------------

_CLOUDWATCH_ACCOUNT_WIDE = frozenset({"DescribeAlarmsForMetric", "ListMetrics", "GetMetricData",
                                      "GetMetricStatistics", "PutMetricData", "ListDashboards"})


def _cloudwatch(request: ApiRequest) -> list[Check]:
    op = request.operation
    action = f"cloudwatch:{op}"

    def alarm(name: str) -> str:
        return _arn("cloudwatch", request.region, request.account, f"alarm:{name}")

    if op in _CLOUDWATCH_ACCOUNT_WIDE:
        return [Check(action, ANY)]
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [Check(action, str(request.param("ResourceARN", ANY)))]
    if op == "PutMetricAlarm" or op == "PutCompositeAlarm":
        return [Check(action, alarm(str(request.param("AlarmName"))))]
    names = _listed(request, "AlarmNames")
    if names:
        return [Check(action, alarm(name)) for name in names]
    if request.param("AlarmName"):
        return [Check(action, alarm(str(request.param("AlarmName"))))]
    prefix = request.param("AlarmNamePrefix") or ""
    return [Check(action, alarm(f"{prefix}*"))]


# --- AWS Budgets ---------------------------------------------------------------------------

_BUDGETS_VIEW = frozenset({"DescribeBudget", "DescribeBudgets", "DescribeNotificationsForBudget",
                           "DescribeSubscribersForNotification", "DescribeBudgetPerformanceHistory"})
_BUDGETS_MODIFY = frozenset({"CreateBudget", "UpdateBudget", "DeleteBudget", "CreateNotification",
                             "UpdateNotification", "DeleteNotification", "CreateSubscriber",
                             "UpdateSubscriber", "DeleteSubscriber"})


def _budgets(request: ApiRequest) -> list[Check]:
    op = request.operation
    account = str(request.params.get("AccountId") or request.account)
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [Check(f"budgets:{op}", str(request.params.get("ResourceARN", ANY)))]
    budget = (request.params.get("BudgetName")
              or (request.params.get("Budget") or {}).get("BudgetName")
              or (request.params.get("NewBudget") or {}).get("BudgetName")
              or "*")
    resource = f"arn:{PARTITION}:budgets::{account}:budget/{budget}"
    if op in _BUDGETS_VIEW:
        return [Check("budgets:ViewBudget", resource)]
    if op in _BUDGETS_MODIFY:
        checks = [Check("budgets:ModifyBudget", resource)]
        if op == "CreateBudget" and request.params.get("ResourceTags"):
            checks.append(Check("budgets:TagResource", resource))
        return checks
    return [Check(f"budgets:{op}", resource)]


# --- API Gateway (v2) ----------------------------------------------------------------------


def _apigatewayv2(request: ApiRequest) -> list[Check]:
    """API Gateway authorizes the HTTP method on the resource path (without ``/v2``)."""
    path = request.path.split("?", 1)[0]
    path = path.removeprefix("/v2") or "/"
    if path.startswith("/tags/"):
        # The tagged resource's ARN, percent-encoded, as AWS names it.
        path = "/tags/" + quote(unquote(path[len("/tags/"):]), safe="")
    return [Check(f"apigateway:{request.method.upper()}", f"arn:{PARTITION}:apigateway:{request.region}::{path.rstrip('/') or '/'}")]


# --- CloudFront ----------------------------------------------------------------------------

_CLOUDFRONT_ACCOUNT_WIDE = frozenset({"CreateDistribution", "CreateOriginAccessControl", "ListDistributions",
                                      "ListOriginAccessControls", "ListCachePolicies", "ListResponseHeadersPolicies",
                                      "ListOriginRequestPolicies", "CreateCachePolicy", "CreateFunction"})


def _cloudfront(request: ApiRequest) -> list[Check]:
    op = re.sub(r"20\d\d_\d\d_\d\d$", "", request.operation)
    account = request.account
    # A created distribution or origin access control has no ID yet: AWS authorizes the
    # create on its resource type (``distribution/*``), so a policy can name the type.
    new_distribution = f"arn:{PARTITION}:cloudfront::{account}:distribution/*"
    if op == "CreateDistributionWithTags":
        return [Check("cloudfront:CreateDistribution", new_distribution),
                Check("cloudfront:TagResource", new_distribution)]
    if op == "CreateDistribution":
        return [Check("cloudfront:CreateDistribution", new_distribution)]
    if op == "CreateOriginAccessControl":
        return [Check(f"cloudfront:{op}", f"arn:{PARTITION}:cloudfront::{account}:origin-access-control/*")]
    if op in _CLOUDFRONT_ACCOUNT_WIDE:
        return [Check(f"cloudfront:{op}", ANY)]
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [Check(f"cloudfront:{op}", request.first_query("Resource") or ANY)]
    ident = request.params.get("Id") or request.params.get("DistributionId")
    if not ident:
        return [Check(f"cloudfront:{op}", ANY)]
    kind = "origin-access-control" if "OriginAccessControl" in op else "distribution"
    return [Check(f"cloudfront:{op}", f"arn:{PARTITION}:cloudfront::{account}:{kind}/{ident}")]


# --- IAM and STS ---------------------------------------------------------------------------

_IAM_ACCOUNT_WIDE = frozenset({"ListRoles", "ListUsers", "ListPolicies", "ListGroups",
                               "GetAccountSummary", "ListAccountAliases", "ListInstanceProfiles"})


def _iam(request: ApiRequest) -> list[Check]:
    op = request.operation
    action = f"iam:{op}"
    account = request.account

    def iam_arn(kind: str, name: str, path: str = "/") -> str:
        return f"arn:{PARTITION}:iam::{account}:{kind}{path}{name}"

    if op in _IAM_ACCOUNT_WIDE:
        return [Check(action, ANY)]
    if op == "SimulatePrincipalPolicy" and request.param("PolicySourceArn"):
        # AWS authorizes it on the simulated user, group or role.
        return [Check(action, str(request.param("PolicySourceArn")))]
    role = request.param("RoleName")
    if role:
        path = request.param("Path") if op == "CreateRole" else request.lookup_role_path(str(role))
        return [Check(action, iam_arn("role", str(role), str(path or "/")))]
    user = request.param("UserName")
    if user:
        path = request.param("Path") if op == "CreateUser" else "/"
        return [Check(action, iam_arn("user", str(user), str(path or "/")))]
    if request.param("PolicyArn"):
        return [Check(action, str(request.param("PolicyArn")))]
    if op == "CreatePolicy" and request.param("PolicyName"):
        return [Check(action, iam_arn("policy", str(request.param("PolicyName")), str(request.param("Path") or "/")))]
    if request.param("GroupName"):
        return [Check(action, iam_arn("group", str(request.param("GroupName"))))]
    if request.param("InstanceProfileName"):
        return [Check(action, iam_arn("instance-profile", str(request.param("InstanceProfileName"))))]
    return [Check(action, ANY)]


def _sts(request: ApiRequest) -> list[Check]:
    op = request.operation
    if op in ("AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"):
        return [Check(f"sts:{op}", str(request.param("RoleArn") or ANY))]
    return [Check(f"sts:{op}", ANY)]


# --- SNS ----------------------------------------------------------------------------------

_SNS_ACCOUNT_WIDE = frozenset({"ListTopics", "ListSubscriptions", "Unsubscribe", "GetSubscriptionAttributes",
                               "SetSubscriptionAttributes", "CheckIfPhoneNumberIsOptedOut", "GetSMSAttributes"})


def _sns(request: ApiRequest) -> list[Check]:
    op = request.operation
    action = f"sns:{op}"
    if op in _SNS_ACCOUNT_WIDE:
        return [Check(action, ANY)]
    if op == "CreateTopic":
        return [Check(action, _arn("sns", request.region, request.account, str(request.param("Name"))))]
    arn = request.param("TopicArn") or request.param("ResourceArn")
    return [Check(action, str(arn) if arn else ANY)]


# --- S3 -----------------------------------------------------------------------------------

# Sub-resources (query parameters) of a bucket, per method: AWS's action for each.
_S3_BUCKET = {
    "GET": {
        "accelerate": "GetAccelerateConfiguration", "acl": "GetBucketAcl",
        "analytics": "GetAnalyticsConfiguration", "cors": "GetBucketCORS",
        "encryption": "GetEncryptionConfiguration",
        "intelligent-tiering": "GetIntelligentTieringConfiguration",
        "inventory": "GetInventoryConfiguration", "lifecycle": "GetLifecycleConfiguration",
        "location": "GetBucketLocation", "logging": "GetBucketLogging",
        "metrics": "GetMetricsConfiguration", "notification": "GetBucketNotification",
        "object-lock": "GetBucketObjectLockConfiguration",
        "ownershipControls": "GetBucketOwnershipControls", "policy": "GetBucketPolicy",
        "policyStatus": "GetBucketPolicyStatus", "publicAccessBlock": "GetBucketPublicAccessBlock",
        "replication": "GetReplicationConfiguration", "requestPayment": "GetBucketRequestPayment",
        "tagging": "GetBucketTagging", "versioning": "GetBucketVersioning", "website": "GetBucketWebsite",
        "versions": "ListBucketVersions", "uploads": "ListBucketMultipartUploads",
        "": "ListBucket",
    },
    "HEAD": {"": "ListBucket"},
    "PUT": {
        "accelerate": "PutAccelerateConfiguration", "acl": "PutBucketAcl",
        "analytics": "PutAnalyticsConfiguration", "cors": "PutBucketCORS",
        "encryption": "PutEncryptionConfiguration",
        "intelligent-tiering": "PutIntelligentTieringConfiguration",
        "inventory": "PutInventoryConfiguration", "lifecycle": "PutLifecycleConfiguration",
        "logging": "PutBucketLogging", "metrics": "PutMetricsConfiguration",
        "notification": "PutBucketNotification", "object-lock": "PutBucketObjectLockConfiguration",
        "ownershipControls": "PutBucketOwnershipControls", "policy": "PutBucketPolicy",
        "publicAccessBlock": "PutBucketPublicAccessBlock", "replication": "PutReplicationConfiguration",
        "requestPayment": "PutBucketRequestPayment", "tagging": "PutBucketTagging",
        "versioning": "PutBucketVersioning", "website": "PutBucketWebsite",
        "": "CreateBucket",
    },
    "DELETE": {
        "analytics": "PutAnalyticsConfiguration", "cors": "PutBucketCORS",
        "encryption": "PutEncryptionConfiguration",
        "intelligent-tiering": "PutIntelligentTieringConfiguration",
        "inventory": "PutInventoryConfiguration", "lifecycle": "PutLifecycleConfiguration",
        "metrics": "PutMetricsConfiguration", "ownershipControls": "PutBucketOwnershipControls",
        "policy": "DeleteBucketPolicy", "publicAccessBlock": "PutBucketPublicAccessBlock",
        "replication": "PutReplicationConfiguration", "tagging": "PutBucketTagging",
        "website": "DeleteBucketWebsite", "": "DeleteBucket",
    },
}
# Sub-resources of an object: (action, action when the request names a version).
_S3_OBJECT = {
    "GET": {
        "acl": ("GetObjectAcl", "GetObjectVersionAcl"),
        "tagging": ("GetObjectTagging", "GetObjectVersionTagging"),
        "attributes": ("GetObjectAttributes", "GetObjectVersionAttributes"),
        "retention": ("GetObjectRetention", "GetObjectRetention"),
        "legal-hold": ("GetObjectLegalHold", "GetObjectLegalHold"),
        "uploadId": ("ListMultipartUploadParts", "ListMultipartUploadParts"),
        "": ("GetObject", "GetObjectVersion"),
    },
    "HEAD": {"": ("GetObject", "GetObjectVersion")},
    "PUT": {
        "acl": ("PutObjectAcl", "PutObjectVersionAcl"),
        "tagging": ("PutObjectTagging", "PutObjectVersionTagging"),
        "retention": ("PutObjectRetention", "PutObjectRetention"),
        "legal-hold": ("PutObjectLegalHold", "PutObjectLegalHold"),
        "": ("PutObject", "PutObject"),
    },
    "DELETE": {
        "tagging": ("DeleteObjectTagging", "DeleteObjectVersionTagging"),
        "uploadId": ("AbortMultipartUpload", "AbortMultipartUpload"),
        "": ("DeleteObject", "DeleteObjectVersion"),
    },
    "POST": {
        "uploads": ("PutObject", "PutObject"), "uploadId": ("PutObject", "PutObject"),
        "restore": ("RestoreObject", "RestoreObject"), "select": ("GetObject", "GetObject"),
    },
}


def _subresource(table: Mapping[str, Any], query: Mapping[str, list[str]]) -> Any:
    for name, action in table.items():
        if name and name in query:
            return action
    return table.get("")


def s3_object_arn(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def s3_checks(request: ApiRequest, bucket: str | None, key: str | None) -> list[Check]:
    """S3's authorizations of a request to ``bucket`` (None: the service, ListBuckets) and
    ``key`` (None: a bucket request). A DeleteObjects request (POST ?delete) is authorized
    per key (``s3_delete_objects_checks``), not here."""
    method = request.method.upper()
    if not bucket:
        return [Check("s3:ListAllMyBuckets", ANY)]
    if key is None:
        action = _subresource(_S3_BUCKET.get(method, {}), request.query)
        if not action:
            return [Check(f"s3:{method}", f"arn:{PARTITION}:s3:::{bucket}")]
        checks = [Check(f"s3:{action}", f"arn:{PARTITION}:s3:::{bucket}")]
        if action == "CreateBucket" and (request.header("x-amz-bucket-object-lock-enabled") or "").lower() == "true":
            # A bucket created with Object Lock needs these two as well (S3 user guide).
            checks += [Check("s3:PutBucketObjectLockConfiguration", checks[0].resource),
                       Check("s3:PutBucketVersioning", checks[0].resource)]
        return checks
    versioned = "versionId" in request.query
    actions = _subresource(_S3_OBJECT.get(method, {}), request.query)
    if not actions:
        return [Check(f"s3:{method}", s3_object_arn(bucket, key))]
    resource = s3_object_arn(bucket, key)
    checks = [Check(f"s3:{actions[1] if versioned else actions[0]}", resource)]
    if method == "PUT" and not (request.query.keys() & _S3_OBJECT["PUT"].keys()):
        source = request.header("x-amz-copy-source")
        if source:
            source_path, _, source_query = unquote(source).lstrip("/").partition("?")
            source_bucket, _, source_key = source_path.partition("/")
            action = "GetObjectVersion" if "versionId=" in source_query else "GetObject"
            checks.append(Check(f"s3:{action}", s3_object_arn(source_bucket, source_key)))
        if request.header("x-amz-tagging") and not source:
            checks.append(Check("s3:PutObjectTagging", resource))
        if request.header("x-amz-acl") or any(k.lower().startswith("x-amz-grant-") for k in request.headers):
            checks.append(Check("s3:PutObjectAcl", resource))
        if request.header("x-amz-object-lock-mode") or request.header("x-amz-object-lock-retain-until-date"):
            checks.append(Check("s3:PutObjectRetention", resource))
        if request.header("x-amz-object-lock-legal-hold"):
            checks.append(Check("s3:PutObjectLegalHold", resource))
    if method == "DELETE" and (request.header("x-amz-bypass-governance-retention") or "").lower() == "true":
        checks.append(Check("s3:BypassGovernanceRetention", resource))
    return checks


def s3_delete_objects_checks(bucket: str, objects: Iterable[Mapping[str, Any]], bypass: bool) -> list[list[Check]]:
    """DeleteObjects: per key, DeleteObject (DeleteObjectVersion with a version id) on the
    object, and BypassGovernanceRetention when the request asks for it."""
    per_key = []
    for obj in objects:
        resource = s3_object_arn(bucket, str(obj.get("Key")))
        action = "s3:DeleteObjectVersion" if obj.get("VersionId") else "s3:DeleteObject"
        checks = [Check(action, resource)]
        if bypass:
            checks.append(Check("s3:BypassGovernanceRetention", resource))
        per_key.append(checks)
    return per_key


_RESOLVERS: dict[str, Callable[[ApiRequest], list[Check]]] = {
    "dynamodb": _dynamodb,
    "dynamodbstreams": _dynamodbstreams,
    "lambda": _lambda,
    "logs": _logs,
    "cloudwatch": _cloudwatch,
    "budgets": _budgets,
    "apigatewayv2": _apigatewayv2,
    "cloudfront": _cloudfront,
    "iam": _iam,
    "sts": _sts,
    "sns": _sns,
}

COVERED_SERVICES = frozenset(_RESOLVERS) | {"s3"}
