# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.iam_simulate run by ansible against an emulator enforcing IAM: a user holding the
read-only policy is told which writes it lacks (and the policy file granting them), a user holding
the deploy policy is allowed all, a user who may not simulate gets simulated=false and a reason,
and a caller that is no IAM user is not simulated."""
from __future__ import annotations

import json

import pytest

from ansible_adhoc import REPO, run_module

ACCOUNT = "123456789012"
CHECKS = [
    {"action": "s3:CreateBucket", "resource": f"arn:aws:s3:::strata-tfstate-{ACCOUNT}"},
    {"action": "s3:ListBucket", "resource": f"arn:aws:s3:::strata-tfstate-{ACCOUNT}"},
    {"action": "dynamodb:CreateTable", "resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/strata-tfstate-lock"},
    {"action": "dynamodb:DescribeTable", "resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/strata-tfstate-lock"},
    {"action": "sts:GetCallerIdentity", "resource": "*"},
]


@pytest.fixture(scope="module")
def enforcing():
    from strata_emulator import launcher

    server = launcher.start_in_thread("127.0.0.1", 0, enforce_iam=True)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def _as(endpoint, policy):
    from strata_emulator import iam_users

    user = iam_users.create_user(endpoint, str(policy))
    return user, {"endpoint_url": endpoint, "region": "us-east-1", "access_key": user.access_key_id,
                  "secret_key": user.secret_access_key}


def test_the_read_only_user_lacks_the_writes(enforcing, tmp_path):
    user, connection = _as(enforcing, REPO / "iam" / "strata-readonly.json")
    result = run_module(tmp_path, "strata.aws.iam_simulate", dict(connection, checks=CHECKS), check=True)
    assert result["simulated"] is True and result["changed"] is False, result
    assert result["principal"] == user.arn and result["calls"] == 1 and result["checked"] == 5
    assert result["denied"] == [
        {"action": "s3:CreateBucket", "resource": CHECKS[0]["resource"], "decision": "implicitDeny",
         "policy": ["iam/strata-deploy.json"]},
        {"action": "dynamodb:CreateTable", "resource": CHECKS[2]["resource"], "decision": "implicitDeny",
         "policy": ["iam/strata-deploy.json"]},
    ]
    assert user.secret_access_key not in json.dumps(result)


def test_the_deploy_user_is_allowed_all(enforcing, tmp_path):
    user, connection = _as(enforcing, REPO / "iam" / "strata-deploy.json")
    result = run_module(tmp_path, "strata.aws.iam_simulate", dict(connection, checks=CHECKS, caller_arn=user.arn))
    assert result["simulated"] is True and result["denied"] == [], result


def test_a_user_who_may_not_simulate_is_told_so(enforcing, tmp_path):
    policy = tmp_path / "no-simulate.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    user, connection = _as(enforcing, policy)
    result = run_module(tmp_path, "strata.aws.iam_simulate", dict(connection, checks=CHECKS))
    assert result.get("failed") is not True, result
    assert result["simulated"] is False and result["denied"] == []
    assert result["reason"] == f"the caller may not call iam:SimulatePrincipalPolicy on it: {user.arn} (AccessDenied)"


def test_a_caller_that_is_no_iam_user_is_not_simulated(enforcing, tmp_path):
    _user, connection = _as(enforcing, REPO / "iam" / "strata-deploy.json")
    result = run_module(tmp_path, "strata.aws.iam_simulate",
                        dict(connection, checks=CHECKS, caller_arn=f"arn:aws:iam::{ACCOUNT}:root"))
    assert result["simulated"] is False and "root user" in result["reason"] and result["calls"] == 0
