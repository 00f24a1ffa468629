"""Serve the visitor counter Lambda over plain HTTP, without Docker or API Gateway.

Each HTTP request becomes an API Gateway HTTP API (payload format 2.0) event for the
handler, and the handler's response becomes the HTTP response. With --site, the
static site is served too, with a generated config.js that points the page at this
server, so the whole page can be tried against the local emulator:

    AWS_ENDPOINT_URL=http://127.0.0.1:4566 \\
        python tools/dev/local_api.py --port 8080 --table strata-visits-local --site site
    # then open http://127.0.0.1:8080/

Requests for files that exist under --site (and /, /config.js) are answered from the
site; every other request goes to the handler. With --site-bucket BUCKET instead, the site is
read from the deployed bucket, as CloudFront reads it (with the server's credentials, standing in
for its origin access control): / is the bucket's index.html, a key the bucket lacks goes to the
handler (which answers 404), and /config.js is still generated. playbooks/verify.yml checks the
local stack through it (tools/dev/local_api.py --site-bucket ... --wait-for answer).

With --background --pid-file FILE it serves in the background instead (``make local-page``):
it starts the server unless FILE names one already serving with the same arguments, waits
until GET /count reads the counter from the table, and prints the page's URL; the log goes
next to FILE (FILE with the suffix .log). --stop --pid-file FILE stops only the server FILE
records (``make local-page-stop``).
"""
from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import mimetypes
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "lambda" / "visitor_counter"
MAX_BODY = 1024 * 1024
START_TIMEOUT_S = 30.0
STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 20


def load_handler(source: Path, spec: str = "app.handler"):
    """Load ``module.function`` from ``source`` the way Lambda resolves its handler string."""
    module_name, _, function = spec.rpartition(".")
    path = Path(source) / f"{module_name}.py"
    if not path.is_file():
        raise SystemExit(f"--source: no {module_name}.py in {source}")
    module_spec = importlib.util.spec_from_file_location(f"local_api_{module_name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, function)


class LambdaContext:
    """The parts of the Lambda context object a handler commonly reads."""

    function_name = "visitor-counter-local"
    memory_limit_in_mb = 128

    def __init__(self, timeout_s: float = 30.0):
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def build_event(method: str, target: str, headers, body: bytes, client_ip: str) -> dict:
    """An HTTP API payload-2.0 event for one request on the $default stage."""
    url = urlsplit(target)
    lowered = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": lowered.get("host", "localhost"),
            "http": {
                "method": method,
                "path": unquote(url.path),
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if "cookie" in lowered:
        event["cookies"] = [c.strip() for c in lowered["cookie"].split(";")]
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _http_response(result) -> tuple[int, dict, bytes]:
    """Turn a handler's return value into (status, headers, body) as API Gateway does."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Payload 2.0 lets a handler return any JSON value: API Gateway answers 200 with it.
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return int(result["statusCode"]), dict(result.get("headers") or {}), data


def bucket_reader(bucket: str, client=None):
    """A function reading one key of ``bucket`` as ``(body, content type)``, None when the bucket
    does not hold it (boto3 honours AWS_ENDPOINT_URL; path-style addressing for an emulator)."""
    if client is None:
        import boto3
        from botocore.config import Config

        client = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))

    def read(key: str):
        try:
            answer = client.get_object(Bucket=bucket, Key=key)
        except client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read(), answer.get("ContentType") or "application/octet-stream"

    return read


def make_server(host: str, port: int, handler, site: Path | None = None, site_bucket=None) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) that routes requests to ``handler``; the site comes from
    the directory ``site``, or from ``site_bucket`` (a function of :func:`bucket_reader`)."""
    site_root = Path(site).resolve() if site else None
    serves_site = site_root is not None or site_bucket is not None

    class RequestHandler(BaseHTTPRequestHandler):
        server_version = "strata-local-api"

        def _site_file(self) -> Path | None:
            if site_root is None or self.command not in ("GET", "HEAD"):
                return None
            path = unquote(urlsplit(self.path).path)
            candidate = (site_root / path.lstrip("/")).resolve()
            if candidate.is_dir():
                candidate = candidate / "index.html"
            if candidate.is_relative_to(site_root) and candidate.is_file():
                return candidate
            return None

        def _send(self, status: int, headers: dict, data: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _bucket_file(self):
            if site_bucket is None or self.command not in ("GET", "HEAD"):
                return None
            key = unquote(urlsplit(self.path).path).lstrip("/")
            return site_bucket(key + "index.html" if key == "" or key.endswith("/") else key)

        def _serve_config(self) -> None:
            api_url = f"http://{self.headers.get('Host') or f'{host}:{self.server.server_port}'}"
            script = f"window.STRATA_API_URL = {json.dumps(api_url)};\n"
            self._send(200, {"Content-Type": "text/javascript; charset=utf-8",
                             "Cache-Control": "no-store"}, script.encode())

        def _dispatch(self) -> None:
            if serves_site and self.command in ("GET", "HEAD") and urlsplit(self.path).path == "/config.js":
                self._serve_config()
                return
            bucket_file = self._bucket_file()
            if bucket_file is not None:
                self._send(200, {"Content-Type": bucket_file[1]}, bucket_file[0])
                return
            site_file = self._site_file()
            if site_file is not None:
                content_type = mimetypes.guess_type(site_file.name)[0] or "application/octet-stream"
                self._send(200, {"Content-Type": content_type}, site_file.read_bytes())
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"Content-Type": "application/json"}, b'{"error": "request body too large"}')
                return
            body = self.rfile.read(length) if length else b""
            event = build_event(self.command, self.path, self.headers, body, self.client_address[0])
            try:
                status, headers, data = _http_response(handler(event, LambdaContext()))
            except Exception:  # noqa: BLE001 - a crashing handler is a 502, as on API Gateway
                self.log_error("handler raised:\n%s", traceback.format_exc())
                status, headers = 502, {"Content-Type": "application/json"}
                data = b'{"message": "Internal Server Error"}'
            self._send(status, headers, data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _dispatch

    return ThreadingHTTPServer((host, port), RequestHandler)


class BackgroundError(Exception):
    """A background start or stop that failed, told to the user as one message (exit status 1)."""


def serve_command(args: argparse.Namespace) -> list[str]:
    """The command line the background server runs: this script in the foreground, every path
    absolute, so that a later start recognises it by its arguments."""
    command = [sys.executable, str(Path(__file__).resolve()), "--host", args.host, "--port", str(args.port),
               "--table", args.table, "--allowed-origin", args.allowed_origin, "--region", args.region,
               "--source", str(Path(args.source).resolve())]
    if args.endpoint_url:
        command += ["--endpoint-url", args.endpoint_url]
    if args.site is not None:
        command += ["--site", str(Path(args.site).resolve())]
    if args.site_bucket:
        command += ["--site-bucket", args.site_bucket]
    return command


def page_url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        result = subprocess.run(["ps", "-p", str(pid), "-o", "command="],
                                capture_output=True, text=True, check=False)
        return result.stdout.split()


def _alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, just reaped
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def recorded_server(pid_file: Path) -> tuple[int, list[str]] | None:
    """(pid, command line) of the server the pid file records, if it is alive and is this script."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    command = _cmdline(pid)
    if _alive(pid) and Path(__file__).name in " ".join(command[1:3]):
        return pid, command
    return None


def _terminate(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _read_counter(url: str) -> tuple[int, str] | None:
    """(HTTP status, body) of GET <url>count, or None while nothing answers."""
    try:
        with urllib.request.urlopen(f"{url}count", timeout=15) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError:
        return None


def _log_tail(log_file: Path) -> str:
    try:
        lines = log_file.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "no log was written"
    return f"last lines of {log_file}:\n" + ("\n".join(lines[-LOG_TAIL_LINES:]) or "(empty)")


def stop_background(pid_file: Path) -> str:
    """Stop the server the pid file records (and nothing else)."""
    server = recorded_server(pid_file)
    if server is None:
        stale = pid_file.exists()
        pid_file.unlink(missing_ok=True)
        return "local page not running" + (f" (removed the stale {pid_file})" if stale else "")
    _terminate(server[0])
    pid_file.unlink(missing_ok=True)
    return f"local page stopped (pid {server[0]})"


def start_background(args: argparse.Namespace, pid_file: Path, timeout: float = START_TIMEOUT_S) -> str:
    """Serve in the background unless the pid file records a server with the same arguments;
    return once GET /count has read the counter (``args.wait_for`` counter), or has answered at
    all (answer: a check of the counter follows), with the page's URL."""
    url = page_url(args.host, args.port)
    where = f"table {args.table}, endpoint {args.endpoint_url or 'AWS'}"
    command = serve_command(args)
    server = recorded_server(pid_file)
    if server is not None and server[1][1:] == command[1:]:
        return f"local page already served at {url} (pid {server[0]}, {where})"
    restarted = ""
    if server is not None:
        _terminate(server[0])
        restarted = f" (the server of other settings, pid {server[0]}, was stopped)"
    pid_file.unlink(missing_ok=True)
    if _listening(args.host, args.port):
        raise BackgroundError(f"something else listens on {url}; it was not started with {pid_file}: "
                              f"stop it, or serve the page on another port (--port)")
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    log_file = pid_file.with_suffix(".log")
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while (answer := _read_counter(url)) is None:
        if process.poll() is not None:
            pid_file.unlink(missing_ok=True)
            raise BackgroundError(f"the local page exited with status {process.returncode} before answering "
                                  f"on {url}; {_log_tail(log_file)}")
        if time.monotonic() > deadline:
            _terminate(process.pid)
            pid_file.unlink(missing_ok=True)
            raise BackgroundError(f"the local page did not answer on {url} within {timeout:g}s; {_log_tail(log_file)}")
        time.sleep(0.1)
    status, body = answer
    if status != 200 and getattr(args, "wait_for", "counter") == "counter":
        _terminate(process.pid)
        pid_file.unlink(missing_ok=True)
        raise BackgroundError(
            f"the page's counter could not be read ({where}): GET {url}count answered {status} {body.strip()}. "
            f"Nothing is left running. Are the emulator and the stack running? make local starts the emulator "
            f"and deploys the stack to it")
    return (f"local page with its live counter: {url} (pid {process.pid}, {where}, "
            f"log {log_file}){restarted}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default %(default)s)")
    parser.add_argument("--table", help="DynamoDB table holding the counter (TABLE_NAME); required to serve")
    parser.add_argument("--allowed-origin", default="*",
                        help="Access-Control-Allow-Origin the handler sends (default %(default)s)")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"),
                        help="AWS endpoint, e.g. the local emulator (default: $AWS_ENDPOINT_URL)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                        or "us-east-1", help="AWS region (default: $AWS_REGION or %(default)s)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="directory holding the handler's app.py (default: the repo's visitor counter)")
    site = parser.add_mutually_exclusive_group()
    site.add_argument("--site", type=Path, help="also serve this static site directory, e.g. site/")
    site.add_argument("--site-bucket", help="also serve the site deployed in this S3 bucket (as CloudFront reads it)")
    parser.add_argument("--wait-for", choices=("counter", "answer"), default="counter",
                        help="with --background: return once GET /count reads the counter (default), or once "
                             "the server answers at all (answer)")
    parser.add_argument("--pid-file", type=Path,
                        help="with --background or --stop: the file that records the background server's pid")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--background", action="store_true",
                      help="serve in the background (idempotent), wait until the counter answers, print the URL")
    mode.add_argument("--stop", action="store_true", help="stop the background server --pid-file records")
    args = parser.parse_args(argv)

    if (args.background or args.stop) and args.pid_file is None:
        parser.error("--background and --stop need --pid-file")
    if args.stop:
        print(stop_background(args.pid_file))
        return
    if not args.table:
        parser.error("--table is required to serve")
    if args.site is not None and not args.site.is_dir():
        parser.error(f"--site: {args.site} is not a directory")
    if args.background:
        try:
            print(start_background(args, args.pid_file), flush=True)
        except BackgroundError as exc:
            sys.exit(f"local_api: error: {exc}")
        return

    os.environ.update(TABLE_NAME=args.table, ALLOWED_ORIGIN=args.allowed_origin,
                      AWS_REGION=args.region, AWS_DEFAULT_REGION=args.region)
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url

    reader = bucket_reader(args.site_bucket) if args.site_bucket else None
    server = make_server(args.host, args.port, load_handler(args.source), args.site, reader)
    print(f"visitor counter API on http://{args.host}:{server.server_port}/count "
          f"(table {args.table}, endpoint {args.endpoint_url or 'AWS'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
