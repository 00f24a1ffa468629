"""Fixtures of the project's tests of the emulator enforcing IAM."""
from __future__ import annotations

import pytest

from strata_emulator import launcher


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory):
    """An emulator enforcing IAM, recording its requests: its endpoint and the request log."""
    log = tmp_path_factory.mktemp("iam") / "requests.jsonl"
    server = launcher.start_in_thread("127.0.0.1", 0, enforce_iam=True, request_log=log)
    try:
        yield f"http://127.0.0.1:{server.port}", log
    finally:
        server.stop()
