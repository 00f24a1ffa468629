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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make(target, endpoint, table, port, page_dir):
    """``make <target>`` as a user runs it, pointed at the in-process emulator, a free port and a
    pid directory of the test's own."""
    return subprocess.run(
        ["make", "--no-print-directory", target, f"AWS_ENDPOINT_URL={endpoint}", f"LOCAL_PAGE_TABLE={table}",
         f"LOCAL_PAGE_PORT={port}", f"LOCAL_PAGE_DIR={page_dir}"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_make_local_page_serves_the_page_in_the_background_until_stopped(
        aws_session, table, emulator_endpoint, tmp_path):
    port = _free_port()
    pid_file = tmp_path / f"local-page-{port}.pid"
    started = _make("local-page", emulator_endpoint, table, port, tmp_path)
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"local page with its live counter: http://127.0.0.1:{port}/ " in started.stdout, started.stdout
    assert f"table {table}, endpoint {emulator_endpoint}" in started.stdout
    pid = int(pid_file.read_text())
    try:
        # The page, its config pointing the counter at this server, and the counter on the emulator's table.
        status, headers, body = request(port, "GET", "/")
        assert status == 200 and headers["Content-Type"] == "text/html" and b'src="config.js"' in body
        status, _, body = request(port, "GET", "/config.js")
        assert (status, body.decode()) == (200, f'window.STRATA_API_URL = "http://127.0.0.1:{port}";\n')
        status, _, body = request(port, "POST", "/count")
        assert (status, json.loads(body)) == (200, {"count": 1})
        item = aws_session.client("dynamodb").get_item(TableName=table, Key={"stat": {"S": "Quantity"}})["Item"]
        assert item["viewCount"] == {"N": "1"}

        # Idempotent: a second start keeps the same server.
        again = _make("local-page", emulator_endpoint, table, port, tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"local page already served at http://127.0.0.1:{port}/ (pid {pid}," in again.stdout
        assert int(pid_file.read_text()) == pid
    finally:
        stopped = _make("local-page-stop", emulator_endpoint, table, port, tmp_path)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert f"local page stopped (pid {pid})" in stopped.stdout
    assert not _pid_alive(pid)
    assert not pid_file.exists()
    with pytest.raises(OSError):
        request(port, "GET", "/")
    assert "local page not running" in _make("local-page-stop", emulator_endpoint, table, port, tmp_path).stdout


def test_make_local_page_refuses_a_table_that_is_not_there_and_leaves_nothing_running(emulator_endpoint, tmp_path):
    port = _free_port()
    result = _make("local-page", emulator_endpoint, "strata-visits-nowhere", port, tmp_path)
    assert result.returncode != 0
    assert "the page's counter could not be read (table strata-visits-nowhere" in result.stderr, result.stderr
    assert f"GET http://127.0.0.1:{port}/count answered 502" in result.stderr
    assert "Nothing is left running" in result.stderr and "make local" in result.stderr
    assert not (tmp_path / f"local-page-{port}.pid").exists()
    with pytest.raises(OSError):
        request(port, "GET", "/")


def test_make_local_page_refuses_a_port_something_else_holds(table, emulator_endpoint, tmp_path):
    import socket

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = _make("local-page", emulator_endpoint, table, port, tmp_path)
    assert result.returncode != 0
    assert f"something else listens on http://127.0.0.1:{port}/" in result.stderr, result.stderr
    assert not (tmp_path / f"local-page-{port}.pid").exists()


def test_background_site_bucket_serves_the_deployed_page_and_answers_a_table_that_is_gone(
        aws_session, emulator_endpoint, tmp_path):
    """What playbooks/verify.yml starts in local mode: --site-bucket serves the site from the bucket,
    as CloudFront reads it; --wait-for answer returns once the server answers, even when the
    counter's table cannot be read (the checks then name it), and --stop stops it."""
    s3 = aws_session.client("s3")
    bucket = f"page-{os.urandom(4).hex()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<p>from the bucket</p>", ContentType="text/html")
    port, pid_file = _free_port(), tmp_path / "page.pid"
    command = [sys.executable, str(REPO / "tools" / "dev" / "local_api.py"), "--pid-file", str(pid_file)]
    start = subprocess.run(
        command + ["--background", "--wait-for", "answer", "--port", str(port), "--table", "strata-visits-gone",
                   "--site-bucket", bucket, "--endpoint-url", emulator_endpoint, "--region", "us-east-1"],
        capture_output=True, text=True, timeout=60, check=False)
    try:
        assert start.returncode == 0, start.stderr
        status, headers, body = request(port, "GET", "/")
        assert (status, headers["Content-Type"], body) == (200, "text/html", b"<p>from the bucket</p>")
        assert request(port, "GET", "/config.js")[2] == f'window.STRATA_API_URL = "http://127.0.0.1:{port}";\n'.encode()
        assert request(port, "GET", "/missing.html")[0] == 404
        assert request(port, "GET", "/count")[0] == 502
    finally:
        stop = subprocess.run(command + ["--stop"], capture_output=True, text=True, timeout=60, check=False)
        s3.delete_object(Bucket=bucket, Key="index.html")
        s3.delete_bucket(Bucket=bucket)
    assert "local page stopped" in stop.stdout
