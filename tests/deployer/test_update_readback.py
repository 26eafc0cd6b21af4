"""UPDATE decides "nothing changed" only from agreeing fresh reads (review of issue 9)."""

from __future__ import annotations

import pytest

from ecsdeploy import (
    DeployEvent,
    ImageChange,
    Outcome,
    Phase,
    Target,
)
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices
from tests.deployer.lossy_proxy import deployer_through, lossy_proxy

pytestmark = pytest.mark.anyio

#: Attempts RetryPolicy.fast() makes.
FAST_ATTEMPTS = 8


async def test_a_lost_update_answer_and_a_stale_read_never_report_nothing_changed(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """UpdateService landed but every answer was lost, and the read-back is stale: the
    deployment is not reported "nothing changed" while the service rolls out unwatched."""
    await ecs_services.create()
    updating = False

    def listener(event: DeployEvent) -> None:
        nonlocal updating
        if event.kind == "phase" and event.phase is Phase.UPDATE and not updating:
            updating = True
            ecs_simulator.add_rule(
                {"operation": "DescribeServices", "error": "stale", "seconds": 600, "count": 1}
            )

    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {"UpdateService": FAST_ATTEMPTS}) as proxy,
        deployer_through(proxy, listeners=[listener]) as ecs_deployer,
    ):
        result = await ecs_deployer.deploy(
            Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
        )
    assert proxy.lost == FAST_ATTEMPTS
    assert await ecs_services.task_definition() == result.task_definition_arn
    assert result.changed, result.reason
    assert result.outcome is Outcome.SUCCEEDED, result.reason


async def test_a_lost_update_answer_that_cannot_be_read_back_is_unknown_and_kept(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """UpdateService's answers lost and the service unreadable: exit 3, and the revision the
    service may be deploying stays ACTIVE."""
    await ecs_services.create()

    def listener(event: DeployEvent) -> None:
        if event.kind == "phase" and event.phase is Phase.UPDATE:
            ecs_simulator.add_rule({"operation": "DescribeServices", "error": "ServerException"})

    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {"UpdateService": FAST_ATTEMPTS}) as proxy,
        deployer_through(proxy, listeners=[listener]) as ecs_deployer,
    ):
        result = await ecs_deployer.deploy(
            Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
        )
    ecs_simulator.clear_rules()
    assert proxy.lost == FAST_ATTEMPTS
    assert result.state_unknown
    assert result.exit_code == 3
    assert "may or may not" in result.reason
    assert result.task_definition_arn in await ecs_services.revisions()
    assert await ecs_services.task_definition() == result.task_definition_arn
