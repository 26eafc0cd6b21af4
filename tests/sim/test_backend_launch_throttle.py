"""The service throttle logic: tasks that keep failing to start are relaunched ever more slowly."""

from __future__ import annotations

from ecsdeploy.sim._dynamics.launch_throttle import MAX_DELAY
from tests.sim.backend_fixtures import Sim

UNABLE = "(service webapp) is unable to consistently start tasks successfully."


def _failing_service(sim: Sim) -> str:
    """A service without circuit breaker whose new revision can never be pulled."""
    sim.create_service(sim.register("myorg/web:1"), desired=2)
    sim.advance(60)
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "pull_error"})
    return sim.update(taskDefinition=sim.register("myorg/web:bad"))


def _failed(sim: Sim, deployment_id: str) -> int:
    deployment = sim.deployment(deployment_id)
    assert deployment is not None
    failed: int = deployment["failedTasks"]
    return failed


def test_repeated_start_failures_back_off_and_say_so() -> None:
    """ "Amazon ECS service throttle logic": the time between restart attempts grows, and the
    service event says the service is unable to consistently start tasks successfully."""
    sim = Sim()
    deployment_id = _failing_service(sim)
    sim.advance(2 * 3600)
    assert _failed(sim, deployment_id) < 60
    assert UNABLE in sim.messages()


def test_retries_never_stop_and_wait_at_most_27_minutes() -> None:
    """ "Amazon ECS service throttle logic": ECS never stops retrying; at most 27 minutes apart."""
    sim = Sim()
    deployment_id = _failing_service(sim)
    sim.advance(3 * 3600)
    before = _failed(sim, deployment_id)
    sim.advance(MAX_DELAY + 60)
    assert _failed(sim, deployment_id) > before


def test_a_new_task_definition_ends_the_throttle() -> None:
    """ "Amazon ECS service throttle logic": updating the service to a new task definition
    returns it to normal at once."""
    sim = Sim()
    _failing_service(sim)
    sim.advance(3600)
    fixed_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.advance(1)
    assert [t for t in sim.tasks() if t["startedBy"] == fixed_id]
    assert sim.run_until_settled(fixed_id)["rolloutState"] == "COMPLETED"


def test_tasks_that_crash_after_running_are_not_throttled() -> None:
    """ "Amazon ECS service throttle logic": tasks that stop after reaching RUNNING never
    throttle."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=2)
    sim.advance(60)
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "crash"})
    sim.update(taskDefinition=sim.register("myorg/web:bad"))
    sim.advance(600)
    assert UNABLE not in sim.messages()
