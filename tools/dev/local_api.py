"""Serve the visitor counter Lambda over plain HTTP, without Docker or API Gateway.

Each HTTP request becomes an API Gateway HTTP API (payload format 2.0) event for the
handler, and the handler's response becomes the HTTP response. With --site, the
static site is served too, with a generated config.js that points the page at this
server, so the whole page can be tried against the local emulator:

    AWS_ENDPOINT_URL=http://127.0.0.1:4566 \\
        python tools/local_api.py --port 8080 --table strata-visits-local --site site
    # then open http://127.0.0.1:8080/

Requests for files that exist under --site (and /, /config.js) are answered from the
site; every other request goes to the handler.
"""
from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import mimetypes
import os
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "lambda" / "visitor_counter"
MAX_BODY = 1024 * 1024


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


def make_server(host: str, port: int, handler, site: Path | None = None) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) that routes requests to ``handler``."""
    site_root = Path(site).resolve() if site else None

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

        def _serve_config(self) -> None:
            api_url = f"http://{self.headers.get('Host') or f'{host}:{self.server.server_port}'}"
            script = f"window.STRATA_API_URL = {json.dumps(api_url)};\n"
            self._send(200, {"Content-Type": "text/javascript; charset=utf-8",
                             "Cache-Control": "no-store"}, script.encode())

        def _dispatch(self) -> None:
            if site_root is not None and self.command in ("GET", "HEAD") \
                    and urlsplit(self.path).path == "/config.js":
                self._serve_config()
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default %(default)s)")
    parser.add_argument("--table", required=True, help="DynamoDB table holding the counter (TABLE_NAME)")
    parser.add_argument("--allowed-origin", default="*",
                        help="Access-Control-Allow-Origin the handler sends (default %(default)s)")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"),
                        help="AWS endpoint, e.g. the local emulator (default: $AWS_ENDPOINT_URL)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                        or "us-east-1", help="AWS region (default: $AWS_REGION or %(default)s)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="directory holding the handler's app.py (default: the repo's visitor counter)")
    parser.add_argument("--site", type=Path, help="also serve this static site directory, e.g. site/")
    args = parser.parse_args(argv)

    os.environ.update(TABLE_NAME=args.table, ALLOWED_ORIGIN=args.allowed_origin,
                      AWS_REGION=args.region, AWS_DEFAULT_REGION=args.region)
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    if args.site is not None and not args.site.is_dir():
        parser.error(f"--site: {args.site} is not a directory")

    server = make_server(args.host, args.port, load_handler(args.source), args.site)
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
