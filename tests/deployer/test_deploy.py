"""Single-service deployments against the simulator, over HTTP, on its fast clock."""

from __future__ import annotations

import anyio
import pytest
import structlog

from ecsdeploy import (
    Deployer,
    DeployEvent,
    DeploySettings,
    ImageChange,
    Outcome,
    Phase,
    SetEnv,
    Target,
)
from ecsdeploy._taskdef.revision import REGISTRATION_TOKEN_TAG
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, POLL_INTERVAL, EcsServices

pytestmark = pytest.mark.anyio

NEW_IMAGE = "myorg/nginx:2.0"


def nginx_to(image: str = NEW_IMAGE, service: str = "webapp") -> Target:
    return Target(CLUSTER, service, [ImageChange("nginx", image)])


def phases(result_history: tuple[object, ...]) -> list[str]:
    return [t.phase.value for t in result_history]  # type: ignore[attr-defined]


async def test_good_rollout_succeeds_on_the_new_revision(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """The service ends on a new revision with the new image; the history is the happy chain."""
    old = await ecs_services.create()
    result = await ecs_deployer.deploy(nginx_to())
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.exit_code == 0
    assert phases(result.history) == ["PREFLIGHT", "REGISTER", "UPDATE", "WATCH", "SUCCEEDED"]
    assert result.previous_task_definition_arn == old
    assert result.reason == "webapp:2: 2/2 tasks running"
    service = await ecs_services.describe()
    assert service["taskDefinition"] == result.task_definition_arn != old
    live = [d["id"] for d in service["deployments"] if d["status"] != "INACTIVE"]
    assert live == [result.deployment_id]
    described = await ecs_services.ecs.describe_task_definition(
        taskDefinition=service["taskDefinition"], include=["TAGS"]
    )
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == NEW_IMAGE
    tags = {t["key"]: t["value"] for t in described["tags"]}
    assert tags.pop(REGISTRATION_TOKEN_TAG)  # the idempotency token of this registration
    assert tags == {"team": "web"}
    assert any("steady state" in e.message for e in result.events)


async def test_crash_with_circuit_breaker_is_rolled_back_by_ecs(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ECS's circuit breaker rolls back a crashing image: ROLLED_BACK by ecs, never success."""
    old = await ecs_services.create(breaker=True, breaker_rollback=True)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash*", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:crash-1"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecs"
    assert result.exit_code == 1
    assert await ecs_services.task_definition() == old
    assert result.stopped_tasks
    assert all(t.stop_code == "EssentialContainerExited" for t in result.stopped_tasks)
    assert any(c.exit_code == 1 for t in result.stopped_tasks for c in t.containers)


async def test_crash_without_circuit_breaker_is_rolled_back_by_ecsdeploy(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """With the breaker off, our stopped-task check fails the deployment and we roll back."""
    old = await ecs_services.create(breaker=False)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash*", "behavior": "crash", "exit_code": 137, "after": 5}
    )
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:crash-2"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert "tasks failed (threshold 3)" in result.reason
    assert "exit 137" in result.reason
    service = await ecs_services.describe()
    assert service["taskDefinition"] == old
    assert [d["status"] for d in service["deployments"] if d["status"] != "INACTIVE"] == ["PRIMARY"]
    assert phases(result.history)[-2:] == ["ROLLBACK", "ROLLED_BACK"]
    # The failed revision is deregistered: only the original remains ACTIVE.
    assert await ecs_services.revisions() == [old]


async def test_missing_image_fails_fast(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A pull error for a missing image fails at the first stopped task, not at the threshold."""
    old = await ecs_services.create(desired=10)
    ecs_simulator.add_rule({"image": "myorg/nginx:missing", "behavior": "pull_error"})
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:missing"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert "CannotPullContainerError" in result.reason
    assert result.reason.startswith("unrecoverable")
    assert await ecs_services.task_definition() == old


async def test_unhealthy_containers_fail_the_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Tasks failing their container health checks are failures; the deploy is rolled back."""
    old = await ecs_services.create(health_check={"command": ["CMD-SHELL", "curl -f localhost"]})
    ecs_simulator.add_rule({"image": "myorg/nginx:sick", "behavior": "unhealthy"})
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:sick"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert await ecs_services.task_definition() == old


async def test_timeout_fails_and_rolls_back(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A rollout slower than the timeout is failed and rolled back."""
    old = await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:slow"), timeout=1.0)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.reason.startswith("timed out after 1s")
    assert await ecs_services.task_definition() == old


async def test_max_checks_bounds_the_watch(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """drone-deploy-ecs's max_deploy_checks: give up after that many poll ticks."""
    await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:slow"), max_checks=3)
    assert result.outcome is Outcome.ROLLED_BACK
    assert result.reason.startswith("not healthy after 3 checks")


async def test_rollback_disabled_leaves_a_failed_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """With rollback off the result is FAILED (exit 1) and the service keeps the new revision."""
    await ecs_services.create()
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash*", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:crash-3"), rollback=False)
    assert result.outcome is Outcome.FAILED
    assert result.changed
    assert result.exit_code == 1
    assert result.reason.endswith("rollback disabled")
    assert await ecs_services.task_definition() == result.task_definition_arn


async def test_someone_else_deploying_mid_watch_is_superseded(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Another deployment over ours is reported, never rolled back over."""
    old = await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 1200})
    watching = anyio.Event()
    ecs_deployer.subscribe(lambda e: watching.set() if e.phase is Phase.WATCH else None)
    results = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(nginx_to("myorg/nginx:slow")))

    async with anyio.create_task_group() as group:
        group.start_soon(deploy)
        await watching.wait()
        await ecs_services.ecs.update_service(
            cluster=CLUSTER, service="webapp", taskDefinition=old, forceNewDeployment=True
        )
    (result,) = results
    assert result.outcome is Outcome.SUPERSEDED, result.reason
    assert result.rolled_back_by is None
    assert "superseded by deployment" in result.reason
    assert phases(result.history)[-1] == "SUPERSEDED"


async def test_cancellation_mid_watch_still_rolls_back(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Cancelling the caller during WATCH completes the rollback before cancelling."""
    old = await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    watching = anyio.Event()
    ecs_deployer.subscribe(lambda e: watching.set() if e.phase is Phase.WATCH else None)
    async with anyio.create_task_group() as group:
        group.start_soon(ecs_deployer.deploy, nginx_to("myorg/nginx:slow"))
        await watching.wait()
        group.cancel_scope.cancel()
    (result,) = ecs_deployer.results
    assert result.outcome is Outcome.ROLLED_BACK
    assert result.reason == "cancelled during WATCH"
    assert await ecs_services.task_definition() == old


async def test_a_rollback_that_fails_is_rollback_failed(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """When the previous revision cannot come back either, say so at the rollback's deadline:
    exit 3, with what to do."""
    old = await ecs_services.create(image="myorg/nginx:1.0")

    def break_old_image(event: DeployEvent) -> None:
        if event.kind == "phase" and event.phase is Phase.WATCH:
            ecs_simulator.add_rule({"image": "myorg/nginx:1.0", "behavior": "pull_error"})

    ecs_deployer.subscribe(break_old_image)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash*", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    # ECS's own rollback (StopServiceDeployment) would keep the old tasks still running; the
    # rollback that must fail is a redeployment of the old revision, whose image cannot be pulled.
    ecs_simulator.add_rule({"operation": "StopServiceDeployment", "error": "AccessDenied"})
    settings = DeploySettings(timeout=30, poll_interval=POLL_INTERVAL, rollback_timeout=1)
    result = await ecs_deployer.deploy(nginx_to("myorg/nginx:crash-4"), settings=settings)
    assert result.outcome is Outcome.ROLLBACK_FAILED, result.reason
    assert "not back on" in result.reason
    assert "within 1s" in result.reason
    assert result.exit_code == 3
    assert result.needs_attention
    assert old in result.reason
    assert "aws ecs update-service" in result.reason


async def test_secrets_never_reach_the_logs(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """A secret-looking environment value is redacted in every log event and in the diff."""
    await ecs_services.create()
    target = Target(
        CLUSTER,
        "webapp",
        [ImageChange("nginx", NEW_IMAGE), SetEnv("nginx", "DB_PASSWORD", "hunter2-very-secret")],
    )
    with structlog.testing.capture_logs() as logs:
        result = await ecs_deployer.deploy(target)
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert logs, "the deployment logged nothing"
    assert "hunter2-very-secret" not in repr(logs)
    assert "hunter2-very-secret" not in repr(result)
    assert any("DB_PASSWORD" in line for line in result.diff)
    events = [e["event"] for e in logs]
    assert events.count("ecsdeploy.phase") == 4
    phase_log = [e for e in logs if e["event"] == "ecsdeploy.phase"]
    assert all(e["cluster"] == CLUSTER and e["service"] == "webapp" for e in phase_log)
