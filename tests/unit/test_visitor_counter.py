"""The visitor counter Lambda handler, in-process against the emulator's DynamoDB."""
from __future__ import annotations

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from visitor_counter import app

ORIGIN = "https://d111111abcdef8.cloudfront.net"


def event(method="POST", path="/count", stage="$default"):
    """A minimal API Gateway HTTP API payload-2.0 event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"origin": ORIGIN},
        "requestContext": {"http": {"method": method, "path": path}, "stage": stage},
        "isBase64Encoded": False,
    }


def body(response):
    return json.loads(response["body"])


@pytest.fixture
def table(visits_table):
    """A visits table with the counter at 41, configured for the handler."""
    return visits_table(count=41, origin=ORIGIN)


def stored_count(aws_session, table, key="Quantity", attribute="viewCount"):
    item = aws_session.client("dynamodb").get_item(
        TableName=table, Key={"stat": {"S": key}}, ConsistentRead=True)["Item"]
    return int(item[attribute]["N"])


def assert_json_with_cors(response):
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Access-Control-Allow-Origin"] == ORIGIN


def test_post_increments_and_returns_the_new_count(aws_session, table):
    response = app.handler(event("POST"), None)
    assert response["statusCode"] == 200
    assert body(response) == {"count": 42}
    assert_json_with_cors(response)
    assert stored_count(aws_session, table) == 42


def test_get_reads_without_incrementing(aws_session, table):
    for _ in range(3):
        response = app.handler(event("GET"), None)
        assert response["statusCode"] == 200
        assert body(response) == {"count": 41}
        assert_json_with_cors(response)
    assert stored_count(aws_session, table) == 41


def test_fifty_concurrent_increments_end_exactly_fifty_higher(aws_session, table):
    start = threading.Barrier(50)

    def increment(_):
        start.wait()
        return app.handler(event("POST"), None)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(increment, range(50)))

    assert [r["statusCode"] for r in responses] == [200] * 50
    assert sorted(body(r)["count"] for r in responses) == list(range(42, 92))
    assert stored_count(aws_session, table) == 91


def test_counter_item_is_created_when_absent_and_names_are_configurable(aws_session, table, monkeypatch):
    monkeypatch.setenv("COUNTER_KEY", "Downloads")
    monkeypatch.setenv("COUNTER_ATTRIBUTE", "hits")
    assert body(app.handler(event("GET"), None)) == {"count": 0}
    assert body(app.handler(event("POST"), None)) == {"count": 1}
    assert stored_count(aws_session, table, key="Downloads", attribute="hits") == 1
    assert stored_count(aws_session, table) == 41


def test_stage_prefix_and_trailing_slash_are_accepted(table):
    assert body(app.handler(event("GET", "/dev/count", stage="dev"), None)) == {"count": 41}
    assert body(app.handler(event("GET", "/count/"), None)) == {"count": 41}


def test_preflight(table):
    response = app.handler(event("OPTIONS"), None)
    assert response["statusCode"] == 204
    assert response["body"] == ""
    assert response["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert response["headers"]["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert "Content-Type" in response["headers"]["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD"])
def test_other_methods_are_refused(aws_session, table, method):
    response = app.handler(event(method), None)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, POST, OPTIONS"
    assert body(response) == {"error": f"method {method} not allowed on /count; use GET or POST"}
    assert_json_with_cors(response)
    assert stored_count(aws_session, table) == 41


@pytest.mark.parametrize("path", ["/", "/counts", "/count/extra", "/admin"])
def test_unknown_paths_are_not_found(table, path):
    response = app.handler(event("POST", path), None)
    assert response["statusCode"] == 404
    assert body(response)["error"].startswith(f"no such resource: {path.rstrip('/') or '/'}")
    assert_json_with_cors(response)


@pytest.mark.parametrize("bad_event", [
    None,
    "POST /count",
    {},
    {"requestContext": {}},
    {"requestContext": {"http": {"path": "/count"}}},
    {"requestContext": {"http": {"method": "POST", "path": 3}}},
    {"requestContext": {"http": {"method": "POST", "path": "count"}}},
])
def test_malformed_events_are_bad_requests(table, bad_event):
    response = app.handler(bad_event, None)
    assert response["statusCode"] == 400
    assert body(response)["error"].startswith("malformed request")
    assert_json_with_cors(response)


def test_missing_table_is_a_json_5xx_that_leaks_nothing(table, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "no-such-visits-table")
    for method in ("GET", "POST"):
        response = app.handler(event(method), None)
        assert response["statusCode"] == 502
        assert body(response) == {"error": "the counter store is unavailable"}
        assert "no-such-visits-table" not in response["body"]
        assert_json_with_cors(response)


def test_non_numeric_counter_is_a_5xx(aws_session, table):
    aws_session.client("dynamodb").put_item(
        TableName=table, Item={"stat": {"S": "Quantity"}, "viewCount": {"S": "many"}})
    for method in ("GET", "POST"):
        response = app.handler(event(method), None)
        assert response["statusCode"] == 502
        assert "error" in body(response)


def test_unreachable_dynamodb_is_a_503(table, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setattr(app, "_client", None)

    response = app.handler(event("POST"), None)

    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"
    assert body(response) == {"error": "the counter store did not answer; try again shortly"}
    assert str(closed_port) not in response["body"]


def test_missing_configuration_is_a_500(table, monkeypatch):
    monkeypatch.delenv("TABLE_NAME")
    response = app.handler(event("GET"), None)
    assert response["statusCode"] == 500
    assert body(response) == {"error": "the counter is not configured"}
