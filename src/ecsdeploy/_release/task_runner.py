"""Running a release stage's one-off tasks: RunTask, DescribeTasks until STOPPED, StopTask.

- RunTask carries a client token of its own (ECS keeps it for 24 hours), so the gateway's
  retries after a lost answer return the task the first call started instead of starting a
  second migration. The token is also a tag (`ecsdeploy:client-token`) on the task, so that a
  person can find a task whose RunTask never answered at all. `startedBy` is ``ecsdeploy`` and
  the tags `ecsdeploy:release` and `ecsdeploy:task` name the release and the task.
- A task succeeds when it reached STOPPED because an essential container exited by itself
  (stopCode EssentialContainerExited) and every essential container exited 0.
- A task still running at its timeout, or when the release is cancelled, is stopped with
  StopTask, shielded from the cancellation and retried until `STOP_DEADLINE`.
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import anyio
import structlog

from ecsdeploy._gateway import EcsGateway
from ecsdeploy._models import ContainerExit, Phase, StoppedTask, Target
from ecsdeploy._preflight import primary_of
from ecsdeploy._release.model import Release, Stage
from ecsdeploy._release.tasks import OneOffTask, TaskOutcome, TaskState, takes_revision_of
from ecsdeploy._result import DeployEvent, EventKind
from ecsdeploy._settings import DeploySettings
from ecsdeploy.exceptions import (
    AwsUnavailableError,
    EcsDeployError,
    InputError,
    TaskDefinitionNotFoundError,
    ThrottledError,
    UnknownContainerError,
)

__all__ = [
    "CLIENT_TOKEN_TAG",
    "RELEASE_TAG",
    "STARTED_BY",
    "STOP_DEADLINE",
    "TASK_TAG",
    "TaskHost",
    "TaskRunner",
    "check_task",
    "default_region_of",
    "deployed_target",
    "task_target",
]

logger = structlog.get_logger("ecsdeploy")

STARTED_BY = "ecsdeploy"
RELEASE_TAG = "ecsdeploy:release"
TASK_TAG = "ecsdeploy:task"
CLIENT_TOKEN_TAG = "ecsdeploy:client-token"
#: Seconds StopTask is retried for, once a task must be stopped.
STOP_DEADLINE = 60.0
#: Seconds a task whose RunTask answers were all lost is looked for (ECS may list it late).
_LOOK_FOR_LOST_RUN = 10.0
#: The stopCode of a task that ended because an essential container exited by itself; any other
#: (UserInitiated, SpotInterruption, TerminationNotice, ...) means it was stopped from outside.
_FINISHED_ON_ITS_OWN = "EssentialContainerExited"
#: ECS's limit on a tag value.
_MAX_TAG_VALUE = 256
#: ECS's limit on StopTask's `reason`.
_MAX_STOP_REASON = 255

JSON = dict[str, Any]


class TaskHost(Protocol):
    """What running one-off tasks needs from the Deployer."""

    settings: DeploySettings

    async def _gateway_for(self, target: Target) -> EcsGateway: ...

    async def _register_ahead(self, target: Target, *, user: object) -> tuple[str, bool]: ...

    async def _abandon_revision(self, target: Target, arn: str, *, user: object) -> None: ...

    def _emit(self, event: DeployEvent) -> None: ...

    def _record_task(self, outcome: TaskOutcome) -> None: ...

    @property
    def default_region(self) -> str:
        """The region of targets and tasks that name none (InputError when there is none)."""


def default_region_of(host: TaskHost) -> str | None:
    """The host's default region; None when every target and task names its own."""
    try:
        return host.default_region
    except InputError:
        return None


def task_target(task: OneOffTask) -> Target:
    """How events name a task, so the fronts give it a row: ``cluster/task:NAME``."""
    return Target(task.cluster, f"task:{task.name}", region=task.region)


def task_identity(
    task: OneOffTask, targets: Sequence[Target] = (), default_region: str | None = None
) -> Target:
    """Whose credentials a task runs with: those of the release's service it takes its task
    definition from (same region and cluster, so the same account), else the Deployer's."""
    return deployed_target(task, targets, default_region) or task_target(task)


async def check_task(host: TaskHost, task: OneOffTask, targets: Sequence[Target] = ()) -> None:
    """Validate a task against the account before anything changes: its task definition (or
    its service's) exists and, when it is run as it is, is still ACTIVE; the overridden
    containers exist, the services it names exist, and an awsvpc task has a service to take its
    network configuration from. `targets` are the release's: a `task_definition_of` service
    among them gets a new revision registered for the task instead.

    Raises an InputError subclass for bad input, another EcsDeployError when AWS failed.
    """
    default_region = default_region_of(host)
    gateway = await host._gateway_for(task_identity(task, targets, default_region))
    service: Mapping[str, Any] = {}
    if task.task_definition_of is not None:
        service = await gateway.describe_service(task.cluster, task.task_definition_of)
        arn = _running_revision(service)
    else:
        assert task.task_definition is not None
        arn = task.task_definition
    described = (await gateway.describe_task_definition(arn))["taskDefinition"]
    runs_as_is = (
        task.task_definition is not None or deployed_target(task, targets, default_region) is None
    )
    if runs_as_is and described.get("status") == "INACTIVE":
        whose = (
            ""
            if task.task_definition is not None
            else f" (service {task.task_definition_of!r} runs it)"
        )
        raise TaskDefinitionNotFoundError(
            f"task {task.name!r}: {arn}{whose} was deregistered; ECS cannot run an INACTIVE "
            "revision"
        )
    names = {str(c.get("name")) for c in described.get("containerDefinitions", ())}
    unknown = sorted(task.containers - names)
    if unknown:
        raise UnknownContainerError(
            f"task {task.name!r}: no container {', '.join(map(repr, unknown))} in "
            f"{described.get('taskDefinitionArn', arn)} (it has {', '.join(sorted(names))})"
        )
    if task.network_from is not None and task.network_from != task.task_definition_of:
        service = await gateway.describe_service(task.cluster, task.network_from)
    if described.get("networkMode") == "awsvpc":
        if task.network_from is None:
            raise InputError(
                f"task {task.name!r}: its task definition uses the awsvpc network mode; name a "
                "service in network_from to take subnets and security groups from"
            )
        if not (service.get("networkConfiguration") or {}).get("awsvpcConfiguration"):
            raise InputError(
                f"task {task.name!r}: its task definition uses the awsvpc network mode, but "
                f"service {task.network_from!r} has no awsvpc network configuration to copy "
                "(subnets, security groups); name an awsvpc service in network_from"
            )


def deployed_target(
    task: OneOffTask, targets: Sequence[Target], default_region: str | None = None
) -> Target | None:
    """The release's target for the service whose task definition `task` runs, if any; a task
    or target without a region is in `default_region` (the Deployer's)."""
    # Tasks name services by (region, cluster, service); the account is the service's role's.
    return next((t for t in targets if takes_revision_of(task, t, default_region)), None)


def _running_revision(service: Mapping[str, Any]) -> str:
    primary = primary_of(service) or {}
    return str(primary.get("taskDefinition") or service.get("taskDefinition", ""))


class TaskRunner:
    """Runs the one-off tasks of one release and remembers how each ended."""

    def __init__(
        self,
        host: TaskHost,
        release: Release,
        *,
        deployed: Callable[[Target], str | None],
    ) -> None:
        self._host = host
        self._release = release
        #: The revision a target's deployment landed, once its stage succeeded.
        self._deployed = deployed
        self._outcomes: dict[str, TaskOutcome] = {}
        #: Revisions registered ahead for a task (region, ARN), let go when the release ends.
        self._held: list[tuple[Target, str]] = []

    # -- a stage ----------------------------------------------------------------------------

    async def run_stage(self, stage: Stage) -> bool:
        """Run the stage's tasks one after the other; True if every one succeeded."""
        for task in stage.tasks:
            outcome = await self._run(task, stage.name)
            if not outcome.succeeded:
                return False
        return True

    def failure(self) -> str | None:
        """Which task failed and why, for the services its stage did not deploy."""
        for outcome in self._outcomes.values():
            if not outcome.succeeded:
                return f"task {outcome.task.name!r} failed: {outcome.reason}"
        return None

    def outcomes(self, *, not_run: str = "an earlier stage failed") -> tuple[TaskOutcome, ...]:
        """Every task of the release in stage order; those never run are SKIPPED."""
        results = []
        for stage in self._release.stages:
            failed: str | None = None
            for task in stage.tasks:
                outcome = self._outcomes.get(task.name)
                if outcome is None:
                    why = f"task {failed!r} of its stage failed" if failed else not_run
                    outcome = TaskOutcome(task, stage.name, TaskState.SKIPPED, f"not run: {why}")
                elif not outcome.succeeded:
                    failed = task.name
                results.append(outcome)
        return tuple(results)

    async def let_go(self) -> None:
        """Release the revisions registered ahead: one that no deployment took is deregistered
        (a migration whose stage failed leaves no revision behind)."""
        with anyio.CancelScope(shield=True):
            for target, arn in self._held:
                await self._host._abandon_revision(target, arn, user=self)
            self._held.clear()

    # -- one task -----------------------------------------------------------------------------

    async def _run(self, task: OneOffTask, stage: str) -> TaskOutcome:
        run = _TaskRun(task, stage, self._host, self._release.name)
        try:
            try:
                gateway = await self._host._gateway_for(
                    task_identity(task, self._release.targets, default_region_of(self._host))
                )
                arn = await self._task_definition(gateway, task)
            except EcsDeployError as exc:
                outcome = run.not_started(str(exc))
            else:
                outcome = await run.run(gateway, arn)
        except BaseException:
            # Cancelled: the run stopped its task (shielded) and recorded how it ended.
            if run.outcome is not None:
                self._outcomes[task.name] = run.outcome
            raise
        self._outcomes[task.name] = outcome
        return outcome

    async def _task_definition(self, gateway: EcsGateway, task: OneOffTask) -> str:
        """The revision to run: as given, or the revision the release deploys to the named
        service (registered now if its deployment has not run yet), or the service's current
        one when the release does not deploy it."""
        if task.task_definition is not None:
            return task.task_definition
        assert task.task_definition_of is not None
        target = deployed_target(task, self._release.targets, default_region_of(self._host))
        if target is None:
            service = await gateway.describe_service(task.cluster, task.task_definition_of)
            return _running_revision(service)
        landed = self._deployed(target)
        if landed is not None:
            return landed
        arn, registered = await self._host._register_ahead(target, user=self)
        if registered:
            self._held.append((target, arn))
        return arn


class _TaskRun:
    """One task from RunTask to its end; `outcome` is set however it ends."""

    def __init__(self, task: OneOffTask, stage: str, host: TaskHost, release: str) -> None:
        self.task = task
        self.stage = stage
        self._host = host
        self._release = release
        self._started = time.time()
        self._poll = task.poll_interval or host.settings.poll_interval
        self._log = logger.bind(release=release, task=task.name, cluster=task.cluster)
        self._task_arn: str | None = None
        self._task_definition_arn: str | None = None
        self._last: JSON = {}
        self._essential: frozenset[str] = frozenset()
        self.outcome: TaskOutcome | None = None

    async def run(self, gateway: EcsGateway, task_definition: str) -> TaskOutcome:
        self._emit(Phase.PREFLIGHT, f"starting {task_definition}", status="STARTING")
        try:
            described = (await gateway.describe_task_definition(task_definition))["taskDefinition"]
            request = await self._request(
                gateway, task_definition, awsvpc=described.get("networkMode") == "awsvpc"
            )
        except EcsDeployError as exc:
            return self.not_started(str(exc))
        self._essential = frozenset(
            str(c.get("name"))
            for c in described.get("containerDefinitions", ())
            if c.get("essential", True)
        )
        token = request["clientToken"]
        self._log.info("ecsdeploy.task.run", task_definition=task_definition, client_token=token)
        # Once sent, RunTask's answer (or the task it started, found by its token when every
        # answer was lost) is needed to stop what it started, even when cancelled: the
        # cancellation lands at the next wait, which stops the task.
        with anyio.CancelScope(shield=True):
            try:
                response = await gateway.run_task(request)
            except (AwsUnavailableError, ThrottledError) as exc:
                # No answer, or throttled after an attempt whose answer may have been lost.
                found = await self._find_started(gateway, token)
                if found is None:
                    return self._end(
                        TaskState.FAILED,
                        f"RunTask did not answer ({exc}) and no task of it was found; one may "
                        f"still start: look for tasks started by {STARTED_BY} with the tag "
                        f"{CLIENT_TOKEN_TAG}={token}",
                        state_unknown=True,
                    )
                self._log.warning("ecsdeploy.task.found_lost_run", task_arn=found.get("taskArn"))
                response = {"tasks": [found]}
            except EcsDeployError as exc:
                # An answer (invalid, denied, conflicting): an earlier attempt with this token
                # that started a task would have been answered with it instead.
                return self._end(TaskState.FAILED, f"RunTask refused it: {exc}")
        started = response.get("tasks") or []
        if not started:
            return self._end(TaskState.FAILED, f"RunTask failed: {_failures(response)}")
        self._last = started[0]
        self._task_arn = str(self._last["taskArn"])
        self._task_definition_arn = str(self._last.get("taskDefinitionArn") or task_definition)
        self._log.info("ecsdeploy.task.started", task_arn=self._task_arn)
        self._emit(Phase.WATCH, "started", status=str(self._last.get("lastStatus", "")))
        try:
            with anyio.move_on_after(self.task.timeout) as waiting:
                await self._until_stopped(gateway)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._stop(gateway, f"release {self._release} was cancelled")
            raise
        if waiting.cancelled_caught:
            with anyio.CancelScope(shield=True):
                return await self._stop(
                    gateway, f"it ran longer than its timeout ({self.task.timeout:g}s)"
                )
        return self._judge()

    async def _find_started(self, gateway: EcsGateway, token: str) -> JSON | None:
        """The task a RunTask whose answers were all lost started, found by its token tag among
        the tasks started by ecsdeploy (running or stopped); None if there is none (yet)."""
        cluster = self.task.cluster
        with anyio.move_on_after(_LOOK_FOR_LOST_RUN):
            while True:
                try:
                    arns = [
                        arn
                        for status in ("RUNNING", "STOPPED")
                        for arn in await gateway.list_tasks(
                            cluster, started_by=STARTED_BY, desired_status=status
                        )
                    ]
                    described = await gateway.describe_tasks(cluster, arns, include_tags=True)
                except EcsDeployError as exc:
                    self._log.warning("ecsdeploy.task.look_failed", error=str(exc))
                    described = []
                for task in described:
                    tags = {t.get("key"): t.get("value") for t in task.get("tags") or ()}
                    if tags.get(CLIENT_TOKEN_TAG) == token:
                        return task
                await anyio.sleep(self._poll)
        return None

    def not_started(self, why: str) -> TaskOutcome:
        return self._end(TaskState.FAILED, f"not started: {why}")

    async def _request(self, gateway: EcsGateway, task_definition: str, *, awsvpc: bool) -> JSON:
        task = self.task
        token = uuid.uuid4().hex
        request: JSON = {
            "cluster": task.cluster,
            "taskDefinition": task_definition,
            "count": 1,
            "startedBy": STARTED_BY,
            "clientToken": token,
            "tags": [
                {"key": RELEASE_TAG, "value": _tag_value(self._release)},
                {"key": TASK_TAG, "value": _tag_value(task.name)},
                {"key": CLIENT_TOKEN_TAG, "value": token},
            ],
        }
        overrides = [
            {
                "name": container,
                **({"command": list(task.command[container])} if container in task.command else {}),
                **(
                    {
                        "environment": [
                            {"name": name, "value": value}
                            for name, value in task.env[container].items()
                        ]
                    }
                    if container in task.env
                    else {}
                ),
            }
            for container in sorted(task.containers)
        ]
        if overrides:
            request["overrides"] = {"containerOverrides": overrides}
        if task.network_from is not None:
            service = await gateway.describe_service(task.cluster, task.network_from)
            request.update(_placement_of(service, awsvpc=awsvpc))
        return request

    async def _until_stopped(self, gateway: EcsGateway) -> None:
        assert self._task_arn is not None
        seen = str(self._last.get("lastStatus", ""))
        while True:
            await anyio.sleep(self._poll)
            try:
                found = await gateway.describe_tasks(self.task.cluster, [self._task_arn])
            except EcsDeployError as exc:
                # Unknown is not an ending: read again until the timeout says otherwise.
                self._log.warning("ecsdeploy.task.read_failed", error=str(exc))
                continue
            if not found:  # ECS catching up right after RunTask
                continue
            self._last = found[0]
            status = str(self._last.get("lastStatus", ""))
            if status != seen:
                seen = status
                self._emit(Phase.WATCH, status.lower(), status=status)
            if status == "STOPPED":
                return

    async def _stop(self, gateway: EcsGateway, why: str) -> TaskOutcome:
        """StopTask until it is answered or `STOP_DEADLINE` passes (shielded by the caller)."""
        assert self._task_arn is not None
        reason = f"ecsdeploy: {why}"[:_MAX_STOP_REASON]
        self._log.warning("ecsdeploy.task.stopping", task_arn=self._task_arn, reason=why)
        answer: JSON | None = None
        with anyio.move_on_after(STOP_DEADLINE):
            while answer is None:
                try:
                    answer = await gateway.stop_task(
                        self.task.cluster, self._task_arn, reason=reason
                    )
                except EcsDeployError as exc:
                    self._log.warning("ecsdeploy.task.stop_failed", error=str(exc))
                    await anyio.sleep(self._poll)
        if answer is None:
            return self._end(
                TaskState.STOPPED,
                f"{why}; StopTask failed for {STOP_DEADLINE:g}s: task {self._task_arn} may "
                f"still be running; stop it by hand: aws ecs stop-task --cluster "
                f"{self.task.cluster} --task {self._task_arn}",
                stopped=True,
                state_unknown=True,
            )
        if answer:
            self._last = answer
        return self._end(TaskState.STOPPED, f"stopped by ecsdeploy: {why}", stopped=True)

    def _judge(self) -> TaskOutcome:
        exits = _exit_codes(self._last, self._essential)
        described = StoppedTask.from_api(self._last).describe()
        stop_code = self._last.get("stopCode")
        # Exit 0 after someone else stopped the task (a Spot interruption, a person's StopTask)
        # is a container that handled SIGTERM, not a migration that finished.
        stopped_from_outside = stop_code not in (None, _FINISHED_ON_ITS_OWN)
        if exits and all(code == 0 for code in exits.values()) and not stopped_from_outside:
            return self._end(TaskState.SUCCEEDED, f"task {_id(self._task_arn)}: exited 0")
        codes = ", ".join(f"{name}: exit {code}" for name, code in sorted(exits.items()))
        return self._end(
            TaskState.FAILED,
            ("stopped before it finished: " if stopped_from_outside else "")
            + f"{described} [{stop_code or 'no stopCode'}; essential containers: "
            f"{codes or 'none reported'}]",
        )

    def _end(
        self, state: TaskState, reason: str, *, stopped: bool = False, state_unknown: bool = False
    ) -> TaskOutcome:
        last = self._last
        outcome = TaskOutcome(
            self.task,
            self.stage,
            state,
            reason,
            task_arn=self._task_arn,
            task_definition_arn=self._task_definition_arn,
            containers=tuple(
                ContainerExit(str(c.get("name", "")), c.get("exitCode"), c.get("reason"))
                for c in last.get("containers", ())
            ),
            exit_codes=_exit_codes(last, self._essential),
            stop_code=last.get("stopCode"),
            stopped_reason=last.get("stoppedReason"),
            stopped_by_ecsdeploy=stopped,
            state_unknown=state_unknown,
            started_at=self._started,
        )
        self.outcome = outcome
        self._host._record_task(outcome)
        log = self._log.info if outcome.succeeded else self._log.warning
        log(
            "ecsdeploy.task.finished",
            state=state.value,
            reason=reason,
            task_arn=self._task_arn,
            exit_codes=dict(outcome.exit_codes),
            stop_code=outcome.stop_code,
            stopped_by_ecsdeploy=stopped,
        )
        phase = Phase.SUCCEEDED if outcome.succeeded else Phase.FAILED
        self._emit(phase, reason, status=state.value, exit_codes=dict(outcome.exit_codes))
        return outcome

    def _emit(self, phase: Phase, message: str, **data: Any) -> None:
        self._host._emit(
            DeployEvent(
                EventKind.TASK,
                task_target(self.task),
                phase,
                message,
                time.time(),
                {"task": self.task.name, "stage": self.stage, "task_arn": self._task_arn, **data},
            )
        )


def _placement_of(service: Mapping[str, Any], *, awsvpc: bool) -> JSON:
    """Where the service's tasks run, for RunTask: capacity provider strategy or launch type,
    platform version, and for an `awsvpc` task its network configuration (as the service has
    them now; ECS refuses a network configuration for any other network mode)."""
    placement: JSON = {}
    if service.get("capacityProviderStrategy"):
        placement["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    elif service.get("launchType"):
        placement["launchType"] = service["launchType"]
    if service.get("platformVersion"):
        placement["platformVersion"] = service["platformVersion"]
    if awsvpc and service.get("networkConfiguration"):
        placement["networkConfiguration"] = service["networkConfiguration"]
    return placement


def _exit_codes(task: Mapping[str, Any], essential: frozenset[str]) -> dict[str, int | None]:
    return {
        str(c.get("name")): c.get("exitCode")
        for c in task.get("containers", ())
        if str(c.get("name")) in essential
    }


def _failures(response: Mapping[str, Any]) -> str:
    reasons = [
        str(f.get("reason", "unknown")) + (f" ({f['detail']})" if f.get("detail") else "")
        for f in response.get("failures") or ()
    ]
    return "; ".join(reasons) or "no task and no reason"


def _tag_value(text: str) -> str:
    """`text` as an ECS tag value: RunTask refuses characters other than letters, numbers,
    spaces and ``_ . / = + - : @`` (a release named "hotfix #42" would fail its migration),
    and values longer than 256 characters."""
    allowed = "_./=+-:@"
    return "".join(
        ch if ch in allowed or unicodedata.category(ch)[0] in "LNZ" else "_" for ch in text
    )[:_MAX_TAG_VALUE]


def _id(arn: str | None) -> str:
    return (arn or "?").rsplit("/", 1)[-1]
