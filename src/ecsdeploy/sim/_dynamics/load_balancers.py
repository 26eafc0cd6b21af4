"""ECS and its services' target groups: tasks registered as targets when their containers run,
drained when they stop, and stopped when their targets fail ELB's health checks.

"Use load balancing to distribute Amazon ECS service traffic" and "Health checks for Amazon ECS
services behind a load balancer": for each entry of the service's ``loadBalancers``
(targetGroupArn, containerName, containerPort) a RUNNING task is registered as one target — its
ENI's private IP for an ``ip`` target group (awsvpc), port containerPort; for an ``instance``
target group (bridge and host network modes) its container instance's EC2 instance id and the
host port bound to containerPort (`ecsdeploy.sim._dynamics.placement`). The task counts as
healthy for the deployment only once every target is ``healthy``. A target that turns
``unhealthy`` has ECS stop the task (stoppedReason "Task failed ELB health checks in
(target-group ARN)"), but not before the service's healthCheckGracePeriodSeconds after the task
started; it counts against the circuit breaker like any failed task. A stopping task is
deregistered and stays DEACTIVATING for the target group's deregistration delay.
"""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._dynamics import events as _events
from ecsdeploy.sim._dynamics.circuit_breaker import record_healthy
from ecsdeploy.sim._dynamics.lifecycle import begin_stop, targets_healthy
from ecsdeploy.sim._dynamics.listener_weights import target_group_for
from ecsdeploy.sim._dynamics.rules import Behavior
from ecsdeploy.sim._dynamics.state import Service, Task
from ecsdeploy.sim._dynamics.world import World
from ecsdeploy.sim._elbv2 import health
from ecsdeploy.sim._elbv2.state import Target, TargetGroup

FAILED_ELB_HEALTH_CHECKS = "Task failed ELB health checks in (target-group {arn})"


def target_group_arns(service: Service) -> list[str]:
    return [
        str(lb["targetGroupArn"])
        for lb in service.spec.get("loadBalancers") or ()
        if lb.get("targetGroupArn")
    ]


def register(world: World, task: Task) -> None:
    """Register `task` with every target group of its service that exists."""
    service = task.service
    if service is None:
        return
    balancing = world.region(task.cluster.region, task.cluster.account).load_balancing
    rule = task.rule
    failing = rule is not None and rule.behavior is Behavior.ELB_UNHEALTHY
    # The rule's `after` counts from the container's start, like a crash's.
    failing_from = (
        (task.started_at or world.now) + rule.after
        if failing and rule is not None and rule.after > 0
        else None
    )
    for entry in service.spec.get("loadBalancers") or ():
        group = balancing.target_groups.get(target_group_for(task, entry))
        if group is None:
            continue
        target_id, port = _target_of(task, entry)
        target = health.register(
            world,
            balancing,
            group,
            target_id,
            port,
            failure=(rule.reason if failing and rule is not None else None),
            failure_code=rule.code if rule is not None else 500,
            failing_from=failing_from,
            on_change=_watcher(task, group),
        )
        task.targets.append((group, target))


def deregister(world: World, task: Task) -> None:
    balancing = world.region(task.cluster.region, task.cluster.account).load_balancing
    for group, target in task.targets:
        if group.targets.get((target.id, target.port)) is target:
            health.deregister(world, balancing, group, target)


def _target_of(task: Task, entry: dict[str, Any]) -> tuple[str, int]:
    """(id, port) of the target ECS registers for `task` under one ``loadBalancers`` entry."""
    container_port = int(entry.get("containerPort") or 0)
    if task.eni is not None:
        return task.eni.private_ip, container_port
    if task.instance is not None:
        container = entry.get("containerName")
        host_port = next(
            (
                b.host_port
                for b in task.bindings
                if b.container == container and b.container_port == container_port
            ),
            container_port,
        )
        return task.instance.ec2_instance_id, host_port
    # A task of a cluster without container instances runs nowhere in particular: its
    # instance target gets a stable made-up id.
    return f"i-{task.task_id[:17]}", container_port


def _watcher(task: Task, group: TargetGroup) -> health.Listener:
    def changed(world: World, target: Target) -> None:
        _target_changed(world, task, group, target)

    return changed


def _target_changed(world: World, task: Task, group: TargetGroup, target: Target) -> None:
    if task.desired_status != "RUNNING" or task.service is None:
        return
    if target.state == "healthy" and task.healthy and targets_healthy(task):
        record_healthy(world, task)
    elif target.state == "unhealthy":
        grace = float(task.service.spec.get("healthCheckGracePeriodSeconds") or 0)
        grace_ends = (task.started_at or world.now) + grace
        world.schedule(max(0.0, grace_ends - world.now), _stop_unhealthy, (task, group, target))
    if task.deployment is not None:
        task.deployment.updated_at = world.now
    world.touch(task.service)


def _stop_unhealthy(world: World, subject: tuple[Task, TargetGroup, Target]) -> None:
    task, group, target = subject
    service = task.service
    if (
        service is None
        or task.desired_status != "RUNNING"
        or task.last_status != "RUNNING"
        or target.state != "unhealthy"
    ):
        return
    # ECS names an instance target by its instance, an ip target by its task.
    named = f"(instance {target.id})" if task.instance is not None else f"(task {task.task_id})"
    _events.add_event(
        world,
        service,
        f"(service {service.name}) {named} (port {target.port}) is unhealthy in "
        f"(target-group {group.arn}) due to (reason {target.description}).",
    )
    begin_stop(
        world,
        task,
        stop_code="ServiceSchedulerInitiated",
        reason=FAILED_ELB_HEALTH_CHECKS.format(arn=group.arn),
        failed=True,
    )
    _events.tasks_stopped(world, service, [task])
