"""The stateless layer as AWS holds it: Lambda, least-privilege role, HTTP API, alarms."""
import json

import pytest

TABLE = "molecule-visits-local"


@pytest.fixture(scope="module")
def function(session, stateless_outputs):
    return session.client("lambda").get_function(FunctionName=stateless_outputs["lambda_function_name"])


def test_lambda_configuration(function, stateful_outputs):
    config = function["Configuration"]
    assert config["Runtime"] == "python3.12"
    assert config["Handler"] == "app.handler"
    variables = config["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == TABLE
    assert variables["ALLOWED_ORIGIN"] == f"https://{stateful_outputs['cloudfront_domain']}"


def test_role_allows_only_the_counter_actions_on_its_table(session, function, stateful_outputs):
    iam = session.client("iam")
    role_name = function["Configuration"]["Role"].rsplit("/", 1)[-1]
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        statements += document["Statement"]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    actions, resources = set(), set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for key, into in (("Action", actions), ("Resource", resources)):
            value = statement[key]
            into.update([value] if isinstance(value, str) else value)
    dynamodb_actions = {a for a in actions if a.startswith("dynamodb:")}
    assert dynamodb_actions == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert {a for a in actions if a.startswith("logs:")} <= {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert stateful_outputs["dynamodb_table_arn"] in resources
    assert not any("*" == a or a.endswith(":*") for a in actions)
    assert "*" not in resources


def test_api_routes_reach_the_lambda(session, stateless_outputs, function):
    api = session.client("apigatewayv2")
    api_id = stateless_outputs["api_id"]
    assert api.get_api(ApiId=api_id)["ProtocolType"] == "HTTP"
    routes = {r["RouteKey"]: r for r in api.get_routes(ApiId=api_id)["Items"]}
    assert {"GET /count", "POST /count"} <= set(routes)
    for key in ("GET /count", "POST /count"):
        integration_id = routes[key]["Target"].split("/")[-1]
        integration = api.get_integration(ApiId=api_id, IntegrationId=integration_id)
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert function["Configuration"]["FunctionArn"] in integration["IntegrationUri"]
    stage = api.get_stage(ApiId=api_id, StageName="$default")
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_log_group_has_retention(session, stateless_outputs):
    groups = session.client("logs").describe_log_groups(logGroupNamePrefix=stateless_outputs["log_group_name"])["logGroups"]
    assert groups and groups[0]["retentionInDays"] > 0


def test_alarms_watch_errors_and_throttles(session):
    alarms = session.client("cloudwatch").describe_alarms()["MetricAlarms"]
    metrics = {(a["Namespace"], a["MetricName"]) for a in alarms if a["AlarmName"].startswith("molecule-")}
    assert ("AWS/Lambda", "Errors") in metrics
    assert ("AWS/DynamoDB", "ThrottledRequests") in metrics


def test_site_is_uploaded_with_the_api_url(session, stateful_outputs, stateless_outputs):
    s3 = session.client("s3")
    bucket = stateful_outputs["site_bucket_id"]
    index = s3.get_object(Bucket=bucket, Key="index.html")
    assert index["ContentType"].startswith("text/html")
    config = s3.get_object(Bucket=bucket, Key="config.js")
    assert "javascript" in config["ContentType"]
    assert stateless_outputs["api_url"] in config["Body"].read().decode()
