"""The emulator enforcing IAM: the resource ARNs it computes (strata_emulator.iam_arns), its
policy evaluation, and users holding iam/strata-deploy.json or iam/strata-readonly.json on a
real enforcing emulator, refused outside the project's names and, read-only, refused writes."""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from strata_emulator import iam_arns, iam_users
from strata_emulator.iam_arns import ANY, ApiRequest, Check
from strata_emulator.patches import iam_enforcement

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "iam" / "strata-deploy.json"
READONLY = ROOT / "iam" / "strata-readonly.json"
ACCOUNT = "123456789012"
ASSUME_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


# What strata says of a refused call: the action (service:Name), the policy file that grants it.
REFUSED = re.compile(r"AWS refused ([a-z0-9-]+:[A-Za-z]+)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- the ARNs each request is authorized on ------------------------------------------------


@pytest.mark.parametrize("request_, expected", [
    (ApiRequest("dynamodb", "PutItem", params={"TableName": "strata-visits-local"}),
     [Check("dynamodb:PutItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/strata-visits-local")]),
    (ApiRequest("dynamodb", "BatchWriteItem", params={"RequestItems": {"a": [], "b": []}}),
     [Check("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/a"),
      Check("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/b")]),
    (ApiRequest("dynamodb", "ListTables"), [Check("dynamodb:ListTables", ANY)]),
    (ApiRequest("lambda", "GetFunction", method="GET", params={"FunctionName": "strata-f"}, region="eu-west-1"),
     [Check("lambda:GetFunction", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:strata-f")]),
    (ApiRequest("logs", "CreateLogGroup", params={"logGroupName": "/aws/lambda/strata-f"}),
     [Check("logs:CreateLogGroup", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/strata-f")]),
    (ApiRequest("cloudwatch", "DeleteAlarms", params={"AlarmNames.member.1": "strata-a", "AlarmNames.member.2": "b"}),
     [Check("cloudwatch:DeleteAlarms", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:strata-a"),
      Check("cloudwatch:DeleteAlarms", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:b")]),
    (ApiRequest("budgets", "CreateBudget", params={"AccountId": ACCOUNT, "Budget": {"BudgetName": "strata-monthly-cost"}}),
     [Check("budgets:ModifyBudget", f"arn:aws:budgets::{ACCOUNT}:budget/strata-monthly-cost")]),
    (ApiRequest("budgets", "DescribeBudget", params={"AccountId": ACCOUNT, "BudgetName": "strata-monthly-cost"}),
     [Check("budgets:ViewBudget", f"arn:aws:budgets::{ACCOUNT}:budget/strata-monthly-cost")]),
    (ApiRequest("apigatewayv2", "CreateApi", method="POST", path="/v2/apis"),
     [Check("apigateway:POST", "arn:aws:apigateway:us-east-1::/apis")]),
    (ApiRequest("apigatewayv2", "GetApi", method="GET", path="/v2/apis/abc123"),
     [Check("apigateway:GET", "arn:aws:apigateway:us-east-1::/apis/abc123")]),
    (ApiRequest("cloudfront", "GetDistribution2020_05_31", params={"Id": "E123"}),
     [Check("cloudfront:GetDistribution", f"arn:aws:cloudfront::{ACCOUNT}:distribution/E123")]),
    (ApiRequest("cloudfront", "CreateDistribution2020_05_31"),
     [Check("cloudfront:CreateDistribution", f"arn:aws:cloudfront::{ACCOUNT}:distribution/*")]),
    (ApiRequest("iam", "CreateRole", params={"RoleName": "strata-f", "Path": "/"}),
     [Check("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/strata-f")]),
    (ApiRequest("sns", "CreateTopic", params={"Name": "strata-alarms-local"}),
     [Check("sns:CreateTopic", f"arn:aws:sns:us-east-1:{ACCOUNT}:strata-alarms-local")]),
], ids=lambda v: v.operation if isinstance(v, ApiRequest) else "")
def test_resolve_names_the_action_and_resource_aws_authorizes(request_, expected):
    assert iam_arns.resolve(request_) == expected


def test_lambda_create_function_also_passes_its_role():
    role = f"arn:aws:iam::{ACCOUNT}:role/strata-f"
    checks = iam_arns.resolve(ApiRequest("lambda", "CreateFunction", params={"FunctionName": "strata-f", "Role": role}))
    assert checks == [Check("lambda:CreateFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:strata-f"),
                      Check("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"})]


def test_s3_sub_resources_and_delete_objects_are_checked_per_action_and_key():
    request = ApiRequest("s3", "", method="PUT", query={"publicAccessBlock": [""]})
    assert iam_arns.s3_checks(request, "strata-site", None) == [
        Check("s3:PutBucketPublicAccessBlock", "arn:aws:s3:::strata-site")]
    head = ApiRequest("s3", "", method="HEAD", query={"versionId": ["v1"]})
    assert iam_arns.s3_checks(head, "strata-site", "a/b") == [Check("s3:GetObjectVersion", "arn:aws:s3:::strata-site/a/b")]
    assert iam_arns.s3_delete_objects_checks("b", [{"Key": "k"}, {"Key": "v", "VersionId": "1"}], False) == [
        [Check("s3:DeleteObject", "arn:aws:s3:::b/k")], [Check("s3:DeleteObjectVersion", "arn:aws:s3:::b/v")]]


def test_services_not_covered_resolve_to_none():
    assert iam_arns.resolve(ApiRequest("ec2", "DescribeInstances")) is None
    assert {"dynamodb", "lambda", "logs", "cloudwatch", "budgets", "apigatewayv2", "cloudfront", "iam", "sns",
            "s3"} <= iam_arns.COVERED_SERVICES


# --- the evaluation -----------------------------------------------------------------------


def _policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_evaluation_explicit_deny_wins_and_wildcards_match():
    table = Check("dynamodb:PutItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/strata-visits")
    allow = _policy({"Effect": "Allow", "Action": "dynamodb:put*", "Resource": "arn:aws:dynamodb:*:*:table/strata-*"})
    deny = _policy({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert iam_enforcement.evaluate([allow], table, {}) == iam_enforcement.ALLOWED
    assert iam_enforcement.evaluate([allow, deny], table, {}) == iam_enforcement.EXPLICIT_DENY
    other = Check("dynamodb:PutItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/other-visits")
    assert iam_enforcement.evaluate([allow], other, {}) == iam_enforcement.IMPLICIT_DENY


def test_evaluation_conditions_and_not_resource():
    check = Check("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/strata-f", {"iam:PassedToService": "lambda.amazonaws.com"})
    to_ec2 = _policy({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                      "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}})
    assert iam_enforcement.evaluate([to_ec2], check, {}) == iam_enforcement.IMPLICIT_DENY
    not_strata = _policy({"Effect": "Allow", "Action": "iam:*", "NotResource": "arn:aws:iam::*:role/strata-*"})
    assert iam_enforcement.evaluate([not_strata], check, {}) == iam_enforcement.IMPLICIT_DENY


# --- a real enforcing emulator --------------------------------------------------------------


# enforcing: tests/unit/conftest.py


def _clients(endpoint, credentials):
    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id=credentials.access_key_id,
                            aws_secret_access_key=credentials.secret_access_key)
    return client


@pytest.fixture(scope="module")
def deploy(enforcing):
    return _clients(enforcing[0], iam_users.create_user(enforcing[0], str(DEPLOY)))


@pytest.fixture(scope="module")
def readonly(enforcing):
    return _clients(enforcing[0], iam_users.create_user(enforcing[0], str(READONLY)))


def _create_table(client, name):
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "stat", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "stat", "AttributeType": "S"}])


def _refused(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as refused:
        call(*args, **kwargs)
    return refused.value.response["Error"]


def test_deploy_user_creates_a_strata_table_and_is_refused_another(deploy):
    dynamodb = deploy("dynamodb")
    name = _unique("strata-visits")
    _create_table(dynamodb, name)
    assert dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    other = _unique("other-visits")
    error = _refused(_create_table, dynamodb, other)
    assert error["Code"] == "AccessDeniedException"
    assert f"dynamodb:CreateTable on resource: arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{other}" in error["Message"]


def test_deploy_user_creates_a_strata_bucket_and_object_and_is_refused_another(deploy):
    s3 = deploy("s3")
    bucket = _unique("strata-site")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<p>hello</p>")
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<p>hello</p>"
    other = _unique("other-site")
    error = _refused(s3.create_bucket, Bucket=other)
    assert error["Code"] == "AccessDenied"
    assert f"s3:CreateBucket on resource: arn:aws:s3:::{other}" in error["Message"]


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def test_deploy_user_creates_a_strata_function_and_is_refused_another(deploy):
    role_name = _unique("strata-visits-api")
    role = deploy("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=ASSUME_LAMBDA)["Role"]["Arn"]
    lambda_ = deploy("lambda")
    name = _unique("strata-visits-api")
    lambda_.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                            Code={"ZipFile": _zip()})
    assert lambda_.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    error = _refused(lambda_.create_function, FunctionName=_unique("other-api"), Runtime="python3.12", Role=role,
                     Handler="handler.handler", Code={"ZipFile": _zip()})
    assert "lambda:CreateFunction on resource: arn:aws:lambda:us-east-1" in error["Message"]
    assert "function:other-api" in error["Message"]
    # Passing a role outside the project's names is refused too (iam:PassRole).
    admin_iam = boto3.client("iam", endpoint_url=deploy("iam").meta.endpoint_url, region_name="us-east-1",
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    other_role = admin_iam.create_role(RoleName=_unique("other-role"), AssumeRolePolicyDocument=ASSUME_LAMBDA)
    error = _refused(lambda_.create_function, FunctionName=_unique("strata-api"), Runtime="python3.12",
                     Role=other_role["Role"]["Arn"], Handler="handler.handler", Code={"ZipFile": _zip()})
    assert "iam:PassRole on resource: " + other_role["Role"]["Arn"] in error["Message"]


def test_deploy_user_is_refused_log_groups_and_alarms_of_other_names(deploy):
    logs = deploy("logs")
    logs.create_log_group(logGroupName=f"/aws/lambda/{_unique('strata-api')}")
    error = _refused(logs.create_log_group, logGroupName="/aws/lambda/other-api")
    assert "logs:CreateLogGroup on resource:" in error["Message"]
    cloudwatch = deploy("cloudwatch")
    alarm = dict(MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60, EvaluationPeriods=1,
                 Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    cloudwatch.put_metric_alarm(AlarmName=_unique("strata-api-errors"), **alarm)
    error = _refused(cloudwatch.put_metric_alarm, AlarmName="other-errors", **alarm)
    assert f"cloudwatch:PutMetricAlarm on resource: arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:other-errors" in (
        error["Message"])


def test_readonly_user_reads_and_is_refused_writes(enforcing, readonly):
    admin = _clients(enforcing[0], iam_users.UserCredentials("admin", "", "testing", "testing"))
    table, bucket = _unique("strata-visits"), _unique("strata-site")
    _create_table(admin("dynamodb"), table)
    admin("s3").create_bucket(Bucket=bucket)
    dynamodb, s3 = readonly("dynamodb"), readonly("s3")
    assert dynamodb.describe_table(TableName=table)["Table"]["TableName"] == table
    assert dynamodb.scan(TableName=table)["Items"] == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    error = _refused(dynamodb.put_item, TableName=table, Item={"stat": {"S": "Quantity"}})
    assert "dynamodb:PutItem on resource:" in error["Message"]
    assert _refused(_create_table, dynamodb, _unique("strata-other"))["Code"] == "AccessDeniedException"
    assert _refused(s3.put_object, Bucket=bucket, Key="index.html", Body=b"x")["Code"] == "AccessDenied"
    assert _refused(s3.create_bucket, Bucket=_unique("strata-new"))["Code"] == "AccessDenied"


def test_unknown_keys_are_refused_and_requests_are_recorded(enforcing):
    endpoint, log = enforcing
    stranger = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="AKIANOBODY", aws_secret_access_key="nobody")
    # A JSON service's client reads the refusal's code, as from AWS.
    assert _refused(stranger.list_tables)["Code"] == "UnrecognizedClientException"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    refused = [c for r in records if r["enforced"] for c in r["checks"] if c["decision"] == iam_enforcement.IMPLICIT_DENY]
    assert any(c["action"] == "dynamodb:CreateTable" and f":{ACCOUNT}:table/other-visits-" in c["resource"]
               for c in refused)
    allowed = [c for r in records for c in r["checks"] if c["decision"] == iam_enforcement.ALLOWED]
    assert any(c["action"] == "dynamodb:CreateTable" and ":table/strata-visits-" in c["resource"] for c in allowed)


def test_cli_starts_an_enforcing_emulator_from_the_environment(tmp_path):
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tools" / "dev"), STRATA_EMULATOR_ENFORCE_IAM="1")

    def cli(*command):
        return subprocess.run([sys.executable, "-m", "strata_emulator", "--endpoint", endpoint, "--state-dir",
                               str(tmp_path), *command], env=env, capture_output=True, text=True, timeout=90,
                              check=False)

    started = cli("start")
    try:
        assert started.returncode == 0, started.stderr
        assert "IAM enforced" in started.stdout
        # The administrator (the local inventory's testing key) may do anything.
        admin = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                             aws_access_key_id="testing", aws_secret_access_key="testing")
        admin.create_bucket(Bucket=_unique("other-admin"))
        user = cli("user", "--policy", str(READONLY))
        assert user.returncode == 0, user.stderr
        key = user.stdout.splitlines()[0].removeprefix("export AWS_ACCESS_KEY_ID=")
        secret = user.stdout.splitlines()[1].removeprefix("export AWS_SECRET_ACCESS_KEY=")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                          aws_secret_access_key=secret)
        assert _refused(s3.create_bucket, Bucket=_unique("strata-ro"))["Code"] == "AccessDenied"
        # Starting again without enforcement is refused rather than silently keeping it.
        plain = subprocess.run([sys.executable, "-m", "strata_emulator", "--endpoint", endpoint, "--state-dir",
                                str(tmp_path), "start"], env={**env, "STRATA_EMULATOR_ENFORCE_IAM": ""},
                               capture_output=True, text=True, timeout=60, check=False)
        assert plain.returncode != 0 and "other options" in plain.stderr
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout


def test_make_emulator_user_prints_export_lines_of_a_scoped_user(enforcing):
    endpoint, _log = enforcing
    result = subprocess.run(["make", "--no-print-directory", "emulator-user", f"POLICY={DEPLOY}",
                             f"AWS_ENDPOINT_URL={endpoint}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False, env={k: v for k, v in os.environ.items()
                                                            if not k.startswith("AWS_")} | {"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    assert set(exports) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert exports["AWS_ACCESS_KEY_ID"] != "testing"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"])
    s3.create_bucket(Bucket=_unique("strata-make"))
    assert _refused(s3.create_bucket, Bucket=_unique("other-make"))["Code"] == "AccessDenied"
    assert "strata-deploy" in result.stderr


def test_make_emulator_user_without_policy_says_what_to_give():
    result = subprocess.run(["make", "--no-print-directory", "emulator-user"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "POLICY is empty" in result.stderr and "POLICY=iam/strata-deploy.json" in result.stderr


def test_a_missing_policy_file_is_a_clear_error():
    with pytest.raises(iam_users.PolicyError, match="does not exist"):
        iam_users.read_policy("iam/nope.json")


def test_cloudfront_creates_are_authorized_on_their_resource_type(deploy, readonly):
    config = {"Name": _unique("strata-site"), "SigningProtocol": "sigv4", "SigningBehavior": "always",
              "OriginAccessControlOriginType": "s3"}
    created = deploy("cloudfront").create_origin_access_control(OriginAccessControlConfig=config)
    ident = created["OriginAccessControl"]["Id"]
    assert readonly("cloudfront").get_origin_access_control(Id=ident)["OriginAccessControl"]["Id"] == ident
    error = _refused(readonly("cloudfront").create_origin_access_control,
                     OriginAccessControlConfig=dict(config, Name=_unique("strata-ro")))
    assert "cloudfront:CreateOriginAccessControl on resource: arn:aws:cloudfront::" in error["Message"]


def test_cli_writes_a_user_s_keys_to_a_file_only_its_owner_reads(enforcing, tmp_path):
    keys_file = tmp_path / "keys" / "readonly.json"
    result = subprocess.run([sys.executable, "-m", "strata_emulator", "--endpoint", enforcing[0], "user",
                             "--policy", str(READONLY), "--keys-file", str(keys_file)],
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "tools" / "dev")),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    keys = json.loads(keys_file.read_text())
    assert set(keys) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert keys["AWS_SECRET_ACCESS_KEY"] not in result.stdout + result.stderr
    assert keys_file.stat().st_mode & 0o777 == 0o600


# A deploy as a user holding only iam/strata-readonly.json (the keys in aws_extra_environment,
# from an extra-vars file, never on the command line): refused at its first write, naming the
# action and the policy file that grants it; nothing is created. The preflight's IAM check, which
# would refuse it earlier, is off here (tests/unit/test_preflight_iam_simulate.py tests it): this
# is the refusal at the failing task, as a caller who may not simulate meets it.
def test_readonly_user_is_refused_a_deploy_naming_the_action_and_the_policy_file(enforcing, tmp_path):
    endpoint = enforcing[0]
    user = iam_users.create_user(endpoint, str(READONLY))
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"aws_extra_environment": user.environment(), "strata_work_root": str(tmp_path / "work"),
                                 "project_name": "strata", "preflight_iam_simulate": False}))
    extra.chmod(0o600)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ENDPOINT_URL": endpoint,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(ROOT / "playbooks" / "deploy.yml"),
                             "-i", str(ROOT / "inventories" / "local"), "-e", f"@{extra}"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    refused = REFUSED.findall(said)
    # The bootstrap layer's first writes, refused whichever Terraform sends first.
    assert refused and set(refused) <= {"dynamodb:CreateTable", "s3:CreateBucket"}, said[-3000:]
    assert "iam/strata-deploy.json grants it: attach that policy to the caller" in said, said[-3000:]
    assert user.secret_access_key not in said
    admin = _clients(endpoint, iam_users.UserCredentials("admin", "", "testing", "testing"))
    assert f"strata-tfstate-{ACCOUNT}" not in [b["Name"] for b in admin("s3").list_buckets()["Buckets"]]
    assert "strata-tfstate-lock" not in admin("dynamodb").list_tables()["TableNames"]
