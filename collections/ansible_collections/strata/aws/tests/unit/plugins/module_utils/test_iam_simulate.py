# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/iam_simulate.py without AWS: the principal of a caller, the simulation calls the
checks make, and the refused checks read from IAM's answers (both of its shapes)."""
from __future__ import annotations

import pytest

from ansible_collections.strata.aws.plugins.module_utils import iam_simulate

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/strata-tfstate-lock"
BUCKET = f"arn:aws:s3:::strata-tfstate-{ACCOUNT}"


@pytest.mark.parametrize("caller, expected", [
    (f"arn:aws:iam::{ACCOUNT}:user/ci", f"arn:aws:iam::{ACCOUNT}:user/ci"),
    (f"arn:aws:iam::{ACCOUNT}:user/teams/ci", f"arn:aws:iam::{ACCOUNT}:user/teams/ci"),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/strata-deployer/session-1", f"arn:aws:iam::{ACCOUNT}:role/strata-deployer"),
    (f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/deployer/bot@example.com", f"arn:aws-cn:iam::{ACCOUNT}:role/deployer"),
])
def test_the_principal_of_an_iam_user_or_an_assumed_role_session(caller, expected):
    assert iam_simulate.principal(caller) == (expected, "")


@pytest.mark.parametrize("caller, said", [
    (f"arn:aws:iam::{ACCOUNT}:root", "root user"),
    (f"arn:aws:sts::{ACCOUNT}:federated-user/bob", "federated user"),
    (f"arn:aws:sts::{ACCOUNT}:user/moto", "no IAM user or role"),
    ("", "unknown"),
])
def test_callers_that_are_no_iam_user_or_role_are_not_simulated(caller, said):
    principal, reason = iam_simulate.principal(caller)
    assert principal is None and said in reason


def test_checks_are_asked_once_in_their_order():
    checks = [{"action": "s3:GetObject", "resource": BUCKET}, {"action": "s3:PutObject", "resource": BUCKET},
              {"action": "s3:GetObject", "resource": BUCKET}]
    assert iam_simulate.unique_checks(checks) == [("s3:GetObject", BUCKET), ("s3:PutObject", BUCKET)]


def test_whole_resources_are_gathered_while_their_actions_fit_a_call():
    checks = [("s3:CreateBucket", BUCKET), ("s3:ListBucket", BUCKET), ("dynamodb:CreateTable", TABLE),
              ("sts:GetCallerIdentity", "*")]
    assert iam_simulate.batches(checks) == [(["s3:CreateBucket", "s3:ListBucket", "dynamodb:CreateTable",
                                              "sts:GetCallerIdentity"], [BUCKET, TABLE, "*"])]
    # Three actions a call: the table's action does not fit beside the bucket's two and one more.
    assert iam_simulate.batches(checks, max_actions=3) == [
        (["s3:CreateBucket", "s3:ListBucket", "dynamodb:CreateTable"], [BUCKET, TABLE]),
        (["sts:GetCallerIdentity"], ["*"])]
    # A resource with more actions than a call takes is split.
    many = [(f"s3:Action{i}", BUCKET) for i in range(5)]
    assert iam_simulate.batches(many, max_actions=2) == [
        (["s3:Action0", "s3:Action1"], [BUCKET]), (["s3:Action2", "s3:Action3"], [BUCKET]), (["s3:Action4"], [BUCKET])]
    # Whatever the size of a call, every check is in one.
    for wanted, size in ((checks, 1), (checks, 2), (many, 3)):
        asked = {(a, r) for actions, resources in iam_simulate.batches(wanted, size) for a in actions for r in resources}
        assert set(wanted) <= asked


def test_refused_reads_both_shapes_of_the_answer_and_names_the_policy_file():
    per_resource = [{"EvalActionName": "dynamodb:CreateTable", "EvalResourceName": "*", "EvalDecision": "implicitDeny",
                     "ResourceSpecificResults": [
                         {"EvalResourceName": TABLE, "EvalResourceDecision": "implicitDeny"},
                         {"EvalResourceName": BUCKET, "EvalResourceDecision": "implicitDeny"}]},
                    {"EvalActionName": "dynamodb:DescribeTable", "EvalResourceName": TABLE, "EvalDecision": "allowed",
                     "ResourceSpecificResults": [{"EvalResourceName": TABLE, "EvalResourceDecision": "allowed"}]}]
    flat = [{"EvalActionName": "s3:DeleteBucket", "EvalResourceName": BUCKET, "EvalDecision": "explicitDeny"}]
    found = iam_simulate.decisions(per_resource + flat)
    checks = [("dynamodb:CreateTable", TABLE), ("dynamodb:DescribeTable", TABLE), ("s3:DeleteBucket", BUCKET),
              ("s3:ListBucket", BUCKET)]
    assert iam_simulate.refused(checks, found) == [
        {"action": "dynamodb:CreateTable", "resource": TABLE, "decision": "implicitDeny",
         "policy": ["iam/strata-deploy.json"]},
        {"action": "s3:DeleteBucket", "resource": BUCKET, "decision": "explicitDeny", "policy": ["iam/strata-deploy.json"]},
        # Not in the answer: never taken as allowed.
        {"action": "s3:ListBucket", "resource": BUCKET, "decision": "not evaluated",
         "policy": ["iam/strata-readonly.json", "iam/strata-deploy.json"]},
    ]


class _PagingIam:
    """An IAM client answering one result per page, allowing everything but s3:PutObject."""

    def __init__(self):
        self.requests = []

    def simulate_principal_policy(self, **request):
        self.requests.append(dict(request))
        start = int(request.get("Marker", 0))
        action = request["ActionNames"][start]
        results = [{"EvalActionName": action, "EvalResourceName": "*",
                    "EvalDecision": "x", "ResourceSpecificResults": [
                        {"EvalResourceName": r, "EvalResourceDecision": "implicitDeny" if action == "s3:PutObject" else "allowed"}
                        for r in request["ResourceArns"]]}]
        more = start + 1 < len(request["ActionNames"])
        return {"EvaluationResults": results, "IsTruncated": more, **({"Marker": str(start + 1)} if more else {})}


def test_simulate_follows_the_pages_and_counts_the_calls():
    iam = _PagingIam()
    denied, calls = iam_simulate.simulate(iam, f"arn:aws:iam::{ACCOUNT}:user/ci",
                                          [("s3:GetObject", BUCKET + "/k"), ("s3:PutObject", BUCKET + "/k")])
    assert calls == 2 and [r.get("Marker") for r in iam.requests] == [None, "1"]
    assert [(d["action"], d["decision"]) for d in denied] == [("s3:PutObject", "implicitDeny")]
