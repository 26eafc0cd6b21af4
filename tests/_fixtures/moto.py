"""moto's server on a free loopback port: the second opinion on the static ECS API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto.server import ThreadedMotoServer

__all__ = ["free_port", "moto_ecs_url", "moto_url"]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _moto_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_url() -> Iterator[str]:
    """The endpoint URL of a fresh moto server, stopped afterwards."""
    with _moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def moto_ecs_url() -> Iterator[str]:
    """One moto server for the session, for the conformance suite's second opinion."""
    with _moto_server() as url:
        yield url
