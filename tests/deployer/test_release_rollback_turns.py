"""A release's rollback queued behind another (max_concurrency) still happens."""

from __future__ import annotations

import pytest

from ecsdeploy import Deployer, DeploySettings, ImageChange, Release, Stage, Target
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, POLL_INTERVAL, EcsServices
from tests.deployer.stuck_worker import STUCK

pytestmark = pytest.mark.anyio

#: Wall seconds each release rollback may take.
ROLLBACK_TIMEOUT = 3.0


async def test_a_rollback_waiting_for_its_turn_gets_its_own_deadline(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """With one deployment at a time, `web`'s release rollback waits while `api`'s uses its
    whole deadline; `web` is still rolled back, not left on the release's revision unreported."""
    await ecs_services.create("api", desired=1, image="myorg/api:1")
    web_before = await ecs_services.create("web", desired=1, image="myorg/web:1")
    await ecs_services.create("worker", desired=1)
    ecs_simulator.add_rule({"image": STUCK, "behavior": "slow_start", "seconds": 3600})
    stuck = Target(
        CLUSTER,
        "worker",
        [ImageChange("nginx", STUCK)],
        settings=DeploySettings(timeout=2, poll_interval=POLL_INTERVAL, rollback_timeout=30),
    )
    settings = DeploySettings(poll_interval=POLL_INTERVAL, rollback_timeout=ROLLBACK_TIMEOUT)
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/api:2")], settings=settings)
    web = Target(CLUSTER, "web", [ImageChange("nginx", "myorg/web:2")], settings=settings)
    # api's old revision never turns healthy again (a simulated year): its rollback runs out
    # its whole deadline while web's waits for its turn.
    ecs_simulator.add_rule({"image": "myorg/api:1", "behavior": "slow_start", "seconds": 3.2e7})
    release = Release([Stage("one", [api, web]), Stage("two", [stuck])], max_concurrency=1)
    result = await ecs_deployer.release(release)
    states = {key: s.state for key, s in result.by_service().items()}
    assert states[f"{CLUSTER}/api"] == "ROLLBACK_FAILED"
    assert states[f"{CLUSTER}/web"] == "ROLLED_BACK", [s.reason for s in result.services]
    assert await ecs_services.task_definition("web") == web_before
