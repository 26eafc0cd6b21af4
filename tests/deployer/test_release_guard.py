"""An atomic release's rollback never lands on someone else's later deployment, even when the
service cannot be read at the moment the release checks it (review of issue 9)."""

from __future__ import annotations

import anyio
import pytest

from ecsdeploy import (
    Deployer,
    DeployEvent,
    DeploySettings,
    ImageChange,
    Outcome,
    Phase,
    Release,
    Stage,
    Target,
)
from ecsdeploy.sim import Simulator
from tests.deployer.conftest import CLUSTER, POLL, Services

pytestmark = pytest.mark.anyio

#: Attempts RetryPolicy.fast() makes: one read that fails after every retry.
FAST_ATTEMPTS = 8


async def test_a_read_outage_during_the_release_rollback_never_overrides_a_hotfix(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """DescribeServices failing when the release checks a hotfixed service: the hotfix stays."""
    await services.create("api", desired=1)
    await services.create("worker", desired=1)
    sim.add_rule({"image": "myorg/nginx:stuck", "behavior": "slow_start", "seconds": 3600})
    stuck = Target(
        CLUSTER,
        "worker",
        [ImageChange("nginx", "myorg/nginx:stuck")],
        settings=DeploySettings(timeout=2, poll_interval=POLL, rollback_timeout=30),
    )
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/nginx:2")])
    release = Release([Stage("one", [api]), Stage("two", [stuck])])
    worker_watching = anyio.Event()

    def listener(event: DeployEvent) -> None:
        if event.target.service != "worker" or event.kind != "phase":
            return
        if event.phase is Phase.WATCH:
            worker_watching.set()
        elif event.phase is Phase.ROLLED_BACK:
            # The release's check of `api` comes next: its first read fails after every retry.
            sim.add_rule(
                {
                    "operation": "DescribeServices",
                    "error": "ServerException",
                    "count": FAST_ATTEMPTS,
                }
            )

    deployer.subscribe(listener)
    results = []

    async def run() -> None:
        results.append(await deployer.release(release))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await worker_watching.wait()
        hotfix = await services.ecs.register_task_definition(
            family="api",
            containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:hotfix", "memory": 128}],
        )
        hotfix_arn = hotfix["taskDefinition"]["taskDefinitionArn"]
        await services.ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=hotfix_arn)
    (result,) = results
    assert await services.task_definition("api") == hotfix_arn
    assert result.by_service()[f"{CLUSTER}/api"].state == "SUPERSEDED", [
        s.reason for s in result.services
    ]


async def test_a_guarded_deployment_changes_nothing_over_another_revision(
    deployer: Deployer, services: Services
) -> None:
    """`only_over`: PREFLIGHT finds the PRIMARY on another revision and changes nothing."""
    old = await services.create("api", desired=1)
    hotfix = await services.ecs.register_task_definition(
        family="api",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:hotfix", "memory": 128}],
    )
    hotfix_arn = hotfix["taskDefinition"]["taskDefinitionArn"]
    await services.ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=hotfix_arn)
    machine = await deployer.start_machine(
        Target(CLUSTER, "api", task_definition=old), only_over="arn:aws:ecs:ours"
    )
    result = await machine.run()
    assert not result.changed
    assert machine.found_instead is not None
    assert hotfix_arn in machine.found_instead
    assert await services.task_definition("api") == hotfix_arn


async def test_a_hotfix_over_the_release_rollback_is_superseded_not_a_failed_rollback(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """Someone deploys over the release's rollback while it rolls out: SUPERSEDED, exit 1."""
    await services.create("api", desired=1)
    await services.create("worker", desired=1)
    sim.add_rule({"image": "myorg/nginx:stuck", "behavior": "slow_start", "seconds": 3600})
    stuck = Target(
        CLUSTER,
        "worker",
        [ImageChange("nginx", "myorg/nginx:stuck")],
        settings=DeploySettings(timeout=2, poll_interval=POLL, rollback_timeout=30),
    )
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/nginx:2")])
    release = Release([Stage("one", [api]), Stage("two", [stuck])])
    api_watches = 0
    rollback_watching = anyio.Event()

    def listener(event: DeployEvent) -> None:
        nonlocal api_watches
        if event.kind != "phase":
            return
        if event.target.service == "worker" and event.phase is Phase.ROLLED_BACK:
            # The release's rollback of `api` (to the old image) will take its time.
            sim.add_rule({"image": "myorg/nginx:1.0", "behavior": "slow_start", "seconds": 3600})
        if event.target.service == "api" and event.phase is Phase.WATCH:
            api_watches += 1
            if api_watches == 2:
                rollback_watching.set()

    deployer.subscribe(listener)
    results = []

    async def run() -> None:
        results.append(await deployer.release(release))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await rollback_watching.wait()
        hotfix = await services.ecs.register_task_definition(
            family="api",
            containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:hotfix", "memory": 128}],
        )
        hotfix_arn = hotfix["taskDefinition"]["taskDefinitionArn"]
        await services.ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=hotfix_arn)
    (result,) = results
    assert await services.task_definition("api") == hotfix_arn
    states = {s.target.service: s.state for s in result.services}
    assert states == {"api": "SUPERSEDED", "worker": "ROLLED_BACK"}, [
        s.reason for s in result.services
    ]
    assert result.exit_code == 1


async def test_a_release_whose_only_service_changed_nothing_is_failed_not_rolled_back(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """UpdateService never landed: the release is FAILED (nothing to roll back), exit 1."""
    old = await services.create("api", desired=1)
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/nginx:2")])
    sim.add_rule({"operation": "UpdateService", "error": "ServerException"})
    result = await deployer.release(Release([Stage("one", [api])]))
    sim.clear_rules()
    assert await services.task_definition("api") == old
    assert result.outcome is Outcome.FAILED, [s.reason for s in result.services]
    assert result.exit_code == 1


async def test_a_release_whose_only_service_was_superseded_says_so(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """Someone deployed over the release's only service: the release is SUPERSEDED, not
    ROLLED_BACK (nothing was rolled back)."""
    old = await services.create("api", desired=1)
    sim.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/nginx:slow")])
    watching = anyio.Event()
    deployer.subscribe(
        lambda e: watching.set() if e.kind == "phase" and e.phase is Phase.WATCH else None
    )
    results = []

    async def run() -> None:
        results.append(await deployer.release(Release([Stage("one", [api])])))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await watching.wait()
        await services.ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=old)
    (result,) = results
    assert result.by_service()[f"{CLUSTER}/api"].state == "SUPERSEDED"
    assert result.outcome is Outcome.SUPERSEDED
    assert result.exit_code == 1
