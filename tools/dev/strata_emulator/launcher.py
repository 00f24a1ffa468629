"""Serve moto's server, with strata's patches applied, from a thread of this process."""

from __future__ import annotations

import socket
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from strata_emulator import patches


class RunningServer:
    """An emulator serving from a daemon thread until ``stop()``."""

    def __init__(self, server: BaseWSGIServer):
        self._server = server
        self.host, self.port = server.server_address[:2]
        self._thread = threading.Thread(
            target=server.serve_forever, name="strata-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def start_in_thread(host: str, port: int) -> RunningServer:
    """Apply the patches and serve the emulator on ``host:port`` (0: any free port).

    The socket is bound before this returns, so a busy port or a host that is not local
    raises ``OSError`` here instead of failing silently in the thread.
    """
    patches.apply_all()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Bound here because werkzeug reports a failed bind by exiting the process.
    with socket.create_server((host, port), family=family) as listener:
        server = make_server(
            host,
            port,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=MotoRequestHandler,
            fd=listener.fileno(),
        )
    return RunningServer(server)
