"""Keeping simulated timestamps from running ahead of the wall clock (`start_behind`)."""

from __future__ import annotations

import time

import pytest

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import START_BEHIND_VARIABLE, Simulator

pytestmark = pytest.mark.anyio


async def test_a_fast_clock_runs_ahead_of_the_wall_clock() -> None:
    """The problem: at speed 100 an hour of simulated rollout is in the wall clock's future."""
    async with Simulator(speed=100) as sim:
        await sim.advance(3600)
        assert sim.clock.now() > time.time() + 3000


async def test_start_behind_keeps_timestamps_in_the_past() -> None:
    """Started an hour behind, an hour-long simulated run stamps nothing in the future."""
    # Speed 10: the 100 simulated seconds of slack last 10 wall seconds, which a loaded
    # machine never spends here (at speed 100 one slow second made the stamp a future one).
    async with Simulator(speed=10, start_behind=3600) as sim:
        kwargs = sim.client_kwargs()
        async with new_session().client("ecs", **kwargs) as ecs:
            await ecs.create_cluster(clusterName="prod")
            await ecs.register_task_definition(
                family="web", containerDefinitions=[{"name": "app", "image": "x", "memory": 64}]
            )
            await sim.advance(3500)
            registered = await ecs.register_task_definition(
                family="web", containerDefinitions=[{"name": "app", "image": "y", "memory": 64}]
            )
        stamped = registered["taskDefinition"]["registeredAt"].timestamp()
        assert stamped <= time.time()


async def test_start_behind_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """ECSDEPLOY_SIM_START_BEHIND sets it for simulators that do not pass it (`ecsdeploy sim`)."""
    monkeypatch.setenv(START_BEHIND_VARIABLE, "7200")
    async with Simulator(speed=0) as sim:
        assert time.time() - sim.clock.now() >= 7200


def test_start_behind_cannot_be_negative() -> None:
    """A negative start would put the clock ahead; refused."""
    with pytest.raises(ValueError, match="start_behind"):
        Simulator(start_behind=-1)
