"""`interruption` rules: AWS takes a task's capacity back (Fargate Spot, task retirement), the
service scheduler replaces the task, and no deployment counts it as a failure."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy.sim._dynamics.rules import ContainerRule, ContainerRuleError
from tests.sim.backend_fixtures import Sim

SPOT_REASON = "Your Spot Task was interrupted."
MAINTENANCE_REASON = (
    "ECS is performing maintenance on the underlying infrastructure hosting the task."
)


def _steady_service(sim: Sim, *, desired: int = 2) -> str:
    taskdef = sim.register("myorg/web:1")
    sim.create_service(taskdef, desired=desired, circuit_breaker=True, rollback=True)
    sim.advance(120)
    deployment_id: str = sim.service()["deployments"][0]["id"]
    return deployment_id


def _stopped(sim: Sim) -> list[dict[str, Any]]:
    return sim.tasks(desired="STOPPED")


def test_spot_interruption_stops_a_running_task_with_ecs_wording() -> None:
    """ "Fargate capacity providers": an interrupted Spot task stops with stopCode
    SpotInterruption and stoppedReason "Your Spot Task was interrupted."."""
    sim = Sim()
    _steady_service(sim)
    sim.backend.add_container_rule({"image": "myorg/web:*", "behavior": "interruption", "count": 1})
    sim.advance(1)
    [task] = _stopped(sim)
    assert task["stopCode"] == "SpotInterruption"
    assert task["stoppedReason"] == SPOT_REASON


def test_termination_notice_uses_the_maintenance_wording() -> None:
    """ "Task retirement and maintenance for AWS Fargate on Amazon ECS": the stoppedReason says
    ECS is performing maintenance on the underlying infrastructure hosting the task."""
    sim = Sim()
    _steady_service(sim)
    sim.backend.add_container_rule(
        {
            "image": "myorg/web:*",
            "behavior": "interruption",
            "stop_code": "TerminationNotice",
            "count": 1,
        }
    )
    sim.advance(120)
    [task] = _stopped(sim)
    assert task["stopCode"] == "TerminationNotice"
    assert task["stoppedReason"] == MAINTENANCE_REASON
    assert task["lastStatus"] == "STOPPED"
    assert [c["exitCode"] for c in task["containers"]] == [0]


def test_the_scheduler_replaces_interrupted_tasks() -> None:
    """ "Task retirement and maintenance for AWS Fargate on Amazon ECS": for service tasks the
    scheduler launches a new task to maintain the desired count."""
    sim = Sim()
    _steady_service(sim, desired=3)
    sim.backend.add_container_rule(
        {"image": "myorg/web:*", "behavior": "interruption", "count": 2, "after": 5}
    )
    sim.advance(300)
    service = sim.service()
    assert len(_stopped(sim)) == 2
    assert service["runningCount"] == 3
    assert len(sim.tasks()) == 3


def test_interruptions_never_count_as_deployment_failures() -> None:
    """An interrupted task is no failed task: failedTasks stays 0 and the breaker never trips,
    even with more interruptions than its threshold during a rollout."""
    sim = Sim()
    _steady_service(sim)
    sim.backend.add_container_rule(
        {"image": "myorg/web:2", "behavior": "interruption", "count": 6, "after": 1}
    )
    new_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    deployment = sim.run_until_settled(new_id)
    interrupted = [t for t in _stopped(sim) if t["stopCode"] == "SpotInterruption"]
    assert len(interrupted) == 6
    assert deployment["rolloutState"] == "COMPLETED"
    assert deployment["failedTasks"] == 0


def test_interruption_only_hits_matching_running_tasks() -> None:
    """Tasks whose image does not match keep running."""
    sim = Sim()
    _steady_service(sim)
    sim.backend.add_container_rule({"image": "other/*", "behavior": "interruption"})
    sim.advance(300)
    assert _stopped(sim) == []


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"stop_code": "UserInitiated"}, "stop_code"),
        ({"count": 0}, "count"),
        ({"exit_code": 1}, "exit_code"),
    ],
)
def test_bad_interruption_rules_are_refused(rule: dict[str, object], complaint: str) -> None:
    """Only ECS's two capacity stop codes, a positive count, and no crash-only keys."""
    with pytest.raises(ContainerRuleError, match=complaint):
        ContainerRule.parse({"image": "*", "behavior": "interruption", **rule})
