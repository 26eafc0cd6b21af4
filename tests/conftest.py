from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """aiobotocore and aiohttp run on asyncio only."""
    return "asyncio"
