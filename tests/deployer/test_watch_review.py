"""Adversarial review of WATCH and ROLLBACK (review 9a): each test reproduces a bug found in the
watch/rollback logic, end to end on the simulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import anyio
import pytest

from ecsdeploy import Deployer, DeploySettings, Outcome, Phase
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, REGION, EcsServices
from tests._fixtures.scenario import CRASH, once_in, to

pytestmark = pytest.mark.anyio

BLIND = {"operation": "DescribeServices", "error": "ServerException"}
#: WATCH gives up after one and a half polls: it reads a hotfix at most twice, never the three
#: agreeing reads that would confirm it, whatever the machine's load (a late poll reads less).
UNCONFIRMED = DeploySettings(timeout=0.3, poll_interval=0.2, rollback_timeout=30)


def hotfix_lands(simulator: Simulator, hotfix: str) -> Callable[[], None]:
    """A human's UpdateService to `hotfix`, applied at once inside a phase hook: it lands before
    WATCH's first read, however busy the machine is."""

    def land() -> None:
        simulator.backend.handle(
            REGION,
            "UpdateService",
            {"cluster": CLUSTER, "service": "webapp", "taskDefinition": hotfix},
        )

    return land


async def register(ecs_services: EcsServices, image: str) -> str:
    registered = await ecs_services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[{"name": "nginx", "image": image, "essential": True, "memory": 128}],
    )
    return registered["taskDefinition"]["taskDefinitionArn"]


async def test_a_hotfix_before_ecs_rollback_is_read_is_superseded_not_a_failed_rollback(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ECS is rolling ours back and a human's hotfix lands first: SUPERSEDED, left alone, never
    ROLLBACK_FAILED telling the human to roll back over their own hotfix."""
    await ecs_services.create(breaker=True, breaker_rollback=True)
    ecs_simulator.add_rule(CRASH)
    hotfix = await register(ecs_services, "myorg/nginx:hotfix")
    rolling_back = anyio.Event()

    def go_blind() -> None:
        ecs_simulator.add_rule(BLIND)  # the rollback's first reads fail: the hotfix lands meanwhile
        rolling_back.set()

    ecs_deployer.subscribe(once_in(Phase.ROLLBACK, go_blind))
    results = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(to("myorg/nginx:crash")))

    async with anyio.create_task_group() as group:
        group.start_soon(deploy)
        await rolling_back.wait()
        await ecs_services.ecs.update_service(
            cluster=CLUSTER, service="webapp", taskDefinition=hotfix
        )
        ecs_simulator.clear_rules()
    (result,) = results
    assert result.outcome is Outcome.SUPERSEDED, result.reason
    assert result.rolled_back_by is None
    assert "left alone" in result.reason
    assert await ecs_services.task_definition() == hotfix


THROTTLED_PULLS = {
    "image": "myorg/nginx:1.0",
    "behavior": "pull_error",
    "reason": "CannotPullContainerError: toomanyrequests: You have reached your pull rate limit",
}


@pytest.mark.parametrize(
    ("breaker", "until"),
    [(False, "IN_PROGRESS"), (True, "FAILED")],
    ids=["failing-tasks", "stopped-by-ecs-breaker"],
)
async def test_a_rollback_whose_first_tasks_fail_transiently_still_completes(
    ecs_deployer: Deployer,
    ecs_services: EcsServices,
    ecs_simulator: Simulator,
    breaker: bool,
    until: str,
) -> None:
    """Rate-limited pulls fail the rollback's first tasks, then clear: ROLLED_BACK (deployed
    again if ECS's breaker stopped it), never an early ROLLBACK_FAILED saying the service may
    still run the broken revision."""
    # minimumHealthyPercent 0: the old tasks are gone, so the rollback must start new ones.
    old = await ecs_services.create(
        image="myorg/nginx:1.0", minimum_healthy=0, breaker=breaker, breaker_rollback=False
    )
    ecs_simulator.add_rule(CRASH)
    rolling_back = anyio.Event()

    def throttle_pulls() -> None:
        ecs_simulator.add_rule(THROTTLED_PULLS)
        rolling_back.set()

    ecs_deployer.subscribe(once_in(Phase.ROLLBACK, throttle_pulls))
    results = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(to("myorg/nginx:crash")))

    async with anyio.create_task_group() as group:
        group.start_soon(deploy)
        await rolling_back.wait()
        while True:  # the rollback deployment's first three tasks fail
            primary = (await ecs_services.describe())["deployments"][0]
            if (
                primary["taskDefinition"] == old
                and int(primary.get("failedTasks", 0)) >= 3
                and primary["rolloutState"] == until
            ):
                break
            await anyio.sleep(0.01)
        ecs_simulator.clear_rules()  # the registry's rate limit is over
    (result,) = results
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert await ecs_services.task_definition() == old


async def test_a_timed_out_watch_that_saw_someone_else_never_rolls_back_blind(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """WATCH timed out while a hotfix over ours was being confirmed and the rollback's first
    reads fail: the rollback waits for a read, sees the hotfix, leaves it (SUPERSEDED)."""
    await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    hotfix = await register(ecs_services, "myorg/nginx:hotfix")
    ecs_deployer.subscribe(once_in(Phase.WATCH, hotfix_lands(ecs_simulator, hotfix)))
    # More failures than one read's retry budget (8 attempts): the rollback's first read fails.
    ecs_deployer.subscribe(
        once_in(Phase.ROLLBACK, lambda: ecs_simulator.add_rule({**BLIND, "count": 12}))
    )
    result = await ecs_deployer.deploy(to("myorg/nginx:slow"), settings=UNCONFIRMED)
    assert result.outcome is Outcome.SUPERSEDED, result.reason
    assert result.rolled_back_by is None
    assert await ecs_services.task_definition() == hotfix


async def test_a_rollback_that_cannot_rule_out_someone_else_fails_at_its_deadline_unsent(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """WATCH timed out seeing a hotfix it could not confirm and reads never come back: nothing
    is sent over the hotfix; ROLLBACK_FAILED at the deadline says to check before acting."""
    await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    hotfix = await register(ecs_services, "myorg/nginx:hotfix")
    ecs_deployer.subscribe(once_in(Phase.WATCH, hotfix_lands(ecs_simulator, hotfix)))
    ecs_deployer.subscribe(once_in(Phase.ROLLBACK, lambda: ecs_simulator.add_rule(BLIND)))
    settings = replace(UNCONFIRMED, rollback_timeout=0.5)
    result = await ecs_deployer.deploy(to("myorg/nginx:slow"), settings=settings)
    ecs_simulator.clear_rules()
    assert result.outcome is Outcome.ROLLBACK_FAILED, result.reason
    assert "the rollback was not sent" in result.reason
    assert "UpdateService to the rollback target was accepted" not in result.reason
    assert await ecs_services.task_definition() == hotfix


async def test_a_deadline_during_the_first_rollback_read_still_says_nothing_was_sent(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A rollback deadline that passes while its first read hangs, after WATCH saw a hotfix it
    could not confirm, still says the rollback was not sent (check before rolling back)."""
    await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    hotfix = await register(ecs_services, "myorg/nginx:hotfix")
    ecs_deployer.subscribe(once_in(Phase.WATCH, hotfix_lands(ecs_simulator, hotfix)))
    # Every read from now on is answered only long after the rollback's deadline (a count would
    # let a poll of WATCH's still in flight take it): the deadline strikes while one is out.
    hang = {"operation": "DescribeServices", "error": "latency", "seconds": 2}
    ecs_deployer.subscribe(once_in(Phase.ROLLBACK, lambda: ecs_simulator.add_rule(hang)))
    settings = replace(UNCONFIRMED, rollback_timeout=0.5)
    result = await ecs_deployer.deploy(to("myorg/nginx:slow"), settings=settings)
    assert result.outcome is Outcome.ROLLBACK_FAILED, result.reason
    assert "the rollback was not sent" in result.reason
    assert "check the service before rolling back by hand" in result.reason
    ecs_simulator.clear_rules()
    assert await ecs_services.task_definition() == hotfix
