"""tools/dev/iam_minimality.py: which actions of a policy the recorded runs needed. The
evaluation of a policy without one action, and on a real enforcing emulator: what the tool says
a run needed is what that run is refused without, and what it says is unneeded is not used."""
from __future__ import annotations

import json
import uuid

import boto3
import iam_minimality
import pytest
from botocore.exceptions import ClientError

from strata_emulator import iam_users
from strata_emulator.iam_arns import Check

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/strata-*"
USER = "arn:aws:iam::123456789012:user/strata-deploy-1"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Tables", "Effect": "Allow", "Resource": TABLE_ARN,
     "Action": ["dynamodb:CreateTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DescribeTable"]},
    {"Sid": "Account", "Effect": "Allow", "Resource": "*", "Action": "dynamodb:ListTables"},
    {"Sid": "PassRole", "Effect": "Allow", "Resource": "arn:aws:iam::*:role/strata-*", "Action": ["iam:PassRole"],
     "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
]}


def _record(principal, operation, *checks):
    return {"principal": principal, "operation": operation,
            "checks": [dict(action=a, resource=r, decision=d, **({"context": c} if c else {})) for a, r, d, c in checks]}


def test_policy_actions_and_a_policy_without_one():
    assert iam_minimality.policy_actions(POLICY) == [
        "dynamodb:CreateTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DescribeTable", "dynamodb:ListTables",
        "iam:PassRole"]
    reduced = iam_minimality.without_action(POLICY, "dynamodb:ListTables")
    assert [s["Sid"] for s in reduced["Statement"]] == ["Tables", "PassRole"]  # left with no action: dropped
    assert "dynamodb:PutItem" not in iam_minimality.without_action(POLICY, "dynamodb:PutItem")["Statement"][0]["Action"]
    assert POLICY["Statement"][0]["Action"][1] == "dynamodb:PutItem"  # the policy given is unchanged


def test_needed_unneeded_and_refused_by_the_policy():
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/strata-visits-local"
    role = "arn:aws:iam::123456789012:role/strata-counter"
    records = [
        _record(USER, "CreateTable", ("dynamodb:CreateTable", table, "allowed", None)),
        _record(USER, "PutItem", ("dynamodb:PutItem", table, "allowed", None)),
        _record(USER, "PutItem", ("dynamodb:PutItem", table, "allowed", None)),  # the same authorization again
        _record(USER, "CreateFunction", ("iam:PassRole", role, "allowed", {"iam:PassedToService": "lambda.amazonaws.com"})),
        # Refused, or granted to the administrator or to no one known: not what the user needed.
        _record(USER, "GetItem", ("dynamodb:GetItem", table, "implicit deny", None)),
        _record(f"arn:aws:iam::123456789012:user/{iam_users.ADMIN_USER}", "DescribeTable",
                ("dynamodb:DescribeTable", table, "allowed", None)),
        # Granted in the run, but this policy refuses it: the log is of another policy.
        _record(USER, "DeleteTable", ("dynamodb:DeleteTable", table, "allowed", None)),
    ]
    grants = iam_minimality.granted(records)
    assert len(grants) == 4
    findings = iam_minimality.report(POLICY, grants)
    assert set(findings["needed"]) == {"dynamodb:CreateTable", "dynamodb:PutItem", "iam:PassRole"}
    assert findings["needed"]["dynamodb:PutItem"] == {
        "requests": 1, "first": f"PutItem (dynamodb:PutItem on {table})"}
    assert findings["unneeded"] == ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:ListTables"]
    assert findings["refused_by_policy"] == [f"DeleteTable (dynamodb:DeleteTable on {table})"]
    text = iam_minimality.lines(findings, "policy.json")
    assert "  dynamodb:GetItem" + " " * 29 + " UNNEEDED: no recorded request needs it" in text
    assert text[-2].startswith("needed 3, unneeded 3: dynamodb:DescribeTable, dynamodb:GetItem, dynamodb:ListTables")
    # Only the principals asked for.
    assert iam_minimality.granted(records, "*:user/nobody-*") == []


def test_a_pass_role_whose_condition_no_longer_holds_is_refused():
    check = Check("iam:PassRole", "arn:aws:iam::1:role/strata-x", {"iam:PassedToService": "ec2.amazonaws.com"})
    grant = iam_minimality.Granted(check, USER, "RunInstances")
    assert iam_minimality.refused_now(POLICY, [grant]) == [grant]


def _dynamodb(endpoint, credentials):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=credentials.access_key_id, aws_secret_access_key=credentials.secret_access_key)


def _run(client, table):
    """The 'run': create a table and write an item."""
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "stat", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "stat", "AttributeType": "S"}])
    client.put_item(TableName=table, Item={"stat": {"S": "Quantity"}, "viewCount": {"N": "1"}})


def test_on_the_emulator_what_a_run_needs_it_is_refused_without(enforcing, tmp_path, capsys):
    endpoint, log = enforcing
    policy = {"Version": "2012-10-17", "Statement": POLICY["Statement"][:1]}
    policy_file = tmp_path / "strata-small.json"
    policy_file.write_text(json.dumps(policy))
    user = iam_users.create_user(endpoint, str(policy_file))
    _run(_dynamodb(endpoint, user), f"strata-visits-{uuid.uuid4().hex[:8]}")

    assert iam_minimality.main(["--policy", str(policy_file), "--log", str(log), "--principal", f"*:user/{user.user_name}",
                                "--json", str(tmp_path / "found.json")]) == 0
    findings = json.loads((tmp_path / "found.json").read_text())
    assert sorted(findings["needed"]) == ["dynamodb:CreateTable", "dynamodb:PutItem"], capsys.readouterr().out
    assert findings["unneeded"] == ["dynamodb:DescribeTable", "dynamodb:GetItem"]
    assert iam_minimality.main(["--policy", str(policy_file), "--log", str(log), "--principal", f"*:user/{user.user_name}",
                                "--fail-on-unneeded"]) == 1

    # The same run by a user without an action said to be needed fails at the request named.
    without = tmp_path / "strata-small-without-putitem.json"
    without.write_text(json.dumps(iam_minimality.without_action(policy, "dynamodb:PutItem")))
    with pytest.raises(ClientError) as refused:
        _run(_dynamodb(endpoint, iam_users.create_user(endpoint, str(without))), f"strata-visits-{uuid.uuid4().hex[:8]}")
    assert refused.value.operation_name == "PutItem"
    assert "not authorized to perform: dynamodb:PutItem" in str(refused.value)
    # ... and without one said to be unneeded, it passes.
    spare = tmp_path / "strata-small-without-getitem.json"
    spare.write_text(json.dumps(iam_minimality.without_action(policy, "dynamodb:GetItem")))
    _run(_dynamodb(endpoint, iam_users.create_user(endpoint, str(spare))), f"strata-visits-{uuid.uuid4().hex[:8]}")


def test_no_grant_in_the_logs_is_an_error_naming_what_to_do(tmp_path, capsys):
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "p.json").write_text(json.dumps(POLICY))
    assert iam_minimality.main(["--policy", str(tmp_path / "p.json"), "--log", str(tmp_path / "empty.jsonl")]) == 1
    assert "STRATA_EMULATOR_REQUEST_LOG" in capsys.readouterr().err


def test_a_grant_on_the_caller_itself_is_evaluated_with_its_user_name():
    from strata_emulator.patches.iam_enforcement import ALLOWED, evaluate

    arn = "arn:aws:iam::123456789012:user/strata-deploy-1a2b"
    granted = iam_minimality.Granted(Check("iam:SimulatePrincipalPolicy", arn), arn, "SimulatePrincipalPolicy")
    policy = {"Statement": [{"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy",
                             "Resource": "arn:aws:iam::*:user/${aws:username}"}]}
    assert evaluate([policy], granted.check, granted.context) == ALLOWED
