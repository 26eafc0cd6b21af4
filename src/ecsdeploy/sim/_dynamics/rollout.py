"""The service scheduler's rolling update: launch, drain, complete.

"Deploy Amazon ECS services by replacing tasks"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html):
during a deployment the number of tasks in the RUNNING or PENDING state stays at or below
`maximumPercent` of the desired count (rounded down) and the number of RUNNING, healthy tasks at
or above `minimumHealthyPercent` (rounded up). The scheduler starts PRIMARY tasks as room allows,
stops tasks of older deployments as healthy capacity allows, and declares the deployment
COMPLETED once all desired PRIMARY tasks run healthy and the older deployments are drained (and,
for a service with deployment alarms, once the bake time after that is over:
`ecsdeploy.sim._dynamics.deployment_alarms`).
Evaluation happens whenever something about the service changed, never on a timer.
"""

from __future__ import annotations

import math

from ecsdeploy.sim._dynamics import events as _events
from ecsdeploy.sim._dynamics import listener_weights, traffic_shift
from ecsdeploy.sim._dynamics.deployment_alarms import bake_done
from ecsdeploy.sim._dynamics.deployments import ONGOING_RECORD_STATUSES
from ecsdeploy.sim._dynamics.launch_throttle import launch_allowed
from ecsdeploy.sim._dynamics.lifecycle import begin_stop, launch_task, targets_healthy
from ecsdeploy.sim._dynamics.load_balancers import deregister as deregister_targets
from ecsdeploy.sim._dynamics.load_balancers import register as register_targets
from ecsdeploy.sim._dynamics.load_balancers import target_group_arns
from ecsdeploy.sim._dynamics.state import Deployment, Service, Task
from ecsdeploy.sim._dynamics.world import World

SCALING_ACTIVITY = "Scaling activity initiated by (deployment {deployment_id})"


def evaluate(world: World, service: Service) -> None:
    """Bring `service` one step closer to its desired state, as ECS's scheduler does."""
    if service.status != "ACTIVE":
        _drain_everything(world, service)
        return
    primary = service.primary
    if service.controller != "ECS" or primary is None:
        # CODE_DEPLOY and EXTERNAL services are driven by task sets nobody here creates.
        return
    if traffic_shift.shifting(primary):
        _evaluate_shifting(world, service, primary)
        return
    desired = service.desired_count
    config = service.spec["deploymentConfiguration"]
    upper = desired * int(config["maximumPercent"]) // 100
    lower = math.ceil(desired * int(config["minimumHealthyPercent"]) / 100)
    primary.desired_count = desired
    # Tasks that just reached RUNNING join their target groups before anything is counted.
    _update_target_groups(world, service)

    primary_alive = [t for t in primary.tasks.values() if t.desired_status == "RUNNING"]
    older_alive = [
        t
        for d in reversed(service.deployments[1:])
        for t in d.tasks.values()
        if t.desired_status == "RUNNING"
    ]
    to_stop: list[Task] = []
    # Scale in: PRIMARY tasks beyond the desired count, least useful first.
    if len(primary_alive) > desired:
        ranked = sorted(primary_alive, key=_usefulness)
        surplus = len(primary_alive) - desired
        to_stop.extend(ranked[:surplus])
        primary_alive = ranked[surplus:]
    # Older tasks that are not serving yet cost capacity and count for nothing: stop them.
    to_stop.extend(t for t in older_alive if not _serving(t))
    older_serving = [t for t in older_alive if _serving(t)]
    # Serving older tasks go as long as enough healthy tasks remain. A FAILED deployment
    # launches nothing more, so its service keeps what still runs.
    if primary.rollout_state != "FAILED":
        healthy = sum(1 for t in primary_alive if _serving(t)) + len(older_serving)
        to_stop.extend(older_serving[: max(0, healthy - lower)])
    _scale_in(world, service, primary, to_stop)

    if primary.rollout_state != "FAILED" and launch_allowed(world, service):
        alive_total = (
            len(primary_alive)
            + len(older_alive)
            - sum(1 for t in to_stop if t.deployment is not primary)
        )
        count = max(0, min(desired - len(primary_alive), upper - alive_total))
        started = [launch_task(world, primary) for _ in range(count)]
        if started:
            _events.tasks_started(world, service, started)

    for deployment in service.deployments[1:]:
        # A deployment ECS rolled back from is scaled to zero at once; others shrink as drained.
        deployment.desired_count = (
            0
            if deployment.rollout_state == "FAILED"
            else sum(1 for t in deployment.tasks.values() if t.desired_status == "RUNNING")
        )
    _maybe_complete(world, service, primary)
    # Drained deployments stay listed (ACTIVE, no tasks) while the PRIMARY one is in progress,
    # so a watcher sees a failed deployment for as long as its rollback runs.
    if primary.rollout_state != "IN_PROGRESS":
        for deployment in service.deployments[1:]:
            if deployment.status == "ACTIVE" and not deployment.tasks:
                _retire(world, deployment)


def _evaluate_shifting(world: World, service: Service, primary: Deployment) -> None:
    """A BLUE_GREEN / LINEAR / CANARY deployment (`sim._dynamics.traffic_shift`): green is
    launched at its full desired count from SCALE_UP on, whatever `maximumPercent` says; blue
    keeps every task until CLEAN_UP, then drains at once."""
    desired = service.desired_count
    primary.desired_count = desired
    primary_alive = [t for t in primary.tasks.values() if t.desired_status == "RUNNING"]
    older_alive = [
        t
        for d in service.deployments[1:]
        for t in d.tasks.values()
        if t.desired_status == "RUNNING"
    ]
    to_stop: list[Task] = []
    if len(primary_alive) > desired:
        ranked = sorted(primary_alive, key=_usefulness)
        to_stop.extend(ranked[: len(primary_alive) - desired])
        primary_alive = ranked[len(primary_alive) - desired :]
    shift = primary.record.shift
    cleaning_up = shift is not None and shift.stage == "CLEAN_UP"
    if cleaning_up:
        to_stop.extend(older_alive)
    _scale_in(world, service, primary, to_stop)
    if (
        primary.rollout_state == "IN_PROGRESS"
        and traffic_shift.scaled_up(primary)
        and launch_allowed(world, service)
    ):
        started = [launch_task(world, primary) for _ in range(desired - len(primary_alive))]
        if started:
            _events.tasks_started(world, service, started)
    for deployment in service.deployments[1:]:
        deployment.desired_count = sum(
            1 for t in deployment.tasks.values() if t.desired_status == "RUNNING"
        )
    traffic_shift.on_evaluate(world, primary)
    if cleaning_up:
        _maybe_complete(world, service, primary)
    if primary.rollout_state != "IN_PROGRESS":
        for deployment in service.deployments[1:]:
            if deployment.status == "ACTIVE" and not deployment.tasks:
                _retire(world, deployment)


def _scale_in(world: World, service: Service, primary: Deployment, to_stop: list[Task]) -> None:
    """Stop `to_stop` as the scheduler does for `primary`'s rollout (draining their targets, with
    the service events ECS writes), then bring the target groups up to date."""
    for task in to_stop:
        begin_stop(
            world,
            task,
            stop_code="ServiceSchedulerInitiated",
            reason=SCALING_ACTIVITY.format(deployment_id=primary.id),
            failed=False,
        )
    if to_stop:
        draining = sum(1 for task in to_stop if task.registered)
        if draining:
            _events.draining(world, service, draining)
        _events.tasks_stopped(world, service, to_stop)
    _update_target_groups(world, service)


def _update_target_groups(world: World, service: Service) -> None:
    """Register tasks that reached RUNNING with the service's target groups and deregister
    tasks that are stopping, one event per target group and batch, as ECS reports them
    (`ecsdeploy.sim._dynamics.load_balancers` keeps the targets and their health)."""
    target_groups = target_group_arns(service)
    if not target_groups:
        return
    joining: list[Task] = []
    leaving: list[Task] = []
    for deployment in service.deployments:
        for task in deployment.tasks.values():
            if task.desired_status == "RUNNING":
                if task.last_status == "RUNNING" and not task.registered:
                    joining.append(task)
            elif task.registered and task.last_status == "DEACTIVATING":
                leaving.append(task)
    for task in joining:
        task.registered = True
        register_targets(world, task)
    for target_group in target_groups:
        if leaving:
            _events.targets_deregistered(world, service, len(leaving), target_group)
        if joining:
            _events.targets_registered(world, service, len(joining), target_group)
    for task in leaving:
        task.registered = False
        deregister_targets(world, task)


def _serving(task: Task) -> bool:
    """RUNNING and healthy (its load balancer targets too): what counts toward
    minimumHealthyPercent and completes a deployment."""
    return task.last_status == "RUNNING" and task.healthy and targets_healthy(task)


def _usefulness(task: Task) -> tuple[bool, bool]:
    return (_serving(task), task.last_status == "RUNNING")


def _maybe_complete(world: World, service: Service, primary: Deployment) -> None:
    desired = service.desired_count
    running_healthy = sum(1 for t in primary.tasks.values() if _serving(t))
    steady = (
        running_healthy == desired
        and len(primary.tasks) == desired
        and all(not d.tasks for d in service.deployments[1:])
    )
    if not steady or world.now < primary.completes_not_before:
        service.steady = False
        return
    if (
        primary.rollout_state == "IN_PROGRESS"
        and not traffic_shift.shifting(primary)
        and not bake_done(world, primary)
    ):
        return
    if primary.rollout_state == "IN_PROGRESS" and world.now >= primary.completes_not_before:
        _complete(world, service, primary)
    if primary.rollout_state == "COMPLETED" and not service.steady:
        service.steady = True
        _events.steady_state(world, service)


def _complete(world: World, service: Service, primary: Deployment) -> None:
    now = world.now
    primary.rollout_state = "COMPLETED"
    primary.rollout_state_reason = f"ECS deployment {primary.id} completed."
    primary.updated_at = now
    service.last_completed = primary
    record = primary.record
    if record.status in ONGOING_RECORD_STATUSES:
        record.status = "SUCCESSFUL"
        record.status_reason = None
    elif record.status == "ROLLBACK_IN_PROGRESS":
        record.status = "ROLLBACK_SUCCESSFUL"
    if record.shift is not None:
        record.shift.stage = "CLEAN_UP"
        record.shift.token += 1
        if not primary.is_rollback:
            # Green serves production now; the next deployment's green goes to the other group.
            listener_weights.swap(service)
            listener_weights.set_weights(world, service, production=0.0, test=0.0)
    if record.circuit_breaker_status == "MONITORING":
        record.circuit_breaker_status = "MONITORING_COMPLETE"
    record.finished_at = record.updated_at = now
    _events.deployment_completed(world, service, primary.id)


def _retire(world: World, deployment: Deployment) -> None:
    """A drained deployment turns INACTIVE and leaves the list
    `Timings.drained_deployment_retention` later."""
    deployment.status = "INACTIVE"
    deployment.updated_at = world.now
    world.schedule(world.timings.drained_deployment_retention, _remove_deployment, deployment)


def _remove_deployment(world: World, deployment: Deployment) -> None:
    service = deployment.service
    if deployment.status == "INACTIVE" and deployment in service.deployments:
        service.deployments.remove(deployment)
        world.touch(service)


def _drain_everything(world: World, service: Service) -> None:
    """A deleted (DRAINING) service stops all its tasks, then becomes INACTIVE."""
    alive = [
        t for d in service.deployments for t in d.tasks.values() if t.desired_status == "RUNNING"
    ]
    for task in alive:
        begin_stop(
            world,
            task,
            stop_code="ServiceSchedulerInitiated",
            reason=SCALING_ACTIVITY.format(deployment_id=task.started_by),
            failed=False,
        )
    if alive:
        _events.tasks_stopped(world, service, alive)
    _update_target_groups(world, service)
    if service.status == "DRAINING" and all(not d.tasks for d in service.deployments):
        service.status = "INACTIVE"
