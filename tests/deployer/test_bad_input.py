"""Bad input: a clear error, and nothing changed in the account (no revision left registered)."""

from __future__ import annotations

import pytest

from ecsdeploy import Deployer, ImageChange, Outcome, Phase, SetEnv, Target, exceptions
from tests.deployer.conftest import CLUSTER, Services

pytestmark = pytest.mark.anyio


async def deploy_and_check_nothing_changed(
    deployer: Deployer, services: Services, target: Target
) -> str:
    before = await services.revisions()
    service_before = await services.task_definition()
    result = await deployer.deploy(target)
    assert result.outcome is Outcome.FAILED
    assert not result.changed
    assert [t.phase for t in result.history] == [Phase.PREFLIGHT, Phase.FAILED]
    assert await services.revisions() == before
    assert await services.task_definition() == service_before
    return result.reason


async def test_unknown_cluster(deployer: Deployer, services: Services) -> None:
    """A cluster that does not exist is named in the error; exit 2."""
    await services.create()
    result = await deployer.deploy(
        Target("no-such-cluster", "webapp", [ImageChange("nginx", "a:1")])
    )
    assert result.outcome is Outcome.FAILED
    assert result.input_error
    assert result.exit_code == 2
    assert "Cluster not found" in result.reason or "no-such-cluster" in result.reason


async def test_unknown_service(deployer: Deployer, services: Services) -> None:
    """A missing service says which service and cluster."""
    await services.create()
    reason = await deploy_and_check_nothing_changed(
        deployer, services, Target(CLUSTER, "nope", [ImageChange("nginx", "a:1")])
    )
    assert "'nope' not found in cluster 'dev-ecs-cluster'" in reason


async def test_unknown_container_names_the_ones_that_exist(
    deployer: Deployer, services: Services
) -> None:
    """An unknown container lists the containers the task definition has."""
    await services.create()
    reason = await deploy_and_check_nothing_changed(
        deployer, services, Target(CLUSTER, "webapp", [ImageChange("api", "myorg/api:1")])
    )
    assert "api" in reason
    assert "nginx" in reason


async def test_malformed_image(services: Services) -> None:
    """An image that breaks the Docker reference grammar is refused when the change is made."""
    old = await services.create()
    with pytest.raises(exceptions.InvalidImageError, match=r"MyOrg/Nginx::x"):
        ImageChange("nginx", "MyOrg/Nginx::x")
    assert await services.revisions() == [old]


async def test_code_deploy_service_is_refused_with_the_reason(
    deployer: Deployer, services: Services
) -> None:
    """CODE_DEPLOY services are deployed by CodeDeploy, and we say so."""
    await services.create(controller="CODE_DEPLOY")
    target = Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/nginx:2")])
    reason = await deploy_and_check_nothing_changed(deployer, services, target)
    assert "CODE_DEPLOY deployment controller" in reason
    result = deployer.results[-1]
    assert result.exit_code == 2


async def test_empty_change_set(deployer: Deployer, services: Services) -> None:
    """A target with no changes and no revision to deploy is bad input."""
    await services.create()
    reason = await deploy_and_check_nothing_changed(deployer, services, Target(CLUSTER, "webapp"))
    assert "change" in reason.lower()


async def test_plan_raises_the_input_error(deployer: Deployer, services: Services) -> None:
    """A dry run raises the typed error instead of returning a result."""
    await services.create()
    with pytest.raises(exceptions.UnknownContainerError, match="nginx"):
        await deployer.plan(Target(CLUSTER, "webapp", [ImageChange("api", "myorg/api:1")]))


async def test_plan_shows_a_redacted_diff_and_changes_nothing(
    deployer: Deployer, services: Services
) -> None:
    """A dry run returns the diff; the account is untouched."""
    old = await services.create(environment=[{"name": "API_TOKEN", "value": "s3cr3t-old"}])
    plan = await deployer.plan(
        Target(
            CLUSTER,
            "webapp",
            [ImageChange("nginx", "myorg/nginx:9"), SetEnv("nginx", "API_TOKEN", "s3cr3t-new")],
        )
    )
    assert plan.current_task_definition_arn == old
    assert any("myorg/nginx:9" in line for line in plan.diff)
    assert "s3cr3t" not in repr(plan)
    assert await services.revisions() == [old]
