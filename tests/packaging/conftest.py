"""Fixtures for tests that run the examples and the plugin as users do: an in-process simulator
on a fast clock with a client to arrange it, and `ecsdeploy sim` as a subprocess."""

from __future__ import annotations

import select
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest
from botocore.config import Config

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from tests.packaging.commands import console_script
from tests.packaging.simulated_ecs import REGION, SPEED, SimulatedEcs

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

SIM_BANNER = "ECS simulator listening on "


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
def simulated_ecs(ecs: ECSClient, sim: Simulator) -> SimulatedEcs:
    return SimulatedEcs(ecs, sim)


@pytest.fixture(scope="module")
def sim_process() -> Iterator[str]:
    """`ecsdeploy sim` on a free loopback port, 100x speed; yields its endpoint URL.

    One process per module; its log goes to stderr, which pytest captures."""
    command = [console_script("ecsdeploy"), "sim", "--port", "0", "--speed", str(SPEED)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        if not ready:
            pytest.fail("`ecsdeploy sim` printed nothing within 30 s")
        banner = process.stdout.readline().strip()
        assert banner.startswith(SIM_BANNER), f"unexpected first line: {banner!r}"
        yield banner.removeprefix(SIM_BANNER)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
