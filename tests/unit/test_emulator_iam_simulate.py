"""The emulator's iam:SimulatePrincipalPolicy (strata_emulator.patches.iam_simulate): a user's
policies decided per action and resource as the enforcing emulator decides requests, asked with
boto3 on a real enforcing emulator; and policy variables (${aws:username}) in its evaluation."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from strata_emulator import iam_users
from strata_emulator.iam_arns import ApiRequest, Check
from strata_emulator import iam_arns
from strata_emulator.patches import iam_enforcement, iam_simulate

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/strata-visits-local"
OTHER_TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/other-visits"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:*:*:table/strata-*"},
    {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": "arn:aws:iam::*:user/${aws:username}"},
]}


def _client(endpoint, key, secret):
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret)


@pytest.fixture(scope="module")
def users(enforcing, tmp_path_factory):
    """Two users holding POLICY, and one holding a policy without iam:SimulatePrincipalPolicy."""
    directory = tmp_path_factory.mktemp("policies")
    policy = directory / "simulating.json"
    policy.write_text(json.dumps(POLICY))
    bare = directory / "bare.json"
    bare.write_text(json.dumps({"Version": "2012-10-17", "Statement": POLICY["Statement"][:1]}))
    endpoint = enforcing[0]
    return (iam_users.create_user(endpoint, str(policy)), iam_users.create_user(endpoint, str(policy)),
            iam_users.create_user(endpoint, str(bare)))


def _decisions(answer):
    return {(r["EvalActionName"], s["EvalResourceName"]): s["EvalResourceDecision"]
            for r in answer["EvaluationResults"] for s in r["ResourceSpecificResults"]}


def test_a_user_simulates_its_own_policies_per_action_and_resource(enforcing, users):
    me = users[0]
    iam = _client(enforcing[0], me.access_key_id, me.secret_access_key)
    answer = iam.simulate_principal_policy(PolicySourceArn=me.arn, ActionNames=[
        "dynamodb:GetItem", "dynamodb:CreateTable", "dynamodb:DeleteTable"], ResourceArns=[TABLE, OTHER_TABLE])
    assert _decisions(answer) == {
        ("dynamodb:GetItem", TABLE): "allowed", ("dynamodb:GetItem", OTHER_TABLE): "implicitDeny",
        ("dynamodb:CreateTable", TABLE): "implicitDeny", ("dynamodb:CreateTable", OTHER_TABLE): "implicitDeny",
        ("dynamodb:DeleteTable", TABLE): "explicitDeny", ("dynamodb:DeleteTable", OTHER_TABLE): "explicitDeny"}
    # One result per action, its decision the most restrictive over the resources.
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in answer["EvaluationResults"]] == [
        ("dynamodb:GetItem", "implicitDeny"), ("dynamodb:CreateTable", "implicitDeny"),
        ("dynamodb:DeleteTable", "explicitDeny")]
    assert answer["IsTruncated"] is False


def test_results_are_paged(enforcing, users):
    me = users[0]
    iam = _client(enforcing[0], me.access_key_id, me.secret_access_key)
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"]
    first = iam.simulate_principal_policy(PolicySourceArn=me.arn, ActionNames=actions, ResourceArns=[TABLE], MaxItems=2)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    rest = iam.simulate_principal_policy(PolicySourceArn=me.arn, ActionNames=actions, ResourceArns=[TABLE],
                                         MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    assert [r["EvalDecision"] for r in first["EvaluationResults"] + rest["EvaluationResults"]] == [
        "allowed", "allowed", "implicitDeny"]


def test_a_user_may_simulate_itself_only_and_only_when_granted(enforcing, users):
    me, other, bare = users
    iam = _client(enforcing[0], me.access_key_id, me.secret_access_key)
    # ${aws:username} is the caller's own name: another user's policies are refused.
    with pytest.raises(ClientError) as refused:
        iam.simulate_principal_policy(PolicySourceArn=other.arn, ActionNames=["dynamodb:GetItem"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert f"iam:SimulatePrincipalPolicy on resource: {other.arn}" in refused.value.response["Error"]["Message"]
    bare_iam = _client(enforcing[0], bare.access_key_id, bare.secret_access_key)
    with pytest.raises(ClientError) as refused:
        bare_iam.simulate_principal_policy(PolicySourceArn=bare.arn, ActionNames=["dynamodb:GetItem"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_an_unknown_principal_is_no_such_entity(enforcing):
    admin = _client(enforcing[0], iam_users.ADMIN_ACCESS_KEY_ID, iam_users.ADMIN_SECRET_ACCESS_KEY)
    with pytest.raises(ClientError) as refused:
        admin.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/nobody-{uuid.uuid4().hex[:6]}",
                                        ActionNames=["s3:GetObject"])
    assert refused.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as refused:
        admin.simulate_principal_policy(PolicySourceArn=f"arn:aws:sts::{ACCOUNT}:user/moto", ActionNames=["s3:GetObject"])
    assert refused.value.response["Error"]["Code"] == "InvalidInput"


def test_a_role_s_policies_are_simulated(enforcing):
    admin = _client(enforcing[0], iam_users.ADMIN_ACCESS_KEY_ID, iam_users.ADMIN_SECRET_ACCESS_KEY)
    name = f"strata-deployer-{uuid.uuid4().hex[:6]}"
    role = admin.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}))
    admin.put_role_policy(RoleName=name, PolicyName="tables", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": POLICY["Statement"][:1]}))
    answer = admin.simulate_principal_policy(PolicySourceArn=role["Role"]["Arn"], ActionNames=["dynamodb:PutItem"],
                                             ResourceArns=[TABLE])
    assert _decisions(answer) == {("dynamodb:PutItem", TABLE): "allowed"}


def test_the_call_is_authorized_on_the_simulated_principal():
    arn = f"arn:aws:iam::{ACCOUNT}:user/ci"
    assert iam_arns.resolve(ApiRequest("iam", "SimulatePrincipalPolicy", params={"PolicySourceArn": arn})) == [
        Check("iam:SimulatePrincipalPolicy", arn)]


def test_policy_variables_take_the_caller_s_values():
    policy = {"Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}]}
    mine = Check("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/ci")
    assert iam_enforcement.evaluate([policy], mine, {"aws:username": "ci"}) == iam_enforcement.ALLOWED
    assert iam_enforcement.evaluate([policy], mine, {"aws:username": "other"}) == iam_enforcement.IMPLICIT_DENY
    # No value (a role's session has no aws:username): the pattern matches nothing.
    assert iam_enforcement.evaluate([policy], mine, {}) == iam_enforcement.IMPLICIT_DENY
    # A value holding * matches that character only, not every name.
    assert iam_enforcement.evaluate([policy], mine, {"aws:username": "*"}) == iam_enforcement.IMPLICIT_DENY


def test_simulate_takes_the_most_restrictive_decision_and_pages():
    results = iam_simulate.simulate([POLICY], {}, ["dynamodb:PutItem"], [TABLE, OTHER_TABLE])
    assert results[0]["EvalDecision"] == "implicitDeny" and results[0]["EvalResourceName"] == "*"
    assert iam_simulate.page(list(range(5)), None, 2) == ([0, 1], "2")
    assert iam_simulate.page(list(range(5)), "4", 2) == ([4], "")
