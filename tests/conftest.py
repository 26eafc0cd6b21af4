from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

# The fixtures users get (a simulator, a client to it, services, a Deployer): the suite uses
# the same plugin, so it is tested wherever a deployment test runs.
pytest_plugins = ["ecsdeploy.testing", "pytester"]


@pytest.fixture
def anyio_backend() -> str:
    """aiobotocore and aiohttp run on asyncio only."""
    return "asyncio"


@pytest.fixture
def moto_url() -> Iterator[str]:
    """The endpoint URL of a fresh moto server on a free loopback port, stopped afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
