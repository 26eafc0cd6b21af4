"""Shared pieces of the deployment tests: the usual target, a crashing image, phase hooks and a
clock that moves in lockstep with the deployer's polls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio

from ecsdeploy import Deployer, DeployEvent, DeploySettings, ImageChange, Phase, Target
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, REGION, offline_session

T = TypeVar("T")


def to(image: str, service: str = "webapp") -> Target:
    """Deploy `image` to the "nginx" container of `service`."""
    return Target(CLUSTER, service, [ImageChange("nginx", image)])


@asynccontextmanager
async def one_attempt_deployer(
    sim: Simulator,
    settings: DeploySettings,
    *,
    listeners: Iterable[Callable[[DeployEvent], None]] = (),
) -> AsyncIterator[Deployer]:
    """A Deployer on `sim` that makes one attempt per AWS call (AWS_MAX_ATTEMPTS=1)."""
    async with Deployer(
        session=offline_session(),
        region=REGION,
        endpoint_url=sim.endpoint_url,
        settings=settings,
        retry=RetryPolicy(attempts=1),
        listeners=listeners,
    ) as deployer:
        yield deployer


def once_in(phase: Phase, action: Callable[[], None]) -> Callable[[DeployEvent], None]:
    """A listener that runs `action` the first time the deployment enters `phase`."""
    done = False

    def listener(event: DeployEvent) -> None:
        nonlocal done
        if not done and event.kind == "phase" and event.phase is phase:
            done = True
            action()

    return listener


#: A container rule: tasks of `myorg/nginx:crash` exit 1 five seconds after they start.
CRASH: dict[str, Any] = {
    "image": "myorg/nginx:crash",
    "behavior": "crash",
    "exit_code": 1,
    "after": 5,
}


class Lockstep:
    """Simulated time that moves only as the deployer polls: `step` simulated seconds for each
    DescribeServices call it makes, and not at all once `hold()` is called.

    At a fixed speed what the deployer sees between two polls depends on how busy the machine
    is; in lockstep it does not, so a test can act between two simulated moments for sure.
    """

    def __init__(self, simulator: Simulator, step: float = 5.0) -> None:
        self.simulator = simulator
        self.step = step
        self.held = False

    def _polls(self) -> int:
        return int(self.simulator.stats()["calls"].get("DescribeServices", 0))

    def hold(self) -> None:
        """Stop simulated time here (safe to call from a synchronous listener)."""
        self.held = True

    async def run(self) -> None:
        """Drive the clock until `hold()`; start it with the simulator's own speed at 0."""
        self.simulator.clock.speed = 0
        seen = self._polls()
        while not self.held:
            polls = self._polls()
            if polls > seen:
                seen = polls
                await self.simulator.advance(self.step)
            await anyio.sleep(0.001)


async def in_lockstep(
    simulator: Simulator, run: Callable[[], Awaitable[T]], step: float = 5.0
) -> T:
    """`run()`'s result, with simulated time moving `step` seconds per DescribeServices call
    (see Lockstep) until it returns: what each poll sees no longer depends on how busy the
    machine is."""
    clock = Lockstep(simulator, step)
    results: list[T] = []

    async def until_done() -> None:
        try:
            results.append(await run())
        finally:
            clock.hold()

    async with anyio.create_task_group() as group:
        group.start_soon(clock.run)
        group.start_soon(until_done)
    return results[0]
