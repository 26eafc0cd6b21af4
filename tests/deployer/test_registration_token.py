"""The registration token tag (idempotent registration) never costs a user anything: it fits in
ECS's 50-tag limit or is left out (review of issue 9)."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy import Deployer, DeploySettings, ImageChange, Outcome, RetryPolicy, Target
from ecsdeploy._taskdef import REGISTRATION_TOKEN_TAG
from ecsdeploy.sim import Simulator
from tests.deployer.conftest import CLUSTER, POLL, REGION, Services, session
from tests.deployer.lossy_proxy import lossy_proxy

pytestmark = pytest.mark.anyio

#: ECS's limit on the tags of one resource.
MAX_TAGS = 50


async def test_a_revision_with_fifty_tags_still_deploys(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """A task definition already at ECS's 50-tag limit deploys; its tags are copied unchanged."""
    await services.create()
    tags: list[Any] = [{"key": f"tag-{n}", "value": str(n)} for n in range(MAX_TAGS)]
    full = await services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:1.0", "memory": 128}],
        tags=tags,
    )
    full_arn = full["taskDefinition"]["taskDefinitionArn"]
    await services.ecs.update_service(cluster=CLUSTER, service="webapp", taskDefinition=full_arn)
    await sim.advance(600)
    result = await deployer.deploy(Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")]))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    described = await services.ecs.describe_task_definition(
        taskDefinition=await services.task_definition(), include=["TAGS"]
    )
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == "myorg/n:2"
    assert {t["key"]: t["value"] for t in described["tags"]} == {t["key"]: t["value"] for t in tags}
    assert REGISTRATION_TOKEN_TAG not in {t["key"] for t in described["tags"]}


async def test_a_lost_answer_for_a_revision_with_fifty_tags_registers_one_revision(
    services: Services, sim: Simulator
) -> None:
    """No room for the token: the lost registration is found by its content, not repeated."""
    await services.create()
    tags: list[Any] = [{"key": f"tag-{n}", "value": str(n)} for n in range(MAX_TAGS)]
    full = await services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:1.0", "memory": 128}],
        tags=tags,
    )
    full_arn = full["taskDefinition"]["taskDefinitionArn"]
    await services.ecs.update_service(cluster=CLUSTER, service="webapp", taskDefinition=full_arn)
    await sim.advance(600)
    before = await services.revisions()
    async with (
        lossy_proxy(sim.endpoint_url, {"RegisterTaskDefinition": 1}) as proxy,
        Deployer(
            session=session(),
            region=REGION,
            endpoint_url=proxy.url,
            settings=DeploySettings(timeout=30, poll_interval=POLL),
            retry=RetryPolicy.fast(),
        ) as deployer,
    ):
        result = await deployer.deploy(
            Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
        )
    assert proxy.lost == 1
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    after = await services.revisions()
    assert len(after) == len(before) + 1, after
    assert await services.task_definition() == after[-1]


async def test_a_deployment_that_changed_nothing_leaves_no_copy_behind(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """The deregistered revision's copy is deregistered again when UpdateService never landed."""
    old = await services.create()
    await services.ecs.deregister_task_definition(taskDefinition=old)
    sim.add_rule({"operation": "UpdateService", "error": "ServerException"})
    result = await deployer.deploy(Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")]))
    sim.clear_rules()
    assert result.outcome is Outcome.FAILED
    assert not result.changed
    assert "nothing changed" in result.reason
    assert await services.task_definition() == old
    assert await services.revisions() == []


async def test_a_caller_not_allowed_to_tag_still_deploys_an_untagged_revision(
    services: Services, sim: Simulator
) -> None:
    """No ecs:TagResource permission and no tags to copy: registered without the token."""
    await services.create()
    untagged = await services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:1.0", "memory": 128}],
    )
    untagged_arn = untagged["taskDefinition"]["taskDefinitionArn"]
    await services.ecs.update_service(
        cluster=CLUSTER, service="webapp", taskDefinition=untagged_arn
    )
    await sim.advance(600)
    before = await services.revisions()
    async with (
        lossy_proxy(sim.endpoint_url, {}, deny_tagging=True) as proxy,
        Deployer(
            session=session(),
            region=REGION,
            endpoint_url=proxy.url,
            settings=DeploySettings(timeout=30, poll_interval=POLL),
            retry=RetryPolicy.fast(),
        ) as deployer,
    ):
        result = await deployer.deploy(
            Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
        )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    after = await services.revisions()
    assert len(after) == len(before) + 1, after
    described = await services.ecs.describe_task_definition(
        taskDefinition=after[-1], include=["TAGS"]
    )
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == "myorg/n:2"
    assert not described.get("tags")
