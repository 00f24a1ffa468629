"""The stateful layer as AWS holds it: buckets, CloudFront with OAC, the visits table."""
import json

import pytest

SITE = "molecule-site-local"
LOGS = "molecule-logs-local"
TABLE = "molecule-visits-local"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


@pytest.fixture(scope="module")
def s3(session):
    return session.client("s3")


@pytest.fixture(scope="module")
def distribution(session, stateful_outputs):
    cloudfront = session.client("cloudfront")
    return cloudfront.get_distribution(Id=stateful_outputs["cloudfront_distribution_id"])["Distribution"]


def test_outputs_are_the_contract(stateful_outputs):
    assert {
        "cloudfront_domain", "cloudfront_distribution_id", "site_bucket_id", "logs_bucket_id",
        "dynamodb_table_name", "dynamodb_table_arn",
    } <= set(stateful_outputs)
    assert stateful_outputs["site_bucket_id"] == SITE
    assert stateful_outputs["logs_bucket_id"] == LOGS
    assert stateful_outputs["dynamodb_table_name"] == TABLE


@pytest.mark.parametrize("bucket", [SITE, LOGS])
def test_buckets_block_public_access_and_encrypt(s3, bucket):
    config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(config.values()) and len(config) == 4
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


@pytest.mark.parametrize("bucket", [SITE, LOGS])
def test_buckets_deny_insecure_transport(s3, bucket):
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_site_bucket_is_private_versioned_and_owner_enforced(s3):
    assert s3.get_bucket_versioning(Bucket=SITE)["Status"] == "Enabled"
    rules = s3.get_bucket_ownership_controls(Bucket=SITE)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_site_bucket_is_readable_only_by_its_distribution(s3, distribution):
    statements = json.loads(s3.get_bucket_policy(Bucket=SITE)["Policy"])["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allow) == 1
    [statement] = allow
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"] == f"arn:aws:s3:::{SITE}/*"
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution["ARN"]}}


def test_logs_bucket_accepts_cloudfront_log_delivery(s3, session):
    rules = s3.get_bucket_ownership_controls(Bucket=LOGS)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    grants = s3.get_bucket_acl(Bucket=LOGS)["Grants"]
    grantees = {g["Grantee"].get("ID") for g in grants if g["Permission"] == "FULL_CONTROL"}
    assert len(grantees) == 2  # the owner and CloudFront's log delivery account
    lifecycle = {rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=LOGS)["Rules"]}
    assert lifecycle["expire-access-logs"]["Status"] == "Enabled"
    assert lifecycle["expire-access-logs"]["Expiration"]["Days"] > 0


def test_site_and_logs_buckets_are_versioned_and_expire_old_versions(s3):
    """One private-bucket module for every bucket: the hardening no longer drifts between copies."""
    for bucket in (SITE, LOGS):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled", bucket
        rules = {rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
        assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90, bucket
        encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", bucket
        assert encryption["BucketKeyEnabled"] is True, bucket


def test_distribution_serves_the_site_bucket_through_oac(session, distribution):
    config = distribution["DistributionConfig"]
    [origin] = config["Origins"]["Items"]
    assert origin["DomainName"].startswith(f"{SITE}.s3.")
    assert origin["OriginAccessControlId"]
    oac = session.client("cloudfront").get_origin_access_control(Id=origin["OriginAccessControlId"])
    oac_config = oac["OriginAccessControl"]["OriginAccessControlConfig"]
    assert oac_config["OriginAccessControlOriginType"] == "s3"
    assert oac_config["SigningBehavior"] == "always" and oac_config["SigningProtocol"] == "sigv4"


def test_distribution_redirects_to_https_with_a_managed_cache_policy(distribution):
    config = distribution["DistributionConfig"]
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED
    assert config["DefaultRootObject"] == "index.html"
    assert config["Logging"]["Enabled"] is True
    assert config["Logging"]["Bucket"].startswith(f"{LOGS}.s3")
    assert config["PriceClass"] == "PriceClass_100"


def test_visits_table(session):
    dynamodb = session.client("dynamodb")
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "stat", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "stat", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    # The local inventory keeps the dev settings: no PITR, no deletion protection.
    assert table.get("DeletionProtectionEnabled") is False
    pitr = dynamodb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_terraform_holds_no_data(session, state_bucket):
    body = session.client("s3").get_object(Bucket=state_bucket, Key="local/stateful/terraform.tfstate")["Body"].read()
    types = {r["type"] for r in json.loads(body)["resources"]}
    assert "aws_dynamodb_table_item" not in types
    assert {"aws_s3_bucket", "aws_cloudfront_distribution", "aws_dynamodb_table"} <= types
