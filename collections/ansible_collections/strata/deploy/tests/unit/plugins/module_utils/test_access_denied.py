# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy access_denied: AWS's refusals, as botocore and Terraform print them, parsed
into the action, the resource and the caller, and said with the policy file that grants it."""
from __future__ import annotations

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import access_denied as ad

USER = "arn:aws:iam::123456789012:user/strata-readonly"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/strata-tfstate-lock"
# Terraform's diagnostic as the AWS provider and the S3 backend print it (wrapped, as without a terminal).
TERRAFORM_LOCK = (
    "Error: Error acquiring the state lock\n\nError message: operation error DynamoDB: PutItem, https\n"
    "response error StatusCode: 400, RequestID: 7F3A, api error\nAccessDeniedException: User: " + USER + " is\n"
    "not authorized to perform: dynamodb:PutItem on resource:\n" + TABLE + "\nbecause no identity-based "
    "policy allows the dynamodb:PutItem action\n\nTerraform acquires a state lock to protect the state from being written\n")
TERRAFORM_S3 = ("Error: creating S3 Bucket (strata-site-dev): operation error S3: CreateBucket, https response "
                "error StatusCode: 403, RequestID: 1, HostID: 2, api error AccessDenied: Access Denied")
BOTOCORE = ("An error occurred (AccessDeniedException) when calling the Scan operation: User: " + USER
            + " is not authorized to perform: dynamodb:Scan on resource: \"arn:aws:dynamodb:us-east-1:123456789012:"
            "table/strata-visits-dev\" with an explicit deny in an identity-based policy")


def test_terraform_s_refused_lock_names_action_resource_and_caller():
    refusal = ad.parse(TERRAFORM_LOCK)
    assert refusal == {"action": "dynamodb:PutItem", "operation": "PutItem", "resource": TABLE, "principal": USER,
                       "explicit_deny": False, "code": "AccessDeniedException"}
    said = ad.message(refusal, "the bootstrap layer's terraform plan")
    assert said.startswith(f"AWS refused dynamodb:PutItem on {TABLE} to {USER} (AccessDeniedException) "
                           "during the bootstrap layer's terraform plan. iam/strata-deploy.json grants it: ")
    assert "iam/strata-readonly.json" not in said
    assert said.endswith("then run the same command again.")


def test_an_unnamed_action_is_taken_from_the_sdk_s_operation():
    refusal = ad.parse(TERRAFORM_S3)
    assert (refusal["action"], refusal["resource"], refusal["code"]) == ("s3:CreateBucket", "", "AccessDenied")
    assert ad.message(refusal).startswith("AWS refused s3:CreateBucket (AccessDenied). iam/strata-deploy.json grants it")


@pytest.mark.parametrize("service, operation, action", [
    ("CloudWatch Logs", "CreateLogGroup", "logs:CreateLogGroup"),
    ("ApiGatewayV2", "CreateApi", "apigateway:CreateApi"),
    ("IAM", "CreateRole", "iam:CreateRole"),
    ("CloudFront", "CreateDistribution", "cloudfront:CreateDistribution"),
])
def test_sdk_service_ids_become_iam_prefixes(service, operation, action):
    text = f"operation error {service}: {operation}, https response error StatusCode: 403, api error AccessDenied: no"
    assert ad.parse(text)["action"] == action


def test_botocore_s_refusal_with_an_explicit_deny_says_no_policy_file_can_override_it():
    refusal = ad.parse(BOTOCORE, code="AccessDeniedException", operation="Scan")
    assert refusal["action"] == "dynamodb:Scan" and refusal["explicit_deny"] is True
    assert refusal["resource"] == "arn:aws:dynamodb:us-east-1:123456789012:table/strata-visits-dev"
    said = ad.message(refusal)
    assert "An explicit Deny of another policy" in said and "lift the Deny" in said


def test_a_read_names_the_read_only_policy_too():
    refusal = ad.parse("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied")
    assert (refusal["action"], refusal["operation"], refusal["code"]) == ("", "GetObject", "AccessDenied")
    said = ad.message(refusal)
    assert said.startswith("AWS refused the GetObject call (AccessDenied). iam/strata-readonly.json "
                           "(and iam/strata-deploy.json) grants it")
    assert ad.policy_for("dynamodb:DescribeTable") == [ad.READONLY_POLICY, ad.DEPLOY_POLICY]
    assert ad.policy_for("dynamodb:DeleteItem") == [ad.DEPLOY_POLICY]


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"])
def test_each_refusal_code_is_one_even_when_the_message_names_nothing(code):
    refusal = ad.parse("You are not allowed.", code=code, operation="RunInstances")
    assert (refusal["code"], refusal["operation"], refusal["action"]) == (code, "RunInstances", "")
    assert ad.message(refusal).startswith(f"AWS refused the RunInstances call ({code}).")


@pytest.mark.parametrize("text, code", [
    ("An error occurred (ResourceNotFoundException) when calling the DescribeTable operation: no table", None),
    ("api error NoSuchBucket: The specified bucket does not exist", None),
    ("Requested resource not found", "ResourceNotFoundException"),
    ("", None),
    (None, None),
])
def test_other_errors_are_no_refusal(text, code):
    assert ad.parse(text, code=code) is None
