"""The emulator's HTTP server: send a response's status line, headers and body together.

Divergence (moto 5.2.x's server on werkzeug 3.1's development server): each response
leaves in two writes on an unbuffered socket writer, the status line and headers first,
then the body. When the serving thread is descheduled between the two (CPU load, two
cores), the client receives the headers alone, and the body a scheduler slice later.
Terraform 1.11's S3 backend (AWS SDK for Go v2) then now and then abandons a DynamoDB
``PutItem`` whose headers arrived without their body: in a syscall trace it read the
headers alone, closed the connection while waiting for the body, and retried; the
emulator had already stored the item, so the retry failed its
``attribute_not_exists(LockID)`` condition, and Terraform reported its own lock as held
and left it behind (a stale lock). In the successful exchanges of the same traces the
headers and body of every DynamoDB answer arrived in one read.

AWS sends a small answer (a DynamoDB ``{}``, an error document) with its headers. Here
the handler writes through a buffer, flushed by werkzeug after each body chunk and by
``http.server`` at the end of each request, so headers and the first body chunk leave
in one send. A ``100 Continue`` interim response is flushed at once, as before, so
clients that send ``Expect: 100-continue`` (boto3's PutObject) do not wait for it.
"""

from __future__ import annotations

import io
from http.server import BaseHTTPRequestHandler

from moto.moto_server.werkzeug_app import MotoRequestHandler


def _handle_expect_100(self: BaseHTTPRequestHandler) -> bool:
    proceed = BaseHTTPRequestHandler.handle_expect_100(self)
    self.wfile.flush()
    return proceed


def apply() -> None:
    # socketserver.StreamRequestHandler: 0 means an unbuffered writer (one send per write).
    MotoRequestHandler.wbufsize = io.DEFAULT_BUFFER_SIZE
    MotoRequestHandler.handle_expect_100 = _handle_expect_100
