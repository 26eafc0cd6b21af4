"""One-off tasks of a release stage (database migrations and the like), and how each ended.

A stage runs its tasks with RunTask, one after the other in the order given, before its
services; the stage's services deploy only if every task's essential containers exited 0.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ecsdeploy._models import ContainerExit, Target
from ecsdeploy.exceptions import InputError

__all__ = ["DEFAULT_TASK_TIMEOUT", "OneOffTask", "TaskOutcome", "TaskState", "takes_revision_of"]

#: Seconds a one-off task may run before it is stopped and its stage fails (migrations can be
#: long; a deployment's watch is shorter).
DEFAULT_TASK_TIMEOUT = 3600.0


@dataclass(frozen=True, slots=True)
class OneOffTask:
    """A task a release stage runs with RunTask before deploying the stage's services.

    ```python
    OneOffTask(
        "migrate",
        cluster="prod",
        task_definition_of="api",  # the revision the release deploys to "api", else its current
        command={"api": ["./manage.py", "migrate"]},
        env={"api": {"DJANGO_SETTINGS_MODULE": "app.settings"}},
    )
    ```

    - `task_definition`: a family (its newest ACTIVE revision), `family:revision` or an ARN.
    - `task_definition_of`: instead, the task definition of this service (same cluster and
      region): the revision the release deploys to it when the service is one of the release's
      targets (so a migration runs the new code), else the revision it runs now.
    - `network_from`: the service whose launch type or capacity provider strategy, platform
      version and network configuration (subnets, security groups, public IP) the task copies;
      defaults to `task_definition_of`. Without either, RunTask's defaults apply.
    - `command`, `env`: container overrides, keyed by container name.
    - `timeout`: seconds the task may run (from RunTask) before it is stopped and fails.
    - `poll_interval`: seconds between two DescribeTasks (default: the Deployer's setting).
    """

    name: str
    cluster: str
    task_definition: str | None = None
    task_definition_of: str | None = None
    network_from: str | None = None
    command: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Left out of `repr`: environment overrides often carry credentials.
    env: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)
    region: str | None = None
    timeout: float = DEFAULT_TASK_TIMEOUT
    poll_interval: float | None = None

    def __init__(
        self,
        name: str,
        *,
        cluster: str,
        task_definition: str | None = None,
        task_definition_of: str | None = None,
        network_from: str | None = None,
        command: Mapping[str, Sequence[str]] | None = None,
        env: Mapping[str, Mapping[str, str]] | None = None,
        region: str | None = None,
        timeout: float = DEFAULT_TASK_TIMEOUT,
        poll_interval: float | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "cluster", cluster)
        object.__setattr__(self, "task_definition", task_definition)
        object.__setattr__(self, "task_definition_of", task_definition_of)
        object.__setattr__(self, "network_from", network_from or task_definition_of)
        object.__setattr__(self, "command", _commands(name, command or {}))
        object.__setattr__(self, "env", _environments(name, env or {}))
        object.__setattr__(self, "region", region)
        object.__setattr__(self, "timeout", float(timeout))
        object.__setattr__(
            self, "poll_interval", None if poll_interval is None else float(poll_interval)
        )
        self.validate()

    def validate(self) -> None:
        """Raise InputError for a task that cannot be run as given (nothing is looked up)."""
        if not self.name.strip():
            raise InputError("a one-off task needs a name")
        if not self.cluster.strip():
            raise InputError(f"task {self.name!r}: no cluster")
        if (self.task_definition is None) == (self.task_definition_of is None):
            raise InputError(
                f"task {self.name!r}: give either task_definition or task_definition_of "
                "(a service whose task definition it runs), not "
                + ("both" if self.task_definition else "neither")
            )
        if not self.timeout > 0:
            raise InputError(f"task {self.name!r}: timeout must be positive, not {self.timeout}")
        if self.poll_interval is not None and not self.poll_interval > 0:
            raise InputError(
                f"task {self.name!r}: poll_interval must be positive, not {self.poll_interval}"
            )
        for container, argv in self.command.items():
            if not argv:
                raise InputError(f"task {self.name!r}: the command of {container!r} is empty")

    def __hash__(self) -> int:
        # The overrides are dicts; what identifies a task is enough for a hash.
        return hash((self.name, self.cluster, self.region, self.task_definition))

    @property
    def containers(self) -> frozenset[str]:
        """The containers the overrides name (each must exist in the task definition)."""
        return frozenset(self.command) | frozenset(self.env)

    def __str__(self) -> str:
        where = f"{self.region}/" if self.region else ""
        return f"{where}{self.cluster}/task:{self.name}"


def takes_revision_of(task: OneOffTask, target: Target, default_region: str | None) -> bool:
    """Whether `task` takes its task definition from `target`'s service: the same service in the
    same cluster and region, a region left out being the Deployer's (`default_region`), as it is
    where the service or the task runs."""
    if task.task_definition_of is None:
        return False
    return (task.region or default_region, task.cluster, task.task_definition_of) == (
        target.region or default_region,
        target.cluster,
        target.service,
    )


def _commands(task: str, command: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    commands = {}
    for container, argv in command.items():
        # A string is a sequence of letters: "migrate --up" would run "m", "i", ...
        if isinstance(argv, str) or not all(isinstance(word, str) for word in argv):
            raise InputError(
                f"task {task!r}: the command of {container!r} must be a list of words (strings), "
                f"such as ['./manage.py', 'migrate'], not {argv!r}"
            )
        commands[container] = tuple(argv)
    return commands


def _environments(task: str, env: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    environments = {}
    for container, pairs in env.items():
        # Values are left out of the message: they may be secrets.
        if not isinstance(pairs, Mapping) or not all(
            isinstance(name, str) and isinstance(value, str) for name, value in pairs.items()
        ):
            raise InputError(
                f"task {task!r}: the env of {container!r} must map variable names to strings"
            )
        environments[container] = dict(pairs)
    return environments


class TaskState(enum.StrEnum):
    """How a one-off task ended (a `str`, like `ServiceState`)."""

    #: Every essential container exited 0, and no one stopped the task before it finished.
    SUCCEEDED = "SUCCEEDED"
    #: RunTask refused it, it could not start, or an essential container exited non-zero.
    FAILED = "FAILED"
    #: ecsdeploy stopped it (timeout, or the release was cancelled): its outcome is unknown.
    STOPPED = "STOPPED"
    #: Its stage never ran it (an earlier task or stage failed, or validation did).
    SKIPPED = "SKIPPED"


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """Where one one-off task of a release ended, with what ECS said about it."""

    task: OneOffTask
    stage: str
    state: TaskState
    #: One line for people: the exit codes, the stop reason, or why it never ran.
    reason: str
    task_arn: str | None = None
    task_definition_arn: str | None = None
    #: Every container's exit code and reason as DescribeTasks reported them at the end.
    containers: tuple[ContainerExit, ...] = ()
    #: Exit codes of the essential containers (None: it never reported one).
    exit_codes: Mapping[str, int | None] = field(default_factory=dict)
    stop_code: str | None = None
    stopped_reason: str | None = None
    #: ecsdeploy sent StopTask (timeout or cancellation).
    stopped_by_ecsdeploy: bool = False
    #: The task may still be running and ecsdeploy cannot tell: StopTask kept failing, or
    #: RunTask never answered (a human must look; `reason` says where).
    state_unknown: bool = False
    started_at: float = field(default_factory=time.time)
    finished_at: float = field(default_factory=time.time)

    @property
    def succeeded(self) -> bool:
        return self.state is TaskState.SUCCEEDED

    @property
    def needs_attention(self) -> bool:
        """A human must look: the task may still be running (see `state_unknown`)."""
        return self.state_unknown

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    @property
    def task_id(self) -> str | None:
        return self.task_arn.rsplit("/", 1)[-1] if self.task_arn else None
