"""What the molecule scenario's checks share: boto3 clients on the scenario's emulator."""
from __future__ import annotations

import json
import os

import boto3
import pytest

PROJECT = "molecule"
ENV = "local"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def session():
    assert os.environ.get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL must point at the scenario's emulator"
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


@pytest.fixture(scope="session")
def account_id(session):
    return session.client("sts").get_caller_identity()["Account"]


@pytest.fixture(scope="session")
def state_bucket(account_id):
    return f"{PROJECT}-tfstate-{account_id}"


@pytest.fixture(scope="session")
def work_dir():
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "work", f"{PROJECT}-{ENV}")


@pytest.fixture(scope="session")
def stateful_outputs(session, state_bucket):
    """The stateful layer's outputs, read from its state in the bucket."""
    body = session.client("s3").get_object(Bucket=state_bucket, Key=f"{ENV}/stateful/terraform.tfstate")["Body"].read()
    return {name: output["value"] for name, output in json.loads(body)["outputs"].items()}


@pytest.fixture(scope="session")
def stateless_outputs(session, state_bucket):
    body = session.client("s3").get_object(Bucket=state_bucket, Key=f"{ENV}/stateless/terraform.tfstate")["Body"].read()
    return {name: output["value"] for name, output in json.loads(body)["outputs"].items()}
