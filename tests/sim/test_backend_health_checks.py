"""Container health checks as ECS applies them to service tasks."""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim

RUNNING_AFTER = Timings().provisioning + Timings().pending


def _deploy_unhealthy(
    sim: Sim, *, health_check: bool, grace: int | None = None, **check: Any
) -> str:
    """A healthy service, then myorg/web:2 under an `unhealthy` rule; returns its deployment."""
    extra: dict[str, Any] = {}
    if grace is not None:
        extra["healthCheckGracePeriodSeconds"] = grace
    sim.create_service(sim.register("myorg/web:1"), desired=1, circuit_breaker=True, **extra)
    sim.advance(60)
    sim.backend.add_container_rule({"image": "myorg/web:2", "behavior": "unhealthy"})
    taskdef = sim.register("myorg/web:2", health_check=health_check)
    if check:
        described = sim.call("DescribeTaskDefinition", taskDefinition=taskdef)["taskDefinition"]
        container = described["containerDefinitions"][0]
        container["healthCheck"].update(check)
        taskdef = sim.call(
            "RegisterTaskDefinition", family="web", containerDefinitions=[container]
        )["taskDefinition"]["taskDefinitionArn"]
    return sim.update(taskDefinition=taskdef)


def _new_tasks(sim: Sim, deployment_id: str, desired: str = "RUNNING") -> list[dict[str, Any]]:
    return [t for t in sim.tasks(desired=desired) if t["startedBy"] == deployment_id]


def test_without_a_health_check_an_unhealthy_app_stays_unknown() -> None:
    """ "Determine Amazon ECS task health using container health checks": without a container
    healthCheck the health status is UNKNOWN and ECS does not replace the task."""
    sim = Sim()
    deployment_id = _deploy_unhealthy(sim, health_check=False)
    deployment = sim.run_until_settled(deployment_id)
    assert deployment["rolloutState"] == "COMPLETED"
    [task] = _new_tasks(sim, deployment_id)
    assert task["healthStatus"] == "UNKNOWN"
    assert _new_tasks(sim, deployment_id, "STOPPED") == []


def test_failed_container_health_checks_event_is_ecs_wording() -> None:
    """ "Amazon ECS service event messages": (service NAME) (task ID) failed container health
    checks."""
    sim = Sim()
    deployment_id = _deploy_unhealthy(sim, health_check=True)
    sim.advance(RUNNING_AFTER + 90 + 1)
    [task] = _new_tasks(sim, deployment_id, "STOPPED")
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    assert f"(service webapp) (task {task_id}) failed container health checks." in (sim.messages())


def test_grace_period_defers_the_replacement_of_an_unhealthy_task() -> None:
    """ "Service definition parameters" (healthCheckGracePeriodSeconds): the scheduler ignores
    container health checks for that long after the task first reaches RUNNING."""
    sim = Sim()
    deployment_id = _deploy_unhealthy(sim, health_check=True, grace=300)
    sim.advance(RUNNING_AFTER + 90 + 1)
    [task] = _new_tasks(sim, deployment_id)
    assert (task["lastStatus"], task["healthStatus"]) == ("RUNNING", "UNHEALTHY")
    sim.advance(300 - 90)
    [stopped] = _new_tasks(sim, deployment_id, "STOPPED")
    assert stopped["stoppedReason"] == "Task failed container health checks"


def test_start_period_delays_unhealthy() -> None:
    """ "HealthCheck" (API reference): failed checks during startPeriod do not count toward
    retries."""
    sim = Sim()
    deployment_id = _deploy_unhealthy(sim, health_check=True, startPeriod=60, interval=10)
    sim.advance(RUNNING_AFTER + 30 + 1)
    [task] = _new_tasks(sim, deployment_id)
    assert task["healthStatus"] == "UNKNOWN"
    sim.advance(60)
    [stopped] = _new_tasks(sim, deployment_id, "STOPPED")
    assert stopped["healthStatus"] == "UNHEALTHY"
