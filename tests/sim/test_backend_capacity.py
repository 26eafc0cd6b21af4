"""`no_capacity` rules: placement fails the way ECS reports it and tasks wait to be placed."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy.sim._api.errors import EcsApiError
from tests.sim.backend_fixtures import Sim

FARGATE_EVENT = (
    "(service webapp) was unable to place a task. Reason: Capacity is unavailable at this "
    "time. Please try again later or in a different availability zone."
)
EC2_EVENT = (
    "(service webapp) was unable to place a task because no container instance met all of "
    "its requirements. Reason: No Container Instances were found in your cluster."
)


def _fargate_taskdef(sim: Sim, image: str) -> str:
    return sim.register(
        image, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512"
    )


def _fargate(**extra: Any) -> dict[str, Any]:
    return {
        "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
        **extra,
    }


def test_fargate_capacity_event_and_tasks_stay_provisioning() -> None:
    """ "Amazon ECS service event messages": Fargate reports capacity unavailable; the tasks
    wait (PROVISIONING, counted pending) and are placed once capacity is back."""
    sim = Sim()
    sim.backend.add_container_rule({"image": "myorg/web:*", "behavior": "no_capacity"})
    sim.create_service(_fargate_taskdef(sim, "myorg/web:1"), desired=2, **_fargate())
    sim.advance(300)
    assert FARGATE_EVENT in sim.messages()
    assert sim.messages().count(FARGATE_EVENT) == 1
    service = sim.service()
    assert (service["runningCount"], service["pendingCount"]) == (0, 2)
    assert {t["lastStatus"] for t in sim.tasks()} == {"PROVISIONING"}
    sim.backend.clear_container_rules()
    sim.advance(120)
    assert sim.service()["runningCount"] == 2


def test_ec2_placement_event_says_no_instance_met_the_requirements() -> None:
    """ "Amazon ECS service event messages": unable to place a task because no container
    instance met all of its requirements."""
    sim = Sim()
    sim.backend.add_container_rule({"image": "myorg/web:*", "behavior": "no_capacity"})
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    sim.advance(60)
    assert EC2_EVENT in sim.messages()
    assert sim.service()["pendingCount"] == 1


def test_run_task_without_fargate_capacity_is_a_failure() -> None:
    """ "Troubleshoot Fargate capacity": RunTask answers "Capacity is unavailable at this
    time" (a failure, no task)."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    sim.backend.add_container_rule({"image": "myorg/*", "behavior": "no_capacity"})
    answer = sim.call(
        "RunTask", cluster="prod", taskDefinition=_fargate_taskdef(sim, "myorg/job:1"), **_fargate()
    )
    assert answer["tasks"] == []
    assert answer["failures"][0]["reason"].startswith("Capacity is unavailable at this time.")


def test_run_task_on_ec2_without_instances_is_refused() -> None:
    """RunTask on EC2 with no instance to place on: "No Container Instances were found in your
    cluster." (InvalidParameterException)."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    sim.backend.add_container_rule({"image": "myorg/*", "behavior": "no_capacity"})
    with pytest.raises(EcsApiError) as caught:
        sim.call("RunTask", cluster="prod", taskDefinition=sim.register("myorg/job:1"))
    assert caught.value.message == "No Container Instances were found in your cluster."
