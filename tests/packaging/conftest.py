"""Fixtures for the tests that run the example scripts as users do: an in-process simulator on a
fast clock, with a client to arrange services in it. (The Drone and GitHub Action tests use the
suite's `simulated` process from tests/_fixtures.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from botocore.config import Config

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from tests.packaging.example_services import REGION, SPEED, ExampleServices

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(speed=SPEED, seed=3) as simulator:
        yield simulator


@pytest.fixture
async def ecs(sim: Simulator) -> AsyncIterator[ECSClient]:
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    session = new_session()
    async with session.client("ecs", config=config, **sim.client_kwargs(region_name=REGION)) as (
        client
    ):
        yield client


@pytest.fixture
def example_services(ecs: ECSClient, sim: Simulator) -> ExampleServices:
    return ExampleServices(ecs, sim)
