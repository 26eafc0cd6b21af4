from __future__ import annotations

import pytest

# The fixtures users get (a simulator, a client to it, services, a Deployer): the suite uses
# the same plugin, so it is tested wherever a deployment test runs. Then the suite's own
# fixtures, one plugin for every test package (tests/_fixtures).
pytest_plugins = [
    "ecsdeploy.testing",
    "pytester",
    "tests._fixtures.moto",
    "tests._fixtures.fronts",
]


@pytest.fixture
def anyio_backend() -> str:
    """aiobotocore and aiohttp run on asyncio only."""
    return "asyncio"
