"""Builders of Observations for testing checks without a server."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ecsdeploy import ContainerExit, Observation, ServiceEvent, StoppedTask, Target

OURS = "ecs-svc/1111111111111111111"
OLD = "ecs-svc/2222222222222222222"


def deployment(
    id: str = OURS,
    *,
    status: str = "PRIMARY",
    running: int = 2,
    desired: int = 2,
    pending: int = 0,
    failed: int = 0,
    rollout: str | None = "IN_PROGRESS",
    reason: str | None = None,
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": id,
        "status": status,
        "taskDefinition": "arn:aws:ecs:us-east-2:123456789012:task-definition/web:2",
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "failedTasks": failed,
    }
    if rollout is not None:
        d["rolloutState"] = rollout
    if reason is not None:
        d["rolloutStateReason"] = reason
    return d


def stopped(
    reason: str = "Essential container in task exited",
    code: str | None = "EssentialContainerExited",
    exit_code: int | None = 1,
    n: int = 0,
) -> StoppedTask:
    return StoppedTask(
        task_arn=f"arn:aws:ecs:us-east-2:123456789012:task/prod/{n:032x}",
        stopped_reason=reason,
        stop_code=code,
        stopped_at=float(n),
        containers=(ContainerExit("web", exit_code, None),),
    )


def observe(
    ours: dict[str, Any] | None = None,
    *others: dict[str, Any],
    events: Sequence[str] = (),
    stopped_tasks: Sequence[StoppedTask] = (),
    breaker: dict[str, bool] | None = None,
) -> Observation:
    now = time.time()
    service: dict[str, Any] = {
        "serviceName": "web",
        "deployments": [d for d in (ours, *others) if d],
    }
    if breaker is not None:
        service["deploymentConfiguration"] = {"deploymentCircuitBreaker": breaker}
    return Observation(
        target=Target("prod", "web"),
        deployment_id=OURS,
        service=service,
        deployment=ours,
        other_deployments=tuple(others),
        events=tuple(ServiceEvent(str(i), now, m) for i, m in enumerate(events)),
        stopped_tasks=tuple(stopped_tasks),
        observed_at=now,
        watch_started_at=now - 10,
    )
