"""Shared fixtures of every test (the project's and the collections'): a patched local AWS emulator (moto server) on a free port,
DynamoDB tables on it, and the visitor counter's table."""
from __future__ import annotations

import os
import socket
import uuid

import boto3
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def emulator_endpoint():
    """Start the project's emulator (moto server with strata's patches) in-process."""
    from strata_emulator import launcher

    server = launcher.start_in_thread("127.0.0.1", _free_port())
    endpoint = f"http://127.0.0.1:{server.port}"
    saved = {k: os.environ.get(k) for k in _AWS_ENV}
    os.environ.update(_AWS_ENV, AWS_ENDPOINT_URL=endpoint)
    try:
        yield endpoint
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.environ.pop("AWS_ENDPOINT_URL", None)
        server.stop()


_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture
def aws_session(emulator_endpoint):
    """A boto3 session whose clients talk to the emulator."""
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def make_dynamodb_table(aws_session):
    """Make PAY_PER_REQUEST tables on the emulator: ``make(prefix, hash_key=("stat", "S"),
    range_key=None)``, each key an ``(attribute, type)`` pair, creates ``<prefix>-<random>`` and
    returns its name. The tables are deleted afterwards."""
    client = aws_session.client("dynamodb")
    created = []

    def make(prefix, hash_key=("stat", "S"), range_key=None):
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        keys = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": n, "KeyType": kt} for (n, _unused), kt in keys],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for (n, t), _unused in keys],
        )
        created.append(name)
        return name

    yield make
    for name in created:
        client.delete_table(TableName=name)


@pytest.fixture
def visits_table(aws_session, make_dynamodb_table, monkeypatch):
    """Make visitor-counter tables for the Lambda handler: ``visits_table(count, origin)``
    creates a table keyed on ``stat`` whose counter item (Quantity, viewCount) holds ``count``,
    points the handler at it (TABLE_NAME, ALLOWED_ORIGIN ``origin``, default counter key and
    attribute) and returns its name. The tables are deleted afterwards."""
    client = aws_session.client("dynamodb")

    def create(count, origin):
        name = make_dynamodb_table("visits")
        client.put_item(TableName=name, Item={"stat": {"S": "Quantity"}, "viewCount": {"N": str(count)}})
        monkeypatch.setenv("TABLE_NAME", name)
        monkeypatch.setenv("ALLOWED_ORIGIN", origin)
        monkeypatch.delenv("COUNTER_KEY", raising=False)
        monkeypatch.delenv("COUNTER_ATTRIBUTE", raising=False)
        return name

    return create
