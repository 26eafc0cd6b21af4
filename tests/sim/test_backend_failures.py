"""Failing deployments: container rules, stop codes, the circuit breaker and ECS rollback."""

from __future__ import annotations

import math

import pytest

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim

FAILED_TO_START = "ECS deployment circuit breaker: tasks failed to start."


def _threshold(desired: int) -> int:
    return min(200, max(3, math.ceil(0.5 * desired)))


def _deploy_bad(
    sim: Sim,
    rule: dict[str, object],
    *,
    desired: int = 2,
    rollback: bool = False,
    health_check: bool = False,
) -> tuple[str, str, str]:
    """A healthy service on myorg/web:1, then an update to myorg/web:bad under `rule`.
    Returns (good taskdef, good deployment id, bad deployment id)."""
    good = sim.register("myorg/web:1")
    sim.create_service(good, desired=desired, circuit_breaker=True, rollback=rollback)
    sim.advance(60)
    good_id = sim.service()["deployments"][0]["id"]
    sim.backend.add_container_rule({"image": "myorg/web:bad*", **rule})
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:bad", health_check=health_check))
    return good, good_id, bad_id


@pytest.mark.parametrize("desired", [1, 4, 10, 25, 800])
def test_crashing_image_trips_the_circuit_breaker_at_the_documented_threshold(
    desired: int,
) -> None:
    """threshold = min(200, max(3, ceil(desiredCount / 2))); failedTasks == threshold at FAILED."""
    sim = Sim()
    _, _, bad_id = _deploy_bad(
        sim, {"behavior": "crash", "exit_code": 1, "after": 2}, desired=desired
    )
    # Speed is measured in bench/bench_sim.py, not asserted here; desired=800 still has to run
    # through the event-driven path for this test to finish quickly.
    deployment = sim.run_until_settled(bad_id)
    assert deployment["rolloutState"] == "FAILED"
    assert deployment["rolloutStateReason"] == FAILED_TO_START
    assert deployment["failedTasks"] == _threshold(desired)
    assert deployment["status"] == "PRIMARY"  # no rollback configured
    assert f"(service webapp) (deployment {bad_id}) deployment failed: tasks failed to start." in (
        sim.messages()
    )


def test_without_rollback_the_failed_deployment_stays_and_launches_nothing_more() -> None:
    """FAILED without rollback: stays PRIMARY; ECS stops launching tasks for it (docs), and the
    old tasks keep serving."""
    sim = Sim()
    good, good_id, bad_id = _deploy_bad(sim, {"behavior": "crash", "after": 1}, desired=4)
    sim.run_until_settled(bad_id)
    sim.advance(600)
    service = sim.service()
    primary, old = service["deployments"]
    assert (primary["id"], primary["rolloutState"]) == (bad_id, "FAILED")
    assert (primary["runningCount"], primary["pendingCount"]) == (0, 0)
    assert (old["id"], old["runningCount"]) == (good_id, 4)
    assert service["taskDefinition"].endswith(":2")
    assert {t["taskDefinitionArn"] for t in sim.tasks()} == {good}


def test_first_deployment_failing_has_nothing_to_roll_back_to() -> None:
    """A service's first deployment failing stays FAILED: there is nothing to roll back to."""
    sim = Sim()
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "pull_error"})
    sim.create_service(
        sim.register("myorg/web:bad"), desired=2, circuit_breaker=True, rollback=True
    )
    deployment_id = sim.service()["deployments"][0]["id"]
    assert sim.run_until_settled(deployment_id)["rolloutState"] == "FAILED"
    assert [d["id"] for d in sim.service()["deployments"]] == [deployment_id]


def test_failed_tasks_count_without_a_circuit_breaker_and_failures_are_replaced() -> None:
    """Without the breaker ECS keeps replacing failed tasks and failedTasks keeps counting."""
    sim = Sim()
    good = sim.register("myorg/web:1")
    sim.create_service(good, desired=2)
    sim.advance(60)
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "crash"})
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:bad"))
    sim.advance(300)
    deployment = sim.deployment(bad_id)
    assert deployment is not None
    assert deployment["rolloutState"] == "IN_PROGRESS"
    assert deployment["failedTasks"] > 20
    assert sim.service()["runningCount"] >= 2  # the old tasks keep serving


def test_pull_error_stops_the_task_before_it_runs() -> None:
    """TaskFailedToStart with ECS's CannotPullContainerError wording, task and container."""
    sim = Sim()
    _deploy_bad(sim, {"behavior": "pull_error"}, desired=1)
    sim.advance(Timings().provisioning + Timings().pending + 1)
    [task] = [
        t for t in sim.tasks(desired="STOPPED") if t["containers"][0]["image"] == "myorg/web:bad"
    ]
    reason = (
        "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to "
        "resolve ref docker.io/myorg/web:bad: docker.io/myorg/web:bad: not found"
    )
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"] == reason
    assert task["containers"][0]["reason"] == reason
    assert "exitCode" not in task["containers"][0]
    assert "startedAt" not in task
    assert task["pullStartedAt"] <= task["stoppingAt"]


def test_crash_sets_exit_code_and_essential_container_exited() -> None:
    """A crash rule stops the task with EssentialContainerExited and the rule's exit code."""
    sim = Sim()
    _deploy_bad(sim, {"behavior": "crash", "exit_code": 137, "after": 5}, desired=1)
    timings = Timings()
    sim.advance(timings.provisioning + timings.pending + 5)
    [task] = [
        t for t in sim.tasks(desired="STOPPED") if t["containers"][0]["image"] == "myorg/web:bad"
    ]
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert task["executionStoppedAt"] == task["startedAt"] + 5
    sim.advance(timings.deactivating + timings.stopping)
    [task] = [
        t for t in sim.tasks(desired="STOPPED") if t["containers"][0]["image"] == "myorg/web:bad"
    ]
    assert task["lastStatus"] == "STOPPED"
    assert task["containers"][0]["exitCode"] == 137
    assert task["containers"][0]["lastStatus"] == "STOPPED"


def test_unhealthy_container_is_replaced_and_counts_as_failed() -> None:
    """healthStatus UNHEALTHY, then the scheduler stops the task: "Task failed container health
    checks"; such tasks count toward the circuit breaker."""
    sim = Sim()
    _, _, bad_id = _deploy_bad(sim, {"behavior": "unhealthy"}, desired=1, health_check=True)
    timings = Timings()
    sim.advance(timings.provisioning + timings.pending + 1)
    [running] = [t for t in sim.tasks() if t["startedBy"] == bad_id]
    assert (running["lastStatus"], running["healthStatus"]) == ("RUNNING", "UNKNOWN")
    sim.advance(90)  # ECS's default health check: 3 retries, 30 s apart
    [task] = [t for t in sim.tasks(desired="STOPPED") if t["startedBy"] == bad_id]
    assert task["healthStatus"] == "UNHEALTHY"
    assert task["containers"][0]["healthStatus"] == "UNHEALTHY"
    assert task["stopCode"] == "ServiceSchedulerInitiated"
    assert task["stoppedReason"] == "Task failed container health checks"
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    assert sim.messages()[-3:-1] == [
        f"(service webapp) (task {task_id}) failed container health checks.",
        f"(service webapp) has stopped 1 running tasks: (task {task_id}).",
    ]
    deployment = sim.run_until_settled(bad_id)
    assert (deployment["rolloutState"], deployment["failedTasks"]) == ("FAILED", 3)


def test_slow_start_delays_running() -> None:
    """A slow_start rule keeps the task PENDING for its seconds, then it runs."""
    sim = Sim()
    _, _, slow_id = _deploy_bad(sim, {"behavior": "slow_start", "seconds": 60}, desired=1)
    timings = Timings()
    sim.advance(timings.provisioning + timings.pending + 30)
    [task] = [t for t in sim.tasks() if t["startedBy"] == slow_id]
    assert task["lastStatus"] == "PENDING"
    sim.advance(30)
    [task] = [t for t in sim.tasks() if t["startedBy"] == slow_id]
    assert task["lastStatus"] == "RUNNING"
    assert sim.run_until_settled(slow_id)["rolloutState"] == "COMPLETED"


def test_a_healthy_task_resets_the_failure_count() -> None:
    """resetOnHealthyTask (default true): a crash after the task counted as healthy starts the
    count over, so the breaker never trips for an app that runs a while between crashes."""
    sim = Sim()
    after = Timings().no_health_check_wait + 5
    _, _, bad_id = _deploy_bad(sim, {"behavior": "crash", "after": after}, desired=1)
    sim.advance(600)
    deployment = sim.deployment(bad_id)
    assert deployment is not None
    assert deployment["rolloutState"] == "COMPLETED"


def test_rules_newest_first_and_cleared() -> None:
    """The most recently added matching rule wins; clear_container_rules forgets them all."""
    sim = Sim()
    sim.backend.add_container_rule({"image": "myorg/*", "behavior": "pull_error"})
    sim.backend.add_container_rule({"image": "myorg/web:1", "behavior": "slow_start", "seconds": 1})
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    assert (
        sim.run_until_settled(sim.service()["deployments"][0]["id"])["rolloutState"] == "COMPLETED"
    )
    sim.backend.clear_container_rules()
    sim.create_service(sim.register("myorg/api:1", family="api"), name="api", desired=1)
    deployment_id = sim.service("api")["deployments"][0]["id"]
    assert sim.run_until_settled(deployment_id, name="api")["rolloutState"] == "COMPLETED"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"behavior": "crash"}, "needs 'image'"),
        ({"image": "x", "behavior": "explode"}, "'behavior' must be one of"),
        ({"image": "x", "behavior": "crash", "after": -1}, "'after' must be a finite number"),
        ({"image": "x", "behavior": "crash", "exit_code": "1"}, "'exit_code' must be an integer"),
        ({"image": "x", "behavior": "slow_start"}, "needs 'seconds'"),
        ({"image": "x", "behavior": "pull_error", "after": 1}, "unknown key"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(rule: dict[str, object], message: str) -> None:
    """A malformed container rule is refused with a message naming what is wrong."""
    sim = Sim()
    with pytest.raises(ValueError, match=message):
        sim.backend.add_container_rule(rule)


def test_update_to_missing_task_definition_is_a_client_exception() -> None:
    """UpdateService to a revision that does not exist is ECS's ClientException."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    with pytest.raises(EcsApiError) as caught:
        sim.update(taskDefinition="web:99")
    assert (caught.value.code, caught.value.message) == (
        "ClientException",
        "TaskDefinition not found.",
    )
