"""The emulator's HTTP answers: headers and body leave together, DynamoDB's checksum holds.

Terraform's S3 backend (AWS SDK for Go v2) now and then abandoned a DynamoDB PutItem whose
headers reached it before the body (werkzeug wrote them in two sends) and retried it,
failing on its own lock (strata_emulator/patches/server_response_writes.py).
"""

from __future__ import annotations

import binascii
import json
import socket
import time
import uuid

import pytest
from moto.moto_server.werkzeug_app import MotoRequestHandler

from strata_emulator import patches

# Long enough that a second send cannot hide inside the first one's delivery.
HEADER_PAUSE = 0.3
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _host_port(endpoint: str) -> tuple[str, int]:
    host, port = endpoint.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _dynamodb_request(target: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        "POST / HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: DynamoDB_20120810.{target}\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/"
        "aws4_request, SignedHeaders=host, Signature=0\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "\r\n"
    )
    return head.encode() + payload


def _split(response: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return headers, body


def _exchange(endpoint: str, request: bytes) -> tuple[bytes, bytes]:
    """Send ``request``; return what the first read brought and the whole answer."""
    with socket.create_connection(_host_port(endpoint), timeout=10) as sock:
        sock.sendall(request)
        first = sock.recv(65536)
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    return first, first + rest


@pytest.fixture
def lock_table(aws_session):
    client = aws_session.client("dynamodb")
    name = f"locks-{uuid.uuid4().hex[:10]}"
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
    )
    yield name
    client.delete_table(TableName=name)


@pytest.fixture
def slow_after_headers(monkeypatch):
    """Stand for a serving thread descheduled right after it has written the headers."""
    original = MotoRequestHandler.end_headers

    def end_headers(self):
        original(self)
        time.sleep(HEADER_PAUSE)

    monkeypatch.setattr(MotoRequestHandler, "end_headers", end_headers)


def _put_lock(table: str, lock_id: str) -> bytes:
    return _dynamodb_request(
        "PutItem",
        {
            "TableName": table,
            "Item": {"LockID": {"S": lock_id}, "Info": {"S": '{"ID":"x"}'}},
            "ConditionExpression": "attribute_not_exists(LockID)",
        },
    )


def test_the_patch_is_applied_by_the_launcher():
    assert "server_response_writes" in patches.apply_all()


def test_a_conditional_put_item_answer_arrives_with_its_body(emulator_endpoint, lock_table, slow_after_headers):
    """The reported failure: the first read of the PutItem answer must hold the body."""
    first, whole = _exchange(emulator_endpoint, _put_lock(lock_table, "state/lock"))
    assert whole.startswith(b"HTTP/1.1 200")
    headers, body = _split(whole)
    assert body == b"{}"
    assert first == whole, f"the headers arrived alone: {first!r}"


def test_an_error_answer_arrives_with_its_body(emulator_endpoint, lock_table, slow_after_headers):
    _exchange(emulator_endpoint, _put_lock(lock_table, "state/taken"))
    first, whole = _exchange(emulator_endpoint, _put_lock(lock_table, "state/taken"))
    assert whole.startswith(b"HTTP/1.1 400")
    assert b"ConditionalCheckFailedException" in _split(whole)[1]
    assert first == whole, f"the headers arrived alone: {first!r}"


@pytest.mark.parametrize("repeat", [False, True], ids=["put", "conditional-failure"])
def test_dynamodb_answers_carry_the_crc32_of_their_exact_body(emulator_endpoint, lock_table, repeat):
    """The Go SDK checks X-Amz-Crc32 over the body bytes; ruled out as the cause, kept."""
    request = _put_lock(lock_table, f"crc/{uuid.uuid4().hex}")
    _, whole = _exchange(emulator_endpoint, request)
    if repeat:
        _, whole = _exchange(emulator_endpoint, request)
    headers, body = _split(whole)
    assert int(headers["content-length"]) == len(body)
    assert "content-encoding" not in headers
    assert int(headers["x-amz-crc32"]) == binascii.crc32(body)


def test_a_large_answer_still_arrives_whole(aws_session, lock_table):
    client = aws_session.client("dynamodb")
    value = "v" * 300_000  # larger than the write buffer
    client.put_item(TableName=lock_table, Item={"LockID": {"S": "big"}, "Info": {"S": value}})
    item = client.get_item(TableName=lock_table, Key={"LockID": {"S": "big"}})["Item"]
    assert item["Info"]["S"] == value


def test_expect_100_continue_is_answered_at_once(emulator_endpoint):
    """boto3's PutObject waits for ``100 Continue``: it must not sit in the write buffer."""
    host, port = _host_port(emulator_endpoint)
    bucket = f"continue-{uuid.uuid4().hex[:12]}"
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"PUT /{bucket} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n".encode())
        while sock.recv(65536):
            pass
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.sendall(
            f"PUT /{bucket}/k HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
            "Content-Length: 5\r\n\r\n".encode()
        )
        assert sock.recv(65536).startswith(CONTINUE)
        sock.sendall(b"hello")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    # werkzeug writes a second interim 100 of its own (as before the patch); clients skip 1xx.
    while answer.startswith(CONTINUE):
        answer = answer[len(CONTINUE):]
    assert answer.startswith(b"HTTP/1.1 200")

