"""What a deployment reports: its outcome, why, and everything seen on the way."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ecsdeploy._models import (
    Outcome,
    Phase,
    ServiceEvent,
    StoppedTask,
    Target,
    Transition,
    Verdict,
)

__all__ = [
    "DeployEvent",
    "DeployPlan",
    "DeployResult",
    "EventKind",
    "ExitCode",
    "Listener",
    "RollbackMethod",
    "RolledBackBy",
    "exit_code_of",
    "exit_code_of_all",
]

RolledBackBy = Literal["ecsdeploy", "ecs"]
RollbackMethod = Literal["stop-service-deployment", "update-service", "ecs"]


class ExitCode(enum.IntEnum):
    """How every front (CLI, Drone plugin, GitHub Action) exits; one meaning per number."""

    #: Every deployment succeeded.
    SUCCEEDED = 0
    #: A deployment failed and was rolled back (or rollback was disabled), or AWS failed before
    #: anything changed.
    FAILED = 1
    #: Bad input or configuration: nothing was changed.
    BAD_INPUT = 2
    #: A rollback failed or the state is unknown: a human must look now.
    NEEDS_ATTENTION = 3


class EventKind(enum.StrEnum):
    """What a DeployEvent reports (a `str`, so `event.kind == "phase"` keeps working)."""

    PHASE = "phase"
    VERDICT = "verdict"
    SERVICE_EVENT = "service_event"
    STOPPED_TASK = "stopped_task"
    PROGRESS = "progress"
    #: A BLUE_GREEN / LINEAR / CANARY deployment entered a lifecycle stage (`lifecycle_stage`).
    LIFECYCLE_STAGE = "lifecycle_stage"
    #: A release's one-off task (a migration) started, changed status or ended; its `target`
    #: names it ``cluster/task:NAME`` and `data` has `task`, `stage`, `status`, `task_arn`.
    TASK = "task"


@dataclass(frozen=True, slots=True)
class DeployResult:
    """The honest outcome of one service's deployment."""

    target: Target
    outcome: Outcome
    reason: str
    history: tuple[Transition, ...]
    started_at: float
    finished_at: float
    rolled_back_by: RolledBackBy | None = None
    #: What made ECS roll back: "circuit breaker" or "alarm NAME" (when `rolled_back_by` is ecs).
    rollback_trigger: str | None = None
    deployment_id: str | None = None
    task_definition_arn: str | None = None
    previous_task_definition_arn: str | None = None
    #: The revision a rollback returns (or returned) to: normally the previous one; the newest
    #: COMPLETED one after a failure left in place; a copy when that one was deregistered.
    rollback_task_definition_arn: str | None = None
    rollback_deployment_id: str | None = None
    #: How the service went back: "stop-service-deployment" (we asked ECS to roll our service
    #: deployment back), "update-service" (we deployed the rollback target: the service-deployment
    #: API, its permission or our record was missing) or "ecs" (ECS rolled back on its own).
    rollback_method: RollbackMethod | None = None
    #: Our deployment's service-deployment record, when ECS's service-deployment API answered.
    service_deployment_arn: str | None = None
    #: The last lifecycle stage seen (BLUE_GREEN, LINEAR and CANARY deployments).
    lifecycle_stage: str | None = None
    #: True once UpdateService was sent: the service was touched.
    changed: bool = False
    #: The request itself was wrong (exit code 2); nothing was changed.
    input_error: bool = False
    #: An AWS error left it unknown whether the service was changed.
    state_unknown: bool = False
    stopped_tasks: tuple[StoppedTask, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    diff: tuple[str, ...] = ()
    #: Each health check's last verdict during WATCH, in the order the checks were given.
    checks: tuple[Verdict, ...] = ()
    #: Things PREFLIGHT decided that a human should know (fix-forward target, a copied revision).
    notes: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    @property
    def needs_attention(self) -> bool:
        """A human must look: the rollback failed or the service's state is not known."""
        return self.outcome is Outcome.ROLLBACK_FAILED or self.state_unknown

    @property
    def exit_code(self) -> ExitCode:
        """0 succeeded · 1 failed (rolled back or rollback disabled) · 2 bad input · 3 look now."""
        return exit_code_of(
            succeeded=self.succeeded,
            needs_attention=self.needs_attention,
            bad_input=self.input_error,
            changed=self.changed,
        )


def exit_code_of(
    *, succeeded: bool, needs_attention: bool, bad_input: bool, changed: bool
) -> ExitCode:
    """The exit code every front uses, for one deployment or a whole release.

    0 all succeeded · 1 failed and rolled back (or rollback disabled) · 2 bad input or
    configuration, nothing changed · 3 a rollback failed or the state is unknown: look now.
    """
    if succeeded:
        return ExitCode.SUCCEEDED
    if needs_attention:
        return ExitCode.NEEDS_ATTENTION
    if bad_input and not changed:
        return ExitCode.BAD_INPUT
    return ExitCode.FAILED


def exit_code_of_all(results: Sequence[DeployResult]) -> ExitCode:
    """One exit code for several deployments run together: like a release's, so that 2 (bad
    input) still means that nothing at all was changed."""
    return exit_code_of(
        succeeded=all(r.succeeded for r in results),
        needs_attention=any(r.needs_attention for r in results),
        bad_input=any(r.input_error for r in results),
        changed=any(r.changed for r in results),
    )


@dataclass(frozen=True, slots=True)
class DeployEvent:
    """Something a front may want to show: a phase change, a verdict, an ECS event, a stopped
    task, progress."""

    kind: EventKind
    target: Target
    phase: Phase
    message: str
    at: float
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeployPlan:
    """What a deployment would do (a dry run): validated, nothing changed."""

    target: Target
    current_task_definition_arn: str
    #: False when the target names an existing revision to deploy as it is.
    registers_new_revision: bool
    #: The existing revision to deploy, when no new one is registered.
    task_definition_arn: str | None
    #: Readable diff of current → new revision, secrets redacted.
    diff: tuple[str, ...]


#: What `Deployer(listeners=...)` and `Deployer.subscribe` take: called with every event.
Listener = Callable[[DeployEvent], None]
