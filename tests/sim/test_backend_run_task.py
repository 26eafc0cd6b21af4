"""RunTask and StopTask for one-off tasks (migrations): container rules decide how they end."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy.sim._api.errors import EcsApiError
from tests.sim.backend_fixtures import Sim


def _run(sim: Sim, image: str, **params: Any) -> dict[str, Any]:
    sim.call("CreateCluster", clusterName="prod")
    taskdef = sim.register(image, family="migrate")
    answer = sim.call("RunTask", cluster="prod", taskDefinition=taskdef, **params)
    assert answer["failures"] == []
    [task] = answer["tasks"]
    return dict(task)


def _assert_refused(match: str | None = None, **params: Any) -> None:
    """RunTask of `migrate` with `params` is an InvalidParameterException (whose message
    matches `match`) and starts no task."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    taskdef = sim.register("myorg/migrate:1", family="migrate")
    with pytest.raises(EcsApiError, match=match) as refused:
        sim.call("RunTask", cluster="prod", taskDefinition=taskdef, **params)
    assert refused.value.code == "InvalidParameterException"
    assert sim.call("ListTasks", cluster="prod")["taskArns"] == []


def _describe(sim: Sim, task: dict[str, Any]) -> dict[str, Any]:
    [described] = sim.call("DescribeTasks", cluster="prod", tasks=[task["taskArn"]])["tasks"]
    return dict(described)


def test_run_task_starts_a_standalone_task() -> None:
    """ "RunTask" (API reference): a new task from the task definition, grouped by family,
    startedBy as given, PROVISIONING first and RUNNING once started."""
    sim = Sim()
    task = _run(sim, "myorg/migrate:1", startedBy="release-42")
    assert (task["lastStatus"], task["group"], task["startedBy"]) == (
        "PROVISIONING",
        "family:migrate",
        "release-42",
    )
    sim.advance(30)
    assert _describe(sim, task)["lastStatus"] == "RUNNING"


def test_an_exit_rule_finishes_the_task_with_its_exit_code() -> None:
    """A migration that finishes: EssentialContainerExited, the container's exit code 0."""
    sim = Sim()
    sim.backend.add_container_rule({"image": "myorg/migrate:*", "behavior": "exit", "after": 20})
    task = _run(sim, "myorg/migrate:1")
    sim.advance(60)
    done = _describe(sim, task)
    assert (done["lastStatus"], done["stopCode"]) == ("STOPPED", "EssentialContainerExited")
    assert done["stoppedReason"] == "Essential container in task exited"
    assert done["containers"][0]["exitCode"] == 0


def test_a_crash_rule_fails_the_task_and_nothing_replaces_it() -> None:
    """A failing migration reports its exit code; no scheduler launches another task."""
    sim = Sim()
    sim.backend.add_container_rule(
        {"image": "myorg/migrate:*", "behavior": "crash", "exit_code": 3, "after": 5}
    )
    task = _run(sim, "myorg/migrate:1")
    sim.advance(120)
    assert _describe(sim, task)["containers"][0]["exitCode"] == 3
    listed = sim.call("ListTasks", cluster="prod", desiredStatus="RUNNING")["taskArns"]
    assert listed == []


def test_stop_task_ends_a_one_off_task_as_user_initiated() -> None:
    """ "StopTask" (API reference): the task stops with UserInitiated and the given reason."""
    sim = Sim()
    task = _run(sim, "myorg/migrate:1")
    sim.advance(30)
    sim.call("StopTask", cluster="prod", task=task["taskArn"], reason="release cancelled")
    sim.advance(30)
    stopped = _describe(sim, task)
    assert (stopped["lastStatus"], stopped["stopCode"]) == ("STOPPED", "UserInitiated")
    assert stopped["stoppedReason"] == "release cancelled"


def test_run_task_count_and_overrides() -> None:
    """count tasks at once (at most 10); overrides are reported back."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    taskdef = sim.register("myorg/migrate:1", family="migrate")
    overrides = {"containerOverrides": [{"name": "app", "command": ["migrate", "--up"]}]}
    answer = sim.call(
        "RunTask", cluster="prod", taskDefinition=taskdef, count=3, overrides=overrides
    )
    assert len(answer["tasks"]) == 3
    assert answer["tasks"][0]["overrides"] == overrides
    with pytest.raises(EcsApiError):
        sim.call("RunTask", cluster="prod", taskDefinition=taskdef, count=11)


def test_an_unhealthy_one_off_task_keeps_running() -> None:
    """ "HealthCheck" (API reference): a task run manually, not as part of a service,
    continues its lifecycle regardless of its health status."""
    sim = Sim()
    sim.backend.add_container_rule({"image": "myorg/migrate:*", "behavior": "unhealthy"})
    sim.call("CreateCluster", clusterName="prod")
    taskdef = sim.register("myorg/migrate:1", family="migrate", health_check=True)
    [task] = sim.call("RunTask", cluster="prod", taskDefinition=taskdef)["tasks"]
    sim.advance(600)
    described = _describe(sim, task)
    assert (described["lastStatus"], described["healthStatus"]) == ("RUNNING", "UNHEALTHY")
    assert described["desiredStatus"] == "RUNNING"


def test_run_task_refuses_a_count_of_zero() -> None:
    """ "RunTask" (API reference): count is 1 to 10 tasks; 0 starts nothing and is refused."""
    _assert_refused(count=0)


def test_a_retried_run_task_with_its_client_token_starts_nothing_more() -> None:
    """ "Ensuring idempotency": the same client token and parameters answer with the original
    task; no second task starts."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    taskdef = sim.register("myorg/migrate:1", family="migrate")
    first = sim.call("RunTask", cluster="prod", taskDefinition=taskdef, clientToken="tok-1")
    sim.advance(30)
    again = sim.call("RunTask", cluster="prod", taskDefinition=taskdef, clientToken="tok-1")
    assert [t["taskArn"] for t in again["tasks"]] == [t["taskArn"] for t in first["tasks"]]
    assert again["tasks"][0]["lastStatus"] == "RUNNING"
    assert len(sim.call("ListTasks", cluster="prod")["taskArns"]) == 1


def test_a_client_token_reused_with_other_parameters_is_a_conflict() -> None:
    """ "Ensuring idempotency": the same token with changed parameters is a ConflictException."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    taskdef = sim.register("myorg/migrate:1", family="migrate")
    sim.call("RunTask", cluster="prod", taskDefinition=taskdef, clientToken="tok-1")
    with pytest.raises(EcsApiError) as refused:
        sim.call("RunTask", cluster="prod", taskDefinition=taskdef, clientToken="tok-1", count=2)
    assert refused.value.code == "ConflictException"
    assert len(sim.call("ListTasks", cluster="prod")["taskArns"]) == 1


def test_a_command_rule_finishes_only_the_task_running_that_command() -> None:
    """An exit rule with a `command` glob ends the migration run from an image, not the
    tasks of the same image that run its usual command."""
    sim = Sim()
    sim.backend.add_container_rule(
        {"image": "myorg/app:*", "behavior": "exit", "command": "migrate *", "exit_code": 4}
    )
    sim.call("CreateCluster", clusterName="prod")
    taskdef = sim.register("myorg/app:2", family="app")
    overrides = {"containerOverrides": [{"name": "app", "command": ["migrate", "--up"]}]}
    [migration] = sim.call("RunTask", cluster="prod", taskDefinition=taskdef, overrides=overrides)[
        "tasks"
    ]
    [plain] = sim.call("RunTask", cluster="prod", taskDefinition=taskdef)["tasks"]
    sim.advance(120)
    assert _describe(sim, migration)["containers"][0]["exitCode"] == 4
    assert _describe(sim, plain)["lastStatus"] == "RUNNING"


def test_a_tag_with_a_character_ecs_refuses_fails_run_task() -> None:
    """ECS's tag restrictions: '#' in a tag value is an InvalidParameterException; no task."""
    _assert_refused(
        "Some tags contain invalid characters", tags=[{"key": "release", "value": "hotfix #42"}]
    )


def test_a_network_configuration_for_a_bridge_task_fails_run_task() -> None:
    """ECS: "Network Configuration is not valid for the given networkMode" of a bridge task."""
    _assert_refused(
        "not valid for the given networkMode",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-0aaa"]}},
    )
