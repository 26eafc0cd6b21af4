"""Placing EC2 launch-type tasks on a cluster's container instances.

"How Amazon ECS places tasks on container instances": ECS first keeps the instances that meet
the task's CPU, memory and port requirements (and its placement constraints), then picks one
by the placement strategy. Implemented: the task's CPU units and MiB of memory (task level, else
the sum of its containers' `cpu` and `memoryReservation`/`memory`), host ports (bridge mode:
a `hostPort` of 0 or none is dynamic, from the ephemeral range 32768-60999; host mode: the
container port itself; a port the instance already uses rules it out), the
`distinctInstance` constraint, and the `binpack` (cpu, memory), `spread` (instanceId,
availability zone) and `random` strategies, applied in order. Without a strategy, tasks spread
across instances: the one running the fewest tasks of the same group first. `memberOf`
constraints are not evaluated.

Only clusters with registered container instances place tasks: in a cluster without any, EC2
tasks find room as they always did in the simulator (no capacity is modelled), so services
that never registered an instance behave as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ecsdeploy.sim._dynamics.state import (
    Cluster,
    ContainerInstance,
    PortBinding,
    Task,
    TaskDefinition,
)
from ecsdeploy.sim._dynamics.world import World

EPHEMERAL_PORTS = range(32768, 61000)
"""Dynamic host ports: the Linux kernel's default ephemeral range that ECS documents
("PortMapping", API reference: 32768-60999 when /proc/sys/net/ipv4/ip_local_port_range is
not available)."""
AGENT_RESERVED_PORTS = (22, 2375, 2376, 51678, 51679)
"""TCP ports the ECS agent reserves on every instance (SSH, the Docker daemon, the agent)."""

NO_CPU = "RESOURCE:CPU"
NO_MEMORY = "RESOURCE:MEMORY"
NO_PORTS = "RESOURCE:PORTS"
NO_PORTS_UDP = "RESOURCE:PORTS_UDP"
DISTINCT_INSTANCE = "DistinctInstance placement constraint unsatisfied."

_CLOSEST_SAYS = {
    NO_CPU: "has insufficient CPU units available.",
    NO_MEMORY: "has insufficient memory available.",
    NO_PORTS: "is already using a port required by your task.",
    NO_PORTS_UDP: "is already using a port required by your task.",
    DISTINCT_INSTANCE: f'encountered error "{DISTINCT_INSTANCE}"',
}


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a task goes: the instance and its host ports there."""

    instance: ContainerInstance
    bindings: tuple[PortBinding, ...]


@dataclass(frozen=True, slots=True)
class Unplaceable:
    """Why no instance takes the task: the API failure reason (``RESOURCE:MEMORY`` …) of the
    closest matching instance (the one that fails the fewest requirements)."""

    reason: str
    closest: ContainerInstance

    def event_detail(self) -> str:
        """The second sentence of ECS's "unable to place a task" service event."""
        return (
            f"The closest matching (container-instance {self.closest.container_instance_id}) "
            f"{_CLOSEST_SAYS[self.reason]} For more information, see the Troubleshooting "
            "section of the Amazon ECS Developer Guide."
        )


def runs_on_instances(cluster: Cluster, spec: dict[str, Any]) -> bool:
    """Whether a task launched with `spec` (launchType, capacityProviderStrategy) is placed on
    `cluster`'s container instances: an EC2 task, in a cluster that has registered some."""
    if not cluster.instances:
        return False
    if spec.get("launchType") in ("FARGATE", "EXTERNAL"):
        return False
    strategy = spec.get("capacityProviderStrategy") or ()
    return not any(str(item.get("capacityProvider", "")).startswith("FARGATE") for item in strategy)


def find_placement(
    world: World,
    cluster: Cluster,
    taskdef: TaskDefinition,
    *,
    group: str,
    strategy: Sequence[dict[str, Any]] = (),
    constraints: Sequence[dict[str, Any]] = (),
) -> Placement | Unplaceable:
    """The instance `strategy` picks among those that can take a task of `taskdef` now."""
    cpu, memory = requirements(taskdef)
    distinct = any(c.get("type") == "distinctInstance" for c in constraints)
    fitting: list[Placement] = []
    closest: tuple[int, str, ContainerInstance] | None = None
    for instance in cluster.instances.values():
        if instance.status != "ACTIVE":
            continue
        failures: list[str] = []
        if distinct and any(t.group == group for t in instance.tasks.values()):
            failures.append(DISTINCT_INSTANCE)
        if remaining_cpu(instance) < cpu:
            failures.append(NO_CPU)
        if remaining_memory(instance) < memory:
            failures.append(NO_MEMORY)
        bindings = host_ports(instance, taskdef)
        if isinstance(bindings, str):
            failures.append(bindings)
        if not failures and not isinstance(bindings, str):
            fitting.append(Placement(instance, bindings))
        elif closest is None or len(failures) < closest[0]:
            closest = (len(failures), failures[0], instance)
    if fitting:
        return _choose(world, fitting, group=group, strategy=strategy, cpu=cpu, memory=memory)
    if closest is None:
        raise LookupError("no ACTIVE container instance")
    return Unplaceable(closest[1], closest[2])


def fits_nowhere(cluster: Cluster, taskdef: TaskDefinition) -> bool:
    """No ACTIVE instance of `cluster` could take a task of `taskdef` even with nothing else on
    it (too little CPU or memory, or a fixed host port the instance reserves): the task cannot
    be launched, as opposed to one waiting for room a rollout is freeing."""
    cpu, memory = requirements(taskdef)
    mode = taskdef.body.get("networkMode") or "bridge"
    fixed: set[int] = set()
    if mode in ("bridge", "host"):
        for container in taskdef.containers:
            for mapping in container.get("portMappings") or ():
                if mapping.get("containerPort") is None:
                    continue
                wanted = mapping["containerPort"] if mode == "host" else mapping.get("hostPort")
                if wanted and str(mapping.get("protocol") or "tcp") == "tcp":
                    fixed.add(int(wanted))
    return not any(
        instance.status == "ACTIVE"
        and instance.cpu >= cpu
        and instance.memory >= memory
        and not fixed.intersection(instance.reserved_ports)
        for instance in cluster.instances.values()
    )


def occupy(task: Task, placement: Placement) -> None:
    """Put `task` on the placement's instance: it holds the CPU, memory and ports from now on."""
    instance = placement.instance
    task.instance = instance
    task.bindings = placement.bindings
    instance.tasks[task.task_id] = task
    cpu, memory = requirements(task.taskdef)
    instance.used_cpu += cpu
    instance.used_memory += memory
    instance.version += 1
    dynamic = [b.host_port for b in placement.bindings if b.host_port in EPHEMERAL_PORTS]
    if dynamic:
        instance.next_port = max(dynamic) + 1


def release(task: Task) -> None:
    """The stopped task gives its instance's resources back."""
    instance = task.instance
    if instance is not None and instance.tasks.pop(task.task_id, None) is not None:
        cpu, memory = requirements(task.taskdef)
        instance.used_cpu -= cpu
        instance.used_memory -= memory
        instance.version += 1


def requirements(taskdef: TaskDefinition) -> tuple[int, int]:
    """(CPU units, MiB of memory) the task reserves on its instance."""
    body = taskdef.body
    containers = taskdef.containers
    cpu = _units(body.get("cpu"), ("vcpu",))
    if cpu is None:
        cpu = sum(int(c.get("cpu") or 0) for c in containers)
    memory = _units(body.get("memory"), ("gb", "gib"))
    if memory is None:
        memory = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
    return cpu, memory


_UNIT = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*")


def _units(value: Any, big_units: tuple[str, ...]) -> int | None:
    """A size such as "1024", "1 vCPU" or "2 GB" in CPU units or MiB (a vCPU is 1024 units, a
    GB 1024 MiB); None if not given."""
    if value is None or value == "":
        return None
    match = _UNIT.fullmatch(str(value))
    if match is None:
        return None
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * 1024) if unit in big_units else int(number)


def remaining_cpu(instance: ContainerInstance) -> int:
    return instance.cpu - instance.used_cpu


def remaining_memory(instance: ContainerInstance) -> int:
    return instance.memory - instance.used_memory


def used_ports(instance: ContainerInstance, protocol: str) -> set[int]:
    """Host ports in use on the instance for `protocol`: reserved ones and its tasks'."""
    used = {
        b.host_port
        for task in instance.tasks.values()
        for b in task.bindings
        if b.protocol == protocol
    }
    if protocol == "tcp":
        used.update(instance.reserved_ports)
    return used


def host_ports(
    instance: ContainerInstance, taskdef: TaskDefinition
) -> tuple[PortBinding, ...] | str:
    """The task's port bindings on `instance`, or the failure reason when a port it needs is
    taken. awsvpc tasks bind no host port (each has its own network interface)."""
    mode = taskdef.body.get("networkMode") or "bridge"
    if mode not in ("bridge", "host"):
        return ()
    used = {"tcp": used_ports(instance, "tcp"), "udp": used_ports(instance, "udp")}
    cursor = max(instance.next_port, EPHEMERAL_PORTS.start)
    bindings: list[PortBinding] = []
    for container in taskdef.containers:
        for mapping in container.get("portMappings") or ():
            if mapping.get("containerPort") is None:
                continue
            protocol = str(mapping.get("protocol") or "tcp")
            container_port = int(mapping["containerPort"])
            wanted = container_port if mode == "host" else int(mapping.get("hostPort") or 0)
            taken = used[protocol]
            if wanted == 0:
                port = _free_port(taken, cursor)
                if port is None:
                    return NO_PORTS if protocol == "tcp" else NO_PORTS_UDP
                cursor = port + 1
            elif wanted in taken:
                return NO_PORTS if protocol == "tcp" else NO_PORTS_UDP
            else:
                port = wanted
            taken.add(port)
            bindings.append(
                PortBinding(str(container.get("name", "")), container_port, port, protocol)
            )
    return tuple(bindings)


def _free_port(taken: set[int], cursor: int) -> int | None:
    """The first ephemeral port from `cursor` on (wrapping around) that is not taken: Docker
    hands dynamic ports out in turn rather than reusing the one just freed."""
    span = len(EPHEMERAL_PORTS)
    start = cursor - EPHEMERAL_PORTS.start
    for offset in range(span):
        port = EPHEMERAL_PORTS.start + (start + offset) % span
        if port not in taken:
            return port
    return None


def _choose(
    world: World,
    fitting: list[Placement],
    *,
    group: str,
    strategy: Sequence[dict[str, Any]],
    cpu: int,
    memory: int,
) -> Placement:
    if any(step.get("type") == "random" for step in strategy[:1]):
        return fitting[world.ids.pick(len(fitting))]
    steps = list(strategy) or [{"type": "spread", "field": "instanceId"}]

    def key(placement: Placement) -> tuple[int, ...]:
        instance = placement.instance
        values: list[int] = []
        for step in steps:
            kind, field = step.get("type"), str(step.get("field") or "").lower()
            if kind == "binpack":
                left = remaining_memory(instance) - memory
                if field == "cpu":
                    left = remaining_cpu(instance) - cpu
                values.append(left)
            elif kind == "spread":
                values.append(_group_count(instance, group, by_zone="zone" in field))
        values.append(sum(1 for t in instance.tasks.values() if t.group == group))
        values.append(len(instance.tasks))
        return tuple(values)

    return min(fitting, key=key)


def _group_count(instance: ContainerInstance, group: str, *, by_zone: bool) -> int:
    """Tasks of `group` on `instance`, or in its availability zone."""
    if not by_zone:
        return sum(1 for t in instance.tasks.values() if t.group == group)
    return sum(
        1
        for other in instance.cluster.instances.values()
        if other.availability_zone == instance.availability_zone
        for t in other.tasks.values()
        if t.group == group
    )
