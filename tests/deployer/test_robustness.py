"""Regressions found in review: each scenario once produced a wrong or late outcome."""

from __future__ import annotations

import anyio
import pytest

from ecsdeploy import (
    Deployer,
    DeployEvent,
    DeploySettings,
    Observation,
    Outcome,
    Phase,
    Release,
    RetryPolicy,
    Stage,
    Target,
    Verdict,
)
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, POLL_INTERVAL, REGION, EcsServices, offline_session
from tests._fixtures.scenario import in_lockstep, one_attempt_deployer, to

pytestmark = pytest.mark.anyio


async def test_one_crash_below_the_threshold_does_not_block_success(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ECS replaces a task that crashed once; when the rollout completes, that is success."""
    await ecs_services.create(desired=1)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:flaky", "behavior": "crash", "exit_code": 1, "after": 30}
    )

    def heal(event: DeployEvent) -> None:
        if event.kind == "stopped_task":
            ecs_simulator.clear_rules()  # the replacement tasks start fine

    ecs_deployer.subscribe(heal)
    # Simulated time moves 5 s per poll: however busy the machine, the rule is gone a poll or
    # two after the first crash, not after as many crashes as a late poll lets through.
    result = await in_lockstep(ecs_simulator, lambda: ecs_deployer.deploy(to("myorg/nginx:flaky")))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert 1 <= len(result.stopped_tasks) < 3


async def test_checks_that_always_agree_cannot_make_a_crash_succeed(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Replacing the built-in checks keeps the guards: success means our deployment completed."""

    class AlwaysOk:
        async def evaluate(self, observation: Observation) -> Verdict:
            return Verdict.healthy("looks fine to me")

    old = await ecs_services.create(desired=2)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"), checks=[AlwaysOk()], timeout=1)
    assert result.outcome is Outcome.ROLLED_BACK
    assert await ecs_services.task_definition() == old


async def test_service_events_are_reported_once(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Events seen during WATCH are not delivered again during ROLLBACK."""
    await ecs_services.create(desired=2)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    delivered: list[str] = []
    ecs_deployer.subscribe(
        lambda e: delivered.append(e.message) if e.kind == "service_event" else None
    )
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"))
    assert result.outcome is Outcome.ROLLED_BACK
    ids = [e.id for e in result.events]
    assert len(ids) == len(set(ids))
    assert len(delivered) == len(result.events)


async def test_failed_reads_during_rollback_are_retried(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A burst of 500s while rolling back delays the rollback; it does not abandon it."""
    old = await ecs_services.create(desired=2)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash", "behavior": "crash", "exit_code": 1, "after": 5}
    )

    def outage(event: DeployEvent) -> None:
        if event.kind == "phase" and event.phase is Phase.ROLLBACK:
            ecs_simulator.add_rule(
                {"operation": "DescribeServices", "error": "ServerException", "count": 12}
            )

    ecs_deployer.subscribe(outage)
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert await ecs_services.task_definition() == old


async def test_invalid_settings_are_a_failed_result_not_an_exception(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """A negative timeout is bad input: FAILED, exit 2, nothing touched."""
    old = await ecs_services.create()
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), timeout=-1)
    assert result.outcome is Outcome.FAILED
    assert result.exit_code == 2
    assert "timeout must be positive" in result.reason
    assert await ecs_services.revisions() == [old]
    assert result in ecs_deployer.results


async def test_a_service_deleted_during_watch_fails_at_once(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Nothing is left to watch or roll back: FAILED without waiting for the timeout."""
    await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    watching = anyio.Event()
    ecs_deployer.subscribe(lambda e: watching.set() if e.phase is Phase.WATCH else None)
    results = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(to("myorg/nginx:slow"), timeout=20))

    async with anyio.create_task_group() as group:
        group.start_soon(deploy)
        await watching.wait()
        await ecs_services.ecs.delete_service(cluster=CLUSTER, service="webapp", force=True)
    (result,) = results
    assert result.outcome is Outcome.FAILED
    assert "during WATCH" in result.reason
    assert result.duration < 10


async def test_cancelling_around_the_deployer_still_rolls_the_release_back(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The cancel scope encloses the Deployer (its poll loops die too); rollbacks still finish."""
    old = {name: await ecs_services.create(name, desired=1) for name in ("first", "second")}
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    release = Release(
        [
            Stage("one", [to("myorg/nginx:2", "first")]),
            Stage("two", [to("myorg/nginx:slow", "second")]),
        ]
    )
    settings = DeploySettings(timeout=30, poll_interval=POLL_INTERVAL, rollback_timeout=10)
    watching_second = anyio.Event()
    ecs_deployer = Deployer(
        session=offline_session(),
        region=REGION,
        endpoint_url=ecs_simulator.endpoint_url,
        settings=settings,
        retry=RetryPolicy.fast(),
    )
    ecs_deployer.subscribe(
        lambda e: (
            watching_second.set()
            if e.target.service == "second" and e.phase is Phase.WATCH
            else None
        )
    )
    started = anyio.current_time()
    async with anyio.create_task_group() as group:
        group.start_soon(_release_in, ecs_deployer, release)
        await watching_second.wait()
        group.cancel_scope.cancel()
    assert anyio.current_time() - started < 8
    for name, arn in old.items():
        assert await ecs_services.task_definition(name) == arn, name
    by_service = {r.target.service: r for r in ecs_deployer.results}
    assert by_service["second"].outcome is Outcome.ROLLED_BACK
    assert by_service["first"].outcome is Outcome.SUCCEEDED  # the release's rollback of it


async def _release_in(ecs_deployer: Deployer, release: Release) -> None:
    async with ecs_deployer:
        await ecs_deployer.release(release)


def test_targets_accept_arns_and_key_on_names() -> None:
    """A service ARN is the service: same key as its name, region taken from the ARN."""
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web"
    target = Target("arn:aws:ecs:eu-west-1:123456789012:cluster/prod", arn)
    assert (target.cluster, target.service, target.region) == ("prod", "web", "eu-west-1")
    assert target.key == Target("prod", "web", region="eu-west-1").key


async def test_a_rollback_keeps_trying_with_one_attempt_per_call(
    ecs_simulator: Simulator, ecs_services: EcsServices
) -> None:
    """attempts=1 (AWS_MAX_ATTEMPTS=1) bounds each call, not the rollback: failed reads and
    UpdateServices while rolling back are tried again until the service is back."""
    old = await ecs_services.create(desired=2, breaker_rollback=False)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    # ECS's own rollback refused: the rollback is our UpdateService, which must be resent.
    ecs_simulator.add_rule({"operation": "StopServiceDeployment", "error": "AccessDenied"})

    def outage(event: DeployEvent) -> None:
        if event.kind == "phase" and event.phase is Phase.ROLLBACK:
            for operation in ("DescribeServices", "UpdateService"):
                ecs_simulator.add_rule(
                    {"operation": operation, "error": "ServerException", "count": 4}
                )

    settings = DeploySettings(timeout=30, poll_interval=POLL_INTERVAL, rollback_timeout=30)
    async with one_attempt_deployer(ecs_simulator, settings, listeners=[outage]) as deployer:
        result = await deployer.deploy(to("myorg/nginx:crash"))

    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rollback_method == "update-service"
    assert await ecs_services.task_definition() == old
