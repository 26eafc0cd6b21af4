"""Container instances and the placement of EC2 tasks on them: registration and the describe
shapes, host ports for bridge and host network modes, resources held and given back, tasks
that fit nowhere waiting with ECS's event, RunTask's failures, and ECS's checks of these modes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsdeploy.sim._api.errors import EcsApiError
from tests.sim.backend_fixtures import REGION, Sim

CLUSTER = "prod"
UNABLE = (
    "(service webapp) was unable to place a task because no container instance met all of "
    "its requirements. The closest matching (container-instance {id}) {why} For more "
    "information, see the Troubleshooting section of the Amazon ECS Developer Guide."
)


def instance(sim: Sim, *, cpu: int = 2048, memory: int = 4096, ec2_id: str = "") -> str:
    """RegisterContainerInstance as the agent calls it; the container instance's ARN."""
    document = {"instanceId": ec2_id, "availabilityZone": f"{REGION}b", "region": REGION}
    answer = sim.call(
        "RegisterContainerInstance",
        cluster=CLUSTER,
        instanceIdentityDocument=json.dumps({k: v for k, v in document.items() if v}),
        totalResources=[
            {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
            {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2376"]},
        ],
    )
    arn: str = answer["containerInstance"]["containerInstanceArn"]
    return arn


def with_instances(count: int, **resources: Any) -> tuple[Sim, list[str]]:
    sim = Sim()
    sim.call("CreateCluster", clusterName=CLUSTER)
    return sim, [instance(sim, **resources) for _ in range(count)]


def bridge(sim: Sim, image: str = "myorg/web:1", *, host_port: int | None = 0, **extra: Any) -> str:
    """A bridge-mode task definition: container `app` (256 MiB) maps port 8080."""
    mapping: dict[str, Any] = {"containerPort": 8080}
    if host_port is not None:
        mapping["hostPort"] = host_port
    answer = sim.call(
        "RegisterTaskDefinition",
        family="web",
        networkMode=extra.pop("networkMode", "bridge"),
        containerDefinitions=[
            {"name": "app", "image": image, "memory": 256, "portMappings": [mapping]}
        ],
        **extra,
    )
    arn: str = answer["taskDefinition"]["taskDefinitionArn"]
    return arn


def describe(sim: Sim, arn: str) -> dict[str, Any]:
    (found,) = sim.call("DescribeContainerInstances", cluster=CLUSTER, containerInstances=[arn])[
        "containerInstances"
    ]
    return dict(found)


def resource(described: dict[str, Any], kind: str, name: str) -> Any:
    entry = next(r for r in described[kind] if r["name"] == name)
    return entry.get("stringSetValue", entry["integerValue"])


def bindings(task: dict[str, Any]) -> list[tuple[int, int]]:
    return [
        (b["containerPort"], b["hostPort"])
        for c in task["containers"]
        for b in c["networkBindings"]
    ]


def test_a_registered_instance_is_listed_and_described_with_its_resources() -> None:
    """RegisterContainerInstance: ListContainerInstances lists it; DescribeContainerInstances
    shows its EC2 id, registered and remaining resources, ACTIVE, agent connected; the cluster
    counts it."""
    sim, (arn,) = with_instances(1, ec2_id="i-0123456789abcdef0")
    assert sim.call("ListContainerInstances", cluster=CLUSTER)["containerInstanceArns"] == [arn]
    described = describe(sim, arn)
    assert described["ec2InstanceId"] == "i-0123456789abcdef0"
    assert (described["status"], described["agentConnected"]) == ("ACTIVE", True)
    assert resource(described, "registeredResources", "CPU") == 2048
    assert resource(described, "registeredResources", "MEMORY") == 4096
    assert resource(described, "remainingResources", "MEMORY") == 4096
    assert resource(described, "registeredResources", "PORTS") == ["22", "2376"]
    assert {"name": "ecs.availability-zone", "value": f"{REGION}b"} in described["attributes"]
    (cluster,) = sim.call("DescribeClusters", clusters=[CLUSTER])["clusters"]
    assert cluster["registeredContainerInstancesCount"] == 1


def test_an_unknown_container_instance_is_a_missing_failure() -> None:
    """DescribeContainerInstances answers an id it does not know under failures, MISSING."""
    sim, _ = with_instances(1)
    answer = sim.call("DescribeContainerInstances", cluster=CLUSTER, containerInstances=["0f0f"])
    assert answer["containerInstances"] == []
    assert answer["failures"][0]["reason"] == "MISSING"
    assert answer["failures"][0]["arn"].endswith(f":container-instance/{CLUSTER}/0f0f")


def test_list_container_instances_filters_by_status_and_refuses_query_filters() -> None:
    """`status` DRAINING lists none of the ACTIVE instances; a cluster query language filter
    is refused rather than ignored."""
    sim, _ = with_instances(2)
    listed = sim.call("ListContainerInstances", cluster=CLUSTER, status="DRAINING")
    assert listed["containerInstanceArns"] == []
    with pytest.raises(EcsApiError) as raised:
        sim.call("ListContainerInstances", cluster=CLUSTER, filter="runningTasksCount > 1")
    assert raised.value.code == "InvalidParameterException"


def test_bridge_tasks_get_dynamic_host_ports_on_their_instances() -> None:
    """hostPort 0 in bridge mode: each RUNNING task names its container instance and binds
    8080 to its own port of the ephemeral range; two tasks spread over two instances."""
    sim, arns = with_instances(2)
    sim.create_service(bridge(sim), desired=2)
    sim.advance(15)
    tasks = sim.tasks()
    assert sorted(t["containerInstanceArn"] for t in tasks) == sorted(arns)
    ports = [host for task in tasks for container, host in bindings(task) if container == 8080]
    assert len(ports) == 2
    assert all(32768 <= port <= 60999 for port in ports)


def test_dynamic_host_ports_on_one_instance_differ() -> None:
    """Two bridge tasks with dynamic ports on one instance never share a host port."""
    sim, _ = with_instances(1)
    sim.create_service(bridge(sim, host_port=None), desired=2)
    sim.advance(15)
    ports = [host for task in sim.tasks() for _, host in bindings(task)]
    assert len(set(ports)) == 2


def test_a_placed_task_holds_memory_and_ports_until_it_stops() -> None:
    """Remaining memory and used ports reflect the running task, and come back once it is
    STOPPED."""
    sim, (arn,) = with_instances(1)
    sim.create_service(bridge(sim, host_port=8080), desired=1)
    sim.advance(15)
    held = describe(sim, arn)
    assert resource(held, "remainingResources", "MEMORY") == 4096 - 256
    assert "8080" in resource(held, "remainingResources", "PORTS")
    assert held["runningTasksCount"] == 1
    sim.call("UpdateService", cluster=CLUSTER, service="webapp", desiredCount=0)
    sim.advance(60)
    freed = describe(sim, arn)
    assert resource(freed, "remainingResources", "MEMORY") == 4096
    assert "8080" not in resource(freed, "remainingResources", "PORTS")
    assert freed["runningTasksCount"] == 0


def test_host_mode_binds_the_container_port_and_blocks_a_second_task_on_an_instance() -> None:
    """host mode: hostPort is containerPort; with two instances the third task fits nowhere,
    stays PROVISIONING, and the service says the closest instance already uses the port."""
    sim, arns = with_instances(2)
    sim.create_service(bridge(sim, host_port=None, networkMode="host"), desired=3)
    sim.advance(15)
    tasks = sim.tasks()
    running = [t for t in tasks if t["lastStatus"] == "RUNNING"]
    assert [bindings(t) for t in running] == [[(8080, 8080)], [(8080, 8080)]]
    (waiting,) = [t for t in tasks if t["lastStatus"] == "PROVISIONING"]
    assert "containerInstanceArn" not in waiting
    closest = arns[0].rsplit("/", 1)[-1]
    why = "is already using a port required by your task."
    assert UNABLE.format(id=closest, why=why) in sim.messages()


def test_a_fixed_bridge_host_port_already_used_on_an_instance_blocks_placement_there() -> None:
    """Bridge mode with hostPort 8080: one task per instance, whatever the memory left; the
    other waits, the service saying the instance already uses the port."""
    sim, (arn,) = with_instances(1)
    sim.create_service(bridge(sim, host_port=8080), desired=2)
    sim.advance(15)
    statuses = sorted(t["lastStatus"] for t in sim.tasks())
    assert statuses == ["PROVISIONING", "RUNNING"]
    why = "is already using a port required by your task."
    assert UNABLE.format(id=arn.rsplit("/", 1)[-1], why=why) in sim.messages()


def test_a_task_waiting_for_memory_is_placed_once_an_instance_is_added() -> None:
    """Not enough memory anywhere: ECS's event names the closest instance; a new instance
    takes the waiting task at once, not at the next periodic try."""
    sim, (arn,) = with_instances(1, memory=300)
    sim.create_service(bridge(sim), desired=2)
    sim.advance(5)
    why = "has insufficient memory available."
    assert UNABLE.format(id=arn.rsplit("/", 1)[-1], why=why) in sim.messages()
    added = instance(sim)
    sim.advance(10)
    placed = [t["containerInstanceArn"] for t in sim.tasks() if t["lastStatus"] == "RUNNING"]
    assert sorted(placed) == sorted([arn, added])


def test_binpack_on_memory_fills_one_instance_first() -> None:
    """placementStrategy binpack(memory) puts both tasks on the same instance."""
    sim, _ = with_instances(2)
    sim.create_service(
        bridge(sim), desired=2, placementStrategy=[{"type": "binpack", "field": "memory"}]
    )
    sim.advance(15)
    assert len({t["containerInstanceArn"] for t in sim.tasks()}) == 1


def test_distinct_instance_keeps_tasks_of_a_service_apart() -> None:
    """The distinctInstance constraint: never two tasks of the service on one instance."""
    sim, _ = with_instances(1)
    sim.create_service(bridge(sim), desired=2, placementConstraints=[{"type": "distinctInstance"}])
    sim.advance(15)
    assert sorted(t["lastStatus"] for t in sim.tasks()) == ["PROVISIONING", "RUNNING"]


def test_run_task_without_room_answers_a_resource_failure_naming_the_instance() -> None:
    """RunTask on a full instance starts nothing and answers RESOURCE:MEMORY with the
    instance's ARN, as ECS's API failure reasons say."""
    sim, (arn,) = with_instances(1, memory=200)
    answer = sim.call("RunTask", cluster=CLUSTER, taskDefinition=bridge(sim), launchType="EC2")
    assert answer["tasks"] == []
    assert answer["failures"] == [{"arn": arn, "reason": "RESOURCE:MEMORY"}]


def test_list_tasks_filters_by_container_instance() -> None:
    """ListTasks' containerInstance lists only the tasks placed on that instance."""
    sim, arns = with_instances(2)
    sim.create_service(bridge(sim), desired=2)
    sim.advance(15)
    listed = sim.call("ListTasks", cluster=CLUSTER, containerInstance=arns[1])["taskArns"]
    (task,) = sim.call("DescribeTasks", cluster=CLUSTER, tasks=listed)["tasks"]
    assert task["containerInstanceArn"] == arns[1]


def test_a_cluster_without_instances_runs_ec2_tasks_nowhere_in_particular() -> None:
    """No instance registered: EC2 tasks run as before, with no container instance."""
    sim = Sim()
    sim.create_service(bridge(sim), desired=1)
    sim.advance(15)
    (task,) = sim.tasks()
    assert task["lastStatus"] == "RUNNING"
    assert "containerInstanceArn" not in task


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}},
            "Network Configuration is not valid for the given networkMode of this task definition.",
        ),
        (
            {"launchType": "EC2", "platformVersion": "1.4.0"},
            "The platform version must be null when specifying an EC2 launch type.",
        ),
    ],
)
def test_create_service_refuses_awsvpc_and_fargate_settings_for_a_bridge_task(
    params: dict[str, Any], message: str
) -> None:
    """A bridge task definition with networkConfiguration, or EC2 with a platform version:
    InvalidParameterException, and no service is created."""
    sim, _ = with_instances(1)
    with pytest.raises(EcsApiError) as raised:
        sim.create_service(bridge(sim), **params)
    assert (raised.value.code, raised.value.message) == ("InvalidParameterException", message)
    assert sim.call("ListServices", cluster=CLUSTER)["serviceArns"] == []


def test_host_mode_refuses_a_host_port_other_than_the_container_port() -> None:
    """RegisterTaskDefinition in host mode with hostPort != containerPort: ClientException,
    nothing registered."""
    sim = Sim()
    with pytest.raises(EcsApiError) as raised:
        bridge(sim, host_port=80, networkMode="host")
    assert raised.value.code == "ClientException"
    assert raised.value.message == (
        "When networkMode=host, the host ports and container ports in port mappings must match."
    )
    assert sim.call("ListTaskDefinitionFamilies", status="ALL")["families"] == []


def test_an_ip_target_group_is_refused_for_a_bridge_task() -> None:
    """A bridge service cannot register with an `ip` target group."""
    sim, _ = with_instances(1)
    group = sim.target_group(target_type="ip")
    with pytest.raises(EcsApiError) as raised:
        sim.create_service(
            bridge(sim),
            loadBalancers=[
                {"targetGroupArn": group, "containerName": "app", "containerPort": 8080}
            ],
        )
    assert "incompatible with the bridge network mode" in raised.value.message


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [
        ("512", "1024", (512, 1024)),
        ("0.5 vCPU", "1 GB", (512, 1024)),
        ("1 vCPU", "2 GiB", (1024, 2048)),
        (None, None, (0, 256)),
    ],
)
def test_a_task_holds_its_task_level_size_else_its_containers(
    cpu: str | None, memory: str | None, expected: tuple[int, int]
) -> None:
    """Task-level cpu/memory (units, or vCPU and GB) are what a task holds on its instance;
    without them, the sum of its containers' (0 CPU units, 256 MiB here)."""
    sim, (arn,) = with_instances(1)
    size: dict[str, Any] = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    sim.create_service(bridge(sim, **size), desired=1)
    sim.advance(15)
    held = describe(sim, arn)
    remaining = (
        resource(held, "remainingResources", "CPU"),
        resource(held, "remainingResources", "MEMORY"),
    )
    assert remaining == (2048 - expected[0], 4096 - expected[1])


def test_an_agent_registering_again_by_arn_gets_the_same_instance() -> None:
    """RegisterContainerInstance with containerInstanceArn (an agent restart) answers with the
    registered instance and registers no other."""
    sim, (arn,) = with_instances(1)
    again = sim.call("RegisterContainerInstance", cluster=CLUSTER, containerInstanceArn=arn)
    assert again["containerInstance"]["containerInstanceArn"] == arn
    assert sim.call("ListContainerInstances", cluster=CLUSTER)["containerInstanceArns"] == [arn]


def test_spread_by_availability_zone_balances_zones_before_instances() -> None:
    """spread(attribute:ecs.availability-zone): with two instances in zone a and one in zone b,
    two tasks go one to each zone."""
    sim = Sim()
    sim.call("CreateCluster", clusterName=CLUSTER)
    for zone in ("a", "a", "b"):
        sim.backend.add_container_instances(
            {"cluster": CLUSTER, "region": REGION, "availability_zone": f"{REGION}{zone}"}
        )
    sim.create_service(
        bridge(sim),
        desired=2,
        placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
    )
    sim.advance(15)
    assert sorted(t["availabilityZone"] for t in sim.tasks()) == [f"{REGION}a", f"{REGION}b"]


def test_the_random_strategy_uses_more_than_one_instance() -> None:
    """placementStrategy random: ten tasks on three instances do not all land on one (the
    seeded draw makes it repeatable)."""
    sim, _ = with_instances(3)
    sim.create_service(bridge(sim), desired=10, placementStrategy=[{"type": "random"}])
    sim.advance(15)
    assert len({t["containerInstanceArn"] for t in sim.tasks()}) > 1


def test_udp_host_ports_are_counted_apart_from_tcp() -> None:
    """A fixed UDP host port taken on the only instance: RunTask answers RESOURCE:PORTS_UDP,
    while the same port number over TCP is still free."""
    sim, (arn,) = with_instances(1)

    def dns(protocol: str) -> str:
        mapping = {"containerPort": 53, "hostPort": 53, "protocol": protocol}
        registered = sim.call(
            "RegisterTaskDefinition",
            family=f"dns-{protocol}",
            networkMode="bridge",
            containerDefinitions=[
                {"name": "dns", "image": "dns:1", "memory": 64, "portMappings": [mapping]}
            ],
        )
        taskdef: str = registered["taskDefinition"]["taskDefinitionArn"]
        return taskdef

    udp, tcp = dns("udp"), dns("tcp")
    assert len(sim.call("RunTask", cluster=CLUSTER, taskDefinition=udp)["tasks"]) == 1
    second = sim.call("RunTask", cluster=CLUSTER, taskDefinition=udp)
    assert second["failures"] == [{"arn": arn, "reason": "RESOURCE:PORTS_UDP"}]
    assert len(sim.call("RunTask", cluster=CLUSTER, taskDefinition=tcp)["tasks"]) == 1


def test_a_cluster_with_a_registered_instance_cannot_be_deleted() -> None:
    """DeleteCluster while a container instance is registered: ECS's
    ClusterContainsContainerInstancesException, and the cluster stays ACTIVE with it."""
    sim, arns = with_instances(1)
    with pytest.raises(EcsApiError) as raised:
        sim.call("DeleteCluster", cluster=CLUSTER)
    assert raised.value.code == "ClusterContainsContainerInstancesException"
    (cluster,) = sim.call("DescribeClusters", clusters=[CLUSTER])["clusters"]
    assert cluster["status"] == "ACTIVE"
    assert sim.call("ListContainerInstances", cluster=CLUSTER)["containerInstanceArns"] == arns


def big(sim: Sim) -> str:
    """A bridge revision of `web` that needs more memory than any instance has."""
    answer = sim.call(
        "RegisterTaskDefinition",
        family="web",
        networkMode="bridge",
        containerDefinitions=[{"name": "app", "image": "myorg/web:2", "memory": 8192}],
    )
    arn: str = answer["taskDefinition"]["taskDefinitionArn"]
    return arn


def test_a_task_that_cannot_be_placed_counts_as_a_failed_task_and_trips_the_breaker() -> None:
    """A revision no instance has room for: each failed placement counts in failedTasks ("a
    task is considered a failure if the service scheduler can't launch the task"), the breaker
    fails the deployment and ECS rolls back to the one still running."""
    sim, _ = with_instances(2, memory=1024)
    sim.create_service(bridge(sim), desired=2, circuit_breaker=True, rollback=True)
    sim.advance(60)
    old = sim.service()["deployments"][0]["id"]
    new = sim.update(taskDefinition=big(sim))
    failed = None
    for _ in sim.steps(600, step=5):
        deployment = sim.deployment(new)
        if deployment is not None and deployment["rolloutState"] == "FAILED":
            failed = deployment
            break
    assert failed is not None, sim.service()["deployments"]
    assert failed["failedTasks"] >= 3
    sim.advance(120)
    service = sim.service()
    assert service["deployments"][0]["id"] == old
    assert service["deployments"][0]["runningCount"] == 2


def test_failed_placements_are_counted_without_the_breaker_while_the_deployment_waits() -> None:
    """Without the breaker, failedTasks still counts failed placements; the deployment stays
    IN_PROGRESS and the old tasks keep running."""
    sim, _ = with_instances(1, memory=1024)
    sim.create_service(bridge(sim), desired=1)
    sim.advance(60)
    new = sim.update(taskDefinition=big(sim))
    sim.advance(120)
    deployment = sim.deployment(new)
    assert deployment is not None
    assert deployment["rolloutState"] == "IN_PROGRESS"
    assert deployment["failedTasks"] >= 2
    assert [d["runningCount"] for d in sim.service()["deployments"]] == [0, 1]


def test_a_task_waiting_for_room_a_rollout_frees_is_not_a_failed_task() -> None:
    """A full cluster, minimumHealthyPercent 50 and the breaker on: the new tasks wait for the
    old ones to stop (not counted as failures) and the deployment completes."""
    sim, _ = with_instances(1, memory=512)
    sim.create_service(
        bridge(sim), desired=2, minimum=50, maximum=200, circuit_breaker=True, rollback=True
    )
    sim.advance(60)
    new = sim.update(taskDefinition=bridge(sim, "myorg/web:2"))
    sim.advance(600)
    deployment = sim.deployment(new)
    assert deployment is not None
    assert (deployment["rolloutState"], deployment["failedTasks"]) == ("COMPLETED", 0)
    assert deployment["runningCount"] == 2
