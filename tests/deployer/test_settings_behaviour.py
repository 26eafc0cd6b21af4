"""Settings that change how a deployment is run: waiting for others, bake time, user checks."""

from __future__ import annotations

import pytest

from ecsdeploy import (
    Deployer,
    ImageChange,
    Observation,
    Outcome,
    Phase,
    Target,
    Verdict,
)
from ecsdeploy.checks import default_checks
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices

pytestmark = pytest.mark.anyio


async def start_slow_deployment(
    ecs_services: EcsServices, ecs_simulator: Simulator, old: str, *, seconds: float = 600
) -> None:
    """Someone else's deployment, still IN_PROGRESS for `seconds` simulated seconds."""
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:1.0", "behavior": "slow_start", "seconds": seconds}
    )
    await ecs_services.ecs.update_service(
        cluster=CLUSTER, service="webapp", taskDefinition=old, forceNewDeployment=True
    )


async def test_an_in_progress_deployment_is_waited_for_by_default(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """PREFLIGHT waits for the other deployment, then ours runs and succeeds."""
    old = await ecs_services.create()
    await start_slow_deployment(ecs_services, ecs_simulator, old)
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")])
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.previous_task_definition_arn == old
    waited = [e for e in result.history if e.phase is Phase.PREFLIGHT]
    assert result.history[1].at - waited[0].at > 0.05  # it did wait (slow start: 600 simulated s)


async def test_an_in_progress_deployment_fails_fast_when_told_not_to_wait(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """wait_for_in_progress=False: FAILED at once, nothing registered or changed."""
    old = await ecs_services.create()
    # Ten simulated hours: no loaded machine lets it finish before PREFLIGHT reads.
    await start_slow_deployment(ecs_services, ecs_simulator, old, seconds=36_000)
    settings = ecs_deployer.settings.with_overrides(wait_for_in_progress=False)
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")]), settings=settings
    )
    assert result.outcome is Outcome.FAILED
    assert "still in progress" in result.reason
    assert not result.changed
    assert await ecs_services.revisions() == [old]


async def test_bake_time_holds_success_until_healthy_long_enough(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """With a bake time, SUCCEEDED comes at least that long after the first healthy tick."""
    await ecs_services.create()
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")]), bake=0.3
    )
    assert result.outcome is Outcome.SUCCEEDED
    watch = next(t for t in result.history if t.phase is Phase.WATCH)
    done = result.history[-1]
    assert done.at - watch.at >= 0.3


class RejectEverything:
    """A business check that says no."""

    name = "error-budget"

    async def evaluate(self, observation: Observation) -> Verdict:
        if observation.deployment and observation.deployment.get("runningCount"):
            return Verdict.failed("error rate 7% > 1%")
        return Verdict.progressing("waiting for traffic")


async def test_a_user_check_can_fail_a_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """A custom HealthCheck's failure rolls the deployment back, with its name and reason."""
    old = await ecs_services.create()
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/n:2")]),
        checks=[*default_checks(), RejectEverything()],
    )
    assert result.outcome is Outcome.ROLLED_BACK
    assert result.reason == "error rate 7% > 1%"
    assert await ecs_services.task_definition() == old
