"""One task's life on simulated time: PROVISIONING → PENDING → RUNNING, and when stopped
DEACTIVATING → STOPPING → STOPPED, then forgotten after `Timings.stopped_task_retention`.

"Amazon ECS task lifecycle"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html)
and "Amazon ECS stopped task error codes"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
Every step is one scheduled action; an action whose task has moved on in the meantime (stopped
by the scheduler or by StopTask) does nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from ecsdeploy.sim._dynamics import events as _events
from ecsdeploy.sim._dynamics.circuit_breaker import record_failure, record_healthy
from ecsdeploy.sim._dynamics.ids import NetworkInterface, arn
from ecsdeploy.sim._dynamics.launch_throttle import record_start, record_start_failure
from ecsdeploy.sim._dynamics.placement import (
    Placement,
    Unplaceable,
    find_placement,
    fits_nowhere,
    occupy,
    release,
    runs_on_instances,
)
from ecsdeploy.sim._dynamics.rules import Behavior, Interruption
from ecsdeploy.sim._dynamics.state import (
    Cluster,
    Container,
    Deployment,
    Service,
    Task,
    TaskDefinition,
)
from ecsdeploy.sim._dynamics.world import World

ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
FAILED_HEALTH_CHECKS = "Task failed container health checks"
STOPPED_BY_USER = "Task stopped by user"
PULL_RETRIES = 7
DEFAULT_HEALTH_INTERVAL = 30.0
DEFAULT_HEALTH_RETRIES = 3
DEFAULT_HEALTH_START_PERIOD = 0.0
"""ECS's defaults for a container health check's `interval`, `retries` and `startPeriod`
("HealthCheck", API reference)."""


def launch_task(world: World, deployment: Deployment) -> Task:
    """Create a PROVISIONING task of `deployment` and schedule its way to RUNNING."""
    service = deployment.service
    task = new_task(
        world,
        service.cluster,
        deployment.taskdef,
        spec=deployment.spec,
        started_by=deployment.id,
        group=f"service:{service.name}",
        service=service,
        deployment=deployment,
    )
    task.tags = _propagated_tags(service, deployment.taskdef)
    deployment.tasks[task.task_id] = task
    return task


def new_task(
    world: World,
    cluster: Cluster,
    taskdef: TaskDefinition,
    *,
    spec: dict[str, Any],
    started_by: str | None,
    group: str,
    service: Service | None = None,
    deployment: Deployment | None = None,
    overrides: dict[str, Any] | None = None,
    placement: Placement | None = None,
) -> Task:
    """A PROVISIONING task in `cluster` (of a service, or standalone from RunTask with its
    `overrides`), its way to RUNNING scheduled; the container rules that match its essential
    images (and commands) decide its fate. An EC2 task in a cluster with container instances
    is placed on one (`placement`, else where the placement strategy says) if one has room;
    if none has, it waits in PROVISIONING until one has (`_to_pending`)."""
    task_id = world.ids.task_id()
    containers: list[Container] = []
    rule = None
    commands = {
        str(o.get("name")): o["command"]
        for o in (overrides or {}).get("containerOverrides") or ()
        if o.get("command")
    }
    for definition in taskdef.containers:
        image = str(definition.get("image", ""))
        essential = bool(definition.get("essential", True))
        name = str(definition.get("name", ""))
        command = " ".join(str(w) for w in commands.get(name) or definition.get("command") or ())
        check = definition.get("healthCheck")
        containers.append(
            Container(
                name=str(definition.get("name", "")),
                image=image,
                arn=arn(
                    cluster.region,
                    f"container/{cluster.name}/{task_id}/{world.ids.uuid()}",
                    cluster.account,
                ),
                essential=essential,
                health_check=(
                    (
                        float(check.get("interval", DEFAULT_HEALTH_INTERVAL)),
                        int(check.get("retries", DEFAULT_HEALTH_RETRIES)),
                        float(check.get("startPeriod", DEFAULT_HEALTH_START_PERIOD)),
                    )
                    if check
                    else None
                ),
                command=command,
            )
        )
        if rule is None and essential:
            rule = world.rules.match(image, command)
    task = Task(
        task_id=task_id,
        arn=arn(cluster.region, f"task/{cluster.name}/{task_id}", cluster.account),
        cluster=cluster,
        taskdef=taskdef,
        containers=containers,
        created_at=world.now,
        service=service,
        deployment=deployment,
        started_by=started_by,
        group=group,
        launch_type=spec.get("launchType"),
        rule=rule,
        overrides=copy.deepcopy(overrides) if overrides else None,
    )
    task.eni = network_interface(world, taskdef, spec)
    if placement is None and runs_on_instances(cluster, spec):
        found = place(world, task, spec)
        placement = found if isinstance(found, Placement) else None
    if placement is not None:
        occupy(task, placement)
    cluster.tasks[task_id] = task
    world.schedule(world.stretch(world.timings.provisioning), _to_pending, task)
    return task


def place(world: World, task: Task, spec: dict[str, Any]) -> Placement | Unplaceable:
    """Where `task` fits now, under its service's (or RunTask's) placement settings."""
    settings = task.service.spec if task.service is not None else spec
    return find_placement(
        world,
        task.cluster,
        task.taskdef,
        group=task.group or "",
        strategy=settings.get("placementStrategy") or (),
        constraints=settings.get("placementConstraints") or (),
    )


def network_interface(
    world: World, taskdef: TaskDefinition, spec: dict[str, Any]
) -> NetworkInterface | None:
    """An ENI in one of the awsvpcConfiguration's subnets for an awsvpc task, else None."""
    if taskdef.body.get("networkMode") != "awsvpc":
        return None
    network = (spec.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return world.ids.network_interface([str(s) for s in network.get("subnets") or ()])


def _propagated_tags(service: Service, taskdef: TaskDefinition) -> dict[str, str]:
    """Task tags per the service's `propagateTags` and `enableECSManagedTags`.

    "Tagging your Amazon ECS resources"
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html).
    """
    tags: dict[str, str] = {}
    if service.spec.get("enableECSManagedTags"):
        tags["aws:ecs:clusterName"] = service.cluster.name
        tags["aws:ecs:serviceName"] = service.name
    propagate = service.spec.get("propagateTags")
    if propagate == "SERVICE":
        tags.update(service.tags)
    elif propagate == "TASK_DEFINITION":
        tags.update(taskdef.tags)
    return tags


def _alive(task: Task) -> bool:
    return task.desired_status == "RUNNING"


FARGATE_NO_CAPACITY = (
    "Capacity is unavailable at this time. Please try again later or in a different "
    "availability zone"
)
EC2_NO_INSTANCE = "No Container Instances were found in your cluster."
PLACEMENT_RETRY = 30.0
"""How often a task that could not be placed is tried again (AWS gives no figure)."""


def placement_failure(world: World, taskdef: TaskDefinition, spec: dict[str, Any]) -> str | None:
    """Why a task of `taskdef` cannot be placed now, in ECS's words; None if it can.

    "Amazon ECS service event messages" and "Troubleshoot Fargate capacity": Fargate says
    capacity is unavailable; EC2 says no container instance met the task's requirements.
    """
    images = [str(c.get("image", "")) for c in taskdef.containers if c.get("essential", True)]
    rule = world.rules.no_capacity(images)
    if rule is None:
        return None
    if rule.reason:
        return rule.reason
    return FARGATE_NO_CAPACITY if _on_fargate(spec) else EC2_NO_INSTANCE


def _on_fargate(spec: dict[str, Any]) -> bool:
    if spec.get("launchType") == "FARGATE":
        return True
    strategy = spec.get("capacityProviderStrategy") or ()
    return any(str(item.get("capacityProvider", "")).startswith("FARGATE") for item in strategy)


def _launch_spec(task: Task) -> dict[str, Any]:
    if task.deployment is not None:
        return task.deployment.spec
    if task.run_spec is not None:
        return task.run_spec
    return {"launchType": task.launch_type} if task.launch_type else {}


def _to_pending(world: World, task: Task) -> None:
    if not _alive(task) or task.last_status != "PROVISIONING":
        return
    spec = _launch_spec(task)
    unplaceable = placement_failure(world, task.taskdef, spec)
    if unplaceable is not None:
        if task.service is not None:
            _events.unable_to_place(world, task.service, unplaceable, fargate=_on_fargate(spec))
        _retry_placement(world, task, PLACEMENT_RETRY)
        return
    if task.instance is None and runs_on_instances(task.cluster, spec):
        found = place(world, task, spec)
        if isinstance(found, Unplaceable):
            if task.service is not None:
                _events.no_instance_fits(world, task.service, found.event_detail())
                if fits_nowhere(task.cluster, task.taskdef):
                    # `Deployment.failedTasks`: "a task is considered a failure if the service
                    # scheduler can't launch the task": each try counts, toward the breaker. A
                    # task waiting for room (a rollout stopping old tasks) is not failing.
                    record_failure(world, task)
            task.cluster.unplaced[task.task_id] = task
            _retry_placement(world, task, PLACEMENT_RETRY)
            return
        task.cluster.unplaced.pop(task.task_id, None)
        occupy(task, found)
    task.last_status = "PENDING"
    task.pull_started_at = world.now
    task.version += 1
    rule = task.rule
    if rule is not None and rule.behavior is Behavior.PULL_ERROR:
        world.schedule(world.stretch(world.timings.pending), _pull_failed, task)
        return
    extra = rule.seconds if rule is not None and rule.behavior is Behavior.SLOW_START else 0.0
    world.schedule(world.stretch(world.timings.pending) + extra, _to_running, task)


def _retry_placement(world: World, task: Task, delay: float) -> None:
    """Try to place `task` again `delay` from now; an earlier scheduled try is void."""
    task.placement_attempt += 1
    world.schedule(delay, _placement_retry, (task, task.placement_attempt))


def _placement_retry(world: World, subject: tuple[Task, int]) -> None:
    task, attempt = subject
    if attempt == task.placement_attempt:
        _to_pending(world, task)


def retry_waiting(world: World, cluster: Cluster) -> None:
    """Capacity came free or was added in `cluster`: tasks that could not be placed try again
    now rather than at their next periodic try."""
    for task in list(cluster.unplaced.values()):
        if _alive(task) and task.instance is None and task.last_status == "PROVISIONING":
            _retry_placement(world, task, 0.0)
        else:
            del cluster.unplaced[task.task_id]


def _pull_failed(world: World, task: Task) -> None:
    if not _alive(task) or task.last_status != "PENDING":
        return
    if task.service is not None:
        record_start_failure(world, task.service)
    failing = _failing_container(task)
    reason = (task.rule.reason if task.rule is not None else None) or pull_error_message(
        failing.image
    )
    failing.reason = reason
    task.execution_stopped_at = world.now
    begin_stop(world, task, stop_code="TaskFailedToStart", reason=reason, failed=True)


def pull_error_message(image: str) -> str:
    """What ECS reports when an image tag does not exist in its registry."""
    ref = qualified_image(image)
    return (
        f"CannotPullContainerError: pull image manifest has been retried {PULL_RETRIES} "
        f"time(s): failed to resolve ref {ref}: {ref}: not found"
    )


def qualified_image(image: str) -> str:
    """The fully qualified reference containerd resolves (Docker Hub names get docker.io/…)."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return image
    if not rest:
        return f"docker.io/library/{image}"
    return f"docker.io/{image}"


def _to_running(world: World, task: Task) -> None:
    if not _alive(task) or task.last_status != "PENDING":
        return
    now = world.now
    task.last_status = "RUNNING"
    task.pull_stopped_at = now
    task.started_at = now
    task.version += 1
    for container in task.containers:
        container.last_status = "RUNNING"
    rule = task.rule
    if task.service is not None:
        record_start(task.service)
    if (
        rule is not None
        and rule.behavior is Behavior.UNHEALTHY
        and _failing_container(task).health_check is not None
    ):
        # Without a container healthCheck ECS never learns the app is unhealthy: the task
        # stays healthStatus UNKNOWN and counts as running ("Determine Amazon ECS task health
        # using container health checks").
        world.schedule(_time_to_unhealthy(world, task), _failed_health_checks, task)
    else:
        world.schedule(_time_to_healthy(world, task), _became_healthy, task)
        if rule is not None and rule.behavior in (Behavior.CRASH, Behavior.EXIT):
            world.schedule(rule.after, _essential_container_exited, task)
    for interruption in world.rules.interruptions:
        watch_for_interruption(world, task, interruption)
    _touch(world, task)


def watch_for_interruption(world: World, task: Task, interruption: Interruption) -> None:
    """Schedule `interruption` for `task` if it is RUNNING with a matching essential image."""
    images = [c.image for c in task.containers if c.essential]
    if _alive(task) and task.last_status == "RUNNING" and interruption.applies_to(images):
        world.schedule(interruption.rule.after, _interrupted, (task, interruption))


def _interrupted(world: World, subject: tuple[Task, Interruption]) -> None:
    """AWS takes the task's capacity back: not a failure, the scheduler replaces the task."""
    task, interruption = subject
    if not _alive(task) or task.last_status != "RUNNING":
        return
    if not world.rules.is_active(interruption):
        return
    if interruption.remaining is not None:
        interruption.remaining -= 1
    rule = interruption.rule
    begin_stop(
        world, task, stop_code=rule.stop_code.value, reason=rule.stopped_reason, failed=False
    )


def _time_to_healthy(world: World, task: Task) -> float:
    checks = [c.health_check for c in task.containers if c.essential and c.health_check]
    if not checks:
        return world.timings.no_health_check_wait
    if world.timings.time_to_healthy is not None:
        return world.timings.time_to_healthy
    return max(interval for interval, _, _ in checks)


def _time_to_unhealthy(world: World, task: Task) -> float:
    if world.timings.time_to_unhealthy is not None:
        return world.timings.time_to_unhealthy
    interval, retries, start_period = _failing_container(task).health_check or (
        DEFAULT_HEALTH_INTERVAL,
        DEFAULT_HEALTH_RETRIES,
        DEFAULT_HEALTH_START_PERIOD,
    )
    # Failed checks during the start period do not count toward `retries` (Docker's rule).
    return start_period + interval * retries


def _became_healthy(world: World, task: Task) -> None:
    if not _alive(task) or task.last_status != "RUNNING":
        return
    task.healthy = True
    if any(c.health_check for c in task.containers):
        for container in task.containers:
            if container.health_check:
                container.health_status = "HEALTHY"
        task.health_status = "HEALTHY"
        task.version += 1
    if targets_healthy(task):
        # Behind a load balancer the task runs successfully once its targets are healthy too
        # (`ecsdeploy.sim._dynamics.load_balancers` records it then).
        record_healthy(world, task)
    _touch(world, task)


def targets_healthy(task: Task) -> bool:
    """Every load balancer target of the task is healthy (true without any)."""
    return all(target.state == "healthy" for _, target in task.targets)


def _essential_container_exited(world: World, task: Task) -> None:
    if not _alive(task) or task.last_status != "RUNNING" or task.rule is None:
        return
    failing = _failing_container(task)
    failing.last_status = "STOPPED"
    failing.exit_code = task.rule.exit_code
    failing.reason = task.rule.reason
    task.execution_stopped_at = world.now
    # A service task is never meant to exit, whatever its code; a one-off task is.
    begin_stop(
        world,
        task,
        stop_code="EssentialContainerExited",
        reason=ESSENTIAL_CONTAINER_EXITED,
        failed=task.service is not None,
    )


def _failed_health_checks(world: World, task: Task) -> None:
    if not _alive(task) or task.last_status != "RUNNING":
        return
    _failing_container(task).health_status = "UNHEALTHY"
    task.health_status = "UNHEALTHY"
    task.version += 1
    _touch(world, task)
    if task.service is None:
        # "HealthCheck" (API reference): a task run manually, not as part of a service,
        # continues its lifecycle regardless of its health status.
        return
    grace_ends = (task.started_at or world.now) + _grace_period(task)
    if world.now < grace_ends:
        world.schedule(grace_ends - world.now, _replace_unhealthy, task)
    else:
        _replace_unhealthy(world, task)


def _grace_period(task: Task) -> float:
    """The service's healthCheckGracePeriodSeconds (0 when unset or for standalone tasks)."""
    if task.service is None:
        return 0.0
    return float(task.service.spec.get("healthCheckGracePeriodSeconds") or 0)


def _replace_unhealthy(world: World, task: Task) -> None:
    """The service scheduler replaces a task whose essential container is UNHEALTHY, once the
    service's health check grace period after the task reached RUNNING is over."""
    if not _alive(task) or task.last_status != "RUNNING":
        return
    if task.service is not None:
        _events.failed_health_checks(world, task.service, task)
    begin_stop(
        world,
        task,
        stop_code="ServiceSchedulerInitiated",
        reason=FAILED_HEALTH_CHECKS,
        failed=True,
    )
    if task.service is not None:
        _events.tasks_stopped(world, task.service, [task])


def _failing_container(task: Task) -> Container:
    """The essential container the task's rule applies to."""
    rule = task.rule
    for container in task.containers:
        if container.essential and (
            rule is None or rule.matches(container.image, container.command)
        ):
            return container
    return task.containers[0]


def begin_stop(world: World, task: Task, *, stop_code: str, reason: str, failed: bool) -> None:
    """Set the task's desired status to STOPPED and schedule DEACTIVATING → STOPPING → STOPPED.

    A failed task (it did not start, crashed or failed its health checks) also counts against
    its deployment's circuit breaker.
    """
    if not _alive(task):
        return
    task.cluster.unplaced.pop(task.task_id, None)
    task.desired_status = "STOPPED"
    task.stop_code = stop_code
    task.stopped_reason = reason
    task.stopping_at = world.now
    task.failed = failed
    task.last_status = "DEACTIVATING"
    task.version += 1
    if failed:
        record_failure(world, task)
    draining = task.registered and task.service is not None
    timings = world.timings
    delay = _draining_time(world, task) if draining else timings.deactivating
    world.schedule(delay, _to_stopping, task)
    _touch(world, task)


def _draining_time(world: World, task: Task) -> float:
    """How long a registered task stays DEACTIVATING: its target groups' deregistration delay
    (the longest), or `Timings.deregistration_delay` behind a classic load balancer."""
    if task.targets:
        return max(group.deregistration_delay for group, _ in task.targets)
    return world.timings.deregistration_delay


def _to_stopping(world: World, task: Task) -> None:
    task.last_status = "STOPPING"
    task.version += 1
    world.schedule(world.timings.stopping, _to_stopped, task)


def _to_stopped(world: World, task: Task) -> None:
    now = world.now
    task.last_status = "STOPPED"
    task.stopped_at = now
    if task.execution_stopped_at is None:
        task.execution_stopped_at = now
    task.version += 1
    for container in task.containers:
        if container.last_status == "RUNNING":
            # Stopped with SIGTERM and exited cleanly.
            container.exit_code = 0
        container.last_status = "STOPPED"
    if task.deployment is not None:
        task.deployment.tasks.pop(task.task_id, None)
    if task.instance is not None:
        release(task)
        retry_waiting(world, task.cluster)
    world.schedule(world.timings.stopped_task_retention, _forget, task)
    _touch(world, task)


def _forget(world: World, task: Task) -> None:
    task.cluster.tasks.pop(task.task_id, None)


def _touch(world: World, task: Task) -> None:
    if task.deployment is not None:
        task.deployment.updated_at = world.now
    if task.service is not None:
        world.touch(task.service)
