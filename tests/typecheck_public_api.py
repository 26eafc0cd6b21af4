"""The public API as a user's code sees it, checked by mypy (`nox -s typecheck`), never run.

Every exported name a user touches is used here the documented way, with `assert_type` where
the inferred type is the promise: a change that loosens or breaks a public type fails mypy.
"""

from __future__ import annotations

from typing import assert_type

from ecsdeploy import (
    Deployer,
    DeployEvent,
    DeployPlan,
    DeployResult,
    DeploySettings,
    EventKind,
    ExitCode,
    HealthCheck,
    ImageChange,
    Location,
    Observation,
    OneOffTask,
    Outcome,
    Release,
    ReleaseResult,
    ServiceOutcome,
    ServiceState,
    Stage,
    Target,
    TaskOutcome,
    TaskState,
    Verdict,
    load_release,
    parse_image_change,
)
from ecsdeploy.checks import (
    Alarms,
    BindableCheck,
    HttpProbe,
    TargetHealth,
    default_checks,
)
from ecsdeploy.exceptions import EcsDeployError, InputError, MissingPermissionError
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import EcsServices, deployment, observation, stopped_task


class HalfRunning:
    """A user's health check: structurally a HealthCheck, no base class needed."""

    name = "half-running"

    async def evaluate(self, observation: Observation) -> Verdict:
        ours = observation.deployment or {}
        if 2 * int(ours.get("runningCount", 0)) < int(ours.get("desiredCount", 0)):
            return Verdict.failed("fewer than half of the tasks run")
        return Verdict.healthy()


def on_event(event: DeployEvent) -> None:
    assert_type(event.kind, EventKind)
    if event.kind is EventKind.STOPPED_TASK:
        print(event.target, event.message)


async def deploy_and_release(services: EcsServices) -> int:
    checks: tuple[HealthCheck, ...] = (HalfRunning(), *default_checks())
    settings = DeploySettings(timeout=600, checks=checks)
    change = parse_image_change("web=org/web:2")
    assert_type(change, ImageChange)
    target = Target("prod", "web", [change])
    async with Deployer(region="us-east-2", settings=settings, listeners=[on_event]) as deployer:
        plan = await deployer.plan(target)
        assert_type(plan, DeployPlan)
        result = await deployer.deploy(target, bake=30)
        assert_type(result, DeployResult)
        assert_type(result.outcome, Outcome)
        assert_type(result.exit_code, ExitCode)
        release = Release([Stage("all", [target])], atomic=True)
        outcome = await deployer.release(release)
        assert_type(outcome, ReleaseResult)
        for service in outcome.services:
            assert_type(service, ServiceOutcome)
            assert_type(service.state, ServiceState)
        migrate = OneOffTask(
            "migrate", cluster="prod", task_definition_of="web", command={"web": ["migrate"]}
        )
        gated = await deployer.release(Release([Stage("apps", [target], tasks=[migrate])]))
        for task in gated.tasks:
            assert_type(task, TaskOutcome)
            assert_type(task.state, TaskState)
            assert_type(task.exit_codes["web"], int | None)
        for location, group in outcome.by_location().items():
            assert_type(location, Location)
            assert_type(location.account, str | None)
            assert_type(group, tuple[ServiceOutcome, ...])
        elsewhere = Target("prod", "web", [change], region="eu-west-1", role_arn="arn:...")
        assert_type(elsewhere.account, str | None)
        from_file = load_release("release.toml")
        assert_type(from_file, Release)
    return int(max(result.exit_code, outcome.exit_code))


async def unit_test_a_check() -> Verdict:
    seen = observation(deployment(running=1, desired=4), stopped_tasks=[stopped_task()])
    assert_type(seen, Observation)
    return await HalfRunning().evaluate(seen)


async def simulate() -> str:
    async with Simulator(speed=100, seed=1) as sim:
        await sim.advance(60)
        return sim.endpoint_url


def classify(error: Exception) -> ExitCode:
    if isinstance(error, InputError):
        return ExitCode.BAD_INPUT
    if isinstance(error, EcsDeployError):
        return ExitCode.NEEDS_ATTENTION
    return ExitCode.FAILED


def checks_beyond_ecs() -> DeploySettings:
    """The built-in checks that read ELBv2, CloudWatch and HTTP are HealthChecks to settings."""
    extra: tuple[HealthCheck, ...] = (
        TargetHealth(threshold=3),
        Alarms("web-5xx", prefix="web-"),
        HttpProbe("https://web.example.com/health", expect=200, times=3, headers={"Host": "x"}),
    )
    assert isinstance(extra[0], BindableCheck)
    return DeploySettings(extra_checks=extra)


def permission_of(error: Exception) -> str | None:
    if isinstance(error, MissingPermissionError):
        assert_type(error.permission, str)
        return error.permission
    return None
