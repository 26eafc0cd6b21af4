"""Many deployments on one Deployer: shared observation, batched calls, faults."""

from __future__ import annotations

import math

import pytest

from ecsdeploy import Deployer, ImageChange, Outcome, Release, Stage, Target
from ecsdeploy._deployer import observer_stats
from ecsdeploy._release.runner import _validate as validate_release
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices

pytestmark = pytest.mark.anyio


async def create_services(ecs_services: EcsServices, count: int, *, desired: int) -> list[str]:
    """Services svc-00, svc-01 ... (`count` of them), each `desired` tasks; their names."""
    names = [f"svc-{i:02d}" for i in range(count)]
    for name in names:
        await ecs_services.create(name, desired=desired)
    return names


def to_nginx_2(names: list[str]) -> list[Target]:
    """A target per service: its nginx container to myorg/nginx:2.0."""
    return [Target(CLUSTER, name, [ImageChange("nginx", "myorg/nginx:2.0")]) for name in names]


async def test_twenty_concurrent_deploys_share_batched_describe_calls(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """20 services in one cluster cost ceil(20/10) DescribeServices per tick, not 20."""
    names = await create_services(ecs_services, 20, desired=1)
    before = ecs_simulator.stats()["calls"].get("DescribeServices", 0)
    targets = to_nginx_2(names)
    results = await ecs_deployer.deploy_many(targets)
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 20, [r.reason for r in results]
    assert [r.target.service for r in results] == names
    calls = ecs_simulator.stats()["calls"]["DescribeServices"] - before
    ticks = observer_stats(ecs_deployer, CLUSTER).ticks
    # One DescribeServices per service in PREFLIGHT, then ceil(20 / 10) per shared poll tick.
    assert ticks > 0
    assert calls <= len(names) + ticks * math.ceil(len(names) / 10)
    # Without batching it would have been one call per service per tick.
    assert calls < len(names) * ticks


async def test_services_sharing_a_family_and_changes_share_one_revision(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """Two services on one task-definition family with the same change get one new revision."""
    old = await ecs_services.create("blue")
    await ecs_services.ecs.create_service(
        cluster=CLUSTER, serviceName="green", taskDefinition=old, desiredCount=1
    )
    await ecs_services.sim.advance(600)
    change = [ImageChange("nginx", "myorg/nginx:2.0")]
    blue, green = await ecs_deployer.deploy_many(
        [Target(CLUSTER, "blue", change), Target(CLUSTER, "green", change)]
    )
    assert blue.succeeded, blue.reason
    assert green.succeeded, green.reason
    assert blue.task_definition_arn == green.task_definition_arn
    assert await ecs_services.revisions("blue") == [old, blue.task_definition_arn]


async def test_deploys_survive_throttling_and_server_errors(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Injected ThrottlingException and 500s are retried; the outcome is still right."""
    await ecs_services.create(desired=2)
    ecs_simulator.add_rule({"operation": "*", "error": "ThrottlingException", "probability": 0.3})
    ecs_simulator.add_rule(
        {"operation": "DescribeServices", "error": "ServerException", "probability": 0.2}
    )
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/x:2")])
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    stats = ecs_simulator.stats()
    assert sum(stats["throttled"].values()) > 0


async def test_dropped_connections_and_latency_do_not_fake_success(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """With resets and slow answers, a crashing image is still rolled back, never SUCCEEDED."""
    old = await ecs_services.create(desired=2)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash", "behavior": "crash", "exit_code": 2, "after": 5}
    )
    ecs_simulator.add_rule({"operation": "DescribeServices", "error": "reset", "probability": 0.2})
    ecs_simulator.add_rule(
        {"operation": "ListTasks", "error": "latency", "seconds": 0.05, "count": 5}
    )
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/nginx:crash")])
    )
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    ecs_simulator.clear_rules()  # so that our own check below is not reset
    assert await ecs_services.task_definition() == old


async def test_failures_before_any_change_are_reported_not_raised(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """An AWS outage in PREFLIGHT is FAILED with nothing changed (exit 1, not 2)."""
    old = await ecs_services.create()
    ecs_simulator.add_rule(
        {"operation": "DescribeServices", "error": "ServerException", "probability": 1.0}
    )
    result = await ecs_deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/x:2")])
    )
    assert result.outcome is Outcome.FAILED
    assert not result.changed
    assert not result.input_error
    assert result.exit_code == 1
    assert "ServerException" in result.reason or "DescribeServices" in result.reason
    ecs_simulator.clear_rules()
    assert await ecs_services.revisions() == [old]


async def test_a_healthy_rollout_lists_no_stopped_tasks(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Ten healthy rollouts cost no ListTasks: ECS's counters never said a task of ours stopped."""
    names = await create_services(ecs_services, 10, desired=2)
    targets = to_nginx_2(names)
    results = await ecs_deployer.deploy_many(targets)
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 10, [r.reason for r in results]
    assert ecs_simulator.stats()["calls"].get("ListTasks", 0) == 0


async def test_a_crash_among_healthy_rollouts_lists_only_its_own_stopped_tasks(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Only the crashing service's deployment is listed, and its crash keeps its exit code."""
    names = await create_services(ecs_services, 5, desired=2)
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash", "behavior": "crash", "exit_code": 3, "after": 5}
    )
    images = ["myorg/nginx:crash", *["myorg/nginx:2.0"] * 4]
    targets = [
        Target(CLUSTER, name, [ImageChange("nginx", image)])
        for name, image in zip(names, images, strict=True)
    ]
    crashed, *healthy = await ecs_deployer.deploy_many(targets)
    assert all(r.outcome is Outcome.SUCCEEDED for r in healthy), [r.reason for r in healthy]
    assert crashed.outcome is Outcome.ROLLED_BACK, crashed.reason
    assert any(c.exit_code == 3 for t in crashed.stopped_tasks for c in t.containers)
    assert all(not r.stopped_tasks for r in healthy)
    listed = ecs_simulator.stats()["calls"].get("ListTasks", 0)
    assert 1 <= listed <= 10


async def test_a_release_validates_every_service_in_shared_batches_whatever_its_concurrency(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Validating 20 services of a release that deploys one at a time reads them together:
    PREFLIGHT's agreeing reads cost batches of 10, not 20 one-service reads each."""
    names = await create_services(ecs_services, 20, desired=1)
    before = ecs_simulator.stats()["calls"].get("DescribeServices", 0)
    release = Release(
        [
            Stage(
                "all",
                to_nginx_2(names),
            )
        ],
        max_concurrency=1,
    )
    problems, aws_problems = await validate_release(ecs_deployer, release)
    assert (problems, aws_problems) == ([], [])
    calls = ecs_simulator.stats()["calls"]["DescribeServices"] - before
    # Three agreeing reads of two batches of ten (a read may be repeated), not 3 x 20.
    assert calls <= 12
