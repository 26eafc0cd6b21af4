"""Frozen value objects shared by the deployer, its checks and its fronts."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecsdeploy._taskdef.changes import Change

if TYPE_CHECKING:
    from ecsdeploy._settings import DeploySettings

__all__ = [
    "ContainerExit",
    "Observation",
    "Outcome",
    "Phase",
    "ServiceEvent",
    "Status",
    "StoppedTask",
    "Target",
    "TargetKey",
    "Transition",
    "Verdict",
    "account_of_role",
    "classify_stop",
    "epoch",
]


def epoch(value: Any) -> float | None:
    """botocore parses timestamps into datetimes; tests may hand in epoch numbers."""
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)


def _name_of(name_or_arn: str) -> str:
    """`web` from `arn:aws:ecs:us-east-2:123456789012:service/prod/web` (or `web` itself)."""
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


class Outcome(enum.Enum):
    """How a deployment ended."""

    SUCCEEDED = "SUCCEEDED"
    ROLLED_BACK = "ROLLED_BACK"
    FAILED = "FAILED"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    SUPERSEDED = "SUPERSEDED"


class Phase(enum.Enum):
    """Where a deployment is. The last five are terminal and name an `Outcome`."""

    PREFLIGHT = "PREFLIGHT"
    REGISTER = "REGISTER"
    UPDATE = "UPDATE"
    WATCH = "WATCH"
    ROLLBACK = "ROLLBACK"
    SUCCEEDED = "SUCCEEDED"
    ROLLED_BACK = "ROLLED_BACK"
    FAILED = "FAILED"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    SUPERSEDED = "SUPERSEDED"

    @property
    def is_terminal(self) -> bool:
        return self.value in Outcome.__members__

    @property
    def outcome(self) -> Outcome:
        if not self.is_terminal:
            raise ValueError(f"{self.name} is not a terminal phase")
        return Outcome(self.value)


@dataclass(frozen=True, slots=True)
class Target:
    """One service to deploy and the changes to make to its task definition.

    - `region=None` means the Deployer's region.
    - `task_definition` is the revision to start from (default: the one the service runs now).
      With no `changes`, the service is deployed to exactly that revision (a rollback).
    - `settings` overrides the Deployer's settings for this target (releases use it).
    - `role_arn` (with `external_id` when the role's trust policy asks for one) deploys with
      that role's credentials (STS AssumeRole, refreshed while the deployment runs), e.g. into
      another account; `None` means the Deployer's role, else the Deployer's own credentials.
    """

    cluster: str
    service: str
    changes: tuple[Change, ...] = ()
    region: str | None = None
    task_definition: str | None = None
    settings: DeploySettings | None = None
    role_arn: str | None = None
    external_id: str | None = None

    def __init__(
        self,
        cluster: str,
        service: str,
        changes: Sequence[Change] = (),
        *,
        region: str | None = None,
        task_definition: str | None = None,
        settings: DeploySettings | None = None,
        role_arn: str | None = None,
        external_id: str | None = None,
    ) -> None:
        # ARNs are accepted where ECS accepts them, and kept as names so that one service has
        # one key (a release must not deploy "web" and its ARN as two services).
        for arn in (cluster, service):
            if arn.startswith("arn:") and region is None:
                region = arn.split(":")[3] or None
        object.__setattr__(self, "cluster", _name_of(cluster))
        object.__setattr__(self, "service", _name_of(service))
        object.__setattr__(self, "changes", tuple(changes))
        object.__setattr__(self, "region", region)
        object.__setattr__(self, "task_definition", task_definition)
        object.__setattr__(self, "settings", settings)
        object.__setattr__(self, "role_arn", role_arn or None)
        object.__setattr__(self, "external_id", external_id or None)

    @property
    def account(self) -> str | None:
        """The account of `role_arn` (None: whichever account the caller's credentials are in)."""
        return account_of_role(self.role_arn) if self.role_arn else None

    @property
    def key(self) -> TargetKey:
        """What identifies the service: (account, region, cluster, service)."""
        return (self.account, self.region, self.cluster, self.service)

    def __str__(self) -> str:
        where = f"{self.region}/" if self.region else ""
        account = f"{self.account}:" if self.account else ""
        return f"{account}{where}{self.cluster}/{self.service}"


#: `Target.key`: (account, region, cluster, service); None means the Deployer's default.
TargetKey = tuple[str | None, str | None, str, str]


def account_of_role(role_arn: str) -> str | None:
    """`210987654321` from `arn:aws:iam::210987654321:role/deploy`; None if it is no role ARN."""
    parts = role_arn.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4].isdigit():
        return parts[4]
    return None


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    """One entry of the ECS service's event log."""

    id: str
    created_at: float
    message: str

    @classmethod
    def from_api(cls, event: Mapping[str, Any]) -> ServiceEvent:
        return cls(
            id=str(event.get("id", "")),
            created_at=epoch(event.get("createdAt")) or 0.0,
            message=str(event.get("message", "")),
        )


@dataclass(frozen=True, slots=True)
class ContainerExit:
    """What one container of a stopped task reported."""

    name: str
    exit_code: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class StoppedTask:
    """A stopped task of the watched deployment, with everything ECS says about why."""

    task_arn: str
    stopped_reason: str
    stop_code: str | None
    stopped_at: float | None
    containers: tuple[ContainerExit, ...] = ()

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]

    @property
    def is_failure(self) -> bool:
        """Whether the deployment is to blame (see `classify_stop`)."""
        return classify_stop(self) == "failure"

    def describe(self) -> str:
        """One line a human can act on, e.g. `task 1a2b: Essential container ... (web: exit 1)`."""
        details = [
            f"{c.name}: exit {c.exit_code}" if c.exit_code is not None else f"{c.name}: {c.reason}"
            for c in self.containers
            if c.exit_code not in (None, 0) or c.reason
        ]
        suffix = f" ({'; '.join(details)})" if details else ""
        return f"task {self.task_id}: {self.stopped_reason}{suffix}"

    @classmethod
    def from_api(cls, task: Mapping[str, Any]) -> StoppedTask:
        return cls(
            task_arn=str(task["taskArn"]),
            stopped_reason=str(task.get("stoppedReason", "")),
            stop_code=task.get("stopCode"),
            stopped_at=epoch(task.get("stoppedAt")),
            containers=tuple(
                ContainerExit(
                    name=str(c.get("name", "")),
                    exit_code=c.get("exitCode"),
                    reason=c.get("reason"),
                )
                for c in task.get("containers", ())
            ),
        )


#: ECS's documented stop codes for tasks stopped by something other than the task itself
#: (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
_INTERRUPTIONS = frozenset({"SpotInterruption", "TerminationNotice"})
_STOPPED_ON_PURPOSE = frozenset({"ServiceSchedulerInitiated", "UserInitiated"})
_FAILURE_CODES = frozenset({"TaskFailedToStart", "EssentialContainerExited"})
_FAILURE_TEXT = (
    "health check",
    "cannotpullcontainer",
    "cannotstartcontainer",
    "cannotcreatecontainer",
    "resourceinitializationerror",
    "outofmemory",
    "essential container",
)


def classify_stop(task: StoppedTask) -> str:
    """ "failure" (the revision's fault), "interruption" (Spot, instance termination) or
    "stopped" (scale-in, replaced by a deployment, stopped by a user).

    Only failures count against a deployment; the others are reported as events.
    """
    reason = task.stopped_reason.lower()
    if task.stop_code in _INTERRUPTIONS:
        return "interruption"
    if task.stop_code in _FAILURE_CODES:
        return "failure"
    failing_text = any(text in reason for text in _FAILURE_TEXT) or any(
        (c.reason and "error" in c.reason.lower()) or c.exit_code not in (None, 0)
        for c in task.containers
    )
    if task.stop_code in _STOPPED_ON_PURPOSE:
        # The scheduler also stops tasks that failed their container or ELB health checks.
        return "failure" if "health check" in reason else "stopped"
    if "spot" in reason and "interrupt" in reason:
        return "interruption"
    return "failure" if failing_text else "stopped"


class Status(enum.Enum):
    """A health check's opinion of the deployment right now."""

    HEALTHY = "HEALTHY"
    PROGRESSING = "PROGRESSING"
    FAILED = "FAILED"
    #: The check cannot judge (e.g. no rolloutState behind a Classic Load Balancer); it neither
    #: blocks success nor fails the deployment.
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    reason: str = ""
    check: str = ""

    @classmethod
    def healthy(cls, reason: str = "") -> Verdict:
        return cls(Status.HEALTHY, reason)

    @classmethod
    def progressing(cls, reason: str = "") -> Verdict:
        return cls(Status.PROGRESSING, reason)

    @classmethod
    def failed(cls, reason: str) -> Verdict:
        return cls(Status.FAILED, reason)

    @classmethod
    def unknown(cls, reason: str = "") -> Verdict:
        return cls(Status.UNKNOWN, reason)


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of a deployment's state machine, as kept in `DeployResult.history`."""

    phase: Phase
    at: float
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Observation:
    """What one poll tick saw of a watched deployment; the input of every `HealthCheck`."""

    target: Target
    deployment_id: str
    service: Mapping[str, Any]
    #: Our deployment as DescribeServices lists it, or None once ECS no longer lists it.
    deployment: Mapping[str, Any] | None
    other_deployments: tuple[Mapping[str, Any], ...]
    #: Service events since the watch started, oldest first.
    events: tuple[ServiceEvent, ...]
    #: Stopped tasks of our deployment, oldest first.
    stopped_tasks: tuple[StoppedTask, ...]
    observed_at: float
    watch_started_at: float
    #: DescribeServices' `failures` reason for the service (e.g. MISSING) when it was not listed.
    failure: str | None = None
    #: Our deployment's service-deployment record (DescribeServiceDeployments), None when it is
    #: not known (yet), or the API is missing or not allowed.
    service_deployment: Mapping[str, Any] | None = None

    @property
    def elapsed(self) -> float:
        return self.observed_at - self.watch_started_at

    @property
    def primary(self) -> Mapping[str, Any] | None:
        """The deployment ECS marks PRIMARY (the one it is rolling towards), ours or not."""
        for deployment in (self.deployment, *self.other_deployments):
            if deployment is not None and deployment.get("status") == "PRIMARY":
                return deployment
        return None

    @property
    def is_ours_primary(self) -> bool:
        return self.deployment is not None and self.deployment.get("status") == "PRIMARY"

    @property
    def failed_stopped_tasks(self) -> tuple[StoppedTask, ...]:
        return tuple(t for t in self.stopped_tasks if t.is_failure)
