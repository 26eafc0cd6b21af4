"""Fixtures for the simulator's tests: an in-process simulator and clients to it (moto's server,
`moto_ecs_url`, comes from the suite's plugin, tests/_fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from botocore.config import Config

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

# One attempt: tests see each error ECS sends instead of botocore retrying it away.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
FAST = 100.0
"""Simulated seconds per wall second for fixtures: a one-minute rollout takes 0.6 s."""


@pytest.fixture
def no_retries() -> Config:
    """Client config for one attempt per call, so a test sees exactly what the server sent."""
    return NO_RETRIES


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator on a fast clock, in this test's event loop, on a free loopback port."""
    async with Simulator(speed=FAST, seed=7) as simulator:
        yield simulator


@pytest.fixture
async def ecs(sim: Simulator) -> AsyncIterator[ECSClient]:
    """An aioboto3 ECS client to `sim`, retries off."""
    async with new_session().client("ecs", config=NO_RETRIES, **sim.client_kwargs()) as client:
        yield client
