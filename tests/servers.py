"""Real Redis and PostgreSQL servers for the tests (newsspider/cluster/local.py).

The README's test command installs them (tests/install-servers). Where a server is missing,
its tests skip with the reason on a developer's machine and fail under CI (``CI`` set), so a
green CI never hides a missing install.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsspider.cluster import local


def _missing(exc: local.ServerMissing) -> None:
    message = f"{exc}: the README's test command installs it (tests/install-servers)"
    if os.environ.get("CI"):
        pytest.fail(message + ", and CI must have it")
    pytest.skip(message)


class RedisServer(local.RedisServer):
    def __init__(self, folder: Path, appendonly: bool = False):
        try:
            super().__init__(folder, appendonly)
        except local.ServerMissing as exc:
            _missing(exc)


class PostgresServer(local.PostgresServer):
    def __init__(self):
        try:
            super().__init__()
        except local.ServerMissing as exc:
            _missing(exc)
