"""Running a Release on a Deployer: validation, stages (one-off tasks, then services), atomic
rollback, cancellation."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Protocol

import anyio
import structlog

from ecsdeploy._machine import DeploymentMachine
from ecsdeploy._models import Outcome, Target, TargetKey
from ecsdeploy._preflight import primary_of
from ecsdeploy._release.model import (
    Release,
    ReleaseResult,
    ServiceOutcome,
    Stage,
    tasks_of_several_accounts,
)
from ecsdeploy._release.task_runner import TaskHost, TaskRunner, check_task
from ecsdeploy._release.tasks import OneOffTask
from ecsdeploy._result import DeployPlan, DeployResult
from ecsdeploy._settings import DeploySettings
from ecsdeploy._watch import CONFIRM_POLLS, CONFIRM_READS
from ecsdeploy.exceptions import EcsDeployError, InputError

__all__ = ["Deployments", "repeated_services", "run_release"]

logger = structlog.get_logger("ecsdeploy")


class Deployments(TaskHost, Protocol):
    """What a release needs from whoever runs deployments (the Deployer). The runner depends on
    this, never on the Deployer itself: the Deployer calls the runner, not the other way round."""

    async def plan(self, target: Target) -> DeployPlan: ...

    async def _start_machine(
        self,
        target: Target,
        settings: DeploySettings | None = None,
        *,
        only_over: str | None = None,
    ) -> DeploymentMachine: ...

    async def read_service(self, target: Target) -> dict[str, Any]: ...


async def run_release(deployer: Deployments, release: Release) -> ReleaseResult:
    started = time.time()
    try:
        default_region: str | None = deployer.default_region
    except InputError:  # every target names its region
        default_region = None
    log = logger.bind(release=release.name)
    log.info("ecsdeploy.release.started", services=len(release.targets), stages=len(release.stages))
    problems = repeated_services(release, default_region)
    aws_problems: list[str] = []
    if not problems:
        problems, aws_problems = await _validate(deployer, release)
    if problems or aws_problems:
        log.warning("ecsdeploy.release.invalid", problems=problems, aws_problems=aws_problems)
        # Bad input wins (exit 2); AWS failing before anything changed is exit 1.
        error = "; ".join(problems) if problems else "; ".join(aws_problems) + "; nothing changed"
        return ReleaseResult(
            release,
            tuple(ServiceOutcome(t, s.name, None) for s in release.stages for t in s.targets),
            started,
            error=error,
            error_is_input=bool(problems),
            tasks=TaskRunner(deployer, release, deployed=lambda _: None).outcomes(
                not_run="the release did not start"
            ),
            default_region=default_region,
        )
    run = _ReleaseRun(deployer, release)
    tasks = TaskRunner(deployer, release, deployed=run.deployed_revision)
    try:
        for stage in release.stages:
            log.info("ecsdeploy.release.stage_started", stage=stage.name)
            if stage.tasks and not await tasks.run_stage(stage):
                failure = tasks.failure() or "a one-off task failed"
                log.warning("ecsdeploy.release.stage_failed", stage=stage.name, reason=failure)
                run.skip(stage, failure)
                if release.atomic:
                    await run.roll_back_succeeded(f"stage {stage.name!r}: {failure}")
                break
            if stage.targets and not await run.stage(stage):
                log.warning("ecsdeploy.release.stage_failed", stage=stage.name)
                if release.atomic:
                    await run.roll_back_succeeded(f"{run.first_failure()} failed")
                break
    except BaseException as exc:
        # Cancelled (Ctrl-C, SIGTERM, a cancelled task group) or a bug: what this release changed
        # goes back before the exception goes on. Each rollback has its own deadline.
        why = (
            "the release was cancelled"
            if isinstance(exc, anyio.get_cancelled_exc_class())
            else f"the release stopped on an internal error: {exc!r}"
        )
        with anyio.CancelScope(shield=True):
            await run.roll_back_succeeded(why)
            await tasks.let_go()
        raise
    await tasks.let_go()
    result = ReleaseResult(
        release, run.outcomes(), started, tasks=tasks.outcomes(), default_region=default_region
    )
    log.info(
        "ecsdeploy.release.finished",
        outcome=result.outcome.value,
        duration=round(result.duration, 3),
    )
    return result


#: Targets planned at once while a release validates (whatever its `max_concurrency`).
VALIDATION_CONCURRENCY = 1000


def repeated_services(release: Release, default_region: str | None) -> list[str]:
    """Services the release names twice once `region=None` is read as the Deployer's region
    (`Release.validate` sees the keys as written: "web" and "web" in us-east-2 look apart), and
    one-off tasks that then take their revision from a service deployed in several accounts."""
    seen: dict[TargetKey, Target] = {}
    problems: list[str] = []
    for target in release.targets:
        account, region, cluster, service = target.key
        key = (account, region or default_region, cluster, service)
        first = seen.setdefault(key, target)
        if first is not target:
            where = replace(target, region=key[1])
            problems.append(
                f"{where}: a service may appear once per release; named as {first} and as "
                f"{target} ({key[1]} is the Deployer's region)"
            )
    return problems + tasks_of_several_accounts(release, default_region=default_region)


async def _validate(deployer: Deployments, release: Release) -> tuple[list[str], list[str]]:
    """PREFLIGHT of every target, concurrently: (input problems, AWS failures).

    Planning only reads, and its reads are batched per cluster and paced by the gateway's rate
    limiter, so `max_concurrency` (deployments in flight) does not bound it: a 1,000-service
    release at 50 at a time would otherwise spend 20 rounds of PREFLIGHT's agreeing reads
    (two poll intervals each) before its first change.
    """
    problems: list[str] = []
    aws_problems: list[str] = []
    limiter = anyio.CapacityLimiter(max(release.max_concurrency, VALIDATION_CONCURRENCY))

    async def check(target: Target) -> None:
        async with limiter:
            try:
                await deployer.plan(target)
            except InputError as exc:
                problems.append(f"{target}: {exc}")
            except EcsDeployError as exc:
                aws_problems.append(f"{target}: {exc}")

    async def check_one_off(task: OneOffTask) -> None:
        async with limiter:
            try:
                await check_task(deployer, task, release.targets)
            except InputError as exc:
                problems.append(f"{task}: {exc}")
            except EcsDeployError as exc:
                aws_problems.append(f"{task}: {exc}")

    async with anyio.create_task_group() as group:
        for target in release.targets:
            group.start_soon(check, target)
        for task in release.tasks:
            group.start_soon(check_one_off, task)
    return sorted(problems), sorted(aws_problems)


class _ReleaseRun:
    def __init__(self, deployer: Deployments, release: Release) -> None:
        self._deployer = deployer
        self._release = release
        self._limiter = anyio.CapacityLimiter(release.max_concurrency)
        self._machines: dict[TargetKey, DeploymentMachine] = {}
        self._rollbacks: dict[TargetKey, DeployResult] = {}
        self._superseded: dict[TargetKey, str] = {}
        #: Services a stage's failed one-off task kept from deploying, and why.
        self._skipped: dict[TargetKey, str] = {}

    async def stage(self, stage: Stage) -> bool:
        """Deploy a stage's targets concurrently; True if all succeeded."""

        async def deploy(target: Target) -> None:
            async with self._limiter:
                machine = await self._deployer._start_machine(target)
                self._machines[target.key] = machine
                await machine.run()

        async with anyio.create_task_group() as group:
            for target in stage.targets:
                group.start_soon(deploy, target)
        return all(
            (m := self._machines.get(t.key)) is not None
            and m.result is not None
            and m.result.succeeded
            for t in stage.targets
        )

    def skip(self, stage: Stage, why: str) -> None:
        """The stage's services are not deployed: its one-off task failed."""
        for target in stage.targets:
            self._skipped[target.key] = why

    def deployed_revision(self, target: Target) -> str | None:
        """The revision the release deployed to `target`, once its deployment succeeded."""
        machine = self._machines.get(target.key)
        if machine is None or machine.result is None or not machine.result.succeeded:
            return None
        return machine.result.task_definition_arn

    def first_failure(self) -> str:
        for stage in self._release.stages:
            for target in stage.targets:
                machine = self._machines.get(target.key)
                if machine and machine.result and not machine.result.succeeded:
                    return str(target)
        return "a service"

    async def roll_back_succeeded(self, why: str) -> None:
        """Return every service this release changed and left changed to its old revision."""
        # A target deployed with rollback disabled opted out of every rollback, this one too.
        keep = [
            m
            for m in self._machines.values()
            if m.result is not None
            and m.result.succeeded
            and m.result.changed
            and m.settings.rollback
        ]
        if not keep:
            return
        logger.warning(
            "ecsdeploy.release.rolling_back",
            release=self._release.name,
            reason=why,
            services=[str(m.target) for m in keep],
        )

        async def roll_back(machine: DeploymentMachine) -> None:
            assert machine.result is not None
            original = machine.target
            target = Target(
                original.cluster,
                original.service,
                region=original.region,
                task_definition=machine.result.rollback_task_definition_arn
                or machine.result.previous_task_definition_arn,
                settings=original.settings,
                # Each account's rollback with that account's own (refreshed) credentials.
                role_arn=original.role_arn,
                external_id=original.external_id,
            )
            settings = machine.settings.with_overrides(rollback=False)
            # Its turn first (max_concurrency): a rollback queued behind others' gets its own
            # deadline from when it starts, not one spent waiting (then nothing was recorded).
            async with self._limiter:
                await self._roll_back_one(machine, target, settings, why)

        async with anyio.create_task_group() as group:
            for machine in keep:
                group.start_soon(roll_back, machine)

    async def _roll_back_one(
        self, machine: DeploymentMachine, target: Target, settings: DeploySettings, why: str
    ) -> None:
        """One service's release rollback, on its own deadline; never over a later deployment."""
        assert machine.result is not None
        original = machine.target
        ours = machine.result.task_definition_arn
        timeout = machine.settings.effective_rollback_timeout
        # Half the deadline for finding out whether someone deployed since (reads may fail
        # for a while), the rest for the rollback, which reads again before acting.
        check_until = anyio.current_time() + timeout / 2
        rollback: DeploymentMachine | None = None
        with anyio.move_on_after(timeout):
            while True:
                someone_else = await self._someone_else(machine, until=check_until)
                if someone_else is not None:
                    logger.warning(
                        "ecsdeploy.release.superseded",
                        service=str(original),
                        reason=someone_else,
                    )
                    self._superseded[original.key] = someone_else
                    return
                # Changes nothing unless the service still runs the release's revision
                # on the rollback's last read before UpdateService.
                rollback = await self._deployer._start_machine(target, settings, only_over=ours)
                await rollback.run()
                if rollback.found_instead is None and not _aws_failed_first(rollback):
                    break
                # One read saw another revision: confirm it, or see ours again and retry.
                # AWS failing before the rollback changed anything (an outage past the
                # retries, STS unable to refresh expired credentials) is tried again too:
                # a rollback keeps trying until its own deadline.
                await anyio.sleep(machine.settings.poll_interval)
        result = rollback.result if rollback is not None else None
        if result is None:  # cancelled by its deadline before it could even start
            return
        if result.outcome is Outcome.SUPERSEDED:
            # Someone deployed over the rollback itself: theirs now, not a failed rollback.
            until = anyio.current_time() + timeout
            self._superseded[original.key] = (
                await self._someone_else(machine, until=until) or result.reason
            )
            logger.warning(
                "ecsdeploy.release.superseded",
                service=str(original),
                reason=self._superseded[original.key],
            )
            return
        self._rollbacks[original.key] = _with_reason(result, why)
        if result.succeeded:
            await machine.forget_revision()

    async def _someone_else(self, machine: DeploymentMachine, *, until: float) -> str | None:
        """Who deployed over the release's revision since, if anyone (confirmed by agreeing
        reads, as WATCH confirms a supersession); None while the service still runs ours, or
        when it could not be read by `until` (the guarded rollback then reads again)."""
        assert machine.result is not None
        ours = machine.result.task_definition_arn
        interval = machine.settings.poll_interval
        seen: list[str] = []
        started = anyio.current_time()
        while True:
            try:
                service = await self._deployer.read_service(machine.target)
            except EcsDeployError as exc:
                # Unknown is not "someone else", nor "still ours": read again while there is time.
                logger.warning("ecsdeploy.release.read_failed", error=str(exc))
                if anyio.current_time() >= until:
                    return None
                await anyio.sleep(interval)
                continue
            primary = primary_of(service) or {}
            running = str(primary.get("taskDefinition", ""))
            if running == ours:
                return None
            seen.append(f"deployment {primary.get('id', '?')} ({running})")
            if (
                len(seen) >= CONFIRM_READS
                and anyio.current_time() - started >= CONFIRM_POLLS * interval
            ):
                return seen[-1]
            await anyio.sleep(interval)

    def outcomes(self) -> tuple[ServiceOutcome, ...]:
        outcomes = []
        for stage in self._release.stages:
            for target in stage.targets:
                machine = self._machines.get(target.key)
                outcomes.append(
                    ServiceOutcome(
                        target,
                        stage.name,
                        machine.result if machine else None,
                        self._rollbacks.get(target.key),
                        superseded_by=self._superseded.get(target.key),
                        skipped_because=self._skipped.get(target.key),
                    )
                )
        return tuple(outcomes)


def _aws_failed_first(machine: DeploymentMachine) -> bool:
    """The machine ended FAILED because AWS failed before it changed anything: not bad input,
    and not an UpdateService that may have landed (state unknown)."""
    result = machine.result
    return (
        result is not None
        and result.outcome is Outcome.FAILED
        and not result.changed
        and not result.input_error
        and not result.state_unknown
    )


def _with_reason(result: DeployResult, why: str) -> DeployResult:
    return replace(result, reason=why if result.succeeded else f"{why}; {result.reason}")
