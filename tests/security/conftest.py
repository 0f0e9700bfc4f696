"""Fixtures of the attack tests: a live HTTP server on 127.0.0.1 for the race tests.

The populated world they attack is the ``world`` fixture of tests/world.py (its default scenario,
the attack surface)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.factories import LiveServer


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(5)
