# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.iam_checks and iam_denied_message: the checks a playbook needs, from data shaped
as iam/actions.yml, made concrete for an environment; the refusal naming each denied action."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.strata.deploy.plugins.filter.iam import FilterModule, concrete_arn, iam_checks, iam_denied_message

ACCOUNT = "123456789012"
BUCKET_WRITES = ["s3:CreateBucket", "s3:DeleteBucket"]
ACTIONS = {
    "resources": {
        "account": {"arns": ["*"]},
        "caller": {"arns": ["arn:aws:iam::*:user/${aws:username}"]},
        "s3_buckets": {"arns": ["arn:aws:s3:::{project}-*"]},
        "s3_objects": {"arns": ["arn:aws:s3:::{project}-*/*"]},
        "dynamodb_tables": {"arns": ["arn:aws:dynamodb:*:*:table/{project}-*"]},
        "log_groups": {"arns": ["arn:aws:logs:*:*:log-group:/aws/lambda/{project}-*",
                                "arn:aws:logs:*:*:log-group:/aws/lambda/{project}-*:*"]},
        "cloudfront": {"arns": ["arn:aws:cloudfront::*:distribution/*"]},
        "budgets": {"arns": ["arn:aws:budgets::*:budget/{project}-*"]},
    },
    "roles": {
        "preflight": [{"resource": "account", "read": ["sts:GetCallerIdentity"]},
                      {"resource": "caller", "read": ["iam:SimulatePrincipalPolicy"]}],
        "validate_inventory": [],
        # A YAML alias of a list inside a list, as iam/actions.yml writes the bucket actions.
        "bootstrap": [{"resource": "s3_buckets", "read": ["s3:ListBucket"], "write": [BUCKET_WRITES, "s3:PutBucketAcl"]},
                      {"resource": "dynamodb_tables", "read": ["dynamodb:DescribeTable"], "write": ["dynamodb:CreateTable"]},
                      {"resource": "budgets", "read": ["budgets:ViewBudget"]}],
        "stateless": [{"resource": "log_groups", "write": ["logs:CreateLogGroup"]},
                      {"resource": "s3_buckets", "read": ["s3:ListBucket", "s3:GetBucketTagging"]},
                      {"resource": "cloudfront", "read": ["cloudfront:GetDistribution"]}],
        "site": [{"resource": "s3_objects", "read": ["s3:GetObject"], "write": ["s3:PutObject"]}],
    },
}
NAMES = {"s3_buckets": f"strata-tfstate-{ACCOUNT}", "dynamodb_tables": "strata-tfstate-lock"}


def _checks(access):
    return iam_checks(ACTIONS, access=access, project="strata", account=ACCOUNT, region="eu-west-1", env="dev", names=NAMES)


def test_write_checks_every_action_once_on_a_concrete_resource_of_its_kind():
    bucket = f"arn:aws:s3:::strata-tfstate-{ACCOUNT}"
    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/strata-tfstate-lock"
    assert _checks("write") == [
        {"action": "sts:GetCallerIdentity", "resource": "*"},
        {"action": "s3:ListBucket", "resource": bucket},
        {"action": "s3:CreateBucket", "resource": bucket},
        {"action": "s3:DeleteBucket", "resource": bucket},
        {"action": "s3:PutBucketAcl", "resource": bucket},
        {"action": "s3:GetBucketTagging", "resource": bucket},
        {"action": "dynamodb:DescribeTable", "resource": table},
        {"action": "dynamodb:CreateTable", "resource": table},
        {"action": "budgets:ViewBudget", "resource": f"arn:aws:budgets::{ACCOUNT}:budget/strata-dev"},
        {"action": "logs:CreateLogGroup", "resource": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/strata-dev"},
        {"action": "cloudfront:GetDistribution", "resource": f"arn:aws:cloudfront::{ACCOUNT}:distribution/dev"},
        {"action": "s3:GetObject", "resource": "arn:aws:s3:::strata-dev/dev"},
        {"action": "s3:PutObject", "resource": "arn:aws:s3:::strata-dev/dev"},
    ]


def test_read_checks_only_the_reads_and_leave_out_the_caller_itself():
    checks = _checks("read")
    assert [c["action"] for c in checks] == ["sts:GetCallerIdentity", "s3:ListBucket", "s3:GetBucketTagging",
                                             "dynamodb:DescribeTable", "budgets:ViewBudget", "cloudfront:GetDistribution",
                                             "s3:GetObject"]
    assert not any("${" in c["resource"] or c["action"] == "iam:SimulatePrincipalPolicy" for c in _checks("write"))


def test_a_name_given_replaces_the_pattern_from_the_project_on():
    # The state bucket named otherwise (strata_state_bucket) is checked as named: a policy scoped
    # to the project's names would not allow it, and neither would AWS.
    assert concrete_arn("arn:aws:s3:::{project}-*/*", "strata", ACCOUNT, "us-east-1", "dev", "shared-state/dev/key") == (
        "arn:aws:s3:::shared-state/dev/key")
    assert concrete_arn("arn:aws:apigateway:*::/apis/*", "strata", ACCOUNT, "us-east-1", "dev") == (
        "arn:aws:apigateway:us-east-1::/apis/dev")


@pytest.mark.parametrize("args, said", [
    ({"access": "admin"}, "access is 'admin', expected one of write, read"),
    ({"actions": {"roles": {}}}, "expected iam/actions.yml as data"),
    ({"actions": {"resources": {}, "roles": {"r": [{"resource": "tables"}]}}}, "names resource 'tables'"),
    ({"actions": {"resources": {"x": {"arns": ["bucket-*"]}}, "roles": {"r": [{"resource": "x", "read": ["s3:GetObject"]}]}}},
     "is not an ARN pattern"),
])
def test_bad_input_is_a_clear_error(args, said):
    actions = args.pop("actions", ACTIONS)
    with pytest.raises(AnsibleFilterError, match=said.replace("(", r"\(").replace(")", r"\)")):
        iam_checks(actions, **args)


def test_the_refusal_names_each_denied_action_the_policy_file_and_the_next_step():
    simulation = {"simulated": True, "principal": f"arn:aws:iam::{ACCOUNT}:user/ci", "denied": [
        {"action": "s3:CreateBucket", "resource": "arn:aws:s3:::strata-tfstate-1", "decision": "implicitDeny"},
        {"action": "dynamodb:CreateTable", "resource": "arn:aws:dynamodb:::table/t", "decision": "implicitDeny"}]}
    assert iam_denied_message(simulation) == (
        f"The IAM policies of arn:aws:iam::{ACCOUNT}:user/ci do not allow 2 actions this playbook needs (IAM's policy "
        "simulator, asked before anything is touched): s3:CreateBucket on arn:aws:s3:::strata-tfstate-1; "
        "dynamodb:CreateTable on arn:aws:dynamodb:::table/t. Nothing was changed. iam/strata-deploy.json grants them: "
        "attach that policy to the caller, or add the actions to the policy it holds (docs/least-privilege.md; make iam "
        "PROJECT=<name> writes the policies of another project name), then run the same command again.")


def test_reads_name_the_read_only_policy_and_an_explicit_deny_is_said():
    reads = {"denied": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "decision": "implicitDeny"}]}
    assert "iam/strata-readonly.json (and iam/strata-deploy.json) grants it" in iam_denied_message(reads)
    denied = {"denied": [{"action": "s3:DeleteBucket", "resource": "arn:aws:s3:::b", "decision": "explicitDeny"}]}
    said = iam_denied_message(denied)
    assert "s3:DeleteBucket on arn:aws:s3:::b (explicit Deny)" in said and "lift the Deny" in said
    assert "grants" not in said
    assert iam_denied_message({"simulated": True, "denied": []}) == ""


def test_the_filters_are_registered():
    assert FilterModule().filters() == {"iam_checks": iam_checks, "iam_denied_message": iam_denied_message}
