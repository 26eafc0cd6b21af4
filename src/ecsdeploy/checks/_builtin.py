"""The checks every deployment runs unless told otherwise."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ecsdeploy._models import Observation, StoppedTask, Verdict

__all__ = [
    "CircuitBreakerCheck",
    "RolloutStateCheck",
    "SteadyStateCheck",
    "StoppedTasksCheck",
    "circuit_breaker_threshold",
    "default_checks",
]


def circuit_breaker_threshold(desired_count: int) -> int:
    """ECS's deployment circuit breaker failure threshold for a desired count.

    "The failure threshold is calculated as min(200, max(3, ceil(0.5 * desired count)))"
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
    """
    return min(200, max(3, math.ceil(0.5 * desired_count)))


@dataclass(frozen=True, slots=True)
class RolloutStateCheck:
    """Our deployment's rolloutState: COMPLETED is healthy, FAILED failed.

    ECS leaves rolloutState out for services behind a Classic Load Balancer; that is UNKNOWN,
    not a failure, and the steady-state check decides.
    """

    name: str = "rollout-state"

    async def evaluate(self, observation: Observation) -> Verdict:
        deployment = observation.deployment
        if deployment is None:
            return Verdict.failed("our deployment is no longer listed by ECS")
        state = deployment.get("rolloutState")
        reason = str(deployment.get("rolloutStateReason") or "")
        if state == "COMPLETED":
            return Verdict.healthy(reason or "rollout completed")
        if state == "FAILED":
            return Verdict.failed(reason or "rollout failed")
        if state == "IN_PROGRESS":
            return Verdict.progressing(reason or "rollout in progress")
        return Verdict.unknown("ECS reports no rolloutState for this deployment")


_BREAKER_MARKERS = ("circuit breaker", "deployment failed")


@dataclass(frozen=True, slots=True)
class CircuitBreakerCheck:
    """ECS's deployment circuit breaker tripped on our deployment."""

    name: str = "circuit-breaker"

    async def evaluate(self, observation: Observation) -> Verdict:
        deployment = observation.deployment
        reason = str((deployment or {}).get("rolloutStateReason") or "")
        if (
            deployment is not None
            and deployment.get("rolloutState") == "FAILED"
            and "circuit breaker" in reason.lower()
        ):
            return Verdict.failed(reason)
        ours = f"(deployment {observation.deployment_id})"
        for event in observation.events:
            text = event.message.lower()
            if ours in event.message and any(marker in text for marker in _BREAKER_MARKERS):
                return Verdict.failed(event.message)
        return Verdict.unknown()


#: Stop reasons that will not fix themselves by retrying: a missing image, bad credentials for
#: the registry, a secret that cannot be read. Transient pull errors (rate limits, timeouts) are
#: left to the threshold.
UNRECOVERABLE_REASONS: tuple[str, ...] = (
    r"CannotPullContainerError.*(not found|manifest unknown|does not exist|denied|unauthorized)",
    r"ResourceInitializationError.*(secret|ssm|parameter|AccessDenied)",
    r"CannotStartContainerError.*(executable file not found|no such file)",
)


@dataclass(frozen=True, slots=True)
class StoppedTasksCheck:
    """Our deployment's failed tasks: too many, or one that can never succeed, fails it.

    "Too many" counts the stopped tasks seen, or ECS's own `failedTasks` when that is higher.

    `threshold=None` uses the circuit breaker's formula on the deployment's desired count, so
    the verdict matches what ECS would do, but it also works when the breaker is off.
    """

    threshold: int | None = None
    unrecoverable: Sequence[str] = UNRECOVERABLE_REASONS
    name: str = "stopped-tasks"

    async def evaluate(self, observation: Observation) -> Verdict:
        failed = observation.failed_stopped_tasks
        for task in failed:
            if any(re.search(pattern, task.stopped_reason, re.I) for pattern in self.unrecoverable):
                return Verdict.failed(f"unrecoverable: {task.describe()}")
        deployment = observation.deployment or {}
        desired = int(deployment.get("desiredCount", 0) or 0)
        threshold = self.threshold or circuit_breaker_threshold(desired)
        # ECS counts a failed task (failedTasks) the moment it fails; we see its reason only
        # once it has finished stopping, which takes a poll or two more.
        counted = int(deployment.get("failedTasks", 0) or 0)
        if max(len(failed), counted) >= threshold:
            last = f"; last: {_last(failed)}" if failed else ""
            return Verdict.failed(
                f"{max(len(failed), counted)} tasks failed (threshold {threshold}){last}"
            )
        if failed:
            # Below the threshold ECS replaces failed tasks; a rollout that then completes is a
            # success, so this is no opinion (with the detail), not "still progressing".
            return Verdict.unknown(f"{len(failed)}/{threshold} tasks failed: {_last(failed)}")
        return Verdict.unknown()


def _last(tasks: Sequence[StoppedTask]) -> str:
    return tasks[-1].describe()


@dataclass(frozen=True, slots=True)
class SteadyStateCheck:
    """Our deployment is PRIMARY, alone, and runs exactly its desired count."""

    name: str = "steady-state"

    async def evaluate(self, observation: Observation) -> Verdict:
        deployment = observation.deployment
        if deployment is None or not observation.is_ours_primary:
            return Verdict.failed("our deployment is no longer PRIMARY")
        running = int(deployment.get("runningCount", 0) or 0)
        pending = int(deployment.get("pendingCount", 0) or 0)
        desired = int(deployment.get("desiredCount", 0) or 0)
        draining = [d for d in observation.other_deployments if d.get("status") != "INACTIVE"]
        if draining:
            old = sum(int(d.get("runningCount", 0) or 0) for d in draining)
            return Verdict.progressing(
                f"{running}/{desired} running; {old} old tasks still in older deployments"
            )
        if running == desired and pending == 0:
            return Verdict.healthy(f"{running}/{desired} running")
        return Verdict.progressing(f"{running}/{desired} running, {pending} pending")


def default_checks() -> list[
    RolloutStateCheck | CircuitBreakerCheck | StoppedTasksCheck | SteadyStateCheck
]:
    """The built-in checks, on by default."""
    return [RolloutStateCheck(), CircuitBreakerCheck(), StoppedTasksCheck(), SteadyStateCheck()]
