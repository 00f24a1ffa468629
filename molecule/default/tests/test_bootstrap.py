"""The bootstrap layer: the state bucket and lock table as AWS holds them."""
import json
import os

import pytest


@pytest.fixture(scope="module")
def s3(session):
    return session.client("s3")


def test_state_bucket_is_versioned(s3, state_bucket):
    assert s3.get_bucket_versioning(Bucket=state_bucket)["Status"] == "Enabled"


def test_state_bucket_is_encrypted(s3, state_bucket):
    rules = s3.get_bucket_encryption(Bucket=state_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_state_bucket_blocks_all_public_access(s3, state_bucket):
    config = s3.get_public_access_block(Bucket=state_bucket)["PublicAccessBlockConfiguration"]
    assert config == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_state_bucket_enforces_object_ownership(s3, state_bucket):
    rules = s3.get_bucket_ownership_controls(Bucket=state_bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_state_bucket_denies_insecure_transport(s3, state_bucket):
    policy = json.loads(s3.get_bucket_policy(Bucket=state_bucket)["Policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [
        f"arn:aws:s3:::{state_bucket}",
        f"arn:aws:s3:::{state_bucket}/*",
    ]


def test_noncurrent_versions_expire_for_every_object(s3, state_bucket):
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=state_bucket)["Rules"]}
    assert set(rules) == {"expire-noncurrent-versions", "expire-plan-bundles"}, rules
    rule = rules["expire-noncurrent-versions"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    # An empty filter covers every key, the .tflock lock files included.
    assert rule.get("Filter", {}).get("Prefix", "") == ""
    assert "Tag" not in rule.get("Filter", {}) and "And" not in rule.get("Filter", {})
    # Plan bundles written to the state bucket (playbooks/plan.yml) expire after plan_bundle_expire_days.
    plans = rules["expire-plan-bundles"]
    assert (plans["Status"], plans["Filter"].get("Prefix"), plans["Expiration"]["Days"]) == ("Enabled", "plans/", 7), plans


def test_bootstrap_state_lives_in_the_bucket(s3, state_bucket):
    body = s3.get_object(Bucket=state_bucket, Key="bootstrap/terraform.tfstate")["Body"].read()
    state = json.loads(body)
    types = {r["type"] for r in state["resources"]}
    assert {"aws_s3_bucket", "aws_dynamodb_table", "aws_s3_bucket_policy"} <= types


def test_no_resources_left_in_a_local_state_file(work_dir):
    path = os.path.join(work_dir, "bootstrap", "terraform.tfstate")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
        assert not text or json.loads(text).get("resources", []) == []


def test_lock_table_schema(session):
    table = session.client("dynamodb").describe_table(TableName="molecule-tfstate-lock")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"


def test_lock_table_has_point_in_time_recovery(session):
    backups = session.client("dynamodb").describe_continuous_backups(TableName="molecule-tfstate-lock")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
