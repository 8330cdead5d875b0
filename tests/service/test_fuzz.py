"""Schemathesis fuzzes every operation of the running server's OpenAPI schema: whatever it sends, no 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.conftest import Server

pytestmark = pytest.mark.slow


def test_no_request_gets_a_server_error(shared_server: Server, tmp_path: Path) -> None:
    # The command line, not the pytest plugin: its fixture support does not follow this pytest's internals.
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        shared_server.url + "/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "8",
        "--seed",
        "14",
        "--phases",
        "examples,coverage,fuzzing",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    log = shared_server.log()
    assert len(log) > 100 and not [e for e in log if e["status"] >= 500]
