"""TargetHealth honours the bake time on the simulator, over ELBv2's wire: targets that pass
their health checks and then degrade while baking roll the deployment back; targets that stay
healthy through the bake let it succeed only once the bake time is over.

Simulated time moves in lockstep with the deployer's polls (5 s each), so when the targets
degrade relative to what the deployer has seen does not depend on how busy the machine is."""

from __future__ import annotations

import pytest

from ecsdeploy import Deployer, DeployEvent, DeployResult, Outcome, Phase, Status
from ecsdeploy.checks import TargetHealth
from ecsdeploy.sim import Simulator
from tests._fixtures.scenario import in_lockstep, to
from tests.checks.balanced import Balanced

pytestmark = pytest.mark.anyio

NEW = "myorg/nginx:2"


def degrading(after: float) -> dict[str, object]:
    """The new version's targets pass their checks, then time out `after` simulated seconds
    past the container's start."""
    return {"image": NEW, "behavior": "elb_unhealthy", "reason": "Timeout", "after": after}


async def deploy_in_lockstep(
    deployer: Deployer, simulator: Simulator, *, bake: float, threshold: int = 2
) -> tuple[DeployResult, list[DeployEvent]]:
    """Deploy NEW with TargetHealth and `bake`, simulated time moving only as the deployer
    polls; the result and the verdict events."""
    verdicts: list[DeployEvent] = []
    deployer.subscribe(lambda e: verdicts.append(e) if e.kind == "verdict" else None)
    settings = deployer.settings.with_overrides(
        extra_checks=(TargetHealth(threshold=threshold),), bake=bake
    )
    result = await in_lockstep(simulator, lambda: deployer.deploy(to(NEW), settings=settings))
    return result, verdicts


async def test_targets_degrading_during_the_bake_time_roll_back(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """Healthy first (the bake starts), then the targets time out while baking: ROLLED_BACK by
    ecsdeploy, the reason naming our target and ELB's reason code, ECS's stop for it counted,
    and the service back on its previous revision."""
    # Targets healthy 20 s after the deployment starts, failing from 60 s after their task
    # started, unhealthy 10 s later; ECS stops the tasks when the grace period ends at 150 s.
    old = await lb.create(grace=150)
    ecs_simulator.add_rule(degrading(after=60))
    result, verdicts = await deploy_in_lockstep(ecs_deployer, ecs_simulator, bake=60.0)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    # ECS had finished its service deployment: the rollback is ecsdeploy's UpdateService.
    assert result.rollback_method == "update-service"
    healthy = [i for i, e in enumerate(verdicts) if e.data.get("status") == "HEALTHY"]
    degraded = [i for i, e in enumerate(verdicts) if "Target.Timeout" in e.message]
    assert healthy, "the deployment was healthy, so the bake time had begun"
    assert degraded, "the targets were seen timing out"
    assert healthy[0] < degraded[0]
    assert "in webapp-tg is unhealthy (Target.Timeout: Request timed out)" in result.reason
    assert "ECS stopped the task; 2/2 unhealthy sightings" in result.reason
    assert await lb.task_definition() == old


async def test_targets_healthy_through_the_bake_time_succeed_after_it(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """Targets that would degrade only long after the bake stay healthy through it: SUCCEEDED
    with the bake in its reason, no sooner than the bake time into the watch, on the new
    revision with both targets still healthy."""
    old = await lb.create()
    ecs_simulator.add_rule(degrading(after=3600))
    result, verdicts = await deploy_in_lockstep(ecs_deployer, ecs_simulator, bake=0.3)
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.reason.endswith("2/2 tasks running, healthy for 0.3s")
    assert verdicts[-1].data.get("status") == "HEALTHY"
    watch = next(t for t in result.history if t.phase is Phase.WATCH)
    assert result.history[-1].at - watch.at >= 0.3
    (verdict,) = [v for v in result.checks if v.check == "target-health"]
    assert verdict.status is Status.HEALTHY
    assert await lb.task_definition() != old
    health = await lb.elbv2.describe_target_health(TargetGroupArn=lb.target_group)
    states = [d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]]
    assert states.count("healthy") == 2
    assert Phase.ROLLBACK not in [t.phase for t in result.history]
