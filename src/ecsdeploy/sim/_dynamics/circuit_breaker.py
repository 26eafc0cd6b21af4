"""The deployment circuit breaker and ECS-initiated rollback.

"How the Amazon ECS deployment circuit breaker detects failures"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html):
a task that fails to launch, stops before RUNNING, or fails its health checks counts as failed.
API reference, `Deployment.failedTasks`: "Once a service deployment has one or more
successfully running tasks, the failed task count resets to zero and stops being evaluated" —
that is `DeploymentCircuitBreaker.resetOnHealthyTask` (default true); with it false the count
is never reset and keeps adding up for the whole deployment. The threshold comes from
`thresholdConfiguration` (`ThresholdConfiguration`: COUNT is `value` itself; BOUNDED_PERCENT,
the default with value 50, is value% of the desired count clamped to 3..200;
UNBOUNDED_PERCENT is value% without the clamp; the simulator never lets it fall below 1).

Once the count reaches the threshold the deployment's rolloutState becomes FAILED and it stops
launching tasks. With `rollback`, `Timings.rollback_delay` later (so a watcher sees the FAILED
deployment as PRIMARY for a moment, as on ECS), the rollback starts as the developer guide
describes it: the last COMPLETED deployment, same id, becomes PRIMARY again with rolloutState
IN_PROGRESS ("When the rollback starts, the deployment changes from a COMPLETED to
IN_PROGRESS"), keeping the tasks it still runs, and stays IN_PROGRESS at least
`Timings.rollback_delay`; the failed deployment becomes ACTIVE with desiredCount 0, drains and
disappears.

As modelled here, a task without a container health check counts as healthy once it has been
RUNNING for `Timings.no_health_check_wait` (the 40 s ECS waits before counting such a task
toward minimumHealthyPercent); an essential container that exits before then counts as a
failure.
"""

from __future__ import annotations

from ecsdeploy.sim._dynamics import events as _events
from ecsdeploy.sim._dynamics.deployments import circuit_breaker, reset_on_healthy_task
from ecsdeploy.sim._dynamics.launch_throttle import reset as reset_launch_throttle
from ecsdeploy.sim._dynamics.listener_weights import set_weights
from ecsdeploy.sim._dynamics.state import Deployment, Task
from ecsdeploy.sim._dynamics.world import World

FAILED_TO_START = "ECS deployment circuit breaker: tasks failed to start."
THRESHOLD_ROLLBACK_REASON = (
    "Service deployment rolled back because the circuit breaker threshold was exceeded."
)


SERVICE_DELETED_REASON = "Service deployment stopped because the service was deleted."


def record_failure(world: World, task: Task) -> None:
    """Count a failed task against its deployment; trip the breaker at the threshold."""
    deployment = task.deployment
    if (
        deployment is None
        or deployment.rollout_state != "IN_PROGRESS"
        or deployment.failures_settled
    ):
        return
    deployment.failed_tasks += 1
    deployment.updated_at = world.now
    deployment.record.failure_count = deployment.failed_tasks
    deployment.record.updated_at = world.now
    if (
        deployment.record.threshold_reached_at is None
        and deployment.failed_tasks >= deployment.circuit_breaker_threshold
    ):
        deployment.record.threshold_reached_at = world.now
    check_threshold(world, deployment)


def check_threshold(world: World, deployment: Deployment) -> None:
    """Fail the deployment if its failed tasks reached the threshold (which shrinks when the
    desired count does)."""
    enable, _ = circuit_breaker(deployment.service)
    if (
        enable
        and deployment.status == "PRIMARY"
        and deployment.rollout_state == "IN_PROGRESS"
        and deployment.failed_tasks >= deployment.circuit_breaker_threshold
    ):
        _trip(world, deployment)


def record_healthy(world: World, task: Task) -> None:
    """A task of an in-progress deployment runs successfully: with `resetOnHealthyTask` (the
    default) the failed-task count goes to zero and is no longer evaluated."""
    deployment = task.deployment
    if deployment is None or deployment.rollout_state != "IN_PROGRESS":
        return
    if not reset_on_healthy_task(deployment.service):
        return
    deployment.failures_settled = True
    if deployment.failed_tasks:
        deployment.failed_tasks = deployment.record.failure_count = 0
        deployment.updated_at = deployment.record.updated_at = world.now


def _trip(world: World, deployment: Deployment) -> None:
    service = deployment.service
    record = deployment.record
    deployment.rollout_state = "FAILED"
    deployment.rollout_state_reason = FAILED_TO_START
    deployment.updated_at = world.now
    record.circuit_breaker_status = "TRIGGERED"
    record.updated_at = world.now
    _events.deployment_failed(world, service, deployment.id)
    _, rollback = circuit_breaker(service)
    if deployment.is_rollback:
        record.status = "ROLLBACK_FAILED"
        record.status_reason = FAILED_TO_START
        record.finished_at = world.now
    elif rollback and service.last_completed is not None:
        world.schedule(world.timings.rollback_delay, _start_breaker_rollback, deployment)
    else:
        record.status = "STOPPED"
        record.status_reason = FAILED_TO_START
        record.stopped_at = record.finished_at = world.now
    world.touch(service)


def _start_breaker_rollback(world: World, deployment: Deployment) -> None:
    service = deployment.service
    if service.primary is not deployment or service.last_completed is None:
        # Someone deployed over the failed deployment in the meantime: nothing to roll back.
        return
    roll_back(
        world,
        deployment,
        reason=THRESHOLD_ROLLBACK_REASON,
        rollout_reason=(
            f"ECS deployment circuit breaker: rolling back to deploymentId "
            f"{service.last_completed.id}."
        ),
    )


def roll_back(
    world: World, deployment: Deployment, *, reason: str, rollout_reason: str
) -> Deployment | None:
    """Make the service's last COMPLETED deployment PRIMARY again, IN_PROGRESS, same id.

    The failed `deployment` becomes ACTIVE with desired count 0 and drains; its
    service-deployment record follows the rollback (ROLLBACK_IN_PROGRESS, then
    ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED). Returns the new PRIMARY deployment, or None when
    nothing completed before. Deployment alarms (`_deployment_alarms`) and
    StopServiceDeployment roll back through here too.
    """
    service = deployment.service
    target = service.last_completed
    if target is None:
        return None
    now = world.now
    record = deployment.record
    if service.status != "ACTIVE":
        # Deleted while the rollback waited to start (`Timings.rollback_delay`): a service
        # being drained rolls nothing back. AWS is silent; the record ends STOPPED.
        record.status = "STOPPED"
        record.status_reason = SERVICE_DELETED_REASON
        record.stopped_at = record.finished_at = record.updated_at = now
        return None
    record.status = "ROLLBACK_IN_PROGRESS"
    record.status_reason = reason
    record.rollback_reason = reason
    record.rollback_started_at = now
    record.rollback_revision_arn = target.revision_arn
    record.updated_at = now
    if record.shift is not None:
        # Blue/green, linear, canary: all traffic goes back to blue at once, green drains.
        record.shift.stage = "PRODUCTION_TRAFFIC_SHIFT"
        record.shift.token += 1
        record.shift.production_weight = record.shift.test_weight = 0.0
        set_weights(world, service, production=0.0, test=0.0)
    _events.rolling_back(world, service, target.id)
    deployment.status = "ACTIVE"
    deployment.desired_count = 0
    deployment.updated_at = now
    if target in service.deployments:
        service.deployments.remove(target)
    service.deployments.insert(0, target)
    target.status = "PRIMARY"
    target.rollout_state = "IN_PROGRESS"
    target.rollout_state_reason = rollout_reason
    target.updated_at = now
    target.record = record
    target.is_rollback = True
    target.failed_tasks = 0
    target.failures_settled = False
    target.circuit_breaker_threshold = deployment.circuit_breaker_threshold
    # Even with nothing left to do the rollback is seen IN_PROGRESS for a moment, as on ECS.
    target.completes_not_before = now + world.timings.rollback_delay
    world.schedule(world.timings.rollback_delay, _reevaluate, target)
    if service.taskdef_arn != target.taskdef.arn:
        reset_launch_throttle(service)
    service.taskdef_arn = target.taskdef.arn
    service.steady = False
    world.touch(service)
    return target


def _reevaluate(world: World, deployment: Deployment) -> None:
    world.touch(deployment.service)
