"""How soon a failing deployment is caught (issue 13: from the threshold-th failed task to our
rollback within one poll interval), in simulated time on the simulator's clock."""

from __future__ import annotations

import pytest

from ecsdeploy import Deployer, DeployEvent, Outcome, Phase
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import EcsServices
from tests._fixtures.scenario import CRASH, in_lockstep, to

pytestmark = pytest.mark.anyio

#: Simulated seconds per poll: shorter than a failed task takes to stop (DEACTIVATING, then
#: STOPPING: 5 simulated seconds), as ECS's own stop takes longer than a 5 s poll.
POLL = 2.0


async def test_the_threshold_th_failed_task_is_acted_on_within_one_poll(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """With the breaker off, the rollback starts at the first poll after ECS counts the
    threshold-th failed task, not only once that task has finished stopping."""
    old = await ecs_services.create(breaker=False)
    ecs_simulator.add_rule(CRASH)
    rollback_at: list[float] = []

    def on_rollback(event: DeployEvent) -> None:
        if event.kind == "phase" and event.phase is Phase.ROLLBACK:
            rollback_at.append(ecs_simulator.clock.now())

    ecs_deployer.subscribe(on_rollback)
    result = await in_lockstep(
        ecs_simulator, lambda: ecs_deployer.deploy(to("myorg/nginx:crash")), step=POLL
    )
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert "tasks failed (threshold 3)" in result.reason
    assert await ecs_services.task_definition() == old
    records = [r for r in ecs_simulator.timeline()["deployments"] if r["service"] == "webapp"]
    failing = next(r for r in records if r["thresholdReachedAt"] is not None)
    assert 0 <= rollback_at[0] - failing["thresholdReachedAt"] <= POLL


async def test_a_verdict_taken_while_the_failed_tasks_still_stop_says_why_they_failed(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Four tasks crashing at once fail the deployment at the next poll, and the result still
    names their exit, which ECS gives as soon as they begin stopping."""
    old = await ecs_services.create(desired=4, breaker=False)
    ecs_simulator.add_rule(CRASH)
    result = await in_lockstep(
        ecs_simulator, lambda: ecs_deployer.deploy(to("myorg/nginx:crash")), step=POLL
    )
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert "tasks failed (threshold 3); last: task " in result.reason
    assert "exit 1" in result.reason
    assert len(result.stopped_tasks) >= 3
    assert all(t.stop_code == "EssentialContainerExited" for t in result.stopped_tasks)
    assert await ecs_services.task_definition() == old
