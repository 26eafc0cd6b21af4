"""The deployment circuit breaker and ECS-initiated rollback.

"How the Amazon ECS deployment circuit breaker detects failures"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html):
a task that fails to launch, stops before RUNNING, or fails its health checks counts as failed;
a task that reaches a healthy state resets the count (ECS's default). Once
the count reaches the threshold, the deployment's rolloutState becomes FAILED, it stops launching
tasks, and with `rollback` ECS starts a new deployment of the last COMPLETED deployment's task
definition. As modelled here, a task without a container health check counts as healthy once it
has been RUNNING for `Timings.no_health_check_wait` (the 40 s ECS waits before counting such a
task toward minimumHealthyPercent); an essential container that exits before then counts as a
failure.
"""

from __future__ import annotations

from ecsdeploy.sim import _events
from ecsdeploy.sim._deployments import circuit_breaker, start_deployment
from ecsdeploy.sim._state import Deployment, Task
from ecsdeploy.sim._world import World

FAILED_TO_START = "ECS deployment circuit breaker: tasks failed to start."
THRESHOLD_ROLLBACK_REASON = (
    "Service deployment rolled back because the circuit breaker threshold was exceeded."
)


def record_failure(world: World, task: Task) -> None:
    """Count a failed task against its deployment; trip the breaker at the threshold."""
    deployment = task.deployment
    if deployment is None or deployment.rollout_state != "IN_PROGRESS":
        return
    deployment.failed_tasks += 1
    deployment.updated_at = world.now
    deployment.record.failure_count = deployment.failed_tasks
    deployment.record.updated_at = world.now
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
    """A task of an in-progress deployment became healthy: the consecutive count restarts.

    Newer ECS API versions can turn this off (`resetOnHealthyTask`); the botocore model this
    project validates against has no such member, so it is always on here.
    """
    deployment = task.deployment
    if deployment is None or deployment.rollout_state != "IN_PROGRESS":
        return
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
        roll_back(
            world,
            deployment,
            reason=THRESHOLD_ROLLBACK_REASON,
            rollout_reason=(
                "ECS deployment circuit breaker: rolling back to deploymentId "
                f"{service.last_completed.id}."
            ),
        )
    else:
        record.status = "STOPPED"
        record.status_reason = FAILED_TO_START
        record.stopped_at = record.finished_at = world.now
    world.touch(service)


def roll_back(
    world: World, deployment: Deployment, *, reason: str, rollout_reason: str
) -> Deployment | None:
    """Start a deployment of the service's last COMPLETED deployment's task definition.

    Returns the new PRIMARY deployment, or None when nothing completed before.
    """
    service = deployment.service
    target = service.last_completed
    if target is None:
        return None
    record = deployment.record
    record.status = "ROLLBACK_IN_PROGRESS"
    record.status_reason = reason
    record.rollback_reason = reason
    record.rollback_started_at = world.now
    record.rollback_revision_arn = target.revision_arn
    record.updated_at = world.now
    _events.rolling_back(world, service, target.id)
    return start_deployment(
        world,
        service,
        target.taskdef,
        record=record,
        revision_arn=target.revision_arn,
        reason=rollout_reason,
        is_rollback=True,
    )
