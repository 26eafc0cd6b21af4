"""Container instances over the wire: added through the control API, `Simulator` or ECS's own
RegisterContainerInstance, listed and described through aioboto3, and bridge tasks run on them
with their container instance and host ports in DescribeTasks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from ecsdeploy.sim import Simulator
from tests.sim.backend_fixtures import bridge_web
from tests.sim.control_api import call

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

CLUSTER = "ec2"


async def test_the_control_api_adds_instances_that_ecs_lists_and_describes(
    sim: Simulator, ecs: ECSClient
) -> None:
    """POST /_sim/container-instances registers them (201, their ARNs); ListContainerInstances
    and DescribeContainerInstances answer with them, each with its own EC2 instance id."""
    await ecs.create_cluster(clusterName=CLUSTER)
    status, body = await call(
        sim, "POST", "/_sim/container-instances", {"cluster": CLUSTER, "count": 2, "memory": 2048}
    )
    assert status == 201
    arns = body["containerInstanceArns"]
    assert len(arns) == 2
    listed = await ecs.list_container_instances(cluster=CLUSTER)
    assert listed["containerInstanceArns"] == arns
    described = await ecs.describe_container_instances(cluster=CLUSTER, containerInstances=arns)
    instances = described["containerInstances"]
    assert len({i["ec2InstanceId"] for i in instances}) == 2
    memory = [
        r["integerValue"]
        for i in instances
        for r in i["registeredResources"]
        if r["name"] == "MEMORY"
    ]
    assert memory == [2048, 2048]


async def test_the_control_api_refuses_an_unknown_cluster(sim: Simulator) -> None:
    """A cluster that does not exist is a 400 naming it; nothing is registered."""
    status, body = await call(sim, "POST", "/_sim/container-instances", {"cluster": "nowhere"})
    assert status == 400
    assert "no ACTIVE cluster 'nowhere'" in body["message"]


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"count": 0}, "'count' must be a whole number >= 1, not 0"),
        ({"memory": -1}, "'memory' must be a whole number >= 0, not -1"),
        ({"cpu": "2048"}, "'cpu' must be a whole number >= 0, not '2048'"),
        ({"gpus": 1}, "unknown container instance setting(s): gpus"),
    ],
)
async def test_the_control_api_refuses_bad_values_and_registers_nothing(
    sim: Simulator, ecs: ECSClient, request_body: dict[str, object], message: str
) -> None:
    """A bad count, resource or setting is a 400 saying which; the cluster has no instance."""
    await ecs.create_cluster(clusterName=CLUSTER)
    body = {"cluster": CLUSTER, **request_body}
    assert await call(sim, "POST", "/_sim/container-instances", body) == (
        400,
        {"message": message},
    )
    assert (await ecs.list_container_instances(cluster=CLUSTER))["containerInstanceArns"] == []


async def test_register_container_instance_as_the_agent_calls_it(
    sim: Simulator, ecs: ECSClient
) -> None:
    """RegisterContainerInstance with an identity document: the instance has that EC2 id and
    availability zone, and the resources the agent reported."""
    await ecs.create_cluster(clusterName=CLUSTER)
    answer = await ecs.register_container_instance(
        cluster=CLUSTER,
        instanceIdentityDocument=json.dumps(
            {"instanceId": "i-0abc1234def567890", "availabilityZone": "us-east-1c"}
        ),
        totalResources=[
            {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 993},
        ],
    )
    registered = answer["containerInstance"]
    assert registered["ec2InstanceId"] == "i-0abc1234def567890"
    assert {"name": "ecs.availability-zone", "value": "us-east-1c"} in registered["attributes"]
    cpu = [r["integerValue"] for r in registered["remainingResources"] if r["name"] == "CPU"]
    assert cpu == [1024]


async def test_a_bridge_task_runs_on_an_instance_with_a_dynamic_host_port(
    sim: Simulator, ecs: ECSClient
) -> None:
    """RunTask of a bridge task definition: DescribeTasks names the container instance and
    binds the container port to a host port of the ephemeral range."""
    await ecs.create_cluster(clusterName=CLUSTER)
    (instance,) = sim.add_container_instances(CLUSTER)
    registered = await ecs.register_task_definition(
        **bridge_web(),
    )
    run = await ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
        launchType="EC2",
    )
    (task_arn,) = [t["taskArn"] for t in run["tasks"]]
    await sim.advance(30)
    (task,) = (await ecs.describe_tasks(cluster=CLUSTER, tasks=[task_arn]))["tasks"]
    assert task["lastStatus"] == "RUNNING"
    assert task["containerInstanceArn"] == instance
    (binding,) = task["containers"][0]["networkBindings"]
    assert binding["containerPort"] == 8080
    assert 32768 <= binding["hostPort"] <= 60999
