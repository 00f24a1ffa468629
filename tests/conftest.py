"""Shared fixtures: a patched local AWS emulator (moto server) on a free port."""
from __future__ import annotations

import os
import socket

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
