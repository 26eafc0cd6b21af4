"""PREFLIGHT builds on the revision the service really runs, not on a stale answer (review of
issue 9)."""

from __future__ import annotations

import pytest

from ecsdeploy import Deployer, ImageChange, Outcome, Target
from ecsdeploy._preflight import as_of
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices


@pytest.mark.anyio
async def test_one_stale_answer_in_preflight_does_not_revert_the_previous_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A DescribeServices answer from before the last deployment: the new revision still keeps
    what that deployment changed, and the rollback target is the revision running now."""
    await ecs_services.create()
    await ecs_services.describe()  # ECS's answer while revision 1 runs, settled
    await ecs_simulator.advance(300)
    second = await ecs_services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[
            {
                "name": "nginx",
                "image": "myorg/nginx:1.0",
                "memory": 128,
                "environment": [{"name": "MODE", "value": "fast"}],
            }
        ],
    )
    second_arn = second["taskDefinition"]["taskDefinitionArn"]
    await ecs_services.ecs.update_service(
        cluster=CLUSTER, service="webapp", taskDefinition=second_arn
    )
    await ecs_simulator.advance(600)
    await ecs_services.describe()  # revision 2 runs, settled
    ecs_simulator.add_rule(
        {"operation": "DescribeServices", "error": "stale", "seconds": 700, "count": 1}
    )
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:3")])
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.previous_task_definition_arn == second_arn
    described = await ecs_services.ecs.describe_task_definition(
        taskDefinition=await ecs_services.task_definition()
    )
    container = described["taskDefinition"]["containerDefinitions"][0]
    assert container["image"] == "myorg/n:3"
    assert {"name": "MODE", "value": "fast"} in container["environment"]


def test_an_answer_after_ecs_rolled_back_is_fresher_than_one_during_the_failure() -> None:
    """as_of: ECS's rollback makes an older deployment PRIMARY again; its updatedAt, not its
    createdAt, says the answer is the newer one."""
    during = {
        "deployments": [
            {"status": "PRIMARY", "createdAt": 200.0, "updatedAt": 210.0},
            {"status": "ACTIVE", "createdAt": 100.0, "updatedAt": 200.0},
        ]
    }
    after = {
        "deployments": [
            {"status": "PRIMARY", "createdAt": 100.0, "updatedAt": 300.0},
            {"status": "ACTIVE", "createdAt": 200.0, "updatedAt": 290.0},
        ]
    }
    assert as_of(after) > as_of(during)
    assert as_of({"deployments": []}) == 0.0
