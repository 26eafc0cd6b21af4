"""Bad input: a clear error, and nothing changed in the account (no revision left registered)."""

from __future__ import annotations

import pytest

from ecsdeploy import Deployer, ImageChange, Outcome, Phase, SetEnv, Target, exceptions
from ecsdeploy.testing import CLUSTER, EcsServices

pytestmark = pytest.mark.anyio


async def deploy_and_check_nothing_changed(
    ecs_deployer: Deployer, ecs_services: EcsServices, target: Target
) -> str:
    before = await ecs_services.revisions()
    service_before = await ecs_services.task_definition()
    result = await ecs_deployer.deploy(target)
    assert result.outcome is Outcome.FAILED
    assert not result.changed
    assert [t.phase for t in result.history] == [Phase.PREFLIGHT, Phase.FAILED]
    assert await ecs_services.revisions() == before
    assert await ecs_services.task_definition() == service_before
    return result.reason


async def test_unknown_cluster(ecs_deployer: Deployer, ecs_services: EcsServices) -> None:
    """A cluster that does not exist is named in the error; exit 2."""
    await ecs_services.create()
    result = await ecs_deployer.deploy(
        Target("no-such-cluster", "webapp", [ImageChange("nginx", "a:1")])
    )
    assert result.outcome is Outcome.FAILED
    assert result.input_error
    assert result.exit_code == 2
    assert "Cluster not found" in result.reason or "no-such-cluster" in result.reason


async def test_unknown_service(ecs_deployer: Deployer, ecs_services: EcsServices) -> None:
    """A missing service says which service and cluster."""
    await ecs_services.create()
    reason = await deploy_and_check_nothing_changed(
        ecs_deployer, ecs_services, Target(CLUSTER, "nope", [ImageChange("nginx", "a:1")])
    )
    assert "'nope' not found in cluster 'dev-ecs-cluster'" in reason


async def test_unknown_container_names_the_ones_that_exist(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """An unknown container lists the containers the task definition has."""
    await ecs_services.create()
    reason = await deploy_and_check_nothing_changed(
        ecs_deployer, ecs_services, Target(CLUSTER, "webapp", [ImageChange("api", "myorg/api:1")])
    )
    assert "api" in reason
    assert "nginx" in reason


async def test_malformed_image(ecs_services: EcsServices) -> None:
    """An image that breaks the Docker reference grammar is refused when the change is made."""
    old = await ecs_services.create()
    with pytest.raises(exceptions.InvalidImageError, match=r"MyOrg/Nginx::x"):
        ImageChange("nginx", "MyOrg/Nginx::x")
    assert await ecs_services.revisions() == [old]


async def test_code_deploy_service_is_refused_with_the_reason(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """CODE_DEPLOY services are deployed by CodeDeploy, and we say so."""
    await ecs_services.create(controller="CODE_DEPLOY")
    target = Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/nginx:2")])
    reason = await deploy_and_check_nothing_changed(ecs_deployer, ecs_services, target)
    assert "CODE_DEPLOY deployment controller" in reason
    result = ecs_deployer.results[-1]
    assert result.exit_code == 2


async def test_empty_change_set(ecs_deployer: Deployer, ecs_services: EcsServices) -> None:
    """A target with no changes and no revision to deploy is bad input."""
    await ecs_services.create()
    reason = await deploy_and_check_nothing_changed(
        ecs_deployer, ecs_services, Target(CLUSTER, "webapp")
    )
    assert "change" in reason.lower()


async def test_plan_raises_the_input_error(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """A dry run raises the typed error instead of returning a result."""
    await ecs_services.create()
    with pytest.raises(exceptions.UnknownContainerError, match="nginx"):
        await ecs_deployer.plan(Target(CLUSTER, "webapp", [ImageChange("api", "myorg/api:1")]))


async def test_plan_shows_a_redacted_diff_and_changes_nothing(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """A dry run returns the diff; the account is untouched."""
    old = await ecs_services.create(environment=[{"name": "API_TOKEN", "value": "s3cr3t-old"}])
    plan = await ecs_deployer.plan(
        Target(
            CLUSTER,
            "webapp",
            [ImageChange("nginx", "myorg/nginx:9"), SetEnv("nginx", "API_TOKEN", "s3cr3t-new")],
        )
    )
    assert plan.current_task_definition_arn == old
    assert any("myorg/nginx:9" in line for line in plan.diff)
    assert "s3cr3t" not in repr(plan)
    assert await ecs_services.revisions() == [old]
