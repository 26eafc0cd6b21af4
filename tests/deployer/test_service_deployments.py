"""Service deployments on rolling services, end to end: our record is followed, our rollback
asks ECS for it with StopServiceDeployment, and a missing permission falls back to
UpdateService without failing anything by itself."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import anyio
import pytest

from ecsdeploy import Deployer, DeployResult, Observation, Outcome, Phase, Verdict
from ecsdeploy._gateway import EcsGateway
from ecsdeploy._models import epoch
from ecsdeploy._observer import RECORD_WAIT, ClusterObserver
from ecsdeploy._service_deployments import RecordTracker
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, REGION, EcsServices, offline_session
from tests._fixtures.scenario import CRASH, Lockstep, once_in, to

pytestmark = pytest.mark.anyio


async def _records(ecs_services: EcsServices) -> list[dict[str, Any]]:
    """Every service deployment of the service, newest first, described."""
    ecs = ecs_services.ecs
    briefs = await ecs.list_service_deployments(cluster=CLUSTER, service="webapp")
    arns = [b["serviceDeploymentArn"] for b in briefs["serviceDeployments"]]
    described = await ecs.describe_service_deployments(serviceDeploymentArns=arns)
    by_arn = {d["serviceDeploymentArn"]: dict(d) for d in described["serviceDeployments"]}
    return [by_arn[arn] for arn in arns]


async def test_a_healthy_rolling_deployment_costs_no_service_deployment_call(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A healthy rolling rollout is judged by DescribeServices alone: no ListServiceDeployments
    or DescribeServiceDeployments, and the result names no record."""
    await ecs_services.create(breaker=True)
    before = dict(ecs_simulator.stats()["calls"])
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    calls = ecs_simulator.stats()["calls"]
    for operation in ("ListServiceDeployments", "DescribeServiceDeployments"):
        assert calls.get(operation, 0) == before.get(operation, 0), operation
    assert result.service_deployment_arn is None
    newest = (await _records(ecs_services))[0]
    assert newest["status"] == "SUCCESSFUL"


async def test_our_rollback_stops_the_service_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A crash-looping revision without ECS's breaker: we roll back with
    StopServiceDeployment(ROLLBACK); ECS's rollback shows in our record."""
    old = await ecs_services.create()
    ecs_simulator.add_rule(CRASH)
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"), timeout=0.3)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert (result.rolled_back_by, result.rollback_method) == (
        "ecsdeploy",
        "stop-service-deployment",
    )
    ours = next(
        r
        for r in await _records(ecs_services)
        if r["serviceDeploymentArn"] == result.service_deployment_arn
    )
    assert ours["status"] == "ROLLBACK_SUCCESSFUL"
    assert await ecs_services.task_definition() == old


async def test_denied_stop_falls_back_to_update_service(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """StopServiceDeployment denied: the rollback is UpdateService to the previous revision, and
    the denial is not a failure of its own (the deployment is ROLLED_BACK, not worse)."""
    old = await ecs_services.create()
    ecs_simulator.add_rule(CRASH)
    ecs_simulator.add_rule({"operation": "StopServiceDeployment", "error": "AccessDenied"})
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"), timeout=0.3)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rollback_method == "update-service"
    assert result.service_deployment_arn is not None
    assert await ecs_services.task_definition() == old
    assert ecs_simulator.stats()["calls"].get("StopServiceDeployment", 0) >= 1


async def test_denied_record_reads_fall_back_to_update_service(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Service-deployment reads denied: the watch goes on with DescribeServices, a healthy
    deployment succeeds, and a failing one is rolled back with UpdateService (no record to
    stop)."""
    old = await ecs_services.create()
    for operation in ("ListServiceDeployments", "DescribeServiceDeployments"):
        ecs_simulator.add_rule({"operation": operation, "error": "AccessDenied"})
    good = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert good.outcome is Outcome.SUCCEEDED, good.reason
    assert good.service_deployment_arn is None
    ecs_simulator.add_rule(CRASH)
    bad = await ecs_deployer.deploy(to("myorg/nginx:crash"), timeout=0.3)
    assert bad.outcome is Outcome.ROLLED_BACK, bad.reason
    assert bad.rollback_method == "update-service"
    assert await ecs_services.task_definition() == good.task_definition_arn != old
    assert ecs_simulator.stats()["calls"].get("StopServiceDeployment", 0) == 0


@dataclass
class SomeoneDeploysThenFails:
    """A smoke test that fails just as someone else deploys `theirs` over ours, and
    DescribeServices starts failing (so the rollback cannot see theirs)."""

    services: EcsServices
    simulator: Simulator
    theirs: str
    name: str = "smoke-test"
    fired: bool = False

    async def evaluate(self, observation: Observation) -> Verdict:
        if not self.fired:
            self.fired = True
            await self.services.ecs.update_service(
                cluster=CLUSTER, service="webapp", taskDefinition=self.theirs
            )
            self.simulator.add_rule({"operation": "DescribeServices", "error": "ServerException"})
        return Verdict.failed("smoke test failed")


async def test_refused_stop_never_rolls_back_over_a_later_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """StopServiceDeployment refused (ConflictException) because someone else's deployment
    started after ours: the UpdateService fallback is not sent over it, though the service
    cannot be read to see theirs."""
    await ecs_services.create()
    registered = await ecs_services.ecs.register_task_definition(
        family="webapp",
        containerDefinitions=[
            {"name": "nginx", "image": "myorg/nginx:3", "essential": True, "memory": 128}
        ],
    )
    theirs = registered["taskDefinition"]["taskDefinitionArn"]
    check = SomeoneDeploysThenFails(ecs_services, ecs_simulator, theirs)
    settings = replace(ecs_deployer.settings, rollback_timeout=2)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), checks=[check], settings=settings)
    ecs_simulator.clear_rules()
    assert result.outcome is Outcome.SUPERSEDED, result.reason
    assert result.rollback_method is None
    assert await ecs_services.task_definition() == theirs
    assert ecs_simulator.stats()["calls"].get("StopServiceDeployment", 0) == 1


@pytest.mark.parametrize("breaker", [False, True], ids=["no-breaker", "breaker"])
async def test_someone_elses_stop_request_is_attributed_to_it(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator, breaker: bool
) -> None:
    """Someone stops our rolling deployment with StopServiceDeployment(ROLLBACK): ECS rolls it
    back, and the result says a stop request did it, never the circuit breaker or us."""
    # The simulated clock is held while the stop is sent, so the deployer's next read is the
    # one that first shows our deployment FAILED; the deployer's first read of the record comes
    # late, so reads of DescribeServices that confirm ECS's rollback could come before it.
    old = await ecs_services.create(breaker=breaker)
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    clock = Lockstep(ecs_simulator)
    watching = anyio.Event()

    def hold_in_watch() -> None:
        clock.hold()
        watching.set()

    ecs_deployer.subscribe(once_in(Phase.WATCH, hold_in_watch))
    results: list[DeployResult] = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(to("myorg/nginx:slow")))
        clock.hold()

    async with anyio.create_task_group() as group:
        group.start_soon(clock.run)
        group.start_soon(deploy)
        await watching.wait()
        ours = (await _records(ecs_services))[0]
        # The deployer's first read of the record is late (wall time): its reads of
        # DescribeServices go on meanwhile.
        late = {"operation": "DescribeServiceDeployments", "error": "latency", "seconds": 0.3}
        ecs_simulator.add_rule({**late, "count": 1})
        await ecs_services.ecs.stop_service_deployment(
            serviceDeploymentArn=ours["serviceDeploymentArn"], stopType="ROLLBACK"
        )
        clock.held = False
        group.start_soon(clock.run)
    (result,) = results
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert (result.rolled_back_by, result.rollback_trigger, result.rollback_method) == (
        "ecs",
        "stop request",
        "ecs",
    )
    assert result.service_deployment_arn == ours["serviceDeploymentArn"]
    assert await ecs_services.task_definition() == old


async def test_a_hanging_record_read_holds_a_tick_for_a_bounded_wait(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The record read in the tick that first shows ours not PRIMARY gives up after its wait
    (`RECORD_WAIT`), before a lookup that hangs longer returns: the tick publishes without it."""
    await ecs_services.create()
    before = (await ecs_services.describe())["deployments"][0]
    await ecs_services.ecs.update_service(
        cluster=CLUSTER, service="webapp", forceNewDeployment=True
    )
    hang = RECORD_WAIT + 1.0
    ecs_simulator.add_rule(
        {"operation": "ListServiceDeployments", "error": "latency", "seconds": hang, "count": 1}
    )
    async with offline_session().client(
        "ecs", endpoint_url=ecs_simulator.endpoint_url, region_name=REGION
    ) as client:
        observer = ClusterObserver(EcsGateway(client, region=REGION), CLUSTER)
        # The deployment that was PRIMARY before the update: no longer PRIMARY, so its record
        # is worth reading from this first tick on.
        tracker = RecordTracker(created_at=epoch(before["createdAt"]))
        watch = observer.watch(to("x"), before["id"], poll_interval=0.005, records=tracker)
        with anyio.fail_after(hang * 10):
            await observer.tick()
        observed = await watch.next()
    assert tracker.wanted
    assert (tracker.arn, observed.service_deployment) == (None, None)
    assert not observed.is_ours_primary
