"""The registration token tag (idempotent registration) never costs a user anything: it fits in
ECS's 50-tag limit or is left out (review of issue 9)."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy import Deployer, ImageChange, Outcome, Target
from ecsdeploy._taskdef.revision import REGISTRATION_TOKEN_TAG
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices
from tests.deployer.lossy_proxy import deployer_through, lossy_proxy

pytestmark = pytest.mark.anyio

#: ECS's limit on the tags of one resource.
MAX_TAGS = 50


async def test_a_revision_with_fifty_tags_still_deploys(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A task definition already at ECS's 50-tag limit deploys; its tags are copied unchanged."""
    await ecs_services.create()
    tags: list[Any] = [{"key": f"tag-{n}", "value": str(n)} for n in range(MAX_TAGS)]
    full = await ecs_services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:1.0", "memory": 128}],
        tags=tags,
    )
    full_arn = full["taskDefinition"]["taskDefinitionArn"]
    await ecs_services.ecs.update_service(
        cluster=CLUSTER, service="webapp", taskDefinition=full_arn
    )
    await ecs_simulator.advance(600)
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    described = await ecs_services.ecs.describe_task_definition(
        taskDefinition=await ecs_services.task_definition(), include=["TAGS"]
    )
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == "myorg/n:2"
    assert {t["key"]: t["value"] for t in described["tags"]} == {t["key"]: t["value"] for t in tags}
    assert REGISTRATION_TOKEN_TAG not in {t["key"] for t in described["tags"]}


async def test_a_lost_answer_for_a_revision_with_fifty_tags_registers_one_revision(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """No room for the token: the lost registration is found by its content, not repeated."""
    await ecs_services.create()
    tags: list[Any] = [{"key": f"tag-{n}", "value": str(n)} for n in range(MAX_TAGS)]
    full = await ecs_services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:1.0", "memory": 128}],
        tags=tags,
    )
    full_arn = full["taskDefinition"]["taskDefinitionArn"]
    await ecs_services.ecs.update_service(
        cluster=CLUSTER, service="webapp", taskDefinition=full_arn
    )
    await ecs_simulator.advance(600)
    before = await ecs_services.revisions()
    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {"RegisterTaskDefinition": 1}) as proxy,
        deployer_through(proxy) as ecs_deployer,
    ):
        result = await ecs_deployer.deploy(
            Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
        )
    assert proxy.lost == 1
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    after = await ecs_services.revisions()
    assert len(after) == len(before) + 1, after
    assert await ecs_services.task_definition() == after[-1]


async def test_a_deployment_that_changed_nothing_leaves_no_copy_behind(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The deregistered revision's copy is deregistered again when UpdateService never landed."""
    old = await ecs_services.create()
    await ecs_services.ecs.deregister_task_definition(taskDefinition=old)
    ecs_simulator.add_rule({"operation": "UpdateService", "error": "ServerException"})
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
    )
    ecs_simulator.clear_rules()
    assert result.outcome is Outcome.FAILED
    assert not result.changed
    assert "nothing changed" in result.reason
    assert await ecs_services.task_definition() == old
    assert await ecs_services.revisions() == []


async def test_a_caller_not_allowed_to_tag_still_deploys_an_untagged_revision(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """No ecs:TagResource permission and no tags to copy: registered without the token."""
    await ecs_services.create()
    untagged = await ecs_services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:1.0", "memory": 128}],
    )
    untagged_arn = untagged["taskDefinition"]["taskDefinitionArn"]
    await ecs_services.ecs.update_service(
        cluster=CLUSTER, service="webapp", taskDefinition=untagged_arn
    )
    await ecs_simulator.advance(600)
    before = await ecs_services.revisions()
    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {}, deny_tagging=True) as proxy,
        deployer_through(proxy) as ecs_deployer,
    ):
        result = await ecs_deployer.deploy(
            Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
        )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    after = await ecs_services.revisions()
    assert len(after) == len(before) + 1, after
    described = await ecs_services.ecs.describe_task_definition(
        taskDefinition=after[-1], include=["TAGS"]
    )
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == "myorg/n:2"
    assert not described.get("tags")
