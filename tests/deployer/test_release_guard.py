"""An atomic release's rollback never lands on someone else's later deployment, even when the
service cannot be read at the moment the release checks it (review of issue 9)."""

from __future__ import annotations

import anyio
import pytest

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
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices
from tests.deployer.stuck_worker import api_and_stuck_worker

pytestmark = pytest.mark.anyio

#: Attempts RetryPolicy.fast() makes: one read that fails after every retry.
FAST_ATTEMPTS = 8


async def test_a_read_outage_during_the_release_rollback_never_overrides_a_hotfix(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """DescribeServices failing when the release checks a hotfixed service: the hotfix stays."""
    _, stuck = await api_and_stuck_worker(ecs_services, ecs_simulator, worker_timeout=2)
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
            ecs_simulator.add_rule(
                {
                    "operation": "DescribeServices",
                    "error": "ServerException",
                    "count": FAST_ATTEMPTS,
                }
            )

    ecs_deployer.subscribe(listener)
    results = []

    async def run() -> None:
        results.append(await ecs_deployer.release(release))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await worker_watching.wait()
        hotfix = await ecs_services.ecs.register_task_definition(
            family="api",
            containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:hotfix", "memory": 128}],
        )
        hotfix_arn = hotfix["taskDefinition"]["taskDefinitionArn"]
        await ecs_services.ecs.update_service(
            cluster=CLUSTER, service="api", taskDefinition=hotfix_arn
        )
    (result,) = results
    assert await ecs_services.task_definition("api") == hotfix_arn
    assert result.by_service()[f"{CLUSTER}/api"].state == "SUPERSEDED", [
        s.reason for s in result.services
    ]


async def test_a_guarded_deployment_changes_nothing_over_another_revision(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """`only_over`: PREFLIGHT finds the PRIMARY on another revision and changes nothing."""
    old = await ecs_services.create("api", desired=1)
    hotfix = await ecs_services.ecs.register_task_definition(
        family="api",
        containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:hotfix", "memory": 128}],
    )
    hotfix_arn = hotfix["taskDefinition"]["taskDefinitionArn"]
    await ecs_services.ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=hotfix_arn)
    machine = await ecs_deployer._start_machine(
        Target(CLUSTER, "api", task_definition=old), only_over="arn:aws:ecs:ours"
    )
    result = await machine.run()
    assert not result.changed
    assert machine.found_instead is not None
    assert hotfix_arn in machine.found_instead
    assert await ecs_services.task_definition("api") == hotfix_arn


async def test_a_hotfix_over_the_release_rollback_is_superseded_not_a_failed_rollback(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Someone deploys over the release's rollback while it rolls out: SUPERSEDED, exit 1."""
    _, stuck = await api_and_stuck_worker(ecs_services, ecs_simulator, worker_timeout=2)
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
            ecs_simulator.add_rule(
                {"image": "myorg/nginx:1.0", "behavior": "slow_start", "seconds": 3600}
            )
        if event.target.service == "api" and event.phase is Phase.WATCH:
            api_watches += 1
            if api_watches == 2:
                rollback_watching.set()

    ecs_deployer.subscribe(listener)
    results = []

    async def run() -> None:
        results.append(await ecs_deployer.release(release))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await rollback_watching.wait()
        hotfix = await ecs_services.ecs.register_task_definition(
            family="api",
            containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:hotfix", "memory": 128}],
        )
        hotfix_arn = hotfix["taskDefinition"]["taskDefinitionArn"]
        await ecs_services.ecs.update_service(
            cluster=CLUSTER, service="api", taskDefinition=hotfix_arn
        )
    (result,) = results
    assert await ecs_services.task_definition("api") == hotfix_arn
    states = {s.target.service: s.state for s in result.services}
    assert states == {"api": "SUPERSEDED", "worker": "ROLLED_BACK"}, [
        s.reason for s in result.services
    ]
    assert result.exit_code == 1


async def test_a_release_whose_only_service_changed_nothing_is_failed_not_rolled_back(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """UpdateService never landed: the release is FAILED (nothing to roll back), exit 1."""
    old = await ecs_services.create("api", desired=1)
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/nginx:2")])
    ecs_simulator.add_rule({"operation": "UpdateService", "error": "ServerException"})
    result = await ecs_deployer.release(Release([Stage("one", [api])]))
    ecs_simulator.clear_rules()
    assert await ecs_services.task_definition("api") == old
    assert result.outcome is Outcome.FAILED, [s.reason for s in result.services]
    assert result.exit_code == 1


async def test_a_release_whose_only_service_was_superseded_says_so(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Someone deployed over the release's only service: the release is SUPERSEDED, not
    ROLLED_BACK (nothing was rolled back)."""
    old = await ecs_services.create("api", desired=1)
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/nginx:slow")])
    watching = anyio.Event()
    ecs_deployer.subscribe(
        lambda e: watching.set() if e.kind == "phase" and e.phase is Phase.WATCH else None
    )
    results = []

    async def run() -> None:
        results.append(await ecs_deployer.release(Release([Stage("one", [api])])))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await watching.wait()
        await ecs_services.ecs.update_service(cluster=CLUSTER, service="api", taskDefinition=old)
    (result,) = results
    assert result.by_service()[f"{CLUSTER}/api"].state == "SUPERSEDED"
    assert result.outcome is Outcome.SUPERSEDED
    assert result.exit_code == 1


async def test_the_release_rollback_of_a_service_keeps_trying_through_an_aws_failure(
    ecs_deployer: Deployer,
    ecs_services: EcsServices,
    ecs_simulator: Simulator,
) -> None:
    """AWS failing the release's rollback of a service before it changed anything (its
    UpdateService failing after every retry) is tried again until the rollback's deadline, not
    ROLLBACK_FAILED at once: the service is back on its old revision."""
    old, stuck = await api_and_stuck_worker(ecs_services, ecs_simulator, worker_timeout=2)
    api = Target(CLUSTER, "api", [ImageChange("nginx", "myorg/nginx:2")])
    release = Release([Stage("one", [api]), Stage("two", [stuck])], atomic=True)

    def listener(event: DeployEvent) -> None:
        if (
            event.kind == "phase"
            and event.target.service == "worker"
            and event.phase is Phase.ROLLED_BACK
        ):
            # The release's rollback of `api` comes next: its UpdateService fails for good.
            ecs_simulator.add_rule(
                {"operation": "UpdateService", "error": "ServerException", "count": FAST_ATTEMPTS}
            )

    ecs_deployer.subscribe(listener)
    result = await ecs_deployer.release(release)

    states = {s.target.service: s.state for s in result.services}
    assert states == {"api": "ROLLED_BACK", "worker": "ROLLED_BACK"}, [
        s.reason for s in result.services
    ]
    assert await ecs_services.task_definition("api") == old
    assert result.exit_code == 1
