"""RegisterContainerInstance, ListContainerInstances, DescribeContainerInstances.

A container instance is an EC2 instance whose ECS agent registered it with a cluster
("Amazon ECS Linux container instances"): RegisterContainerInstance is the agent's call, with
the instance identity document (instance id, availability zone, instance type) and the
resources it offers; the simulator's control API and `Simulator.add_container_instances` make
the same call for a test. EC2 tasks are then placed on these instances
(`ecsdeploy.sim._dynamics.placement`). Draining and deregistering instances are not simulated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ecsdeploy.sim._api.errors import invalid_parameter
from ecsdeploy.sim._api.operation import (
    Operation,
    Params,
    Response,
    cluster_param,
    describe_in_cluster,
    max_results,
    tags_from,
    tags_to,
    with_token,
)
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._dynamics.ids import ACCOUNT_ID, arn, name_of
from ecsdeploy.sim._dynamics.lifecycle import retry_waiting
from ecsdeploy.sim._dynamics.placement import (
    AGENT_RESERVED_PORTS,
    remaining_cpu,
    remaining_memory,
    used_ports,
)
from ecsdeploy.sim._dynamics.state import Cluster, ContainerInstance, Region
from ecsdeploy.sim._dynamics.world import World

DEFAULT_CPU = 2048
DEFAULT_MEMORY = 3904
"""What the agent registers on a t3.medium (2 vCPUs, 4 GiB less what it keeps for the OS)."""
DEFAULT_INSTANCE_TYPE = "t3.medium"
AGENT_VERSION = {
    "agentVersion": "1.89.3",
    "agentHash": "5a6ae9b6",
    "dockerVersion": "DockerVersion: 25.0.8",
}
STATUSES = frozenset({"ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"})


def register_instance(
    world: World,
    cluster: Cluster,
    *,
    ec2_instance_id: str | None = None,
    availability_zone: str | None = None,
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    cpu: int = DEFAULT_CPU,
    memory: int = DEFAULT_MEMORY,
    reserved_ports: tuple[int, ...] = AGENT_RESERVED_PORTS,
    attributes: list[dict[str, Any]] | None = None,
    tags: dict[str, str] | None = None,
) -> ContainerInstance:
    """Register a new container instance with `cluster`; tasks waiting for room try it."""
    if cpu < 0 or memory < 0:
        raise invalid_parameter("Resource values must be greater than or equal to 0.")
    instance_id = world.ids.container_instance_id()
    instance = ContainerInstance(
        container_instance_id=instance_id,
        arn=arn(
            cluster.region, f"container-instance/{cluster.name}/{instance_id}", cluster.account
        ),
        cluster=cluster,
        ec2_instance_id=ec2_instance_id or world.ids.ec2_instance_id(),
        availability_zone=availability_zone or f"{cluster.region}a",
        instance_type=instance_type,
        cpu=cpu,
        memory=memory,
        reserved_ports=reserved_ports,
        registered_at=world.now,
        attributes=list(attributes or ()),
        tags=dict(tags or {}),
    )
    cluster.instances[instance_id] = instance
    retry_waiting(world, cluster)
    return instance


def register_container_instance(world: World, region: Region, params: Params) -> Response:
    """The agent's registration: the identity document names the EC2 instance; re-registering
    an instance by its ARN (as the agent does after a restart) answers with it unchanged."""
    cluster = cluster_param(region, params)
    again = params.get("containerInstanceArn")
    if again:
        known = cluster.instances.get(name_of(again))
        if known is None:
            raise invalid_parameter("The referenced container instance was not found.")
        return {"containerInstance": instance_view(known, include_tags=True)}
    document = _identity_document(params.get("instanceIdentityDocument"))
    resources = {str(r.get("name")): r for r in params.get("totalResources") or ()}
    instance = register_instance(
        world,
        cluster,
        ec2_instance_id=document.get("instanceId"),
        availability_zone=document.get("availabilityZone"),
        instance_type=str(document.get("instanceType") or DEFAULT_INSTANCE_TYPE),
        cpu=_integer(resources.get("CPU"), DEFAULT_CPU),
        memory=_integer(resources.get("MEMORY"), DEFAULT_MEMORY),
        reserved_ports=_ports(resources.get("PORTS")),
        attributes=params.get("attributes"),
        tags=tags_from(params.get("tags")),
    )
    return {"containerInstance": instance_view(instance, include_tags=True)}


def _identity_document(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid_parameter("The instance identity document is not valid JSON.") from exc
    if not isinstance(document, dict):
        raise invalid_parameter("The instance identity document is not valid JSON.")
    return document


def _integer(resource: dict[str, Any] | None, default: int) -> int:
    if resource is None:
        return default
    return int(resource.get("integerValue") or resource.get("longValue") or 0)


def _ports(resource: dict[str, Any] | None) -> tuple[int, ...]:
    if resource is None:
        return AGENT_RESERVED_PORTS
    try:
        return tuple(sorted(int(p) for p in resource.get("stringSetValue") or ()))
    except ValueError as exc:
        raise invalid_parameter("PORTS must be a set of port numbers.") from exc


def list_container_instances(world: World, region: Region, params: Params) -> Response:
    """Instances of the cluster, all statuses but INACTIVE unless `status` names one.
    Cluster query language `filter`s are not evaluated (refused, rather than ignored)."""
    cluster = cluster_param(region, params)
    if params.get("filter"):
        raise invalid_parameter("The simulator does not evaluate cluster query language filters.")
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise invalid_parameter(f"Invalid status: {status}.")
    arns = [
        i.arn
        for i in cluster.instances.values()
        if (i.status == status if status else i.status != "INACTIVE")
    ]
    size = max_results(params, limit=100, default=100)
    chunk, token = page(arns, next_token=params.get("nextToken"), size=size)
    return with_token({"containerInstanceArns": chunk}, token)


def describe_container_instances(world: World, region: Region, params: Params) -> Response:
    cluster = cluster_param(region, params)
    references = params["containerInstances"]
    if not references:
        raise invalid_parameter("ContainerInstances cannot be empty.")
    include_tags = "TAGS" in (params.get("include") or ())
    found, failures = describe_in_cluster(
        region,
        cluster,
        references,
        kind="container-instance",
        known=cluster.instances,
        view=lambda instance: instance_view(instance, include_tags=include_tags),
    )
    return {"containerInstances": found, "failures": failures}


def instance_view(instance: ContainerInstance, *, include_tags: bool = False) -> dict[str, Any]:
    """A ContainerInstance as DescribeContainerInstances returns it."""
    running = sum(1 for t in instance.tasks.values() if t.last_status == "RUNNING")
    view: dict[str, Any] = {
        "containerInstanceArn": instance.arn,
        "ec2InstanceId": instance.ec2_instance_id,
        "version": instance.version,
        "versionInfo": dict(AGENT_VERSION),
        "remainingResources": _resources(
            remaining_cpu(instance),
            remaining_memory(instance),
            sorted(used_ports(instance, "tcp")),
            sorted(used_ports(instance, "udp")),
        ),
        "registeredResources": _resources(
            instance.cpu, instance.memory, sorted(instance.reserved_ports), []
        ),
        "status": instance.status,
        "agentConnected": True,
        "runningTasksCount": running,
        "pendingTasksCount": len(instance.tasks) - running,
        "attributes": [
            {"name": "ecs.availability-zone", "value": instance.availability_zone},
            {"name": "ecs.instance-type", "value": instance.instance_type},
            {"name": "ecs.os-type", "value": "linux"},
            {"name": "ecs.cpu-architecture", "value": "x86_64"},
            *(dict(a) for a in instance.attributes),
        ],
        "registeredAt": instance.registered_at,
        "attachments": [],
    }
    if include_tags:
        view["tags"] = tags_to(instance.tags)
    return view


def _resources(
    cpu: int, memory: int, ports: list[int], udp_ports: list[int]
) -> list[dict[str, Any]]:
    """ECS's resource list: CPU units and MiB as integers, ports as sets of strings (for
    remaining resources, the ports in use)."""

    def resource(
        name: str, kind: str, value: int = 0, ports: list[int] | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": name,
            "type": kind,
            "doubleValue": 0.0,
            "longValue": 0,
            "integerValue": value,
        }
        if ports is not None:
            entry["stringSetValue"] = [str(p) for p in ports]
        return entry

    return [
        resource("CPU", "INTEGER", cpu),
        resource("MEMORY", "INTEGER", memory),
        resource("PORTS", "STRINGSET", ports=ports),
        resource("PORTS_UDP", "STRINGSET", ports=udp_ports),
    ]


OPERATIONS: dict[str, Operation] = {
    "RegisterContainerInstance": register_container_instance,
    "ListContainerInstances": list_container_instances,
    "DescribeContainerInstances": describe_container_instances,
}


_REQUEST_KEYS = frozenset(
    {"cluster", "count", "cpu", "memory", "region", "account", "instance_type", "availability_zone"}
)


def add_instances(world: World, request: Mapping[str, Any]) -> list[str]:
    """The control API's ``{"cluster": NAME, "count": N, "cpu": UNITS, "memory": MIB,
    "region": ..., "account": ..., "instance_type": ..., "availability_zone": ...}``: register
    `count` container instances with an existing cluster; their ARNs. ValueError for a bad
    request (nothing is registered then)."""
    unknown = sorted(set(request) - _REQUEST_KEYS)
    if unknown:
        raise ValueError(f"unknown container instance setting(s): {', '.join(unknown)}")
    name = request.get("cluster")
    if not isinstance(name, str) or not name:
        raise ValueError("'cluster' must name an existing cluster")
    region = str(request.get("region") or "")
    account = str(request.get("account") or ACCOUNT_ID)
    known = world.regions.get((account, region))
    cluster = known.clusters.get(name_of(name)) if known is not None else None
    if cluster is None or cluster.status != "ACTIVE":
        raise ValueError(f"no ACTIVE cluster {name!r} in {region} of account {account}")
    count = _whole(request, "count", 1, low=1)
    cpu = _whole(request, "cpu", DEFAULT_CPU, low=0)
    memory = _whole(request, "memory", DEFAULT_MEMORY, low=0)
    zone = request.get("availability_zone")
    instance_type = request.get("instance_type") or DEFAULT_INSTANCE_TYPE
    if not isinstance(instance_type, str) or (zone is not None and not isinstance(zone, str)):
        raise ValueError("'instance_type' and 'availability_zone' must be strings")
    return [
        register_instance(
            world,
            cluster,
            cpu=cpu,
            memory=memory,
            instance_type=instance_type,
            availability_zone=zone,
        ).arn
        for _ in range(count)
    ]


def _whole(request: Mapping[str, Any], key: str, default: int, *, low: int) -> int:
    value = request.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"'{key}' must be a whole number >= {low}, not {value!r}")
    return value
