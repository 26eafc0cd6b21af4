"""Builders of Observations, for unit-testing a custom HealthCheck without any server.

Each builder fills in what ECS would send and takes keyword arguments for what a test is about:

    verdict = await MyCheck().evaluate(observation(deployment(running=1, desired=2)))
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ecsdeploy._models import ContainerExit, Observation, ServiceEvent, StoppedTask, Target

__all__ = ["OLD_DEPLOYMENT_ID", "OUR_DEPLOYMENT_ID", "deployment", "observation", "stopped_task"]

#: The id `observation()` watches by default, and one for somebody else's older deployment.
OUR_DEPLOYMENT_ID = "ecs-svc/1111111111111111111"
OLD_DEPLOYMENT_ID = "ecs-svc/2222222222222222222"

_TASK_DEFINITION = "arn:aws:ecs:us-east-2:123456789012:task-definition/web:2"


def deployment(
    id: str = OUR_DEPLOYMENT_ID,
    *,
    status: str = "PRIMARY",
    running: int = 2,
    desired: int = 2,
    pending: int = 0,
    failed: int = 0,
    rollout: str | None = "IN_PROGRESS",
    reason: str | None = None,
    task_definition: str = _TASK_DEFINITION,
) -> dict[str, Any]:
    """One member of DescribeServices' `deployments`, as ECS lists it."""
    listed: dict[str, Any] = {
        "id": id,
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "failedTasks": failed,
    }
    if rollout is not None:
        listed["rolloutState"] = rollout
    if reason is not None:
        listed["rolloutStateReason"] = reason
    return listed


def stopped_task(
    reason: str = "Essential container in task exited",
    code: str | None = "EssentialContainerExited",
    exit_code: int | None = 1,
    n: int = 0,
    *,
    container: str = "web",
) -> StoppedTask:
    """A stopped task of the watched deployment; `n` makes its ARN and stop time distinct."""
    return StoppedTask(
        task_arn=f"arn:aws:ecs:us-east-2:123456789012:task/prod/{n:032x}",
        stopped_reason=reason,
        stop_code=code,
        stopped_at=float(n),
        containers=(ContainerExit(container, exit_code, None),),
    )


def observation(
    ours: dict[str, Any] | None = None,
    *others: dict[str, Any],
    events: Sequence[str] = (),
    stopped_tasks: Sequence[StoppedTask] = (),
    breaker: dict[str, bool] | None = None,
    target: Target | None = None,
    elapsed: float = 10.0,
) -> Observation:
    """What one poll tick saw: our deployment (None once ECS stopped listing it), the others,
    service event messages, stopped tasks, and the circuit-breaker configuration."""
    now = time.time()
    target = target or Target("prod", "web")
    service: dict[str, Any] = {
        "serviceName": target.service,
        "deployments": [d for d in (ours, *others) if d],
    }
    if breaker is not None:
        service["deploymentConfiguration"] = {"deploymentCircuitBreaker": breaker}
    return Observation(
        target=target,
        deployment_id=ours["id"] if ours else OUR_DEPLOYMENT_ID,
        service=service,
        deployment=ours,
        other_deployments=tuple(others),
        events=tuple(ServiceEvent(str(i), now, m) for i, m in enumerate(events)),
        stopped_tasks=tuple(stopped_tasks),
        observed_at=now,
        watch_started_at=now - elapsed,
    )
