"""The emulator's processes: start one in the background and wait until it answers, stop
only the process that start recorded, tell whether it runs, serve in the foreground.

``python -m strata_emulator`` (``__main__``) is the command line over this module.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_STATE_DIR = Path(".strata/emulator")
EXIT_NOT_RUNNING = 3
LOG_TAIL_LINES = 20
STOP_GRACE_SECONDS = 10.0


class EmulatorError(Exception):
    """A failure reported to the user as one clear message (exit status 1)."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def parse_endpoint(url: str) -> Endpoint:
    """Return the host and port an ``http://host:port`` endpoint URL names."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EmulatorError(f"bad endpoint {url!r}: {exc}") from None
    if parts.scheme != "http":
        raise EmulatorError(f"bad endpoint {url!r}: the emulator serves plain http://host:port")
    if not parts.hostname:
        raise EmulatorError(f"bad endpoint {url!r}: no host")
    if port is None:
        raise EmulatorError(f"bad endpoint {url!r}: no port (e.g. {DEFAULT_ENDPOINT})")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise EmulatorError(f"bad endpoint {url!r}: give only scheme, host and port")
    return Endpoint(parts.hostname, port)


class Emulator:
    """The background emulator of one endpoint, tracked by a pid file in a state dir."""

    def __init__(self, endpoint: Endpoint, state_dir: Path, *, enforce_iam: bool = False,
                 request_log: Path | None = None):
        self.endpoint = endpoint
        self.state_dir = state_dir
        self.enforce_iam = enforce_iam
        self.request_log = request_log
        self.pid_file = state_dir / f"emulator-{endpoint.port}.pid"
        self.log_file = state_dir / f"emulator-{endpoint.port}.log"

    def run_command(self) -> list[str]:
        """The command line ``start`` spawns; ``stop`` recognises its process by its
        arguments (the interpreter path may be spelled differently)."""
        return [
            sys.executable,
            "-m",
            "strata_emulator",
            "--endpoint",
            self.endpoint.url,
            "--state-dir",
            str(self.state_dir.resolve()),
            *(["--enforce-iam"] if self.enforce_iam else []),
            *(["--request-log", str(self.request_log.resolve())] if self.request_log else []),
            "run",
        ]

    def running_as_other(self) -> bool:
        """Whether the recorded process is this endpoint's emulator started with other
        options (IAM enforcement, request log)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return False
        args = _cmdline(pid)[1:]
        return _is_alive(pid) and args[:2] == ["-m", "strata_emulator"] and self.endpoint.url in args

    def running_pid(self) -> int | None:
        """The recorded pid if that process is alive and is this emulator, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if _is_alive(pid) and _cmdline(pid)[1:] == self.run_command()[1:]:
            return pid
        return None

    def start(self, timeout: float) -> str:
        pid = self.running_pid()
        if pid is not None:
            return f"emulator already running at {self.endpoint.url} (pid {pid})"
        if self.running_as_other():
            raise EmulatorError(
                f"the emulator at {self.endpoint.url} runs with other options than these "
                f"(IAM enforcement {'on' if self.enforce_iam else 'off'}): stop it first "
                f"(make emulator-stop), then start it again"
            )
        self.pid_file.unlink(missing_ok=True)
        if _answers_tcp(self.endpoint):
            raise EmulatorError(
                f"something else is listening on {self.endpoint.url}; it was not started "
                f"from {self.state_dir}: stop it or choose another port with --endpoint"
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=_pythonpath_with_package())
        with self.log_file.open("wb") as log:
            process = subprocess.Popen(
                self.run_command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        deadline = time.monotonic() + timeout
        while not _answers_http(self.endpoint):
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise EmulatorError(
                    f"the emulator exited with status {process.returncode} before answering "
                    f"on {self.endpoint.url}; {self._log_tail()}"
                )
            if time.monotonic() > deadline:
                self._terminate(process.pid)
                self.pid_file.unlink(missing_ok=True)
                raise EmulatorError(
                    f"the emulator did not answer on {self.endpoint.url} within {timeout:g}s; "
                    f"{self._log_tail()}"
                )
            time.sleep(0.1)
        iam = ", IAM enforced: administrator key testing" if self.enforce_iam else ""
        return f"emulator started at {self.endpoint.url} (pid {process.pid}, log {self.log_file}{iam})"

    def stop(self) -> str:
        pid = self.running_pid() or self.recorded_emulator_pid()
        if pid is None:
            stale = self.pid_file.exists()
            self.pid_file.unlink(missing_ok=True)
            note = " (removed a stale pid file)" if stale else ""
            return f"emulator not running at {self.endpoint.url}{note}"
        self._terminate(pid)
        self.pid_file.unlink(missing_ok=True)
        return f"emulator stopped at {self.endpoint.url} (pid {pid})"

    def recorded_emulator_pid(self) -> int | None:
        """The recorded process when it is this endpoint's emulator, whatever its options."""
        if not self.running_as_other():
            return None
        return int(self.pid_file.read_text().strip())

    def _terminate(self, pid: int) -> None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while _is_alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "no log was written"
        tail = "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty)"
        return f"last lines of {self.log_file}:\n{tail}"


def serve_forever(endpoint: Endpoint, *, enforce_iam: bool = False, request_log: Path | None = None) -> None:
    """Serve the patched emulator in this process until SIGTERM or SIGINT (IAM enforced
    and requests recorded as ``launcher.start_in_thread`` says)."""
    from strata_emulator import launcher  # imported here: start, stop and status need no moto

    os.environ["MOTO_PORT"] = str(endpoint.port)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        server = launcher.start_in_thread(endpoint.host, endpoint.port, enforce_iam=enforce_iam,
                                          request_log=request_log)
    except OSError as exc:
        raise EmulatorError(f"cannot serve on {endpoint.url}: {exc.strerror}") from None
    iam = " (IAM enforced)" if enforce_iam else ""
    print(f"strata emulator serving on {endpoint.url}{iam}", flush=True)
    stopping.wait()
    server.stop()
    print("strata emulator stopped", flush=True)


def _pythonpath_with_package() -> str:
    """PYTHONPATH that lets a fresh interpreter import this package."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    current = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(p for p in (package_parent, current) if p)


def _is_alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, just reaped
    except ChildProcessError:
        pass  # not our child: fall back to signal 0
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A process that exited but whose parent (often init) has not reaped it yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _cmdline(pid: int) -> list[str]:
    """The argument vector of a process, or [] when it cannot be read."""
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.parent.parent.is_dir():
        try:
            return proc.read_bytes().decode(errors="replace").split("\0")[:-1]
        except OSError:
            return []
    result = subprocess.run(
        ["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True, check=False
    )
    return result.stdout.split()


def _answers_tcp(endpoint: Endpoint) -> bool:
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=1):
            return True
    except OSError:
        return False


def _answers_http(endpoint: Endpoint) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint.url}/moto-api/", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
