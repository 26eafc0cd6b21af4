"""Releases: many services, in stages, all-or-nothing.

A stage's services deploy concurrently; a stage starts only when the previous one succeeded.
With `atomic=True`, a failure anywhere rolls back every service the release changed, in this
stage and earlier ones, concurrently. Every target is validated (PREFLIGHT without waiting)
before the first stage starts, so a bad target in stage 3 changes nothing in stage 1.

A stage may also hold one-off tasks (`OneOffTask`, e.g. a database migration), run with RunTask
one after the other before the stage's services; a task that fails fails its stage, and none of
the stage's services is deployed.
"""

from __future__ import annotations

import enum
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ecsdeploy._models import Outcome, Target
from ecsdeploy._release.tasks import OneOffTask, TaskOutcome, TaskState, takes_revision_of
from ecsdeploy._result import DeployResult, ExitCode, exit_code_of
from ecsdeploy.exceptions import InputError

__all__ = [
    "Location",
    "Release",
    "ReleaseResult",
    "ServiceOutcome",
    "ServiceState",
    "Stage",
    "tasks_of_several_accounts",
]


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where services run: an account and a region. `account` is None for the caller's own
    credentials (targets without a role), `region` None when no region was known."""

    account: str | None
    region: str | None

    def __str__(self) -> str:
        return f"{self.account or 'caller'}/{self.region or '-'}"


@dataclass(frozen=True, slots=True)
class Stage:
    """Targets that deploy together, after the stage's one-off `tasks` (run in order) succeeded.

    A stage may hold only tasks (a migration stage) or only targets.
    """

    name: str
    targets: tuple[Target, ...]
    tasks: tuple[OneOffTask, ...] = ()

    def __init__(
        self, name: str, targets: Sequence[Target] = (), *, tasks: Sequence[OneOffTask] = ()
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "targets", tuple(targets))
        object.__setattr__(self, "tasks", tuple(tasks))


@dataclass(frozen=True, slots=True)
class Release:
    """Ordered stages of targets.

    - `atomic`: on any failure, roll back everything the release changed (default), or only the
      services that failed (`False`). A target whose settings disable rollback is left as it
      ends, by its own rollback and by the release's.
    - `max_concurrency`: how many deployments of the release run at once.
    """

    stages: tuple[Stage, ...]
    atomic: bool = True
    max_concurrency: int = 50
    name: str = "release"

    def __init__(
        self,
        stages: Sequence[Stage],
        *,
        atomic: bool = True,
        max_concurrency: int = 50,
        name: str = "release",
    ) -> None:
        object.__setattr__(self, "stages", tuple(stages))
        object.__setattr__(self, "atomic", atomic)
        object.__setattr__(self, "max_concurrency", max_concurrency)
        object.__setattr__(self, "name", name)
        self.validate()

    @property
    def targets(self) -> tuple[Target, ...]:
        return tuple(t for stage in self.stages for t in stage.targets)

    @property
    def tasks(self) -> tuple[OneOffTask, ...]:
        return tuple(t for stage in self.stages for t in stage.tasks)

    def validate(self) -> None:
        """Raise InputError for a release that cannot be run as given."""
        if not self.stages:
            raise InputError(f"release {self.name!r} has no stages")
        for stage in self.stages:
            if not stage.targets and not stage.tasks:
                raise InputError(
                    f"stage {stage.name!r} of release {self.name!r} has no services and no tasks"
                )
        if self.max_concurrency < 1:
            raise InputError(f"max_concurrency must be at least 1, not {self.max_concurrency}")
        names = Counter(stage.name for stage in self.stages)
        repeated_stages = sorted(name for name, n in names.items() if n > 1)
        if repeated_stages:
            raise InputError(f"stage names must be unique; repeated: {repeated_stages}")
        task_names = Counter(task.name for task in self.tasks)
        repeated_tasks = sorted(name for name, n in task_names.items() if n > 1)
        if repeated_tasks:
            raise InputError(f"one-off task names must be unique; repeated: {repeated_tasks}")
        keys = Counter(t.key for t in self.targets)
        repeated = sorted(
            str(t) for t in {t.key: t for t in self.targets}.values() if keys[t.key] > 1
        )
        if repeated:
            raise InputError(f"a service may appear once per release; repeated: {repeated}")
        ambiguous = tasks_of_several_accounts(self, default_region=None)
        if ambiguous:
            raise InputError(ambiguous[0])


def tasks_of_several_accounts(release: Release, *, default_region: str | None) -> list[str]:
    """One-off tasks whose `task_definition_of` service the release deploys in several accounts,
    a region left out being `default_region`: each runs with the credentials of the service it
    takes its revision from, and two accounts leave it no one to run as."""
    problems = []
    for task in release.tasks:
        accounts = sorted(
            {
                t.account or "the Deployer's"
                for t in release.targets
                if takes_revision_of(task, t, default_region)
            }
        )
        if len(accounts) > 1:
            problems.append(
                f"one-off task {task.name!r} takes its task definition from service "
                f"{task.task_definition_of!r}, which this release deploys in several "
                f"accounts ({', '.join(accounts)}): it cannot tell which account to run in"
            )
    return problems


class ServiceState(enum.StrEnum):
    """Where one service of a release ended: a deployment `Outcome`, or SKIPPED when its stage
    never started (a `str`, so `state == "SUCCEEDED"` keeps working)."""

    SUCCEEDED = "SUCCEEDED"
    ROLLED_BACK = "ROLLED_BACK"
    FAILED = "FAILED"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    SUPERSEDED = "SUPERSEDED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True, slots=True)
class ServiceOutcome:
    """Where one service of a release ended, including the release's own rollback of it."""

    target: Target
    stage: str
    #: The service's deployment, or None if its stage never started.
    result: DeployResult | None
    #: The release's rollback of a service that had succeeded (atomic releases), if any.
    rollback: DeployResult | None = None
    #: Someone else's deployment that replaced the release's before the release rolled back:
    #: the service was left alone.
    superseded_by: str | None = None
    #: Why the service's stage did not deploy it, when that was its own stage's one-off task.
    skipped_because: str | None = None

    @property
    def state(self) -> ServiceState:
        """Where the service ended, counting the release's own rollback of it."""
        if self.result is None:
            return ServiceState.SKIPPED
        if self.superseded_by is not None:
            return ServiceState.SUPERSEDED
        if self.rollback is not None:
            if self.rollback.succeeded:
                return ServiceState.ROLLED_BACK
            return ServiceState.ROLLBACK_FAILED
        return ServiceState(self.result.outcome.value)

    @property
    def reason(self) -> str:
        if self.result is None:
            return f"not started: {self.skipped_because or 'an earlier stage failed'}"
        if self.superseded_by is not None:
            return (
                f"superseded by {self.superseded_by} after the release deployed it; "
                "not rolled back by the release"
            )
        if self.rollback is not None:
            how = "rolled back" if self.rollback.succeeded else "ROLLBACK FAILED"
            return f"{how} by the release: {self.rollback.reason or 'another service failed'}"
        return self.result.reason


@dataclass(frozen=True, slots=True)
class ReleaseResult:
    """Each service's result, the overall outcome, and timing."""

    release: Release
    services: tuple[ServiceOutcome, ...]
    started_at: float
    finished_at: float = field(default_factory=time.time)
    #: Set when validation failed before anything was deployed.
    error: str | None = None
    #: Whether `error` is bad input (exit 2) rather than AWS failing before any change (exit 1).
    error_is_input: bool = True
    #: Each one-off task of the release, in stage order, and where it ended.
    tasks: tuple[TaskOutcome, ...] = ()
    #: The Deployer's region, where targets that name none were deployed.
    default_region: str | None = None

    @property
    def outcome(self) -> Outcome:
        states = [s.state for s in self.services]
        if self.error is not None:
            return Outcome.FAILED
        if (
            ServiceState.ROLLBACK_FAILED in states
            or any(s.result is not None and s.result.needs_attention for s in self.services)
            or any(t.needs_attention for t in self.tasks)
        ):
            return Outcome.ROLLBACK_FAILED
        if all(state is ServiceState.SUCCEEDED for state in states) and all(
            t.state is TaskState.SUCCEEDED for t in self.tasks
        ):
            return Outcome.SUCCEEDED
        changed_and_kept = [
            s
            for s in self.services
            if s.state in (ServiceState.SUCCEEDED, ServiceState.FAILED)
            and s.result
            and s.result.changed
        ]
        if changed_and_kept:
            return Outcome.FAILED
        # Nothing the release changed is left: say why, never "rolled back" when nothing was.
        if "ROLLED_BACK" in states:
            return Outcome.ROLLED_BACK
        if "SUPERSEDED" in states:
            return Outcome.SUPERSEDED
        return Outcome.FAILED

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    @property
    def exit_code(self) -> ExitCode:
        """0 all succeeded · 1 failed/rolled back · 2 bad input, nothing changed · 3 look now."""
        results = [s.result for s in self.services if s.result is not None]
        return exit_code_of(
            succeeded=self.outcome is Outcome.SUCCEEDED,
            needs_attention=self.outcome is Outcome.ROLLBACK_FAILED,
            bad_input=(self.error is not None and self.error_is_input)
            or any(r.input_error for r in results),
            changed=any(r.changed for r in results),
        )

    def by_service(self) -> Mapping[str, ServiceOutcome]:
        return {str(s.target): s for s in self.services}

    def location_of(self, target: Target) -> Location:
        """Where `target` deployed (its region, else the Deployer's)."""
        return Location(target.account, target.region or self.default_region)

    def by_location(self) -> Mapping[Location, tuple[ServiceOutcome, ...]]:
        """The services grouped by (account, region), locations sorted, services in release
        order: what a release across accounts and regions did in each."""
        groups: dict[Location, list[ServiceOutcome]] = {}
        for service in self.services:
            groups.setdefault(self.location_of(service.target), []).append(service)
        ordered = sorted(groups, key=lambda loc: (loc.account or "", loc.region or ""))
        return {location: tuple(groups[location]) for location in ordered}
