from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.checks.http_server import Endpoint, http_endpoint


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    """An HTTP endpoint on a free loopback port whose answers the test sets."""
    async with http_endpoint() as served:
        yield served
