"""Releases on the simulator: stages, atomic rollback, cancellation, clusters and regions."""

from __future__ import annotations

import anyio
import pytest
from botocore.config import Config

from ecsdeploy import (
    Deployer,
    DeployEvent,
    ImageChange,
    Outcome,
    Phase,
    Release,
    Stage,
    Target,
)
from ecsdeploy.exceptions import InputError
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices, offline_session

pytestmark = pytest.mark.anyio


def to(service: str, image: str, *, cluster: str = CLUSTER, region: str | None = None) -> Target:
    return Target(cluster, service, [ImageChange("nginx", image)], region=region)


async def three_stage_services(ecs_services: EcsServices) -> dict[str, str]:
    return {
        name: await ecs_services.create(name, desired=1)
        for name in ("migrate", "api", "worker", "web")
    }


def three_stages(worker_image: str = "myorg/worker:2") -> list[Stage]:
    return [
        Stage("migrate", [to("migrate", "myorg/migrate:2")]),
        Stage("apps", [to("api", "myorg/api:2"), to("worker", worker_image)]),
        Stage("edge", [to("web", "myorg/web:2")]),
    ]


async def test_three_stage_release_succeeds_in_order(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """Every service ends on its new revision; a stage starts only after the previous one."""
    old = await three_stage_services(ecs_services)
    result = await ecs_deployer.release(Release(three_stages()))
    assert result.outcome is Outcome.SUCCEEDED, [s.reason for s in result.services]
    assert result.exit_code == 0
    assert [s.state for s in result.services] == ["SUCCEEDED"] * 4
    for outcome in result.services:
        assert (
            await ecs_services.task_definition(outcome.target.service)
            != old[outcome.target.service]
        )
    finished = {s.target.service: s.result.finished_at for s in result.services if s.result}
    started = {s.target.service: s.result.started_at for s in result.services if s.result}
    assert finished["migrate"] <= min(started["api"], started["worker"])
    assert max(finished["api"], finished["worker"]) <= started["web"]


async def test_atomic_release_rolls_back_earlier_stages_when_stage_two_fails(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A crash in stage 2 rolls back stage 1 and stage 2's good service; stage 3 never starts."""
    old = await three_stage_services(ecs_services)
    ecs_simulator.add_rule(
        {"image": "myorg/worker:bad", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    result = await ecs_deployer.release(Release(three_stages("myorg/worker:bad")))
    assert result.outcome is Outcome.ROLLED_BACK
    assert result.exit_code == 1
    states = {s.target.service: s.state for s in result.services}
    assert states == {
        "migrate": "ROLLED_BACK",
        "api": "ROLLED_BACK",
        "worker": "ROLLED_BACK",
        "web": "SKIPPED",
    }
    by_service = result.by_service()
    assert "dev-ecs-cluster/worker failed" in by_service["dev-ecs-cluster/migrate"].reason
    for name, arn in old.items():
        assert await ecs_services.task_definition(name) == arn, name


async def test_non_atomic_release_keeps_the_good_services(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """atomic=False rolls back only the failed service; later stages still do not start."""
    old = await three_stage_services(ecs_services)
    ecs_simulator.add_rule(
        {"image": "myorg/worker:bad", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    result = await ecs_deployer.release(Release(three_stages("myorg/worker:bad"), atomic=False))
    assert result.outcome is Outcome.FAILED
    states = {s.target.service: s.state for s in result.services}
    assert states == {
        "migrate": "SUCCEEDED",
        "api": "SUCCEEDED",
        "worker": "ROLLED_BACK",
        "web": "SKIPPED",
    }
    assert await ecs_services.task_definition("worker") == old["worker"]
    assert await ecs_services.task_definition("api") != old["api"]


async def test_bad_target_in_a_later_stage_changes_nothing(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """Every target is validated before stage 1 starts: exit 2 and the account is untouched."""
    old = await three_stage_services(ecs_services)
    stages = three_stages()
    stages[2] = Stage("edge", [Target(CLUSTER, "web", [ImageChange("no-such", "myorg/web:2")])])
    result = await ecs_deployer.release(Release(stages))
    assert result.outcome is Outcome.FAILED
    assert result.exit_code == 2
    assert result.error is not None
    assert "no-such" in result.error
    for name, arn in old.items():
        assert await ecs_services.task_definition(name) == arn
        assert await ecs_services.revisions(name) == [arn]


async def test_cancelling_a_release_rolls_back_what_it_changed(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Cancelled in stage 2: stage 2's in-flight deploys and stage 1's finished one roll back."""
    old = await three_stage_services(ecs_services)
    ecs_simulator.add_rule(
        {"image": "myorg/worker:slow", "behavior": "slow_start", "seconds": 3600}
    )
    watching_worker = anyio.Event()

    def on_event(event: DeployEvent) -> None:
        if event.target.service == "worker" and event.phase is Phase.WATCH:
            watching_worker.set()

    ecs_deployer.subscribe(on_event)
    async with anyio.create_task_group() as group:
        group.start_soon(ecs_deployer.release, Release(three_stages("myorg/worker:slow")))
        await watching_worker.wait()
        group.cancel_scope.cancel()
    for name, arn in old.items():
        assert await ecs_services.task_definition(name) == arn, name
    outcomes = {
        r.target.service: r.outcome for r in ecs_deployer.results if not r.target.task_definition
    }
    assert outcomes["worker"] is Outcome.ROLLED_BACK


async def test_two_clusters_and_two_regions_in_one_release(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Targets in another cluster and another region are deployed by the same release."""
    await ecs_services.create("api", desired=1)
    old_worker = await ecs_services.create("worker", desired=1, cluster="workers")
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    async with offline_session().client(
        "ecs", endpoint_url=ecs_simulator.endpoint_url, region_name="eu-west-1", config=config
    ) as eu_client:
        europe = EcsServices(eu_client, ecs_simulator)
        eu_old = await europe.create("api", desired=1)
        release = Release(
            [
                Stage(
                    "everywhere",
                    [
                        to("api", "myorg/api:3"),
                        to("worker", "myorg/worker:3", cluster="workers"),
                        to("api", "myorg/api:3", region="eu-west-1"),
                    ],
                )
            ]
        )
        result = await ecs_deployer.release(release)
        assert result.outcome is Outcome.SUCCEEDED, [s.reason for s in result.services]
        assert await europe.task_definition("api") != eu_old
        assert "eu-west-1" in await europe.task_definition("api")
    assert await ecs_services.task_definition("worker", cluster="workers") != old_worker


def test_a_release_is_validated_when_built() -> None:
    """Empty stages and duplicate services are refused with what is wrong."""
    with pytest.raises(InputError, match="has no services"):
        Release([Stage("empty", [])])
    with pytest.raises(InputError, match="repeated"):
        Release([Stage("a", [to("api", "x:1")]), Stage("b", [to("api", "x:2")])])
    with pytest.raises(InputError, match="no stages"):
        Release([])
