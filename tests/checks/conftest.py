from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import pytest

from ecsdeploy._aws_reads import AwsReads
from ecsdeploy._gateway import EcsGateway
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import REGION, offline_session
from tests.checks.balanced import Balanced, balanced
from tests.checks.http_server import Endpoint, http_endpoint


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    """An HTTP endpoint on a free loopback port whose answers the test sets."""
    async with http_endpoint() as served:
        yield served


@asynccontextmanager
async def reads_at(endpoint_url: str) -> AsyncIterator[AwsReads]:
    """`AwsReads` whose ECS, ELBv2 and CloudWatch clients talk to `endpoint_url`."""
    session = offline_session()
    async with AsyncExitStack() as stack:

        async def client(service: str) -> Any:
            return await stack.enter_async_context(
                session.client(service, endpoint_url=endpoint_url, region_name=REGION)
            )

        ecs = EcsGateway(await client("ecs"), region=REGION, retry=RetryPolicy.fast())
        yield AwsReads(ecs, client, retry=RetryPolicy.fast())


@pytest.fixture
async def moto_reads(moto_url: str) -> AsyncIterator[AwsReads]:
    """`AwsReads` against a fresh moto server (its backends live in this process: reset)."""
    async with aiohttp.ClientSession() as http, http.post(f"{moto_url}/moto-api/reset"):
        pass
    async with reads_at(moto_url) as reads:
        yield reads


@pytest.fixture
async def lb(ecs_simulator: Simulator) -> AsyncIterator[Balanced]:
    """Clients to the simulator's ECS, ELBv2 and CloudWatch."""
    async with balanced(ecs_simulator) as made:
        yield made
