"""Rolling updates on simulated time: launching, draining, completion, counts and events."""

from __future__ import annotations

import pytest

from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim


def _serving_counts(sim: Sim) -> tuple[int, int]:
    """(tasks not asked to stop, RUNNING tasks among them)."""
    tasks = sim.tasks()
    return len(tasks), sum(1 for t in tasks if t["lastStatus"] == "RUNNING")


def test_a_new_service_reaches_steady_state() -> None:
    """CreateService launches desiredCount tasks that go PROVISIONING → PENDING → RUNNING."""
    sim = Sim()
    taskdef = sim.register("myorg/web:1")
    created = sim.create_service(taskdef, desired=3)
    assert created["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert created["deployments"][0]["id"].startswith("ecs-svc/")
    assert len(created["deployments"][0]["id"]) == len("ecs-svc/") + 19

    statuses = {t["lastStatus"] for t in sim.tasks()}
    assert statuses == {"PROVISIONING"}
    sim.advance(Timings().provisioning)
    assert {t["lastStatus"] for t in sim.tasks()} == {"PENDING"}
    assert sim.service()["pendingCount"] == 3
    sim.advance(Timings().pending)
    service = sim.service()
    assert (service["runningCount"], service["pendingCount"]) == (3, 0)
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"  # not healthy yet
    sim.advance(Timings().no_health_check_wait)
    service = sim.service()
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert service["deployments"][0]["rolloutStateReason"] == (
        f"ECS deployment {service['deployments'][0]['id']} completed."
    )
    assert sim.messages()[-1] == "(service webapp) has reached a steady state."


def test_a_good_rollout_completes_and_drains_the_old_deployment() -> None:
    """A new task definition becomes PRIMARY, its tasks replace the old ones, the old deployment
    turns INACTIVE once drained and leaves the list."""
    sim = Sim()
    old_taskdef = sim.register("myorg/web:1")
    sim.create_service(old_taskdef, desired=4)
    sim.advance(60)
    old_id = sim.service()["deployments"][0]["id"]
    new_taskdef = sim.register("myorg/web:2")

    new_id = sim.update(taskDefinition=new_taskdef)
    assert new_id != old_id
    service = sim.service()
    assert [(d["id"], d["status"]) for d in service["deployments"]] == [
        (new_id, "PRIMARY"),
        (old_id, "ACTIVE"),
    ]
    assert service["taskDefinition"] == new_taskdef
    # Defaults min 100 / max 200: four new tasks start at once, nothing old stops yet.
    primary, old = service["deployments"]
    assert (primary["desiredCount"], primary["pendingCount"], primary["runningCount"]) == (4, 4, 0)
    assert (old["desiredCount"], old["runningCount"]) == (4, 4)

    new_tasks = [t for t in sim.tasks() if t["startedBy"] == new_id]
    assert len(new_tasks) == 4
    for task in new_tasks:
        assert task["taskDefinitionArn"] == new_taskdef
        assert task["group"] == "service:webapp"
        assert task["containers"][0]["image"] == "myorg/web:2"

    deployment = sim.run_until_settled(new_id)
    assert deployment["rolloutState"] == "COMPLETED"
    assert deployment["runningCount"] == 4
    assert deployment["failedTasks"] == 0
    sim.advance(Timings().drained_deployment_retention + 1)
    service = sim.service()
    assert [d["id"] for d in service["deployments"]] == [new_id]
    assert service["runningCount"] == 4
    assert {t["startedBy"] for t in sim.tasks()} == {new_id}
    stopped = sim.tasks(desired="STOPPED")
    assert len(stopped) == 4
    for task in stopped:
        assert task["startedBy"] == old_id
        assert task["stopCode"] == "ServiceSchedulerInitiated"
        assert task["stoppedReason"] == f"Scaling activity initiated by (deployment {new_id})"
        assert task["containers"][0]["exitCode"] == 0


@pytest.mark.parametrize(
    ("desired", "minimum", "maximum"),
    [(4, 50, 100), (4, 100, 200), (6, 50, 150), (5, 0, 100), (3, 100, 134)],
)
def test_rollout_respects_minimum_healthy_and_maximum_percent(
    desired: int, minimum: int, maximum: int
) -> None:
    """At every simulated second: tasks not asked to stop ≤ floor(max% * desired), RUNNING ones
    ≥ ceil(min% * desired), and the rollout still completes."""
    sim = Sim()
    sim.create_service(
        sim.register("myorg/web:1"), desired=desired, minimum=minimum, maximum=maximum
    )
    sim.advance(60)
    new_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    upper = desired * maximum // 100
    lower = -(-desired * minimum // 100)
    for _ in sim.steps(300):
        alive, running = _serving_counts(sim)
        assert alive <= upper
        assert running >= lower
    deployment = sim.deployment(new_id)
    assert deployment is not None
    assert deployment["rolloutState"] == "COMPLETED"


def test_counts_are_right_at_each_checkpoint() -> None:
    """Service and deployment running/pending counts follow the task states."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=2, minimum=50, maximum=100)
    sim.advance(60)
    new_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    service = sim.service()
    primary, old = service["deployments"]
    # One old task stops (min 50 % of 2 = 1 stays), one new task starts in its place.
    assert (primary["pendingCount"], primary["runningCount"], primary["desiredCount"]) == (1, 0, 2)
    assert (old["runningCount"], old["desiredCount"]) == (1, 1)
    assert (service["runningCount"], service["pendingCount"]) == (1, 1)
    timings = Timings()
    sim.advance(timings.provisioning + timings.pending)
    service = sim.service()
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    sim.advance(timings.no_health_check_wait)
    primary, old = sim.service()["deployments"]
    assert (primary["runningCount"], primary["pendingCount"]) == (1, 1)
    assert (old["runningCount"], old["desiredCount"]) == (0, 0)
    assert sim.run_until_settled(new_id)["rolloutState"] == "COMPLETED"


def test_service_events_use_ecs_wording() -> None:
    """started / stopped / deployment completed / steady state, newest first in the API."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=2)
    sim.advance(60)
    new_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.run_until_settled(new_id)
    messages = sim.messages()
    started = [m for m in messages if m.startswith("(service webapp) has started 2 tasks: (task ")]
    assert len(started) == 2
    stopped = [m for m in messages if m.startswith("(service webapp) has stopped 2 running tasks")]
    assert len(stopped) == 1
    assert f"(service webapp) (deployment {new_id}) deployment completed." in messages
    assert messages[-2:] == [
        f"(service webapp) (deployment {new_id}) deployment completed.",
        "(service webapp) has reached a steady state.",
    ]
    events = sim.service()["events"]
    assert [e["createdAt"] for e in events] == sorted(
        (e["createdAt"] for e in events), reverse=True
    )
    assert len({e["id"] for e in events}) == len(events)


def test_service_events_are_capped_at_100() -> None:
    """ECS returns the latest 100 events only."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    for revision in range(2, 40):
        sim.update(taskDefinition=sim.register(f"myorg/web:{revision}"))
        sim.advance(60)
    assert len(sim.service()["events"]) == 100


def test_desired_count_change_keeps_the_primary_deployment() -> None:
    """A desiredCount-only update scales the PRIMARY deployment without a new deployment."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=2)
    sim.advance(60)
    deployment_id = sim.service()["deployments"][0]["id"]
    assert sim.update(desiredCount=5) == deployment_id
    sim.advance(60)
    service = sim.service()
    assert len(service["deployments"]) == 1
    assert service["deployments"][0]["desiredCount"] == 5
    assert service["runningCount"] == 5
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    sim.update(desiredCount=1)
    sim.advance(30)
    assert sim.service()["runningCount"] == 1


def test_force_new_deployment_replaces_tasks_with_the_same_task_definition() -> None:
    """forceNewDeployment replaces every task, keeping the task definition."""
    sim = Sim()
    taskdef = sim.register("myorg/web:1")
    sim.create_service(taskdef, desired=2)
    sim.advance(60)
    before = {t["taskArn"] for t in sim.tasks()}
    new_id = sim.update(forceNewDeployment=True)
    sim.run_until_settled(new_id)
    after = sim.tasks()
    assert before.isdisjoint(t["taskArn"] for t in after)
    assert {t["taskDefinitionArn"] for t in after} == {taskdef}
    assert sim.update(taskDefinition=taskdef) == new_id  # same revision: no new deployment


def test_stopped_task_is_replaced_and_listed_for_an_hour() -> None:
    """StopTask stops with UserInitiated; the service starts a replacement; the stopped task
    stays visible for Timings.stopped_task_retention."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    sim.advance(60)
    [task] = sim.tasks()
    stopped = sim.call("StopTask", cluster="prod", task=task["taskArn"], reason="maintenance")
    assert stopped["task"]["desiredStatus"] == "STOPPED"
    assert stopped["task"]["stopCode"] == "UserInitiated"
    assert stopped["task"]["stoppedReason"] == "maintenance"
    sim.advance(60)
    assert sim.service()["runningCount"] == 1
    assert sim.service()["deployments"][0]["failedTasks"] == 0
    [listed] = sim.tasks(desired="STOPPED")
    assert listed["lastStatus"] == "STOPPED"
    assert listed["stoppedAt"] >= listed["stoppingAt"] >= listed["startedAt"]
    sim.advance(Timings().stopped_task_retention)
    assert sim.tasks(desired="STOPPED") == []
    missing = sim.call("DescribeTasks", cluster="prod", tasks=[task["taskArn"]])
    assert missing["failures"] == [{"arn": task["taskArn"], "reason": "MISSING"}]


def test_deleted_service_drains_and_becomes_inactive() -> None:
    """A force-deleted service is DRAINING, then INACTIVE with no tasks left."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=2)
    sim.advance(60)
    deleted = sim.call("DeleteService", cluster="prod", service="webapp", force=True)["service"]
    assert deleted["status"] == "DRAINING"
    sim.advance(60)
    assert sim.service()["status"] == "INACTIVE"
    assert sim.tasks() == []
    assert sim.call("ListServices", cluster="prod")["serviceArns"] == []


def test_code_deploy_service_stays_put() -> None:
    """Only the ECS controller is simulated: a CODE_DEPLOY service runs nothing, refuses a new
    task definition like ECS, and never changes."""
    sim = Sim()
    taskdef = sim.register("myorg/web:1")
    service = sim.create_service(taskdef, desired=2, deploymentController={"type": "CODE_DEPLOY"})
    assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
    sim.advance(600)
    service = sim.service()
    assert (service["runningCount"], service["deployments"], service["events"]) == (0, [], [])
    with pytest.raises(Exception, match="CODE_DEPLOY deployment controller") as caught:
        sim.update(taskDefinition=sim.register("myorg/web:2"))
    assert getattr(caught.value, "code", None) == "InvalidParameterException"
    assert sim.service()["taskDefinition"] == taskdef


def test_health_checked_tasks_report_healthy() -> None:
    """Containers with a healthCheck report HEALTHY one check `interval` after RUNNING (ECS's
    default 30 s); the deployment completes only then."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1", health_check=True), desired=1)
    timings = Timings()
    sim.advance(timings.provisioning + timings.pending)
    [task] = sim.tasks()
    assert (task["lastStatus"], task["healthStatus"]) == ("RUNNING", "UNKNOWN")
    sim.advance(29)
    assert sim.tasks()[0]["healthStatus"] == "UNKNOWN"
    sim.advance(1)
    [task] = sim.tasks()
    assert task["healthStatus"] == "HEALTHY"
    assert task["containers"][0]["healthStatus"] == "HEALTHY"
    assert sim.service()["deployments"][0]["rolloutState"] == "COMPLETED"


def test_timestamps_follow_the_lifecycle() -> None:
    """A task's timestamps follow provisioning, pull and start on the simulated clock."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    timings = Timings()
    sim.advance(60)
    [task] = sim.tasks()
    assert task["createdAt"] == sim.clock.now() - 60
    assert task["pullStartedAt"] == task["createdAt"] + timings.provisioning
    assert task["startedAt"] == task["pullStartedAt"] + timings.pending
    assert task["version"] >= 3


def test_jitter_spreads_state_changes_and_stays_reproducible() -> None:
    """With Timings.jitter, tasks launched together start at different, seeded instants."""

    def start_times(seed: int) -> list[float]:
        sim = Sim(seed=seed, timings=Timings(jitter=0.5))
        sim.create_service(sim.register("myorg/web:1"), desired=5)
        sim.advance(60)
        return sorted(t["startedAt"] for t in sim.tasks())

    first = start_times(3)
    assert len(set(first)) == 5
    assert first == start_times(3)
    assert first != start_times(4)


def test_load_balanced_service_registers_and_drains_targets() -> None:
    """Behind a target group, tasks are registered when RUNNING and drained for the target
    group's deregistration delay when stopped, with ECS's event wording."""
    sim = Sim()
    target_group = sim.target_group(
        target_type="instance", health_check_interval=10, healthy_threshold=2,
        deregistration_delay=30,
    )  # fmt: skip
    sim.create_service(
        sim.register("myorg/web:1", port=80),
        desired=2,
        loadBalancers=[
            {"targetGroupArn": target_group, "containerName": "app", "containerPort": 80}
        ],
    )
    sim.advance(60)
    assert f"(service webapp) registered 2 targets in (target-group {target_group})" in (
        sim.messages()
    )
    new_id = sim.update(taskDefinition=sim.register("myorg/web:2", port=80))
    sim.advance(60)
    messages = sim.messages()
    assert "(service webapp) has begun draining connections on 2 tasks." in messages
    assert f"(service webapp) deregistered 2 targets in (target-group {target_group})" in messages
    draining = sim.tasks(desired="STOPPED")
    assert {t["lastStatus"] for t in draining} == {"DEACTIVATING"}
    # Old tasks began draining when the new ones counted as healthy (RUNNING 10 s after the
    # update, then 40 s without container health checks), 50 s after the update.
    sim.advance(50 + 30 - 60 + 1)
    assert {t["lastStatus"] for t in sim.tasks(desired="STOPPED")} == {"STOPPING"}
    assert sim.run_until_settled(new_id)["rolloutState"] == "COMPLETED"
