"""tools/dev/local_api.py: real HTTP requests through the runner to the handler and the emulator."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import local_api

REPO = Path(__file__).resolve().parents[2]
ORIGIN = "http://localhost:3000"


@pytest.fixture
def table(visits_table):
    return visits_table(count=0, origin=ORIGIN)


def _serve(site=None):
    server = local_api.make_server("127.0.0.1", 0, local_api.load_handler(local_api.DEFAULT_SOURCE), site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def api(table):
    server, thread = _serve()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def site_api(table):
    server, thread = _serve(REPO / "site")
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join()


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_post_then_get(api):
    status, headers, body = request(api, "POST", "/count", headers={"Origin": ORIGIN})
    assert status == 200
    assert json.loads(body) == {"count": 1}
    assert headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == ORIGIN

    request(api, "POST", "/count", body=b"{}", headers={"Content-Type": "application/json"})
    status, _, body = request(api, "GET", "/count?probe=1")
    assert (status, json.loads(body)) == (200, {"count": 2})


def test_concurrent_requests_all_count(aws_session, table, api):
    results = []

    def post():
        results.append(request(api, "POST", "/count")[0])

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 20
    item = aws_session.client("dynamodb").get_item(TableName=table, Key={"stat": {"S": "Quantity"}})["Item"]
    assert item["viewCount"] == {"N": "20"}


def test_errors_and_preflight_come_from_the_handler(api):
    status, headers, body = request(api, "DELETE", "/count")
    assert (status, headers["Allow"]) == (405, "GET, POST, OPTIONS")
    assert "not allowed" in json.loads(body)["error"]

    status, _, body = request(api, "GET", "/nowhere")
    assert status == 404
    assert json.loads(body)["error"].startswith("no such resource: /nowhere")

    status, headers, body = request(api, "OPTIONS", "/count", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert (status, body) == (204, b"")
    assert headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"


def test_event_is_payload_v2():
    event = local_api.build_event(
        "POST", "/count?a=1&b=2", {"Host": "h:1", "X-Tag": "a", "x-tag": "b", "Cookie": "k=v; j=w"},
        b"\xff\x00", "10.0.0.1")
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/count" and event["rawQueryString"] == "a=1&b=2"
    assert event["headers"]["x-tag"] == "a,b"
    assert event["cookies"] == ["k=v", "j=w"]
    assert event["requestContext"]["http"] == {
        "method": "POST", "path": "/count", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": ""}
    assert event["isBase64Encoded"] is True and event["body"] == "/wA="


def test_site_is_served_with_a_config_pointing_here(site_api):
    status, headers, body = request(site_api, "GET", "/")
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert b'src="config.js"' in body

    status, headers, body = request(site_api, "GET", "/config.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert body.decode() == f'window.STRATA_API_URL = "http://127.0.0.1:{site_api}";\n'

    status, headers, _ = request(site_api, "GET", "/styles.css")
    assert (status, headers["Content-Type"]) == (200, "text/css")

    status, _, body = request(site_api, "POST", "/count")
    assert (status, json.loads(body)) == (200, {"count": 1})

    status, _, _ = request(site_api, "GET", "/../pyproject.toml")
    assert status == 404


def test_command_line_serves_until_stopped(table, emulator_endpoint):
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "TABLE_NAME", "ALLOWED_ORIGIN")}
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tools" / "dev" / "local_api.py"), "--port", "0", "--table", table,
         "--endpoint-url", emulator_endpoint, "--region", "us-east-1", "--allowed-origin", ORIGIN],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        banner = proc.stdout.readline()
        port = int(banner.split("http://127.0.0.1:")[1].split("/")[0])
        status, headers, body = request(port, "POST", "/count")
        assert (status, json.loads(body)) == (200, {"count": 1})
        assert headers["Access-Control-Allow-Origin"] == ORIGIN
    finally:
        proc.terminate()
        proc.wait(timeout=10)
