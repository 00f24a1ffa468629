"""Serve moto's server, with strata's patches applied, from a thread of this process."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from strata_emulator import iam_users, patches
from strata_emulator.patches import iam_enforcement


class RunningServer:
    """An emulator serving from a daemon thread until ``stop()``."""

    def __init__(self, server: BaseWSGIServer, iam: iam_enforcement.ServerIam):
        self._server = server
        self.iam = iam
        self.host, self.port = server.server_address[:2]
        self._thread = threading.Thread(
            target=server.serve_forever, name="strata-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def with_iam(app, iam: iam_enforcement.ServerIam):  # type: ignore[no-untyped-def]
    """The WSGI app, marking each of its requests with this server's IAM settings (the
    patch ``iam_enforcement`` reads them): servers in one process may differ."""

    def serve(environ, start_response):  # type: ignore[no-untyped-def]
        token = iam_enforcement.SERVER.set(iam)
        try:
            return app(environ, start_response)
        finally:
            iam_enforcement.SERVER.reset(token)

    return serve


def start_in_thread(host: str, port: int, *, enforce_iam: bool = False,
                    request_log: Path | None = None) -> RunningServer:
    """Apply the patches and serve the emulator on ``host:port`` (0: any free port).

    ``enforce_iam``: every request must be signed by an IAM user of the emulator and is
    checked against that user's policies (the administrator ``testing``/``testing`` always
    exists, see ``iam_users``). ``request_log``: a file that receives one JSON line per
    authorized request (its actions, resources and decisions), enforcing or not.

    The socket is bound before this returns, so a busy port or a host that is not local
    raises ``OSError`` here instead of failing silently in the thread.
    """
    patches.apply_all()
    iam = iam_enforcement.ServerIam(
        enforce=enforce_iam,
        request_log=iam_enforcement.RequestLog(request_log) if request_log else None,
    )
    if enforce_iam:
        from moto.core import DEFAULT_ACCOUNT_ID

        iam_users.ensure_admin(DEFAULT_ACCOUNT_ID)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Bound here because werkzeug reports a failed bind by exiting the process.
    with socket.create_server((host, port), family=family) as listener:
        server = make_server(
            host,
            port,
            with_iam(DomainDispatcherApplication(create_backend_app), iam),
            threaded=True,
            request_handler=MotoRequestHandler,
            fd=listener.fileno(),
        )
    return RunningServer(server, iam)
