"""Many deployments on one Deployer: shared observation, batched calls, faults."""

from __future__ import annotations

import math

import pytest

from ecsdeploy import Deployer, ImageChange, Outcome, Target
from ecsdeploy._deployer import observer_stats
from ecsdeploy.sim import Simulator
from tests.deployer.conftest import CLUSTER, Services

pytestmark = pytest.mark.anyio


async def test_twenty_concurrent_deploys_share_batched_describe_calls(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """20 services in one cluster cost ceil(20/10) DescribeServices per tick, not 20."""
    names = [f"svc-{i:02d}" for i in range(20)]
    for name in names:
        await services.create(name, desired=1)
    before = sim.stats()["calls"].get("DescribeServices", 0)
    targets = [Target(CLUSTER, name, [ImageChange("nginx", "myorg/nginx:2.0")]) for name in names]
    results = await deployer.deploy_many(targets)
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 20, [r.reason for r in results]
    assert [r.target.service for r in results] == names
    calls = sim.stats()["calls"]["DescribeServices"] - before
    ticks = observer_stats(deployer, CLUSTER).ticks
    # One DescribeServices per service in PREFLIGHT, then ceil(20 / 10) per shared poll tick.
    assert ticks > 0
    assert calls <= len(names) + ticks * math.ceil(len(names) / 10)
    # Without batching it would have been one call per service per tick.
    assert calls < len(names) * ticks


async def test_services_sharing_a_family_and_changes_share_one_revision(
    deployer: Deployer, services: Services
) -> None:
    """Two services on one task-definition family with the same change get one new revision."""
    old = await services.create("blue")
    await services.ecs.create_service(
        cluster=CLUSTER, serviceName="green", taskDefinition=old, desiredCount=1
    )
    await services.sim.advance(600)
    change = [ImageChange("nginx", "myorg/nginx:2.0")]
    blue, green = await deployer.deploy_many(
        [Target(CLUSTER, "blue", change), Target(CLUSTER, "green", change)]
    )
    assert blue.succeeded, blue.reason
    assert green.succeeded, green.reason
    assert blue.task_definition_arn == green.task_definition_arn
    assert await services.revisions("blue") == [old, blue.task_definition_arn]


async def test_deploys_survive_throttling_and_server_errors(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """Injected ThrottlingException and 500s are retried; the outcome is still right."""
    await services.create(desired=2)
    sim.add_rule({"operation": "*", "error": "ThrottlingException", "probability": 0.3})
    sim.add_rule({"operation": "DescribeServices", "error": "ServerException", "probability": 0.2})
    result = await deployer.deploy(Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/x:2")]))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    stats = sim.stats()
    assert sum(stats["throttled"].values()) > 0


async def test_dropped_connections_and_latency_do_not_fake_success(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """With resets and slow answers, a crashing image is still rolled back, never SUCCEEDED."""
    old = await services.create(desired=2)
    sim.add_rule({"image": "myorg/nginx:crash", "behavior": "crash", "exit_code": 2, "after": 5})
    sim.add_rule({"operation": "DescribeServices", "error": "reset", "probability": 0.2})
    sim.add_rule({"operation": "ListTasks", "error": "latency", "seconds": 0.05, "count": 5})
    result = await deployer.deploy(
        Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/nginx:crash")])
    )
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    sim.clear_rules()  # so that our own check below is not reset
    assert await services.task_definition() == old


async def test_failures_before_any_change_are_reported_not_raised(
    deployer: Deployer, services: Services, sim: Simulator
) -> None:
    """An AWS outage in PREFLIGHT is FAILED with nothing changed (exit 1, not 2)."""
    old = await services.create()
    sim.add_rule({"operation": "DescribeServices", "error": "ServerException", "probability": 1.0})
    result = await deployer.deploy(Target(CLUSTER, "webapp", [ImageChange("nginx", "myorg/x:2")]))
    assert result.outcome is Outcome.FAILED
    assert not result.changed
    assert not result.input_error
    assert result.exit_code == 1
    assert "ServerException" in result.reason or "DescribeServices" in result.reason
    sim.clear_rules()
    assert await services.revisions() == [old]
