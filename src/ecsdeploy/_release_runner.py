"""Running a Release on a Deployer: validation, stages, atomic rollback, cancellation."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import anyio
import structlog

from ecsdeploy._machine import DeploymentMachine
from ecsdeploy._models import Target
from ecsdeploy._release import Release, ReleaseResult, ServiceOutcome, Stage
from ecsdeploy._result import DeployResult
from ecsdeploy.exceptions import EcsDeployError

if TYPE_CHECKING:
    from ecsdeploy._deployer import Deployer

__all__ = ["run_release"]

logger = structlog.get_logger("ecsdeploy")


async def run_release(deployer: Deployer, release: Release) -> ReleaseResult:
    started = time.time()
    log = logger.bind(release=release.name)
    log.info("ecsdeploy.release.started", services=len(release.targets), stages=len(release.stages))
    problems = await _validate(deployer, release)
    if problems:
        log.warning("ecsdeploy.release.invalid", problems=problems)
        return ReleaseResult(
            release,
            tuple(ServiceOutcome(t, s.name, None) for s in release.stages for t in s.targets),
            started,
            error="; ".join(problems),
        )
    run = _ReleaseRun(deployer, release)
    try:
        for stage in release.stages:
            log.info("ecsdeploy.release.stage_started", stage=stage.name)
            if not await run.stage(stage):
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
        raise
    result = ReleaseResult(release, run.outcomes(), started)
    log.info(
        "ecsdeploy.release.finished",
        outcome=result.outcome.value,
        duration=round(result.duration, 3),
    )
    return result


async def _validate(deployer: Deployer, release: Release) -> list[str]:
    """PREFLIGHT of every target, concurrently; the problems found, if any."""
    problems: list[str] = []
    limiter = anyio.CapacityLimiter(release.max_concurrency)

    async def check(target: Target) -> None:
        async with limiter:
            try:
                await deployer.plan(target)
            except EcsDeployError as exc:
                problems.append(f"{target}: {exc}")

    async with anyio.create_task_group() as group:
        for target in release.targets:
            group.start_soon(check, target)
    return sorted(problems)


class _ReleaseRun:
    def __init__(self, deployer: Deployer, release: Release) -> None:
        self._deployer = deployer
        self._release = release
        self._limiter = anyio.CapacityLimiter(release.max_concurrency)
        self._machines: dict[tuple[str | None, str, str], DeploymentMachine] = {}
        self._rollbacks: dict[tuple[str | None, str, str], DeployResult] = {}

    async def stage(self, stage: Stage) -> bool:
        """Deploy a stage's targets concurrently; True if all succeeded."""

        async def deploy(target: Target) -> None:
            async with self._limiter:
                machine = await self._deployer.start_machine(target)
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
                task_definition=machine.result.previous_task_definition_arn,
                settings=original.settings,
            )
            settings = machine.settings.with_overrides(rollback=False)
            async with self._limiter:
                rollback = await self._deployer.start_machine(target, settings)
                with anyio.move_on_after(machine.settings.effective_rollback_timeout):
                    await rollback.run()
            result = rollback.result
            if result is None:  # cancelled by its deadline before it could even start
                return
            self._rollbacks[original.key] = _with_reason(result, why)
            if result.succeeded:
                await machine.forget_revision()

        async with anyio.create_task_group() as group:
            for machine in keep:
                group.start_soon(roll_back, machine)

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
                    )
                )
        return tuple(outcomes)


def _with_reason(result: DeployResult, why: str) -> DeployResult:
    return replace(result, reason=why if result.succeeded else f"{why}; {result.reason}")
