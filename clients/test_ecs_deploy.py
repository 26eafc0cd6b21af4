"""fabfuel's `ecs deploy` (ecs-deploy on PyPI) against the simulator, with the conclusions it
reaches on ECS.

It registers a new revision, calls UpdateService and polls every second: it fails at once on a
PRIMARY deployment whose rolloutState is FAILED, and otherwise succeeds once there is one
deployment whose task definition runs desiredCount RUNNING tasks; then it deregisters the
previous revision. A circuit-breaker rollback therefore ends as a "successful" deployment that
deregisters the very revision ECS rolled back to; a crashing deployment without the breaker
runs into its timeout.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clients.conftest import (
    CLUSTER,
    GOOD_DEPLOY,
    NO_BREAKER,
    ROLLED_BACK,
    SERVICE,
    client_env,
    create_service,
    describe,
    run,
)
from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

SPEED = 60.0
"""Simulated seconds per wall second while ecs-deploy runs: a rollout takes about 2 s."""


def ecs_deploy_argv(tools_bin: Path, image: str, *, timeout: int) -> list[str]:
    return [
        str(tools_bin / "ecs"),
        "deploy",
        CLUSTER,
        SERVICE,
        "--image",
        "app",
        image,
        "--timeout",
        str(timeout),
        "--sleep-time",
        "1",
    ]


async def status_of(ecs: ECSClient, arn: str) -> str:
    described = await ecs.describe_task_definition(taskDefinition=arn)
    return str(described["taskDefinition"]["status"])


async def test_good_deploy_succeeds_and_deregisters_the_old_revision(
    sim: Simulator, ecs: ECSClient, tools_bin: Path
) -> None:
    """A good image: "Deployment successful", the service on the new revision."""
    old = await create_service(sim, ecs, GOOD_DEPLOY)
    sim.clock.speed = SPEED
    argv = ecs_deploy_argv(tools_bin, GOOD_DEPLOY.image, timeout=60)
    status, output = await run(argv, client_env(sim))
    assert status == 0, output
    assert "Deployment successful" in output
    service = await describe(ecs)
    assert service["taskDefinition"] != old
    assert await status_of(ecs, old) == "INACTIVE"


async def test_rollback_is_reported_as_success_and_its_revision_deregistered(
    sim: Simulator, ecs: ECSClient, tools_bin: Path
) -> None:
    """Circuit-breaker rollback: ecs-deploy says "Deployment successful" (wrong, as on ECS) and
    deregisters the revision the service was rolled back to and now runs."""
    old = await create_service(sim, ecs, ROLLED_BACK)
    sim.clock.speed = SPEED
    argv = ecs_deploy_argv(tools_bin, ROLLED_BACK.image, timeout=60)
    status, output = await run(argv, client_env(sim))
    assert status == 0, output
    assert "Deployment successful" in output
    service = await describe(ecs)
    assert service["taskDefinition"] == old
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert await status_of(ecs, old) == "INACTIVE"


async def test_crashing_deploy_without_breaker_times_out(
    sim: Simulator, ecs: ECSClient, tools_bin: Path
) -> None:
    """No circuit breaker: failed tasks are reported and the deployment fails on its timeout;
    nothing is deregistered."""
    old = await create_service(sim, ecs, NO_BREAKER)
    sim.clock.speed = SPEED
    argv = ecs_deploy_argv(tools_bin, NO_BREAKER.image, timeout=5)
    status, output = await run(argv, client_env(sim))
    assert status != 0, output
    assert "Deployment failed due to timeout" in output
    assert "tasks failed to start" in output
    assert await status_of(ecs, old) == "ACTIVE"
